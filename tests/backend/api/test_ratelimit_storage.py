"""The in-memory rate limit storage: same answers as ``limits``' own, no thread per hit."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from limits import parse
from limits.strategies import MovingWindowRateLimiter

from backend.api.ratelimit import QuietMemoryStorage, RateLimits, make_storage
from backend.settings import Settings


@pytest.fixture
def timer_starts(monkeypatch: pytest.MonkeyPatch) -> list[threading.Timer]:
    """The threading.Timer threads started (other threads of the test process don't count)."""
    started: list[threading.Timer] = []
    original = threading.Timer.start

    def start(self: threading.Timer) -> None:
        started.append(self)
        original(self)

    monkeypatch.setattr(threading.Timer, "start", start)
    return started


def test_hits_start_no_thread(timer_starts: list[threading.Timer]) -> None:
    storage = QuietMemoryStorage()
    timer_starts.clear()  # the one Timer of MemoryStorage's own __init__
    limiter = MovingWindowRateLimiter(storage)
    item = parse("100/minute")
    for i in range(30):
        assert limiter.hit(item, "claim", str(i % 3))
        time.sleep(0.012)  # past the 10 ms after which MemoryStorage starts another Timer
    assert timer_starts == []


def test_the_limit_is_still_enforced_per_key() -> None:
    limiter = MovingWindowRateLimiter(QuietMemoryStorage())
    item = parse("3/minute")
    assert [limiter.hit(item, "claim", "7") for _ in range(5)] == [True] * 3 + [False] * 2
    assert limiter.hit(item, "claim", "8")  # another seller has its own window


def test_expired_entries_are_trimmed_and_the_window_moves() -> None:
    storage = QuietMemoryStorage()
    storage.EXPIRE_EVERY_S = 0.0  # trim on every hit
    limiter = MovingWindowRateLimiter(storage)
    item = parse("2/second")
    key = item.key_for("claim", "1")
    assert limiter.hit(item, "claim", "1") and limiter.hit(item, "claim", "1")
    assert not limiter.hit(item, "claim", "1")
    assert len(storage.events[key]) == 2
    time.sleep(1.1)
    assert limiter.hit(item, "claim", "2")  # this hit trims key 1's expired entries
    assert storage.events.get(key, []) == []
    assert limiter.hit(item, "claim", "1")  # the window has moved on
    assert len(storage.events[key]) == 1


def test_concurrent_hits_count_exactly() -> None:
    storage = QuietMemoryStorage()
    storage.EXPIRE_EVERY_S = 0.0  # trimming interleaved with the hits, from every thread
    limiter = MovingWindowRateLimiter(storage)
    item = parse("50/minute")
    results: list[bool] = []
    lock = threading.Lock()

    def worker(key: str) -> None:
        for _ in range(40):
            ok = limiter.hit(item, "claim", key)
            with lock:
                results.append(ok)

    threads = [threading.Thread(target=worker, args=(str(i % 2),)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)  # no deadlock between keys
    assert results.count(True) == 100  # 50 per key, exactly


def test_rate_limits_use_it_without_redis(tmp_path: object) -> None:
    settings = Settings(data_dir=str(tmp_path), redis_url=None)
    assert isinstance(make_storage(settings), QuietMemoryStorage)
    limits = RateLimits(settings)
    assert isinstance(limits.storage, QuietMemoryStorage)


def test_an_unreachable_redis_counts_locally_instead_of_failing(caplog: Any) -> None:
    """CONTRACT §7: Redis down, HTTP keeps serving. The limits count per instance (and
    still refuse) and say so once, instead of raising into a 500."""
    import socket

    from backend.api.ratelimit import RateLimits
    from backend.settings import load_settings

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings(redis_url=f"redis://127.0.0.1:{port}/0", claim_rate_limit="3/minute")
    limits = RateLimits(settings)
    assert "Redis" in type(limits.storage).__name__
    with caplog.at_level("WARNING", logger="backend.api.ratelimit"):
        assert [limits.hit_claim(7) for _ in range(4)] == [True, True, True, False]
        assert limits.claim_retry_after(7) >= 1
        waits = [limits.login_attempt("a@x.io", "10.0.0.1") for _ in range(6)]
    assert waits[:5] == [None] * 5 and isinstance(waits[5], int) and waits[5] >= 1
    assert limits.shared_down
    outages = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outages) == 1  # once per outage, not per request
