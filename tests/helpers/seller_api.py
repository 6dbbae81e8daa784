"""``StubSellerApi``: the seller app's API answered from memory (``SceneApi``), recording
every claim, request and load the app makes."""

from __future__ import annotations

from typing import Any

from winroom_desktop.seller_scenes import SceneApi


class StubSellerApi(SceneApi):
    def __init__(self, server: str = "http://sample.invalid", token: str | None = "t") -> None:
        super().__init__(server, token)
        self.claims: list[tuple[int, str, int | None, str | None]] = []
        self.requests: list[tuple[str, str, Any]] = []
        self.loads: list[list[str]] = []

    async def claim(
        self,
        queue_id: int,
        claim_type: str = "first_sales",
        *,
        installment_plan_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        self.claims.append((queue_id, claim_type, installment_plan_id, idempotency_key))
        return await super().claim(
            queue_id,
            claim_type,
            installment_plan_id=installment_plan_id,
            idempotency_key=idempotency_key,
        )

    async def request(self, method: str, path: str, *, json: Any = None, **kw: Any) -> Any:
        self.requests.append((method, path, json))
        return await super().request(method, path, json=json, **kw)

    async def load(self, paths: list[str]) -> dict[str, Any]:
        self.loads.append(list(paths))
        return await super().load(paths)
