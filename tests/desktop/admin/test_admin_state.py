"""The admin window's plain-Python state, without widgets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from winroom_desktop.state.admin.actions import (
    InputError,
    ShareSplit,
    confirm_refund,
    error_sentence,
    parse_amount,
)
from winroom_desktop.state.admin.claims import ClaimFilters, FilterError, detail_sections, parse_day
from winroom_desktop.state.admin.export import rows_csv
from winroom_desktop.state.admin.live import Pending, route
from winroom_desktop.state.admin.paged import Page, PagedList, parse_page
from winroom_desktop.state.admin.rows import challenge_row, overview_rows, plan_row
from winroom_desktop.state.admin.specs import CLAIM_COLUMNS, Column, tabs_for
from winroom_desktop.state.admin.worklist import WorkList


def test_filters_become_only_the_params_that_are_set() -> None:
    assert ClaimFilters().params() == {}
    f = ClaimFilters(
        date_from=date(2025, 6, 1),
        date_to=date(2025, 6, 30),
        seller_id=3,
        finance_status="problem",
        claim_type="upgrade",
        refunded=False,
        q="  rossi ",
        sort="revenue_usd",
    )
    assert f.params() == {
        "from": "2025-06-01",
        "to": "2025-06-30",
        "seller_id": "3",
        "finance_status": "problem",
        "claim_type": "upgrade",
        "refunded": "false",
        "q": "rossi",
        "sort": "revenue_usd",
    }
    assert f.sorted_by("margin_amount_usd", True).params()["sort"] == "-margin_amount_usd"


@pytest.mark.parametrize(
    "bad",
    [
        ClaimFilters(finance_status="paid"),
        ClaimFilters(claim_type="resale"),
        ClaimFilters(sort="-customer"),
        ClaimFilters(date_from=date(2025, 7, 1), date_to=date(2025, 6, 1)),
    ],
)
def test_filters_the_api_would_refuse_are_caught_before_sending(bad: ClaimFilters) -> None:
    with pytest.raises(FilterError):
        bad.params()


def test_parse_day() -> None:
    assert parse_day(" ") is None
    assert parse_day("2025-02-28") == date(2025, 2, 28)
    for bad in ("2025-02-30", "28.02.2025", "yesterday"):
        with pytest.raises(FilterError):
            parse_day(bad)


def test_filter_matches_a_live_claim_on_exact_fields() -> None:
    c = {
        "seller": {"id": 2},
        "finance_status": "waiting",
        "claim_type": "upgrade",
        "refunded": False,
    }
    assert ClaimFilters(seller_id=2, finance_status="waiting").matches(c)
    assert not ClaimFilters(seller_id=3).matches(c)
    assert not ClaimFilters(refunded=True).matches(c)


def _page(ids: list[int], cursor: str | None, total: int) -> Page:
    return Page([{"id": i} for i in ids], cursor, total)


def test_paged_list_appends_pages_and_drops_a_page_of_an_old_query() -> None:
    lst = PagedList()
    gen = lst.reset()
    assert lst.begin_fetch() == (gen, None)
    assert lst.begin_fetch() is None  # one page at a time
    assert lst.add_page(gen, _page([5, 4], "2", 4)) == (0, 1)
    assert lst.can_fetch_more()
    ticket = lst.begin_fetch()
    assert ticket == (gen, "2")
    new_gen = lst.reset()  # the user changed a filter meanwhile
    assert lst.add_page(gen, _page([3, 2], None, 4)) is None
    assert len(lst) == 0 and lst.generation == new_gen
    assert lst.status_text("claims") == "Loading…"


def test_paged_list_does_not_repeat_a_row_it_holds_and_marks_changes() -> None:
    lst = PagedList()
    gen = lst.reset()
    lst.begin_fetch()
    lst.add_page(gen, _page([9, 8], "2", 3))
    assert lst.insert_first({"id": 10}) and lst.total == 4
    lst.begin_fetch()
    assert lst.add_page(gen, Page([{"id": 8, "x": 1}, {"id": 7}], None, 4)) == (3, 3)
    assert [r["id"] for r in lst.rows] == [10, 9, 8, 7]
    assert lst.get(8) == {"id": 8, "x": 1}
    assert lst.replace({"id": 7, "finance_status": "approved"}, "Fatma") == 3
    assert lst.changed_by == {7: "Fatma"}
    lst.seen(7)
    assert lst.changed_by == {}
    assert lst.replace({"id": 99}) is None
    assert lst.remove(9) == 1 and lst.row_of(7) == 2
    assert not lst.can_fetch_more()
    assert lst.status_text("claims") == "3 claims"


def test_parse_page_reads_the_list_shape() -> None:
    p = parse_page({"claims": [{"id": 1}, "junk"], "next_cursor": "abc", "total": 7}, "claims")
    assert (len(p.rows), p.next_cursor, p.total) == (1, "abc", 7)
    assert parse_page(None, "claims").rows == []


@pytest.mark.parametrize(
    ("text", "out"),
    [("125", "125.00"), ("1,250.5", "1250.50"), ("$0.01", "0.01"), ("10000000", "10000000.00")],
)
def test_parse_amount(text: str, out: str) -> None:
    assert parse_amount(text) == out


@pytest.mark.parametrize("text", ["0", "-5", "1.234", "10000000.01", "abc", ""])
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(InputError):
        parse_amount(text)


def test_share_split_needs_two_sellers_and_exactly_100() -> None:
    assert ShareSplit.from_rows([(1, "100")]).problem() == "Pick at least two sellers."
    assert "99.9" in (ShareSplit.from_rows([(1, "60"), (2, "39.9")]).problem() or "")
    assert ShareSplit.from_rows([(1, "60"), (1, "40")]).problem() == "Each seller once."
    assert (
        ShareSplit.from_rows([(1, "100"), (2, "0")]).problem() == "Every share must be above 0 %."
    )
    assert ShareSplit.from_rows([(1, "x"), (2, "40")]).problem() is not None
    five = ShareSplit.from_rows([(i, "20") for i in range(1, 6)])
    assert five.problem() == "At most four sellers share a claim."
    ok = ShareSplit.from_rows([(1, "33.34"), (2, "33.33"), (3, "33.33")])
    assert ok.problem() is None
    payload = ok.payload()
    assert payload[0] == {"seller_id": 1, "share": "0.3334"}
    assert sum(Decimal(p["share"]) for p in payload) == 1


def test_confirmations_say_what_changes_on_the_boards() -> None:
    claim = {
        "id": 7,
        "seller": {"name": "Ayşe"},
        "revenue_usd": "1200.00",
        "margin_amount_usd": "400.00",
        "adjusted_margin_usd": "350.00",
        "shares": [{"name": "Ayşe"}, {"name": "Can"}],
    }
    text = confirm_refund(claim, "cancelled")
    assert "Ayşe and Can lose the win" in text
    assert "$1,200.00 revenue" in text and "$350.00 margin" in text
    assert "leaves every board" in text


def test_error_sentences() -> None:
    assert "someone changed it" in error_sentence(409, "stale", "x", "Refund")
    assert error_sentence(409, "already_refunded", "This claim is already refunded.") == (
        "This claim is already refunded."
    )
    assert "role" in error_sentence(403, "forbidden", "")


def test_detail_sections_show_economics_and_timeline() -> None:
    claim = {
        "id": 5,
        "revenue_usd": "1000.00",
        "cost_usd": "600.00",
        "margin_amount_usd": "400.00",
        "adjustments_usd": "50.00",
        "adjusted_margin_usd": "350.00",
        "shares": [{"name": "A", "share": "0.6000"}, {"name": "B", "share": "0.4000"}],
        "timeline": [
            {"at": "2025-06-18T10:00:00", "kind": "claimed", "actor": {"name": "A"}, "detail": None}
        ],
        "installment_plan": {
            "id": 3,
            "status": "active",
            "payments": [{"due_on": "2025-07-01", "amount": "50", "status": "pending"}],
        },
    }
    sections = dict(detail_sections(claim))
    econ = dict(sections["Economics"])
    assert econ["Margin"] == "$400.00  (40.0%)"
    assert econ["Adj. margin"] == "$350.00"
    assert dict(sections["Shares"]) == {"A": "60.0%", "B": "40.0%"}
    assert sections["Timeline"] == [("2025-06-18 10:00", "claimed · A")]
    assert ("2025-07-01", "$50.00  pending") in sections["Installment plan"]


def test_work_list_orders_problems_then_overdue_then_waiting_oldest_first() -> None:
    w = WorkList()
    w.load(
        queue=[
            {
                "id": 1,
                "finance_status": "waiting",
                "status": "pending",
                "created_at": "2025-06-18T09:00",
            },
            {"id": 2, "finance_status": "approved", "status": "pending"},
            {
                "id": 3,
                "finance_status": "problem",
                "status": "pending",
                "created_at": "2025-06-18T11:00",
            },
        ],
        claims=[
            {"id": 9, "finance_status": "waiting", "claimed_at": "2025-06-17T09:00"},
            {"id": 8, "finance_status": "problem", "refunded": True},
        ],
        plans=[
            {
                "id": 4,
                "status": "overdue",
                "payments": [{"status": "pending", "due_on": "2025-06-01", "amount": "50"}],
            }
        ],
    )
    assert [e["id"] for e in w.items] == ["queue-3", "plan-4", "claim-9", "queue-1"]
    assert w.counts() == {"problem": 1, "overdue": 1, "waiting": 2}
    assert w.clear("plan-4") == 1
    assert [e["id"] for e in w.items] == ["queue-3", "claim-9", "queue-1"]
    assert w.summary().startswith("3 to clear")


def test_route_puts_items_in_place_and_names_claims_to_reload() -> None:
    u = route(
        {
            "type": "finance.status_changed",
            "payload": {"item": {"id": 5, "finance_status": "approved"}},
        }
    )
    assert u.items == [("finance.status_changed", {"id": 5, "finance_status": "approved"})]
    assert u.claims_of_queue == {5}
    u = route(
        {"type": "refund.applied", "payload": {"claim_id": 7, "queue_id": 5, "change": "refund"}}
    )
    assert u.claim_ids == {7} and "overview" in u.tabs
    assert route({"type": "goals.changed", "payload": {}}).tabs == {"goals"}
    assert route({"type": "chat.message", "payload": {"text": "hi"}}).tabs == set()


def test_pending_coalesces_a_burst() -> None:
    p = Pending()
    for n in range(200):
        p.add(route({"type": "claim.adjusted", "payload": {"claim_id": n % 3}}), "Fatma")
    taken = p.take()
    assert taken.claim_ids == {0, 1, 2} and taken.actors[2] == "Fatma"
    assert p.empty()


def test_csv_has_a_bom_quotes_and_plain_numbers() -> None:
    cols = (Column("customer.name", "Customer"), Column("revenue_usd", "Revenue", "money"))
    data = rows_csv(cols, [{"customer": {"name": 'Ann "A", Ltd'}, "revenue_usd": "1449.28"}])
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig") == 'Customer,Revenue\r\n"Ann ""A"", Ltd",1449.28\r\n'


def test_tabs_by_role() -> None:
    names = lambda role: [t.name for t in tabs_for(role)]  # noqa: E731
    assert "devices" in names("admin") and len(names("admin")) == 12
    assert "devices" not in names("finance") and "audit" in names("finance")
    lead = names("sales_lead")
    assert "finance" not in lead and "audit" not in lead and "goals" in lead
    assert names("sales") == [] and names(None) == []


def test_claim_columns_text() -> None:
    row = {
        "seller": {"name": "Ayşe"},
        "finance_status": "approved",
        "refunded": True,
        "shares": [{}, {}],
        "claim_type": "first_sales",
    }
    by_header = {c.header: c.text(row) for c in CLAIM_COLUMNS}
    assert by_header["Seller"] == "Ayşe +1"
    assert by_header["Finance"] == "approved · refunded"
    assert by_header["Type"] == "first sales"


def test_rows_for_plans_challenges_and_overview() -> None:
    plan = plan_row(
        {
            "payments": [
                {"status": "confirmed", "amount": "10.00", "due_on": "2025-05-01"},
                {"status": "pending", "amount": "10.50", "due_on": "2025-06-01"},
            ]
        }
    )
    assert (plan["paid"], plan["next_due"], plan["total_amount"]) == ("1/2", "2025-06-01", "20.50")
    ch = challenge_row(
        {"target": "10", "visible": False, "progress": {"value": "4", "percent": "0.4"}}
    )
    assert ch["progress"] == "TEST RUN · 4 of 10 (40%)"
    rows = overview_rows(
        {
            "totals": {"wins": 110, "revenue_usd": "1000.00", "margin_percent": "0.41"},
            "previous": {"wins": 100, "revenue_usd": "0", "margin_percent": "0.40"},
        }
    )
    by = {r["metric"]: r for r in rows}
    assert by["Wins"]["change"] == "+10.0 %"
    assert by["Revenue"]["change"] == "new"
    assert by["Margin %"]["change"] == "+1.0 pts"


def test_rows_read_the_servers_shapes() -> None:
    from winroom_desktop.state.admin.rows import goal_row, objection_row

    g = goal_row(
        {
            "scope": "personal",
            "seller_id": 2,
            "target_type": "revenue",
            "target": "20000.00",
            "value": "16400.00",
            "percent": 0.82,
            "active": True,
            "completed": False,
        },
        {2: "Mehmet"},
    )
    assert (g["seller_label"], g["target_label"], g["value_label"], g["status"]) == (
        "Mehmet",
        "$20,000.00",
        "$16,400.00",
        "active",
    )
    assert goal_row({"active": False, "ended_at": "x"})["status"] == "ended"
    assert goal_row({"active": True, "completed": True})["status"] == "reached"
    ch = challenge_row(
        {
            "target": "5",
            "active": True,
            "progress": {
                "team": None,
                "completed_count": 1,
                "sellers": [{"name": "Zeynep", "value": "6"}, {"name": "Can", "value": "2"}],
            },
        }
    )
    assert ch["progress"] == "lead Zeynep 6 · 1 reached 5" and ch["status"] == "active"
    team = challenge_row({"target": "100", "progress": {"team": "120", "completed": True}})
    assert team["progress"] == "team 120 of 100 ✓"
    o = objection_row({"raised_by": 3, "raised_by_name": None, "resolution": "duplicate"})
    assert (o["raised_by_label"], o["resolution_label"]) == ("#3", "duplicate")
    plan = plan_row(
        {
            "payments": [{"status": "pending", "overdue": True, "amount": "5"}],
            "outstanding_usd": "5.00",
            "next_due_on": "2025-07-01",
            "customer_email": "a@b.c",
        }
    )
    assert plan["payments"][0]["state"] == "overdue"
    assert (plan["outstanding"], plan["next_due"], plan["customer_label"]) == (
        "5.00",
        "2025-07-01",
        "a@b.c",
    )


def test_times_show_in_local_time() -> None:
    from datetime import UTC, datetime

    from winroom_desktop.state.admin.specs import local_minute

    want = datetime(2025, 6, 18, 7, 5, tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    assert local_minute("2025-06-18T07:05:59+00:00") == want
    assert local_minute("2025-06-18T07:05:00Z") == want
    assert local_minute("2025-06-18T10:00:00") == "2025-06-18 10:00"  # naive: as sent
    assert local_minute("soon") == "soon"


def test_local_times_and_changed_fields() -> None:
    from datetime import datetime

    from winroom_desktop.state.admin.actions import changed_fields, parse_local_time

    iso = parse_local_time("2025-06-18 09:00")
    assert datetime.fromisoformat(iso) == datetime(2025, 6, 18, 9, 0).astimezone()
    assert parse_local_time("2025-06-18T09:00:00+03:00") == "2025-06-18T09:00:00+03:00"
    for bad in ("tomorrow", "2025-06-18", "18.06.2025 09:00"):
        with pytest.raises(InputError):
            parse_local_time(bad)
    orig = {
        "title": "A",
        "target": "1000.00",
        "starts_at": "2025-06-18T06:00:00+00:00",
        "scope": "team",
    }
    vals = {
        "title": "B",
        "target": "1000",
        "starts_at": "2025-06-18T09:00:00+03:00",
        "scope": "team",
    }
    assert changed_fields(orig, vals) == {"title": "B"}
