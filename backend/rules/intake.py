"""What the worker does with a core subscription, by status and what it did before.

Pure: the worker passes the core status and the outcome it recorded earlier (None the
first time it sees the subscription) and gets a decision back.
"""

from __future__ import annotations

from enum import Enum

ENTERING = frozenset({"paid", "active"})
WAITING = frozenset({"pending"})
NEVER = frozenset({"cancelled", "refunded"})
KNOWN_STATUSES = ENTERING | WAITING | NEVER


class Decision(Enum):
    ENTER = "enter"  # compute, dedupe, trial check, queue
    WAIT = "wait"  # pending: remember with metrics, enter once paid
    SKIP = "skip"  # cancelled/refunded before entering: never enters
    STATUS_CHANGE = "status_change"  # already queued/claimed: record the change
    TOUCH = "touch"  # seen before, nothing to do but remember the new version
    REJECT = "reject"  # status cannot be understood


def normalize_status(raw: object) -> str | None:
    return raw.strip().lower() if isinstance(raw, str) and raw.strip() else None


def decide(
    status: str | None, previous_outcome: str | None, previous_status: str | None
) -> Decision:
    """The decision for one subscription version.

    ``previous_outcome`` is what the worker recorded before (``queued``, ``waiting``,
    ``skipped``, ``duplicate``, ``trial``, ``rejected``) or None when it is new.
    """
    if previous_outcome == "queued":
        return Decision.STATUS_CHANGE if status != previous_status else Decision.TOUCH
    if previous_outcome not in (None, "waiting", "rejected"):
        return Decision.TOUCH  # skipped, duplicate, trial: settled for good
    if status is None or status not in KNOWN_STATUSES:
        return Decision.REJECT
    if status in ENTERING:
        return Decision.ENTER
    if status in WAITING:
        return Decision.WAIT
    return Decision.SKIP
