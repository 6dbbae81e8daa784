"""The claim's hot path: what every new claim writes, in as few round trips as possible.

The same rules and the same rows/events as the general path (``awards``/``progress``), but
written with prebuilt Core statements in batches instead of one ORM flush per row:

- the floor streak: one ``UPDATE ... RETURNING`` (the new count);
- the day rows: one ``INSERT ... ON CONFLICT DO UPDATE`` adding the claim's numbers;
- points: the seller's running totals read once (``FOR UPDATE``), the ledger entries of a
  step in one ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING``, the totals written once;
- achievements: the candidates' dedupe keys looked up in one query, the new ones inserted
  in one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (the unique key stays the final
  word), their badges likewise;
- the month's and today's per-seller sums in one query, which also says whether any goal or
  challenge is active (the general goal/challenge code runs only then).

The claim takes the game lock (= the event-order lock, ``awards.serialize``) in its first
statement here and holds it to its commit. On PostgreSQL the independent statements of a
step go out together in a psycopg pipeline (:func:`open_claim`: lock, day rows, streak,
totals, month sums; :func:`settle`: ledger entries and fired keys), so a claim holds the
lock for ~5 round trips instead of ~35. ORM copies of rows written here that the session
may hold are expired, so the general path, if it runs later in the same transaction
(goals, challenges), reads the new values.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from backend.db.types import MICRO, UTCDateTime
from backend.eventlog import append_event
from backend.game.awards import achievement_payload
from backend.game.daystats import DayNumbers
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
from backend.models.game import SellerDayStats


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
    """Forget the session's ORM copy of a row written with a Core statement (if any)."""
    obj = session.identity_map.get(session.identity_key(model, key))
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
def _day_upsert(d: _Dialect) -> Any:
    t = table_of(SellerDayStats)
    ins = d.insert(t)
    return ins.on_conflict_do_update(
        index_elements=[t.c.day, t.c.seller_id],
        set_={
            "wins": t.c.wins + ins.excluded.wins,
            "revenue": t.c.revenue + ins.excluded.revenue,
            "margin": t.c.margin + ins.excluded.margin,
            "updated_at": ins.excluded.updated_at,
        },
    )


def add_days(session: Session, day: date, deltas: dict[int, DayNumbers], now: datetime) -> None:
    """``daystats.add`` for several sellers of one day, in one upsert."""
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
    session.connection().execute(_statement(session, _day_upsert), rows)
    for r in rows:
        _expire(session, SellerDayStats, (day, r["seller_id"]))


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


@dataclass
class MonthSums:
    """Per-seller sums of the month to date and of today, as raw micro-dollar integers
    (``rows``: seller → (wins, revenue, margin, rows today, wins, revenue, margin today)),
    and whether goals / challenges are active (None: not known, no rows)."""

    rows: dict[int, tuple[int, int, int, int, int, int, int]]
    activity: tuple[bool, bool] | None

    def month_revenue_micros(self) -> dict[int, int]:
        return {sid: r[1] for sid, r in self.rows.items()}

    def team_today_revenue(self) -> Decimal:
        return to_money(sum(r[5] for r in self.rows.values()))

    def month(self, sid: int) -> DayNumbers:
        r = self.rows.get(sid)
        return DayNumbers() if r is None else DayNumbers(r[0], to_money(r[1]), to_money(r[2]))

    def today(self, sid: int) -> DayNumbers:
        r = self.rows.get(sid)
        if r is None or not r[3]:
            return DayNumbers()
        return DayNumbers(r[4], to_money(r[5]), to_money(r[6]))

    def month_all(self) -> dict[int, DayNumbers]:
        """As ``daystats.sums`` gives them for ``period_days("month")``."""
        return {sid: self.month(sid) for sid in self.rows}

    def today_all(self) -> dict[int, DayNumbers]:
        """As ``daystats.sums`` gives them for ``period_days("today")``."""
        return {sid: self.today(sid) for sid, r in self.rows.items() if r[3]}


