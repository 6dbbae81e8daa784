"""What finance does to a claim or a queue item after the fact (CONTRACT §4a): finance
status and note, adjustments, share splits, reassignment, refunds and exclusion.

Each action, in the CALLER's transaction (the caller commits):
1. ``versions.bump`` of the edited object (409 ``stale`` for an old ``version``; two
   writers with the same version: one wins), then the floor's write lock, so what it reads
   next includes every earlier commit;
2. the change; for a claim of a closed month, ``Clawback`` lines posted to the open month
   (per seller: the change in that seller's net margin, ``docs/admin-api/finance.md``);
3. its events, its audit row (before/after: the claim's API shape, reason) and the game
   re-run (``on_numbers_changed``: boards, metrics, goals).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.actions import audit, periods, versions
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.eventlog import append_event
from backend.game import awards
from backend.game.daystats import share_of
from backend.game.hooks import NumbersChanged, on_numbers_changed
from backend.game.rules.periods import local_day, month_key
from backend.models import (
    Achievement,
    Attribution,
    AttributionShareEntry,
    Claim,
    ClaimAdjustment,
    Exclusion,
    PointsEntry,
    QueueItem,
    Refund,
    Seller,
)
from backend.models._common import ADJUSTMENT_REASONS, FINANCE_STATUSES
from backend.models.admin import Clawback
from backend.reads.claims import claim_shape, share_text
from backend.schemas.common import money
from backend.schemas.queue import queue_item_out
from backend.settings import Settings

ONE = Decimal(1)
MAX_SHARES = 4
SHARE_QUANTUM = Decimal("0.0001")
CLAIMING_ROLES = ("sales", "sales_lead", "admin")  # who may hold a claim (CONTRACT §4)


def _item(session: Session, claim: Claim) -> QueueItem:
    item = session.get(QueueItem, claim.queue_id)
    assert item is not None  # claims.queue_id is a RESTRICT foreign key
    return item


def queue_changed(item: QueueItem, **extra: Any) -> dict[str, Any]:
    """The payload of ``queue.excluded`` / ``queue.updated`` / ``finance.status_changed``."""
    return {
        "queue_id": item.id,
        "item": queue_item_out(item).model_dump(mode="json"),
        **extra,
    }


def _claim_event(claim: Claim, change: str, seller_ids: set[int], **extra: Any) -> dict[str, Any]:
    """The payload of ``claim.adjusted`` / ``refund.applied`` (``ClaimChanged``)."""
    return {
        "claim_id": claim.id,
        "queue_id": claim.queue_id,
        "seller_id": claim.claimed_by,
        "change": change,
        "seller_ids": sorted(seller_ids),
        **extra,
    }


# ---- the steps every claim write shares ------------------------------------------------


class _Write:
    """One claim write: locked and versioned on entry, audited and posted on ``finish``."""

    def __init__(
        self,
        session: Session,
        claim: Claim,
        version: int | None,
        settings: Settings,
        actor_id: int | None,
        now: datetime,
    ) -> None:
        self.session, self.claim, self.settings = session, claim, settings
        self.actor_id, self.now = actor_id, now
        versions.bump(session, claim, version, "claim")
        awards.serialize(session)
        session.refresh(claim)
        self.before = claim_shape(session, claim.id)
        self.before["version"] = claim.version - 1
        self.net_before = net_by_seller(session, claim)

    def sellers(self) -> set[int]:
        return set(self.net_before) | set(net_by_seller(self.session, self.claim))

    def finish(
        self,
        action: str,
        kind: str | None,
        details: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Clawbacks (``kind``: a change that moves net margin), the audit row; returns the
        claim's shape after the change."""
        self.session.flush()
        if kind is not None:
            post_clawbacks(
                self.session,
                self.claim,
                self.net_before,
                kind,
                settings=self.settings,
                actor_id=self.actor_id,
                now=self.now,
            )
        after = claim_shape(self.session, self.claim.id)
        audit.record(
            self.session,
            self.actor_id,
            action,
            "claim",
            self.claim.id,
            details,
            self.now,
            before=self.before,
            after=after,
            reason=reason,
        )
        return after


