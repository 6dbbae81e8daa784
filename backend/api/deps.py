"""Dependencies of the routes (``Annotated`` aliases, FastAPI-template style).

Authentication and authorization happen in the app-wide dependency :func:`authorize`, which
FastAPI solves before the route's own dependencies and before the body is validated: it
looks the matched route up in :mod:`backend.api.authz`'s TABLE, resolves the bearer token
(seller JWT or TV device token, checked against the database on every request) and raises
401/403. (Malformed JSON is parsed even earlier; the 400 handler runs the same check first,
so a forbidden caller gets 403 for any body.) Routes then read the caller with ``PrincipalDep``
(any token), ``SellerDep`` (a seller login: ``principal.seller_id`` is set) and the app's
context with ``CtxDep`` / ``DbDep`` / ``SettingsDep``.

Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in
its thread pool, one thread hop each, and under load every hop waits for the GIL — a claim
request paid for five of them before its own.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api import authz
from backend.api.context import ApiContext
from backend.api.problem import ApiError
from backend.auth import AuthError, Principal, bearer_token, principal_from_claims, resolve_token
from backend.db.engine import reader
from backend.runtime import Database
from backend.settings import Settings

MAX_BODY_BYTES = 64 * 1024

_bearer = HTTPBearer(auto_error=False, description="a seller JWT or a TV device token")


async def get_ctx(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[ApiContext, Depends(get_ctx)]


async def get_db(ctx: CtxDep) -> Database:
    return ctx.db


async def get_settings(ctx: CtxDep) -> Settings:
    return ctx.settings


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_principal(request: Request, _creds: Any = Depends(_bearer)) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # only on a PUBLIC route that still asks for a caller
        raise ApiError(401, "not_authenticated", "Log in first (no token was sent).")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_seller(principal: PrincipalDep) -> Principal:
    if principal.seller_id is None:
        raise ApiError(403, "forbidden", "This needs a seller login.")
    return principal


SellerDep = Annotated[Principal, Depends(get_seller)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class AskTheDatabase:
    """:func:`authorize_from_token`'s answer when the token alone cannot decide: what the
    account read (:func:`authorize_with_database`) needs."""

    token: str
    rule: authz.Rule | None  # None: a route the table does not list (nobody may)


def _route_path(request: Request) -> str:
    """The matched route's path template (``/api/me/spins/{spin_id}``)."""
    route = request.scope.get("route")
    return str(getattr(route, "path_format", None) or getattr(route, "path", ""))


def authorize_from_token(request: Request) -> Principal | AskTheDatabase | None:
    """What the request's token decides without the database: None on a PUBLIC route, the
    caller on a route whose own transaction checks the account (a seller JWT, verified by
    its signature and expiry alone); raises ApiError 401 without a token. Otherwise
    :class:`AskTheDatabase`. Pure CPU (no I/O): safe on the event loop."""
    path = _route_path(request)
    rule = authz.rule_for(request.method, path)
    if rule == authz.PUBLIC:
        return None
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise ApiError(401, "not_authenticated", "Log in first (no token was sent).")
    if (request.method.upper(), path) in authz.VERIFIED_IN_TRANSACTION:
        # the route's transaction reads the seller row anyway: the JWT alone here
        ctx: ApiContext = request.app.state.ctx
        try:
            quick = principal_from_claims(ctx.settings, token)
        except AuthError as exc:
            raise ApiError(401, exc.code, exc.message) from None
        if quick is not None and authz.allowed(rule, quick.role):
            return quick
        # a device token, or a role the token names that may not: its account decides
    return AskTheDatabase(token, rule)


def authorize_with_database(request: Request, ask: AskTheDatabase) -> Principal:
    """The caller as its account says (blocking: a worker thread); ApiError 401/403."""
    ctx: ApiContext = request.app.state.ctx
    try:
        principal = verify_token(ctx.db, ctx.settings, ask.token, ask.rule)
    except AuthError as exc:
        raise ApiError(401, exc.code, exc.message) from None
    if principal.is_tv:  # what tv_masked hides from it
        principal = replace(principal, hidden=ctx.hidden.current())
    return principal


