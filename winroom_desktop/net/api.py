"""``ApiClient``: async HTTP to the Win Room API (CONTRACT §4) on the running asyncio loop."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import httpx

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A non-2xx answer: ``status``, ``code`` and ``message`` from the error body."""

    def __init__(self, status: int, code: str, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class ServerUnreachable(Exception):
    """The server could not be reached (connection refused, DNS, timeout)."""


def login_failure_text(exc: Exception, server: str) -> str:
    """What a login dialog says when ``ApiClient.login`` failed (seller and admin alike)."""
    if isinstance(exc, ServerUnreachable):
        return f"Can't reach {server}. Check the address or try again."
    if isinstance(exc, ApiError):
        if exc.status in (400, 401, 403, 422):
            return "Wrong email or password."
        if exc.status == 429:
            return "Too many attempts: wait a minute and try again."
        return exc.message
    return str(exc)


class ApiClient:
    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.server, timeout=self.timeout, transport=self._transport
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        try:
            resp = await self._http().request(method, path, json=json, headers=h)
        except httpx.HTTPError as exc:
            raise ServerUnreachable(f"{self.server}: {exc or type(exc).__name__}") from exc
        if resp.status_code >= 400:
            try:
                body = resp.json()
                err = body.get("error", {}) if isinstance(body, dict) else {}
            except ValueError:
                body, err = resp.text, {}
            raise ApiError(
                resp.status_code,
                str(err.get("code") or f"http_{resp.status_code}"),
                str(err.get("message") or resp.reason_phrase),
                body,
            )
        if not resp.content:
            return None
        return resp.json()

    async def get(self, path: str) -> Any:
        return await self.request("GET", path)

    async def healthz(self) -> bool:
        try:
            await self.get("/healthz")
            return True
        except (ServerUnreachable, ApiError):
            return False

    async def login(self, email: str, password: str) -> dict[str, Any]:
        """``POST /api/auth/login``; keeps the token for later calls and returns ``user``."""
        body = await self.request(
            "POST", "/api/auth/login", json={"email": email, "password": password}
        )
        self.token = body["token"]
        return dict(body["user"])

    async def me(self) -> dict[str, Any]:
        return dict((await self.get("/api/auth/me"))["user"])

    async def claim(
        self,
        queue_id: int,
        claim_type: str = "first_sales",
        *,
        installment_plan_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """``POST /api/claim``; a retry with the same key returns the first answer."""
        payload: dict[str, Any] = {"queue_id": queue_id, "claim_type": claim_type}
        if installment_plan_id is not None:
            payload["installment_plan_id"] = installment_plan_id
        key = idempotency_key or str(uuid.uuid4())
        body = await self.request(
            "POST", "/api/claim", json=payload, headers={"Idempotency-Key": key}
        )
        return dict(body["claim"])

    async def load(self, paths: list[str]) -> dict[str, Any]:
        """GET every path concurrently → ``{path: body}``. Endpoints the server does not
        serve (404/501/403) are left out; an unreachable server raises ``ServerUnreachable``."""
        results = await asyncio.gather(*(self.get(p) for p in paths), return_exceptions=True)
        out: dict[str, Any] = {}
        for path, res in zip(paths, results, strict=True):
            if isinstance(res, ServerUnreachable):
                raise res
            if isinstance(res, ApiError):
                if res.status == 401:
                    raise res
                log.info("snapshot: %s answered %s %s", path, res.status, res.code)
                continue
            if isinstance(res, BaseException):
                raise res
            out[path] = res
        return out
