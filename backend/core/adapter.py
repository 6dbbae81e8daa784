"""Read-only access to the company's core database (CONTRACT §3) through one small class.

Everything Win Room needs from the core database goes through :class:`CoreDatabase`, so
another company's schema can be mapped by changing this module (or the tables in
``backend.core.tables``) alone. The engine is the core URL's own: no ``search_path=wr``.
On PostgreSQL its sessions are ``READ ONLY`` with ``TimeZone=UTC``; on SQLite
``PRAGMA query_only``.

Comparing core timestamps (CONTRACT §3: UTC; on SQLite ISO text). On PostgreSQL the columns
are typed (``timestamp`` or ``timestamptz``): a naive UTC value compares exactly with both
because the session's time zone is UTC. On SQLite they are text, compared as text, and
the same moment has several spellings (``20:05:00``, ``20:05:00.000000``, ``20:05:00Z``,
``…T20:05:00``). So:

- the poller's keyset cursor is the last row's value *exactly as stored* (text on SQLite):
  ``(updated_at, id) > (that text, id)`` visits every row once whatever the spelling;
- a range bound is first a text superset (:func:`lowest_text` below, :func:`above_text`
  above), which any index on the column can serve, then exact in Python
  (:func:`parse_timestamp`).

Accepted text: ``YYYY-MM-DD HH:MM[:SS[.f…]]`` with a space or ``T`` between date and time,
optionally ending in ``Z`` or ``+00:00``; with or without a fraction, mixed in one table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DateTime,
    Engine,
    Text,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import QueryableAttribute

from backend.core import tables as t
from backend.db.engine import private_sqlite_file
from backend.db.urls import database_file, is_sqlite, normalize_url

CHUNK = 900  # ids per IN (...) list: below SQLite's old 999-variable limit


def parse_timestamp(raw: object) -> datetime | None:
    """A core timestamp (a datetime, or ISO text on SQLite) as an aware UTC datetime."""
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def naive_utc(value: datetime) -> datetime:
    """How a moment is compared with core ``TIMESTAMP`` columns (naive UTC)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def lowest_text(value: datetime) -> str:
    """The smallest text spelling of a moment: ``text >= lowest_text(t)`` holds for every
    accepted spelling of every moment at or after ``t`` (a superset: a ``T`` row of the
    same day matches too)."""
    v = naive_utc(value)
    out = f"{v:%Y-%m-%d %H:%M}"
    if v.second or v.microsecond:
        out += f":{v.second:02d}"
    if v.microsecond:
        out += f".{v.microsecond:06d}".rstrip("0")
    return out


def above_text(value: datetime) -> str:
    """A text above every accepted spelling of every moment before ``value``:
    ``text < above_text(t)`` is a superset of "before ``t``" (the next whole second, ``T``
    separated: above the space spellings of the day and every suffix)."""
    v = naive_utc(value).replace(microsecond=0) + timedelta(seconds=1)
    return f"{v:%Y-%m-%dT%H:%M:%S}"


class CoreSubscription(NamedTuple):
    """One subscriptions row, values as the driver gave them (parsed by the worker).

    Named tuples (not dataclasses): a backlog builds hundreds of thousands of them."""

    id: int
    user_id: Any
    campaign_id: Any
    subs_amount: Any
    currency: Any
    status: Any
    is_free: Any
    payment_channel: Any
    stripe_sub_id: Any
    paypal_sub_id: Any
    created_at: Any
    updated_at: Any


class CoreCampaign(NamedTuple):
    id: int
    name: str | None
    campaign_length: Any
    per_week: Any
    lesson_duration: Any


class CoreUser(NamedTuple):
    id: int
    email: str | None
    name: str | None
    created_at: Any


# the columns in the order of the tuples above (rows are built positionally)
_SUB_COLS = [t.subscriptions.c[name] for name in CoreSubscription._fields]
_CAMPAIGN_COLS = [t.campaigns.c[name] for name in CoreCampaign._fields]
_USER_COLS = [t.users.c[name] for name in CoreUser._fields]


