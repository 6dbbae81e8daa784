"""Event rows → wire envelopes; who may see which room; TV copies with masked emails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.auth import Principal
from backend.hidden_sellers import mask_hidden
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


def tv_copy(env: dict[str, Any], hidden: Mapping[int, str] | None = None) -> dict[str, Any]:
    """A TV's copy: customer emails masked, sellers hidden from the TV as "A teammate"."""
    return {**env, "payload": mask_hidden(mask_emails(env["payload"]), hidden or {})}


def may_see(principal: Principal, room: str) -> bool:
    return room in principal.rooms()
