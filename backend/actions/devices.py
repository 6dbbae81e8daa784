"""TV device tokens and TV pairing (CONTRACT §4a "devices", §4 "TV pairing").

A token is minted one way only (:func:`backend.accounts.mint_device_token`): by the CLI, by
``POST /api/admin/devices`` and by approving a pairing. Pairing: a TV asks for a code
(:func:`start_pairing`), shows it and polls with its ``pairing_id``; an admin approves the
code (:func:`approve_pairing`), which mints the token and holds it in the pairing row; the
TV's next poll collects it (:func:`collect_pairing`) exactly once — a conditional UPDATE
clears the token, so of two concurrent polls only one gets it — then the row answers 410.

Actions flush; the caller commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts import AccountError, mint_device_token
from backend.actions import audit
from backend.errors import DomainError, not_found
from backend.models import DeviceToken
from backend.models.admin import DevicePairing

PAIRING_TTL = timedelta(minutes=10)  # a code's life; once approved, the TV's time to collect
PAIRING_KEPT = timedelta(days=1)  # an expired pairing still answers 410 this long, then 404
# letters and digits that cannot be mistaken for one another across a room or when typed:
# no 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, U/V
CODE_ALPHABET = "ACEFGHJKMNPRTWXY34679"
CODE_LENGTH = 8
# a TV socket stamps ``last_seen_at`` at connect and at every token check of its server
# (``backend.realtime.sockets.REVALIDATE_S``, 5 s): seen this recently = connected now
CONNECTED_WITHIN = timedelta(seconds=20)
_CODE_INPUT = re.compile(r"[\s\-]")


def device_out(dev: DeviceToken, now: datetime) -> dict[str, Any]:
    seen = dev.last_seen_at
    return {
        "id": dev.id,
        "name": dev.name,
        "created_at": dev.created_at,
        "last_seen_at": seen,
        "revoked_at": dev.revoked_at,
        "connected": dev.revoked_at is None and seen is not None and seen >= now - CONNECTED_WITHIN,
    }


def _audit_shape(out: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in out.items()
        if k != "connected"
    }


def _mint(session: Session, name: str) -> tuple[DeviceToken, str]:
    try:
        with session.begin_nested():
            return mint_device_token(session, name)
    except AccountError as exc:
        if exc.field == "name" and name.strip() and len(name.strip()) <= 120:
            raise DomainError(
                409,
                "name_taken",
                "A device with this name exists: revoke it or pick another.",
                field="name",
            ) from None
        raise DomainError(422, "invalid", str(exc), field="name") from None
    except IntegrityError:  # the same name minted concurrently
        raise DomainError(
            409,
            "name_taken",
            "A device with this name exists: revoke it or pick another.",
            field="name",
        ) from None


def create_device(
    session: Session, actor_id: int | None, name: str, now: datetime
) -> tuple[DeviceToken, str]:
    """A new TV token named ``name`` (409 ``name_taken`` while one of that name is active);
    returns the device and the token (shown once, never stored)."""
    dev, token = _mint(session, name)
    audit.record(
        session,
        actor_id,
        "device.create",
        "device",
        dev.id,
        None,
        now,
        after=_audit_shape(device_out(dev, now)),
    )
    return dev, token


def revoke_device(
    session: Session, actor_id: int | None, device_id: int, now: datetime
) -> DeviceToken:
    """Revoke a TV token: its HTTP calls are refused from the commit on, its sockets are
    closed by their server's next token check. Revoking a revoked device changes nothing."""
    dev = session.get(DeviceToken, device_id)
    if dev is None:
        raise not_found("device")
    if dev.revoked_at is not None:
        return dev
    before = _audit_shape(device_out(dev, now))
    dev.revoked_at = now
    # a token approved for a TV that has not collected it yet: never handed out now
    session.execute(
        update(DevicePairing)
        .where(DevicePairing.device_id == dev.id, DevicePairing.token.is_not(None))
        .values(token=None)
    )
    session.flush()
    audit.record(
        session,
        actor_id,
        "device.revoke",
        "device",
        dev.id,
        None,
        now,
        before=before,
        after=_audit_shape(device_out(dev, now)),
    )
    return dev


def list_devices_query(status: str) -> Any:
    stmt = select(DeviceToken)
    if status == "active":
        stmt = stmt.where(DeviceToken.revoked_at.is_(None))
    elif status == "revoked":
        stmt = stmt.where(DeviceToken.revoked_at.is_not(None))
    return stmt