def make_core_engine(
    url: str,
    *,
    read_only: bool = True,
    timeout_seconds: int | None = None,
    pre_ping: bool = True,
    autocommit: bool = False,
) -> Engine:
    """The core URL's engine. ``timeout_seconds`` bounds connecting and each statement
    (PostgreSQL ``connect_timeout`` and ``statement_timeout``; SQLite's busy timeout):
    for reads made while answering a request. Default: the worker's (30 s busy timeout on
    SQLite, no limits on PostgreSQL). ``autocommit`` (PostgreSQL): each statement its own
    read-only snapshot, without the BEGIN and ROLLBACK round trips — for one-statement
    reads."""
    url = normalize_url(url)
    if is_sqlite(url):
        path = database_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        busy = timeout_seconds or 30
        engine = create_engine(
            url, connect_args={"timeout": busy, "check_same_thread": False}, pool_pre_ping=False
        )
        if path is not None:
            private_sqlite_file(engine, path)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
            if read_only:
                cur.execute("PRAGMA query_only=ON")
            cur.close()

        return engine
    # UTC: a naive UTC value then compares exactly with timestamptz columns too
    options = ["-c TimeZone=UTC"]
    if read_only:
        options.append("-c default_transaction_read_only=on")
    connect_args: dict[str, Any] = {}
    if timeout_seconds:
        options.append(f"-c statement_timeout={int(timeout_seconds * 1000)}")
        connect_args["connect_timeout"] = max(2, int(timeout_seconds))  # libpq: 2 s at least
    connect_args["options"] = " ".join(options)
    return create_engine(
        url,
        connect_args=connect_args,
        pool_size=5,
        max_overflow=5,
        pool_pre_ping=pre_ping,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )


def any_of(
    column: ColumnElement[Any] | QueryableAttribute[Any], values: Sequence[Any], dialect: str
) -> ColumnElement[bool]:
    """``column IN (values)``. On PostgreSQL ``column = ANY(:array)``: one parameter, so the
    statement stays short and the driver does not re-parse a long ``IN (…)`` list each time.
    """
    if dialect == "postgresql":
        expr = column.expression if isinstance(column, QueryableAttribute) else column
        return expr == any_(bindparam(None, list(values), type_=ARRAY(expr.type)))
    return column.in_(values)


def chunked(values: Sequence[Any], dialect: str) -> Iterator[Sequence[Any]]:
    """``values`` in pieces for :func:`any_of`: all at once on PostgreSQL, else ``CHUNK``."""
    size = max(len(values), 1) if dialect == "postgresql" else CHUNK
    for i in range(0, len(values), size):
        yield values[i : i + size]


