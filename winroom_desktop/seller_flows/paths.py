"""The endpoints the seller app reads besides the room's (``state.snapshot``)."""

from __future__ import annotations

ME = "/api/auth/me"
CHATS = "/api/chats"
PRESENCE = "/api/presence"
POINTS = "/api/me/points"
BADGES = "/api/me/badges"
OBJECTIONS = "/api/me/objections"
MY_SALES = "/api/claims/recent?limit=50"
SPINS = "/api/me/spins"


def metrics_path(period: str) -> str:
    return f"/api/me/metrics?period={period}"
