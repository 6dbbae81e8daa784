"""Read models of the admin API: what finance and admins look at (no writes here)."""