# ---- pairing ------------------------------------------------------------------------
def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(text: str) -> str | None:
    """A code as an admin may type it (any case, with or without the dash or spaces) in its
    stored form ``XXXX-XXXX``; None when it cannot be a code."""
    raw = _CODE_INPUT.sub("", text).upper()
    if len(raw) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in raw):
        return None
    return f"{raw[:4]}-{raw[4:]}"


def start_pairing(session: Session, now: datetime) -> DevicePairing:
    """A new pairing: a code to show and a long random ``id`` to poll with."""
    # housekeeping: no token outlives its pairing; old rows go after PAIRING_KEPT
    session.execute(
        update(DevicePairing)
        .where(DevicePairing.expires_at <= now, DevicePairing.token.is_not(None))
        .values(token=None)
    )
    session.execute(delete(DevicePairing).where(DevicePairing.expires_at < now - PAIRING_KEPT))
    for _ in range(10):
        row = DevicePairing(
            id=secrets.token_urlsafe(32),
            code=new_code(),
            created_at=now,
            expires_at=now + PAIRING_TTL,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:  # a code in use (1 in 10^10): draw again
            continue
    raise DomainError(503, "try_again", "No pairing code could be made; try again.")


@dataclass(frozen=True)
class Collected:
    token: str
    name: str


def collect_pairing(session: Session, pairing_id: str, now: datetime) -> Collected | None:
    """The TV's poll: None while waiting; the token once approved (exactly once); 410 after
    that or once expired; 404 for an unknown id."""
    row = session.get(DevicePairing, pairing_id)
    if row is None:
        raise not_found("pairing")
    if row.collected_at is not None:
        raise DomainError(410, "pairing_used", "This pairing was completed already.")
    if row.expires_at <= now:
        raise DomainError(410, "pairing_expired", "This pairing code expired: ask for a new one.")
    if row.approved_at is None:
        return None
    token = row.token
    if token is None:  # approved, then the device was revoked before the TV collected
        raise DomainError(410, "pairing_revoked", "The device of this pairing was revoked.")
    done = session.execute(
        update(DevicePairing)
        .where(
            DevicePairing.id == pairing_id,
            DevicePairing.collected_at.is_(None),
            DevicePairing.token.is_not(None),
        )
        .values(token=None, collected_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:  # another poll collected it first
        raise DomainError(410, "pairing_used", "This pairing was completed already.")
    dev = session.get(DeviceToken, row.device_id) if row.device_id is not None else None
    return Collected(token=token, name=dev.name if dev is not None else "")


def approve_pairing(
    session: Session, actor_id: int | None, code: str, name: str, now: datetime
) -> DeviceToken:
    """Approve the TV showing ``code``: mints its token under ``name`` and holds it for the
    TV's next poll. 404 for an unknown or expired code, 409 for one approved already."""
    wanted = normalize_code(code)
    row = None
    if wanted is not None:
        row = session.scalar(
            select(DevicePairing).where(DevicePairing.code == wanted).with_for_update()
        )
    if row is None or row.expires_at <= now or row.collected_at is not None:
        raise DomainError(
            404, "not_found", "No TV is showing this code (it may have expired).", field="code"
        )
    if row.approved_at is not None:
        raise DomainError(409, "already_approved", "This code was approved already.")
    dev, token = _mint(session, name)
    claimed = session.execute(
        update(DevicePairing)
        .where(DevicePairing.id == row.id, DevicePairing.approved_at.is_(None))
        .values(device_id=dev.id, token=token, approved_at=now, expires_at=now + PAIRING_TTL)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise DomainError(409, "already_approved", "This code was approved already.")
    audit.record(
        session,
        actor_id,
        "device.pair",
        "device",
        dev.id,
        {"code": wanted},
        now,
        after=_audit_shape(device_out(dev, now)),
    )
    return dev


# ---- sockets ------------------------------------------------------------------------
def active_token_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    """Of these token hashes, the ones of devices not revoked (one read)."""
    wanted = set(hashes)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(DeviceToken.token_hash).where(
                DeviceToken.token_hash.in_(wanted), DeviceToken.revoked_at.is_(None)
            )
        )
    )


def mark_seen(session: Session, hashes: Iterable[str], now: datetime) -> None:
    """Stamp ``last_seen_at`` of the devices with open sockets (one UPDATE)."""
    wanted = set(hashes)
    if wanted:
        session.execute(
            update(DeviceToken)
            .where(DeviceToken.token_hash.in_(wanted), DeviceToken.revoked_at.is_(None))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
