"""Login throttling (issue 19 §4): per (account, address) with growing waits, per address,
per account only for addresses the owner has not used; counted before the password check;
Retry-After on every 429; the same budgets across instances through Redis."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from limits import parse

from backend.api import ratelimit
from backend.api.ratelimit import RateLimits, address_key
from backend.api.routes import auth as auth_routes
from backend.runtime import Database
from backend.server import WinRoomApp, run_server_in_process
from backend.settings import Settings
from tests.backend.realtime.support import (
    PASSWORD,
    People,
    TestClient,
    make_people,
    make_settings,
)
from tests.helpers.databases import redis_url

LOGIN = "/api/auth/login"
FIRST_TIER = parse(ratelimit.LOGIN_PER_PAIR[0]).amount  # tries before the first wait


def at(server_app: WinRoomApp, address: str) -> TestClient:
    return TestClient(server_app.api, raise_server_exceptions=False, client=(address, 40000))


def login(c: Any, email: str, password: str, **kw: Any) -> httpx.Response:
    resp: httpx.Response = c.post(LOGIN, json={"email": email, "password": password}, **kw)
    return resp


def retry_after(resp: httpx.Response) -> int:
    value = resp.headers.get("Retry-After")
    assert value is not None and value.isdigit(), resp.headers
    return int(value)


class FakeClock:
    """``time.time`` for ``limits``' in-memory storage and for Retry-After."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    import time

    import limits.storage.memory as memory

    fake = FakeClock(time.time())
    monkeypatch.setattr(memory, "time", fake)
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


@pytest.fixture
def clients(server_app: WinRoomApp) -> Iterator[dict[str, TestClient]]:
    made = {
        "stranger": at(server_app, "203.0.113.5"),
        "owner": at(server_app, "198.51.100.7"),
        "third": at(server_app, "192.0.2.9"),
    }
    yield made
    for c in made.values():
        c.close()


def test_a_strangers_wrong_tries_do_not_lock_the_owner_out(
    clients: dict[str, TestClient], people: People
) -> None:
    stranger, owner = clients["stranger"], clients["owner"]
    codes = [login(stranger, "admin@winroom.io", "nope-nope").status_code for _ in range(15)]
    assert codes == [401] * FIRST_TIER + [429] * (15 - FIRST_TIER)
    refused = login(stranger, "admin@winroom.io", PASSWORD)  # even the right one, from there
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= retry_after(refused) <= 60
    assert refused.json()["error"]["retry_after"] == retry_after(refused)
    # the owner, from another address, logs in at once
    ok = login(owner, "Admin@Winroom.io", PASSWORD)
    assert ok.status_code == 200 and ok.json()["user"]["role"] == "admin"
    # and another account from the stranger's address is not refused either
    assert login(stranger, "sales@winroom.io", PASSWORD).status_code == 200


def test_waits_grow_and_a_success_starts_afresh(
    clients: dict[str, TestClient], people: People, clock: FakeClock
) -> None:
    c = clients["stranger"]

    def wrong() -> httpx.Response:
        return login(c, "sales@winroom.io", "nope-nope")

    assert [wrong().status_code for _ in range(5)] == [401] * 5
    first = wrong()
    assert first.status_code == 429 and 1 <= retry_after(first) <= 60
    clock.now += retry_after(first) + 1
    assert [wrong().status_code for _ in range(5)] == [401] * 5  # 10 in the quarter hour
    clock.now += 61  # the minute's budget is back, the quarter hour's is not
    second = wrong()
    assert second.status_code == 429 and 60 < retry_after(second) <= 15 * 60
    clock.now += retry_after(second) + 1
    assert login(c, "sales@winroom.io", PASSWORD).status_code == 200
    # the success cleared this address's count for the account: 5 tries again at once
    assert [wrong().status_code for _ in range(6)] == [401] * 5 + [429]


