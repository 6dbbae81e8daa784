"""Actions of the API: each does its change and appends its events in the caller's
transaction (the caller commits; the relay broadcasts after commit)."""
