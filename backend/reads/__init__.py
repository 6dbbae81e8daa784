"""Read models of the admin API: queries that never write (CONTRACT §4a)."""