def net_by_seller(session: Session, claim: Claim) -> dict[int, Decimal]:
    """Each seller's net margin from ``claim`` as the statement counts it: share of margin
    minus share of adjustments; nothing for a refunded claim or an excluded item."""
    session.flush()
    e = AttributionShareEntry
    entries = session.execute(
        select(e.seller_id, e.share, e.margin_usd).where(e.claim_id == claim.id)
    ).all()
    if claim.refunded or _item(session, claim).status == "excluded":
        return {sid: Decimal(0) for sid, _, _ in entries}
    adj = sum(
        session.scalars(
            select(ClaimAdjustment.amount_usd).where(ClaimAdjustment.claim_id == claim.id)
        ),
        Decimal(0),
    )
    return {
        sid: (margin or Decimal(0)) - (share_of(adj, share) if adj else Decimal(0))
        for sid, share, margin in entries
    }


def post_clawbacks(
    session: Session,
    claim: Claim,
    before: dict[int, Decimal],
    kind: str,
    *,
    settings: Settings,
    actor_id: int | None,
    now: datetime,
) -> list[Clawback]:
    """For a claim of a closed month: one line per seller whose net margin moved, posted to
    the current month (``margin_usd`` = before − after: positive = taken back)."""
    tz = settings.tz
    if not periods.is_closed(session, month_key(local_day(claim.claimed_at, tz))):
        return []
    after = net_by_seller(session, claim)
    month = month_key(local_day(now, tz))
    lines = []
    for sid in sorted(set(before) | set(after)):
        delta = before.get(sid, Decimal(0)) - after.get(sid, Decimal(0))
        if delta:
            line = Clawback(
                month=month,
                claim_id=claim.id,
                seller_id=sid,
                margin_usd=delta,
                kind=kind,
                created_by=actor_id,
                created_at=now,
            )
            session.add(line)
            lines.append(line)
    session.flush()
    return lines


def _shares_of(session: Session, claim: Claim) -> list[tuple[int, Decimal]]:
    """The claim's shares, the closer first."""
    e = AttributionShareEntry
    rows = session.execute(
        select(e.seller_id, e.share).where(e.claim_id == claim.id).order_by(e.id)
    ).all()
    return sorted([(sid, share) for sid, share in rows], key=lambda r: r[0] != claim.claimed_by)


def _write_shares(session: Session, claim: Claim, shares: list[tuple[int, Decimal]]) -> None:
    """Replace the claim's share entries and attribution row with ``shares`` (closer
    first); the entries' numbers are the item's × share, rounded as the claim rounds."""
    item = _item(session, claim)
    wanted = dict(shares)
    existing = {
        e.seller_id: e
        for e in session.scalars(
            select(AttributionShareEntry).where(AttributionShareEntry.claim_id == claim.id)
        )
    }
    for sid, entry in existing.items():
        if sid not in wanted:
            session.delete(entry)
    session.flush()
    for sid, share in shares:
        found = existing.get(sid)
        entry = found or AttributionShareEntry(claim_id=claim.id, seller_id=sid)
        if found is None:
            session.add(entry)
        entry.share = share
        entry.revenue_usd = None if item.revenue_usd is None else share_of(item.revenue_usd, share)
        entry.margin_usd = (
            None if item.margin_amount_usd is None else share_of(item.margin_amount_usd, share)
        )
        entry.claimed_at = claim.claimed_at
        entry.refunded = claim.refunded
    attr = session.scalar(select(Attribution).where(Attribution.claim_id == claim.id))
    if attr is None:
        attr = Attribution(claim_id=claim.id, closer_seller_id=claim.claimed_by)
        session.add(attr)
    # the attribution row keeps the closer and the first assistant (the share entries are
    # what every number reads)
    attr.closer_seller_id, attr.closer_share = shares[0]
    attr.assisted_seller_id = shares[1][0] if len(shares) > 1 else None
    attr.assisted_share = ONE - shares[0][1]
    session.flush()


def _claim_points(session: Session, claim: Claim, seller_id: int) -> int:
    """What ``claim`` earned ``seller_id`` so far, net of earlier reversals."""
    return int(
        sum(
            session.scalars(
                select(PointsEntry.points).where(
                    PointsEntry.seller_id == seller_id,
                    PointsEntry.ref_type == "claim",
                    PointsEntry.ref_id == claim.id,
                )
            ),
            0,
        )
    )


def _take_back_points(
    session: Session, claim: Claim, seller_id: int, why: str, now: datetime
) -> int:
    """A ledger entry taking back what ``claim`` earned ``seller_id``; returns the points."""
    total = _claim_points(session, claim, seller_id)
    if total > 0:
        awards.award_points(
            session,
            seller_id,
            -total,
            f"{why}: claim #{claim.id}",
            "reversal",
            now,
            ref_type="claim",
            ref_id=claim.id,
            dedupe_key=f"reversal:claim:{claim.id}:v{claim.version}:seller:{seller_id}",
        )
    return max(total, 0)


