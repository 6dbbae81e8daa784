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
from collections.abc import Callable
from typing import TypeVar

import redis.exceptions
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from backend.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

LOGIN_PER_PAIR = ("5/minute", "10/15minutes", "30/day")
LOGIN_PER_ADDRESS = "100/15minutes"
LOGIN_PER_ACCOUNT = "100/15minutes"
KNOWN_ADDRESS_FOR = "1/30days"  # a successful login makes the address known to the account
# new TV pairing codes per address (a TV asks once per 10 minutes; one box may drive 3)
PAIRING_PER_ADDRESS = ("10/minute", "60/hour")


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


# a shared (Redis) storage that cannot be reached: counted locally for this long, then retried
SHARED_RETRY_S = 5.0
OUTAGES: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    StorageError,
    OSError,
)


class _Counters:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.flags = FixedWindowRateLimiter(storage)


class RateLimits:
    """The floor's limits. With Redis they are shared by every instance; while Redis
    cannot be reached each instance counts alone (in memory) and says so in the log, so a
    Redis outage slows no login or claim into a 500 (CONTRACT §7)."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        shared = _Counters(storage or make_storage(settings))
        self._shared = shared
        self._local = shared if isinstance(shared.storage, MemoryStorage) else None
        self._shared_down_until = 0.0
        self.claim: RateLimitItem = parse(settings.claim_rate_limit)
        self.login_pair: tuple[RateLimitItem, ...] = tuple(parse(r) for r in LOGIN_PER_PAIR)
        self.login_address: RateLimitItem = parse(LOGIN_PER_ADDRESS)
        self.login_account: RateLimitItem = parse(LOGIN_PER_ACCOUNT)
        self.known_address: RateLimitItem = parse(KNOWN_ADDRESS_FOR)
        self.pairing: tuple[RateLimitItem, ...] = tuple(parse(r) for r in PAIRING_PER_ADDRESS)

    @property
    def storage(self) -> Storage:
        return self._shared.storage

    @property
    def shared_down(self) -> bool:
        """True while the shared storage is unreachable and this instance counts alone."""
        return self._local is not self._shared and time.monotonic() < self._shared_down_until

    def shared_reachable(self) -> bool:
        """Ask the shared storage now (a Redis ping); a failure starts counting alone."""
        if self._local is self._shared:
            return True
        try:
            ok = bool(self._shared.storage.check())
        except OUTAGES:
            ok = False
        if not ok and not self.shared_down:
            log.warning("rate limits: the shared storage is unreachable; counting alone")
            self._shared_down_until = time.monotonic() + SHARED_RETRY_S
        elif ok:
            self._shared_down_until = 0.0
        return ok

    def _run(self, op: Callable[[_Counters], T]) -> T:
        if self._local is self._shared or not self.shared_down:
            try:
                return op(self._shared)
            except OUTAGES as exc:
                if self._local is self._shared:
                    raise
                log.warning(
                    "rate limits: the shared storage is unreachable (%s); this instance "
                    "counts alone for %g s",
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                    SHARED_RETRY_S,
                )
                self._shared_down_until = time.monotonic() + SHARED_RETRY_S
        if self._local is None:
            self._local = _Counters(QuietMemoryStorage())
        return op(self._local)

    def hit_claim(self, seller_id: int) -> bool:
        """Count one claim request; False when over the limit."""
        return self._run(lambda c: c.limiter.hit(self.claim, "winroom-claim", str(seller_id)))

    def claim_retry_after(self, seller_id: int) -> int:
        """Seconds until a refused seller's next claim request can count."""
        return self._run(
            lambda c: self._retry_after(c, self.claim, "winroom-claim", str(seller_id))
        )

    def login_attempt(self, email: str, address: str) -> int | None:
        """Count one login attempt, before its password is checked: None when it may go
        on, else the seconds to wait (``Retry-After``). A refused attempt is not counted in
        the budgets after the one that refused it."""
        net = address_key(address)

        def attempt(c: _Counters) -> int | None:
            budgets: list[tuple[RateLimitItem, tuple[str, ...]]] = [
                (item, ("winroom-login-pair", email, net)) for item in self.login_pair
            ]
            budgets.append((self.login_address, ("winroom-login-addr", net)))
            if not self._known(c, email, net):
                budgets.append((self.login_account, ("winroom-login-account", email)))
            for item, ids in budgets:
                if not c.limiter.hit(item, *ids):
                    return self._retry_after(c, item, *ids)
            return None

        return self._run(attempt)

    def login_succeeded(self, email: str, address: str) -> None:
        """The right password: this address starts afresh for the account, and is known
        to it (a distributed attack's per-account budget does not refuse it)."""
        net = address_key(address)

        def succeeded(c: _Counters) -> None:
            for item in self.login_pair:
                c.limiter.clear(item, "winroom-login-pair", email, net)
            c.flags.hit(self.known_address, "winroom-login-known", email, net)

        self._run(succeeded)

    def pairing_attempt(self, address: str) -> int | None:
        """Count one request for a TV pairing code: None when it may go on, else the
        seconds to wait (``Retry-After``)."""
        net = address_key(address)

        def attempt(c: _Counters) -> int | None:
            for item in self.pairing:
                if not c.limiter.hit(item, "winroom-pairing", net):
                    return self._retry_after(c, item, "winroom-pairing", net)
            return None

        return self._run(attempt)

    def _known(self, c: _Counters, email: str, net: str) -> bool:
        return not c.flags.test(self.known_address, "winroom-login-known", email, net)

    @staticmethod
    def _retry_after(c: _Counters, item: RateLimitItem, *ids: str) -> int:
        reset = c.limiter.get_window_stats(item, *ids).reset_time
        return max(1, math.ceil(reset - time.time()))

    def reset(self) -> None:
        self._shared.storage.reset()
        if self._local is not None and self._local is not self._shared:
            self._local.storage.reset()


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
