"""Running Alembic programmatically (``winroom-backend migrate``) and checking the revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from backend.db.urls import normalize_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class NotMigrated(Exception):
    """The database is missing Win Room's schema or is behind the code."""

    def __init__(self) -> None:
        super().__init__(
            "the Win Room database is not migrated: run `winroom-backend migrate` first"
        )


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return MigrationContext.configure(conn).get_current_revision()


def ensure_migrated(engine: Engine) -> None:
    """Raise NotMigrated unless the database is at the code's head revision."""
    if current_revision(engine) != head_revision():
        raise NotMigrated()
