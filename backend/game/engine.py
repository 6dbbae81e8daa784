"""The game engine: runs the pure rules against the database inside the caller's
transaction (claim, numbers changed, sweep) and writes what they decide."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.micros import to_micros
from backend.eventlog import append_event
from backend.game import awards, daystats, progress
from backend.game import numbers as game_numbers
from backend.game.daystats import DayNumbers
from backend.game.rules import milestones as mrules
from backend.game.rules import points as prules
from backend.game.rules.periods import local_day, period_days
from backend.game.writer import achievements
from backend.game.writer import claim as claim_steps
from backend.game.writer.candidates import Candidate, candidate_keys, unfired
from backend.game.writer.points import Entry, PointsBook
from backend.game.writer.sums import active_goals_and_challenges
from backend.models import AttributionShareEntry, Claim, QueueItem, Seller
from backend.settings import Settings

# One share entry of a claim as stored: (seller id, revenue_usd, margin_usd).
ShareNumbers = tuple[int, Decimal | None, Decimal | None]

ALL_BOARDS = ["wins", "revenue", "margin", "conversion"]
FLOOR = "floor"


def run_claim(
    session: Session,
    claim: Claim,
    item: QueueItem,
    seller: Seller,
    settings: Settings,
    now: datetime,
    *,
    entries: list[ShareNumbers] | None = None,
) -> None:
    """Everything a new claim sets off, in the claim's transaction (see hooks.on_claim).

    The hot path (``writer.claim``): about ten statements for a claim that fires nothing, all
    under the game lock (taken first: the numbers read below include every earlier commit).
    ``entries``: the claim's share entries (seller, revenue, margin) if the caller has them.
    """
    tz = settings.tz
    today = local_day(now, tz)
    day = local_day(claim.claimed_at or now, tz)
    session.flush()
    if entries is None:
        entries = [
            (sid, rev, mar)
            for sid, rev, mar in session.execute(
                select(
                    AttributionShareEntry.seller_id,
                    AttributionShareEntry.revenue_usd,
                    AttributionShareEntry.margin_usd,
                ).where(AttributionShareEntry.claim_id == claim.id)
            )
        ]
    involved = {seller.id} | {sid for sid, _, _ in entries}
    # A brand-new claim has no adjustment and no refund yet: adding its numbers to the day
    # rows is exact (the sweep re-derives recent days from the base rows anyway).
    deltas = {sid: daystats.DayNumbers() for sid in involved}
    if not claim.refunded and item.status != "excluded":
        deltas[claim.claimed_by].wins += 1
        for sid, rev, mar in entries:
            deltas[sid].revenue += rev or Decimal(0)
            deltas[sid].margin += mar or Decimal(0)
    sellers = {seller.id: seller}
    if involved - {seller.id}:
        others = select(Seller).where(Seller.id.in_(sorted(involved - {seller.id})))
        sellers.update({s.id: s for s in session.scalars(others)})

    # the game lock (the numbers read from here on include every earlier commit), the day
    # rows, 1. the floor streak (survives restarts: a row), the totals, the month's sums
    # + which achievements that this claim could fire have fired already
    jackpot = mrules.jackpot(item.id, item.revenue_usd) if item.is_jackpot else None
    reachable = _reachable_keys(today, sorted(involved)) if day == today else []
    if jackpot is not None:
        reachable = [*reachable, jackpot.dedupe_key]
    awards.serialize_sqlite(session)
    opening = claim_steps.open_claim(
        session,
        scope=FLOOR,
        seller_id=seller.id,
        claim_id=claim.id,
        day=day,
        deltas=deltas,
        today=today,
        involved=sorted(involved),
        keys=reachable,
        now=now,
    )
    step, month = opening.step, opening.month
    numbers = game_numbers.current(session)
    fires = step.count >= numbers.streak_from  # the admins' number, not the rule's default
    if fires:
        append_event(
            session,
            "streak",
            {"seller_id": seller.id, "seller_name": seller.name, "count": step.count},
        )

    # 2. points of the claim (+ jackpot bonus, + streak multiplier) and the day streak
    book = PointsBook(session, now)
    if opening.totals is not None:
        book.adopt(seller.id, opening.totals)
    batch = [
        Entry(
            seller.id,
            award.points,
            award.reason,
            award.source,
            f"{award.source}:claim:{claim.id}:seller:{seller.id}",
            "claim",
            claim.id,
        )
        for award in prules.claim_awards(
            item.is_jackpot,
            step.count,
            fires,
            claim_points=numbers.claim_points,
            jackpot_bonus=numbers.jackpot_bonus,
            multiplier=numbers.streak_multiplier,
        )
    ]
    totals = book.of(seller.id)
    day_step = prules.next_day_streak(totals.last_active_day, totals.daily_streak, today)
    if day_step.award:
        totals.daily_streak, totals.last_active_day = day_step.streak, day_step.last_active_day
        totals.dirty = True
        batch.append(
            Entry(
                seller.id,
                numbers.daily_streak_points,
                f"Daily streak: day {day_step.streak}",
                "daily_streak",
                f"daily_streak:seller:{seller.id}:{today.isoformat()}",
            )
        )

    # 3. jackpot achievement and 4. milestones (daily personal/team, monthly, top 3) — the
    # latter only for the current periods
    candidates: list[Candidate] = []
    if jackpot is not None:
        candidates.append(Candidate(jackpot, seller, claim.id, milestone_points=False))
    if day == today:
        own = {sid: to_micros(rev or Decimal(0)) for sid, rev, _ in entries}
        found = _milestone_candidates(
            today,
            sellers,
            day_of=month.today,
            month_of=month.month,
            team_today=month.team_today_revenue(),
            month_revenue=month.month_revenue_micros(),
            completer=seller,
            own=own,
            fired=opening.fired,
        )
        candidates += [Candidate(m, who, claim.id) for m, who in found]
    # the claim's ledger entries, the running totals and the achievements that are new:
    # one round trip (PG)
    fired = opening.fired
    unasked = set(candidate_keys(candidates)) - set(reachable)
    if unasked:  # not foreseen by _reachable_keys (never, while it matches the rules)
        fired = fired | achievements.fired_keys(session, sorted(unasked))
    todo = unfired(candidates, fired)
    new_ids = claim_steps.settle(session, book, batch, todo)
    achievements.fire_all(session, book, todo, fired=set(), new_ids=new_ids)
    book.save()

    # 5. goals and challenges (``progress``; skipped when there are none)
    goals, challenges = month.activity or active_goals_and_challenges(
        session, sorted(involved), now
    )
    if goals:
        sums = progress.PeriodSums(session, today)
        sums.prime(period_days("month", today), month.month_all())
        sums.prime(period_days("today", today), month.today_all())
        progress.evaluate_goals(
            session, sums, now, seller_ids=involved, completer=seller, sellers=sellers
        )
    if challenges:
        progress.evaluate_challenges(session, now, involved, sellers)

    append_event(session, "leaderboard:refresh", {"boards": ALL_BOARDS})


def _milestone_candidates(
    today: date,
    sellers: dict[int, Seller],
    *,
    day_of: Callable[[int], DayNumbers],
    month_of: Callable[[int], DayNumbers],
    team_today: Decimal,
    month_revenue: Mapping[int, Decimal | int],
    completer: Seller | None,
    own: Mapping[int, Decimal | int] | None,
    fired: set[str] | None = None,
) -> list[tuple[mrules.Milestone, Seller | None]]:
    """Every milestone the current numbers reach (fired or not: the dedupe key decides).
    ``month_revenue``: every seller's month revenue, for the top-3 rank; ``own``: what the
    claim (or a reassignment / share change / refund) changed in each seller's month
    revenue, in the same unit, to tell the ranks before it (only a seller whose own revenue
    rose can move into the top 3; one pushed up by someone else's loss does not celebrate). ``fired``: dedupe keys known to exist — a group of
    milestones (a seller's daily, monthly or top-3 ones, the team's) whose every key is in
    it is not evaluated (all it could give would be dropped as fired)."""

    def done(sid: int | None, group: str) -> bool:
        return fired is not None and fired.issuperset(_reachable(sid, today)[group])

    candidates: list[tuple[mrules.Milestone, Seller | None]] = []
    for sid in sorted(sellers):
        seller = sellers[sid]
        if not done(sid, "daily"):
            revenue = day_of(sid).revenue
            candidates += [(x, seller) for x in mrules.daily_revenue(sid, today, revenue)]
        if not done(sid, "monthly"):
            m = month_of(sid)
            candidates += [(x, seller) for x in mrules.monthly(sid, today, m.revenue, m.wins)]
    if not done(None, "team"):
        candidates += [(x, completer) for x in mrules.team_daily_revenue(today, team_today)]
    ranked = [
        sid
        for sid in sorted(own or ())
        if sid in sellers and own and own[sid] > 0 and not done(sid, "rank")
    ]
    if own and ranked:
        after = {sid: v for sid, v in month_revenue.items() if v > 0}
        before = {
            sid: month_revenue.get(sid, 0) - own.get(sid, 0) for sid in {*month_revenue, *own}
        }
        before = {sid: v for sid, v in before.items() if v > 0}
        for sid in ranked:
            old, new = _rank(before, sid), _rank(after, sid)
            candidates += [(x, sellers[sid]) for x in mrules.top_rank(sid, today, old, new)]
    return candidates


_EVERY = Decimal(10) ** 15  # more than any threshold: every milestone of a period
_REACHABLE: dict[tuple[int | None, date], dict[str, list[str]]] = {}


def _reachable(sid: int | None, today: date) -> dict[str, list[str]]:
    """The dedupe keys of every milestone a claim on ``today`` could fire for seller ``sid``
    (``daily``, ``monthly``, ``rank``: top 3) or the team (``sid`` None: ``team``)."""
    got = _REACHABLE.get((sid, today))
    if got is None:
        if len(_REACHABLE) > 10_000:
            _REACHABLE.clear()
        if sid is None:
            groups = {"team": mrules.team_daily_revenue(today, _EVERY)}
        else:
            groups = {
                "daily": mrules.daily_revenue(sid, today, _EVERY),
                "monthly": mrules.monthly(sid, today, _EVERY, 10**9),
                "rank": [
                    m
                    for rank in range(1, mrules.TOP_RANKS + 1)
                    for m in mrules.top_rank(sid, today, None, rank)
                ],
            }
        got = {name: [m.dedupe_key for m in found] for name, found in groups.items()}
        _REACHABLE[(sid, today)] = got
    return got


def _reachable_keys(today: date, seller_ids: list[int]) -> list[str]:
    """Every key :func:`_reachable` gives for the team and these sellers: looked up with the
    claim's first statements, before the numbers are known."""
    return [
        key
        for sid in [None, *seller_ids]
        for keys in _reachable(sid, today).values()
        for key in keys
    ]


def _rank(values: Mapping[int, Decimal | int], seller_id: int) -> int | None:
    """``rules.ranking.rank_of`` (competition ranking: 1 + how many are strictly higher)."""
    mine = values.get(seller_id)
    if mine is None:
        return None
    return 1 + sum(1 for v in values.values() if v > mine)


def _milestones(
    session: Session,
    sums: progress.PeriodSums,
    today: date,
    sellers: dict[int, Seller],
    now: datetime,
    *,
    claim_id: int | None,
    completer: Seller | None,
    own_revenue: dict[int, Decimal] | None,
) -> None:
    """Fire every milestone the current numbers reach that has not fired yet (the unique
    dedupe key is the final word)."""
    day_sums, month_sums = sums.period("today"), sums.period("month")
    candidates = _milestone_candidates(
        today,
        sellers,
        day_of=lambda sid: day_sums.get(sid, DayNumbers()),
        month_of=lambda sid: month_sums.get(sid, DayNumbers()),
        team_today=sums.team("today").revenue,
        month_revenue={sid: n.revenue for sid, n in month_sums.items()},
        completer=completer,
        own=own_revenue,
    )
    done = achievements.fired_keys(session, [m.dedupe_key for m, _ in candidates])
    for milestone, who in candidates:
        if milestone.dedupe_key not in done:
            awards.fire(session, milestone, who, now, claim_id=claim_id)


def run_numbers_changed(
    session: Session,
    seller_ids: Iterable[int],
    claim_ids: Iterable[int],
    settings: Settings,
    now: datetime,
    boards: list[str] | None = None,
) -> None:
    """Re-aggregate the touched (seller, day) rows, then re-run milestones, goals and
    challenges for the current periods (a drop never re-fires: the dedupe keys stay)."""
    awards.serialize(session)
    session.flush()
    tz = settings.tz
    today = local_day(now, tz)
    ids = set(seller_ids)
    days = set(daystats.claim_days(session, tz, claim_ids).values()) or {today}
    if claim_ids:
        ids |= set(
            session.scalars(
                select(AttributionShareEntry.seller_id).where(
                    AttributionShareEntry.claim_id.in_(sorted(set(claim_ids)))
                )
            )
        )
    month = period_days("month", today)
    month_moved = any(month.contains(d) for d in days)
    # the month's revenue before the change: a seller whose own revenue rose (a
    # reassignment's new closer, a share split's assistant) may move into the top 3
    before = daystats.sums(session, month) if month_moved else {}
    daystats.refresh(session, tz, [(sid, d) for sid in ids for d in days], now)
    sellers = {s.id: s for s in session.scalars(select(Seller).where(Seller.id.in_(sorted(ids))))}
    sums = progress.PeriodSums(session, today)
    if month_moved:
        after = sums.period("month")
        zero = DayNumbers()
        gains = {sid: after.get(sid, zero).revenue - before.get(sid, zero).revenue for sid in ids}
        _milestones(
            session,
            sums,
            today,
            sellers,
            now,
            claim_id=None,
            completer=None,
            own_revenue={sid: g for sid, g in gains.items() if g} or None,
        )
    progress.evaluate_goals(session, sums, now, seller_ids=ids, completer=None, sellers=sellers)
    progress.evaluate_challenges(session, now, ids, sellers)
    append_event(session, "leaderboard:refresh", {"boards": boards or ALL_BOARDS})
