"""Writing rows into a test core database (the worker's input)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, insert, text, update

from backend.core import tables as t
from backend.core.adapter import create_core_tables, make_core_engine
from backend.db.types import utcnow


class CoreWriter:
    """A writable handle on a test core database with sensible defaults for every row."""

    def __init__(self, url: str) -> None:
        self.url = url
        create_core_tables(url)
        self.engine: Engine = make_core_engine(url, read_only=False)
        self.now = utcnow().replace(microsecond=0, tzinfo=None) - timedelta(hours=1)

    def dispose(self) -> None:
        self.engine.dispose()

    def reset(self) -> None:
        self.now = utcnow().replace(microsecond=0, tzinfo=None) - timedelta(hours=1)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(tb.name for tb in t.CORE_TABLES)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
            else:
                for tb in t.CORE_TABLES:
                    conn.execute(delete(tb))
                if conn.execute(
                    text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
                ).first():
                    conn.execute(text("DELETE FROM sqlite_sequence"))

    def exec(self, stmt: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def dolar(self, value: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(t.custom_settings).where(t.custom_settings.c.key == "dolar"))
            if value is not None:
                conn.execute(insert(t.custom_settings).values(key="dolar", value=value))

    def campaign(
        self, cid: int, length: int = 6, per_week: int = 2, minutes: int = 25, name: str = ""
    ) -> int:
        self.exec(
            insert(t.campaigns).values(
                id=cid,
                name=name or f"Campaign {cid}",
                campaign_length=length,
                per_week=per_week,
                lesson_duration=minutes,
            )
        )
        return cid

    def user(
        self,
        uid: int,
        name: str = "Ayşe Kaya",
        email: str | None = None,
        created_at: datetime | None = None,
    ) -> int:
        self.exec(
            insert(t.users).values(
                id=uid,
                name=name,
                email=email or f"customer{uid}@example.com",
                created_at=created_at or self.now - timedelta(days=3),
            )
        )
        return uid

    def sub(self, **kw: Any) -> int:
        row: dict[str, Any] = {
            "user_id": 1,
            "campaign_id": 1,
            "subs_amount": Decimal("500.00"),
            "currency": "USD",
            "status": "paid",
            "is_free": 0,
            "payment_channel": "Stripe",
            "stripe_sub_id": None,
            "paypal_sub_id": None,
            "created_at": self.now,
        }
        row.update(kw)
        row.setdefault("updated_at", row["created_at"])
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    insert(t.subscriptions).values(**row).returning(t.subscriptions.c.id)
                ).scalar_one()
            )

    def subs_bulk(self, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(t.subscriptions), rows)

    def payment(self, sid: int, price: Any, currency: str) -> None:
        self.exec(
            insert(t.payment_infos).values(
                subscription_id=sid, paid_price=price, currency=currency, created_at=self.now
            )
        )

    def set_status(self, sid: int, status: str, at: datetime | None = None) -> None:
        self.exec(
            update(t.subscriptions)
            .where(t.subscriptions.c.id == sid)
            .values(status=status, updated_at=at or self.now + timedelta(minutes=5))
        )

    def lead(self, email: str, at: datetime, user_id: int = 1) -> None:
        self.exec(
            insert(t.lead_assignments).values(user_id=user_id, seller_email=email, assigned_at=at)
        )
