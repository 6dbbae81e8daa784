"""The money rules of CONTRACT §3, table-driven from the seed's numbers, plus properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.rules import money
from backend.rules.money import CampaignTerms, Problem, Rates, Rejected

RATES = Rates(try_per_usd=Decimal("34.25"), sar_per_usd=Decimal("3.75"))
NO_RATE = Rates(try_per_usd=None, sar_per_usd=Decimal("3.75"))
T0 = datetime(2025, 3, 10, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("length", "per_week", "minutes", "cost"),
    [
        (1, 2, 25, "40.0"),  # 8 lessons × $5 × 1.0
        (3, 2, 25, "108.0"),  # 24 × 5 × 0.9
        (6, 3, 50, "576.0"),  # 72 × 10 × 0.8
        (12, 5, 40, "1344.0"),  # 240 × 8 × 0.7
        (12, 1, 20, "134.4"),  # 48 × 4 × 0.7
        (2, 1, 20, "32.0"),  # other length: multiplier of 1 month
        (9, 1, 25, "144.0"),  # 36 × 5 × 0.8 (6 months)
        (24, 1, 25, "336.0"),  # 96 × 5 × 0.7 (12 months)
        ("6", "2", "25", "192.0"),  # text from a loose schema
        (6, 0, 25, "0.0"),
    ],
)
def test_cost_by_campaign(length: object, per_week: object, minutes: object, cost: str) -> None:
    assert money.cost_usd(CampaignTerms(length, per_week, minutes)) == Decimal(cost)


@pytest.mark.parametrize(
    "terms",
    [
        None,
        CampaignTerms(6, 2, 30),  # duration not in the price list
        CampaignTerms(0, 2, 25),  # no listed length at or below 0
        CampaignTerms(6, -1, 25),
        CampaignTerms(6, None, 25),
        CampaignTerms("six", 2, 25),
        CampaignTerms(6, 2.5, 25),
    ],
)
def test_unknown_campaign(terms: CampaignTerms | None) -> None:
    with pytest.raises(Problem) as exc:
        money.cost_usd(terms)
    assert exc.value.reason == "unknown_campaign"


@pytest.mark.parametrize(
    ("amount", "currency", "infos", "rates", "usd"),
    [
        (Decimal("1449.28"), "USD", [], RATES, "1449.28"),
        (Decimal("34250.00"), "TRY", [], RATES, "1000"),
        (Decimal("3750.00"), "SAR", [], RATES, "1000"),
        (Decimal("100.00"), " usd ", [], RATES, "100.00"),
        (None, "USD", [(Decimal("34250"), "TRY"), (Decimal("375"), "SAR")], RATES, "1100"),
        (None, None, [(Decimal("10.50"), "USD"), (12.25, "USD")], RATES, "22.75"),
        (0, "USD", [], RATES, "0"),
    ],
)
def test_revenue(amount: object, currency: object, infos: list, rates: Rates, usd: str) -> None:
    assert money.revenue_usd(amount, currency, infos, rates) == Decimal(usd)


@pytest.mark.parametrize(
    ("amount", "currency", "infos", "rates", "reason"),
    [
        (Decimal(10), "EUR", [], RATES, "unknown_currency"),
        (Decimal(10), None, [], RATES, "unknown_currency"),
        (Decimal(10), "TRY", [], NO_RATE, "missing_rate"),
        (None, "USD", [], RATES, "no_amount"),
        (None, "USD", [(Decimal(5), "USD"), (Decimal(5), "GBP")], RATES, "unknown_currency"),
        (None, "USD", [(Decimal(5), "TRY")], NO_RATE, "missing_rate"),
    ],
)
def test_revenue_problems(
    amount: object, currency: object, infos: list, rates: Rates, reason: str
) -> None:
    with pytest.raises(Problem) as exc:
        money.revenue_usd(amount, currency, infos, rates)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    ("amount", "infos", "reason"),
    [
        (Decimal("-1.00"), [], "negative_amount"),
        ("abc", [], "unparseable_amount"),
        (object(), [], "unparseable_amount"),
        (True, [], "unparseable_amount"),
        ("NaN", [], "unparseable_amount"),
        (None, [(Decimal(5), "USD"), (Decimal(-5), "USD")], "negative_amount"),
        (None, [("x", "EUR")], "unparseable_amount"),  # rejection beats the currency problem
    ],
)
def test_rejected_amounts(amount: object, infos: list, reason: str) -> None:
    with pytest.raises(Rejected) as exc:
        money.revenue_usd(amount, "USD", infos, RATES)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("34,25", "34.25"),
        ("34.25", "34.25"),
        (" 34,2500 ", "34.25"),
        ("1.034,25", "1034.25"),
        ("1,034.25", "1034.25"),
        (Decimal("38.1"), "38.1"),
        (38, "38"),
        (None, None),
        ("", None),
        ("abc", None),
        ("0", None),
        ("-3", None),
        ("1,2,3", None),
    ],
)
def test_parse_dolar(raw: object, value: str | None) -> None:
    parsed = money.parse_dolar(raw)
    assert parsed == (Decimal(value) if value else None)


@pytest.mark.parametrize(
    ("percent", "quality"),
    [
        (Decimal("0.50"), "high"),
        (Decimal("0.4999"), "healthy"),
        (Decimal("0.30"), "healthy"),
        (Decimal("0.2999"), "watch"),
        (Decimal("0.10"), "watch"),
        (Decimal("0.0999"), "risky"),
        (Decimal("-0.5"), "risky"),
        (None, "unknown"),
    ],
)
def test_margin_quality(percent: Decimal | None, quality: str) -> None:
    assert money.margin_quality(percent) == quality


def test_margin_percent_is_a_fraction_and_null_without_revenue() -> None:
    assert money.margin_percent(Decimal(1000), Decimal("614.4")) == Decimal("0.3856")
    assert money.margin_percent(Decimal(0), Decimal(10)) is None
    assert money.margin_percent(None, Decimal(10)) is None
    assert money.margin_percent(Decimal(10), None) is None
    assert money.margin(Decimal(10), None) is None


JACKPOT = Decimal(40000) / Decimal("34.25")  # 1167.88... USD


@pytest.mark.parametrize(
    ("revenue", "is_free", "channel", "status", "rates", "expected"),
    [
        (JACKPOT, 0, "Stripe", "paid", RATES, True),
        (Decimal(1168), "0", "Iyzico", "active", RATES, True),
        (Decimal(1167), 0, "Stripe", "paid", RATES, False),
        (Decimal(5000), 1, "Stripe", "paid", RATES, False),
        (Decimal(5000), "1", "Stripe", "paid", RATES, False),
        (Decimal(5000), True, "Stripe", "paid", RATES, False),
        (Decimal(5000), 0, "Hediye", "paid", RATES, False),
        (Decimal(5000), 0, " hediye ", "paid", RATES, False),
        (Decimal(5000), 0, "Stripe", "pending", RATES, False),
        (Decimal(5000), 0, "Stripe", None, RATES, False),
        (Decimal(5000), None, None, "PAID", RATES, True),
        (Decimal(5000), 0, "Stripe", "paid", NO_RATE, False),
        (None, 0, "Stripe", "paid", RATES, False),
    ],
)
def test_jackpot(
    revenue: Decimal | None,
    is_free: object,
    channel: object,
    status: object,
    rates: Rates,
    expected: bool,
) -> None:
    assert (
        money.is_jackpot(
            revenue,
            threshold_try=Decimal(40000),
            rates=rates,
            is_free=is_free,
            payment_channel=channel,
            status=status,
        )
        is expected
    )


def test_tts_days() -> None:
    assert money.tts_days(T0 - timedelta(days=3, hours=2), T0) == 3
    assert money.tts_days((T0 - timedelta(hours=23)).replace(tzinfo=None), T0) == 0
    assert money.tts_days(None, T0) is None
    assert money.tts_days(T0 + timedelta(days=1), T0) is None


def test_parse_helpers() -> None:
    assert money.parse_int("12") == 12
    assert money.parse_int(12.5) is None
    assert money.parse_int(None) is None
    assert money.parse_decimal(1.1) == Decimal("1.1")
    assert money.parse_decimal(float("inf")) is None
    assert money.parse_flag("yes") and not money.parse_flag("0") and not money.parse_flag(None)
    assert money.Rejected("x").reason == "x" and str(money.Rejected("x", "y")) == "x: y"


def test_compute_metrics_realistic_try_sale() -> None:
    m = money.compute_metrics(
        subs_amount=Decimal("49636.00"),
        currency="TRY",
        payment_infos=[],
        campaign=CampaignTerms(12, 2, 25),
        rates=RATES,
        threshold_try=Decimal(40000),
        is_free=0,
        payment_channel="Iyzico",
        status="paid",
        sale_created_at=T0,
        user_created_at=T0 - timedelta(days=12),
    )
    assert m.revenue_usd is not None and m.cost_usd == Decimal("336.0")
    assert str(m.revenue_usd.quantize(Decimal("0.01"))) == "1449.23"
    assert m.margin_amount_usd == m.revenue_usd - Decimal("336.0")
    assert m.margin_quality == "high" and m.is_jackpot and m.tts_days == 12
    assert m.problem_reason is None


def test_compute_metrics_reports_the_revenue_problem_first() -> None:
    m = money.compute_metrics(
        subs_amount=Decimal(10),
        currency="EUR",
        payment_infos=[],
        campaign=None,
        rates=RATES,
        threshold_try=Decimal(40000),
        is_free=0,
        payment_channel="Stripe",
        status="paid",
        sale_created_at=T0,
        user_created_at=None,
    )
    assert m.problem_reason == "unknown_currency"
    assert m.revenue_usd is None and m.cost_usd is None and m.margin_amount_usd is None
    assert m.margin_quality == "unknown"


amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@given(
    amount=amounts,
    currency=st.sampled_from(["USD", "TRY", "SAR"]),
    length=st.integers(1, 36),
    per_week=st.integers(0, 7),
    minutes=st.sampled_from([20, 25, 40, 50]),
)
def test_margin_is_revenue_minus_cost(
    amount: Decimal, currency: str, length: int, per_week: int, minutes: int
) -> None:
    m = money.compute_metrics(
        subs_amount=amount,
        currency=currency,
        payment_infos=[],
        campaign=CampaignTerms(length, per_week, minutes),
        rates=RATES,
        threshold_try=Decimal(40000),
        is_free=0,
        payment_channel="Stripe",
        status="paid",
        sale_created_at=T0,
        user_created_at=None,
    )
    assert m.revenue_usd is not None and m.cost_usd is not None
    assert m.margin_amount_usd == m.revenue_usd - m.cost_usd
    if m.revenue_usd:
        assert m.margin_percent == m.margin_amount_usd / m.revenue_usd
    else:
        assert m.margin_percent is None and m.margin_quality == "unknown"


def test_the_cached_cost_follows_the_terms_and_their_types() -> None:
    """``cost_usd`` caches by the raw terms (a backlog repeats each campaign thousands of
    times): a changed term is a new computation, and values that are equal in Python but
    not the same term (True and 1) are not confused."""
    assert money.cost_usd(CampaignTerms(1, 2, 25)) == Decimal("40.0")
    assert money.cost_usd(CampaignTerms(1, 2, 25)) == Decimal("40.0")  # from the cache
    assert money.cost_usd(CampaignTerms(1, 2, 50)) == Decimal("80.0")  # a changed term
    assert money.cost_usd(CampaignTerms(1, 3, 25)) == Decimal("60.0")
    for odd in (
        CampaignTerms(True, 2, 25),  # == CampaignTerms(1, 2, 25) as values
        CampaignTerms(1, True, 25),
        CampaignTerms(Decimal("1.5"), 2, 25),
        CampaignTerms(float("nan"), 2, 25),
        CampaignTerms(Decimal("NaN"), 2, 25),
        CampaignTerms(Decimal("sNaN"), 2, 25),  # not hashable: computed without the cache
        CampaignTerms([1], 2, 25),  # not hashable either
    ):
        with pytest.raises(Problem):
            money.cost_usd(odd)
    # equal values of other types that are the same whole number cost the same
    assert money.cost_usd(CampaignTerms(Decimal("1.0"), 2.0, "25")) == Decimal("40.0")
    assert money.cost_usd(CampaignTerms(1, 2, 25)) == Decimal("40.0")


def test_parse_fast_paths_agree_with_the_general_rules() -> None:
    for raw in (0, 1, -3, 10**30, True, False):
        value = money.parse_decimal(raw)
        whole = None if value is None or value != value.to_integral_value() else int(value)
        assert money.parse_int(raw) == whole and type(money.parse_int(raw)) is type(whole)
    assert money.parse_decimal(Decimal("2.50")) == Decimal("2.50")
    assert money.parse_decimal(Decimal("Infinity")) is None
    assert money.parse_decimal(Decimal("NaN")) is None
    assert money.parse_flag(0) is False and money.parse_flag(2) is True
    assert money.parse_flag(True) is True and money.parse_flag(False) is False


@pytest.mark.parametrize(
    ("amount", "terms", "figure"),
    [
        (Decimal("1e-30"), CampaignTerms(6, 2, 25), "margin_percent"),  # −1.9 × 10^32
        (Decimal("0.01"), CampaignTerms(12, 2_000_000_000, 50), "margin_percent"),
        (Decimal("1e20"), CampaignTerms(6, 2, 25), "revenue"),
        (Decimal("100"), CampaignTerms(12, 10**15, 50), "cost"),
    ],
)
def test_figures_beyond_storage_are_rejected(
    amount: Decimal, terms: CampaignTerms, figure: str
) -> None:
    """Figures are stored as integer millionths in 64 bits: beyond that, ``out_of_range``
    (never queued), instead of an overflow when the row is written."""
    with pytest.raises(Rejected) as err:
        money.compute_metrics(
            subs_amount=amount,
            currency="USD",
            payment_infos=[],
            campaign=terms,
            rates=RATES,
            threshold_try=Decimal(40000),
            is_free=0,
            payment_channel="Stripe",
            status="paid",
            sale_created_at=T0,
            user_created_at=None,
        )
    assert err.value.reason == money.OUT_OF_RANGE == "out_of_range"
    assert err.value.detail.startswith(figure)


def test_the_storage_limit_is_what_micros_holds() -> None:
    from backend.db.types import MICRO, Micros

    assert Micros().process_bind_param(money.MAX_FIGURE, None) == 2**63 - 1
    assert Micros().process_bind_param(-money.MAX_FIGURE, None) == -(2**63) + 1
    money.check_storable(a=money.MAX_FIGURE, b=-money.MAX_FIGURE, c=None)  # at the edge: fine
    with pytest.raises(Rejected):
        money.check_storable(a=money.MAX_FIGURE + MICRO)
    with pytest.raises(Rejected):
        money.check_storable(a=-money.MAX_FIGURE - MICRO)