class CoreDatabase:
    """The core database, read-only. Every method is one short read transaction."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: int | None = None,
        pre_ping: bool = True,
        autocommit: bool = False,
    ) -> None:
        self.url = normalize_url(url)
        self.engine = make_core_engine(
            self.url, timeout_seconds=timeout_seconds, pre_ping=pre_ping, autocommit=autocommit
        )
        self._has_leads_table = False

    def dispose(self) -> None:
        self.engine.dispose()

    def _connect(self) -> Connection:
        return self.engine.connect()

    def _in(self, column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
        return any_of(column, values, self.engine.dialect.name)

    def _chunks(self, ids: Iterable[int]) -> Iterator[Sequence[int]]:
        return chunked(sorted(set(ids)), self.engine.dialect.name)

    def ready(self, *tables: str) -> bool:
        """Whether the tables the worker reads (or the ones named) exist yet."""
        with self._connect() as conn:
            names = set(inspect(conn).get_table_names())
        return set(tables or ("subscriptions", "campaigns", "users")) <= names

    # ---- subscriptions ---------------------------------------------------------------

    @property
    def texts(self) -> bool:
        """Whether core timestamps are text (SQLite) rather than typed (PostgreSQL)."""
        return self.engine.dialect.name == "sqlite"

    def _ts(self, value: Any) -> BindParameter[Any]:
        """A timestamp bound for comparison with a core time column: text on SQLite
        (kept as given, or the lowest spelling of a datetime), naive UTC on PostgreSQL."""
        if self.texts:
            raw = value if isinstance(value, str) else lowest_text(value)
            return bindparam(None, raw, type_=Text())
        if isinstance(value, str):
            parsed = parse_timestamp(value)
            if parsed is None:
                raise ValueError(f"not a timestamp: {value!r}")
            value = parsed
        return bindparam(None, naive_utc(value), type_=DateTime())

    def changed_after(self, after: Any, last_id: int, limit: int) -> list[CoreSubscription]:
        """Subscriptions after the keyset cursor (``updated_at``, ``id``), in that order.

        ``after``: the cursor row's ``updated_at`` exactly as read (text on SQLite), or a
        datetime (then every spelling of that moment counts as after it)."""
        s = t.subscriptions
        q = (
            select(*_SUB_COLS)
            .where(tuple_(s.c.updated_at, s.c.id) > tuple_(self._ts(after), last_id))
            .order_by(s.c.updated_at, s.c.id)
            .limit(limit)
        )
        with self._connect() as conn:
            rows = conn.execute(q).all()  # one fetchall, not a fetchone per row
        return list(map(CoreSubscription._make, rows))

    def versions_between(
        self, since: datetime, until: Any, until_id: int
    ) -> list[tuple[int, Any, Any]]:
        """``(id, status, updated_at)`` of the subscriptions updated at ``since`` or later
        up to the keyset cursor ``(until, until_id)`` inclusive (``until`` as for
        :meth:`changed_after`)."""
        s = t.subscriptions
        q = select(s.c.id, s.c.status, s.c.updated_at).where(
            s.c.updated_at >= self._ts(since),
            tuple_(s.c.updated_at, s.c.id) <= tuple_(self._ts(until), until_id),
        )
        with self._connect() as conn:
            rows = conn.execute(q).all()
        if not self.texts:
            return [(r[0], r[1], r[2]) for r in rows]
        # the text bound is a superset: exact here
        floor = _aware(since)
        out = []
        for r in rows:
            ts = parse_timestamp(r[2])
            if ts is not None and ts >= floor:
                out.append((r[0], r[1], r[2]))
        return out

    def subscriptions_by_ids(self, ids: Iterable[int]) -> list[CoreSubscription]:
        s = t.subscriptions
        out: list[CoreSubscription] = []
        with self._connect() as conn:
            for chunk in self._chunks(ids):
                q = select(*_SUB_COLS).where(self._in(s.c.id, chunk)).order_by(s.c.id)
                out.extend(map(CoreSubscription._make, conn.execute(q).all()))
        return out

    def payment_infos(self, subscription_ids: Iterable[int]) -> dict[int, list[tuple[Any, Any]]]:
        p = t.payment_infos
        out: dict[int, list[tuple[Any, Any]]] = {}
        with self._connect() as conn:
            for chunk in self._chunks(subscription_ids):
                q = (
                    select(p.c.subscription_id, p.c.paid_price, p.c.currency)
                    .where(self._in(p.c.subscription_id, chunk))
                    .order_by(p.c.id)
                )
                for row in conn.execute(q).all():
                    out.setdefault(int(row[0]), []).append((row[1], row[2]))
        return out

    # ---- customers, campaigns, settings ----------------------------------------------

    def users(self, ids: Iterable[int]) -> dict[int, CoreUser]:
        u = t.users
        out: dict[int, CoreUser] = {}
        with self._connect() as conn:
            for chunk in self._chunks(ids):
                q = select(*_USER_COLS).where(self._in(u.c.id, chunk))
                for row in conn.execute(q).all():
                    out[int(row[0])] = CoreUser._make(row)
        return out

    def campaigns(self, ids: Iterable[int]) -> dict[int, CoreCampaign]:
        c = t.campaigns
        out: dict[int, CoreCampaign] = {}
        with self._connect() as conn:
            for chunk in self._chunks(ids):
                q = select(*_CAMPAIGN_COLS).where(self._in(c.c.id, chunk))
                for row in conn.execute(q).all():
                    out[int(row[0])] = CoreCampaign._make(row)
        return out

    def setting(self, key: str) -> str | None:
        """A ``custom_settings`` value (None when the row or the table is missing)."""
        cs = t.custom_settings
        with self._connect() as conn:
            if not inspect(conn).has_table("custom_settings"):
                return None
            value = conn.execute(select(cs.c.value).where(cs.c.key == key)).scalar()
        return None if value is None else str(value)

    def lead_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Leads assigned per seller email (lower-cased) in ``[start, end)`` ({} while the
        table is missing)."""
        return self.lead_counts_if_present(start, end) or {}

    def lead_counts_if_present(self, start: datetime, end: datetime) -> dict[str, int] | None:
        """:meth:`lead_counts`, None while the ``lead_assignments`` table is missing.

        One range read once the table has been seen (an index on ``assigned_at`` serves it
        where the core has one; on SQLite a text superset, made exact here): the API makes
        it for today's counts on every leads/conversion read (``backend.core.live``), the
        worker for the stored per-day aggregate."""
        la = t.lead_assignments
        email = func.lower(func.trim(la.c.seller_email))
        lo, hi = self._range_bounds(start, end)
        q = select(email, func.count()).where(la.c.assigned_at >= lo, la.c.assigned_at < hi)
        q = q.where(la.c.seller_email.is_not(None))
        if self.texts:  # a superset: counted per distinct text, kept when exactly inside
            q = q.add_columns(la.c.assigned_at).group_by(email, la.c.assigned_at)
        else:
            q = q.group_by(email)
        with self._connect() as conn:
            if not self._has_leads_table:  # looked up until seen once (a catalog read)
                if not inspect(conn).has_table("lead_assignments"):
                    return None
                self._has_leads_table = True
            rows = conn.execute(q).all()
        if not self.texts:
            return {str(r[0]): int(r[1]) for r in rows if r[0]}
        first, end_utc = _aware(start), _aware(end)
        out: dict[str, int] = {}
        for seller, n, raw in rows:
            ts = parse_timestamp(raw)
            if seller and ts is not None and first <= ts < end_utc:
                out[str(seller)] = out.get(str(seller), 0) + int(str(n))
        return out

    def _range_bounds(self, start: datetime, end: datetime) -> tuple[Any, Any]:
        """Bounds for ``start <= column < end`` on a core time column: exact on PostgreSQL;
        on SQLite a text superset (every spelling of the window), which the caller makes
        exact with :func:`parse_timestamp`."""
        if self.texts:
            return self._ts(start), bindparam(None, above_text(end), type_=Text())
        return self._ts(start), self._ts(end)

    def lead_counts_after(
        self, start: datetime, end: datetime, after_id: int, upto_id: int | None = None
    ) -> tuple[dict[str, int], int] | None:
        """Leads in ``[start, end)`` per seller email of the rows with ``after_id < id <=
        upto_id`` (no upper bound when None), and the highest such id (``after_id`` when
        none); None while the table is missing. A primary-key range read: its cost is the
        rows after ``after_id``, not the day's (``backend.core.live`` keeps the rest). On
        SQLite the time bounds are the same text superset as :meth:`lead_counts_if_present`,
        made exact here."""
        la = t.lead_assignments
        email = func.lower(func.trim(la.c.seller_email))
        lo, hi = self._range_bounds(start, end)
        q = (
            select(email, la.c.id, la.c.assigned_at)
            .where(la.c.id > after_id)
            .where(la.c.assigned_at >= lo, la.c.assigned_at < hi)
            .where(la.c.seller_email.is_not(None))
        )
        if upto_id is not None:
            q = q.where(la.c.id <= upto_id)
        with self._connect() as conn:
            if not self._has_leads_table:
                if not inspect(conn).has_table("lead_assignments"):
                    return None
                self._has_leads_table = True
            rows = conn.execute(q).all()
        first, end_utc = _aware(start), _aware(end)
        out: dict[str, int] = {}
        top = after_id
        for seller, row_id, raw in rows:
            top = max(top, int(str(row_id)))
            if not seller:
                continue
            if self.texts:
                ts = parse_timestamp(raw)
                if ts is None or not first <= ts < end_utc:
                    continue
            out[str(seller)] = out.get(str(seller), 0) + 1
        return out, top


def _aware(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def create_core_tables(url: str) -> None:
    """Create the core tables when missing (for ``simulate`` and tests only)."""
    engine = make_core_engine(url, read_only=False)
    try:
        if engine.dialect.name == "sqlite" and database_file(engine.url.render_as_string()):
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        t.metadata.create_all(engine)
    finally:
        engine.dispose()
