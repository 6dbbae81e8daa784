"""Changing the game numbers of CONTRACT §6 (``PATCH /api/admin/game``): validated, versioned,
audited; the cache of :mod:`backend.game.numbers` is dropped when the change commits, so
the next claim uses the new numbers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.actions import audit
from backend.actions.versions import bump
from backend.db.types import utcnow
from backend.errors import DomainError
from backend.game import numbers as gn
from backend.models import GameSetting


def _bad(name: str, message: str) -> DomainError:
    return DomainError(422, "invalid_game_number", message, field=name)


def view(session: Session) -> dict[str, Any]:
    """``{"numbers", "defaults", "overrides", "version"}``: what applies now, the §6
    defaults and what admins changed (version 0: never changed)."""
    version, overrides = gn.stored(session)
    return {
        "numbers": gn.from_overrides(overrides).as_json(),
        "defaults": gn.DEFAULTS.as_json(),
        "overrides": overrides,
        "version": version,
    }


def _clean(name: str, value: Any) -> Any:
    """One changed number as stored (JSON), or raise the 422 naming it."""
    if name in gn.INT_FIELDS:
        lo, hi = gn.INT_FIELDS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise _bad(name, f"{name} is a whole number from {lo} to {hi}.")
        return value
    if name == "streak_multiplier":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _bad(name, "streak_multiplier is a number such as 1.5.")
        try:
            m = Decimal(str(value).strip())
        except InvalidOperation:
            raise _bad(name, "streak_multiplier is a number such as 1.5.") from None
        m_lo, m_hi = gn.MULTIPLIER_RANGE
        if not m.is_finite() or not m_lo <= m <= m_hi or m != m.quantize(Decimal("0.01")):
            raise _bad(name, f"streak_multiplier is from {m_lo} to {m_hi}, at most two decimals.")
        return str(int(m)) if m == m.to_integral() else str(m.normalize())
    if name == "spin_weights":
        codes = set(gn.DEFAULTS.spin_weights)
        if not isinstance(value, dict) or not value:
            raise _bad(name, "spin_weights maps prize codes to whole-number weights.")
        unknown = sorted(set(value) - codes)
        if unknown:
            raise _bad(name, f"spin_weights: no such prize {unknown[0]!r}.")
        for code, w in value.items():
            if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 1000:
                raise _bad(name, f"spin_weights.{code} is a whole number from 0 to 1000.")
        return dict(sorted(value.items()))
    if name == "moderation_words":
        if not isinstance(value, list) or len(value) > gn.MAX_WORDS:
            raise _bad(name, f"moderation_words is a list of at most {gn.MAX_WORDS} words.")
        words: list[str] = []
        for w in value:
            if not isinstance(w, str):
                raise _bad(name, "moderation_words holds words (strings).")
            w = w.strip()
            if (
                not w
                or len(w) > gn.MAX_WORD_LEN
                or "#" in w
                or any(c.isspace() or not c.isprintable() for c in w)
                or not w.rstrip("*")
            ):
                raise _bad(name, f"moderation_words: {w[:20]!r} is not a word (or word* stem).")
            if w not in words:
                words.append(w)
        return words
    raise _bad(name, f"There is no game number {name!r}.")  # pragma: no cover - the route's


def update(
    session: Session,
    changes: dict[str, Any],
    *,
    version: int | None = None,
    actor_id: int | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Apply ``changes`` (a number's new value, or None: back to the default) over the
    stored overrides; returns :func:`view`. 409 ``stale`` when ``version`` is not the
    stored one (0 before any change)."""
    now = now or utcnow()
    cleaned = {k: (None if v is None else _clean(k, v)) for k, v in changes.items()}
    merged_check = {**gn.DEFAULTS.spin_weights}
    row = session.get(GameSetting, gn.KEY)
    before = view(session)
    overrides = dict(row.value or {}) if row is not None else {}
    if row is None:
        if version not in (None, 0):
            raise DomainError(
                409,
                "stale",
                "The game numbers were never changed (version 0): reload them.",
                version=0,
            )
        row = GameSetting(key=gn.KEY, value={}, version=1, updated_by=actor_id, updated_at=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # another admin's first change won the race
            raise DomainError(
                409,
                "stale",
                "The game numbers were changed by someone else: reload them.",
                version=1,
            ) from None
    else:
        bump(session, row, version, "game setting")
    for k, v in cleaned.items():
        if v is None:
            overrides.pop(k, None)
        elif k == "spin_weights":
            overrides[k] = {**overrides.get(k, {}), **v}
        else:
            overrides[k] = v
    merged_check.update(overrides.get("spin_weights", {}))
    if sum(merged_check.values()) <= 0:
        raise _bad("spin_weights", "At least one spin prize needs a weight above 0.")
    if overrides.get("spin_weights") == gn.DEFAULTS.spin_weights:
        overrides.pop("spin_weights")
    row.value, row.updated_by, row.updated_at = overrides, actor_id, now
    session.flush()
    after = view(session)
    audit.record(
        session,
        actor_id,
        "game.update",
        "game",
        gn.KEY,
        {"changed": sorted(cleaned)},
        now,
        before=before["numbers"],
        after=after["numbers"],
        reason=reason,
    )
    sa_event.listen(session, "after_commit", lambda _s: gn.invalidate(), once=True)
    return after
