"""Wire schemas shared by the backend and the desktop apps (pydantic only, no I/O)."""
