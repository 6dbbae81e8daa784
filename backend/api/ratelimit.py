"""Rate limits with the ``limits`` library: in memory, or in Redis when WINROOM_REDIS_URL.

- claims: ``WINROOM_CLAIM_RATE_LIMIT`` per seller; every request counts, won or lost;
- failed logins: per email and per client address (only failures count).
"""

from __future__ import annotations

import logging
import threading
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from backend.settings import Settings

log = logging.getLogger(__name__)

LOGIN_FAILURES_PER_EMAIL = "10/15minutes"
LOGIN_FAILURES_PER_ADDRESS = "50/15minutes"


class QuietMemoryStorage(MemoryStorage):
    """``limits``' in-memory storage without a new thread per hit.

    ``MemoryStorage`` trims expired entries in a ``threading.Timer`` that it starts 10 ms
    after a hit whenever the previous one has finished: with a claim every few hundred ms,
    that is one new OS thread per claim (0.3-0.4 ms of CPU to start one on these machines,
    and one more thread contending for the GIL in the middle of a burst of claims). Here the
    same trimming runs in the caller's thread, at most once per ``EXPIRE_EVERY_S``; limits
    are decided by the entries' own timestamps, so trimming later changes no answer. If a
    release of ``limits`` renames the hook, the test that counts threads fails.
    """

    EXPIRE_EVERY_S = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._expiring = threading.Lock()
        self._next_expiry = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the Timer thread
        now = time.monotonic()
        # one caller trims at a time; the others go on (no waiting on another key's lock)
        if now < self._next_expiry or not self._expiring.acquire(blocking=False):
            return
        try:
            self._next_expiry = now + self.EXPIRE_EVERY_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        except Exception:  # a key cleared meanwhile: trimming is housekeeping, never the
            log.debug("rate limit expiry skipped", exc_info=True)  # request's failure
        finally:
            self._expiring.release()


def make_storage(settings: Settings) -> Storage:
    if settings.redis_url:
        storage = storage_from_string(settings.redis_url)
        assert isinstance(storage, Storage)
        return storage
    return QuietMemoryStorage()


class RateLimits:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.storage = storage or make_storage(settings)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.claim: RateLimitItem = parse(settings.claim_rate_limit)
        self.login_email: RateLimitItem = parse(LOGIN_FAILURES_PER_EMAIL)
        self.login_address: RateLimitItem = parse(LOGIN_FAILURES_PER_ADDRESS)

    def hit_claim(self, seller_id: int) -> bool:
        """Count one claim request; False when over the limit."""
        return self.limiter.hit(self.claim, "winroom-claim", str(seller_id))

    def login_allowed(self, email: str, address: str) -> bool:
        return self.limiter.test(
            self.login_email, "winroom-login-email", email
        ) and self.limiter.test(self.login_address, "winroom-login-addr", address)

    def login_failed(self, email: str, address: str) -> None:
        self.limiter.hit(self.login_email, "winroom-login-email", email)
        self.limiter.hit(self.login_address, "winroom-login-addr", address)

    def reset(self) -> None:
        self.storage.reset()
