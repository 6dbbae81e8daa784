"""``/metrics`` (CONTRACT §4, §7): what it counts, and who may read it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from backend.eventlog import append_event
from backend.models import Event
from backend.runtime import Database
from backend.server import RunningServer, WinRoomApp, build, run_server_in_process
from backend.settings import SettingsError
from tests.backend.realtime.support import (
    People,
    Recorder,
    TestClient,
    add_item,
    make_people,
    make_settings,
)

HTTP = "winroom_http_request_duration_seconds"
LOCAL = ("127.0.0.1", 40000)
TOKEN = "a-metrics-token-of-some-length"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def scrape(client: Any, **kw: Any) -> Samples:
    resp = client.get("/metrics", **kw)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return parse(resp.text)


def claim(client: Any, people: People, role: str, qid: int) -> httpx.Response:
    return client.post(
        "/api/claim",
        json={"queue_id": qid, "claim_type": "first_sales"},
        headers=people.headers(role),
    )


@pytest.fixture
def server_app(data_dir: Path, db: Database) -> WinRoomApp:
    return build(make_settings(data_dir, db), db)


@pytest.fixture
def local(server_app: WinRoomApp) -> Iterator[TestClient]:
    c = TestClient(server_app.api, raise_server_exceptions=False, client=LOCAL)
    yield c
    c.close()


@pytest.fixture
def people(db: Database, server_app: WinRoomApp) -> People:
    return make_people(db, server_app.ctx.settings)


def test_latency_is_counted_per_route_template(local: TestClient, people: People) -> None:
    route = "/api/admin/claims/{claim_id}"
    before = scrape(local)
    for claim_id in (987654, 987655, 987656):
        local.get(f"/api/admin/claims/{claim_id}", headers=people.headers("admin"))
    local.get("/no/such/path/424242")
    local.get("/healthz")
    after = scrape(local)
    text = local.get("/metrics").text

    def delta(**labels: str) -> float:
        return value(after, f"{HTTP}_count", **labels) - value(before, f"{HTTP}_count", **labels)

    answered = {
        labels["status"]
        for (name, items) in after
        if name == f"{HTTP}_count"
        for labels in [dict(items)]
        if labels["route"] == route and delta(**labels) > 0
    }
    assert len(answered) == 1  # the same answer three times, under one series
    status = answered.pop()
    assert delta(method="GET", route=route, status=status) == 3
    assert delta(method="GET", route="unmatched", status="4xx") == 1
    assert delta(method="GET", route="/healthz", status="2xx") == 1
    # the buckets of one series: cumulative, ending at +Inf = the count
    inf = value(after, f"{HTTP}_bucket", method="GET", route="/healthz", status="2xx", le="+Inf")
    assert inf == value(after, f"{HTTP}_count", method="GET", route="/healthz", status="2xx")
    for raw in ("987654", "424242", "/no/such"):
        assert raw not in text
    assert 'route="/metrics"' not in text  # scrapes are not timed


def test_claims_counted_by_outcome(local: TestClient, people: People, db: Database) -> None:
    qid = add_item(db)
    before = scrape(local)
    assert claim(local, people, "sales", qid).status_code == 201
    assert claim(local, people, "sales_lead", qid).status_code == 409
    assert claim(local, people, "sales", 999_999).status_code == 404
    after = scrape(local)
    outcomes: dict[str, float] = {}
    for (name, items), v in after.items():
        if name == "winroom_claims_total":
            o = dict(items)["outcome"]
            outcomes[o] = v - value(before, name, outcome=o)
    assert outcomes.pop("won") == 1
    assert outcomes.pop("already_claimed") == 1
    assert sum(outcomes.values()) == 1  # the unknown item, under its error code
    assert "won" not in outcomes and "999999" not in "".join(outcomes)


def test_rate_limited_claims_are_counted(data_dir: Path, db: Database) -> None:
    app = build(make_settings(data_dir, db, claim_rate_limit="1/minute"), db)
    people = make_people(db, app.ctx.settings)
    qid = add_item(db)
    with TestClient(app.api, raise_server_exceptions=False, client=LOCAL) as c:
        before = scrape(c)
        assert claim(c, people, "sales", qid).status_code == 201
        assert claim(c, people, "sales", qid).status_code == 429
        after = scrape(c)
    name = "winroom_claims_total"
    assert (
        value(after, name, outcome="rate_limited") - value(before, name, outcome="rate_limited")
        == 1
    )


def test_database_pool_is_reported(local: TestClient, db: Database) -> None:
    samples = scrape(local)
    dialect = db.engine.dialect.name
    assert ("winroom_db_pool_checked_out", (("dialect", dialect),)) in samples
    assert "winroom_redis_up" not in names(samples)  # no Redis configured: no gauge


@pytest.mark.parametrize("redis", ["up", "down"])
def test_redis_up(data_dir: Path, db: Database, redis: str) -> None:
    url = "redis://127.0.0.1:6379/0" if redis == "up" else "redis://127.0.0.1:1/0"
    app = build(make_settings(data_dir, db, redis_url=url), db)
    people = make_people(db, app.ctx.settings)
    with TestClient(app.api, raise_server_exceptions=False, client=LOCAL) as c:
        claim(c, people, "sales", add_item(db))  # the claim limit talks to Redis
        samples = scrape(c)
    assert value(samples, "winroom_redis_up") == (1.0 if redis == "up" else 0.0)
    assert "winroom_redis_up" in names(samples)


# ---- who may read it ----------------------------------------------------------------------


def test_loopback_only_without_a_token(server_app: WinRoomApp) -> None:
    for peer in (("10.1.2.3", 1234), ("192.168.1.5", 80), ("::ffff:10.0.0.1", 1)):
        with TestClient(server_app.api, client=peer) as c:
            resp = c.get("/metrics")
            assert resp.status_code == 403
            assert resp.json()["error"]["code"] == "forbidden"
    for peer in (("127.0.0.1", 1), ("127.5.6.7", 1), ("::1", 1)):
        with TestClient(server_app.api, client=peer) as c:
            assert c.get("/metrics").status_code == 200
    with TestClient(server_app.api, client=LOCAL) as c:  # a local proxy relaying a remote
        assert c.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403
        # a bearer token means nothing while none is configured
        assert c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_token_required_when_set(data_dir: Path, db: Database) -> None:
    app = build(make_settings(data_dir, db, metrics_token=TOKEN), db)
    for peer in (("10.1.2.3", 1234), LOCAL):
        with TestClient(app.api, client=peer) as c:
            for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}):
                resp = c.get("/metrics", headers=headers)
                assert resp.status_code == 401
                assert resp.json()["error"]["code"] == "not_authenticated"
            ok = c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert ok.status_code == 200
            assert "winroom_sockets" in ok.text


def test_short_token_stops_the_program(data_dir: Path, db: Database) -> None:
    with pytest.raises(SettingsError) as exc:
        make_settings(data_dir, db, metrics_token="short")
    assert str(exc.value).startswith("WINROOM_METRICS_TOKEN:")
    assert "\n" not in str(exc.value)
    assert make_settings(data_dir, db, metrics_token="").metrics_token is None


# ---- live: sockets, relayed events, replays -----------------------------------------------


@pytest.fixture
def live(data_dir: Path, db: Database) -> Iterator[RunningServer]:
    with run_server_in_process(make_settings(data_dir, db), db=db) as srv:
        yield srv


def _scrape_live(srv: RunningServer) -> Samples:
    return scrape(httpx.Client(base_url=srv.url, timeout=10))


async def _until(cond: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_sockets_by_role_and_events_relayed(live: RunningServer, db: Database) -> None:
    asyncio.run(_sockets_and_events(live, db))


async def _sockets_and_events(live: RunningServer, db: Database) -> None:
    people = make_people(db, live.app.ctx.settings)
    before = await asyncio.to_thread(_scrape_live, live)
    assert value(before, "winroom_sockets", role="tv") == 0
    tv, seller = Recorder(), Recorder()
    await tv.connect(live.url, people.tokens["tv"])
    await seller.connect(live.url, people.tokens["sales"])
    await tv.joined(live)
    await seller.joined(live)
    now = await asyncio.to_thread(_scrape_live, live)
    assert value(now, "winroom_sockets", role="tv") == 1
    assert value(now, "winroom_sockets", role="sales") == 1
    assert value(now, "winroom_sockets", role="admin") == 0

    qid = add_item(db)
    async with httpx.AsyncClient(base_url=live.url) as http:
        resp = await http.post(
            "/api/claim",
            json={"queue_id": qid, "claim_type": "first_sales"},
            headers=people.headers("sales"),
        )
    assert resp.status_code == 201
    await seller.wait_for(lambda: len(seller.ids()) >= 1)
    received = {e for e, d in seller.events if isinstance(d, dict) and "id" in d}
    after = await asyncio.to_thread(_scrape_live, live)
    for etype in received:
        name, lbl = "winroom_events_relayed_total", {"type": etype}
        assert value(after, name, **lbl) > value(before, name, **lbl)

    await tv.disconnect()
    await seller.disconnect()
    got: dict[str, Samples] = {}

    def gone() -> bool:
        got["s"] = _scrape_live(live)
        return value(got["s"], "winroom_sockets", role="tv") == 0

    await _until(gone)
    assert value(got["s"], "winroom_sockets", role="sales") == 0


def test_replay_sizes_and_resyncs(live: RunningServer, db: Database) -> None:
    asyncio.run(_replays(live, db))


async def _replays(live: RunningServer, db: Database) -> None:
    people = make_people(db, live.app.ctx.settings)
    for _ in range(3):
        with db.transaction() as s:
            append_event(s, "leaderboard:refresh", {"boards": ["wins"]})
    with db.read() as s:
        last = s.scalar(select(func.max(Event.id)))
    before = await asyncio.to_thread(_scrape_live, live)
    again = Recorder()
    await again.connect(live.url, people.tokens["sales"], since=0)
    await again.joined(live)

    def replayed_ids() -> list[int]:  # its own presence.changed comes after, live
        return [i for i in again.ids(skip=()) if i <= last]

    await again.wait_for(lambda: len(replayed_ids()) >= 3)
    replayed = len(replayed_ids())
    await again.disconnect()
    assert replayed == 3
    stale = Recorder()  # a since past every event: resync.required
    await stale.connect(live.url, people.tokens["sales"], since=10**9)
    await stale.wait_for(lambda: any(e == "resync.required" for e, _ in stale.events))
    await stale.disconnect()
    after = await asyncio.to_thread(_scrape_live, live)
    count, total = "winroom_replay_events_count", "winroom_replay_events_sum"
    assert value(after, count) - value(before, count) == 1
    assert value(after, total) - value(before, total) == replayed
    resyncs = "winroom_resyncs_total"
    assert value(after, resyncs) - value(before, resyncs) == 1
