"""TV pairing (CONTRACT §4 "TV pairing"): a code for the TV, approval by an admin, the
token collected exactly once; and a revoked TV's real socket closing within 10 s."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from backend.actions import devices as actions
from backend.api.routes.admin import devices as routes
from backend.errors import DomainError
from backend.models import AuditLog
from backend.models.admin import DevicePairing
from backend.runtime import Database
from backend.server import RunningServer, run_server_in_process
from backend.settings import Settings
from tests.backend.realtime.support import People, Recorder, TestClient, refused_at_connect

CODE = re.compile(rf"^[{actions.CODE_ALPHABET}]{{4}}-[{actions.CODE_ALPHABET}]{{4}}$")


def start(client: TestClient) -> dict[str, Any]:
    resp = client.post("/api/devices/pair")
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def approve(client: TestClient, people: People, code: str, name: str = "Floor TV 7") -> Any:
    return client.post(
        "/api/admin/devices/pair",
        json={"code": code, "name": name},
        headers=people.headers("admin"),
    )


def test_happy_path(client: TestClient, people: People, db: Database) -> None:
    before = datetime.now(UTC)
    got = start(client)
    assert set(got) == {"code", "pairing_id", "expires_at"}
    assert CODE.match(got["code"]), got["code"]
    assert len(got["pairing_id"]) >= 40
    expires = datetime.fromisoformat(got["expires_at"])
    assert before + timedelta(minutes=9) < expires <= datetime.now(UTC) + timedelta(minutes=10)
    poll = f"/api/devices/pair/{got['pairing_id']}"
    waiting = client.get(poll)
    assert waiting.status_code == 202 and waiting.json() == {"status": "waiting"}

    typed = got["code"].replace("-", "").lower()  # as someone types it off the screen
    ok = approve(client, people, f" {typed[:3]} {typed[3:]} ")
    assert ok.status_code == 201, ok.text
    device = ok.json()["device"]
    assert device["name"] == "Floor TV 7" and device["revoked_at"] is None
    assert approve(client, people, got["code"], "Other").status_code == 409  # approved already

    done = client.get(poll)
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    assert set(done.json()) == {"token", "name"}
    assert done.json()["name"] == "Floor TV 7"
    tv = {"Authorization": f"Bearer {done.json()['token']}"}
    assert client.get("/api/auth/me", headers=tv).json()["user"]["name"] == "Floor TV 7"
    again = client.get(poll)
    assert again.status_code == 410 and again.json()["error"]["code"] == "pairing_used"
    with db.read() as s:  # the token is not kept once collected
        row = s.get(DevicePairing, got["pairing_id"])
        assert row is not None and row.token is None and row.collected_at is not None
        assert s.scalars(select(AuditLog.action).where(AuditLog.target_type == "device")).all() == [
            "device.pair"
        ]
    assert approve(client, people, got["code"]).status_code == 404  # used up


def test_unknown_and_bad_input(client: TestClient, people: People, db: Database) -> None:
    assert client.get("/api/devices/pair/nope").status_code == 404
    assert client.get(f"/api/devices/pair/{'x' * 101}").status_code == 422
    for code in ("ACEF-GHJK", "hello", "", "0000-0000", "ACEF-GHJKM"):
        resp = approve(client, people, code)
        assert resp.status_code in (404, 422), code
        assert "error" in resp.json()
    assert approve(client, people, "ACEF-GHJK").json()["error"]["code"] == "not_found"
    got = start(client)
    for body in (
        {"code": got["code"]},
        {"name": "X"},
        {"code": 12345678, "name": "X"},
        {"code": got["code"], "name": ""},
        {"code": got["code"], "name": "X", "extra": 1},
    ):
        resp = client.post("/api/admin/devices/pair", json=body, headers=people.headers("admin"))
        assert resp.status_code == 422, body
    # a taken name: 409, and the code can still be approved under another name
    client.post("/api/admin/devices", json={"name": "Taken"}, headers=people.headers("admin"))
    taken = approve(client, people, got["code"], "Taken")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "name_taken"
    assert client.get(f"/api/devices/pair/{got['pairing_id']}").status_code == 202
    assert approve(client, people, got["code"], "Fresh").status_code == 201
    assert client.get(f"/api/devices/pair/{got['pairing_id']}").status_code == 200


def test_expiry(client: TestClient, people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    late = start(client)
    slow = start(client)
    assert approve(client, people, slow["code"], "Slow TV").status_code == 201
    now = datetime.now(UTC)
    monkeypatch.setattr(routes, "utcnow", lambda: now + timedelta(minutes=10, seconds=5))
    gone = client.get(f"/api/devices/pair/{late['pairing_id']}")
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "pairing_expired"
    assert approve(client, people, late["code"]).status_code == 404
    # approved at minute 0: its TV had 10 minutes from the approval to collect
    assert client.get(f"/api/devices/pair/{slow['pairing_id']}").status_code == 410
    # a day later the row is gone for good: 404, and no token is left anywhere
    monkeypatch.setattr(routes, "utcnow", lambda: now + timedelta(days=2))
    start(client)
    assert client.get(f"/api/devices/pair/{late['pairing_id']}").status_code == 404


def test_a_device_revoked_before_its_tv_collected(client: TestClient, people: People) -> None:
    got = start(client)
    dev = approve(client, people, got["code"]).json()["device"]
    client.delete(f"/api/admin/devices/{dev['id']}", headers=people.headers("admin"))
    resp = client.get(f"/api/devices/pair/{got['pairing_id']}")
    assert resp.status_code == 410 and resp.json()["error"]["code"] == "pairing_revoked"


def test_rate_limited(client: TestClient) -> None:
    for _ in range(10):
        start(client)
    resp = client.post("/api/devices/pair")
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    assert int(resp.headers["retry-after"]) >= 1


def test_exactly_once_when_two_polls_race(db: Database) -> None:
    """Both polls read the approved row before either writes (forced): one gets the token,
    the other 410 — on PostgreSQL the second UPDATE waits for the first and finds the row
    collected; on SQLite the second transaction cannot start before the first ends."""
    now = datetime.now(UTC)
    with db.transaction() as s:
        row = actions.start_pairing(s, now)
        pid, code = row.id, row.code
        actions.approve_pairing(s, None, code, "Race TV", now)
    first_done = threading.Event()
    release = threading.Event()
    results: list[object] = []

    def first() -> None:
        with db.transaction() as s:
            results.append(actions.collect_pairing(s, pid, now))
            first_done.set()
            assert release.wait(30)

    def second() -> None:
        try:
            with db.transaction() as s:
                results.append(actions.collect_pairing(s, pid, now))
        except DomainError as exc:
            results.append(exc.status)

    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(first)
        assert first_done.wait(30)
        b = pool.submit(second)
        if db.engine.dialect.name == "postgresql":
            wait_for_blocked_statement(db)
        release.set()
        a.result(30)
        b.result(30)
    tokens = [r for r in results if isinstance(r, actions.Collected)]
    assert len(tokens) == 1 and tokens[0].token.startswith("wrtv_")
    assert 410 in results


def wait_for_blocked_statement(db: Database) -> None:
    """Until a session of this database waits on a row lock (the second poll's UPDATE)."""
    for _ in range(3000):
        with db.engine.connect() as c:
            n = c.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            ).scalar()
        if n:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the second poll never waited on the first")


