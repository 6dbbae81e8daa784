"""Creating users and TV device tokens (actions: the caller owns the transaction)."""

from __future__ import annotations

import hashlib
import secrets

import email_validator
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.types import utcnow
from backend.models import DeviceToken, Seller
from backend.models._common import ROLES
from backend.passwords import PasswordError, hash_password

DEVICE_TOKEN_PREFIX = "wrtv_"
PALETTE = (
    "#4C8DFF",
    "#FF8A3D",
    "#2BD9A6",
    "#F25C9B",
    "#B38CFF",
    "#FFD23F",
    "#3DD1F2",
    "#FF5D5D",
    "#9BE15D",
    "#F2A65A",
    "#6C7BFF",
    "#E27CFF",
)


# Accounts are internal: allow intranet and test addresses such as ``admin@winroom.local``
# (the demo's), ``seller@floor.test`` or ``ops@localhost``, which email-validator otherwise
# refuses as special-use domains.
for _name in ("local", "localhost", "test"):
    if _name in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove(_name)


class AccountError(ValueError):
    """A user or token could not be created; the message is one sentence, ``field`` the
    input it is about (``email``, ``name``, ``role``, ``password``) where there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalize_email(email: str) -> str:
    try:
        return validate_email(
            email.strip(), check_deliverability=False, globally_deliverable=False
        ).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"invalid email {email!r}: {exc}", "email") from None


def create_user(session: Session, *, email: str, name: str, role: str, password: str) -> Seller:
    email = normalize_email(email)
    name = name.strip()
    if not name or len(name) > 120:
        raise AccountError("the name must have 1 to 120 characters", "name")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (use one of {', '.join(ROLES)})", "role")
    try:
        password_hash = hash_password(password)
    except PasswordError as exc:
        raise AccountError(str(exc), "password") from None
    if session.scalar(select(Seller.id).where(Seller.email == email)) is not None:
        raise AccountError(f"a user with email {email} already exists", "email")
    count = session.query(Seller).count()
    user = Seller(
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        color=PALETTE[count % len(PALETTE)],
    )
    session.add(user)
    session.flush()
    return user


def hash_device_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_device_token(session: Session, name: str) -> str:
    """Create a TV token; returns the token itself (only its hash is stored)."""
    return mint_device_token(session, name)[1]


def mint_device_token(session: Session, name: str) -> tuple[DeviceToken, str]:
    """The one way a TV token is made (CLI, admin API, pairing): ``(device, token)``. A
    revoked device of that name gets a new token (the old one stays refused); an active
    one is an AccountError (``field`` "name")."""
    name = name.strip()
    if not name or len(name) > 120:
        raise AccountError("the device name must have 1 to 120 characters", "name")
    existing = session.scalar(select(DeviceToken).where(DeviceToken.name == name))
    if existing is not None and existing.revoked_at is None:
        raise AccountError(
            f"a device token named {name!r} already exists (revoke it first)", "name"
        )
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    if existing is not None:
        existing.token_hash = hash_device_token(token)
        existing.revoked_at = None
        existing.last_seen_at = None
        existing.created_at = utcnow()
        device = existing
    else:
        device = DeviceToken(name=name, token_hash=hash_device_token(token))
        session.add(device)
    session.flush()
    return device, token


def revoke_device_token(session: Session, name: str) -> bool:
    """Revoke the TV token of that name; False if it was revoked already (nothing to do).
    An unknown name is an AccountError."""
    dev = session.scalar(select(DeviceToken).where(DeviceToken.name == name.strip()))
    if dev is None:
        raise AccountError(f"no device token named {name!r}")
    if dev.revoked_at is not None:
        return False
    dev.revoked_at = utcnow()
    return True
