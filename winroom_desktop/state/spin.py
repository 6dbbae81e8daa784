"""Spin & win (CONTRACT §6): the wheel's segments and where the server's prize lands, and
the spins a seller has earned (plain Python, shared by the TV overlay and the seller app)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# CONTRACT §6 spin prizes, drawn as equal segments
WHEEL = [
    ("50 points", 50),
    ("Coffee", None),
    ("100 points", 100),
    ("Leave 30 min early", None),
    ("200 points", 200),
    ("500 points", 500),
]


def wheel_segments(prize: dict[str, object]) -> tuple[list[str], int]:
    """The wheel's labels and the index the server's prize lands on."""
    labels = [label for label, _ in WHEEL]
    label = str(prize.get("label") or prize.get("name") or prize.get("code") or "")
    points = prize.get("points")
    for i, (seg, seg_points) in enumerate(WHEEL):
        if label and (label.lower() == seg.lower() or seg.lower() in label.lower()):
            return labels, i
        if seg_points is not None and points is not None and str(points) == str(seg_points):
            return labels, i
    for i, seg in enumerate(labels):
        if label and seg.split()[0].lower() in label.lower():
            return labels, i
    labels[0] = label or "Prize"
    return labels, 0


def prize_label(prize: Any) -> str:
    if isinstance(prize, dict):
        return str(prize.get("label") or prize.get("name") or prize.get("code") or "a prize")
    return str(prize or "a prize")


@dataclass(frozen=True)
class Spin:
    """One spin earned (``GET /api/me/spins``); ``prize`` is None until it is spent."""

    id: int
    source: str | None = None
    earned_at: str | None = None
    used_at: str | None = None
    prize: Any = None

    @property
    def unused(self) -> bool:
        return self.used_at is None and self.prize is None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Spin:
        return cls(
            id=int(d["id"]),
            source=None if d.get("source") is None else str(d["source"]),
            earned_at=None if d.get("earned_at") is None else str(d["earned_at"]),
            used_at=None if d.get("used_at") is None else str(d["used_at"]),
            prize=d.get("prize"),
        )


def load_spins(body: Any) -> tuple[Spin, ...]:
    raw = body.get("spins", []) if isinstance(body, dict) else body or []
    return tuple(Spin.from_api(d) for d in raw if isinstance(d, dict) and "id" in d)


def next_spin(spins: tuple[Spin, ...]) -> Spin | None:
    """The oldest unused spin: spent first."""
    unused = [s for s in spins if s.unused]
    return min(unused, key=lambda s: s.id) if unused else None
