"""Win Room's own database: URLs, engine and session factory, declarative base."""
