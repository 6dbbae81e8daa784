"""``winroom-backend simulate``: a realistic sales floor written into the core database.

Turkish (TRY), US (USD) and Saudi (SAR) customers buy campaigns of 1, 3, 6 and 12 months
with 20/25/40/50-minute lessons, 1–5 a week. Mixed in, as on a real floor: duplicates
(the same customer and campaign again within the hour, or a repeated Stripe id), trials
(campaign 65), gifts (``Hediye``), free ones, jackpots, pending sales that get paid a
little later, and sales whose amount is only in ``payment_infos``. Every sale also assigns
a few leads to the demo sellers. ``--seed`` makes the sequence of sales reproducible (the
timestamps are the real clock).
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from backend.core import tables as t
from backend.core.adapter import create_core_tables, make_core_engine
from backend.db.types import utcnow
from backend.db.urls import database_file, is_sqlite, normalize_url
from backend.demo_data import SELLERS
from backend.models import Seller
from backend.rules.money import CampaignTerms, cost_usd
from backend.runtime import database_for_url
from backend.settings import Settings

log = logging.getLogger(__name__)

TRIAL_CAMPAIGN_ID = 65
SELLER_EMAILS = tuple(email for email, _ in SELLERS)
DOLAR = "34,25"
DOLAR_VALUE = Decimal("34.25")
SAR_PER_USD = Decimal("3.75")

FIRST_NAMES_TR = ("Ahmet", "Fatma", "Mustafa", "Emine", "Ali", "Hatice", "Hüseyin", "Zehra")
LAST_NAMES_TR = ("Yıldız", "Koç", "Aksoy", "Polat", "Güneş", "Kurt", "Özdemir", "Erdoğan")
FIRST_NAMES_US = ("Emily", "James", "Olivia", "Michael", "Sophia", "Daniel", "Ava", "Ryan")
LAST_NAMES_US = ("Johnson", "Miller", "Davis", "Garcia", "Wilson", "Taylor", "Moore", "Clark")
FIRST_NAMES_SA = ("Mohammed", "Fatimah", "Abdullah", "Noura", "Khalid", "Sara", "Faisal")
LAST_NAMES_SA = ("Al-Harbi", "Al-Qahtani", "Al-Otaibi", "Al-Ghamdi", "Al-Zahrani", "Al-Dosari")

LENGTHS = (1, 3, 6, 12)
DURATIONS = (20, 25, 40, 50)
COUNTRIES = (("TR", "TRY", 0.6), ("US", "USD", 0.25), ("SA", "SAR", 0.15))


def campaign_catalog() -> list[dict[str, Any]]:
    """Sixteen campaigns (every length × every lesson duration) plus the trial, id 65."""
    out: list[dict[str, Any]] = []
    cid = 1
    for length in LENGTHS:
        for i, minutes in enumerate(DURATIONS):
            per_week = (1, 2, 3, 5)[(i + LENGTHS.index(length)) % 4]
            out.append(
                {
                    "id": cid,
                    "name": f"Genel İngilizce {length} Ay · {per_week}×{minutes} dk",
                    "campaign_length": length,
                    "per_week": per_week,
                    "lesson_duration": minutes,
                }
            )
            cid += 1
    out.append(
        {
            "id": TRIAL_CAMPAIGN_ID,
            "name": "Deneme Dersi",
            "campaign_length": 1,
            "per_week": 1,
            "lesson_duration": 25,
        }
    )
    return out


def ensure_reference_data(engine: Engine) -> None:
    """Campaigns and the ``dolar`` setting, when missing."""
    with engine.begin() as conn:
        have = {r[0] for r in conn.execute(select(t.campaigns.c.id))}
        rows = [c for c in campaign_catalog() if c["id"] not in have]
        if rows:
            conn.execute(insert(t.campaigns), rows)
        key = conn.execute(
            select(t.custom_settings.c.key).where(t.custom_settings.c.key == "dolar")
        ).first()
        if key is None:
            conn.execute(insert(t.custom_settings), [{"key": "dolar", "value": DOLAR}])


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Sale:
    """What the simulator wrote for one sale (for tests and logs)."""

    subscription_ids: list[int] = field(default_factory=list)
    kind: str = "normal"


class FloorSimulator:
    """Writes sales and leads into a core database. ``seed`` makes the choices repeatable."""

    def __init__(
        self,
        engine: Engine,
        *,
        seed: int | None = None,
        clock: Callable[[], datetime] = utcnow,
        seller_emails: tuple[str, ...] = SELLER_EMAILS,
    ) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.clock = clock
        self.seller_emails = seller_emails
        self.catalog = {c["id"]: c for c in campaign_catalog()}
        self._pending: list[int] = []
        self._recent: list[tuple[int, int, str | None]] = []  # (user, campaign, stripe id)
        self._serial = 0

    # ---- customers ---------------------------------------------------------------------

    def _customer(self, conn: Any, now: datetime) -> tuple[int, str]:
        r = self.rng.random()
        acc = 0.0
        country, currency = "TR", "TRY"
        for c, cur, weight in COUNTRIES:
            acc += weight
            if r < acc:
                country, currency = c, cur
                break
        first, last = {
            "TR": (FIRST_NAMES_TR, LAST_NAMES_TR),
            "US": (FIRST_NAMES_US, LAST_NAMES_US),
            "SA": (FIRST_NAMES_SA, LAST_NAMES_SA),
        }[country]
        name = f"{self.rng.choice(first)} {self.rng.choice(last)}"
        self._serial += 1
        local = name.lower().replace(" ", ".").replace("-", "")
        local = local.translate(str.maketrans("ışçöüğâ", "iscouga"))
        domain = {"TR": "gmail.com", "US": "outlook.com", "SA": "yahoo.com"}[country]
        email = f"{local}{self.rng.randint(10, 9999)}@{domain}"
        created = now - timedelta(days=self.rng.randint(0, 45), minutes=self.rng.randint(0, 600))
        uid = conn.execute(
            insert(t.users)
            .values(email=email, name=name, created_at=created)
            .returning(t.users.c.id)
        ).scalar_one()
        return int(uid), currency

    # ---- prices ------------------------------------------------------------------------

    def _price_usd(self, campaign: dict[str, Any]) -> Decimal:
        cost = cost_usd(
            CampaignTerms(
                campaign["campaign_length"], campaign["per_week"], campaign["lesson_duration"]
            )
        )
        margin = Decimal(self.rng.choice((-5, 8, 15, 22, 30, 35, 40, 48, 55, 62))) / 100
        return cost / (1 - margin)

    @staticmethod
    def _in_currency(usd: Decimal, currency: str) -> Decimal:
        if currency == "TRY":
            return _cents(usd * DOLAR_VALUE / 10) * 10  # TRY prices end in 0
        if currency == "SAR":
            return _cents(usd * SAR_PER_USD)
        return _cents(usd)

    # ---- sales -------------------------------------------------------------------------

    def write_sale(self) -> Sale:
        """One sale (sometimes with a duplicate, a later payment, ...) and a few leads."""
        now = self.clock().replace(tzinfo=None)
        sale = Sale()
        with self.engine.begin() as conn:
            # pending ones get paid now and then
            if self._pending and self.rng.random() < 0.5:
                sid = self._pending.pop(0)
                conn.execute(
                    update(t.subscriptions)
                    .where(t.subscriptions.c.id == sid)
                    .values(status="paid", updated_at=now)
                )
            roll = self.rng.random()
            if roll < 0.07 and self._recent:
                sale.kind = "duplicate"
                uid, cid, stripe = self.rng.choice(self._recent)
                dup_stripe = stripe if stripe and self.rng.random() < 0.5 else None
                currency = "USD"
                sale.subscription_ids.append(
                    self._insert(conn, now, uid, cid, currency, stripe_id=dup_stripe)
                )
            else:
                uid, currency = self._customer(conn, now)
                kind = self._kind(roll)
                sale.kind = kind
                cid = TRIAL_CAMPAIGN_ID if kind == "trial" else self.rng.choice(range(1, 17))
                if kind == "jackpot":
                    cid = self.rng.choice((13, 14, 15, 16))  # 12-month campaigns
                sid = self._insert(conn, now, uid, cid, currency, kind=kind)
                sale.subscription_ids.append(sid)
                if kind == "pending":
                    self._pending.append(sid)
            self._assign_leads(conn, now)
        return sale

    def _kind(self, roll: float) -> str:
        for limit, kind in (
            (0.12, "trial"),
            (0.16, "gift"),
            (0.19, "free"),
            (0.25, "jackpot"),
            (0.32, "pending"),
            (0.45, "payment_infos"),
        ):
            if roll < limit:
                return kind
        return "normal"

    def _insert(
        self,
        conn: Any,
        now: datetime,
        uid: int,
        cid: int,
        currency: str,
        *,
        kind: str = "normal",
        stripe_id: str | None = None,
    ) -> int:
        campaign = self.catalog[cid]
        usd = self._price_usd(campaign)
        if kind == "jackpot":
            currency = "TRY"
            usd = Decimal(self.rng.randint(1250, 2600))
        if kind == "trial":
            usd = Decimal(self.rng.choice((0, 5, 10)))
        amount = self._in_currency(usd, currency)
        channel = self.rng.choice(
            {
                "TRY": ("Iyzico", "Iyzico", "Stripe"),
                "USD": ("Stripe", "PayPal"),
                "SAR": ("Stripe",),
            }[currency]
        )
        is_free = 0
        if kind == "gift":
            channel, is_free = "Hediye", 1
        elif kind == "free":
            is_free, amount = 1, Decimal(0)
        if stripe_id is None and channel == "Stripe":
            stripe_id = f"sub_{self.rng.getrandbits(48):012x}"
        paypal_id = f"I-{self.rng.getrandbits(40):010X}" if channel == "PayPal" else None
        status = "pending" if kind == "pending" else self.rng.choice(("paid", "paid", "active"))
        use_infos = kind == "payment_infos"
        sid = conn.execute(
            insert(t.subscriptions)
            .values(
                user_id=uid,
                campaign_id=cid,
                subs_amount=None if use_infos else amount,
                currency=currency,
                status=status,
                is_free=is_free,
                payment_channel=channel,
                stripe_sub_id=stripe_id,
                paypal_sub_id=paypal_id,
                created_at=now,
                updated_at=now,
            )
            .returning(t.subscriptions.c.id)
        ).scalar_one()
        if use_infos:
            parts = self.rng.choice((1, 2, 3))
            each = _cents(amount / parts)
            rows = [
                {
                    "subscription_id": sid,
                    "paid_price": each,
                    "currency": currency,
                    "created_at": now,
                }
                for _ in range(parts)
            ]
            conn.execute(insert(t.payment_infos), rows)
        self._recent = ([*self._recent, (uid, cid, stripe_id)])[-20:]
        return int(sid)

    def _assign_leads(self, conn: Any, now: datetime) -> None:
        n = self.rng.choice((1, 1, 2, 3))
        rows = []
        for _ in range(n):
            rows.append(
                {
                    "user_id": self.rng.randint(1, 10_000_000),
                    "seller_email": self.rng.choice(self.seller_emails),
                    "assigned_at": now,
                }
            )
        conn.execute(insert(t.lead_assignments), rows)


def prepare_core(url: str) -> Engine:
    """Create the core tables and reference data when missing; a writing engine."""
    create_core_tables(url)
    engine = make_core_engine(url, read_only=False)
    ensure_reference_data(engine)
    return engine


DEFAULT_RATE = 0.2  # sales per second when running until stopped


def run_simulation(
    url: str,
    *,
    count: int | None,
    rate: float | None,
    seed: int | None,
    stop_event: threading.Event | None = None,
    seller_emails: tuple[str, ...] = SELLER_EMAILS,
) -> int:
    """Write ``count`` sales (or until ``stop_event``) at ``rate`` per second (None: one
    after the other, no pause); leads go to ``seller_emails``."""
    stop = stop_event or threading.Event()
    engine = prepare_core(url)
    sim = FloorSimulator(engine, seed=seed, seller_emails=seller_emails)
    written = 0
    try:
        while (count is None or written < count) and not stop.is_set():
            sale = sim.write_sale()
            written += 1
            log.debug("simulated %s sale %s", sale.kind, sale.subscription_ids)
            if rate is not None and (count is None or written < count):
                stop.wait(1.0 / rate)
    finally:
        engine.dispose()
    return written


def core_counts(url: str) -> dict[str, int]:
    engine = make_core_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "subscriptions": conn.execute(
                    select(func.count()).select_from(t.subscriptions)
                ).scalar_one(),
                "lead_assignments": conn.execute(
                    select(func.count()).select_from(t.lead_assignments)
                ).scalar_one(),
            }
    finally:
        engine.dispose()


def floor_seller_emails(settings: Settings) -> tuple[str, ...]:
    """Who gets the simulated leads: the active sellers (``sales``, ``sales_lead``) of Win
    Room's database, so conversion means something for the people on this floor; the demo's
    sellers when it has none (or cannot be read: not created or not migrated yet, which is no
    reason to refuse writing fake sales). Sorted: ``--seed`` stays reproducible."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    url = normalize_url(settings.db_url)
    if is_sqlite(url) and not ((path := database_file(url)) is not None and path.exists()):
        return SELLER_EMAILS  # never create Win Room's database from here
    if not is_sqlite(url):  # an unreachable server costs seconds, not the TCP timeout
        url = (
            make_url(url)
            .update_query_dict({"connect_timeout": "5"})
            .render_as_string(hide_password=False)
        )
    db = database_for_url(url)
    try:
        with db.read() as s:
            emails = s.scalars(
                select(Seller.email).where(
                    Seller.is_active.is_(True), Seller.role.in_(("sales", "sales_lead"))
                )
            ).all()
    except SQLAlchemyError as exc:
        log.info("simulate: sellers not readable (%s); leads go to the demo sellers", exc)
        return SELLER_EMAILS
    finally:
        db.dispose()
    return tuple(sorted(emails)) or SELLER_EMAILS


def simulate_command(settings: Settings, args: argparse.Namespace) -> int:
    stop = threading.Event()

    def _stop(*_a: Any) -> None:
        stop.set()

    old = signal.signal(signal.SIGTERM, _stop)
    target = settings.core_db_url.split("@")[-1]
    print(
        f"simulating sales into {target}"
        + (f" ({args.count} sales)" if args.count else " until stopped (Ctrl+C)"),
        flush=True,
    )
    # CONTRACT §1: until stopped, about one sale every 5 s; a --count alone is written at once
    rate = args.rate if args.rate is not None else (DEFAULT_RATE if args.count is None else None)
    try:
        written = run_simulation(
            settings.core_db_url,
            count=args.count,
            rate=rate,
            seed=args.seed,
            stop_event=stop,
            seller_emails=floor_seller_emails(settings),
        )
    except KeyboardInterrupt:
        written = -1
    finally:
        signal.signal(signal.SIGTERM, old)
    if written >= 0:
        print(f"wrote {written} sales", flush=True)
    return 0
