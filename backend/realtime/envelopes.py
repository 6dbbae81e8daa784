"""Event rows → wire envelopes; who may see which room; TV copies with masked emails."""

from __future__ import annotations

from typing import Any

from backend.auth import Principal
from backend.models import Event
from backend.schemas.common import mask_emails

EVERYONE = "everyone"
STAFF = "staff"
TV = "tv-display"


def envelope(ev: Event) -> dict[str, Any]:
    return {
        "id": ev.id,
        "type": ev.type,
        "subscription_id": ev.subscription_id,
        "actor": ev.actor,
        "payload": ev.payload if ev.payload is not None else {},
        "created_at": ev.created_at.isoformat(),
    }


def tv_copy(env: dict[str, Any]) -> dict[str, Any]:
    return {**env, "payload": mask_emails(env["payload"])}


def may_see(principal: Principal, room: str) -> bool:
    return room in principal.rooms()
