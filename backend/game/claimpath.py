"""The claim's hot path: what every new claim writes, in as few round trips as possible.

The same rules and the same rows/events as the general path (``awards``/``progress``), but
written with prebuilt Core statements in batches instead of one ORM flush per row:

- the floor streak: one ``UPDATE ... RETURNING`` (the new count);
- the day and month rows: one ``INSERT ... ON CONFLICT DO UPDATE`` each, adding the claim's
  numbers (the month row stays exactly the sum of the day rows: ``SellerMonthStats``);
- points: the seller's running totals read once (``FOR UPDATE``), the ledger entries of a
  step in one ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING``, the totals written once;
- achievements: which of the keys of every milestone the claim could fire exist, looked up
  before the numbers are known (``engine._reachable``); the new ones inserted with
  ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (the unique key stays the final word),
  their badges likewise;
- the month's per-seller sums from the month rows and today's from today's day rows, with
  whether any goal or challenge is active (the general goal/challenge code runs only then).

The claim takes the game lock (= the event-order lock, ``awards.serialize``) in its first
statement here and holds it to its commit. On PostgreSQL the statements of a step go to the
server as ONE query string (:class:`_Batch`; :func:`open_claim`: lock, day and month rows,
streak, totals, month and today's sums, existing achievement keys; :func:`settle`: ledger
entries, the totals they lead to, new achievements and the badges they come with, held or
not; :func:`fire_all`, only when achievements are new: their points, each new badge's grant
with its points, the totals), so the rules hold the lock for 2 round trips, 3 when a claim
fires an achievement. ORM copies of rows written here that the session may hold are expired, so the
general path, if it runs later in the same transaction (goals, challenges), reads the new
values.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    case,
    exists,
    func,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from backend.db.driver import run_pipeline
from backend.db.types import MICRO, UTCDateTime
from backend.eventlog import append_event
from backend.game import numbers as game_numbers
from backend.game.awards import achievement_payload
from backend.game.daystats import DayNumbers, month_start, next_month
from backend.game.rules import points as prules
from backend.game.rules.milestones import BADGES, Milestone
from backend.game.rules.streak import STREAK_FIRES_AT, StreakStep
from backend.models import (
    Achievement,
    Badge,
    Challenge,
    PersonalGoal,
    PointsEntry,
    SalesGoal,
    Seller,
    SellerBadge,
    SellerStats,
    StreakState,
)
from backend.models.game import SellerDayStats, SellerMonthStats


def dialect_insert(session: Session) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_*``): PostgreSQL or SQLite."""
    return _dialect_insert(session.get_bind().dialect.name)


def _dialect_insert(name: str) -> Any:
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def table_of(model: type[Any]) -> Table:
    """A model's table, typed as a ``Table`` (for Core statements)."""
    return cast(Table, model.__table__)


