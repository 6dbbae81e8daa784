"""Login, the caller's own identity, and registering users (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.accounts import AccountError, create_user
from backend.api.deps import CtxDep, PrincipalDep, client_address
from backend.api.errors import ApiError
from backend.api.schemas import (
    FloorOut,
    LoginIn,
    LoginOut,
    RegisterIn,
    UserEnvelope,
    UserOut,
    tv_masked,
)
from backend.auth import issue_token
from backend.models import Seller
from backend.passwords import DUMMY_HASH, verify_password

router = APIRouter(prefix="/api/auth", tags=["auth"])


def user_out(seller: Seller) -> UserOut:
    return UserOut(
        id=seller.id, email=seller.email, name=seller.name, role=seller.role, color=seller.color
    )


@router.post(
    "/login",
    response_model=LoginOut,
    responses={
        401: {"description": "wrong email or password"},
        429: {"description": "too many attempts (Retry-After)"},
    },
)
def login(body: LoginIn, request: Request, ctx: CtxDep) -> LoginOut:
    email = body.email.strip().lower()
    address = client_address(request)
    # counted before the password is checked (one atomic hit per budget decides)
    wait = ctx.limits.login_attempt(email, address)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            "Too many login attempts; wait a few minutes.",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )
    with ctx.db.read() as s:
        seller = s.scalar(select(Seller).where(Seller.email == email))
        ok = verify_password(body.password, seller.password_hash if seller else DUMMY_HASH)
        if seller is None or not ok or not seller.is_active:
            raise ApiError(401, "invalid_credentials", "The email or the password is wrong.")
        token = issue_token(ctx.settings, seller)
        ctx.limits.login_succeeded(email, address)
        return LoginOut(token=token, user=user_out(seller))


@router.get("/me", response_model=UserEnvelope, response_model_exclude_none=True)
def me(principal: PrincipalDep, ctx: CtxDep) -> UserEnvelope:
    floor = FloorOut(timezone=ctx.settings.timezone)
    if principal.is_tv:
        tv = UserEnvelope(user=UserOut(role="tv", name=principal.name), floor=floor)
        return tv_masked(tv, principal)
    with ctx.db.read() as s:
        seller = s.get(Seller, principal.seller_id)
        if seller is None:
            raise ApiError(401, "invalid_token", "The account of this token no longer exists.")
        return UserEnvelope(user=user_out(seller), floor=floor)


@router.post(
    "/register",
    status_code=201,
    response_model=UserEnvelope,
    responses={409: {"description": "email_taken"}},
)
def register(body: RegisterIn, principal: PrincipalDep, ctx: CtxDep) -> UserEnvelope:
    email_taken = ApiError(409, "email_taken", "A user with this email already exists.")
    try:
        with ctx.db.transaction() as s:
            if s.scalar(select(Seller.id).where(Seller.email == body.email.strip().lower())):
                raise email_taken
            try:
                seller = create_user(
                    s, email=body.email, name=body.name, role=body.role, password=body.password
                )
            except AccountError as exc:
                if "already exists" in str(exc):
                    raise email_taken from None
                text = str(exc)
                message = text[:1].upper() + text[1:].rstrip(".") + "."
                field = f"body.{exc.field}" if exc.field else "body"
                raise ApiError(
                    422, "invalid_request", message, fields=[{"field": field, "problem": message}]
                ) from None
            return UserEnvelope(user=user_out(seller))
    except IntegrityError:
        raise email_taken from None