def month_and_today(
    session: Session, today: date, seller_ids: Sequence[int], now: datetime
) -> MonthSums:
    """The month's and today's per-seller sums in one query, with whether any team goal,
    personal goal of ``seller_ids`` or challenge is active (see
    :func:`active_goals_and_challenges`)."""
    result = session.connection().execute(
        _statement(session, _month_sums),
        {
            "b_first": today.replace(day=1),
            "b_today": today,
            "b_sellers": list(seller_ids),
            "b_now": now,
        },
    )
    rows: dict[int, tuple[int, int, int, int, int, int, int]] = {}
    activity: tuple[bool, bool] | None = None
    row: Any
    for row in result:
        sid, *numbers, team, personal, challenge = row
        rows[int(sid)] = cast(Any, tuple(int(n or 0) for n in numbers))
        activity = (bool(team or personal), bool(challenge))
    return MonthSums(rows, activity)


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


class PointsBook:
    """The running totals of the sellers this transaction credits (read once, locked) and
    their ledger entries; ``save`` writes the totals back."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.totals: dict[int, Totals] = {}

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
        rows = [
            {
                "seller_id": e.seller_id,
                "points": e.points,
                "reason": e.reason[:200],
                "source": e.source,
                "ref_type": e.ref_type,
                "ref_id": e.ref_id,
                "dedupe_key": e.dedupe_key,
                "created_at": self.now,
            }
            for e in entries
        ]
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


def fire_all(
    session: Session,
    book: PointsBook,
    candidates: Sequence[Candidate],
    fired: set[str] | None = None,
) -> None:
    """``awards.fire`` for each candidate, in order, batched: the achievements that are new
    (one statement), their three events each, the milestone points and the badge (+ its
    points the first time)."""
    seen: set[str] = set()
    todo = []
    for c in candidates:
        if c.milestone.dedupe_key not in seen:
            seen.add(c.milestone.dedupe_key)
            todo.append(c)
    if not todo:
        return
    # most candidates fired long ago: look them up first (no insert, no id burnt)
    conn = session.connection()
    done = fired if fired is not None else fired_keys(session, sorted(seen))
    todo = [c for c in todo if c.milestone.dedupe_key not in done]
    if not todo:
        return
    now = book.now
    rows = [
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
    result = conn.execute(_statement(session, _achievement_insert), rows)
    new_ids: dict[str, int] = {r.dedupe_key: int(r.id) for r in result}
    new = [c for c in todo if c.milestone.dedupe_key in new_ids]
    if not new:
        return
    # badges that come with them: held already, or new now (once per seller)
    wanted = [
        (c.seller.id, c.milestone.badge)
        for c in new
        if c.seller is not None and c.milestone.badge is not None
    ]
    badges = _badges(session, {code for _, code in wanted}) if wanted else {}
    new_badges = _give_badges(session, [(sid, badges[code][0]) for sid, code in wanted], now)
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
                    prules.MILESTONE_POINTS,
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
                        prules.BADGE_POINTS,
                        f"Badge: {badge_name}",
                        "badge",
                        f"badge:{m.badge}:seller:{seller.id}",
                        "badge",
                        badge_id,
                    )
                    entries.append(badge_e)
        plan.append((c, points_e, badge_e))
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
# independent statements of a step go out in one psycopg pipeline (executed in order by the
# server, each with its own snapshot: the reads after the lock see every earlier commit).
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


def _run(cursor: Any, compiled: _Compiled, **values: Any) -> None:
    cursor.execute(compiled.sql, compiled.params(values))


def _pipeline_connection(session: Session) -> Any | None:
    """The psycopg connection under the session's transaction (PostgreSQL), else None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.connection().connection.driver_connection


def _naive_utc(moment: datetime) -> datetime:
    return cast(datetime, UTCDateTime().process_bind_param(moment, None))


