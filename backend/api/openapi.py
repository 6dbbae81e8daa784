"""The error answers of every operation in the OpenAPI document.

FastAPI documents each route's success model and a 422 shaped like its own
``HTTPValidationError`` (``{"detail": [...]}``), which is not what this API sends. Every
error here leaves as the envelope (``backend.api.errors``), so the document is completed from
what the app really does, with the authorization TABLE as the source for 401/403:

- every 4xx/5xx answer has the :class:`~backend.api.schemas.ErrorEnvelope` schema;
- 401 and 403 on every operation that is not public;
- 400 ``malformed_json`` on every operation with a body, 413 ``payload_too_large`` on every
  POST/PUT/PATCH/DELETE, and 422 ``invalid_request`` on every one with a body or parameters;
- 503 ``database_unavailable`` on every ``/api`` operation; it and every 429 carry
  ``Retry-After``;
- an endpoint of a later batch (501) documents no success answer.

Route-specific answers (404, 409, 429 ...) stay with their routes, which describe them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from backend.api import authz
from backend.api.errors import DB_RETRY_AFTER_S
from backend.api.schemas import ErrorEnvelope

ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}

GENERIC: dict[str, str] = {
    "400": "malformed_json: the body is not valid JSON",
    "401": "not_authenticated / invalid_token: no token, or one that is invalid, expired or "
    "revoked",
    "403": "forbidden: this role may not call this endpoint, or the account is deactivated",
    "404": "not_found",
    "409": "conflict",
    "413": "payload_too_large: the body is over the size limit",
    "422": "invalid_request: a field is missing, of the wrong type, out of range or unknown "
    "(error.fields lists them)",
    "429": "rate_limited",
    "501": "not_implemented: a later batch",
    "503": f"database_unavailable: retry after the Retry-After header ({DB_RETRY_AFTER_S} s)",
}


def _envelope(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ENVELOPE_REF}}},
    }


def document_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """Complete ``spec`` (an OpenAPI document of this app) in place, and return it."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(envelope.pop("$defs", {}))
    components["ErrorEnvelope"] = envelope
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            if method not in METHODS:
                continue
            _complete(op, method.upper(), path)
    # every 422 now points at the envelope: FastAPI's validation schemas are unused
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return spec


def _complete(op: dict[str, Any], method: str, path: str) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    wanted: set[str] = set()
    if authz.rule_for(method, path) != authz.PUBLIC:
        wanted |= {"401", "403"}
    if "requestBody" in op:
        wanted |= {"400", "422"}
    if method in BODY_METHODS:  # the body limit applies before any route runs
        wanted.add("413")
    if op.get("parameters"):
        wanted.add("422")
    if path.startswith("/api/"):
        wanted.add("503")
    if "501" in responses:  # a later batch: no success answer yet
        for code in [c for c in responses if c.startswith("2")]:
            del responses[code]
    for code in wanted:
        responses.setdefault(code, {})
    for code, answer in list(responses.items()):
        if code[:1] not in ("4", "5"):
            if method == "HEAD":  # no body
                answer.pop("content", None)
            continue
        own = answer.get("description")
        if not own or own == "Validation Error":
            own = GENERIC.get(code, "error")
        responses[code] = _envelope(own)
        if code in ("429", "503"):
            responses[code]["headers"] = RETRY_AFTER
    op["responses"] = dict(sorted(responses.items()))


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json``: FastAPI's own (with every
    setting of the app), completed once, on first request."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(base())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