def _move_points(session: Session, claim: Claim, old: int, new: int, now: datetime) -> None:
    """The claim's points go from ``old`` to ``new`` (not for a claim off the boards)."""
    if claim.refunded or _item(session, claim).status == "excluded" or old == new:
        return
    moved = _take_back_points(session, claim, old, "Claim reassigned", now)
    if moved:
        awards.award_points(
            session,
            new,
            moved,
            f"Claim #{claim.id} reassigned to you",
            "claim",
            now,
            ref_type="claim",
            ref_id=claim.id,
            dedupe_key=f"claim:{claim.id}:v{claim.version}:moved-to:{new}",
        )


def _active_seller(session: Session, seller_id: int, field: str, code: str) -> Seller:
    seller = session.get(Seller, seller_id)
    if seller is None or not seller.is_active or seller.role not in CLAIMING_ROLES:
        raise DomainError(422, code, f"Seller {seller_id} is not an active seller.", field=field)
    return seller


def _numbers_changed(
    session: Session, w: _Write, reason: str, sellers: set[int], boards: list[str] | None = None
) -> None:
    on_numbers_changed(
        session,
        NumbersChanged(sellers, w.settings, w.now, reason, {w.claim.id}, boards),
    )


# ---- the actions -----------------------------------------------------------------------


