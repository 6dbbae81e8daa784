"""Who is calling: seller JWTs (HS256) and TV device tokens.

A seller token carries ``seller_id, email, role, iat, exp`` and is signed with
``settings.jwt_key()``; only HS256 is accepted (``alg: none`` and other algorithms are
refused), the signature and the expiry are checked, and the seller must still exist and be
active (the database's role wins over the token's). A TV device token (``wrtv_...``) is
looked up by its SHA-256; it never expires but is refused once ``revoked_at`` is set. Both
checks run on every request and every socket connect.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from backend.accounts import DEVICE_TOKEN_PREFIX, hash_device_token
from backend.models import DeviceToken, Seller
from backend.settings import Settings

ALGORITHM = "HS256"
TV_ROLE = "tv"


class AuthError(Exception):
    """The token is missing, malformed, tampered, expired or revoked (HTTP 401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Principal:
    """The caller: a seller (``seller_id`` set) or a TV (``device_id`` set, role ``tv``)."""

    role: str
    name: str
    seller_id: int | None = None
    email: str | None = None
    device_id: int | None = None
    expires: int | None = None  # a seller JWT's ``exp`` (epoch seconds); TV tokens never expire
    # False: only the JWT's signature and expiry were checked (``principal_from_claims``);
    # the route's transaction checks the account before it acts
    verified: bool = True
    # a TV's snapshot of the sellers hidden from it (id → name; set per request)
    hidden: Mapping[int, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_tv(self) -> bool:
        return self.role == TV_ROLE

    def rooms(self) -> list[str]:
        """The Socket.IO rooms this caller joins."""
        if self.is_tv:
            return ["everyone", "tv-display"]
        rooms = ["everyone", "staff", f"user:{self.seller_id}"]
        if self.role in ("finance", "admin"):
            rooms.append("finance")
        if self.role == "admin":
            rooms.append("admin")  # test-run challenges (CONTRACT §4a) and other admin-only
        return rooms


def signing_key(settings: Settings) -> bytes:
    """The HMAC key: the configured secret itself (UTF-8), as every HS256 implementation
    uses it, so a token made with the same secret elsewhere (the seed's services, a test
    harness) verifies here. The generated default secret is 64 characters; RFC 7518 asks
    HS256 keys for at least 32 bytes, and a shorter one is refused at start
    (``settings.MIN_SECRET_BYTES``)."""
    return settings.jwt_key().encode()


# PyJWT warns on every encode/decode with a key under 32 bytes; such keys never get here
warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning)


def issue_token(settings: Settings, seller: Seller, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "seller_id": seller.id,
        "email": seller.email,
        "role": seller.role,
        "iat": int(now.timestamp()),
        "exp": int((now + settings.jwt_lifetime).timestamp()),
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def decode_token(settings: Settings, token: str) -> dict[str, object]:
    """The verified claims of a seller token; raises AuthError."""
    try:
        claims = jwt.decode(
            token,
            signing_key(settings),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "seller_id", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token_expired", "Your session has expired; log in again.") from None
    except jwt.InvalidTokenError:
        raise AuthError("invalid_token", "The token is not valid.") from None
    seller_id = claims.get("seller_id")
    if not isinstance(seller_id, int) or isinstance(seller_id, bool) or not 0 < seller_id < 2**63:
        # (beyond a 64-bit integer no database row can have it)
        raise AuthError("invalid_token", "The token is not valid.")
    return claims


# built once: only the columns a principal needs (the request path runs these every time)
_DEVICE_BY_HASH = select(DeviceToken.id, DeviceToken.name, DeviceToken.revoked_at).where(
    DeviceToken.token_hash == bindparam("token_hash")
)
_SELLER_BY_ID = select(Seller.id, Seller.name, Seller.email, Seller.role, Seller.is_active).where(
    Seller.id == bindparam("seller_id")
)


def resolve_token(
    session: Session | Connection, settings: Settings, token: str | None
) -> Principal:
    """The principal for a bearer token (seller JWT or TV device token); raises AuthError.
    ``session``: a session or a plain connection (the caller's transaction)."""
    if not token:
        raise AuthError("not_authenticated", "Log in first (no token was sent).")
    token = token.strip()
    if len(token) > 4096:
        raise AuthError("invalid_token", "The token is not valid.")
    if token.startswith(DEVICE_TOKEN_PREFIX):
        dev = session.execute(_DEVICE_BY_HASH, {"token_hash": hash_device_token(token)}).first()
        if dev is None:
            raise AuthError("invalid_token", "The token is not valid.")
        if dev.revoked_at is not None:
            raise AuthError("token_revoked", "This device token has been revoked.")
        return Principal(role=TV_ROLE, name=dev.name, device_id=dev.id)
    claims = decode_token(settings, token)
    seller = session.execute(_SELLER_BY_ID, {"seller_id": claims["seller_id"]}).first()
    if seller is None or not seller.is_active:
        raise AuthError("invalid_token", "The account of this token no longer exists.")
    return Principal(
        role=seller.role,
        name=seller.name,
        seller_id=seller.id,
        email=seller.email,
        expires=int(claims["exp"]),  # type: ignore[call-overload]
    )


def principal_from_claims(settings: Settings, token: str) -> Principal | None:
    """A seller JWT's principal from its verified claims alone, no database read (None for a
    device token: those are looked up). The account behind it is NOT checked: the caller's
    transaction must read the seller row and check it is active and its role may act
    (``actions.claims.claim_item(account_roles=...)``)."""
    token = token.strip()
    if token.startswith(DEVICE_TOKEN_PREFIX) or len(token) > 4096:
        return None
    claims = decode_token(settings, token)
    role, email = claims["role"], claims.get("email")
    return Principal(
        role=str(role),
        name="",
        seller_id=int(claims["seller_id"]),  # type: ignore[call-overload]
        email=email if isinstance(email, str) else None,
        expires=int(claims["exp"]),  # type: ignore[call-overload]
        verified=False,
    )


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header (None when absent)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
