"""The error envelope ``{"error": {"code", "message", ...}}`` and its exception handlers.

Every error leaves as that envelope: our own :class:`ApiError`, FastAPI's validation errors
(422, malformed JSON 400), Starlette's 404/405, a database that cannot be reached (503
``database_unavailable``), and — as a last resort — 500 without any detail (never a stack
trace in a response).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from backend.api import authz
from backend.api.problem import ApiError

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    501: "not_implemented",
    503: "unavailable",
}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def not_implemented() -> ApiError:
    return ApiError(501, "not_implemented", "This endpoint comes with a later batch.")


def _describe(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
    where = ".".join(loc)
    msg = str(err.get("msg", "invalid value"))
    return f"{where}: {msg}" if where else msg


async def _api_error(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers, **exc.extra)


async def _domain_error(_req: Request, exc: Exception) -> JSONResponse:
    from backend.errors import DomainError

    assert isinstance(exc, DomainError)
    return error_response(exc.status, exc.code, exc.message, **exc.extra)


async def _validation_error(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    from starlette.concurrency import run_in_threadpool

    from backend.api.deps import authorize_request

    try:  # who may not call the endpoint hears 401/403 whatever the body holds
        await run_in_threadpool(authorize_request, _req)
    except ApiError as denied:
        return await _api_error(_req, denied)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    fields = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": str(e.get("msg", ""))}
        for e in errors[:10]
    ]
    first = _describe(errors[0]) if errors else "invalid request"
    return error_response(
        422, "invalid_request", f"The request is not valid ({first}).", fields=fields
    )


async def _http_error(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    message = {
        404: "There is nothing at this address.",
        405: "This method is not allowed here.",
    }.get(exc.status_code, detail or "The request failed.")
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:  # Starlette names only the first matching route's methods
        own = {m.strip() for m in (headers or {}).get("Allow", "").split(",") if m.strip()}
        headers = {**(headers or {}), "Allow": ", ".join(sorted(own | _table_methods(_req)))}
    return error_response(exc.status_code, code, message, headers)


@functools.cache
def _route_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((m, compile_path(template)[0]) for (m, template) in authz.TABLE)


def _table_methods(req: Request) -> set[str]:
    """Every method the authorization TABLE (which lists every API route; a test checks it)
    has for the request's path, seen from the app's root."""
    path = req.scope.get("path", "")
    root = req.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return {m for m, pattern in _route_patterns() if pattern.match(path)}


DB_RETRY_AFTER_S = 5


# PostgreSQL's SQLSTATE classes of an outage: connection exception, transaction rollback
# (serialization failure, deadlock), insufficient resources, object not in prerequisite
# state (lock not available), operator intervention (shutdown, cannot connect now)
OUTAGE_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "55", "57"})
SQLITE_OUTAGE_MESSAGES = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
)


def is_database_outage(exc: BaseException) -> bool:
    """The database could not serve the request (down, restarting, locked, out of
    connections), as opposed to a statement that will always fail (a missing table, an
    oversized value): only the first is worth retrying."""
    if isinstance(exc, SATimeoutError):  # the pool had no connection to give
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if hasattr(orig, "sqlstate"):  # psycopg: None when libpq itself failed (no server)
        state = getattr(orig, "sqlstate", None)
        return state is None or str(state)[:2] in OUTAGE_SQLSTATE_CLASSES
    text = str(orig).lower()
    return any(m in text for m in SQLITE_OUTAGE_MESSAGES)


async def _database_unavailable(req: Request, exc: Exception) -> JSONResponse:
    """An outage (:func:`is_database_outage`) is a 503 a client may retry, not a 500; any
    other database error is a bug and goes to :func:`_unexpected` with its traceback. The
    request's transaction was rolled back, or, if the connection dropped during its
    ``COMMIT``, its outcome is unknown: claims carry an ``Idempotency-Key`` for that."""
    if not is_database_outage(exc):
        return await _unexpected(req, exc)
    log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
    return error_response(
        503,
        "database_unavailable",
        "The database cannot be reached just now; try again in a moment.",
        {"Retry-After": str(DB_RETRY_AFTER_S)},
    )


async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error while handling a request", exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on the server.")


def install_error_handlers(app: FastAPI) -> None:
    from backend.errors import DomainError

    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(SATimeoutError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
