"""Every Prometheus metric of the process, in ONE registry of its own (CONTRACT §4, §7).

The rest of the code calls the small functions here (one line at each call site). What
describes live state — sockets by role, the database pool, Redis — is read at scrape time
from the apps registered with :func:`watch`, so it cannot drift. The registry is not
prometheus_client's global one: several apps in one process (tests) do not collide, and
the counters are the process's (tests read differences). No web imports here: the ingest
worker uses it too.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ROLES = ("tv", "sales", "sales_lead", "finance", "admin")
UNMATCHED = "unmatched"  # the route label of a path no route matches

# fine where the API lives (5-500 ms) so p50/p95/p99 are readable from the buckets
HTTP_BUCKETS = (
    *(0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.035, 0.05),
    *(0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0),
)
REPLAY_BUCKETS = (0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000)

HTTP = Histogram(
    "winroom_http_request_duration_seconds",
    "HTTP request time, by method, route template and status class",
    ["method", "route", "status"],
    buckets=HTTP_BUCKETS,
    registry=REGISTRY,
)
RELAYED = Counter(
    "winroom_events_relayed",
    "Events the relay sent out to Socket.IO rooms, by event type",
    ["type"],
    registry=REGISTRY,
)
REPLAY = Histogram(
    "winroom_replay_events",
    "Events sent per reconnect replay",
    buckets=REPLAY_BUCKETS,
    registry=REGISTRY,
)
RESYNCS = Counter(
    "winroom_resyncs", "resync.required sent to a reconnecting client", registry=REGISTRY
)
CLAIMS = Counter(
    "winroom_claims", "Claim requests answered, by outcome", ["outcome"], registry=REGISTRY
)
INGEST_ROWS = Counter(
    "winroom_ingest_rows", "Core rows ingested, by outcome", ["outcome"], registry=REGISTRY
)
INGEST_OUTCOMES = (
    "queued",
    "duplicates",
    "trials",
    "rejected",
    "waiting",
    "skipped",
    "status_changes",
    "unchanged",
)


# ---- call sites --------------------------------------------------------------------------


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP.labels(method, route, f"{status // 100}xx").observe(seconds)


def event_relayed(event_type: str) -> None:
    RELAYED.labels(event_type).inc()


def replay_sent(events: int) -> None:
    REPLAY.observe(events)


def resync_sent() -> None:
    RESYNCS.inc()


def claim_recorded(outcome: str) -> None:
    CLAIMS.labels(outcome).inc()


F = TypeVar("F", bound=Callable[..., Any])


def counts_claims(fn: F) -> F:
    """Decorate the claim route: a 2xx answer counts as ``won``, an error by its code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            response = fn(*args, **kwargs)
        except Exception as exc:
            claim_recorded(str(getattr(exc, "code", "error")))
            raise
        status = getattr(response, "status_code", 201)
        claim_recorded("won" if status < 300 else "error")
        return response

    return wrapper  # type: ignore[return-value]


_lag: list[float] = []  # the last poll's lag; empty: no worker polls in this process


def ingest_lag(seconds: float) -> None:
    _lag[:] = [max(0.0, seconds)]


class _IngestLag(Collector):
    """Absent from a process that does not ingest (a ``serve`` beside a separate worker):
    a 0 there would read as "caught up"."""

    def collect(self) -> Iterable[Metric]:
        if _lag:
            yield GaugeMetricFamily(
                "winroom_ingest_lag_seconds",
                "How far ingestion trails the core database (0 when caught up)",
                value=_lag[0],
            )


REGISTRY.register(_IngestLag())


def ingest_batch(result: Any) -> None:
    """Count a committed batch's rows (an ingest ``BatchResult``) by outcome."""
    for outcome in INGEST_OUTCOMES:
        n = int(getattr(result, outcome, 0) or 0)
        if n:
            INGEST_ROWS.labels(outcome).inc(n)
    if errors := len(getattr(result, "errors", ()) or ()):
        INGEST_ROWS.labels("errors").inc(errors)


# ---- live state, read at scrape time ------------------------------------------------------


def watch(app: Any) -> CollectorRegistry:
    """A registry of ``app``'s live state (a ``backend.server.WinRoomApp``: its sockets,
    database pool, Redis), read at scrape time; pass it to :func:`render`. One per app, so
    several apps in one process each report their own."""
    live = CollectorRegistry()
    live.register(_LiveCollector(weakref.ref(app)))
    return live


def _pool_figures(engine: Any) -> dict[str, float]:
    """The pool's figures; SQLAlchemy pools differ (a SQLite ``StaticPool`` or
    ``SingletonThreadPool`` has no ``checkedout``): what a pool lacks is left out."""
    pool = engine.pool
    out: dict[str, float] = {}
    for name, attr in (("checked_out", "checkedout"), ("size", "size"), ("overflow", "overflow")):
        fn = getattr(pool, attr, None)
        if callable(fn):
            try:
                out[name] = float(fn())
            except Exception:  # pragma: no cover - a pool that cannot say
                continue
    return out


class _LiveCollector(Collector):
    def __init__(self, app: weakref.ref[Any]) -> None:
        self.app = app

    def collect(self) -> Iterable[Metric]:
        app = self.app()
        if app is None:
            return
        sockets = GaugeMetricFamily(
            "winroom_sockets", "Connected Socket.IO clients, by role", labels=["role"]
        )
        counts = dict.fromkeys(ROLES, 0)
        for principal in list(app.sockets._live.values()):
            counts[principal.role] = counts.get(principal.role, 0) + 1
        for role, n in counts.items():
            sockets.add_metric([role], n)
        yield sockets
        engine = app.ctx.db.engine
        helps = {
            "checked_out": "Database connections in use",
            "size": "Database pool size (connections kept open)",
            "overflow": "Database connections open beyond the pool size",
        }
        for k, v in _pool_figures(engine).items():
            family = GaugeMetricFamily(f"winroom_db_pool_{k}", helps[k], labels=["dialect"])
            family.add_metric([engine.dialect.name], v)
            yield family
        if app.ctx.settings.redis_url:  # no Redis configured: no gauge
            up = GaugeMetricFamily(
                "winroom_redis_up",
                "1 while Redis answers this instance (shared rate limits), else 0",
            )
            up.add_metric([], 0.0 if app.ctx.limits.shared_down else 1.0)
            yield up


def render(live: CollectorRegistry | None = None) -> bytes:
    """The process's metrics and an app's live ones, in the Prometheus text format."""
    return generate_latest(REGISTRY) + (generate_latest(live) if live is not None else b"")
