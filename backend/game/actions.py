"""Moved: the admin-facing actions live in ``backend.actions`` (``finance``, ``goals``,
``installments``). This name stays until the tests that import it move (issue 20)."""

from backend.actions.finance import (
    add_adjustment,
    apply_refund,
    exclude_item,
    reassign_claim,
    set_share_split,
)
from backend.actions.goals import create_challenge, create_goal, create_personal_goal
from backend.actions.installments import create_installment_plan

__all__ = [
    "add_adjustment",
    "apply_refund",
    "create_challenge",
    "create_goal",
    "create_installment_plan",
    "create_personal_goal",
    "exclude_item",
    "reassign_claim",
    "set_share_split",
]
