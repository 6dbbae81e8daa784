"""Demo people and settings of the sales floor, seeded idempotently (``winroom-backend demo``).

Every demo account shares one password (``DEMO_PASSWORD``): this is a demo, not a
deployment. The simulator assigns leads to the same seller emails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts import create_user, issue_device_token
from backend.db.types import utcnow
from backend.models import DeviceToken, PersonalGoal, Promotion, SalesGoal, Seller

DEMO_PASSWORD = "demo-pass-123"
TV_DEVICE_NAME = "Demo Floor TV"

SELLERS: tuple[tuple[str, str], ...] = (
    ("ayse.yilmaz@winroom.local", "Ayşe Yılmaz"),
    ("mehmet.kaya@winroom.local", "Mehmet Kaya"),
    ("zeynep.demir@winroom.local", "Zeynep Demir"),
    ("emre.sahin@winroom.local", "Emre Şahin"),
    ("elif.celik@winroom.local", "Elif Çelik"),
    ("burak.ozturk@winroom.local", "Burak Öztürk"),
    ("selin.aydin@winroom.local", "Selin Aydın"),
    ("can.arslan@winroom.local", "Can Arslan"),
)
ADMIN = ("admin@winroom.local", "Demo Admin", "admin")
FINANCE = ("finans@winroom.local", "Deniz Finans", "finance")
SALES_LEAD = ("lider@winroom.local", "Hakan Lider", "sales_lead")

TEAM_GOALS: tuple[tuple[str, str, str, Decimal], ...] = (
    ("Bugün 25 satış", "day", "count", Decimal(25)),
    ("Bugün $20.000 ciro", "day", "revenue", Decimal(20000)),
    ("Ay sonu $400.000 ciro", "month", "revenue", Decimal(400000)),
)
PERSONAL_GOALS: tuple[tuple[str, str, str, str, Decimal], ...] = (
    ("ayse.yilmaz@winroom.local", "Bugün 5 satış", "day", "count", Decimal(5)),
    ("mehmet.kaya@winroom.local", "Bu ay $60.000", "month", "revenue", Decimal(60000)),
)


@dataclass
class DemoSeed:
    """What the demo needs to tell the desktop app (``demo-credentials.json``)."""

    sellers: list[dict[str, str]]
    admin: dict[str, str]
    finance: dict[str, str]
    sales_lead: dict[str, str]
    tv_token: str | None  # None when the token already existed (only its hash is kept)


def _user(session: Session, email: str, name: str, role: str) -> Seller:
    existing = session.scalar(select(Seller).where(Seller.email == email))
    if existing is not None:
        return existing
    return create_user(session, email=email, name=name, role=role, password=DEMO_PASSWORD)


def _account(email: str, name: str) -> dict[str, str]:
    return {"email": email, "password": DEMO_PASSWORD, "name": name}


def seed_demo(session: Session, now: datetime) -> DemoSeed:
    """Create the demo people, goals, banner and TV token unless they exist (idempotent)."""
    for email, name in SELLERS:
        _user(session, email, name, "sales")
    admin = _user(session, *ADMIN)
    _user(session, *FINANCE)
    _user(session, *SALES_LEAD)

    if session.scalar(select(SalesGoal.id).limit(1)) is None:
        for title, period, target_type, target in TEAM_GOALS:
            session.add(
                SalesGoal(
                    title=title,
                    period=period,
                    target_type=target_type,
                    target=target,
                    created_by=admin.id,
                )
            )
    if session.scalar(select(PersonalGoal.id).limit(1)) is None:
        for email, title, period, target_type, target in PERSONAL_GOALS:
            seller = session.scalar(select(Seller).where(Seller.email == email))
            assert seller is not None
            session.add(
                PersonalGoal(
                    seller_id=seller.id,
                    title=title,
                    period=period,
                    target_type=target_type,
                    target=target,
                    created_by=admin.id,
                )
            )
    if session.scalar(select(Promotion.id).limit(1)) is None:
        session.add(
            Promotion(
                variant="promo",
                title="Yılbaşı kampanyası: 12 ay alana 2 ay hediye!",
                body="Bugün kapanan her 12 aylık satış çift puan.",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=30),
                created_by=admin.id,
            )
        )
    token: str | None = None
    dev = session.scalar(select(DeviceToken).where(DeviceToken.name == TV_DEVICE_NAME))
    if dev is None or dev.revoked_at is not None:
        token = issue_device_token(session, TV_DEVICE_NAME)
    session.flush()
    return DemoSeed(
        sellers=[_account(e, n) for e, n in SELLERS],
        admin=_account(ADMIN[0], ADMIN[1]),
        finance=_account(FINANCE[0], FINANCE[1]),
        sales_lead=_account(SALES_LEAD[0], SALES_LEAD[1]),
        tv_token=token,
    )


def rotate_tv_token(session: Session) -> str:
    """A fresh TV token for the demo device (the old one stops working)."""
    dev = session.scalar(select(DeviceToken).where(DeviceToken.name == TV_DEVICE_NAME))
    if dev is not None and dev.revoked_at is None:
        dev.revoked_at = utcnow()
        session.flush()
    return issue_device_token(session, TV_DEVICE_NAME)
