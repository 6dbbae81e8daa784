"""``AdminApi``: the admin and finance API (CONTRACT §4a) over an ``ApiClient``.

Every call is a coroutine on the running (qasync) loop: the Qt thread never waits on the
network. Errors are ``ApiError`` (status, code, message from the envelope) or
``ServerUnreachable``; writes send the object's ``version`` when the caller has one, so a
409 ``stale`` tells the window to reload the row."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import httpx

from winroom_desktop.net.api import ApiClient, ApiError, ServerUnreachable

PAGE = 100


def _q(params: dict[str, Any] | None) -> str:
    clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
    return ("?" + urlencode(clean)) if clean else ""


def _versioned(body: dict[str, Any], version: int | None) -> dict[str, Any]:
    if version is not None:
        body = {**body, "version": version}
    return body


class AdminApi:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    @property
    def server(self) -> str:
        return self.api.server

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self.api.request("GET", path + _q(params))

    async def _send(self, method: str, path: str, body: Any = None) -> Any:
        return await self.api.request(method, path, json=body)

    async def page(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        cursor: str | None = None,
        limit: int = PAGE,
    ) -> Any:
        """One page of a §4a list: ``{"<items>": [...], "next_cursor", "total"}``."""
        p = dict(params or {})
        p["limit"] = limit
        if cursor:
            p["cursor"] = cursor
        return await self._get(path, p)

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self._get(path, params)

    # -- claims --------------------------------------------------------------------
    async def claim(self, claim_id: Any) -> dict[str, Any]:
        body = await self._get(f"/api/admin/claims/{claim_id}")
        return dict(body.get("claim", body)) if isinstance(body, dict) else {}

    async def set_claim_status(
        self, claim_id: Any, status: str, note: str = "", version: int | None = None
    ) -> Any:
        body: dict[str, Any] = {"finance_status": status}
        if note:
            body["note"] = note
        return await self._send("PATCH", f"/api/admin/claims/{claim_id}", _versioned(body, version))

    async def adjust(self, claim_id: Any, reason: str, amount: str, note: str = "") -> Any:
        body: dict[str, Any] = {"reason": reason, "amount": amount}
        if note:
            body["note"] = note
        return await self._send("POST", f"/api/admin/claims/{claim_id}/adjustment", body)

    async def split(self, claim_id: Any, shares: list[dict[str, Any]]) -> Any:
        return await self._send("POST", f"/api/admin/claims/{claim_id}/shares", {"shares": shares})

    async def reassign(self, claim_id: Any, seller_id: int) -> Any:
        return await self._send(
            "POST", f"/api/admin/claims/{claim_id}/reassign", {"seller_id": seller_id}
        )

    async def refund(self, claim_id: Any, reason: str, note: str = "") -> Any:
        body: dict[str, Any] = {"reason": reason}
        if note:
            body["note"] = note
        return await self._send("POST", f"/api/admin/claims/{claim_id}/refund", body)

    # -- queue ---------------------------------------------------------------------
    async def patch_item(self, item_id: Any, changes: dict[str, Any], version: int | None) -> Any:
        return await self._send(
            "PATCH", f"/api/admin/queue/{item_id}", _versioned(changes, version)
        )

    async def bulk_status(self, ids: list[Any], status: str) -> Any:
        return await self._send(
            "POST", "/api/admin/queue/finance-status", {"ids": list(ids), "finance_status": status}
        )

    async def exclude(self, item_id: Any, reason: str) -> Any:
        return await self._send("POST", f"/api/admin/queue/{item_id}/exclude", {"reason": reason})

    async def manual_entry(self, entry: dict[str, Any]) -> Any:
        return await self._send("POST", "/api/queue/manual", entry)

    # -- sellers -------------------------------------------------------------------
    async def patch_seller(
        self, seller_id: Any, changes: dict[str, Any], version: int | None
    ) -> Any:
        return await self._send(
            "PATCH", f"/api/admin/sellers/{seller_id}", _versioned(changes, version)
        )

    async def performance(self, seller_id: Any, period: str = "month") -> Any:
        return await self._get(f"/api/admin/sellers/{seller_id}/performance", {"period": period})

    # -- goals, challenges, promotions (one shape: list, create, edit, end) ----------
    async def create(self, kind: str, body: dict[str, Any]) -> Any:
        return await self._send("POST", f"/api/admin/{kind}", body)

    async def edit(self, kind: str, obj_id: Any, body: dict[str, Any], version: int | None) -> Any:
        return await self._send("PATCH", f"/api/admin/{kind}/{obj_id}", _versioned(body, version))

    async def end(self, kind: str, obj_id: Any) -> Any:
        return await self._send("DELETE", f"/api/admin/{kind}/{obj_id}")

    # -- installments --------------------------------------------------------------
    async def create_plan(
        self, queue_id: Any, payments: list[dict[str, str]], tolerance: int | None
    ) -> Any:
        body: dict[str, Any] = {"queue_id": queue_id, "payments": payments}
        if tolerance is not None:
            body["tolerance_days"] = tolerance
        return await self._send("POST", "/api/admin/installments", body)

    async def mark_payment(
        self, plan_id: Any, payment_id: Any, status: str, version: int | None = None
    ) -> Any:
        return await self._send(
            "POST",
            f"/api/admin/installments/{plan_id}/payments/{payment_id}",
            _versioned({"status": status}, version),
        )

    async def tolerance(self, plan_id: Any, days: int, reason: str) -> Any:
        return await self._send(
            "POST", f"/api/admin/installments/{plan_id}/tolerance", {"days": days, "reason": reason}
        )

    async def set_plan_status(self, plan_id: Any, status: str, version: int | None) -> Any:
        return await self._send(
            "PATCH", f"/api/admin/installments/{plan_id}", _versioned({"status": status}, version)
        )

    # -- objections, periods, devices ------------------------------------------------
    async def resolve(self, objection_id: Any, body: dict[str, Any]) -> Any:
        return await self._send("POST", f"/api/admin/objections/{objection_id}", body)

    async def overview(self, month: str) -> Any:
        return await self._get("/api/admin/overview", {"month": month})

    async def close_month(self, month: str) -> Any:
        return await self._send("POST", f"/api/admin/periods/{quote(month)}/close", {})

    async def pair_device(self, code: str, name: str) -> Any:
        return await self._send("POST", "/api/admin/devices/pair", {"code": code, "name": name})

    async def revoke_device(self, device_id: Any) -> Any:
        return await self._send("DELETE", f"/api/admin/devices/{device_id}")

    # -- exports -------------------------------------------------------------------
    async def export(self, path: str, params: dict[str, Any] | None = None) -> bytes:
        """A streamed CSV export (``claims.csv``, ``statement.csv``) as bytes."""
        # ApiClient answers JSON; an export is bytes, on the same connection pool.
        client = self.api._http()
        headers = {"Authorization": f"Bearer {self.api.token}"} if self.api.token else {}
        try:
            async with client.stream("GET", path + _q(params), headers=headers) as resp:
                data = await resp.aread()
        except httpx.HTTPError as exc:
            raise ServerUnreachable(f"{self.api.server}: {exc or type(exc).__name__}") from exc
        if resp.status_code >= 400:
            code, message = f"http_{resp.status_code}", resp.reason_phrase
            try:
                err = httpx.Response(resp.status_code, content=data).json().get("error", {})
                code, message = str(err.get("code") or code), str(err.get("message") or message)
            except (ValueError, AttributeError):
                pass
            raise ApiError(resp.status_code, code, message)
        return data
