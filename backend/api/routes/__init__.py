"""Route modules, one per resource; ``ALL_ROUTERS`` is what the app includes."""
