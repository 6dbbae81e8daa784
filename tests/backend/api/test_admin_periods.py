"""Months (CONTRACT §4a): closing freezes a statement byte for byte, later changes to its
claims show as clawbacks in the open month, reopening; the two CSV exports; the CLI."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.cli import main
from backend.db.types import utcnow
from backend.models import AuditLog
from backend.models.admin import Clawback
from backend.reads import claims as claim_reads
from backend.reads import exports
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.api.finance_support import claim_at, seller
from tests.backend.realtime.support import People, TestClient


def _months(settings: Settings) -> tuple[str, str, datetime]:
    """(this month, last month, a moment in last month) in the floor's time zone."""
    today = utcnow().astimezone(settings.tz).date()
    first = today.replace(day=1)
    last_day = first - timedelta(days=5)
    moment = datetime.combine(last_day, time(12), tzinfo=settings.tz)
    return first.strftime("%Y-%m"), last_day.strftime("%Y-%m"), moment


def _statement(client: TestClient, people: People, month: str) -> bytes:
    r = client.get(
        f"/api/admin/export/statement.csv?month={month}", headers=people.headers("finance")
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return r.content


def _rows(raw: bytes) -> dict[str, dict[str, str]]:
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    return {r["name"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}


def test_close_freezes_and_later_changes_are_clawbacks(
    client: TestClient, people: People, db: Database, api_settings: Settings
) -> None:
    this, last, moment = _months(api_settings)
    a, _ = seller(db, api_settings, "Ayse")
    b, _ = seller(db, api_settings, "Burak, Jr.")
    old = claim_at(db, api_settings, a, "100.00", "60.00", moment)
    old2 = claim_at(db, api_settings, b, "50.00", "20.00", moment)
    claim_at(db, api_settings, b, "10.00", "4.00")
    fin, adm = people.headers("finance"), people.headers("admin")

    periods = client.get("/api/admin/periods", headers=fin).json()
    assert [p["month"] for p in periods["periods"]][:2] == [this, last]
    assert all(p["status"] == "open" for p in periods["periods"])

    r = client.post(f"/api/admin/periods/{this}/close", headers=fin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "month_not_over"
    assert client.post("/api/admin/periods/2026-13/close", headers=fin).status_code == 422
    assert (
        client.post(
            f"/api/admin/periods/{last}/close", headers=people.headers("sales_lead")
        ).status_code
        == 403
    )

    before = _statement(client, people, last)
    rows = _rows(before)
    assert rows["Ayse"]["net_margin_usd"] == "60.00" and rows["Ayse"]["wins"] == "1"
    assert b'"Burak, Jr."' in before and before.count(b"\r\n") == 3  # header + 2 sellers
    r = client.post(f"/api/admin/periods/{last}/close", headers=fin)
    assert r.status_code == 200, r.text
    assert r.json()["period"]["status"] == "closed"
    assert r.json()["period"]["closed_by"]["id"] == people.ids["finance"]
    r = client.post(f"/api/admin/periods/{last}/close", headers=fin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_closed"
    frozen = _statement(client, people, last)
    assert frozen == before

    # changes to the closed month's claims: accepted, counted in this month
    r = client.post(
        f"/api/admin/claims/{old}/adjustment", headers=fin, json={"reason": "other", "amount": "6"}
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/admin/claims/{old}/shares",
        headers=fin,
        json={"shares": [{"seller_id": a, "share": "0.5"}, {"seller_id": b, "share": "0.5"}]},
    )
    assert r.status_code == 200
    assert (
        client.post(
            f"/api/admin/claims/{old2}/refund", headers=fin, json={"reason": "x"}
        ).status_code
        == 201
    )
    assert _statement(client, people, last) == frozen
    now_rows = _rows(_statement(client, people, this))
    # a: 60 → 54 (adjustment) → 27 (half) = 33 taken back; b: +27 given, then 20 refunded
    assert now_rows["Ayse"]["clawbacks_usd"] == "33.00"
    assert now_rows["Burak, Jr."]["clawbacks_usd"] == "-7.00"
    assert now_rows["Burak, Jr."]["net_margin_usd"] == "11.00"  # 4.00 this month + 7
    with db.read() as s:
        kinds = sorted(c.kind for c in s.scalars(select(Clawback)))
    assert kinds == ["adjustment", "refund", "shares", "shares"]

    # reopening: admin only, with a reason; then live again
    r = client.post(f"/api/admin/periods/{last}/reopen", headers=fin, json={"reason": "fix"})
    assert r.status_code == 403
    assert client.post(f"/api/admin/periods/{last}/reopen", headers=adm, json={}).status_code == 422
    r = client.post(f"/api/admin/periods/{last}/reopen", headers=adm, json={"reason": "fix"})
    assert r.status_code == 200 and r.json()["period"]["status"] == "open"
    listed = client.get("/api/admin/periods", headers=fin).json()["periods"]
    assert r.json()["period"] == next(p for p in listed if p["month"] == last)
    assert r.json()["period"]["reopened_by"] == {"id": people.ids["admin"], "name": "Admin"}
    assert r.json()["period"]["closed_at"] is None and r.json()["period"]["version"] >= 1
    r = client.post(f"/api/admin/periods/{last}/reopen", headers=adm, json={"reason": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_closed"
    assert _statement(client, people, last) != frozen
    with db.read() as s:
        actions = [
            a.action for a in s.scalars(select(AuditLog).where(AuditLog.target_type == "period"))
        ]
    assert actions == ["period.close", "period.reopen"]


def test_statement_bad_month_is_422(client: TestClient, people: People) -> None:
    for q in ("", "?month=2026-1", "?month=2026-13", "?month=abcd-ef"):
        r = client.get(f"/api/admin/export/statement.csv{q}", headers=people.headers("finance"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "month"
    r = client.get(
        "/api/admin/export/statement.csv?month=2026-01", headers=people.headers("sales_lead")
    )
    assert r.status_code == 403


def test_claims_csv_is_rfc4180_with_bom_and_every_row(
    client: TestClient, people: People, db: Database, api_settings: Settings
) -> None:
    a, _ = seller(db, api_settings, "Ayşe")
    b, _ = seller(db, api_settings, "O'Brien; Jr")
    ids = [
        claim_at(db, api_settings, a, "100.50", "60.25", name='Quote "Q", Comma'),
        claim_at(db, api_settings, b, "7.00", None, name="Line\nBreak"),
    ]
    r = client.post(
        f"/api/admin/claims/{ids[0]}/shares",
        headers=people.headers("finance"),
        json={"shares": [{"seller_id": a, "share": "0.6"}, {"seller_id": b, "share": "0.4"}]},
    )
    assert r.status_code == 200
    r = client.get(
        "/api/admin/export/claims.csv?sort=claimed_at", headers=people.headers("finance")
    )
    assert r.status_code == 200
    raw = r.content
    assert raw.startswith(b"\xef\xbb\xbfid,version,queue_id,")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [int(x["id"]) for x in rows] == ids
    assert (
        rows[0]["customer_name"] == 'Quote "Q", Comma' and rows[1]["customer_name"] == "Line\nBreak"
    )
    assert rows[0]["revenue_usd"] == "100.50" and rows[0]["margin_amount_usd"] == "60.25"
    assert rows[0]["shares"] == "Ayşe:0.6000;O'Brien; Jr:0.4000"
    assert rows[1]["margin_amount_usd"] == "" and rows[1]["refunded"] == "false"
    one = client.get(f"/api/admin/export/claims.csv?seller_id={b}", headers=people.headers("admin"))
    assert len(list(csv.DictReader(io.StringIO(one.content.decode("utf-8-sig"), newline="")))) == 1
    r = client.get("/api/admin/export/claims.csv", headers=people.headers("sales_lead"))
    assert r.status_code == 403


def test_cli_close_period_and_export(
    db: Database,
    api_settings: Settings,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    this, last, moment = _months(api_settings)
    a, _ = seller(db, api_settings, "Ayse")
    claim_at(db, api_settings, a, "100.00", "60.00", moment)
    monkeypatch.setenv("WINROOM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("WINROOM_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    assert main(["close-period", this]) == 1
    assert "over" in capsys.readouterr().err
    assert main(["close-period", last]) == 0
    assert f"closed {last}" in capsys.readouterr().out
    assert main(["close-period", last]) == 1
    out = tmp_path / "s.csv"
    assert main(["export", "statement", "--month", last, "-o", str(out)]) == 0
    with db.read() as s:
        from backend.models.admin import ClosedPeriod

        assert out.read_bytes() == s.get_one(ClosedPeriod, last).statement_csv.encode("utf-8")
    claims = tmp_path / "c.csv"
    assert main(["export", "claims", "--from", f"{last}-01", "-o", str(claims)]) == 0
    assert claims.read_bytes().count(b"\r\n") == 2
    assert main(["export", "claims", "--finance-status", "paid"]) == 2
    assert "finance_status" in capsys.readouterr().err
    assert main(["export", "statement"]) == 2


def _flat(c: dict[str, Any]) -> dict[str, str]:
    """A claim of the list as its CSV row should read."""

    def cell(v: Any) -> str:
        return "" if v is None else ("true" if v is True else "false" if v is False else str(v))

    return {
        **{k: cell(c[k]) for k in ("id", "version", "queue_id", "subscription_id")},
        "seller_id": cell(c["seller"]["id"]),
        "seller_name": cell(c["seller"]["name"]),
        **{k: cell(c[k]) for k in ("claim_type", "finance_status", "claimed_at")},
        "customer_email": cell(c["customer"]["email"]),
        "customer_name": cell(c["customer"]["name"]),
        "campaign_id": cell(c["campaign"]["id"]),
        "campaign_name": cell(c["campaign"]["name"]),
        **{
            k: cell(c[k])
            for k in (
                "revenue_usd",
                "cost_usd",
                "margin_amount_usd",
                "adjustments_usd",
                "adjusted_margin_usd",
                "refunded",
                "excluded",
            )
        },
        "shares": ";".join(f"{e['name'] or ''}:{e['share']}" for e in c["shares"]),
        "installment_plan_id": cell(c["installment_plan_id"]),
        "note": cell(c["note"]),
    }


@pytest.mark.parametrize("sort", ["-claimed_at", "claimed_at", "-revenue_usd", "margin_amount_usd"])
def test_claims_csv_rows_are_the_lists_claims_page_after_page(
    client: TestClient, people: People, db: Database, api_settings: Settings, sort: str
) -> None:
    """The CSV builds its rows from the query's tuples: each row still says what the list
    says (half-cents, a negative adjusted margin, the closer first, whole seconds)."""
    a, _ = seller(db, api_settings, "Ayşe")
    b, _ = seller(db, api_settings, "Bora")
    c, _ = seller(db, api_settings, "Cem")
    fin = people.headers("finance")
    now = utcnow().replace(microsecond=0)
    ids = [
        claim_at(db, api_settings, a, "100.005", "0.015", now - timedelta(seconds=1)),
        claim_at(db, api_settings, a, "7.00", None, now - timedelta(minutes=1, microseconds=500)),
        claim_at(db, api_settings, b, "55.555", "20.00", now - timedelta(minutes=2)),
        claim_at(db, api_settings, a, "55.555", "20.00", now - timedelta(minutes=3)),
        claim_at(db, api_settings, b, "1.00", "0.50", now - timedelta(minutes=4)),
    ]
    url = f"/api/admin/claims/{ids[0]}"
    body = {"shares": [{"seller_id": a, "share": "0.3333"}, {"seller_id": b, "share": "0.6667"}]}
    assert client.post(f"{url}/shares", headers=fin, json=body).status_code == 200
    assert client.post(f"{url}/reassign", headers=fin, json={"seller_id": c}).status_code == 200
    adj = {"reason": "chargeback", "amount": "3.00", "note": 'said "no",\r\nthen yes'}
    assert client.post(f"/api/admin/claims/{ids[4]}/adjustment", headers=fin, json=adj).status_code
    patch = {"note": 'a "note", here'}
    assert client.patch(f"/api/admin/claims/{ids[2]}", headers=fin, json=patch).status_code == 200
    listed = client.get(f"/api/admin/claims?sort={sort}&limit=500", headers=fin).json()["claims"]
    assert listed[[c["id"] for c in listed].index(ids[4])]["adjusted_margin_usd"] == "-2.50"
    with db.read() as s:
        f = claim_reads.parse_filters(s, api_settings.tz)
    raw = b"".join(exports.claims_csv(db.read, f, sort, page_size=2))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows == [_flat(c) for c in listed]
    assert rows[[int(r["id"]) for r in rows].index(ids[0])]["shares"] == "Cem:0.3333;Bora:0.6667"
    served = client.get(f"/api/admin/export/claims.csv?sort={sort}", headers=fin)
    assert served.content == raw
