"""The money of a sale (CONTRACT §3), exact: revenue, cost, margin, jackpot, time to sale.

Pure functions: no I/O, no database, no clock. Every amount is a ``Decimal``; nothing is
rounded here (storage keeps six decimals, JSON shows two, rounded half-up).

Rows that cannot be computed get a *problem reason* instead of a figure (``unknown_currency``,
``missing_rate``, ``no_amount``, ``unknown_campaign``: still queued), or raise
:class:`Rejected` (a negative or unparseable amount, or figures beyond what storage holds:
never queued).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from backend.db.micros import MICROS_MAX

LESSON_PRICE_USD: dict[int, Decimal] = {
    20: Decimal(4),
    25: Decimal(5),
    40: Decimal(8),
    50: Decimal(10),
}
LENGTH_MULTIPLIER: dict[int, Decimal] = {
    1: Decimal("1.0"),
    3: Decimal("0.9"),
    6: Decimal("0.8"),
    12: Decimal("0.7"),
}
WEEKS_PER_MONTH = 4
JACKPOT_STATUSES = frozenset({"paid", "active"})
GIFT_CHANNEL = "hediye"

# problem reasons (queued, finance_status = problem)
UNKNOWN_CURRENCY = "unknown_currency"
MISSING_RATE = "missing_rate"
NO_AMOUNT = "no_amount"
UNKNOWN_CAMPAIGN = "unknown_campaign"

# rejection reasons (never queued)
NEGATIVE_AMOUNT = "negative_amount"
UNPARSEABLE_AMOUNT = "unparseable_amount"
OUT_OF_RANGE = "out_of_range"

# The largest magnitude a stored figure may have: revenue, cost, margin and margin % are
# kept in ``backend.db.types.Micros`` columns. A sale whose figures go beyond (a fraction of
# a cent against a real cost makes a margin % of −10^32) is rejected with ``out_of_range``.
MAX_FIGURE = MICROS_MAX

QUALITY_THRESHOLDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("0.50"), "high"),
    (Decimal("0.30"), "healthy"),
    (Decimal("0.10"), "watch"),
)


class Rejected(ValueError):
    """The row cannot be ingested at all; ``reason`` says why (a snake_case word)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Problem(Exception):
    """A figure cannot be computed; the row is still queued with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rates:
    """Conversion rates: TRY per USD (the core ``dolar`` setting; None when missing or
    unreadable) and the fixed SAR per USD."""

    try_per_usd: Decimal | None
    sar_per_usd: Decimal


@dataclass(frozen=True)
class CampaignTerms:
    length_months: object
    per_week: object
    lesson_minutes: object


class Metrics(NamedTuple):
    """All figures of one sale (a named tuple: immutable, and cheap to build per row)."""

    revenue_usd: Decimal | None
    cost_usd: Decimal | None
    margin_amount_usd: Decimal | None
    margin_percent: Decimal | None
    margin_quality: str
    is_jackpot: bool
    tts_days: int | None
    problem_reason: str | None


# ---- parsing ---------------------------------------------------------------------------


def parse_decimal(raw: object) -> Decimal | None:
    """A finite Decimal from a database value (Decimal, int, float, text), else None."""
    if type(raw) is Decimal:  # the usual case first (PostgreSQL NUMERIC)
        return raw if raw.is_finite() else None
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))  # SQLite keeps NUMERIC as REAL: its shortest repr is exact
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return value if value.is_finite() else None


def parse_amount(raw: object) -> Decimal:
    """A money amount: a non-negative number, else :class:`Rejected`."""
    value = parse_decimal(raw)
    if value is None:
        raise Rejected(UNPARSEABLE_AMOUNT, repr(raw))
    if value < 0:
        raise Rejected(NEGATIVE_AMOUNT, str(value))
    return value


def parse_dolar(raw: object) -> Decimal | None:
    """The ``dolar`` setting (TRY per USD), with ``.`` or ``,`` as the decimal separator.

    ``'34,25'`` → 34.25, ``'34.25'`` → 34.25; missing, unreadable or not positive → None.
    A value with both separators takes the last one as the decimal point
    (``'1.034,25'`` → 1034.25, ``'1,034.25'`` → 1034.25).
    """
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "").replace("\u00a0", "")
        if "," in text and "." in text:
            if text.rfind(",") > text.rfind("."):
                text = text.replace(".", "").replace(",", ".")
            else:
                text = text.replace(",", "")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        raw = text
    value = parse_decimal(raw)
    if value is None or value <= 0:
        return None
    return value


def parse_int(raw: object) -> int | None:
    """A whole number from a database value, else None."""
    if type(raw) is int:  # the usual case (ids, campaign terms): itself
        return raw
    value = parse_decimal(raw)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


# ---- revenue ---------------------------------------------------------------------------


def normalize_currency(raw: object) -> str | None:
    return raw.strip().upper() if isinstance(raw, str) and raw.strip() else None


def to_usd(amount: Decimal, currency: object, rates: Rates) -> Decimal:
    """Convert one amount to USD; raises :class:`Problem` (unknown currency, missing rate)."""
    code = normalize_currency(currency)
    if code == "USD":
        return amount
    if code == "TRY":
        if rates.try_per_usd is None:
            raise Problem(MISSING_RATE)
        return amount / rates.try_per_usd
    if code == "SAR":
        return amount / rates.sar_per_usd
    raise Problem(UNKNOWN_CURRENCY)


def revenue_usd(
    subs_amount: object,
    currency: object,
    payment_infos: Sequence[tuple[object, object]],
    rates: Rates,
) -> Decimal:
    """``subs_amount`` when not null, else the sum of the payment infos, each converted from
    its own currency. Raises :class:`Rejected` (negative/unparseable) or :class:`Problem`."""
    if subs_amount is not None:
        return to_usd(parse_amount(subs_amount), currency, rates)
    if not payment_infos:
        raise Problem(NO_AMOUNT)
    amounts = [(parse_amount(amount), cur) for amount, cur in payment_infos]
    total = Decimal(0)
    for amount, cur in amounts:
        total += to_usd(amount, cur, rates)
    return total


# ---- cost ------------------------------------------------------------------------------


def length_multiplier(length_months: int) -> Decimal | None:
    """The multiplier of the longest listed length not above ``length_months``."""
    best: Decimal | None = None
    for listed in sorted(LENGTH_MULTIPLIER):
        if listed <= length_months:
            best = LENGTH_MULTIPLIER[listed]
    return best


def cost_usd(terms: CampaignTerms | None) -> Decimal:
    """lessons (length × per_week × 4) × price by duration × multiplier by length.

    Raises :class:`Problem` ``unknown_campaign`` for a missing campaign, a lesson duration
    not in the price list, or terms that are not whole numbers.
    """
    if terms is None:
        raise Problem(UNKNOWN_CAMPAIGN)
    a, b, c = terms.length_months, terms.per_week, terms.lesson_minutes
    try:
        # each value with its type: 1 and True (or 12 and 12.0) are equal keys, not equal terms
        cost = _cost_of_terms((type(a), a, type(b), b, type(c), c))
    except TypeError:  # an unhashable raw value (never from a database driver)
        cost = _cost(a, b, c)
    if cost is None:
        raise Problem(UNKNOWN_CAMPAIGN)
    return cost


@lru_cache(maxsize=1024)
def _cost_of_terms(key: tuple[object, ...]) -> Decimal | None:
    """:func:`_cost` of the raw terms in ``key`` (type, value, type, value, type, value),
    cached: a backlog has thousands of rows per campaign, and the cost is a pure function of
    the three raw values and their types (a changed term is a new key: always seen)."""
    return _cost(key[1], key[3], key[5])


def _cost(length_months: object, per_week_raw: object, lesson_minutes: object) -> Decimal | None:
    """The cost of the raw campaign terms, or None when they are not usable."""
    length = parse_int(length_months)
    per_week = parse_int(per_week_raw)
    minutes = parse_int(lesson_minutes)
    if length is None or per_week is None or minutes is None or per_week < 0:
        return None
    price = LESSON_PRICE_USD.get(minutes)
    multiplier = length_multiplier(length)
    if price is None or multiplier is None:
        return None
    lessons = length * per_week * WEEKS_PER_MONTH
    return lessons * price * multiplier


# ---- margin ----------------------------------------------------------------------------


def margin(revenue: Decimal | None, cost: Decimal | None) -> Decimal | None:
    if revenue is None or cost is None:
        return None
    return revenue - cost


def margin_percent(revenue: Decimal | None, cost: Decimal | None) -> Decimal | None:
    """margin / revenue as a fraction (0.3856); None when revenue is 0 or unknown."""
    m = margin(revenue, cost)
    if m is None or revenue is None or revenue == 0:
        return None
    return m / revenue


def margin_quality(percent: Decimal | None) -> str:
    if percent is None:
        return "unknown"
    for threshold, name in QUALITY_THRESHOLDS:
        if percent >= threshold:
            return name
    return "risky"


# ---- jackpot, time to sale ---------------------------------------------------------------


def parse_flag(raw: object) -> bool:
    """``is_free``: 1/true → True; 0, null or anything else false-like → False."""
    if type(raw) is int:
        return raw != 0
    if isinstance(raw, str):
        return raw.strip().lower() in ("1", "true", "t", "yes")
    value = parse_decimal(raw) if not isinstance(raw, bool) else Decimal(int(raw))
    return value is not None and value != 0


def is_gift(channel: object) -> bool:
    return isinstance(channel, str) and channel.strip().casefold() == GIFT_CHANNEL


def jackpot_threshold_usd(threshold_try: Decimal, rates: Rates) -> Decimal | None:
    if rates.try_per_usd is None:
        return None
    return threshold_try / rates.try_per_usd


def is_jackpot(
    revenue: Decimal | None,
    *,
    threshold_try: Decimal,
    rates: Rates,
    is_free: object,
    payment_channel: object,
    status: object,
) -> bool:
    """revenue ≥ the TRY threshold in USD, not free, not a gift, status paid or active."""
    threshold = jackpot_threshold_usd(threshold_try, rates)
    if revenue is None or threshold is None or revenue < threshold:
        return False
    if parse_flag(is_free) or is_gift(payment_channel):
        return False
    return isinstance(status, str) and status.strip().lower() in JACKPOT_STATUSES


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def tts_days(user_created_at: datetime | None, sale_created_at: datetime) -> int | None:
    """Whole days from the lead coming in to the sale (None when unknown or negative)."""
    if user_created_at is None:
        return None
    days = (as_utc(sale_created_at) - as_utc(user_created_at)).days
    return days if days >= 0 else None


# ---- storage range ----------------------------------------------------------------------


def check_storable(**figures: Decimal | None) -> None:
    """Raise :class:`Rejected` ``out_of_range`` when a figure is beyond :data:`MAX_FIGURE`
    (what the storage holds), naming the first such figure."""
    for name, value in figures.items():
        if value is not None and not -MAX_FIGURE <= value <= MAX_FIGURE:
            raise Rejected(OUT_OF_RANGE, f"{name} {value:.6E} is beyond what can be stored")


# ---- everything at once ----------------------------------------------------------------


def compute_metrics(
    *,
    subs_amount: object,
    currency: object,
    payment_infos: Sequence[tuple[object, object]],
    campaign: CampaignTerms | None,
    rates: Rates,
    threshold_try: Decimal,
    is_free: object,
    payment_channel: object,
    status: object,
    sale_created_at: datetime,
    user_created_at: datetime | None,
) -> Metrics:
    """All figures of one sale. Raises :class:`Rejected` (also ``out_of_range``: a figure
    beyond what storage holds); problems become ``problem_reason`` (a revenue problem is
    reported before a campaign problem)."""
    problems: list[str] = []
    revenue: Decimal | None
    cost: Decimal | None
    try:
        revenue = revenue_usd(subs_amount, currency, payment_infos, rates)
    except Problem as p:
        revenue = None
        problems.append(p.reason)
    try:
        cost = cost_usd(campaign)
    except Problem as p:
        cost = None
        problems.append(p.reason)
    percent = margin_percent(revenue, cost)
    margin_usd = margin(revenue, cost)
    check_storable(revenue=revenue, cost=cost, margin=margin_usd, margin_percent=percent)
    return Metrics(
        revenue_usd=revenue,
        cost_usd=cost,
        margin_amount_usd=margin_usd,
        margin_percent=percent,
        margin_quality=margin_quality(percent),
        is_jackpot=is_jackpot(
            revenue,
            threshold_try=threshold_try,
            rates=rates,
            is_free=is_free,
            payment_channel=payment_channel,
            status=status,
        ),
        tts_days=tts_days(user_created_at, sale_created_at),
        problem_reason=problems[0] if problems else None,
    )
