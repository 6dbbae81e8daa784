"""Core databases written the way a company's own system writes them (CONTRACT §3).

Unlike ``CoreWriter`` (SQLAlchemy: every SQLite time as ``YYYY-MM-DD HH:MM:SS.ffffff``,
the indexes of ``backend.core.tables``), these write SQLite times as raw text in a chosen
spelling through the ``sqlite3`` module, and create the tables with NO index but the
primary keys: Win Room cannot add indexes to the company's database. On PostgreSQL the
time columns are ``timestamp`` or ``timestamptz``, and the database's own time zone can be
set to something other than UTC (as a company's server may be).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from backend.models import IngestRecord, QueueItem, SubscriptionMetrics
from backend.runtime import Database
from tests.helpers.databases import fresh_postgres_database, postgres_admin_url


def _ms_z(t: datetime) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"


# how a SQLite core may spell a naive UTC moment (the contract's two, and what exporters write)
SPELLINGS: dict[str, Callable[[datetime], str]] = {
    "plain": lambda t: f"{t:%Y-%m-%d %H:%M:%S}",
    "fraction": lambda t: f"{t:%Y-%m-%d %H:%M:%S.%f}",
    "python": lambda t: t.isoformat(" "),  # fraction only when not a whole second
    "T": lambda t: f"{t:%Y-%m-%dT%H:%M:%S}",
    "T_fraction": lambda t: t.isoformat(),
    "Z": lambda t: f"{t:%Y-%m-%dT%H:%M:%S}Z",
    "ms_Z": _ms_z,  # JavaScript's toISOString()
    "offset": lambda t: t.replace(tzinfo=UTC).isoformat(),  # +00:00
}
# per-row spellings in one table: "mixed" alternates the contract's two spellings
MIXES: dict[str, tuple[str, ...]] = {
    "mixed": ("plain", "fraction"),
    "mixed_T": ("T", "T_fraction"),
    "mixed_separators": ("plain", "T", "fraction", "T_fraction"),
}
FORMATS = (*SPELLINGS, *MIXES)


def spell(fmt: str, t: datetime, i: int) -> str:
    """Row ``i``'s ``t`` in format ``fmt`` (a spelling, or a mix alternating by row)."""
    names = MIXES.get(fmt, (fmt,))
    return SPELLINGS[names[i % len(names)]](t)


_SQLITE_DDL = """
CREATE TABLE campaigns (id INTEGER PRIMARY KEY, name TEXT, campaign_length INTEGER,
    per_week INTEGER, lesson_duration INTEGER);
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, created_at TIMESTAMP);
CREATE TABLE subscriptions (id INTEGER PRIMARY KEY, user_id BIGINT, campaign_id BIGINT,
    subs_amount NUMERIC(12,2), currency TEXT, status TEXT, is_free INTEGER,
    payment_channel TEXT, stripe_sub_id TEXT, paypal_sub_id TEXT, created_at TIMESTAMP,
    updated_at TIMESTAMP);
CREATE TABLE payment_infos (id INTEGER PRIMARY KEY, subscription_id BIGINT,
    paid_price NUMERIC(12,2), currency TEXT, created_at TIMESTAMP);
CREATE TABLE custom_settings (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE lead_assignments (id INTEGER PRIMARY KEY, user_id BIGINT, seller_email TEXT,
    assigned_at TIMESTAMP);
"""


def _pg_ddl(time_type: str) -> str:
    return f"""
CREATE TABLE campaigns (id BIGINT PRIMARY KEY, name TEXT, campaign_length INTEGER,
    per_week INTEGER, lesson_duration INTEGER);
CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT, name TEXT, created_at {time_type});
CREATE TABLE subscriptions (id BIGINT PRIMARY KEY, user_id BIGINT, campaign_id BIGINT,
    subs_amount NUMERIC(12,2), currency TEXT, status TEXT, is_free INTEGER,
    payment_channel TEXT, stripe_sub_id TEXT, paypal_sub_id TEXT, created_at {time_type},
    updated_at {time_type});
CREATE TABLE payment_infos (id BIGSERIAL PRIMARY KEY, subscription_id BIGINT,
    paid_price NUMERIC(12,2), currency TEXT, created_at {time_type});
CREATE TABLE custom_settings (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE lead_assignments (id BIGSERIAL PRIMARY KEY, user_id BIGINT,
    seller_email TEXT, assigned_at {time_type});
"""


SUB_COLUMNS = (
    "id",
    "user_id",
    "campaign_id",
    "subs_amount",
    "currency",
    "status",
    "is_free",
    "payment_channel",
    "stripe_sub_id",
    "paypal_sub_id",
    "created_at",
    "updated_at",
)