def test_spraying_many_accounts_from_one_address_is_limited(
    clients: dict[str, TestClient], people: People, server_app: WinRoomApp
) -> None:
    server_app.ctx.limits.login_address = parse("6/minute")
    sprayer, owner = clients["stranger"], clients["owner"]
    emails = [f"{r}@winroom.io" for r in ("sales", "sales_lead", "finance", "admin")]
    codes = [login(sprayer, e, "nope-nope").status_code for e in emails + emails[:3]]
    assert codes == [401] * 6 + [429]
    assert 1 <= retry_after(login(sprayer, "nobody@winroom.io", "x")) <= 60
    assert login(owner, "finance@winroom.io", PASSWORD).status_code == 200


def test_a_distributed_attack_refuses_only_addresses_the_owner_has_not_used(
    server_app: WinRoomApp, people: People
) -> None:
    server_app.ctx.limits.login_account = parse("12/minute")
    office = at(server_app, "198.51.100.7")
    attackers = [at(server_app, f"203.0.113.{i}") for i in range(1, 5)]
    new_place = at(server_app, "192.0.2.200")
    try:
        assert login(office, "admin@winroom.io", PASSWORD).status_code == 200  # known there
        codes = [
            login(a, "admin@winroom.io", "nope-nope").status_code
            for a in attackers
            for _ in range(FIRST_TIER)
        ]
        # the office's first login was from a new address: it counted too
        assert codes.count(401) == 11 and codes[11:] == [429] * (len(codes) - 11)
        refused = login(new_place, "admin@winroom.io", PASSWORD)
        assert refused.status_code == 429 and 1 <= retry_after(refused) <= 60
        assert login(office, "admin@winroom.io", PASSWORD).status_code == 200
    finally:
        for c in (office, new_place, *attackers):
            c.close()


def test_parallel_wrong_passwords_run_at_most_the_budget_of_password_checks(
    tmp_path: Path, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, sqlite_db)
    make_people(sqlite_db, settings)
    checks: list[str] = []
    lock = threading.Lock()
    real_check = auth_routes.verify_password

    too_many = threading.Event()

    def counted(password: str, hashed: str) -> bool:
        with lock:
            checks.append(password)
            if len(checks) > FIRST_TIER:
                too_many.set()
        # a slow check (as bcrypt at cost 12 is) holds the window open for the others; it
        # ends as soon as one check too many has started
        too_many.wait(0.5)
        return real_check(password, hashed)

    monkeypatch.setattr(auth_routes, "verify_password", counted)
    n = 100
    start = threading.Barrier(n)
    answers: list[httpx.Response] = []

    with (
        run_server_in_process(settings, db=sqlite_db) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):

        def attempt() -> None:
            start.wait(30)
            resp = login(http, "sales@winroom.io", "wrong-password")
            with lock:
                answers.append(resp)

        threads = [threading.Thread(target=attempt) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
    assert len(answers) == n
    statuses = sorted(r.status_code for r in answers)
    assert len(checks) <= FIRST_TIER
    assert statuses == [401] * len(checks) + [429] * (n - len(checks))
    assert all(1 <= retry_after(r) <= 60 for r in answers if r.status_code == 429)


def test_addresses_count_as_themselves_or_their_ipv6_64() -> None:
    assert address_key("203.0.113.5") == "203.0.113.5"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.5") == "203.0.113.5"
    assert address_key("testclient") == "testclient"


@pytest.mark.redis
def test_two_instances_share_the_login_budgets_through_redis(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), redis_url=redis_url())
    one, two = RateLimits(settings), RateLimits(settings)
    assert "Redis" in type(one.storage).__name__
    email = f"{uuid.uuid4().hex}@winroom.io"  # keys of its own on a shared Redis
    address = f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"
    assert [one.login_attempt(email, address) for _ in range(FIRST_TIER)] == [None] * FIRST_TIER
    wait = two.login_attempt(email, address)
    assert wait is not None and 1 <= wait <= 60
    assert two.login_attempt(email, "198.51.100.1") is None  # the owner elsewhere
    two.login_succeeded(email, address)  # on one instance: clears it on the other too
    assert one.login_attempt(email, address) is None
