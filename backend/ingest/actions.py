"""Ingesting a batch of core subscriptions: the action (the caller owns the transaction).

For each subscription version it writes ``subscription_metrics`` (which doubles as the
seen-set), and as the rules decide: a ``queue`` row with its ``queue.new`` event (and a
``jackpot`` event), an ``ingest_records`` row for duplicates, trials, rejections and status
changes of queued items. All in the caller's transaction, so a crash leaves nothing half
done. With ``safe=True`` every row runs in its own savepoint and a row that fails for any
reason is recorded as rejected instead of spoiling its batch.

Built for backlogs (thousands of rows a second): new rows are plain records (``NewMetrics``,
dicts for queue rows and records), never ORM objects; the queue ids are taken up front
(:func:`allocate_queue_ids`) so every table is written with one COPY (PostgreSQL) or
driver executemany (SQLite) per batch (``backend.ingest.bulk``); the ``queue.new`` payload
is built directly (:func:`queue_new_payload`) and all the batch's events go to
:func:`backend.eventlog.append_events_bulk` at once (sequence ids + COPY on PostgreSQL; the
payloads are already in validated form, so only the first of each type is validated).
Rows loaded from the database (a status change, a waiting row turning paid) stay ORM
objects, flushed by the session.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from backend.core.adapter import (
    CoreCampaign,
    CoreSubscription,
    CoreUser,
    any_of,
    chunked,
    parse_timestamp,
)
from backend.db.types import utcnow
from backend.eventlog import append_events_bulk
from backend.ingest.bulk import insert_rows
from backend.models import IngestRecord, QueueItem, SubscriptionMetrics
from backend.rules import dedupe, intake, money
from backend.schemas.common import fraction
from backend.schemas.common import money as money_str
from backend.schemas.queue import jackpot_payload

log = logging.getLogger(__name__)

OWNER_OUTCOMES = ("queued",)
BEFORE_LOOKBACK = "before_lookback"


@dataclass
class BatchInputs:
    """What the batch needs from the core database besides the subscriptions."""

    users: dict[int, CoreUser]
    campaigns: dict[int, CoreCampaign]
    payment_infos: dict[int, list[tuple[Any, Any]]]
    rates: money.Rates
    threshold_try: Decimal
    trial_campaign_ids: frozenset[int]
    lookback_cutoff: datetime | None = None


@dataclass
class BatchResult:
    queued: int = 0
    duplicates: int = 0
    trials: int = 0
    rejected: int = 0
    waiting: int = 0
    skipped: int = 0
    status_changes: int = 0
    unchanged: int = 0
    errors: list[int] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return (
            self.queued
            + self.duplicates
            + self.trials
            + self.rejected
            + self.waiting
            + self.skipped
            + self.status_changes
        )


@dataclass
class _Owners:
    """Who holds each dedupe key / stripe id / paypal id (prefetched, kept current)."""

    key: dict[str, int] = field(default_factory=dict)
    stripe: dict[str, int] = field(default_factory=dict)
    paypal: dict[str, int] = field(default_factory=dict)


Version = tuple[str | None, datetime | None]


def version_of(row: CoreSubscription) -> Version:
    """What identifies a version of a subscription: (normalized status, updated_at)."""
    return intake.normalize_status(row.status), parse_timestamp(row.updated_at)


def is_seen(row: CoreSubscription, metrics: SubscriptionMetrics | NewMetrics | None) -> bool:
    if metrics is None:
        return False
    return (metrics.core_status, metrics.core_updated_at) == version_of(row)


def load_metrics(session: Session, ids: Sequence[int]) -> dict[int, SubscriptionMetrics]:
    dialect = session.get_bind().dialect.name
    col = SubscriptionMetrics.subscription_id
    out: dict[int, SubscriptionMetrics] = {}
    for chunk in chunked(ids, dialect):
        q = select(SubscriptionMetrics).where(any_of(col, chunk, dialect))
        out.update((m.subscription_id, m) for m in session.scalars(q))
    return out


class _Fields(NamedTuple):
    """A row's parsed ``created_at``, ids and dedupe key (None where unparseable), computed
    once per row for both the owners prefetch and the row itself."""

    row: CoreSubscription
    created_at: datetime | None
    user_id: int | None
    campaign_id: int | None
    dedupe_key: str | None
    version: Version  # version_of(row)


def _fields(row: CoreSubscription, version: Version | None = None) -> _Fields:
    created = parse_timestamp(row.created_at)
    uid, cid = money.parse_int(row.user_id), money.parse_int(row.campaign_id)
    key = dedupe.dedupe_key(uid, cid, created) if created is not None else None
    return _Fields(row, created, uid, cid, key, version_of(row) if version is None else version)


def _prefetch_owners(session: Session, fields: Sequence[_Fields]) -> _Owners:
    keys: set[str] = set()
    stripes: set[str] = set()
    paypals: set[str] = set()
    for f in fields:
        r = f.row
        if f.dedupe_key:
            keys.add(f.dedupe_key)
        if s := dedupe.external_id(r.stripe_sub_id):
            stripes.add(s)
        if p := dedupe.external_id(r.paypal_sub_id):
            paypals.add(p)
    owners = _Owners()
    m = SubscriptionMetrics
    dialect = session.get_bind().dialect.name
    for values, column, target in (
        (keys, m.dedupe_key, owners.key),
        (stripes, m.stripe_sub_id, owners.stripe),
        (paypals, m.paypal_sub_id, owners.paypal),
    ):
        for chunk in chunked(sorted(values), dialect):
            q = (
                select(column, m.subscription_id)
                .where(any_of(column, chunk, dialect), m.outcome.in_(OWNER_OUTCOMES))
                .order_by(m.subscription_id)
            )
            for value, sid in session.execute(q):
                if value is not None:
                    target.setdefault(str(value), int(sid))
    return owners


class NewMetrics:
    """A ``subscription_metrics`` row that is not in the database yet: a plain record.

    New rows (nearly all of a backlog) are built as these instead of ORM objects and written
    with one Core executemany; rows loaded from the database stay ORM objects (their changes
    are flushed by the session). The attributes are exactly the table's columns (a test
    checks it).
    """

    __slots__ = (
        "campaign_id",
        "computed_at",
        "core_status",
        "core_updated_at",
        "cost_usd",
        "currency",
        "dedupe_key",
        "is_jackpot",
        "margin_amount_usd",
        "margin_percent",
        "margin_quality",
        "outcome",
        "paypal_sub_id",
        "problem_reason",
        "queue_id",
        "revenue_usd",
        "stripe_sub_id",
        "subscription_id",
        "tts_days",
        "user_id",
    )

    def __init__(self, subscription_id: int) -> None:
        self.subscription_id = subscription_id
        self.user_id: int | None = None
        self.campaign_id: int | None = None
        self.currency: str | None = None
        self.core_status: str | None = None
        self.revenue_usd: Decimal | None = None
        self.cost_usd: Decimal | None = None
        self.margin_amount_usd: Decimal | None = None
        self.margin_percent: Decimal | None = None
        self.margin_quality = "unknown"
        self.is_jackpot = False
        self.tts_days: int | None = None
        self.problem_reason: str | None = None
        self.dedupe_key: str | None = None
        self.stripe_sub_id: str | None = None
        self.paypal_sub_id: str | None = None
        self.outcome: str | None = None
        self.queue_id: int | None = None
        self.core_updated_at: datetime | None = None
        self.computed_at: datetime | None = None

    def row(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        if out["computed_at"] is None:
            out["computed_at"] = utcnow()
        return out


Metrics = SubscriptionMetrics | NewMetrics


def queue_new_payload(item: dict[str, Any]) -> dict[str, Any]:
    """The ``queue.new`` payload of a new queue row (a dict of its columns), built directly.

    Equal to ``{"item": queue_item_out(QueueItem(**item)).model_dump(mode="json")}`` (a test
    proves it, and that it is already in its validated form: ``validate_payload`` gives it
    back unchanged), without building the ORM object and the pydantic models per row; so
    :func:`backend.eventlog.append_events_bulk` validates only the batch's first one.
    """
    return {
        "item": {
            "id": item["id"],
            "subscription_id": item["subscription_id"],
            "source": item["source"],
            "status": item["status"],
            "customer": {"email": item["customer_email"], "name": item["customer_name"]},
            "campaign": {"id": item["campaign_id"], "name": item["campaign_name"]},
            "currency": item["currency"],
            "payment_channel": item["payment_channel"],
            "revenue_usd": money_str(item["revenue_usd"]),
            "cost_usd": money_str(item["cost_usd"]),
            "margin_amount_usd": money_str(item["margin_amount_usd"]),
            "margin_percent": fraction(item["margin_percent"]),
            "margin_quality": item["margin_quality"],
            "is_jackpot": item["is_jackpot"],
            "tts_days": item["tts_days"],
            "finance_status": item["finance_status"],
            "problem_reason": item["problem_reason"],
            "core_status": item["core_status"],
            "note": item["note"],
            "created_at": item["sale_created_at"].isoformat(),
            "queued_at": item["created_at"].isoformat(),
        }
    }


def allocate_queue_ids(session: Session, n: int) -> list[int]:
    """``n`` new ``queue.id`` values, ascending, taken before the rows are inserted (so the
    rows go in with one plain executemany instead of an INSERT … RETURNING).

    PostgreSQL: from the column's own sequence (safe under any concurrency). SQLite: the
    ids after the largest one, which is what SQLite itself would assign; the caller holds
    the write lock (every writer begins with ``BEGIN IMMEDIATE``), so no one else inserts
    in between.
    """
    conn = session.connection()
    table = QueueItem.__tablename__
    if conn.dialect.name == "postgresql":
        # one row (an array), not n rows for the driver to fetch one by one
        q = text(
            f"SELECT array_agg(nextval(pg_get_serial_sequence('{table}', 'id'))) "
            "FROM generate_series(1, :n)"
        )
        allocated: list[int] = conn.execute(q, {"n": n}).scalar_one()
        return sorted(int(i) for i in allocated)
    top = conn.execute(text(f"SELECT max(id) FROM {table}")).scalar()
    base = int(top or 0)
    return list(range(base + 1, base + 1 + n))


class _Batch:
    def __init__(
        self,
        session: Session,
        inputs: BatchInputs,
        existing: dict[int, Metrics],
        owners: _Owners,
    ) -> None:
        self.s = session
        self.inputs = inputs
        self.existing = existing
        self.owners = owners
        self.result = BatchResult()
        self.new_items: list[tuple[dict[str, Any], Metrics]] = []
        self.new_metrics: list[NewMetrics] = []
        self.new_records: list[dict[str, Any]] = []
        self.parsed: dict[int, _Fields] = {}
        self.terms: dict[int, money.CampaignTerms] = {}

    def fields(self, row: CoreSubscription) -> _Fields:
        f = self.parsed.get(row.id)
        return f if f is not None and f.row is row else _fields(row)

    # ---- one row -------------------------------------------------------------------

    def ingest(self, row: CoreSubscription) -> None:
        prev = self.existing.get(row.id)
        version = self.fields(row).version
        if prev is not None and (prev.core_status, prev.core_updated_at) == version:
            self.result.unchanged += 1  # is_seen(row, prev)
            return
        status, updated_at = version
        prev_status = prev.core_status if prev else None
        decision = intake.decide(status, prev.outcome if prev else None, prev_status)
        m: Metrics = prev or NewMetrics(row.id)
        m.core_status = status
        m.core_updated_at = updated_at
        m.stripe_sub_id = dedupe.external_id(row.stripe_sub_id)
        m.paypal_sub_id = dedupe.external_id(row.paypal_sub_id)
        if decision is intake.Decision.TOUCH:
            self._save(m, prev)
            self.result.unchanged += 1
            return
        if decision is intake.Decision.STATUS_CHANGE:
            self._status_change(row, m, prev, prev_status)
            return
        try:
            parsed = self._parse(row, status, decision)
        except money.Rejected as rej:
            self._reject(row, m, prev, rej.reason, rej.detail)
            return
        created_at, uid, cid = parsed
        cutoff = self.inputs.lookback_cutoff
        if prev is None and cutoff is not None and created_at < cutoff:
            m.outcome = "skipped"
            m.problem_reason = BEFORE_LOOKBACK
            self._save(m, prev)
            self.result.skipped += 1
            return
        m.user_id, m.campaign_id = uid, cid
        m.currency = money.normalize_currency(row.currency)
        m.dedupe_key = self.fields(row).dedupe_key
        if decision is intake.Decision.SKIP:
            m.outcome = "skipped"
            m.problem_reason = None
            self._save(m, prev)
            self.result.skipped += 1
            return
        try:
            figures = self._figures(row, status, created_at, uid, cid)
        except money.Rejected as rej:
            self._reject(row, m, prev, rej.reason, rej.detail)
            return
        _apply_figures(m, figures)
        if decision is intake.Decision.WAIT:
            m.outcome = "waiting"
            self._save(m, prev)
            self.result.waiting += 1
            return
        self._enter(row, m, prev, figures, created_at, uid, cid, status)

    def _parse(
        self, row: CoreSubscription, status: str | None, decision: intake.Decision
    ) -> tuple[datetime, int | None, int | None]:
        if decision is intake.Decision.REJECT:
            raise money.Rejected("unknown_status", repr(row.status))
        f = self.fields(row)
        created_at, uid, cid = f.created_at, f.user_id, f.campaign_id
        if created_at is None:
            raise money.Rejected("unparseable_created_at", repr(row.created_at))
        if uid is None and row.user_id is not None:
            raise money.Rejected("unparseable_user_id", repr(row.user_id))
        if cid is None and row.campaign_id is not None:
            raise money.Rejected("unparseable_campaign_id", repr(row.campaign_id))
        return created_at, uid, cid

    def _figures(
        self,
        row: CoreSubscription,
        status: str | None,
        created_at: datetime,
        uid: int | None,
        cid: int | None,
    ) -> money.Metrics:
        user = self.inputs.users.get(uid) if uid is not None else None
        terms = self.terms.get(cid) if cid is not None else None
        if terms is None and cid is not None and cid in self.inputs.campaigns:
            camp = self.inputs.campaigns[cid]
            terms = money.CampaignTerms(camp.campaign_length, camp.per_week, camp.lesson_duration)
            self.terms[cid] = terms  # this batch's campaign rows: one per campaign
        infos = self.inputs.payment_infos.get(row.id, []) if row.subs_amount is None else []
        return money.compute_metrics(
            subs_amount=row.subs_amount,
            currency=row.currency,
            payment_infos=infos,
            campaign=terms,
            rates=self.inputs.rates,
            threshold_try=self.inputs.threshold_try,
            is_free=row.is_free,
            payment_channel=row.payment_channel,
            status=status,
            sale_created_at=created_at,
            user_created_at=parse_timestamp(user.created_at) if user else None,
        )

    def _enter(
        self,
        row: CoreSubscription,
        m: Metrics,
        prev: Metrics | None,
        figures: money.Metrics,
        created_at: datetime,
        uid: int | None,
        cid: int | None,
        status: str | None,
    ) -> None:
        if cid is not None and cid in self.inputs.trial_campaign_ids:
            m.outcome = "trial"
            self._save(m, prev)
            self._record(row.id, "trial", "trial_campaign", {"campaign_id": cid})
            self.result.trials += 1
            return
        dup = dedupe.find_duplicate(
            row.id,
            key_owner=self.owners.key.get(m.dedupe_key) if m.dedupe_key else None,
            stripe_owner=self.owners.stripe.get(m.stripe_sub_id) if m.stripe_sub_id else None,
            paypal_owner=self.owners.paypal.get(m.paypal_sub_id) if m.paypal_sub_id else None,
        )
        if dup is not None:
            m.outcome = "duplicate"
            self._save(m, prev)
            self._record(
                row.id,
                "duplicate",
                dup.reason,
                {"of_subscription_id": dup.of_subscription_id},
            )
            self.result.duplicates += 1
            return
        user = self.inputs.users.get(uid) if uid is not None else None
        camp = self.inputs.campaigns.get(cid) if cid is not None else None
        item: dict[str, Any] = {
            "id": None,  # allocated in flush()
            "subscription_id": row.id,
            "source": "core",
            "customer_user_id": uid,
            "customer_email": _text(user.email, 254) if user else None,
            "customer_name": _text(user.name, 200) if user else None,
            "campaign_id": cid,
            "campaign_name": _text(camp.name, 200) if camp else None,
            "currency": m.currency,
            "payment_channel": _text(row.payment_channel, 40),
            "core_status": status,
            "status": "pending",
            "finance_status": "problem" if figures.problem_reason else "waiting",
            "problem_reason": figures.problem_reason,
            "revenue_usd": figures.revenue_usd,
            "cost_usd": figures.cost_usd,
            "margin_amount_usd": figures.margin_amount_usd,
            "margin_percent": figures.margin_percent,
            "margin_quality": figures.margin_quality,
            "is_jackpot": figures.is_jackpot,
            "tts_days": figures.tts_days,
            "sale_created_at": created_at,
            "note": None,
            "created_by": None,
            "created_at": utcnow(),
        }
        m.outcome = "queued"
        self._save(m, prev)
        self.new_items.append((item, m))
        if m.dedupe_key:
            self.owners.key.setdefault(m.dedupe_key, row.id)
        if m.stripe_sub_id:
            self.owners.stripe.setdefault(m.stripe_sub_id, row.id)
        if m.paypal_sub_id:
            self.owners.paypal.setdefault(m.paypal_sub_id, row.id)
        self.result.queued += 1

    def _status_change(
        self,
        row: CoreSubscription,
        m: Metrics,
        prev: Metrics | None,
        old: str | None,
    ) -> None:
        assert prev is not None
        item = self.s.get(QueueItem, prev.queue_id) if prev.queue_id else None
        if item is not None:
            item.core_status = m.core_status
        self._save(m, prev)
        self._record(
            row.id,
            "status_change",
            f"{old}->{m.core_status}",
            {"from": old, "to": m.core_status, "queue_id": prev.queue_id},
        )
        self.result.status_changes += 1

    def _reject(
        self,
        row: CoreSubscription,
        m: Metrics,
        prev: Metrics | None,
        reason: str,
        detail: str,
    ) -> None:
        m.outcome = "rejected"
        m.problem_reason = reason[:40]
        self._save(m, prev)
        self._record(row.id, "rejected", reason, {"detail": detail[:500]})
        self.result.rejected += 1

    # ---- writes ------------------------------------------------------------------------

    def _save(self, m: Metrics, prev: Metrics | None) -> None:
        if prev is None:
            assert isinstance(m, NewMetrics)
            self.new_metrics.append(m)
            self.existing[m.subscription_id] = m

    def _record(self, sid: int, kind: str, reason: str, details: dict[str, Any]) -> None:
        self.new_records.append(
            {
                "subscription_id": sid,
                "kind": kind,
                "reason": reason[:80],
                "details": details,
                "created_at": utcnow(),
            }
        )

    def discard(self) -> None:
        """Forget the writes not flushed yet (their savepoint was rolled back)."""
        for m in self.new_metrics:
            self.existing.pop(m.subscription_id, None)
        self.new_items.clear()
        self.new_metrics.clear()
        self.new_records.clear()

    def flush(self) -> None:
        """Write what the rows so far decided: one bulk write per table (queue ids taken
        beforehand, so nothing needs RETURNING), then all the events in one append."""
        conn = self.s.connection()
        memo: dict[Any, Any] = {}  # money converted once for the queue and metrics rows
        if self.new_items:
            ids = allocate_queue_ids(self.s, len(self.new_items))
            for (item, _m), qid in zip(self.new_items, ids, strict=True):
                item["id"] = qid
            insert_rows(conn, _QUEUE, [item for item, _m in self.new_items], memo=memo)
            for item, m in self.new_items:
                m.queue_id = item["id"]  # loaded rows (waiting → queued) are flushed below
        if self.new_metrics:
            insert_rows(conn, _METRICS, [m.row() for m in self.new_metrics], memo=memo)
        if self.new_records:
            insert_rows(conn, _RECORDS, self.new_records)
        if self.new_items:
            events: list[tuple[str, dict[str, Any], int | None]] = []
            for item, _m in self.new_items:
                sid = item["subscription_id"]
                events.append(("queue.new", queue_new_payload(item), sid))
                if item["is_jackpot"]:
                    events.append(("jackpot", jackpot_payload(item), sid))
            append_events_bulk(self.s, events, validated=True)
        self.new_items.clear()
        self.new_metrics.clear()
        self.new_records.clear()
        self.s.flush()  # changes to rows loaded earlier (status changes, waiting → queued)


_QUEUE = cast(Table, QueueItem.__table__)
_METRICS = cast(Table, SubscriptionMetrics.__table__)
_RECORDS = cast(Table, IngestRecord.__table__)


def _text(value: object, limit: int) -> str | None:
    if value is None:
        return None
    return str(value)[:limit]


def _apply_figures(m: Metrics, f: money.Metrics) -> None:
    m.revenue_usd = f.revenue_usd
    m.cost_usd = f.cost_usd
    m.margin_amount_usd = f.margin_amount_usd
    m.margin_percent = f.margin_percent
    m.margin_quality = f.margin_quality
    m.is_jackpot = f.is_jackpot
    m.tts_days = f.tts_days
    m.problem_reason = f.problem_reason


def ingest_batch(
    session: Session,
    rows: Sequence[CoreSubscription],
    inputs: BatchInputs,
    *,
    existing: Mapping[int, SubscriptionMetrics] | None = None,
    safe: bool = False,
    versions: Mapping[int, Version] | None = None,
) -> BatchResult:
    """Ingest core subscription versions in the caller's transaction.

    ``existing`` is the batch's ``subscription_metrics`` rows (loaded when not given).
    ``safe``: one savepoint per row; a row that raises is recorded as rejected.
    ``versions``: ``{id: version_of(row)}`` when the caller has it already.
    """
    if existing is None:
        existing = load_metrics(session, [r.id for r in rows])
    known = versions or {}
    fields = [_fields(r, known.get(r.id)) for r in rows]
    batch = _Batch(session, inputs, dict(existing), _prefetch_owners(session, fields))
    batch.parsed = {f.row.id: f for f in fields}
    if not safe:
        for row in rows:
            batch.ingest(row)
        batch.flush()
        return batch.result
    for row in rows:
        try:
            with session.begin_nested():
                batch.ingest(row)
                batch.flush()
        except Exception as exc:  # one bad row must not spoil its batch
            log.exception("subscription %s could not be ingested", row.id)
            batch.discard()
            _record_error(session, batch, row, exc)
    return batch.result


def _record_error(session: Session, batch: _Batch, row: CoreSubscription, exc: Exception) -> None:
    prev = session.get(SubscriptionMetrics, row.id)
    with session.begin_nested():
        m = prev or SubscriptionMetrics(subscription_id=row.id)
        status, updated_at = version_of(row)
        m.core_status, m.core_updated_at = status, updated_at
        m.outcome = "queued" if prev is not None and prev.outcome == "queued" else "rejected"
        if m.outcome == "rejected":
            m.problem_reason = "ingest_error"
        if prev is None:
            session.add(m)
        batch._record(row.id, "rejected", "ingest_error", {"detail": str(exc)[:500]})
        session.execute(insert(IngestRecord), batch.new_records)
        batch.new_records.clear()
        session.flush()
    batch.existing[row.id] = m
    batch.result.rejected += 1
    batch.result.errors.append(row.id)
