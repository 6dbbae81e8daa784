"""Finance's changes to queue items (CONTRACT §4a): edit an item, set the finance status of
many at once, exclude a pending item. Each one bumps the item's ``version``, writes its
audit row and appends its events in the CALLER's transaction (the route commits).

A claimed item's finance status is the claim's too: setting it on the item sets it on the
claim (whose version moves with it), so the queue and the claims list never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actions import audit, versions
from backend.db.types import utcnow
from backend.errors import DomainError, not_found, stale
from backend.eventlog import append_event
from backend.models import Claim, Exclusion, QueueItem
from backend.schemas.queue import queue_item_out

MAX_BULK = 500


def admin_item_out(item: QueueItem) -> dict[str, Any]:
    """An item as in ``GET /api/queue`` plus ``status``, ``version`` and ``note``."""
    return {**queue_item_out(item).model_dump(mode="json"), "version": item.version}


def _snapshot(item: QueueItem) -> dict[str, Any]:
    """What the audit keeps of an item around a change."""
    return {
        "status": item.status,
        "finance_status": item.finance_status,
        "customer_name": item.customer_name,
        "note": item.note,
        "version": item.version,
    }


def _payload(item: QueueItem, **extra: Any) -> dict[str, Any]:
    """``QueueChanged``: the item as in ``GET /api/queue`` (the relay masks TV copies)."""
    return {"queue_id": item.id, "item": queue_item_out(item).model_dump(mode="json"), **extra}


def _get(session: Session, queue_id: int) -> QueueItem:
    item = session.get(QueueItem, queue_id, with_for_update=_locks(session))
    if item is None:
        raise not_found("queue item")
    return item


def _locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _set_status(
    session: Session, item: QueueItem, status: str, actor_id: int | None, now: datetime
) -> int | None:
    """Set ``item``'s finance status, and its claim's when it is claimed (returns the
    claim's id then). The caller has bumped the item's version."""
    item.finance_status = status
    claim = session.scalar(select(Claim).where(Claim.queue_id == item.id))
    if claim is None:
        return None
    if claim.finance_status != status:
        before = claim.finance_status
        versions.bump(session, claim, None, "claim")
        claim.finance_status = status
        audit.record(
            session,
            actor_id,
            "claim.finance_status",
            "claim",
            claim.id,
            {"via": "queue", "queue_id": item.id},
            now,
            before={"finance_status": before},
            after={"finance_status": status, "version": claim.version},
        )
    return claim.id


def update_item(
    session: Session,
    queue_id: int,
    *,
    changes: dict[str, Any],
    version: int | None,
    actor_id: int | None,
    now: datetime | None = None,
) -> QueueItem:
    """PATCH an item: ``changes`` holds any of ``finance_status``, ``customer_name``,
    ``note`` (None clears a note). ``finance.status_changed`` when the status changed,
    ``queue.updated`` when anything else did; nothing changed: nothing written."""
    now = now or utcnow()
    item = _get(session, queue_id)
    if version is not None and version != item.version:
        raise stale("queue item", item.version)
    status = changes.get("finance_status", item.finance_status)
    rest = {k: v for k, v in changes.items() if k != "finance_status" and getattr(item, k) != v}
    status_moved = status != item.finance_status
    if not status_moved and not rest:
        return item
    before = _snapshot(item)
    versions.bump(session, item, version, "queue item")
    claim_id = None
    if status_moved:
        claim_id = _set_status(session, item, status, actor_id, now)
    for key, value in rest.items():
        setattr(item, key, value)
    session.flush()
    audit.record(
        session,
        actor_id,
        "queue.update",
        "queue",
        item.id,
        {"fields": sorted([*rest] + (["finance_status"] if status_moved else []))},
        now,
        before=before,
        after=_snapshot(item),
    )
    if status_moved:
        append_event(
            session,
            "finance.status_changed",
            _payload(
                item,
                finance_status=status,
                previous_status=before["finance_status"],
                claim_id=claim_id,
            ),
            subscription_id=item.subscription_id,
            actor=actor_id,
        )
    if rest:
        append_event(
            session,
            "queue.updated",
            _payload(item),
            subscription_id=item.subscription_id,
            actor=actor_id,
        )
    return item


def set_finance_status(
    session: Session,
    ids: Sequence[int],
    status: str,
    *,
    actor_id: int | None,
    now: datetime | None = None,
) -> list[QueueItem]:
    """The finance status of every item of ``ids`` (1–500), all or nothing: one unknown id
    and nothing changes (404 naming the missing ids). Items already at ``status`` are
    returned unchanged. Returns the items in the order of ``ids`` (repeats once)."""
    now = now or utcnow()
    wanted = list(dict.fromkeys(ids))
    if not 1 <= len(wanted) <= MAX_BULK:
        raise DomainError(422, "invalid_ids", f"Send 1 to {MAX_BULK} queue item ids.", field="ids")
    stmt = select(QueueItem).where(QueueItem.id.in_(wanted)).order_by(QueueItem.id)
    if _locks(session):
        stmt = stmt.with_for_update()
    found = {i.id: i for i in session.scalars(stmt)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise DomainError(
            404,
            "not_found",
            f"There is no queue item {missing[0]}; nothing was changed.",
            missing=missing,
        )
    for qid in wanted:
        item = found[qid]
        if item.finance_status == status:
            continue
        before = _snapshot(item)
        versions.bump(session, item, None, "queue item")
        claim_id = _set_status(session, item, status, actor_id, now)
        session.flush()
        audit.record(
            session,
            actor_id,
            "queue.finance_status",
            "queue",
            item.id,
            {"bulk": len(wanted)},
            now,
            before=before,
            after=_snapshot(item),
        )
        append_event(
            session,
            "finance.status_changed",
            _payload(
                item,
                finance_status=status,
                previous_status=before["finance_status"],
                claim_id=claim_id,
            ),
            subscription_id=item.subscription_id,
            actor=actor_id,
        )
    return [found[i] for i in wanted]


def exclude_pending(
    session: Session,
    queue_id: int,
    reason: str,
    *,
    version: int | None,
    actor_id: int | None,
    now: datetime | None = None,
) -> QueueItem:
    """Take a pending item off the floor (``queue.excluded``); a claimed or excluded one is
    409 ``not_pending`` (a claimed sale leaves through a refund or an objection ruling)."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise DomainError(422, "invalid_reason", "An exclusion needs a reason.", field="reason")
    item = _get(session, queue_id)
    if item.status != "pending":
        raise DomainError(
            409, "not_pending", f"Only a pending item can be excluded (this one is {item.status})."
        )
    before = _snapshot(item)
    versions.bump(session, item, version, "queue item")
    item.status = "excluded"
    session.add(Exclusion(queue_id=item.id, reason=reason, excluded_by=actor_id, created_at=now))
    session.flush()
    audit.record(
        session,
        actor_id,
        "queue.exclude",
        "queue",
        item.id,
        None,
        now,
        before=before,
        after=_snapshot(item),
        reason=reason,
    )
    append_event(
        session,
        "queue.excluded",
        _payload(item, reason=reason, previous_status="pending"),
        subscription_id=item.subscription_id,
        actor=actor_id,
    )
    return item