def authorize_request(request: Request) -> Principal | None:
    """The authz TABLE for the matched route: 401 without a valid token, 403 for a role
    that may not call it (raises ApiError); returns the caller (None on PUBLIC routes).
    Blocking where the account is read: call it from a worker thread."""
    got = authorize_from_token(request)
    return authorize_with_database(request, got) if isinstance(got, AskTheDatabase) else got


def verify_token(
    db: Database, settings: Settings, token: str, rule: authz.Rule | None
) -> Principal:
    """The caller's principal as the database says (raises AuthError, or ApiError 403)."""
    # a plain connection (no ORM session): two Core reads at most, on every request
    with _reader(db).connect() as conn:
        principal = resolve_token(conn, settings, token)
    if not authz.allowed(rule, principal.role):
        raise ApiError(403, "forbidden", "Your role may not use this endpoint.")
    return principal


def _reader(db: Database) -> Engine:
    """The engine for the token reads: a deferred BEGIN on SQLite; on PostgreSQL autocommit
    (each read its own snapshot), so no BEGIN and no ROLLBACK travel to the server — two
    round trips fewer on every request."""
    engine = _auth_engines.get(db.engine)
    if engine is None:
        bind = db.read_sessions.kw.get("bind")
        engine = bind if isinstance(bind, Engine) else reader(db.engine)
        if engine.dialect.name == "postgresql":
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        _auth_engines[db.engine] = engine
    return engine


_auth_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


async def authorize(request: Request) -> None:
    """App-wide dependency: runs before every route's own dependencies and body checks. On
    the event loop where the token alone decides (a public route, the claim's seller JWT):
    no hop to a worker thread and back before the route's own; the account read otherwise
    runs in a worker thread."""
    got = authorize_from_token(request)
    if isinstance(got, Principal) and not got.verified and _body_unread(request):
        # the 413 would come before the route's own account check: check the account now,
        # so a deactivated or demoted seller hears its 401/403 whatever it sent
        token = bearer_token(request.headers.get("authorization")) or ""
        got = AskTheDatabase(token, authz.rule_for(request.method, _route_path(request)))
    if isinstance(got, AskTheDatabase):
        got = await run_in_threadpool(authorize_with_database, request, got)
    refuse_unread_body(request)
    request.state.principal = got


_TOO_LARGE = "winroom_body_too_large"  # scope["state"] key: the body was not read


class BodyLimitMiddleware:
    """Pure ASGI middleware: a body over MAX_BODY_BYTES gets 413 with the envelope, once the
    caller has passed the endpoint's authorization (a caller the endpoint refuses gets its
    401/403 whatever the size of what it sent, CONTRACT §4).

    A declared ``Content-Length`` is checked up front; a body without one (chunked) is read
    here, up to the limit, and handed on as read. Over the limit, the app gets an empty body
    and a mark in the request's state instead: routing and the app-wide :func:`authorize`
    run as usual, and :func:`authorize` answers 413 once the caller may use the endpoint
    (a path no route matches stays a 404). The large body itself is never read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"content-length"),
            None,
        )
        if declared is not None:
            if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, _limited_receive(receive), send)
            return
        read: list[Message] = []
        seen = 0
        while True:  # no Content-Length: read it here, at most the limit
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body"):
                break
        await self.app(scope, _replay(read, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})[_TOO_LARGE] = True
        await self.app(scope, _replay([{"type": "http.request", "body": b""}], receive), send)


def _body_unread(request: Request) -> bool:
    """Whether :class:`BodyLimitMiddleware` found the body too large (and did not read it)."""
    return bool(request.scope.get("state", {}).get(_TOO_LARGE))


def refuse_unread_body(request: Request) -> None:
    """413 for a request whose body :class:`BodyLimitMiddleware` found too large (call it
    once the caller is known to be allowed)."""
    if _body_unread(request):
        raise ApiError(413, "payload_too_large", "The request body is too large.")


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that hands out ``messages`` first, then what the client sends next."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def _limited_receive(receive: Receive) -> Receive:
    seen = 0

    async def wrapped() -> Any:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise ApiError(413, "payload_too_large", "The request body is too large.")
        return message

    return wrapped
