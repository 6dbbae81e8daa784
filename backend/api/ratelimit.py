"""Rate limits with the ``limits`` library: in memory, or in Redis when WINROOM_REDIS_URL.

- claims: ``WINROOM_CLAIM_RATE_LIMIT`` per seller; every request counts, won or lost;
- logins: throttled, not locked (OWASP Authentication Cheat Sheet, "Account lockout";
  Credential Stuffing Prevention). Every attempt is counted *before* its password is checked,
  by one atomic ``hit`` per budget that also decides (parallel attempts cannot all slip
  through a test-then-count gap), against three budgets:

  * per (account, address), with growing waits: :data:`LOGIN_PER_PAIR` (after 5 tries the
    next waits up to a minute, after 10 up to 15 minutes, after 30 up to a day); a
    successful login clears it. A stranger hammering an account from one address slows
    only that address;
  * per address, whatever the accounts (password spraying): :data:`LOGIN_PER_ADDRESS`;
  * per account, from addresses it has not logged in from in the last 30 days (a
    distributed attack on one account): :data:`LOGIN_PER_ACCOUNT`. Each address adds at
    most 10 tries per 15 minutes to it, so using it up takes 10 addresses, and then it
    still refuses only addresses the owner has never logged in from lately.

  IPv6 addresses count per /64 (one subscriber's usual allocation).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from backend.settings import Settings

log = logging.getLogger(__name__)

LOGIN_PER_PAIR = ("5/minute", "10/15minutes", "30/day")
LOGIN_PER_ADDRESS = "100/15minutes"
LOGIN_PER_ACCOUNT = "100/15minutes"
KNOWN_ADDRESS_FOR = "1/30days"  # a successful login makes the address known to the account


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
        self.flags = FixedWindowRateLimiter(self.storage)
        self.claim: RateLimitItem = parse(settings.claim_rate_limit)
        self.login_pair: tuple[RateLimitItem, ...] = tuple(parse(r) for r in LOGIN_PER_PAIR)
        self.login_address: RateLimitItem = parse(LOGIN_PER_ADDRESS)
        self.login_account: RateLimitItem = parse(LOGIN_PER_ACCOUNT)
        self.known_address: RateLimitItem = parse(KNOWN_ADDRESS_FOR)

    def hit_claim(self, seller_id: int) -> bool:
        """Count one claim request; False when over the limit."""
        return self.limiter.hit(self.claim, "winroom-claim", str(seller_id))

    def claim_retry_after(self, seller_id: int) -> int:
        """Seconds until a refused seller's next claim request can count."""
        return self._retry_after(self.claim, "winroom-claim", str(seller_id))

    def login_attempt(self, email: str, address: str) -> int | None:
        """Count one login attempt, before its password is checked: None when it may go
        on, else the seconds to wait (``Retry-After``). A refused attempt is not counted in
        the budgets after the one that refused it."""
        net = address_key(address)
        budgets: list[tuple[RateLimitItem, tuple[str, ...]]] = [
            (item, ("winroom-login-pair", email, net)) for item in self.login_pair
        ]
        budgets.append((self.login_address, ("winroom-login-addr", net)))
        if not self._known(email, net):
            budgets.append((self.login_account, ("winroom-login-account", email)))
        for item, ids in budgets:
            if not self.limiter.hit(item, *ids):
                return self._retry_after(item, *ids)
        return None

    def login_succeeded(self, email: str, address: str) -> None:
        """The right password: this address starts afresh for the account, and is known
        to it (a distributed attack's per-account budget does not refuse it)."""
        net = address_key(address)
        for item in self.login_pair:
            self.limiter.clear(item, "winroom-login-pair", email, net)
        self.flags.hit(self.known_address, "winroom-login-known", email, net)

    def _known(self, email: str, net: str) -> bool:
        return not self.flags.test(self.known_address, "winroom-login-known", email, net)

    def _retry_after(self, item: RateLimitItem, *ids: str) -> int:
        reset = self.limiter.get_window_stats(item, *ids).reset_time
        return max(1, math.ceil(reset - time.time()))

    def reset(self) -> None:
        self.storage.reset()


def address_key(address: str) -> str:
    """What a client address counts as: itself (IPv4), its /64 (IPv6), or the text as given
    (not an IP: a test client, a Unix socket)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
