"""The statements the game writes and reads its rows with, built from the models (one
builder per statement; :func:`backend.db.batch.prebuilt` builds each once per dialect,
:func:`backend.db.batch.compiled` once for the PostgreSQL batches)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    Integer,
    String,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    select,
    type_coerce,
    update,
)

from backend.db.batch import Dialect, table_of
from backend.db.types import UTCDateTime
from backend.models import (
    Achievement,
    Badge,
    Challenge,
    PersonalGoal,
    PointsEntry,
    SalesGoal,
    SellerBadge,
    SellerStats,
    StreakState,
)
from backend.models.game import SellerDayStats, SellerMonthStats


def columns_of(model: type[Any], *, without: tuple[str, ...] = ("id",)) -> tuple[str, ...]:
    """The names of the columns a row of ``model`` is written with (the compiled INSERT or
    UPDATE takes these as parameters)."""
    return tuple(c.name for c in table_of(model).c if c.name not in without)


# ---- floor streak, day and month rows --------------------------------------------------
def streak_update(d: Dialect) -> Any:
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


def _adding_upsert(d: Dialect, model: type[Any], period: str) -> Any:
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


def day_upsert(d: Dialect) -> Any:
    return _adding_upsert(d, SellerDayStats, "day")


def month_upsert(d: Dialect) -> Any:
    return _adding_upsert(d, SellerMonthStats, "month")


def month_sums(d: Dialect) -> Any:
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
            *activity_checks(d),  # constant columns: saves a round trip
        )
        .where(t.c.day >= bindparam("b_first", type_=Date()), t.c.day <= bindparam("b_today"))
        .group_by(t.c.seller_id)
    )


def month_read(d: Dialect) -> Any:
    t = table_of(SellerMonthStats)
    return select(
        t.c.seller_id,
        type_coerce(t.c.wins, BigInteger()),
        type_coerce(t.c.revenue, BigInteger()),  # micro-dollars as stored: no Decimal per row
        type_coerce(t.c.margin, BigInteger()),
    ).where(t.c.month == bindparam("b_month", type_=Date()))


def today_rows(d: Dialect) -> Any:
    """Today's day rows and any of a later day of the month (normally none: claims are
    dated when they happen)."""
    t = table_of(SellerDayStats)
    return select(
        t.c.seller_id,
        type_coerce(t.c.wins, BigInteger()),
        type_coerce(t.c.revenue, BigInteger()),
        type_coerce(t.c.margin, BigInteger()),
        t.c.day,
    ).where(
        t.c.day >= bindparam("b_today", type_=Date()),
        t.c.day < bindparam("b_next", type_=Date()),
    )


def days_read(d: Dialect) -> Any:
    """:func:`today_rows` and whether goals / challenges are active (constant columns:
    saves a statement)."""
    return today_rows(d).add_columns(*activity_checks(d))


def activity_checks(d: Dialect) -> list[Any]:
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


def activity(d: Dialect) -> Any:
    return select(*activity_checks(d))


def stats_read(d: Dialect) -> Any:
    t = table_of(SellerStats)
    return (
        select(t.c.points, t.c.level, t.c.daily_streak, t.c.last_active_day)
        .where(t.c.seller_id == bindparam("b_seller"))
        .with_for_update()
    )


def stats_write(d: Dialect) -> Any:
    t = table_of(SellerStats)
    return update(t).where(t.c.seller_id == bindparam("b_seller"))


def ledger_insert(d: Dialect) -> Any:
    t = table_of(PointsEntry)
    return (
        d.insert(t)
        .on_conflict_do_nothing(index_elements=[t.c.dedupe_key])
        .returning(t.c.dedupe_key, t.c.id)  # the key first: as ``badge_grant`` returns it
    )


def fired_keys(d: Dialect) -> Any:
    """Which of the dedupe keys ``b_keys`` are achievements already."""
    t = table_of(Achievement)
    if d.name == "postgresql":
        # one index probe per key: ``dedupe_key = ANY(:keys)`` with ~30 keys is planned as a
        # scan of the whole (small, growing) table, ~5x slower at a few thousand rows
        keys = func.unnest(bindparam("b_keys", type_=ARRAY(String()))).table_valued("key")
        k = keys.render_derived(name="k")
        hit = select(literal_column("1")).where(t.c.dedupe_key == k.c.key).scalar_subquery()
        probed = select(k.c.key, hit.label("hit")).subquery("t")
        return select(probed.c.key).where(probed.c.hit.is_not(None))
    return select(t.c.dedupe_key).where(d.one_of(t.c.dedupe_key, "b_keys", String()))


def achievement_insert(d: Dialect) -> Any:
    t = table_of(Achievement)
    return (
        d.insert(t)
        .on_conflict_do_nothing(index_elements=[t.c.dedupe_key])
        .returning(t.c.id, t.c.dedupe_key)
    )


def badge_insert(d: Dialect) -> Any:
    t = table_of(SellerBadge)
    return (
        d.insert(t)
        .on_conflict_do_nothing(index_elements=[t.c.seller_id, t.c.badge_id])
        .returning(t.c.seller_id, t.c.badge_id)
    )


# ---- PostgreSQL only (data-modifying WITH) ---------------------------------------------------
def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


def badge_grant(d: Dialect) -> Any:
    """A badge grant and its points entry in one statement: the entry only if the grant is
    new (and its points are not 0). Parameters: the ledger row's, and ``badge_id``."""
    sb, pe = table_of(SellerBadge), table_of(PointsEntry)
    granted = (
        d.insert(sb)
        .values(
            seller_id=_param("seller_id", sb.c.seller_id),
            badge_id=_param("badge_id", sb.c.badge_id),
            awarded_at=_param("created_at", sb.c.awarded_at),
        )
        .on_conflict_do_nothing(index_elements=[sb.c.seller_id, sb.c.badge_id])
        .returning(sb.c.seller_id)
        .cte("g")
    )
    entry = columns_of(PointsEntry, without=("id", "seller_id"))
    points = _param("points", pe.c.points)
    rows = select(granted.c.seller_id, *[_param(c, pe.c[c]) for c in entry]).where(points != 0)
    return (
        d.insert(pe)
        .from_select(["seller_id", *entry], rows)
        .on_conflict_do_nothing(index_elements=[pe.c.dedupe_key])
        .returning(pe.c.dedupe_key)
        .add_cte(granted)
    )


def badge_read(d: Dialect) -> Any:
    """A badge (by ``code``) and whether seller ``seller_id`` holds it."""
    b, sb = table_of(Badge), table_of(SellerBadge)
    held = exists().where(
        sb.c.badge_id == b.c.id, sb.c.seller_id == _param("seller_id", sb.c.seller_id)
    )
    return select(b.c.id, b.c.code, b.c.name, held).where(b.c.code == _param("code", b.c.code))