_DAY_KEYS = ("day", "seller_id", "wins", "revenue", "margin", "updated_at")
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
    now: datetime,
) -> Opening:
    """Take the game lock, add the claim to the day rows, step the floor streak, read (and
    lock) the seller's running totals and the month's sums — one round trip on PostgreSQL."""
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
        return Opening(step, totals, month)
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
    locked = order_locked(session)
    with (
        pg.pipeline(),
        pg.cursor() as lock_c,
        pg.cursor() as day_c,
        pg.cursor() as streak_c,
        pg.cursor() as stats_c,
        pg.cursor() as month_c,
    ):
        if not locked:
            lock_c.execute(*ORDER_LOCK_SQL)
        if day_rows:
            upsert = _sql(session, _day_upsert, _DAY_KEYS)
            day_c.executemany(upsert.sql, [upsert.params(r) for r in day_rows])
        _run(
            streak_c,
            _sql(session, _streak_update),
            b_scope=scope,
            b_seller=seller_id,
            b_claim=claim_id,
            b_now=_naive_utc(now),
        )
        _run(stats_c, _sql(session, _stats_read), b_seller=seller_id)
        _run(
            month_c,
            _sql(session, _month_sums),
            b_first=today.replace(day=1),
            b_today=today,
            b_sellers=list(involved),
            b_now=_naive_utc(now),
        )
        # the first fetch sends the whole pipeline and waits for all of it
        streak_row = streak_c.fetchone()
        stats_row = stats_c.fetchone()
        month_rows = month_c.fetchall()
    mark_order_locked(session)
    for r in day_rows:
        _expire(session, SellerDayStats, (day, r["seller_id"]))
    if streak_row is None:  # the very first claim: create the row
        step = floor_streak(session, scope, seller_id, claim_id, now)
    else:
        _expire(session, StreakState, scope)
        count = int(streak_row[0])
        step = StreakStep(seller_id=seller_id, count=count, fires=count >= STREAK_FIRES_AT)
    totals = None
    if stats_row is not None:
        totals = Totals(int(stats_row[0]), int(stats_row[1]), int(stats_row[2]), stats_row[3])
    return Opening(step, totals, _month_from_rows(month_rows))


def _totals(row: Any) -> Totals:
    return Totals(int(row.points), int(row.level), int(row.daily_streak), row.last_active_day)


def _month_from_rows(result: Any) -> MonthSums:
    rows: dict[int, tuple[int, int, int, int, int, int, int]] = {}
    activity: tuple[bool, bool] | None = None
    row: Any
    for row in result:
        sid, *numbers, team, personal, challenge = row
        rows[int(sid)] = cast(Any, tuple(int(n or 0) for n in numbers))
        activity = (bool(team or personal), bool(challenge))
    return MonthSums(rows, activity)


def settle(
    session: Session, book: PointsBook, entries: Sequence[Entry], keys: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Insert ledger entries and look up which achievement keys fired already: (inserted
    ledger keys, fired achievement keys) — one round trip on PostgreSQL."""
    entries = [e for e in entries if e.points != 0]
    pg = _pipeline_connection(session)
    if pg is None or not entries or not keys:
        return book.insert(entries), fired_keys(session, keys)
    rows = [
        {
            "seller_id": e.seller_id,
            "points": e.points,
            "reason": e.reason[:200],
            "source": e.source,
            "ref_type": e.ref_type,
            "ref_id": e.ref_id,
            "dedupe_key": e.dedupe_key,
            "created_at": _naive_utc(book.now),
        }
        for e in entries
    ]
    inserted: set[str] = set()
    with pg.pipeline(), pg.cursor() as ledger_c, pg.cursor() as keys_c:
        ledger = _sql(session, _ledger_insert, _LEDGER_KEYS)
        ledger_c.executemany(ledger.sql, [ledger.params(r) for r in rows], returning=True)
        _run(keys_c, _sql(session, _fired_keys), b_keys=list(keys))
        while True:
            inserted.update(str(r[0]) for r in ledger_c.fetchall())
            if not ledger_c.nextset():
                break
        fired = {str(r[0]) for r in keys_c.fetchall()}
    return inserted, fired
