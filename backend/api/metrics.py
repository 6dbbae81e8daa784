"""``/metrics``: the request-time middleware and who may scrape (CONTRACT §4, §7)."""

from __future__ import annotations

import hmac
import ipaddress
import time

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend import metrics
from backend.api.errors import ApiError
from backend.auth import bearer_token

METRICS_PATH = "/metrics"


class RequestMetricsMiddleware:
    """Pure ASGI: times every HTTP request but ``/metrics`` into
    ``winroom_http_request_duration_seconds`` under its route TEMPLATE (the router leaves
    the matched route in the scope; none matched: ``unmatched``), so labels stay bounded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before answering
        start = time.perf_counter()
        done = False

        def record() -> None:
            nonlocal done
            done = True
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None)
            elapsed = time.perf_counter() - start
            metrics.http_request(scope["method"], template or metrics.UNMATCHED, status, elapsed)

        async def send_timed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record()  # before the last byte leaves: a client that got it sees the count
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            if not done:
                record()


LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
PROXIED = ("x-forwarded-for", "forwarded", "x-real-ip")


def is_loopback_peer(request: Request) -> bool:
    """The connection itself comes from this machine, and no proxy says it relays someone
    else's request (a local reverse proxy would make every client look local)."""
    if request.client is None or any(h in request.headers for h in PROXIED):
        return False
    try:
        addr = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr in LOOPBACK_V4 or addr == ipaddress.IPv6Address("::1")


def check_scraper(request: Request, token: str | None) -> None:
    """Raise the envelope's 401/403 unless the caller may read ``/metrics``: with
    ``WINROOM_METRICS_TOKEN`` set, that bearer token from anywhere; unset, loopback only."""
    if token is None:
        if not is_loopback_peer(request):
            raise ApiError(
                403,
                "forbidden",
                "Metrics are served to this machine only (or set WINROOM_METRICS_TOKEN).",
            )
        return
    sent = bearer_token(request.headers.get("authorization")) or ""
    if not hmac.compare_digest(sent.encode(), token.encode()):
        raise ApiError(
            401,
            "not_authenticated",
            "Send the metrics token as a Bearer token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
