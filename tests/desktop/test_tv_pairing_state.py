"""The TV's pairing as plain Python: what it does next after each answer, what it shows,
and the stored token file (no widgets, no network)."""

from __future__ import annotations

import json
import os
import random
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from winroom_desktop.state.pairing import (
    BACKOFF_S,
    CODE_LIFE,
    PAIRED,
    POLL_S,
    SHOWING,
    STARTING,
    UNREACHABLE,
    Finish,
    PairingFlow,
    Poll,
    Request,
    instructions,
    remaining_text,
)
from winroom_desktop.state.tvtoken import TokenFile

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
SERVER = "http://10.0.0.5:8000"


def answer(code: str = "K7PQ-4XZD", pid: str = "p" * 43, minutes: float = 10) -> dict[str, str]:
    return {
        "code": code,
        "pairing_id": pid,
        "expires_at": (NOW + timedelta(minutes=minutes)).isoformat(),
    }


def flow() -> PairingFlow:
    return PairingFlow(SERVER, rng=random.Random(7))


def test_happy_path() -> None:
    f = flow()
    assert f.begin() == Request(0.0)
    assert f.screen.phase == STARTING and f.screen.code is None
    assert f.started(answer(), NOW) == Poll("p" * 43, POLL_S)
    assert f.screen.phase == SHOWING and f.screen.code == "K7PQ-4XZD"
    assert f.screen.server == SERVER
    assert f.waiting(NOW + timedelta(seconds=2)) == Poll("p" * 43, POLL_S)
    assert f.collected("wrtv_abc", "Floor TV 1", NOW) == Finish("wrtv_abc", "Floor TV 1")
    assert f.screen.phase == PAIRED


def test_an_expired_code_is_renewed_by_itself() -> None:
    f = flow()
    f.begin()
    f.started(answer(), NOW)
    # just before the server's expiry: a new code, not a dead one on screen
    assert f.waiting(NOW + timedelta(minutes=10) - timedelta(seconds=1)) == Request(0.0)
    assert f.started(answer("ACEF-GHJK", "q" * 43), NOW + timedelta(minutes=10)) == Poll(
        "q" * 43, POLL_S
    )
    assert f.screen.code == "ACEF-GHJK"
    # the server says the code is gone (410 expired, 404 purged or restarted): a new one
    assert f.gone(NOW) == Request(0.0)


def test_a_skewed_clock_cannot_keep_a_code_forever() -> None:
    f = flow()
    f.begin()
    f.started(answer(minutes=600), NOW)  # the server's clock is far ahead of ours
    assert f.screen.expires_at == NOW + CODE_LIFE
    f.started(answer(minutes=-5), NOW)  # or behind: still the full life, not an instant renew
    assert f.screen.expires_at == NOW + CODE_LIFE
    f.started({"code": "ACEF-GHJK", "pairing_id": "x", "expires_at": "soon"}, NOW)
    assert f.screen.expires_at == NOW + CODE_LIFE


def test_an_unreachable_server_is_retried_with_growing_pauses() -> None:
    f = flow()
    f.begin()
    delays = []
    for _ in range(8):
        step = f.failed(NOW)
        assert isinstance(step, Request)
        delays.append(step.delay)
    assert f.screen.phase == UNREACHABLE
    assert f.screen.problem is not None and SERVER in f.screen.problem
    assert delays[:6] == sorted(delays[:6])  # doubling, jittered by at most a quarter
    assert delays[0] <= BACKOFF_S[0] and delays[-1] >= BACKOFF_S[-1] * 0.75
    assert max(delays) <= BACKOFF_S[-1]
    # back: a code at once, pauses start over
    assert isinstance(f.started(answer(), NOW), Poll)
    assert f.screen.problem is None and f.failures == 0


def test_a_lost_connection_keeps_the_code_on_screen_while_it_is_valid() -> None:
    f = flow()
    f.begin()
    f.started(answer(), NOW)
    step = f.failed(NOW + timedelta(seconds=4))
    assert isinstance(step, Poll) and step.delay >= 0.5
    assert f.screen.code == "K7PQ-4XZD" and f.screen.problem
    assert f.waiting(NOW + timedelta(seconds=8)) == Poll("p" * 43, POLL_S)
    assert f.screen.problem is None
    # failing after the code expired: a new code is asked for
    f.failed(NOW + timedelta(minutes=11))
    assert f.screen.code is None and f.screen.phase == UNREACHABLE


def test_retry_after_is_honoured_and_bad_answers_are_failures() -> None:
    f = flow()
    f.begin()
    assert f.failed(NOW, retry_after=42, problem="Too many") == Request(42.0)
    assert f.screen.problem == "Too many"
    for body in (None, [], {}, {"code": "X"}, {"pairing_id": "p"}, {"code": 5, "pairing_id": "p"}):
        assert isinstance(f.started(body, NOW), Request), body
        assert f.screen.code is None
    f.started(answer(), NOW)
    assert f.collected(None, "x", NOW) == Request(0.0)  # a 200 without a token: start over
    assert f.collected("wrtv_x", None, NOW) == Finish("wrtv_x", "")


def test_what_the_screen_says() -> None:
    f = flow()
    f.begin()
    assert remaining_text(f.screen, NOW) == ""
    f.started(answer(), NOW)
    assert remaining_text(f.screen, NOW + timedelta(seconds=19)) == (
        "The code renews by itself in 9:41"
    )
    assert remaining_text(f.screen, NOW + timedelta(minutes=30)).endswith("0:00")
    first, second = instructions("K7PQ-4XZD")
    assert "admin window" in first and "Devices" in first
    assert second == "winroom-backend device-token --pair K7PQ-4XZD --name …"


def test_token_file_is_private_and_per_server(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "tv-token.json"
    tf = TokenFile(path, SERVER + "/")
    assert tf.load() is None
    tf.save("wrtv_secret", "Floor TV 1")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) & 0o077 == 0
    got = tf.load()
    assert got is not None and got.token == "wrtv_secret" and got.name == "Floor TV 1"
    assert TokenFile(path, "http://other:8000").load() is None  # another server's token
    tf.forget()
    assert not path.exists() and tf.load() is None
    tf.forget()  # nothing to forget: fine


@pytest.mark.parametrize("text", ["", "{", "[]", '{"server": "x"}', json.dumps({"server": SERVER})])
def test_an_unreadable_token_file_is_no_token(tmp_path: Path, text: str) -> None:
    path = tmp_path / "tv-token.json"
    path.write_text(text)
    assert TokenFile(path, SERVER).load() is None