async def until_closed(tv: Recorder, within: float = 10.0) -> None:
    """CONTRACT §4a: a revoked TV's socket closes within 10 s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while tv.client.connected:
        assert loop.time() < deadline, f"the socket was still open after {within} s"
        await asyncio.sleep(0.02)


# ---- with a real server -----------------------------------------------------------------
@pytest.fixture
def live(api_settings: Settings, db: Database) -> Iterator[RunningServer]:
    with run_server_in_process(api_settings, db=db) as srv:
        yield srv


def test_concurrent_polls_over_http_hand_out_one_token(live: RunningServer, people: People) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as http:
        got = http.post("/api/devices/pair").json()
        http.post(
            "/api/admin/devices/pair",
            json={"code": got["code"], "name": "Burst TV"},
            headers=people.headers("admin"),
        ).raise_for_status()
        barrier = threading.Barrier(8)

        def poll(_: int) -> tuple[int, Any]:
            with httpx.Client(base_url=live.url, timeout=30) as own:
                barrier.wait()
                resp = own.get(f"/api/devices/pair/{got['pairing_id']}")
                return resp.status_code, resp.json()

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(poll, range(8)))
    assert sorted(status for status, _ in answers) == [200] + [410] * 7
    assert [body["name"] for status, body in answers if status == 200] == ["Burst TV"]


def test_revoke_closes_the_tvs_socket_and_its_http(
    live: RunningServer, people: People, db: Database
) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            admin = people.headers("admin")
            made = (
                await http.post("/api/admin/devices", json={"name": "Wall"}, headers=admin)
            ).json()
            token, dev_id = made["token"], made["device"]["id"]
            tv = Recorder()
            await tv.connect(live.url, token)
            await tv.joined(live)
            listed = (await http.get("/api/admin/devices", headers=admin)).json()["devices"]
            wall = next(d for d in listed if d["id"] == dev_id)
            assert wall["connected"] is True and wall["last_seen_at"] is not None
            resp = await http.delete(f"/api/admin/devices/{dev_id}", headers=admin)
            assert resp.status_code == 200
            me = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401  # at once
            await until_closed(tv)
            refusal = await refused_at_connect(live.url, {"token": token})
            assert refusal["data"]["code"] == "token_revoked"
            listed = (await http.get("/api/admin/devices", headers=admin)).json()["devices"]
            assert next(d for d in listed if d["id"] == dev_id)["connected"] is False

    asyncio.run(main())


def test_a_revoke_from_elsewhere_closes_the_socket_at_the_next_check(
    live: RunningServer, people: People, db: Database
) -> None:
    """Another instance (here: the CLI's action on the database) revoked the TV: this
    server's next token check (every 5 s) ends its socket."""

    async def main() -> None:
        tv = Recorder()
        await tv.connect(live.url, people.tokens["tv"])
        await tv.joined(live)

        def revoke() -> None:
            with db.transaction() as s:
                dev_id = s.scalar(text("SELECT id FROM device_tokens WHERE name = 'Floor TV'"))
                actions.revoke_device(s, None, int(dev_id), datetime.now(UTC))

        await asyncio.to_thread(revoke)
        await until_closed(tv)

    asyncio.run(main())
