"""What the API needs at run time, built once per app: settings, database, rate limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from backend.api.ratelimit import RateLimits
from backend.core.adapter import CoreDatabase
from backend.hidden_sellers import HiddenSellers
from backend.ingest.rates import DolarRate
from backend.runtime import Database
from backend.settings import Settings


@dataclass
class ApiContext:
    settings: Settings
    db: Database
    limits: RateLimits = field(init=False)
    # ask this process's open sockets to check their tokens now (set by the server; any
    # thread may call it): a revoked TV's socket closes at once instead of at the next check
    recheck_sockets: Callable[[], None] = field(init=False, default=lambda: None)
    hidden: HiddenSellers = field(init=False)  # sellers TVs show as "A teammate"

    _dolar: DolarRate | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.limits = RateLimits(self.settings)
        self.hidden = HiddenSellers(self.db)

    def try_per_usd(self) -> Decimal | None:
        """TRY per USD from the core database's ``dolar`` setting (cached for an hour)."""
        if self._dolar is None:
            self._dolar = DolarRate(self._read_dolar)
        return self._dolar.get()

    def _read_dolar(self) -> str | None:

        try:
            core = CoreDatabase(self.settings.core_db_url)
            try:
                return core.setting("dolar")
            finally:
                core.dispose()
        except Exception:
            return None
