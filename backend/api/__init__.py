"""The HTTP API (FastAPI): app factory, dependencies, authorization table, routes."""