def update_claim(
    session: Session,
    claim: Claim,
    *,
    settings: Settings,
    finance_status: str | None = None,
    note: str | None = None,
    set_note: bool = False,
    version: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Finance status and note (``set_note``: write ``note``, None clears it). A changed
    status is copied to the claim's queue item and sends ``finance.status_changed``."""
    now = now or utcnow()
    if finance_status is not None and finance_status not in FINANCE_STATUSES:
        raise DomainError(
            422,
            "invalid_finance_status",
            f"finance_status is one of {', '.join(FINANCE_STATUSES)}.",
            field="finance_status",
        )
    w = _Write(session, claim, version, settings, actor_id, now)
    previous = claim.finance_status
    changed = finance_status is not None and finance_status != previous
    if changed:
        assert finance_status is not None
        claim.finance_status = finance_status
        item = _item(session, claim)
        if item.finance_status != finance_status:
            versions.bump(session, item, None, "queue item")
            item.finance_status = finance_status
    if set_note:
        claim.note = note
    after = w.finish(
        "claim.update",
        None,
        {"finance_status": finance_status} if changed else None,
    )
    if changed:
        append_event(
            session,
            "finance.status_changed",
            queue_changed(
                _item(session, claim),
                finance_status=finance_status,
                previous_status=previous,
                claim_id=claim.id,
            ),
            subscription_id=claim.subscription_id,
            actor=actor_id,
        )
    return after


def add_adjustment(
    session: Session,
    claim: Claim,
    amount: Decimal,
    reason: str,
    *,
    settings: Settings,
    note: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
    version: int | None = None,
) -> ClaimAdjustment:
    """Take ``amount`` off the claim's margin: each seller's margin drops by amount × their
    share; ``claim.adjusted``."""
    now = now or utcnow()
    amount = Decimal(amount)
    if not amount > 0:
        raise DomainError(
            422, "invalid_amount", "An adjustment amount is more than 0.", field="amount"
        )
    if reason not in ADJUSTMENT_REASONS:
        raise DomainError(
            422,
            "invalid_reason",
            f"Reason is one of {', '.join(ADJUSTMENT_REASONS)}.",
            field="reason",
        )
    w = _Write(session, claim, version, settings, actor_id, now)
    adj = ClaimAdjustment(
        claim_id=claim.id,
        amount_usd=amount,
        reason=reason,
        note=note,
        created_by=actor_id,
        created_at=now,
    )
    session.add(adj)
    session.flush()
    w.finish(
        "claim.adjust",
        "adjustment",
        {"adjustment_id": adj.id, "amount_usd": money(amount), "note": note},
        reason=reason,
    )
    sellers = w.sellers()
    append_event(
        session,
        "claim.adjusted",
        _claim_event(
            claim,
            "adjustment",
            sellers,
            adjustment_id=adj.id,
            amount_usd=money(amount),
            reason=reason,
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    _numbers_changed(session, w, "adjustment", sellers, ["margin"])
    return adj


def parse_shares(raw: list[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """1–4 (seller, share) pairs, distinct sellers, each share > 0 with at most 4 decimals,
    summing to exactly 1; 422 ``bad_shares`` otherwise (sellers are checked later)."""

    def bad(message: str) -> DomainError:
        return DomainError(422, "bad_shares", message, field="shares")

    if not 1 <= len(raw) <= MAX_SHARES:
        raise bad(f"A claim has 1 to {MAX_SHARES} shares.")
    seen: set[int] = set()
    out = []
    for sid, share in raw:
        share = Decimal(share)
        if not share.is_finite() or share <= 0 or share > ONE:
            raise bad("Each share is more than 0 and at most 1.")
        if share != share.quantize(SHARE_QUANTUM):
            raise bad("A share has at most 4 decimals (0.3333).")
        if sid in seen:
            raise bad("A seller appears twice in the shares.")
        seen.add(sid)
        out.append((sid, share.quantize(SHARE_QUANTUM)))
    if sum((s for _, s in out), Decimal(0)) != ONE:
        raise bad("The shares add up to exactly 1.")
    return out


def set_shares(
    session: Session,
    claim: Claim,
    shares: list[tuple[int, Decimal]],
    *,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
    version: int | None = None,
) -> Claim:
    """Split a claim between 1–4 active sellers (shares summing to exactly 1). The first
    entry is the closer and holds the win: when that is another seller, the claim's points
    move to them as in a reassignment. ``claim.adjusted``."""
    now = now or utcnow()
    shares = parse_shares(shares)
    for sid, _ in shares:
        try:
            _active_seller(session, sid, "shares", "bad_shares")
        except DomainError as exc:
            raise DomainError(422, "bad_shares", exc.message, field="shares") from None
    w = _Write(session, claim, version, settings, actor_id, now)
    old = claim.claimed_by
    new = shares[0][0]
    _move_points(session, claim, old, new, now)
    claim.claimed_by = new
    session.flush()
    _write_shares(session, claim, shares)
    w.finish(
        "claim.share_split",
        "shares",
        {"shares": [{"seller_id": s, "share": share_text(v)} for s, v in shares]},
    )
    sellers = w.sellers() | {old}
    append_event(
        session,
        "claim.adjusted",
        _claim_event(
            claim,
            "shares",
            sellers,
            shares=[{"seller_id": s, "share": share_text(v)} for s, v in shares],
            previous_seller_id=old if old != new else None,
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    boards = None if old != new else ["revenue", "margin"]
    _numbers_changed(session, w, "share_split", sellers, boards)
    return claim


def set_share_split(
    session: Session,
    claim: Claim,
    *,
    closer_share: Decimal,
    assisted_seller_id: int | None,
    assisted_share: Decimal,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Attribution:
    """The closer and one assistant (the older form of :func:`set_shares`)."""
    closer_share, assisted_share = Decimal(closer_share), Decimal(assisted_share)
    if assisted_share > 0 and assisted_seller_id is None:
        raise DomainError(422, "bad_shares", "An assisted share needs an assisting seller.")
    shares = [(claim.claimed_by, closer_share)]
    if assisted_seller_id is not None and assisted_share > 0:
        shares.append((assisted_seller_id, assisted_share))
    set_shares(session, claim, shares, settings=settings, actor_id=actor_id, now=now)
    attr = session.scalar(select(Attribution).where(Attribution.claim_id == claim.id))
    assert attr is not None
    return attr


def reassign_claim(
    session: Session,
    claim: Claim,
    new_seller: Seller,
    *,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
    version: int | None = None,
    reason: str | None = None,
) -> Claim:
    """Give a claim to another active seller: the closer's share, the win, revenue, margin
    and the claim's points move (an assistant keeps theirs; an assistant who becomes the
    closer adds the closer's share to their own). The same seller: nothing changes."""
    now = now or utcnow()
    if new_seller.id == claim.claimed_by:
        if version is not None and version != claim.version:
            raise versions.stale("claim", claim.version)
        return claim
    _active_seller(session, new_seller.id, "seller_id", "invalid_seller")
    w = _Write(session, claim, version, settings, actor_id, now)
    old = claim.claimed_by
    if new_seller.id == old:  # changed while we waited for the lock
        return claim
    merged: dict[int, Decimal] = {}
    for sid, share in _shares_of(session, claim) or [(old, ONE)]:
        who = new_seller.id if sid == old else sid
        merged[who] = merged.get(who, Decimal(0)) + share
    shares = sorted(merged.items(), key=lambda kv: kv[0] != new_seller.id)
    _move_points(session, claim, old, new_seller.id, now)
    claim.claimed_by = new_seller.id
    session.flush()
    _write_shares(session, claim, shares)
    w.finish("claim.reassign", "reassigned", {"from": old, "to": new_seller.id}, reason=reason)
    sellers = w.sellers() | {old, new_seller.id}
    append_event(
        session,
        "claim.adjusted",
        _claim_event(
            claim, "reassigned", sellers, previous_seller_id=old, seller_name=new_seller.name
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    _numbers_changed(session, w, "reassignment", sellers)
    return claim


def apply_refund(
    session: Session,
    claim: Claim,
    *,
    settings: Settings,
    amount: Decimal | None = None,
    reason: str | None = None,
    note: str | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
    version: int | None = None,
) -> Refund:
    """A refunded claim leaves every board and metric; its points are taken back with a
    ledger entry, and the achievements it set off read ``refunded``. Again: 409
    ``already_refunded``."""
    now = now or utcnow()
    if claim.refunded:
        raise DomainError(409, "already_refunded", "This claim was refunded already.")
    w = _Write(session, claim, version, settings, actor_id, now)
    if claim.refunded:  # refunded while we waited for the lock
        raise DomainError(409, "already_refunded", "This claim was refunded already.")
    if amount is None:  # the whole sale
        amount = _item(session, claim).revenue_usd
    refund = Refund(
        claim_id=claim.id, amount_usd=amount, reason=reason, created_by=actor_id, created_at=now
    )
    session.add(refund)
    if _item(session, claim).status != "excluded":
        _take_back_points(session, claim, claim.claimed_by, "Refunded", now)
    claim.refunded = True
    session.execute(
        update(AttributionShareEntry)
        .where(AttributionShareEntry.claim_id == claim.id)
        .values(refunded=True),
        execution_options={"synchronize_session": "fetch"},
    )
    marked = list(session.scalars(select(Achievement.id).where(Achievement.claim_id == claim.id)))
    if marked:
        session.execute(
            update(Achievement).where(Achievement.id.in_(marked)).values(refunded=True),
            execution_options={"synchronize_session": "fetch"},
        )
    session.flush()
    w.finish(
        "claim.refund",
        "refund",
        {"refund_id": refund.id, "amount_usd": money(amount), "note": note},
        reason=reason,
    )
    sellers = w.sellers() | {claim.claimed_by}
    append_event(
        session,
        "refund.applied",
        _claim_event(
            claim,
            "refund",
            sellers,
            refund_id=refund.id,
            amount_usd=money(amount),
            reason=reason,
            achievement_ids=marked or None,
        ),
        subscription_id=claim.subscription_id,
        actor=actor_id,
    )
    _numbers_changed(session, w, "refund", sellers)
    return refund


def exclude_item(
    session: Session,
    queue_item: QueueItem,
    reason: str,
    *,
    settings: Settings,
    actor_id: int | None = None,
    now: datetime | None = None,
    version: int | None = None,
) -> Exclusion:
    """Take an item off the floor (``queue.excluded``); a claimed item's claim leaves the
    boards with it (its points taken back; a closed month's claim: clawbacks)."""
    now = now or utcnow()
    if not reason.strip():
        raise DomainError(422, "invalid_reason", "An exclusion needs a reason.", field="reason")
    versions.bump(session, queue_item, version, "queue item")
    awards.serialize(session)
    session.refresh(queue_item)
    if queue_item.status == "excluded":
        raise DomainError(409, "already_excluded", "This item is excluded already.")
    claim = session.scalar(select(Claim).where(Claim.queue_id == queue_item.id))
    net_before = net_by_seller(session, claim) if claim is not None else {}
    was = queue_item.status
    queue_item.status = "excluded"
    ex = Exclusion(
        queue_id=queue_item.id, reason=reason.strip(), excluded_by=actor_id, created_at=now
    )
    session.add(ex)
    session.flush()
    append_event(
        session,
        "queue.excluded",
        queue_changed(queue_item, reason=ex.reason, previous_status=was),
        subscription_id=queue_item.subscription_id,
        actor=actor_id,
    )
    audit.record(
        session,
        actor_id,
        "queue.exclude",
        "queue",
        queue_item.id,
        {"previous_status": was, "claim_id": claim.id if claim is not None else None},
        now,
        before={"status": was},
        after={"status": "excluded"},
        reason=ex.reason,
    )
    if claim is not None:
        if not claim.refunded:
            versions.bump(session, claim, None, "claim")
            _take_back_points(session, claim, claim.claimed_by, "Excluded", now)
        post_clawbacks(
            session, claim, net_before, "excluded", settings=settings, actor_id=actor_id, now=now
        )
        sellers = set(net_before) | {claim.claimed_by}
        on_numbers_changed(session, NumbersChanged(sellers, settings, now, "exclusion", {claim.id}))
    return ex
