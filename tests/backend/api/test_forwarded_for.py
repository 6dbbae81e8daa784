"""X-Forwarded-For is believed only from WINROOM_TRUSTED_PROXIES (issue 19 §5), through a
real uvicorn server: a spoofed header must not buy a fresh login budget."""

from __future__ import annotations

from pathlib import Path

import httpx
from limits import parse

from backend.api import ratelimit
from backend.runtime import Database
from backend.server import run_server_in_process
from tests.backend.realtime.support import PASSWORD, make_people, make_settings

FIRST_TIER = parse(ratelimit.LOGIN_PER_PAIR[0]).amount


def wrong_logins(url: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=url, timeout=30) as http:
        return [
            http.post(
                "/api/auth/login",
                json={"email": "sales@winroom.io", "password": "nope-nope"},
                headers={"X-Forwarded-For": f},
            ).status_code
            for f in forwarded
        ]


def test_without_trusted_proxies_a_spoofed_header_buys_no_fresh_budget(
    tmp_path: Path, sqlite_db: Database
) -> None:
    settings = make_settings(tmp_path, sqlite_db)
    assert settings.trusted_proxies is None
    make_people(sqlite_db, settings)
    spoofed = [f"10.9.0.{i}" for i in range(1, FIRST_TIER + 3)]
    with run_server_in_process(settings, db=sqlite_db) as server:
        codes = wrong_logins(server.url, spoofed)
    # all from 127.0.0.1, whatever the header says
    assert codes == [401] * FIRST_TIER + [429, 429]


def test_a_trusted_proxy_is_believed(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path, sqlite_db, trusted_proxies="127.0.0.1,::1")
    make_people(sqlite_db, settings)
    clients = [f"10.9.0.{i}" for i in range(1, FIRST_TIER + 3)]
    with run_server_in_process(settings, db=sqlite_db) as server:
        # each client behind the proxy has its own budget for the account
        assert wrong_logins(server.url, clients) == [401] * len(clients)
        one = wrong_logins(server.url, ["10.9.0.99"] * (FIRST_TIER + 1))
        assert one == [401] * FIRST_TIER + [429]
        # the proxy appends the address it saw: a client's own prefix is not believed
        chained = [f"6.6.6.{i}, 10.9.0.99" for i in range(3)]
        assert wrong_logins(server.url, chained) == [429] * 3
        with httpx.Client(base_url=server.url, timeout=30) as http:
            ok = http.post(
                "/api/auth/login",
                json={"email": "sales@winroom.io", "password": PASSWORD},
                headers={"X-Forwarded-For": "10.9.0.200"},
            )
        assert ok.status_code == 200
