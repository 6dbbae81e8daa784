"""The admin window wired to the fake §4a API: loading, paging, actions, live events,
409 stale, roles and offline."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.desktop.admin.conftest import Harness, make_admin
from winroom_desktop.state.admin.actions import ShareSplit


def test_claims_load_a_page_and_fetch_more_on_scroll(admin: Harness) -> None:
    page = admin.window.pages["claims"]
    assert page.model.rowCount() == 100
    assert page.model.data(page.model.index(0, 0)) == "350"  # newest first
    assert "of 350 claims" in page.status.text()
    assert page.model.canFetchMore()
    page.table.scrollToBottom()  # the view asks the model for more
    admin.wait(lambda: page.model.rowCount() == 200)
    assert admin.calls("GET", "/api/admin/claims")[-1][2]["cursor"] == "100"


def test_filters_and_server_sort_reload_from_the_first_page(admin: Harness) -> None:
    page = admin.window.pages["claims"]
    page.finance.setCurrentIndex(page.finance.findData("problem"))
    admin.wait(
        lambda: admin.calls("GET", "/api/admin/claims")[-1][2].get("finance_status") == "problem"
    )
    admin.wait(lambda: page.model.rowCount() > 0 and not page.model.list.loading)
    assert all(r["finance_status"] == "problem" for r in page.model.list.rows)
    page.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # Revenue
    admin.wait(lambda: admin.calls("GET", "/api/admin/claims")[-1][2].get("sort") == "-revenue_usd")
    admin.wait(lambda: not page.model.list.loading and page.model.rowCount() > 1)
    revs = [float(r["revenue_usd"]) for r in page.model.list.rows]
    assert revs == sorted(revs, reverse=True)
    page.search.setText("rossi")  # search as you type, debounced
    admin.wait(lambda: admin.calls("GET", "/api/admin/claims")[-1][2].get("q") == "rossi")


def test_a_bad_date_is_a_sentence_not_a_request(admin: Harness) -> None:
    page = admin.window.pages["claims"]
    before = len(admin.calls("GET", "/api/admin/claims"))
    page.date_from.setText("31.12.2025")
    page.emit_filters()
    assert "not a date" in page.status.text()
    assert len(admin.calls("GET", "/api/admin/claims")) == before


def test_detail_pane_shows_the_current_claim(admin: Harness) -> None:
    admin.wait(lambda: admin.controller.detail is not None)
    assert admin.controller.detail["id"] == 350
    texts = [
        w.text()
        for w in admin.window.pages["claims"].detail.body.findChildren(type(admin.window.who))
    ]
    assert "ECONOMICS" in texts and "TIMELINE" in texts


def test_refund_confirms_what_changes_then_updates_the_row(admin: Harness) -> None:
    admin.wait(lambda: admin.controller.detail is not None)
    admin.asker.forms = [{"reason": "cancelled", "note": ""}]
    admin.run(admin.controller.on_action("claims", "refund"))
    title, text = admin.asker.shown[-1]
    assert title == "Refund" and "leaves every board" in text
    assert admin.calls("POST", "/api/admin/claims/350/refund")[-1][3] == {"reason": "cancelled"}
    row = admin.window.pages["claims"].model.list.get(350)
    assert row is not None and row["refunded"] is True
    assert "refunded" in admin.window.message.text()


def test_a_cancelled_confirmation_sends_nothing(admin: Harness) -> None:
    admin.wait(lambda: admin.controller.detail is not None)
    admin.asker.forms = [{"reason": "chargeback", "amount": "25.00", "note": ""}]
    admin.asker.confirms = [False]
    admin.run(admin.controller.on_action("claims", "adjust"))
    assert admin.calls("POST", "/api/admin/claims/350/adjustment") == []


def test_share_split_and_adjustment_are_sent_as_the_contract_says(admin: Harness) -> None:
    admin.wait(lambda: admin.controller.detail is not None)
    admin.asker.splits = [ShareSplit.from_rows([(3, "60"), (4, "40")])]
    admin.run(admin.controller.on_action("claims", "split"))
    assert admin.calls("POST", "/api/admin/claims/350/shares")[-1][3] == {
        "shares": [{"seller_id": 3, "share": "0.6000"}, {"seller_id": 4, "share": "0.4000"}]
    }
    assert "the win stays with Zeynep Kaya" in admin.asker.shown[-1][1]
    admin.asker.forms = [{"reason": "commission", "amount": "12.50", "note": ""}]
    admin.run(admin.controller.on_action("claims", "adjust"))
    row = admin.window.pages["claims"].model.list.get(350)
    assert row is not None and row["adjustments_usd"] == "12.50"


def test_stale_write_reloads_the_row_and_says_so(admin: Harness) -> None:
    admin.wait(lambda: admin.controller.detail is not None)
    admin.fake.overrides[350] = {"version": 4, "finance_status": "problem"}  # another user
    admin.asker.forms = [{"finance_status": "approved", "note": ""}]
    admin.run(admin.controller.on_action("claims", "status"))
    assert "someone changed it meanwhile" in admin.window.message.text()
    row = admin.window.pages["claims"].model.list.get(350)
    assert row is not None and (row["version"], row["finance_status"]) == (4, "problem")


def test_live_events_update_rows_in_place_and_mark_who_changed_them(admin: Harness) -> None:
    claims = admin.window.pages["claims"]
    admin.fake.overrides[349] = {"finance_status": "problem", "version": 2}
    for n in range(50):  # a burst: one reload
        admin.feed.event.emit(
            {
                "id": 100 + n,
                "type": "claim.adjusted",
                "actor": {"id": 5, "name": "Elif Şahin"},
                "payload": {"claim_id": 349, "queue_id": 20349, "change": "adjustment"},
            }
        )
    admin.wait(lambda: (claims.model.list.get(349) or {}).get("finance_status") == "problem")
    assert len(admin.calls("GET", "/api/admin/claims/349")) == 1
    assert claims.model.list.changed_by[349] == "Elif Şahin"
    i = claims.model.list.row_of(349)
    assert (
        claims.model.data(claims.model.index(i, 0), Qt.ItemDataRole.ToolTipRole)
        == "Just changed by Elif Şahin"
    )
    assert admin.controller.last_event_id == 149


def test_queue_tab_bulk_approve_and_live_items(admin: Harness) -> None:
    w = admin.window
    w.show_tab("queue")
    q = w.pages["queue"]
    admin.wait(lambda: q.model.rowCount() == 24)
    q.table.selectAll()
    admin.run(admin.controller.on_action("queue", "approve"))
    body = admin.calls("POST", "/api/admin/queue/finance-status")[-1][3]
    assert len(body["ids"]) == 24 and body["finance_status"] == "approved"
    assert all(r["finance_status"] == "approved" for r in q.model.list.rows)
    item = dict(q.model.list.rows[0], id=7777)
    admin.feed.event.emit({"id": 1, "type": "queue.new", "payload": {"item": item}})
    assert q.model.list.rows[0]["id"] == 7777
    admin.feed.event.emit(
        {"id": 2, "type": "queue.excluded", "payload": {"item": dict(item, status="excluded")}}
    )
    assert q.model.list.get(7777) is None  # the pending list no longer holds it


def test_finance_list_clears_top_to_bottom(admin: Harness) -> None:
    w = admin.window
    w.show_tab("finance")
    f = w.pages["finance"]
    admin.wait(lambda: f.model.rowCount() > 3)
    first, second = f.model.list.rows[0], f.model.list.rows[1]
    assert first["status"] == "problem"
    admin.run(admin.controller.on_action("finance", "approve"))
    assert f.model.list.get(first["id"]) is None
    assert f.current() is not None and f.current()["id"] == second["id"]  # the next one is current


def test_sales_lead_sees_lead_tabs_and_cannot_write_finance(loop: Any, qtbot: Any) -> None:
    h = make_admin(loop, qtbot, "lead@example.com")
    h.wait(lambda: h.window.pages["claims"].model.rowCount() > 0)
    titles = [h.window.tabs.tabText(i) for i in range(h.window.tabs.count())]
    assert "Finance" not in titles and "Audit" not in titles and "Devices" not in titles
    assert "Goals" in titles and "Claims" in titles
    assert not any(b.isEnabled() for b in h.window.pages["claims"].write_buttons)
    assert all(b.isEnabled() for b in h.window.pages["goals"].write_buttons)
    loop.run_until_complete(h.controller.close())


def test_offline_keeps_rows_shows_the_bar_and_disables_writes(admin: Harness) -> None:
    w = admin.window
    admin.feed.go("reconnecting")
    assert not w.offline.isHidden() and "Reconnecting" in w.offline_text.text()
    assert w.pages["claims"].model.rowCount() == 100
    assert not any(b.isEnabled() for b in w.pages["claims"].write_buttons)
    admin.feed.go("connected")
    assert w.offline.isHidden()
    assert all(b.isEnabled() for b in w.pages["claims"].write_buttons)


def test_a_failing_list_is_one_sentence_in_the_window(admin: Harness) -> None:
    admin.fake.fail[("GET", "/api/admin/claims")] = (
        503,
        {"error": {"code": "down", "message": "Down for a minute."}},
    )
    admin.controller.refresh()
    admin.wait(lambda: "Down for a minute." in admin.window.message.text())
    assert "could not be loaded" in admin.window.pages["claims"].status.text()


def test_an_endpoint_the_server_does_not_serve_yet_is_a_note_in_its_tab(admin: Harness) -> None:
    admin.fake.fail[("GET", "/api/admin/objections")] = (
        501,
        {"error": {"code": "not_implemented", "message": "Later."}},
    )
    admin.window.show_tab("objections")
    page = admin.window.pages["objections"]
    admin.wait(lambda: "does not do that yet" in page.status.text())
    assert page.status.text().startswith("Objections")


def test_an_unreachable_server_keeps_the_rows(admin: Harness) -> None:
    admin.fake.down = True
    admin.window.pages["claims"].table.scrollToBottom()
    admin.wait(lambda: "can't reach" in admin.window.message.text())
    assert admin.window.pages["claims"].model.rowCount() == 100


def test_export_writes_what_the_table_shows(admin: Harness, tmp_path: Any) -> None:
    w = admin.window
    w.show_tab("sellers")
    s = w.pages["sellers"]
    admin.wait(lambda: s.model.rowCount() == 8)
    admin.asker.path = str(tmp_path / "sellers.csv")
    admin.run(admin.controller.export("sellers"))
    text = (tmp_path / "sellers.csv").read_text("utf-8-sig")
    assert text.splitlines()[0].startswith("Name,Email,Role")
    assert len(text.splitlines()) == 9
    admin.asker.path = str(tmp_path / "claims.csv")
    admin.run(admin.controller.export("claims"))  # finance: the API's own export
    assert (tmp_path / "claims.csv").read_bytes().startswith("\ufeffid,".encode())


def test_share_split_dialog_enables_at_exactly_100(qtbot: Any) -> None:
    from winroom_desktop.views.admin.dialogs import ShareSplitDialog

    d = ShareSplitDialog({"id": 1, "seller": {"id": 1}}, [(1, "A"), (2, "B"), (3, "C")])
    qtbot.addWidget(d)
    combo1, pct1 = d.rows[1]
    combo1.setCurrentIndex(combo1.findData(2))
    d.rows[0][1].setText("70")
    pct1.setText("20")
    assert not d.ok_button.isEnabled() and "90" in d.total.text()
    pct1.setText("30")
    assert d.ok_button.isEnabled()
    assert d.split().payload() == [
        {"seller_id": 1, "share": "0.7000"},
        {"seller_id": 2, "share": "0.3000"},
    ]


def test_keyboard_clears_the_finance_list_and_ctrl_f_finds_the_search(
    admin: Harness, qtbot: Any
) -> None:
    w = admin.window
    w.show_tab("finance")
    f = w.pages["finance"]
    admin.wait(lambda: f.model.rowCount() > 3)
    n = f.model.rowCount()
    f.table.setFocus()
    qtbot.keyClick(f.table, Qt.Key.Key_A)
    admin.wait(lambda: f.model.rowCount() == n - 1)
    w.show_tab("claims")
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.pages["claims"].search.hasFocus()


def test_the_detail_pane_says_who_changed_the_open_claim(admin: Harness) -> None:
    admin.wait(lambda: admin.controller.detail is not None)
    admin.fake.overrides[350] = {"finance_status": "problem", "version": 2}
    admin.feed.event.emit(
        {
            "id": 500,
            "type": "refund.applied",
            "actor": {"id": 5, "name": "Elif Şahin"},
            "payload": {"claim_id": 350, "queue_id": 20350, "change": "refund"},
        }
    )
    pane = admin.window.pages["claims"].detail
    admin.wait(lambda: "Elif Şahin just changed this claim" in pane.banner.text())
    assert admin.controller.detail["finance_status"] == "problem"


def test_a_forbidden_tab_says_so_calmly(admin: Harness) -> None:
    admin.fake.fail[("GET", "/api/admin/audit")] = (
        403,
        {"error": {"code": "forbidden", "message": "No."}},
    )
    admin.window.show_tab("audit")
    audit = admin.window.pages["audit"]
    admin.wait(lambda: "role may not" in audit.status.text())  # in the tab, not a popup
    assert audit.model.rowCount() == 0
    assert "role may not" not in admin.window.message.text()


def test_editing_a_goal_sends_only_what_changed_with_its_version(admin: Harness) -> None:
    w = admin.window
    w.show_tab("goals")
    g = w.pages["goals"]
    admin.wait(lambda: g.model.rowCount() == 3)
    goal = g.current()
    assert goal is not None and goal["title"] == "June revenue"
    admin.asker.forms = [
        {
            "title": "June revenue push",
            "scope": "team",
            "seller_id": None,
            "period": "month",
            "target_type": "revenue",
            "target": goal["target"],
        }
    ]
    admin.run(admin.controller.on_action("goals", "edit"))
    assert admin.calls("PATCH", f"/api/admin/goals/{goal['id']}")[-1][3] == {
        "title": "June revenue push",
        "version": 1,
    }
    admin.wait(lambda: (g.model.list.get(goal["id"]) or {}).get("title") == "June revenue push")


def test_a_slow_answer_shows_the_spinner_and_never_blocks(admin: Harness) -> None:
    admin.fake.latency = 0.6
    admin.controller.refresh()
    admin.wait(lambda: "Loading" in admin.window.spinner.text())
    admin.fake.latency = 0.0
    admin.wait(lambda: admin.window.spinner.text() == "")


def test_queue_exclude_and_manual_entry(admin: Harness) -> None:
    w = admin.window
    w.show_tab("queue")
    q = w.pages["queue"]
    admin.wait(lambda: q.model.rowCount() == 24)
    first = q.model.list.rows[0]
    admin.asker.forms = [{"reason": "duplicate of #5002"}]
    admin.run(admin.controller.on_action("queue", "exclude"))
    _title, text = admin.asker.shown[-1]
    assert "can no longer be claimed" in text and "duplicate of #5002" in text
    assert q.model.list.get(first["id"]) is None
    admin.asker.forms = [
        {
            "customer_email": "new@mail.example",
            "customer_name": "New Customer",
            "campaign_id": 11,
            "amount": "120.00",
            "currency": "USD",
            "note": "",
        }
    ]
    admin.run(admin.controller.on_action("queue", "manual"))
    assert admin.calls("POST", "/api/queue/manual")[-1][3]["amount"] == "120.00"
    assert q.model.list.rows[0]["customer"]["name"] == "New Customer"


def test_installment_actions_send_what_the_contract_says(admin: Harness) -> None:
    w = admin.window
    w.show_tab("installments")
    page = w.pages["installments"]
    admin.wait(lambda: page.model.rowCount() == 8)
    assert page.tiles["overdue_amount_usd"].text() == "$540.00"
    plan = page.current()
    assert plan is not None and plan["id"] == 1 and page.payments.rowCount() == 6
    admin.run(admin.controller.on_action("installments", "confirmed"))
    path = "/api/admin/installments/1/payments/102"  # the first unconfirmed payment
    assert admin.calls("POST", path)[-1][3] == {"status": "confirmed", "version": 1}
    admin.run(admin.controller.on_action("installments", "freeze"))
    assert admin.calls("PATCH", "/api/admin/installments/1")[-1][3] == {
        "status": "frozen",
        "version": 2,
    }
    assert page.model.list.get(1)["status"] == "frozen"
    admin.asker.forms = [
        {"queue_id": 5010, "payments": "2025-07-01 250\n2025-08-01 250.50", "tolerance_days": 5}
    ]
    admin.run(admin.controller.on_action("installments", "create"))
    assert admin.calls("POST", "/api/admin/installments")[-1][3] == {
        "queue_id": 5010,
        "payments": [
            {"due_on": "2025-07-01", "amount": "250.00"},
            {"due_on": "2025-08-01", "amount": "250.50"},
        ],
        "tolerance_days": 5,
    }
    admin.asker.forms = [{"queue_id": 5010, "payments": "July 250", "tolerance_days": 5}]
    before = len(admin.calls("POST", "/api/admin/installments"))
    admin.run(admin.controller.on_action("installments", "create"))
    assert len(admin.calls("POST", "/api/admin/installments")) == before
    assert "Line 1" in w.message.text()


def test_objection_accept_with_reassign(admin: Harness) -> None:
    w = admin.window
    w.show_tab("objections")
    page = w.pages["objections"]
    admin.wait(lambda: page.model.rowCount() > 0)
    o = page.current()
    assert o is not None and o["status"] == "open"
    admin.asker.forms = [
        {"action": "reassign", "seller_id": 3, "note": "Zeynep spoke to them first"}
    ]
    admin.run(admin.controller.on_action("objections", "accept"))
    assert admin.calls("POST", f"/api/admin/objections/{o['id']}")[-1][3] == {
        "decision": "accept",
        "note": "Zeynep spoke to them first",
        "action": "reassign",
        "seller_id": 3,
        "version": 1,
    }
    assert "moves with its win" in admin.asker.shown[-1][1]
    assert page.model.list.get(o["id"])["status"] == "accepted"
    admin.asker.forms = [{"action": "", "seller_id": None, "note": "again"}]
    admin.run(admin.controller.on_action("objections", "accept"))  # the same one again
    assert "already resolved" in w.message.text()


def test_pairing_a_tv_with_a_wrong_code_says_why(loop: Any, qtbot: Any) -> None:
    h = make_admin(loop, qtbot, "admin@example.com")
    h.wait(lambda: h.window.pages["claims"].model.rowCount() > 0)
    h.window.show_tab("devices")
    d = h.window.pages["devices"]
    h.wait(lambda: d.model.rowCount() == 2)
    h.asker.forms = [{"code": "aaaa-bbbb", "name": "Lobby"}]
    h.run(h.controller.on_action("devices", "pair"))
    assert h.calls("POST", "/api/admin/devices/pair")[-1][3] == {
        "code": "AAAA-BBBB",
        "name": "Lobby",
    }
    assert "No TV shows that code" in h.window.message.text()
    h.asker.forms = [{"code": "K7PQ-4XZD", "name": "Lobby"}]
    h.run(h.controller.on_action("devices", "pair"))
    h.wait(lambda: d.model.rowCount() == 3)
    loop.run_until_complete(h.controller.close())


def test_a_sales_lead_may_hide_a_seller_from_the_tv_only(loop: Any, qtbot: Any) -> None:
    h = make_admin(loop, qtbot, "lead@example.com")
    h.wait(lambda: h.window.pages["claims"].model.rowCount() > 0)
    h.window.show_tab("sellers")
    s = h.window.pages["sellers"]
    h.wait(lambda: s.model.rowCount() == 8)
    enabled = {b.objectName(): b.isEnabled() for b in s.write_buttons}
    assert enabled == {"sellers-active": False, "sellers-role": False, "sellers-hide": True}
    h.run(h.controller.on_action("sellers", "hide"))
    assert h.calls("PATCH", "/api/admin/sellers/1")[-1][3] == {"hidden_from_tv": True, "version": 1}
    loop.run_until_complete(h.controller.close())


def test_a_hint_reloads_the_open_tab_and_keeps_the_row(admin: Harness) -> None:
    w = admin.window
    w.show_tab("goals")
    g = w.pages["goals"]
    admin.wait(lambda: g.model.rowCount() == 3)
    g.select_row(2)
    picked = g.current()["id"]
    before = len(admin.calls("GET", "/api/admin/goals"))
    admin.feed.event.emit({"id": 900, "type": "goals.changed", "payload": {}})
    admin.wait(lambda: len(admin.calls("GET", "/api/admin/goals")) == before + 1)
    admin.wait(lambda: g.model.rowCount() == 3 and g.current() is not None)
    assert g.current()["id"] == picked


SMOKE = [
    ("claims", "reassign", [{"seller_id": 2}]),
    ("queue", "status", [{"finance_status": "problem", "note": "card declined"}]),
    ("queue", "edit", [{"customer_name": "Ann Other", "note": "called"}]),
    ("finance", "problem", [{"note": "no payment yet"}]),
    ("finance", "open", []),
    ("installments", "submitted", []),
    ("installments", "tolerance", [{"days": 7, "reason": "bank holiday"}]),
    ("installments", "cancel", []),
    ("installments", "reactivate", []),
    ("objections", "reject", [{"note": "not a duplicate"}]),
    ("objections", "claim", []),
    ("sellers", "active", []),
    ("sellers", "role", [{"role": "sales_lead"}]),
    (
        "goals",
        "create",
        [
            {
                "title": "Friday wins",
                "scope": "team",
                "seller_id": None,
                "period": "day",
                "target_type": "count",
                "target": "12",
            }
        ],
    ),
    ("goals", "end", []),
    (
        "challenges",
        "create",
        [
            {
                "title": "Sprint",
                "description": "",
                "metric": "count",
                "claim_type": None,
                "target": "5",
                "reward_points": 100,
                "starts_at": "2025-06-18T09:00:00+03:00",
                "ends_at": "2025-06-20T18:00:00+03:00",
                "visible": False,
            }
        ],
    ),
    (
        "promotions",
        "edit",
        [
            {
                "variant": "info",
                "title": "Lunch at 13:00",
                "body": "",
                "starts_at": "2025-06-18T11:00:00+03:00",
                "ends_at": "2025-06-18T13:00:00+03:00",
            }
        ],
    ),
    ("overview", "close", []),
    ("devices", "revoke", []),
]


@pytest.mark.parametrize(("tab", "action", "forms"), SMOKE, ids=[f"{t}-{a}" for t, a, _ in SMOKE])
def test_every_action_runs_to_an_answer(
    loop: Any, qtbot: Any, tab: str, action: str, forms: list[dict[str, Any]]
) -> None:
    h = make_admin(loop, qtbot, "admin@example.com")
    h.wait(lambda: h.window.pages["claims"].model.rowCount() > 0)
    h.window.show_tab(tab)
    page = h.window.pages[tab]
    if tab == "overview":
        h.wait(lambda: page.model.rowCount() == 6)
    else:
        h.wait(lambda: page.model.rowCount() > 0 and page.current() is not None)
    writes = sum(1 for c in h.fake.calls if c[0] != "GET")
    h.asker.forms = list(forms)
    h.run(h.controller.on_action(tab, action))
    h.wait(lambda: not h.controller.tasks or all(t.done() for t in h.controller.tasks))
    text = h.window.message.text()
    assert "went wrong" not in text
    if action not in ("open", "claim"):
        assert sum(1 for c in h.fake.calls if c[0] != "GET") == writes + 1, text
    loop.run_until_complete(h.controller.close())


def test_sellers_chart_and_the_monthly_overview_draw_their_series(admin: Harness) -> None:
    w = admin.window
    w.show_tab("sellers")
    s = w.pages["sellers"]
    admin.wait(lambda: len(s.chart.values) == 30)
    assert s.who.text() == "Ayşe Yılmaz"
    w.show_tab("overview")
    o = w.pages["overview"]
    admin.wait(lambda: o.model.rowCount() == 6 and len(o.top_chart.values) == 8)
    assert o.model.list.rows[0] == {
        "id": 0,
        "metric": "Wins",
        "this": "214",
        "previous": "198",
        "change": "+8.1 %",
    }
    assert len(o.revenue_chart.values) == 18


def test_a_column_the_server_cannot_sort_says_so_and_keeps_the_arrow(admin: Harness) -> None:
    page = admin.window.pages["claims"]
    before = len(admin.calls("GET", "/api/admin/claims"))
    page.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # Customer
    assert "sorts once every row is loaded" in page.status.text()
    assert page.table.horizontalHeader().sortIndicatorSection() == 1  # still Claimed
    assert len(admin.calls("GET", "/api/admin/claims")) == before


def test_after_a_server_sort_a_refused_column_puts_the_arrow_back_there(admin: Harness) -> None:
    page = admin.window.pages["claims"]
    page.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # Revenue: the server sorts
    admin.wait(lambda: admin.calls("GET", "/api/admin/claims")[-1][2].get("sort") == "-revenue_usd")
    admin.wait(lambda: page.model.rowCount() > 0 and page.model.list.next_cursor is not None)
    page.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    header = page.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        4,
        Qt.SortOrder.DescendingOrder,
    )