class RawCore:
    """An unindexed core database. ``fmt``: how SQLite times are spelled (see ``FORMATS``);
    on PostgreSQL times are written as timestamps (``fmt`` is then ignored)."""

    def __init__(self, url: str, fmt: str = "plain", time_type: str = "timestamp") -> None:
        self.url = url
        self.fmt = fmt
        self.time_type = time_type
        self.sqlite = url.startswith("sqlite")
        self._rows = 0

    # ---- writing -------------------------------------------------------------------

    def _time(self, t: datetime) -> Any:
        """``t`` (naive UTC) as this core stores it (PostgreSQL ``timestamptz``: an aware
        datetime, the right moment whatever the server's time zone; ``timestamp``: the
        naive UTC wall clock)."""
        self._rows += 1
        if self.sqlite:
            return spell(self.fmt, t, self._rows)
        return t.replace(tzinfo=UTC) if self.time_type == "timestamptz" else t

    def execute(self, sql: str, rows: Sequence[Sequence[Any]] = ()) -> None:
        if self.sqlite:
            path = self.url.split("///", 1)[1]
            conn = sqlite3.connect(path)
            try:
                with conn:
                    if rows:
                        conn.executemany(sql, [tuple(_lite(v) for v in r) for r in rows])
                    else:
                        conn.executescript(sql)
            finally:
                conn.close()
            return
        eng = create_engine(make_url(self.url).set(drivername="postgresql+psycopg"))
        try:
            with eng.begin() as c:
                driver = c.connection.driver_connection
                assert driver is not None
                with driver.cursor() as cur:
                    if rows:
                        cur.executemany(sql.replace("?", "%s"), list(rows))
                    else:
                        cur.execute(sql)
        finally:
            eng.dispose()

    def basics(self) -> None:
        """dolar 34,25 and campaign 1 (6 months, 2 × 25 minutes)."""
        self.execute("INSERT INTO custom_settings VALUES (?, ?)", [("dolar", "34,25")])
        self.execute(
            "INSERT INTO campaigns VALUES (?, ?, ?, ?, ?)", [(1, "Genel İngilizce", 6, 2, 25)]
        )

    def subscriptions(self, rows: Iterable[tuple[int, datetime, str]]) -> list[int]:
        """Paid-or-other subscriptions ``(id, updated_at, status)``, one customer each
        (no duplicates), created at their ``updated_at``; returns the ids."""
        values: list[tuple[Any, ...]] = []
        for sid, at, status in rows:
            raw = self._time(at)
            values.append(
                (sid, sid, 1, Decimal("500.00"), "USD", status, 0, "Stripe", None, None, raw, raw)
            )
        cols = ", ".join(SUB_COLUMNS)
        self.execute(
            f"INSERT INTO subscriptions ({cols}) VALUES ({', '.join('?' * len(SUB_COLUMNS))})",
            values,
        )
        return [int(v[0]) for v in values]

    def leads(self, rows: Iterable[tuple[str, datetime]]) -> None:
        self.execute(
            "INSERT INTO lead_assignments (user_id, seller_email, assigned_at) VALUES (?, ?, ?)",
            [(1, email, self._time(at)) for email, at in rows],
        )


def _lite(v: Any) -> Any:
    return str(v) if isinstance(v, Decimal) else v


def sqlite_raw_core(path: Path, fmt: str) -> RawCore:
    """A new unindexed SQLite core at ``path`` whose times are spelled ``fmt``."""
    core = RawCore(f"sqlite:///{path}", fmt)
    core.execute(_SQLITE_DDL)
    return core


@contextmanager
def postgres_raw_core(time_type: str, server_timezone: str) -> Iterator[RawCore]:
    """A new unindexed PostgreSQL core (its own database, dropped on exit) with time
    columns of ``time_type`` (``timestamp`` / ``timestamptz``) and the database's default
    ``TimeZone`` set to ``server_timezone``. Skips without a PostgreSQL server."""
    gen = fresh_postgres_database(postgres_admin_url())
    url = next(gen)
    try:
        name = make_url(url).database
        admin = create_engine(
            make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            c.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO '{server_timezone}'"))
        admin.dispose()
        core = RawCore(url, time_type=time_type)
        core.execute(_pg_ddl(time_type))
        yield core
    finally:
        with suppress(StopIteration):
            next(gen)


def assert_each_once(db: Database, statuses: dict[int, str]) -> None:
    """The ingest invariant: every ``paid``/``active`` subscription is queued or recorded
    (duplicate, trial, rejected) exactly once, no other one is queued, and every one has
    been seen (a ``subscription_metrics`` row)."""
    with db.read() as s:
        queued = Counter(
            sid for sid in s.scalars(select(QueueItem.subscription_id)) if sid is not None
        )
        recorded = set(
            s.scalars(
                select(IngestRecord.subscription_id).where(
                    IngestRecord.kind.in_(("duplicate", "trial", "rejected"))
                )
            )
        )
        seen = set(s.scalars(select(SubscriptionMetrics.subscription_id)))
    want = {sid for sid, st in statuses.items() if st in ("paid", "active")}
    twice = sorted(sid for sid, n in queued.items() if n > 1)
    missing = sorted(sid for sid in want if sid not in queued and sid not in recorded)
    wrong = sorted(sid for sid in queued if sid not in want)
    unseen = sorted(set(statuses) - seen)
    assert not (twice or missing or wrong or unseen), (
        f"{len(missing)} of {len(want)} paid/active never queued nor recorded "
        f"{missing[:8]}; queued twice {twice[:8]}; queued but not paid {wrong[:8]}; "
        f"never seen {len(unseen)} {unseen[:8]}"
    )