class _Dialect:
    """What a statement builder needs to know of the database."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.insert = _dialect_insert(name)

    def one_of(self, column: Any, name: str, item_type: Any) -> Any:
        """``column IN (:name...)``; on PostgreSQL ``column = ANY(:name)`` (one array
        parameter: the same statement text, prepared once, whatever the list's length)."""
        if self.name == "postgresql":
            return column == any_(bindparam(name, type_=ARRAY(item_type)))
        return column.in_(bindparam(name, expanding=True))


_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(session: Session, build: Callable[[_Dialect], Any]) -> Any:
    """A statement built once per dialect (values come as bound parameters): building and
    keying a statement costs more than running it on this path."""
    name = session.get_bind().dialect.name
    key = (name, build.__name__)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build(_Dialect(name))
    return stmt


def _expire(session: Session, model: type[Any], key: Any) -> None:
    """Forget the session's ORM copy of a row written with a Core statement (if any). The
    identity key is built directly (``Session.identity_key`` costs more than the lookup):
    (class, primary key tuple in column order, no identity token)."""
    obj = session.identity_map.get((model, key if isinstance(key, tuple) else (key,), None))
    if obj is not None:
        session.expire(obj)


def to_money(micros: int | None) -> Decimal:
    """Raw micro-dollars → Decimal, exactly as the ``Micros`` type reads them."""
    return (Decimal(int(micros or 0)) * MICRO).quantize(MICRO)


def to_micros(value: Decimal) -> int:
    return int((value / MICRO).to_integral_value(rounding=ROUND_HALF_UP))


# ---- floor streak -------------------------------------------------------------------------
def _streak_update(d: _Dialect) -> Any:
    t = table_of(StreakState)
    return (
        update(t)
        .where(t.c.scope == bindparam("b_scope"))
        .values(
            count=case((t.c.seller_id == bindparam("b_seller"), t.c.count + 1), else_=1),
            seller_id=bindparam("b_seller"),
            last_claim_id=bindparam("b_claim"),
            updated_at=bindparam("b_now", type_=UTCDateTime()),
        )
        .returning(t.c.count)
    )


def floor_streak(
    session: Session, scope: str, seller_id: int, claim_id: int, now: datetime
) -> StreakStep:
    """``rules.streak.next_streak`` applied to the stored state in one statement: the same
    seller adds one, anyone else starts at 1 (the row is created on the first claim)."""
    conn = session.connection()
    count = conn.execute(
        _statement(session, _streak_update),
        {"b_scope": scope, "b_seller": seller_id, "b_claim": claim_id, "b_now": now},
    ).scalar()
    if count is None:
        count = 1
        conn.execute(
            table_of(StreakState).insert(),
            {
                "scope": scope,
                "seller_id": seller_id,
                "count": 1,
                "last_claim_id": claim_id,
                "updated_at": now,
            },
        )
    _expire(session, StreakState, scope)
    return StreakStep(seller_id=seller_id, count=int(count), fires=count >= STREAK_FIRES_AT)


# ---- day rows -----------------------------------------------------------------------------
def _adding_upsert(d: _Dialect, model: type[Any], period: str) -> Any:
    """Insert a (period, seller) row, or add its wins/revenue/margin to the existing one."""
    t = table_of(model)
    ins = d.insert(t)
    return ins.on_conflict_do_update(
        index_elements=[t.c[period], t.c.seller_id],
        set_={
            "wins": t.c.wins + ins.excluded.wins,
            "revenue": t.c.revenue + ins.excluded.revenue,
            "margin": t.c.margin + ins.excluded.margin,
            "updated_at": ins.excluded.updated_at,
        },
    )


def _day_upsert(d: _Dialect) -> Any:  # named builders: the statement caches key on names
    return _adding_upsert(d, SellerDayStats, "day")


def _month_upsert(d: _Dialect) -> Any:
    return _adding_upsert(d, SellerMonthStats, "month")


def _month_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The day rows' numbers as rows of their month (the same integers: the month row stays
    exactly the sum of the day rows)."""
    return [
        {
            "month": month_start(r["day"]),
            "seller_id": r["seller_id"],
            "wins": r["wins"],
            "revenue": r["revenue"],
            "margin": r["margin"],
            "updated_at": r["updated_at"],
        }
        for r in rows
    ]


def add_days(session: Session, day: date, deltas: dict[int, DayNumbers], now: datetime) -> None:
    """``daystats.add`` for several sellers of one day, in one upsert (and the same numbers
    added to their month rows in one more)."""
    rows = [
        {
            "day": day,
            "seller_id": sid,
            "wins": d.wins,
            "revenue": d.revenue,
            "margin": d.margin,
            "updated_at": now,
        }
        for sid, d in sorted(deltas.items())
        if not d.is_zero()
    ]
    if not rows:
        return
    conn = session.connection()
    conn.execute(_statement(session, _day_upsert), rows)
    conn.execute(_statement(session, _month_upsert), _month_rows(rows))
    for r in rows:
        _expire(session, SellerDayStats, (day, r["seller_id"]))
        _expire(session, SellerMonthStats, (month_start(day), r["seller_id"]))


def _month_sums(d: _Dialect) -> Any:
    t = table_of(SellerDayStats)
    is_today = t.c.day == bindparam("b_today", type_=Date())

    def raw(expr: Any) -> Any:  # integers as stored (micro-dollars): no Decimal per row
        return type_coerce(expr, BigInteger())

    def today_only(col: Any) -> Any:
        return raw(func.sum(case((is_today, col), else_=0)))

    return (
        select(
            t.c.seller_id,
            raw(func.sum(t.c.wins)),
            raw(func.sum(t.c.revenue)),
            raw(func.sum(t.c.margin)),
            func.count(case((is_today, 1))),
            today_only(t.c.wins),
            today_only(t.c.revenue),
            today_only(t.c.margin),
            *_activity_checks(d),  # constant columns: saves a round trip
        )
        .where(t.c.day >= bindparam("b_first", type_=Date()), t.c.day <= bindparam("b_today"))
        .group_by(t.c.seller_id)
    )


def _month_read(d: _Dialect) -> Any:
    t = table_of(SellerMonthStats)
    return select(
        t.c.seller_id,
        type_coerce(t.c.wins, BigInteger()),
        type_coerce(t.c.revenue, BigInteger()),  # micro-dollars as stored: no Decimal per row
        type_coerce(t.c.margin, BigInteger()),
    ).where(t.c.month == bindparam("b_month", type_=Date()))


def _days_read(d: _Dialect) -> Any:
    """Today's day rows and any of a later day of the month (normally none: claims are
    dated when they happen)."""
    t = table_of(SellerDayStats)
    return select(
        t.c.seller_id,
        type_coerce(t.c.wins, BigInteger()),
        type_coerce(t.c.revenue, BigInteger()),
        type_coerce(t.c.margin, BigInteger()),
        t.c.day,
        *_activity_checks(d),  # constant columns: saves a statement
    ).where(
        t.c.day >= bindparam("b_today", type_=Date()),
        t.c.day < bindparam("b_next", type_=Date()),
    )


Numbers = tuple[int, int, int]  # wins, revenue, margin (raw micro-dollars)


@dataclass
class MonthSums:
    """Per-seller sums of the month to date (``month``) and of today (``today``) as raw
    micro-dollar integers, and whether goals / challenges are active (None: not known)."""

    month_rows: dict[int, Numbers]
    today_rows: dict[int, Numbers]
    activity: tuple[bool, bool] | None

    def month_revenue_micros(self) -> dict[int, int]:
        return {sid: r[1] for sid, r in self.month_rows.items()}

    def team_today_revenue(self) -> Decimal:
        return to_money(sum(r[1] for r in self.today_rows.values()))

    def month(self, sid: int) -> DayNumbers:
        r = self.month_rows.get(sid)
        return DayNumbers() if r is None else DayNumbers(r[0], to_money(r[1]), to_money(r[2]))

    def today(self, sid: int) -> DayNumbers:
        r = self.today_rows.get(sid)
        return DayNumbers() if r is None else DayNumbers(r[0], to_money(r[1]), to_money(r[2]))

    def month_all(self) -> dict[int, DayNumbers]:
        """As ``daystats.sums`` gives them for ``period_days("month")``."""
        return {sid: self.month(sid) for sid in self.month_rows}

    def today_all(self) -> dict[int, DayNumbers]:
        """As ``daystats.sums`` gives them for ``period_days("today")``."""
        return {sid: self.today(sid) for sid in self.today_rows}


def _sums_from(month_rows: Any, day_rows: Any, today: date | str) -> MonthSums | None:
    """The sums from the month rows and today's day rows (whether goals / challenges are
    active comes with the latter); None when the month has day rows after ``today`` (the
    month rows count them: the caller sums the day rows instead)."""
    activity: tuple[bool, bool] | None = None
    today_rows: dict[int, Numbers] = {}
    for sid, wins, revenue, margin, day, team, personal, challenge in day_rows:
        if day != today:  # a later day of the month
            return None
        today_rows[sid] = (wins, revenue, margin)
        activity = (bool(team or personal), bool(challenge))
    month = {sid: (wins, revenue, margin) for sid, wins, revenue, margin in month_rows}
    return MonthSums(month, today_rows, activity)


def _sums_from_days(rows: Any) -> MonthSums:
    """The sums from ``_month_sums`` rows (the month's day rows summed by the database)."""
    month: dict[int, Numbers] = {}
    today: dict[int, Numbers] = {}
    activity: tuple[bool, bool] | None = None
    row: Any
    for row in rows:
        sid, wins, revenue, margin, n_today, t_wins, t_revenue, t_margin = (
            int(x or 0) for x in row[:8]
        )
        month[sid] = (wins, revenue, margin)
        if n_today:
            today[sid] = (t_wins, t_revenue, t_margin)
        activity = (bool(row[8] or row[9]), bool(row[10]))
    return MonthSums(month, today, activity)


def month_and_today(
    session: Session, today: date, seller_ids: Sequence[int], now: datetime
) -> MonthSums:
    """The month's and today's per-seller sums, with whether any team goal, personal goal of
    ``seller_ids`` or challenge is active (see :func:`active_goals_and_challenges`): the
    month rows and today's day rows (two small reads; the month's day rows summed if there
    are rows dated after today)."""
    conn = session.connection()
    month = month_start(today)
    if conn.dialect.name == "sqlite":
        # ~200 rows: read through the driver (SQLAlchemy's per-row cost is the larger part)
        raw = conn.connection.driver_connection
        assert raw is not None
        month_rows = raw.execute(_SQLITE_MONTH_READ, (month.isoformat(),)).fetchall()
        day_rows = raw.execute(
            _SQLITE_DAYS_READ, (today.isoformat(), next_month(month).isoformat())
        ).fetchall()
        goals, challenges = active_goals_and_challenges(session, seller_ids, now)
        day_rows = [(*r, goals, False, challenges) for r in day_rows]
        got = _sums_from(month_rows, day_rows, today.isoformat())
        if got is not None:
            got.activity = (goals, challenges)  # also known when there is no row today
    else:
        got = _sums_from(
            conn.execute(_statement(session, _month_read), {"b_month": month}),
            conn.execute(
                _statement(session, _days_read),
                {
                    "b_today": today,
                    "b_next": next_month(month),
                    "b_sellers": list(seller_ids),
                    "b_now": now,
                },
            ),
            today,
        )
    return got if got is not None else month_from_days(session, today, seller_ids, now)


# The same reads as ``_month_read`` / ``_days_read`` for the SQLite driver (dates are stored
# as ISO text there; money as integer micro-dollars).
_SQLITE_MONTH_READ = (
    f"SELECT seller_id, wins, revenue, margin FROM {SellerMonthStats.__tablename__} WHERE month = ?"
)
_SQLITE_DAYS_READ = (
    f"SELECT seller_id, wins, revenue, margin, day FROM {SellerDayStats.__tablename__}"
    " WHERE day >= ? AND day < ?"
)


def month_from_days(
    session: Session, today: date, seller_ids: Sequence[int], now: datetime
) -> MonthSums:
    """:func:`month_and_today` summing the month's day rows (one query)."""
    result = session.connection().execute(
        _statement(session, _month_sums),
        {
            "b_first": month_start(today),
            "b_today": today,
            "b_sellers": list(seller_ids),
            "b_now": now,
        },
    )
    return _sums_from_days(result)


def _activity_checks(d: _Dialect) -> list[Any]:
    return [
        exists().where(SalesGoal.active.is_(True)),
        exists().where(
            PersonalGoal.active.is_(True),
            d.one_of(PersonalGoal.seller_id, "b_sellers", Integer()),
        ),
        exists().where(
            Challenge.active.is_(True),
            Challenge.starts_at <= bindparam("b_now", type_=UTCDateTime()),
            Challenge.ends_at > bindparam("b_now", type_=UTCDateTime()),
        ),
    ]


def _activity(d: _Dialect) -> Any:
    return select(*_activity_checks(d))


def active_goals_and_challenges(
    session: Session, seller_ids: Sequence[int], now: datetime
) -> tuple[bool, bool]:
    """(any active team goal or personal goal of ``seller_ids``, any running challenge)."""
    team, personal, challenge = (
        session.connection()
        .execute(_statement(session, _activity), {"b_sellers": list(seller_ids), "b_now": now})
        .one()
    )
    return bool(team or personal), bool(challenge)


# ---- points ---------------------------------------------------------------------------------
_LEVEL_XP: list[int] = [0]  # xp_for_level(0), xp_for_level(1), ... (grown on demand)
_LEVEL_LOCK = threading.Lock()


def level_for_xp(xp: int) -> int:
    """``rules.points.level_for_xp`` with the level thresholds computed once."""
    if _LEVEL_XP[-1] <= xp:
        with _LEVEL_LOCK:
            while _LEVEL_XP[-1] <= xp:
                _LEVEL_XP.append(prules.xp_for_level(len(_LEVEL_XP)))
    return bisect_right(_LEVEL_XP, xp) - 1


@dataclass
class Totals:
    points: int
    level: int
    daily_streak: int
    last_active_day: date | None
    dirty: bool = False


@dataclass(frozen=True)
class Entry:
    """One points ledger entry (always with its dedupe key on this path)."""

    seller_id: int
    points: int
    reason: str
    source: str
    dedupe_key: str
    ref_type: str | None = None
    ref_id: int | None = None

    def row(self, created_at: datetime) -> dict[str, Any]:
        """The ``points_ledger`` row of this entry."""
        return {
            "seller_id": self.seller_id,
            "points": self.points,
            "reason": self.reason[:200],
            "source": self.source,
            "ref_type": self.ref_type,
            "ref_id": self.ref_id,
            "dedupe_key": self.dedupe_key,
            "created_at": created_at,
        }


class PointsBook:
    """The running totals of the sellers this transaction credits (read once, locked) and
    their ledger entries; ``save`` writes the totals back."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.totals: dict[int, Totals] = {}
        # PostgreSQL: the badges of the claim's new achievements, read in :func:`settle`'s
        # batch (code → (id, name)) with the (seller, badge) pairs held already; None: not read
        self.badges: dict[str, tuple[int, str]] | None = None
        self.held: set[tuple[int, int]] = set()

    def of(self, seller_id: int) -> Totals:
        got = self.totals.get(seller_id)
        if got is not None:
            return got
        conn = self.session.connection()
        row = conn.execute(_statement(self.session, _stats_read), {"b_seller": seller_id}).first()
        if row is None:
            conn.execute(
                table_of(SellerStats).insert(),
                {
                    "seller_id": seller_id,
                    "points": 0,
                    "xp": 0,
                    "level": 0,
                    "daily_streak": 0,
                    "updated_at": self.now,
                },
            )
            got = Totals(0, 0, 0, None)
        else:
            got = _totals(row)
        self.totals[seller_id] = got
        self.session.info.setdefault("game_stats_locked", set()).add(seller_id)
        return got

    def insert(self, entries: Sequence[Entry]) -> set[str]:
        """Insert the entries (one statement); returns the dedupe keys actually inserted
        (a key already in the ledger means "already awarded": skipped)."""
        entries = [e for e in entries if e.points != 0]
        if not entries:
            return set()
        rows = [e.row(self.now) for e in entries]
        result = self.session.connection().execute(_statement(self.session, _ledger_insert), rows)
        keys: list[Any] = list(result.scalars())
        return {str(k) for k in keys}

    def credit(self, e: Entry) -> None:
        """Add an inserted entry to the totals and tell the seller (``points.awarded``)."""
        totals = self.of(e.seller_id)
        totals.points += e.points
        totals.level = level_for_xp(max(0, totals.points))
        totals.dirty = True
        append_event(
            self.session,
            "points.awarded",
            {
                "points": e.points,
                "reason": e.reason[:200],
                "source": e.source,
                "total": totals.points,
                "level": totals.level,
            },
            room=f"user:{e.seller_id}",
        )

    def adopt(self, seller_id: int, totals: Totals) -> None:
        """Use totals read (and locked) by the caller."""
        self.totals[seller_id] = totals
        self.session.info.setdefault("game_stats_locked", set()).add(seller_id)

    def award(self, entries: Sequence[Entry], inserted: set[str] | None = None) -> None:
        """Insert the entries (unless ``inserted`` says which were) and credit the new."""
        if inserted is None:
            inserted = self.insert(entries)
        for e in entries:
            if e.points != 0 and e.dedupe_key in inserted:
                self.credit(e)

    def save(self) -> None:
        for sid, totals in self.totals.items():
            if not totals.dirty:
                continue
            self.session.connection().execute(
                _statement(self.session, _stats_write),
                {
                    "b_seller": sid,
                    "points": totals.points,
                    "xp": max(0, totals.points),
                    "level": totals.level,
                    "daily_streak": totals.daily_streak,
                    "last_active_day": totals.last_active_day,
                    "updated_at": self.now,
                },
            )
            totals.dirty = False
            _expire(self.session, SellerStats, sid)


def _stats_read(d: _Dialect) -> Any:
    t = table_of(SellerStats)
    return (
        select(t.c.points, t.c.level, t.c.daily_streak, t.c.last_active_day)
        .where(t.c.seller_id == bindparam("b_seller"))
        .with_for_update()
    )


def _stats_write(d: _Dialect) -> Any:
    t = table_of(SellerStats)
    return update(t).where(t.c.seller_id == bindparam("b_seller"))


def _ledger_insert(d: _Dialect) -> Any:
    t = table_of(PointsEntry)
    return (
        d.insert(t)
        .on_conflict_do_nothing(index_elements=[t.c.dedupe_key])
        .returning(t.c.dedupe_key)
    )


def _fired_keys(d: _Dialect) -> Any:
    t = table_of(Achievement)
    if d.name == "postgresql":
        # one index probe per key: ``dedupe_key = ANY(:keys)`` with ~30 keys is planned as a
        # scan of the whole (small, growing) table, ~5x slower at a few thousand rows
        return text(
            "SELECT key FROM (SELECT k.key,"
            f" (SELECT 1 FROM {t.name} a WHERE a.dedupe_key = k.key) AS hit"
            " FROM unnest(:b_keys) AS k(key)) AS t WHERE hit IS NOT NULL"
        ).bindparams(bindparam("b_keys", type_=ARRAY(String())))
    return select(t.c.dedupe_key).where(d.one_of(t.c.dedupe_key, "b_keys", String()))


def _achievement_insert(d: _Dialect) -> Any:
    t = table_of(Achievement)
    return (
        d.insert(t)
        .on_conflict_do_nothing(index_elements=[t.c.dedupe_key])
        .returning(t.c.id, t.c.dedupe_key)
    )


def _badge_insert(d: _Dialect) -> Any:
    t = table_of(SellerBadge)
    return (
        d.insert(t)
        .on_conflict_do_nothing(index_elements=[t.c.seller_id, t.c.badge_id])
        .returning(t.c.seller_id, t.c.badge_id)
    )


# ---- achievements ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    milestone: Milestone
    seller: Seller | None
    claim_id: int | None
    milestone_points: bool = True


def unfired(candidates: Sequence[Candidate], fired: set[str]) -> list[Candidate]:
    """The candidates (first of each dedupe key) whose key is not in ``fired``."""
    seen: set[str] = set()
    todo = []
    for c in candidates:
        key = c.milestone.dedupe_key
        if key not in seen:
            seen.add(key)
            if key not in fired:
                todo.append(c)
    return todo


def _achievement_rows(todo: Sequence[Candidate], now: Any) -> list[dict[str, Any]]:
    return [
        {
            "seller_id": c.seller.id if c.seller else None,
            "kind": c.milestone.kind,
            "title": c.milestone.title,
            "description": c.milestone.description,
            "emoji": c.milestone.emoji,
            "value": c.milestone.value,
            "period_key": c.milestone.period_key,
            "dedupe_key": c.milestone.dedupe_key,
            "claim_id": c.claim_id,
            "created_at": now,
        }
        for c in todo
    ]


def fire_all(
    session: Session,
    book: PointsBook,
    candidates: Sequence[Candidate],
    fired: set[str] | None = None,
    new_ids: dict[str, int] | None = None,
) -> None:
    """``awards.fire`` for each candidate, in order, batched: the achievements that are new
    (one statement), their three events each, the milestone points and the badge (+ its
    points the first time). ``new_ids``: the candidates were :func:`unfired` ones and their
    achievements are inserted already (dedupe key → id of those that were new)."""
    if new_ids is None:
        # most candidates fired long ago: look them up first (no insert, no id burnt)
        if fired is None:
            fired = fired_keys(session, candidate_keys(candidates))
        todo = unfired(candidates, fired)
        if not todo:
            return
        result = session.connection().execute(
            _statement(session, _achievement_insert), _achievement_rows(todo, book.now)
        )
        new_ids = {r.dedupe_key: int(r.id) for r in result}
    else:
        todo = list(candidates)
    if not new_ids:
        return
    now = book.now
    new = [c for c in todo if c.milestone.dedupe_key in new_ids]
    if not new:
        return
    # badges that come with them: held already, or new now (once per seller)
    wanted = _badge_wants(new)
    codes = {code for _, code in wanted}
    # PostgreSQL after settle's batch (book.badges): the badges and which pairs are held are
    # read; each new pair is granted with its points entry in the batch below (_GRANT_SQL)
    grant_in_batch = book.badges is not None
    badges = {c: book.badges[c] for c in codes if c in book.badges} if book.badges else {}
    if codes - badges.keys():  # not read yet, or a badge row missing from the seed
        badges.update(_badges(session, codes - badges.keys()))
    pairs = [(sid, badges[code][0]) for sid, code in wanted]
    if grant_in_batch:
        new_badges = {p for p in pairs if p not in book.held}
    else:
        new_badges = _give_badges(session, pairs, now)
    # the ledger entries, in the order the general path writes them
    entries: list[Entry] = []
    given: set[tuple[int, int]] = set()
    plan: list[tuple[Candidate, Entry | None, Entry | None]] = []
    for c in new:
        m, seller = c.milestone, c.seller
        points_e = badge_e = None
        if seller is not None:
            if c.milestone_points:
                points_e = Entry(
                    seller.id,
                    game_numbers.current(session).milestone_points,
                    f"Milestone: {m.title}",
                    "milestone",
                    f"milestone:{m.dedupe_key}",
                    "achievement",
                    new_ids[m.dedupe_key],
                )
                entries.append(points_e)
            if m.badge is not None:
                badge_id, badge_name = badges[m.badge]
                if (seller.id, badge_id) in new_badges and (seller.id, badge_id) not in given:
                    given.add((seller.id, badge_id))
                    badge_e = Entry(
                        seller.id,
                        game_numbers.current(session).badge_points,
                        f"Badge: {badge_name}",
                        "badge",
                        f"badge:{m.badge}:seller:{seller.id}",
                        "badge",
                        badge_id,
                    )
                    entries.append(badge_e)
        plan.append((c, points_e, badge_e))
    # the entries and the totals they lead to (and the badge grants): one round trip on
    # PostgreSQL
    written: dict[int, Totals] | None = None
    grants = {  # badge entry's dedupe key → badge id, granted in the entry's statement
        e.dedupe_key: cast(int, e.ref_id) for _, _, e in plan if grant_in_batch and e is not None
    }
    pg = _pipeline_connection(session)
    to_write = [e for e in entries if e.points != 0 or e.dedupe_key in grants]
    if pg is not None and to_write:
        done = _write_batch(session, pg, book, to_write, (), grants=grants)
        inserted, written = done.inserted, done.expected
    else:
        inserted = book.insert(entries)
    for c, points_e, badge_e in plan:
        m, seller = c.milestone, c.seller
        a = Achievement(
            id=new_ids[m.dedupe_key],
            seller_id=seller.id if seller else None,
            kind=m.kind,
            title=m.title,
            description=m.description,
            emoji=m.emoji,
            value=m.value,
            period_key=m.period_key,
            dedupe_key=m.dedupe_key,
            claim_id=c.claim_id,
            created_at=now,
        )
        payload = achievement_payload(a, seller.name if seller else None)
        append_event(session, "achievement.created", payload)
        if seller is not None:
            append_event(session, "achievement:earned", payload, room=f"user:{seller.id}")
        append_event(session, "achievement:celebration", payload, room="tv-display")
        for e in (points_e, badge_e):
            if e is not None and e.dedupe_key in inserted:
                book.credit(e)
    if written is not None:
        _written(session, book, written)


def _badges(session: Session, codes: set[str]) -> dict[str, tuple[int, str]]:
    """code → (id, name); a badge row missing from the seed is created (as ``award_badge``)."""
    got = {
        code: (int(id_), name)
        for id_, code, name in session.execute(
            select(Badge.id, Badge.code, Badge.name).where(Badge.code.in_(sorted(codes)))
        )
    }
    for code in sorted(codes - got.keys()):
        name, description, emoji = BADGES[code]
        badge = Badge(code=code, name=name, description=description, emoji=emoji)
        session.add(badge)
        session.flush()
        got[code] = (badge.id, name)
    return got


def _give_badges(
    session: Session, pairs: list[tuple[int, int]], now: datetime
) -> set[tuple[int, int]]:
    """Insert (seller, badge) holdings; returns the pairs that are new."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return set()
    rows = [{"seller_id": s, "badge_id": b, "awarded_at": now} for s, b in pairs]
    result = session.connection().execute(_statement(session, _badge_insert), rows)
    return {(int(r.seller_id), int(r.badge_id)) for r in result}


def fired_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of these achievement dedupe keys exist already."""
    if not keys:
        return set()
    result = session.connection().execute(_statement(session, _fired_keys), {"b_keys": list(keys)})
    found: list[Any] = list(result.scalars())
    return {str(k) for k in found}


def candidate_keys(candidates: Sequence[Candidate]) -> list[str]:
    return sorted({c.milestone.dedupe_key for c in candidates})


# ---- PostgreSQL: the statements of a step sent together (one round trip) ---------------------
# The claim holds the game/ordering lock from its first statement below to its commit; on
# PostgreSQL each round trip under the lock costs every queued claim its latency, so the
# statements of a step go out together (:class:`_Batch`: psycopg's pipeline mode, executed in
# order by the server, each with its own snapshot: the reads after the lock see every
# earlier commit). Each statement keeps the same text from claim to claim, so psycopg
# prepares it on the server after a few uses: no parsing and planning per claim (round 13:
# the first batch's round trip 1.2-1.5 ms as one query string, 0.9-1.2 ms as a pipeline).
_SQL: dict[str, tuple[str, dict[str, Any]]] = {}


class _Compiled:
    """A statement compiled for psycopg: its text and the values of its literal binds."""

    def __init__(self, sql: str, defaults: dict[str, Any]) -> None:
        self.sql = sql
        self.defaults = defaults

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**self.defaults, **values}


def _sql(session: Session, build: Callable[[_Dialect], Any], keys: Sequence[str] = ()) -> _Compiled:
    name = build.__name__
    got = _SQL.get(name)
    if got is None:
        compiled = build(_Dialect("postgresql")).compile(
            dialect=session.get_bind().dialect, column_keys=list(keys) or None
        )
        mine = set(keys)
        defaults = {k: v for k, v in compiled.params.items() if k not in mine and v is not None}
        got = _SQL[name] = (str(compiled), defaults)
    return _Compiled(*got)


class _Batch:
    """Statements sent to PostgreSQL in ONE round trip: psycopg's pipeline mode, each
    statement bound server-side (prepared once psycopg has seen it a few times), one Sync at
    the end. The server runs them in order; an error skips the rest and is raised at the
    end of the pipeline."""

    def __init__(self, pg: Any) -> None:
        self.pg = pg
        self.parts: list[tuple[str, dict[str, Any]]] = []

    def add(self, compiled: _Compiled, values: dict[str, Any]) -> int:
        """Queue a statement; returns its index in :meth:`run`'s results."""
        self.parts.append((compiled.sql, compiled.params(values)))
        return len(self.parts) - 1

    def add_sql(self, sql: str, params: dict[str, Any]) -> int:
        self.parts.append((sql, params))
        return len(self.parts) - 1

    def run(self) -> list[list[Any]]:
        """Send the statements; the rows each returned ([] for those without rows)."""
        return run_pipeline(self.pg, self.parts)


def _pipeline_connection(session: Session) -> Any | None:
    """The psycopg connection under the session's transaction (PostgreSQL: the batched
    path), else None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.connection().connection.driver_connection


def _naive_utc(moment: datetime) -> datetime:
    return cast(datetime, UTCDateTime().process_bind_param(moment, None))


_DAY_KEYS = ("day", "seller_id", "wins", "revenue", "margin", "updated_at")
_MONTH_KEYS = ("month", "seller_id", "wins", "revenue", "margin", "updated_at")
_STATS_KEYS = (
    "points",
    "xp",
    "level",
    "daily_streak",
    "last_active_day",
    "updated_at",
)
_ACHIEVEMENT_KEYS = (
    "seller_id",
    "kind",
    "title",
    "description",
    "emoji",
    "value",
    "period_key",
    "dedupe_key",
    "claim_id",
    "created_at",
)
_LEDGER_KEYS = (
    "seller_id",
    "points",
    "reason",
    "source",
    "ref_type",
    "ref_id",
    "dedupe_key",
    "created_at",
)


@dataclass
class Opening:
    step: StreakStep
    totals: Totals | None  # None: the seller has no stats row yet
    month: MonthSums
    fired: set[str]  # which of the ``keys`` asked about are achievements already


def open_claim(
    session: Session,
    *,
    scope: str,
    seller_id: int,
    claim_id: int,
    day: date,
    deltas: dict[int, DayNumbers],
    today: date,
    involved: Sequence[int],
    keys: Sequence[str],
    now: datetime,
) -> Opening:
    """Take the game lock, add the claim to the day and month rows, step the floor streak,
    read (and lock) the seller's running totals, the month's and today's sums and which of
    the achievement dedupe ``keys`` exist — one round trip on PostgreSQL."""
    from backend.eventlog import ORDER_LOCK_SQL, mark_order_locked, order_locked

    pg = _pipeline_connection(session)
    if pg is None:
        add_days(session, day, deltas, now)
        step = floor_streak(session, scope, seller_id, claim_id, now)
        row = (
            session.connection()
            .execute(_statement(session, _stats_read), {"b_seller": seller_id})
            .first()
        )
        month = month_and_today(session, today, involved, now)
        totals = None if row is None else _totals(row)
        return Opening(step, totals, month, fired_keys(session, keys))
    day_rows = [
        {
            "day": day,
            "seller_id": sid,
            "wins": d.wins,
            "revenue": to_micros(d.revenue),
            "margin": to_micros(d.margin),
            "updated_at": _naive_utc(now),
        }
        for sid, d in sorted(deltas.items())
        if not d.is_zero()
    ]
    first = month_start(today)
    batch = _Batch(pg)
    if not order_locked(session):
        batch.add_sql(*ORDER_LOCK_SQL)
    if day_rows:
        day_upsert = _sql(session, _day_upsert, _DAY_KEYS)
        month_upsert = _sql(session, _month_upsert, _MONTH_KEYS)
        for r in day_rows:
            batch.add(day_upsert, r)
        for r in _month_rows(day_rows):
            batch.add(month_upsert, r)
    at_streak = batch.add(
        _sql(session, _streak_update),
        {"b_scope": scope, "b_seller": seller_id, "b_claim": claim_id, "b_now": _naive_utc(now)},
    )
    at_stats = batch.add(_sql(session, _stats_read), {"b_seller": seller_id})
    at_month = batch.add(_sql(session, _month_read), {"b_month": first})
    at_days = batch.add(
        _sql(session, _days_read),
        {
            "b_today": today,
            "b_next": next_month(first),
            "b_sellers": list(involved),
            "b_now": _naive_utc(now),
        },
    )
    at_keys = batch.add(_sql(session, _fired_keys), {"b_keys": list(keys)}) if keys else None
    results = batch.run()
    streak_row = results[at_streak][0] if results[at_streak] else None
    stats_row = results[at_stats][0] if results[at_stats] else None
    month_rows, today_rows = results[at_month], results[at_days]
    fired = set() if at_keys is None else {str(r[0]) for r in results[at_keys]}
    mark_order_locked(session)
    for r in day_rows:
        _expire(session, SellerDayStats, (day, r["seller_id"]))
        _expire(session, SellerMonthStats, (month_start(day), r["seller_id"]))
    if streak_row is None:  # the very first claim: create the row
        step = floor_streak(session, scope, seller_id, claim_id, now)
    else:
        _expire(session, StreakState, scope)
        count = int(streak_row[0])
        step = StreakStep(seller_id=seller_id, count=count, fires=count >= STREAK_FIRES_AT)
    totals = None
    if stats_row is not None:
        totals = Totals(int(stats_row[0]), int(stats_row[1]), int(stats_row[2]), stats_row[3])
    sums = _sums_from(month_rows, today_rows, today)
    if sums is None:  # day rows dated after today: sum the month's day rows instead
        sums = month_from_days(session, today, involved, now)
    return Opening(step, totals, sums, fired)


def _totals(row: Any) -> Totals:
    return Totals(int(row.points), int(row.level), int(row.daily_streak), row.last_active_day)


def settle(
    session: Session,
    book: PointsBook,
    entries: Sequence[Entry],
    todo: Sequence[Candidate] = (),
) -> dict[str, int] | None:
    """Insert the ledger entries, credit the new ones and write the running totals; on
    PostgreSQL also insert the achievements of the :func:`unfired` candidates ``todo``
    (returns dedupe key → id of the new ones, for :func:`fire_all`; None: not inserted).

    On PostgreSQL one round trip: the totals are written as they will be if every entry is
    new (the usual case: the claim's own entries) in the same batch as the ledger insert;
    if one was not (its dedupe key was in the ledger already), only the new ones are credited
    and the totals are written again by ``book.save``."""
    entries = [e for e in entries if e.points != 0]
    pg = _pipeline_connection(session)
    if pg is None or not (entries or todo):
        book.award(entries)
        return None
    result = _write_batch(session, pg, book, entries, todo, badge_wants=_badge_wants(todo))
    book.badges, book.held = result.badges, result.held
    book.award(entries, result.inserted)
    _written(session, book, result.expected)
    return result.new_ids


def _badge_wants(candidates: Sequence[Candidate]) -> list[tuple[int, str]]:
    """(seller id, badge code) of each candidate that comes with a badge for a seller."""
    return [
        (c.seller.id, c.milestone.badge)
        for c in candidates
        if c.seller is not None and c.milestone.badge is not None
    ]


@dataclass
class _BatchResult:
    inserted: set[str]  # the ledger keys inserted
    new_ids: dict[str, int]  # dedupe key → id of the new achievements
    expected: dict[int, Totals]  # the totals written
    badges: dict[str, tuple[int, str]]  # the ``badge_wants`` read: code → (id, name)
    held: set[tuple[int, int]]  # of those, the (seller, badge) pairs held already


# A badge grant and its points entry in one statement: the entry only if the grant is new
# (and its points are not 0).
_GRANT_SQL = (
    "WITH g AS (INSERT INTO seller_badges (seller_id, badge_id, awarded_at)"
    " VALUES (%(seller_id)s, %(badge_id)s, %(created_at)s)"
    " ON CONFLICT (seller_id, badge_id) DO NOTHING RETURNING seller_id)"
    " INSERT INTO points_ledger (seller_id, points, reason, source, ref_type, ref_id,"
    " dedupe_key, created_at)"
    " SELECT g.seller_id, %(points)s, %(reason)s, %(source)s, %(ref_type)s, %(ref_id)s,"
    " %(dedupe_key)s, %(created_at)s FROM g WHERE %(points)s <> 0"
    " ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key"
)
_BADGE_READ_SQL = (
    "SELECT b.id, b.code, b.name, EXISTS (SELECT 1 FROM seller_badges sb"
    " WHERE sb.badge_id = b.id AND sb.seller_id = %(seller_id)s) FROM badges b"
    " WHERE b.code = %(code)s"
)


def _write_batch(
    session: Session,
    pg: Any,
    book: PointsBook,
    entries: Sequence[Entry],
    todo: Sequence[Candidate],
    *,
    badge_wants: Sequence[tuple[int, str]] = (),
    grants: dict[str, int] | None = None,
) -> _BatchResult:
    """One batch: the ledger entries (non-zero), the running totals as they will be once
    every entry is credited, the achievements of ``todo``, the badges ``badge_wants``
    ((seller, code) pairs: each badge and whether the seller holds it). ``grants``: entries
    (by dedupe key → badge id) that are badge points, inserted only together with their new
    badge grant (the grant also when the entry has no points). The caller
    credits the inserted entries, then calls :func:`_written`."""
    grants = grants or {}
    expected = {sid: replace(t) for sid, t in book.totals.items() if t.dirty}
    for e in entries:
        t = expected.get(e.seller_id)
        if t is None:
            t = expected[e.seller_id] = replace(book.of(e.seller_id))
        t.points += e.points
        t.level = level_for_xp(max(0, t.points))
    now = _naive_utc(book.now)
    batch = _Batch(pg)
    ledger = _sql(session, _ledger_insert, _LEDGER_KEYS)
    at_ledger = []
    for e in entries:
        values = e.row(now)
        if e.dedupe_key in grants:
            at_ledger.append(
                batch.add_sql(_GRANT_SQL, {**values, "badge_id": grants[e.dedupe_key]})
            )
        else:
            at_ledger.append(batch.add(ledger, values))
    write = _sql(session, _stats_write, _STATS_KEYS)
    for sid, t in sorted(expected.items()):
        batch.add(
            write,
            {
                "b_seller": sid,
                "points": t.points,
                "xp": max(0, t.points),
                "level": t.level,
                "daily_streak": t.daily_streak,
                "last_active_day": t.last_active_day,
                "updated_at": now,
            },
        )
    achievement = _sql(session, _achievement_insert, _ACHIEVEMENT_KEYS)
    at_new = [batch.add(achievement, _raw_achievement(r)) for r in _achievement_rows(todo, now)]
    at_badges = [
        batch.add_sql(_BADGE_READ_SQL, {"seller_id": sid, "code": code})
        for sid, code in dict.fromkeys(badge_wants)
    ]
    results = batch.run()
    inserted = {str(r[0]) for i in at_ledger for r in results[i]}
    new_ids = {str(r[1]): int(r[0]) for i in at_new for r in results[i]}
    badges: dict[str, tuple[int, str]] = {}
    held: set[tuple[int, int]] = set()
    for (sid, _code), i in zip(dict.fromkeys(badge_wants), at_badges, strict=True):
        for badge_id, code, name, is_held in results[i]:
            badges[str(code)] = (int(badge_id), str(name))
            if is_held:
                held.add((sid, int(badge_id)))
    return _BatchResult(inserted, new_ids, expected, badges, held)


def _written(session: Session, book: PointsBook, expected: dict[int, Totals]) -> None:
    """After :func:`_write_batch` and the credits: totals written as they are now are clean;
    any other (an entry was in the ledger already) is left for ``book.save`` to rewrite."""
    for sid, want in expected.items():
        _expire(session, SellerStats, sid)
        totals = book.totals[sid]
        totals.dirty = totals != replace(want, dirty=totals.dirty)


def _raw_achievement(row: dict[str, Any]) -> dict[str, Any]:
    value = row["value"]
    return {**row, "value": None if value is None else to_micros(value)}
