"""``AdminApi`` against the fake §4a API (in-process transport)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.desktop.admin.fake_api import FakeAdmin
from winroom_desktop.net.admin_api import AdminApi
from winroom_desktop.net.api import ApiClient, ApiError

LOOP: list[asyncio.AbstractEventLoop] = []


def run(coro: Any) -> Any:
    return LOOP[-1].run_until_complete(coro)


@pytest.fixture(autouse=True)
def _loop() -> Any:
    LOOP.append(asyncio.new_event_loop())
    yield
    LOOP.pop().close()


@pytest.fixture
def api() -> tuple[FakeAdmin, AdminApi]:
    fake = FakeAdmin(1000)
    client = ApiClient("http://fake", transport=fake.transport())
    run(client.login("finance@example.com", "secret"))
    return fake, AdminApi(client)


def test_a_page_sends_filters_limit_and_cursor(api: tuple[FakeAdmin, AdminApi]) -> None:
    fake, a = api

    async def go() -> Any:
        first = await a.page("/api/admin/claims", {"finance_status": "waiting", "q": ""})
        second = await a.page(
            "/api/admin/claims", {"finance_status": "waiting"}, first["next_cursor"]
        )
        return first, second

    first, second = run(go())
    q1, q2 = fake.calls[-2][2], fake.calls[-1][2]
    assert q1 == {"finance_status": "waiting", "limit": "100"}  # empty filters are left out
    assert q2["cursor"] == first["next_cursor"]
    assert {c["id"] for c in first["claims"]}.isdisjoint({c["id"] for c in second["claims"]})
    assert all(c["finance_status"] == "waiting" for c in first["claims"] + second["claims"])


def test_a_write_sends_the_version_and_a_stale_one_is_a_409(
    api: tuple[FakeAdmin, AdminApi],
) -> None:
    fake, a = api
    body = run(a.set_claim_status(5, "approved", "checked", version=1))
    assert fake.calls[-1][3] == {"finance_status": "approved", "note": "checked", "version": 1}
    assert body["claim"]["version"] == 2
    with pytest.raises(ApiError) as err:
        run(a.set_claim_status(5, "problem", version=1))
    assert (err.value.status, err.value.code) == (409, "stale")


def test_error_envelope_becomes_apierror(api: tuple[FakeAdmin, AdminApi]) -> None:
    _fake, a = api
    run(a.refund(9, "cancelled"))
    with pytest.raises(ApiError) as err:
        run(a.refund(9, "cancelled"))
    assert err.value.code == "already_refunded"
    assert err.value.message == "This claim is already refunded."
    with pytest.raises(ApiError) as err:
        run(a.claim(10_000))
    assert err.value.status == 404


def test_export_returns_the_bytes(api: tuple[FakeAdmin, AdminApi]) -> None:
    _fake, a = api
    data = run(a.export("/api/admin/export/claims.csv", {"seller_id": 2}))
    assert data.startswith("\ufeffid,seller".encode())


def test_export_error_is_an_apierror() -> None:
    fake = FakeAdmin(10)
    a = AdminApi(ApiClient("http://fake", transport=fake.transport()))
    with pytest.raises(ApiError) as err:  # not logged in
        run(a.export("/api/admin/export/statement.csv", {"month": "2025-06"}))
    assert err.value.status in (401, 404)
