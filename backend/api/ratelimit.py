"""Rate limits with the ``limits`` library: in memory, or in Redis when WINROOM_REDIS_URL.

- claims: ``WINROOM_CLAIM_RATE_LIMIT`` per seller; every request counts, won or lost;
- failed logins: per email and per client address (only failures count).
"""

from __future__ import annotations

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from backend.settings import Settings

LOGIN_FAILURES_PER_EMAIL = "10/15minutes"
LOGIN_FAILURES_PER_ADDRESS = "50/15minutes"


def make_storage(settings: Settings) -> Storage:
    if settings.redis_url:
        storage = storage_from_string(settings.redis_url)
        assert isinstance(storage, Storage)
        return storage
    return MemoryStorage()


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
