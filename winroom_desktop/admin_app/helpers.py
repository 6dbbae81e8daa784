"""Small pieces the admin app's modules share: choice lists, chart labels, the payments
text of a new plan, the heap settling that keeps full collections short."""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING, Any

from winroom_desktop.state.admin import actions as act
from winroom_desktop.state.admin.claims import FilterError, parse_day
from winroom_desktop.state.admin.rows import challenge_row, objection_row, plan_row

log = logging.getLogger(__name__)
ROW_FIX = {
    "installments": plan_row,
    "challenges": challenge_row,
    "objections": objection_row,
}


def _choices(values: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(v.replace("_", " "), v) for v in values]


class _Quiet:
    """A ``where`` for background loads: their 403/501 is nobody's business."""

    def say(self, text: str) -> None:
        log.info("background load: %s", text)


if TYPE_CHECKING:
    # the tabs' action mixins are mixed into AdminController, which holds the window, the
    # API, the asker and the loaders they call; mypy sees them as Any there (it does not
    # check those attribute uses: the wired-window tests run every action instead)
    MixinBase = Any
else:
    MixinBase = object


def settle_heap() -> None:
    """Move everything built at start (Qt wrappers, pyqtgraph, numpy) out of the cyclic
    collector's reach: a full collection then scans only what came after, so it does not
    block the Qt thread for 100+ ms while finance scrolls (``gc.freeze``)."""
    gc.collect()
    gc.freeze()


def _k(v: float) -> str:
    if not v:
        return ""
    return f"{v / 1000:.1f}k" if v >= 1000 else f"{v:.0f}"


def parse_payments(text: str) -> list[dict[str, str]]:
    """``"2025-07-01 250\\n2025-08-01 250.50"`` → ``[{"due_on", "amount"}, …]`` (1–36)."""

    out = []
    for n, line in enumerate(x for x in text.splitlines() if x.strip()):
        parts = line.replace(",", " ").split()
        if len(parts) != 2:
            raise act.InputError(
                f"Line {n + 1}: write a date and an amount, e.g. 2025-07-01 250.00."
            )
        try:
            day = parse_day(parts[0])
        except FilterError as exc:
            raise act.InputError(f"Line {n + 1}: {exc}") from None
        out.append({"due_on": str(day), "amount": act.parse_amount(parts[1])})
    if not 1 <= len(out) <= 36:
        raise act.InputError("A plan has 1 to 36 payments.")
    return out
