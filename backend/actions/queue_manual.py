"""A manual queue entry by a sales lead or an admin: ``queue.new`` (and ``jackpot``).

A manual entry goes through the same money rules as an ingested sale (CONTRACT §3, the pure
functions of :mod:`backend.rules.money`): the campaign comes from the core database (through
:class:`backend.core.adapter.CoreDatabase`), the amount is converted to USD with the same
rates (TRY at the cached ``dolar`` setting, SAR at ``WINROOM_SAR_PER_USD``), and cost,
margin, margin %, quality and jackpot are computed as for a ``paid`` subscription. What
cannot be computed is queued as a problem, as the worker does: ``unknown_campaign`` (no
campaign, an id the core database does not have, terms not in the price list),
``unknown_currency``, ``missing_rate``; the figures that depend on it stay null.

Refused with 422 and nothing written, as the worker would not queue them either: an amount
with fractions of a cent (``invalid_amount``), a trial campaign of
``WINROOM_TRIAL_CAMPAIGN_IDS`` (``trial_campaign``), figures beyond what storage holds
(``out_of_range``, :data:`backend.rules.money.MAX_FIGURE`).

``tts_days`` stays null: a manual entry names its customer by email only, and the core
adapter looks customers up by id.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.actions.errors import ActionError
from backend.core.adapter import CoreCampaign, CoreDatabase
from backend.db.types import utcnow
from backend.eventlog import append_event
from backend.models import QueueItem
from backend.rules import money as money_rules
from backend.schemas.queue import jackpot_payload, queue_item_out
from backend.settings import Settings

log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("10000000")  # 10 million: anything above is a typo
CENT = Decimal("0.01")  # money is NUMERIC(12,2) in the core database
MANUAL_STATUS = "paid"  # a sale entered by hand is a paid one (the jackpot rule asks)


def read_campaign(core_url: str, campaign_id: int | None) -> CoreCampaign | None:
    """The campaign ``campaign_id`` from the core database; None when no id is given, the
    core database has no such campaign, or it cannot be read (its tables missing, down):
    the entry is then queued as an ``unknown_campaign`` problem, as an unreadable ``dolar``
    rate makes a ``missing_rate`` one. Call it outside a Win Room transaction."""
    if campaign_id is None:
        return None
    try:
        core = CoreDatabase(core_url, timeout_seconds=5, pre_ping=False)
        try:
            return core.campaigns([campaign_id]).get(campaign_id)
        finally:
            core.dispose()
    except SQLAlchemyError:
        log.warning("campaign %s could not be read from the core database", campaign_id)
        return None


def campaign_terms(campaign: CoreCampaign | None) -> money_rules.CampaignTerms | None:
    if campaign is None:
        return None
    return money_rules.CampaignTerms(
        campaign.campaign_length, campaign.per_week, campaign.lesson_duration
    )


def manual_metrics(
    *,
    amount: Decimal,
    currency: str,
    campaign: CoreCampaign | None,
    rates: money_rules.Rates,
    threshold_try: Decimal,
    payment_channel: str | None,
    sale_created_at: datetime,
) -> money_rules.Metrics:
    """The figures of a manual sale: :func:`backend.rules.money.compute_metrics` of a paid,
    not free subscription of ``amount`` in ``currency`` (no payment infos, no known lead)."""
    return money_rules.compute_metrics(
        subs_amount=amount,
        currency=currency,
        payment_infos=(),
        campaign=campaign_terms(campaign),
        rates=rates,
        threshold_try=threshold_try,
        is_free=0,
        payment_channel=payment_channel,
        status=MANUAL_STATUS,
        sale_created_at=sale_created_at,
        user_created_at=None,
    )


def amount_problem(amount: Decimal) -> str | None:
    """Why ``amount`` cannot be a manual sale's (a phrase after "the amount"), or None: the
    one rule for the request body (``ManualIn``) and this action."""
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        return "must be between 0 and 10000000"
    if amount != amount.quantize(CENT):  # money is NUMERIC(12,2) in the core database
        return "must have at most 2 decimal places"
    return None


_AMOUNT_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def parse_amount(v: Any) -> Decimal:
    """An amount of money from a request: a JSON number, or a decimal string in ASCII digits
    (``"120.50"``), checked by the action's own rule (:func:`amount_problem`: 0 to
    MAX_AMOUNT, whole cents). The one parser of money from clients: use :data:`Amount`."""
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise ValueError("must be a number or a decimal string")
    if isinstance(v, str):
        text = v.strip()
        if not _AMOUNT_TEXT.fullmatch(text):
            raise ValueError("must be a number or a decimal string of digits 0-9, such as 120.50")
        d = Decimal(text)
    else:
        try:
            d = Decimal(repr(v))
        except InvalidOperation:  # pragma: no cover - repr of an int or float always parses
            raise ValueError("must be a number or a decimal string") from None
    problem = amount_problem(d)  # "1e-30" as a number: fractions of a cent
    if problem is not None:
        raise ValueError(problem)
    return d


def add_manual_item(
    session: Session,
    *,
    created_by: int,
    customer_email: str,
    customer_name: str,
    campaign_id: int | None,
    amount: Decimal,
    currency: str,
    note: str | None,
    settings: Settings,
    try_per_usd: Decimal | None = None,
    campaign: CoreCampaign | None = None,
    payment_channel: str | None = None,
) -> QueueItem:
    """Queue a manual sale. ``campaign`` is the core row of ``campaign_id`` (see
    :func:`read_campaign`; None: unknown), ``try_per_usd`` the ``dolar`` rate (None:
    missing)."""
    problem = amount_problem(amount)
    if problem is not None:
        raise ActionError(422, "invalid_amount", f"The amount {problem}.")
    if campaign_id is not None and campaign_id in settings.trial_ids:
        # CONTRACT §3: a trial campaign's sales are recorded by the worker, never queued
        raise ActionError(
            422,
            "trial_campaign",
            f"Campaign {campaign_id} is a trial campaign: it is never queued.",
        )
    now = utcnow()
    rates = money_rules.Rates(try_per_usd=try_per_usd, sar_per_usd=settings.sar_per_usd)
    channel = (payment_channel.strip()[:40] or None) if payment_channel else None
    name = campaign.name if campaign is not None else None
    try:
        figures = manual_metrics(
            amount=amount,
            currency=currency,
            campaign=campaign,
            rates=rates,
            threshold_try=settings.jackpot_threshold_try,
            payment_channel=channel,
            sale_created_at=now,
        )
    except money_rules.Rejected as rej:
        # as the worker rejects the same sale (``out_of_range``: figures storage cannot hold)
        raise ActionError(
            422, rej.reason, "The figures of this sale are out of range; check the amount."
        ) from None
    item = QueueItem(
        source="manual",
        customer_email=customer_email,
        customer_name=customer_name,
        campaign_id=campaign_id,
        campaign_name=None if name is None else str(name)[:200],
        currency=money_rules.normalize_currency(currency),
        payment_channel=channel,
        status="pending",
        finance_status="problem" if figures.problem_reason else "waiting",
        problem_reason=figures.problem_reason,
        revenue_usd=figures.revenue_usd,
        cost_usd=figures.cost_usd,
        margin_amount_usd=figures.margin_amount_usd,
        margin_percent=figures.margin_percent,
        margin_quality=figures.margin_quality,
        is_jackpot=figures.is_jackpot,
        tts_days=figures.tts_days,
        sale_created_at=now,
        note=note,
        created_by=created_by,
        created_at=now,
    )
    session.add(item)
    session.flush()
    append_event(session, "queue.new", {"item": queue_item_out(item).model_dump(mode="json")})
    if item.is_jackpot:
        payload = jackpot_payload(
            {
                "id": item.id,
                "subscription_id": None,
                "revenue_usd": item.revenue_usd,
                "customer_name": item.customer_name,
                "campaign_name": item.campaign_name,
            }
        )
        append_event(session, "jackpot", payload)
    return item
