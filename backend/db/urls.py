"""Database URL handling shared by settings, engines and migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url


def normalize_url(url: str) -> str:
    """Map any accepted spelling to the driver Win Room uses.

    ``sqlite:///`` and ``sqlite+aiosqlite:///`` → pysqlite; ``postgres://``,
    ``postgresql://`` and ``postgresql+asyncpg://`` → psycopg 3.
    """
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        u = u.set(drivername="sqlite")
    elif backend in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    else:
        raise ValueError(f"unsupported database {backend!r} (use sqlite or postgresql)")
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def database_file(url: str) -> Path | None:
    """The resolved file of a SQLite URL (None for memory or other databases)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database).expanduser().resolve()
