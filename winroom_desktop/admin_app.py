"""``winroom admin``: the admin window with finance tabs over CONTRACT §4a.

``AdminController`` wires window ↔ ``AdminApi`` ↔ live feed in one place: a tab loads when
first shown (a page at a time, more as the table scrolls), live events update open tables
and the detail pane in place (a burst coalesced into one reload per claim and tab), every
request runs on the qasync loop (the Qt thread never waits), errors are one sentence in the
window and 409 ``stale`` reloads the row and says so."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer

from winroom_desktop.app import AppContext, run_app
from winroom_desktop.net.admin_api import AdminApi
from winroom_desktop.net.api import ApiClient, ApiError, ServerUnreachable, login_failure_text
from winroom_desktop.seller_credentials import CredentialStore
from winroom_desktop.state.admin import actions as act
from winroom_desktop.state.admin.claims import detail_sections
from winroom_desktop.state.admin.export import rows_csv
from winroom_desktop.state.admin.live import Pending, actor_name, route
from winroom_desktop.state.admin.paged import parse_page
from winroom_desktop.state.admin.rows import (
    challenge_row,
    daily_series,
    goal_row,
    objection_row,
    overview_rows,
    plan_row,
    top_performers,
)
from winroom_desktop.state.admin.specs import (
    ADJUSTMENT_REASONS,
    CLAIM_TYPES,
    FINANCE_STATUSES,
    ROLES,
    TAB_NAMES,
    local_minute,
    spec,
)
from winroom_desktop.state.admin.worklist import WorkList
from winroom_desktop.state.format import money_card
from winroom_desktop.views.admin.dialogs import DialogAsker, Field, FormSpec
from winroom_desktop.views.admin.window import AdminWindow
from winroom_desktop.views.seller.login_dialog import LoginDialog

log = logging.getLogger(__name__)
T = TypeVar("T")
FLUSH_MS = 150  # live events gathered this long become one reload per claim / tab
DETAIL_MS = 120  # arrowing through rows loads the detail of the row you stop on
RELOAD_PARALLEL = 4
ROW_FIX = {
    "installments": plan_row,
    "challenges": challenge_row,
    "objections": objection_row,
}


def _choices(values: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(v.replace("_", " "), v) for v in values]


class AdminController(QObject):
    def __init__(
        self,
        window: AdminWindow,
        api: AdminApi,
        feed: Any = None,
        creds: CredentialStore | None = None,
        asker: Any = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.api = api
        self.feed = feed
        self.creds = creds
        self.asker = asker or DialogAsker(window)
        self.server = api.server
        self.me: dict[str, Any] = {}
        self.login: LoginDialog | None = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.loaded: set[str] = set()
        self.dirty: set[str] = set()
        self.pending = Pending()
        self.worklist = WorkList()
        self.sellers: list[dict[str, Any]] = []
        self.detail: dict[str, Any] | None = None
        self.last_event_id: int | None = None
        self.online = True
        self.new_claims = 0
        self.work_more = False
        self._settled = False
        self._keep: dict[str, Any] = {}
        self._first_load_done = False
        self._live_once = False
        self.first_rows_at: float | None = None
        self._reload_gate = asyncio.Semaphore(RELOAD_PARALLEL)
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(FLUSH_MS)
        self._flush.timeout.connect(self.flush)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(DETAIL_MS)
        self._detail_timer.timeout.connect(self._load_current_detail)
        self._connect_signals()

    # -- wiring (one place) --------------------------------------------------------------
    def _connect_signals(self) -> None:
        w = self.window
        p = w.pages
        w.refresh_requested.connect(self.refresh)
        w.logout_requested.connect(self.logout)
        w.tab_shown.connect(self.on_tab_shown)
        for name, page in p.items():
            page.model.more_wanted.connect(lambda n=name: self.spawn(self.fetch_more(n)))
            page.export_wanted.connect(lambda n=name: self.spawn(self.export(n)))
            page.action.connect(lambda a, n=name: self.spawn(self.on_action(n, a)))
            if hasattr(page, "query_changed"):
                page.query_changed.connect(lambda _q, n=name: self.spawn(self.load(n)))
        p["claims"].filters_changed.connect(lambda _f: self.spawn(self.load("claims")))  # type: ignore[attr-defined]
        p["claims"].current_changed.connect(lambda _r: self._detail_timer.start())
        p["finance"].current_changed.connect(self._show_work_detail)
        p["installments"].current_changed.connect(self._show_plan)
        p["objections"].current_changed.connect(self._show_objection)
        p["audit"].current_changed.connect(self._show_audit)
        p["sellers"].current_changed.connect(lambda r: r and self.spawn(self.load_performance(r)))
        p["overview"].month_changed.connect(lambda _m: self.spawn(self.load("overview")))  # type: ignore[attr-defined]
        if self.feed is not None:
            self.feed.event.connect(self.on_event)
            self.feed.connection_changed.connect(self.on_connection)
            self.feed.snapshot_loaded.connect(self.on_snapshot)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("admin task failed", exc_info=task.exception())
            self.window.say(
                "Something went wrong in the window; the log has the details.", warn=True
            )

    async def call(
        self,
        coro: Awaitable[T],
        what: str = "",
        on_stale: Callable[[], Awaitable[Any]] | None = None,
        where: Any = None,
    ) -> T | None:
        """Await a request with the spinner; an error becomes one sentence (``None``):
        in the window's message line, or for a tab's load (``where``) a 403/501 in the tab's
        own status line, so a server without an endpoint yet is a calm note there."""
        self.window.busy(+1)
        try:
            return await coro
        except ApiError as exc:
            text = act.error_sentence(exc.status, exc.code, exc.message, what)
            if exc.status == 401:
                self.ask_login("Your session has expired — log in again.")
            elif exc.status == 409 and exc.code == "stale" and on_stale is not None:
                await on_stale()
            if where is not None and exc.status in (403, 404, 501):
                where.say(text[0].upper() + text[1:])
            else:
                self.window.say(text, warn=True)
        except ServerUnreachable:
            self.window.say(
                f"{what + ': ' if what else ''}can't reach {self.server} — showing the last data.",
                warn=True,
            )
        finally:
            self.window.busy(-1)
        return None

    # -- session ---------------------------------------------------------------------
    def start(self, user: dict[str, Any] | None = None) -> None:
        if user:
            self.set_me(user)
        if self.feed is not None:
            self.feed.start()
        self.spawn(self._after_login())

    def set_me(self, user: dict[str, Any]) -> None:
        self.me = dict(user)
        self.window.set_user(user)

    async def _after_login(self) -> None:
        me = await self.call(self.api.api.me())
        if me:
            self.set_me(me)
        if self.me.get("role") == "sales":
            self.window.say(
                "This window is for sales leads, finance and admins; your role sees nothing here.",
                warn=True,
            )
            return
        self.spawn(self.load_sellers())
        name = self.window.current_name()
        if name:
            await self.load(name)
        self._first_load_done = True
        self._maybe_settle()

    def _maybe_settle(self) -> None:
        """Once the first tab is loaded and the feed is live, the modules imported late
        (socket.io, HTTP) join what ``settle_heap`` keeps out of full collections."""
        if not self._settled and self._first_load_done and self._live_once:
            self._settled = True
            settle_heap()

    def refresh(self) -> None:
        name = self.window.current_name()
        self.dirty |= self.loaded
        if name:
            self.spawn(self.load(name))

    def on_tab_shown(self, name: str) -> None:
        if self.me and (name not in self.loaded or name in self.dirty):
            self.spawn(self.load(name))

    # -- loading ---------------------------------------------------------------------
    def params_of(self, name: str) -> dict[str, Any]:
        page = self.window.pages[name]
        if name == "claims":
            return page.filters.params()  # type: ignore[attr-defined]
        if name == "overview":
            return {"month": page.month_key()}  # type: ignore[attr-defined]
        return dict(getattr(page, "query", {}) or {})

    async def load(self, name: str) -> None:
        self.loaded.add(name)
        self.dirty.discard(name)
        if name == "finance":
            await self.load_finance()
            return
        if name == "overview":
            await self.load_overview()
            return
        page = self.window.pages[name]
        cur = page.current()
        self._keep[name] = cur.get("id") if cur else None  # reselected when the page lands
        page.model.reset()
        page.update_status()
        if name == "claims":
            self.new_claims = 0
        await self.fetch_more(name)

    async def fetch_more(self, name: str) -> None:
        page = self.window.pages[name]
        t = page.spec
        lst = page.model.list
        ticket = lst.begin_fetch()
        if ticket is None:
            return
        gen, cursor = ticket
        body = await self.call(
            self.api.page(t.endpoint, self.params_of(name), cursor), t.title, where=page
        )
        if body is None:
            lst.fetch_failed(gen)
            if not page.status.text().startswith(t.title):  # a 403/501 note stays
                page.say(f"{t.title} could not be loaded — F5 tries again.")
            return
        pg = parse_page(body, t.items_key)
        fix = ROW_FIX.get(name)
        if fix is not None:
            pg.rows = [fix(r) for r in pg.rows]
        elif name == "goals":
            names = dict(self.seller_names(False))
            pg.rows = [goal_row(r, names) for r in pg.rows]
        if name == "objections" and not page.query.get("status"):  # type: ignore[attr-defined]
            pg.rows.sort(key=lambda o: o.get("status") != "open")
        page.model.add_page(gen, pg)
        page.update_status()
        if name == "installments" and isinstance(body, dict):
            for key, label in page.tiles.items():  # type: ignore[attr-defined]
                v = (body.get("summary") or {}).get(key)
                label.setText(
                    money_card(v) if key.endswith("_usd") else str(v if v is not None else "—")
                )
        if name == "claims" and self.first_rows_at is None and pg.rows:
            self.first_rows_at = asyncio.get_event_loop().time()
        if page.model.rowCount() and not page.table.currentIndex().isValid():
            keep = lst.row_of(self._keep.pop(name, None))
            page.select_row(keep if keep is not None else 0)
            if self.window.focusWidget() in (None, self.window.refresh_button):
                page.table.setFocus()

    async def load_sellers(self) -> None:
        body = await self.call(self.api.page("/api/admin/sellers", {}, None, 500), where=_Quiet())
        if body is None:  # not served yet: the names from the team overview
            body = await self.call(
                self.api.get("/api/team/overview", {"period": "month"}), where=_Quiet()
            )
            if body is None:
                return
        self.sellers = [
            {**r, "id": r.get("id", r.get("seller_id"))} for r in parse_page(body, "sellers").rows
        ]
        pairs = [
            (int(s["id"]), str(s.get("name"))) for s in self.sellers if s.get("id") is not None
        ]
        self.window.pages["claims"].set_sellers(pairs)  # type: ignore[attr-defined]
        audit = self.window.pages["audit"]
        actor = audit._controls.get("actor_id")  # type: ignore[attr-defined]
        if actor is not None and actor.count() <= 1:
            actor.blockSignals(True)
            for sid, nm in pairs:
                actor.addItem(nm, sid)
            actor.blockSignals(False)

    def seller_names(self, active_only: bool = True) -> list[tuple[int, str]]:
        return [
            (int(s["id"]), str(s.get("name")))
            for s in self.sellers
            if s.get("id") is not None and (s.get("is_active", True) or not active_only)
        ]

    async def load_finance(self) -> None:
        page = self.window.pages["finance"]
        page.say("Loading the day's work…")
        api = self.api
        results = await asyncio.gather(
            self.call(
                api.page(
                    "/api/admin/queue",
                    {"status": "pending", "finance_status": "problem"},
                    None,
                    500,
                )
            ),
            self.call(
                api.page(
                    "/api/admin/queue",
                    {"status": "pending", "finance_status": "waiting"},
                    None,
                    500,
                )
            ),
            self.call(
                api.page(
                    "/api/admin/claims",
                    {"finance_status": "problem", "sort": "claimed_at"},
                    None,
                    500,
                )
            ),
            self.call(
                api.page(
                    "/api/admin/claims",
                    {"finance_status": "waiting", "sort": "claimed_at"},
                    None,
                    500,
                )
            ),
            self.call(api.page("/api/admin/installments", {"status": "overdue"}, None, 500)),
        )
        queue = parse_page(results[0], "items").rows + parse_page(results[1], "items").rows
        claims = parse_page(results[2], "claims").rows + parse_page(results[3], "claims").rows
        plans = parse_page(results[4], "plans").rows
        self.worklist.load(queue, claims, plans)
        self.work_more = any(
            isinstance(r, dict) and r.get("next_cursor") for r in results if r is not None
        )
        cur = page.current()
        at = page.table.currentIndex().row()
        page.model.set_rows(self.worklist.items)
        page.summary.setText(self.worklist.summary(self.work_more))  # type: ignore[attr-defined]
        page.update_status()
        if self.worklist.items:  # stay where finance was in the list
            keep = page.model.list.row_of(cur.get("id")) if cur else None
            page.select_row(
                keep if keep is not None else min(max(at, 0), page.model.rowCount() - 1)
            )
            if self.window.focusWidget() in (None, self.window.refresh_button):
                page.table.setFocus()

    async def load_overview(self) -> None:
        page = self.window.pages["overview"]
        month = page.month_key()  # type: ignore[attr-defined]
        body = await self.call(self.api.overview(month), "Monthly overview")
        if not isinstance(body, dict):
            return
        rows = overview_rows(body)
        page.model.set_rows([dict(r, id=n) for n, r in enumerate(rows)])
        days, rev = daily_series(body, "revenue_usd")
        _, mar = daily_series(body, "margin_amount_usd")
        page.revenue_chart.set_data(days, rev, [_k(v) for v in rev])  # type: ignore[attr-defined]
        page.margin_chart.set_data(days, mar, [_k(v) for v in mar])  # type: ignore[attr-defined]
        top = top_performers(body)
        page.top_chart.set_data([t[0] for t in top], [t[1] for t in top], [t[2] for t in top])  # type: ignore[attr-defined]
        periods = await self.call(self.api.page("/api/admin/periods", {}, None, 100))
        closed = any(
            p.get("month") == month and p.get("closed") for p in parse_page(periods, "periods").rows
        )
        page.closed.setText("· closed: the statement is frozen" if closed else "· open")  # type: ignore[attr-defined]
        page.say(f"{datetime.strptime(month, '%Y-%m').strftime('%B %Y')} against the month before.")

    async def load_performance(self, seller: dict[str, Any]) -> None:
        page = self.window.pages["sellers"]
        body = await self.call(self.api.performance(seller.get("id"), "month"), "Performance")
        if not isinstance(body, dict):
            return
        page.who.setText(str(seller.get("name") or ""))  # type: ignore[attr-defined]
        days, rev = daily_series(body, "revenue_usd")
        _, wins = daily_series(body, "wins")
        page.chart.set_data(days, rev, [_k(v) for v in rev])  # type: ignore[attr-defined]
        page.wins_chart.set_data(days, wins, [str(int(v)) if v else "" for v in wins])  # type: ignore[attr-defined]
        m = body.get("metrics") or {}
        bits = []
        for key, v in m.items():
            if isinstance(v, dict):
                ch = v.get("change_percent")
                bits.append(
                    f"{key.replace('_', ' ')} {v.get('value')}"
                    + (f" ({ch}% vs before)" if ch is not None else "")
                )
        page.metrics.setText(" · ".join(bits))  # type: ignore[attr-defined]

    # -- detail panes ------------------------------------------------------------------
    def _load_current_detail(self) -> None:
        row = self.window.pages["claims"].current()
        if row is not None:
            self.spawn(self.load_detail(row.get("id")))

    async def load_detail(self, claim_id: Any, banner: str = "") -> None:
        claim = await self.call(self.api.claim(claim_id), f"Claim #{claim_id}")
        if claim is None:
            return
        pane = self.window.pages["claims"].detail  # type: ignore[attr-defined]
        cur = self.window.pages["claims"].current()
        if cur is not None and cur.get("id") != claim_id and not banner:
            return  # the user moved on meanwhile
        self.detail = claim
        pane.set_sections(detail_sections(claim))
        pane.set_banner(banner)

    def _show_work_detail(self, row: dict[str, Any] | None) -> None:
        pane = self.window.pages["finance"].detail  # type: ignore[attr-defined]
        if not row:
            pane.set_sections([])
            return
        obj = row.get("obj") or {}
        if row.get("kind") == "claim":
            pane.set_sections(detail_sections(obj))
        else:
            pane.set_sections(
                [
                    (
                        f"{row.get('kind')} {row.get('ref')}",
                        [
                            ("Customer", str((obj.get("customer") or {}).get("name") or "")),
                            ("Campaign", str((obj.get("campaign") or {}).get("name") or "")),
                            ("Revenue", money_card(obj.get("revenue_usd"))),
                            ("Status", str(row.get("status"))),
                            ("Why", str(row.get("detail") or "")),
                        ],
                    )
                ]
            )

    def _show_plan(self, row: dict[str, Any] | None) -> None:
        page = self.window.pages["installments"]
        if not row:
            return
        page.plan_title.setText(
            f"Plan #{row.get('id')} · {row.get('status')} · tolerance {row.get('tolerance_days', 0)} days"
        )  # type: ignore[attr-defined]
        pays = [dict(p) for p in row.get("payments") or []]
        page.payments.set_rows(pays)  # type: ignore[attr-defined]

    def _show_objection(self, row: dict[str, Any] | None) -> None:
        pane = self.window.pages["objections"].detail  # type: ignore[attr-defined]
        if not row:
            pane.set_sections([])
            return
        pane.set_sections(
            [
                (
                    f"Objection #{row.get('id')}",
                    [
                        ("Status", str(row.get("status"))),
                        ("Claim", f"#{row.get('claim_id')}"),
                        ("Raised by", str(row.get("raised_by_label") or "")),
                        ("Reason", str(row.get("reason") or "")),
                        ("Details", str(row.get("details") or "")),
                        ("Decision note", str(row.get("resolution_label") or "")),
                    ],
                )
            ]
        )

    def _show_audit(self, row: dict[str, Any] | None) -> None:
        pane = self.window.pages["audit"].detail  # type: ignore[attr-defined]
        if not row:
            pane.set_sections([])
            return

        def lines(d: Any) -> list[tuple[str, str]]:
            return (
                [(str(k), str(v)) for k, v in d.items()]
                if isinstance(d, dict)
                else [("", str(d or "—"))]
            )

        pane.set_sections(
            [
                (
                    f"{row.get('action')} · {row.get('entity')} #{row.get('entity_id')}",
                    [
                        ("When", str(row.get("at") or "")[:19].replace("T", " ")),
                        ("Who", str((row.get("actor") or {}).get("name") or "")),
                        ("Reason", str(row.get("reason") or "—")),
                    ],
                ),
                ("Before", lines(row.get("before"))),
                ("After", lines(row.get("after"))),
            ]
        )

    # -- actions ---------------------------------------------------------------------
    async def on_action(self, tab: str, name: str) -> None:
        if not self.online and name not in ("open", "claim", "statement"):
            self.window.say("Offline: changes are off until the server is back.", warn=True)
            return
        handler = getattr(self, f"do_{tab}_{name}", None)
        if handler is None:
            log.info("no handler for %s/%s", tab, name)
            return
        await handler()

    def _current(self, tab: str, what: str = "row") -> dict[str, Any] | None:
        row = self.window.pages[tab].current()
        if row is None:
            self.window.say(f"Pick a {what} first.", warn=True)
        return row

    def _current_claim(self) -> dict[str, Any] | None:
        row = self._current("claims", "claim")
        if row is None:
            return None
        if self.detail is not None and self.detail.get("id") == row.get("id"):
            return {**row, **self.detail}
        return row

    async def _claim_stale(self, claim_id: Any) -> None:
        fresh = await self.call(self.api.claim(claim_id))
        if fresh:
            self.apply_claim(fresh)

    def apply_claim(self, claim: dict[str, Any], changed_by: str | None = None) -> None:
        page = self.window.pages["claims"]
        page.model.replace(claim, changed_by)
        if self.detail is not None and self.detail.get("id") == claim.get("id"):
            self.spawn(
                self.load_detail(
                    claim.get("id"),
                    f"{changed_by} just changed this claim — showing the latest."
                    if changed_by
                    else "",
                )
            )

    async def _claim_write(
        self, claim: dict[str, Any], coro: Awaitable[Any], what: str, done: str
    ) -> None:
        body = await self.call(coro, what, on_stale=lambda: self._claim_stale(claim.get("id")))
        if isinstance(body, dict) and isinstance(body.get("claim"), dict):
            self.apply_claim(body["claim"])
            self.window.say(done)

    async def do_claims_status(self) -> None:
        c = self._current_claim()
        if c is None:
            return
        vals = await self.asker.form(
            FormSpec(
                f"Finance status of claim #{c.get('id')}",
                [
                    Field(
                        "finance_status",
                        "Finance status",
                        "choice",
                        _choices(FINANCE_STATUSES),
                        c.get("finance_status"),
                    ),
                    Field("note", "Note", "multiline", required=False),
                ],
                ok="Next",
            )
        )
        if not vals or not await self.asker.confirm(
            "Change finance status",
            act.confirm_finance_status(c, vals["finance_status"]),
            "Change status",
        ):
            return
        await self._claim_write(
            c,
            self.api.set_claim_status(
                c["id"], vals["finance_status"], vals.get("note", ""), c.get("version")
            ),
            "Finance status",
            f"Claim #{c['id']} is {vals['finance_status']} now.",
        )

    async def do_claims_adjust(self) -> None:
        c = self._current_claim()
        if c is None:
            return
        vals = await self.asker.form(
            FormSpec(
                f"Adjust claim #{c.get('id')}",
                [
                    Field("reason", "Reason", "choice", _choices(ADJUSTMENT_REASONS)),
                    Field("amount", "Amount (USD)", hint="125.00", check=act.parse_amount),
                    Field("note", "Note", "multiline", required=False),
                ],
                ok="Next",
            )
        )
        if not vals or not await self.asker.confirm(
            "Adjust the margin", act.confirm_adjustment(c, vals["reason"], vals["amount"]), "Adjust"
        ):
            return
        await self._claim_write(
            c,
            self.api.adjust(c["id"], vals["reason"], vals["amount"], vals.get("note", "")),
            "Adjustment",
            f"Claim #{c['id']} adjusted by {money_card(vals['amount'])}.",
        )

    async def do_claims_split(self) -> None:
        c = self._current_claim()
        if c is None:
            return
        split = await self.asker.shares(c, self.seller_names())
        if split is None or split.problem():
            return
        names = dict(self.seller_names(False))
        if not await self.asker.confirm(
            "Split the claim", act.confirm_shares(c, split, names), "Split"
        ):
            return
        await self._claim_write(
            c,
            self.api.split(c["id"], split.payload()),
            "Share split",
            f"Claim #{c['id']} is split now.",
        )

    async def do_claims_reassign(self) -> None:
        c = self._current_claim()
        if c is None:
            return
        owner = (c.get("seller") or {}).get("id")
        choices = [(n, sid) for sid, n in self.seller_names() if sid != owner]
        vals = await self.asker.form(
            FormSpec(
                f"Reassign claim #{c.get('id')}",
                [Field("seller_id", "New seller", "choice", choices)],
                ok="Next",
            )
        )
        if not vals:
            return
        new_name = dict(self.seller_names(False)).get(vals["seller_id"], "?")
        if not await self.asker.confirm(
            "Reassign the claim", act.confirm_reassign(c, new_name), "Reassign"
        ):
            return
        await self._claim_write(
            c,
            self.api.reassign(c["id"], int(vals["seller_id"])),
            "Reassign",
            f"Claim #{c['id']} belongs to {new_name} now.",
        )

    async def do_claims_refund(self) -> None:
        c = self._current_claim()
        if c is None:
            return
        if c.get("refunded"):
            self.window.say(f"Claim #{c.get('id')} is already refunded.", warn=True)
            return
        vals = await self.asker.form(
            FormSpec(
                f"Refund claim #{c.get('id')}",
                [
                    Field("reason", "Reason", hint="customer cancelled within 14 days"),
                    Field("note", "Note", "multiline", required=False),
                ],
                ok="Next",
            )
        )
        if not vals or not await self.asker.confirm(
            "Refund", act.confirm_refund(c, vals["reason"]), "Refund", danger=True
        ):
            return
        await self._claim_write(
            c,
            self.api.refund(c["id"], vals["reason"], vals.get("note", "")),
            "Refund",
            f"Claim #{c['id']} is refunded.",
        )

    # queue
    async def _item_write(
        self, coro: Awaitable[Any], what: str, done: str, item_id: Any = None
    ) -> dict[str, Any] | None:
        body = await self.call(coro, what, on_stale=lambda: self.load("queue"))
        if isinstance(body, dict) and isinstance(body.get("item"), dict):
            self.apply_item("queue.updated", body["item"], mine=True)
            self.window.say(done)
            return body["item"]
        return None

    async def do_queue_approve(self) -> None:
        rows = self.window.pages["queue"].selected()
        if not rows:
            self.window.say(
                "Select the items to approve first (Shift/Ctrl + arrows or click).", warn=True
            )
            return
        ids = [r["id"] for r in rows]
        if not await self.asker.confirm(
            "Approve", act.confirm_bulk_status(ids, "approved"), "Approve"
        ):
            return
        body = await self.call(self.api.bulk_status(ids, "approved"), "Approve")
        if isinstance(body, dict):
            for item in body.get("items") or []:
                self.apply_item("queue.updated", item, mine=True)
            self.window.say(f"{len(ids)} item{'s' if len(ids) != 1 else ''} approved.")

    async def do_queue_status(self) -> None:
        it = self._current("queue", "queue item")
        if it is None:
            return
        vals = await self.asker.form(
            FormSpec(
                f"Finance status of item #{it['id']}",
                [
                    Field(
                        "finance_status",
                        "Finance status",
                        "choice",
                        _choices(FINANCE_STATUSES),
                        it.get("finance_status"),
                    ),
                    Field(
                        "note",
                        "Note (say why for a problem)",
                        "multiline",
                        required=False,
                        default=it.get("note"),
                    ),
                ],
            )
        )
        if vals:
            changes = {
                "finance_status": vals["finance_status"],
                **({"note": vals["note"]} if vals.get("note") else {}),
            }
            await self._item_write(
                self.api.patch_item(it["id"], changes, it.get("version")),
                "Finance status",
                f"Item #{it['id']} is {vals['finance_status']} now.",
            )

    async def do_queue_edit(self) -> None:
        it = self._current("queue", "queue item")
        if it is None:
            return
        vals = await self.asker.form(
            FormSpec(
                f"Edit item #{it['id']}",
                [
                    Field(
                        "customer_name",
                        "Customer name",
                        default=(it.get("customer") or {}).get("name"),
                    ),
                    Field("note", "Note", "multiline", required=False, default=it.get("note")),
                ],
                ok="Save",
            )
        )
        if vals:
            await self._item_write(
                self.api.patch_item(it["id"], vals, it.get("version")),
                "Edit",
                f"Item #{it['id']} saved.",
            )

    async def do_queue_exclude(self) -> None:
        it = self._current("queue", "queue item")
        if it is None:
            return
        vals = await self.asker.form(
            FormSpec(
                f"Exclude item #{it['id']}",
                [Field("reason", "Reason", hint="duplicate of #1234")],
                ok="Next",
            )
        )
        if not vals or not await self.asker.confirm(
            "Exclude", act.confirm_exclude(it, vals["reason"]), "Exclude", danger=True
        ):
            return
        item = await self._item_write(
            self.api.exclude(it["id"], vals["reason"]), "Exclude", f"Item #{it['id']} is excluded."
        )
        if item is not None:
            self.apply_item("queue.excluded", item, mine=True)

    async def do_queue_manual(self) -> None:
        vals = await self.asker.form(
            FormSpec(
                "Manual queue entry",
                [
                    Field("customer_email", "Customer email"),
                    Field("customer_name", "Customer name"),
                    Field(
                        "campaign_id", "Campaign id", "int", choices=[(1, 10_000_000)], default=1
                    ),
                    Field("amount", "Amount", check=act.parse_amount),
                    Field(
                        "currency",
                        "Currency",
                        "choice",
                        [("USD", "USD"), ("EUR", "EUR"), ("TRY", "TRY")],
                    ),
                    Field("note", "Note", "multiline", required=False),
                ],
                ok="Add to queue",
                intro="A sale the core did not send: it joins every seller's queue and the TVs.",
            )
        )
        if not vals:
            return
        body = await self.call(self.api.manual_entry(vals), "Manual entry")
        if isinstance(body, dict) and isinstance(body.get("item"), dict):
            self.apply_item("queue.new", body["item"], mine=True)
            self.window.say(f"Item #{body['item'].get('id')} added to the queue.")

    # finance work list
    async def do_finance_approve(self) -> None:
        await self._work("approved")

    async def do_finance_problem(self) -> None:
        await self._work("problem")

    async def _work(self, status: str) -> None:
        page = self.window.pages["finance"]
        row = self._current("finance")
        if row is None:
            return
        if row["kind"] == "plan":
            await self.do_finance_open()
            return
        note = ""
        if status == "problem":
            vals = await self.asker.form(
                FormSpec(
                    f"Problem with {row['kind']} {row['ref']}", [Field("note", "What is wrong")]
                )
            )
            if not vals:
                return
            note = vals["note"]
        obj = row["obj"]
        if row["kind"] == "claim":
            body = await self.call(
                self.api.set_claim_status(obj["id"], status, note, obj.get("version")),
                "Finance",
                on_stale=lambda: self.load("finance"),
            )
        else:
            changes = {"finance_status": status, **({"note": note} if note else {})}
            body = await self.call(
                self.api.patch_item(obj["id"], changes, obj.get("version")),
                "Finance",
                on_stale=lambda: self.load("finance"),
            )
        if not isinstance(body, dict):
            return
        n = self.worklist.clear(row["id"])
        page.model.remove(row["id"])
        page.summary.setText(self.worklist.summary(self.work_more))  # type: ignore[attr-defined]
        if n is not None:
            page.select_row(min(n, page.model.rowCount() - 1))
        page.table.setFocus()
        if isinstance(body.get("claim"), dict):
            self.apply_claim(body["claim"])
        if isinstance(body.get("item"), dict):
            self.apply_item("queue.updated", body["item"], mine=True)
        self.window.say(f"{row['kind'].capitalize()} {row['ref']}: {status}.")

    async def do_finance_open(self) -> None:
        row = self._current("finance")
        if row is None:
            return
        kind = row["kind"]
        target = {"claim": "claims", "plan": "installments"}.get(kind, "queue")
        self.window.show_tab(target)
        if kind == "claim":
            self.detail = row["obj"]
            await self.load_detail(
                row["obj_id"], f"Opened from the finance list: claim {row['ref']}."
            )

    # installments
    async def _plan_write(self, coro: Awaitable[Any], what: str, done: str) -> None:
        body = await self.call(coro, what, on_stale=lambda: self.load("installments"))
        if isinstance(body, dict) and isinstance(body.get("plan"), dict):
            page = self.window.pages["installments"]
            fresh = plan_row(body["plan"])
            if not page.model.replace(fresh):
                page.model.insert_first(fresh)
            if (page.current() or {}).get("id") == fresh.get("id"):
                self._show_plan(page.model.list.get(fresh.get("id")))
            self.window.say(done)
            self.dirty.add("finance")

    async def _payment(self, status: str) -> None:
        plan = self._current("installments", "plan")
        if plan is None:
            return
        page = self.window.pages["installments"]
        pay = page.current_payment() or next(  # type: ignore[attr-defined]
            (p for p in plan.get("payments") or [] if p.get("status") != "confirmed"), None
        )
        if pay is None:
            self.window.say("Every payment of this plan is confirmed.")
            return
        text = f"Mark the {money_card(pay.get('amount'))} payment due {pay.get('due_on')} of plan #{plan['id']} as {status}."
        if status == "confirmed":
            text += " When every payment is confirmed the plan is completed."
        if await self.asker.confirm("Payment", text, f"Mark {status}"):
            await self._plan_write(
                self.api.mark_payment(plan["id"], pay["id"], status, plan.get("version")),
                "Payment",
                f"Payment marked {status}.",
            )

    async def do_installments_submitted(self) -> None:
        await self._payment("submitted")

    async def do_installments_confirmed(self) -> None:
        await self._payment("confirmed")

    async def do_installments_tolerance(self) -> None:
        plan = self._current("installments", "plan")
        if plan is None:
            return
        vals = await self.asker.form(
            FormSpec(
                f"Tolerance for plan #{plan['id']}",
                [
                    Field(
                        "days",
                        "Days of grace",
                        "int",
                        choices=[(1, 90)],
                        default=plan.get("tolerance_days") or 3,
                    ),
                    Field("reason", "Reason"),
                ],
                intro="A payment is overdue when it is not confirmed by the end of its due day plus these days.",
            )
        )
        if vals:
            await self._plan_write(
                self.api.tolerance(plan["id"], int(vals["days"]), vals["reason"]),
                "Tolerance",
                "Tolerance saved.",
            )

    async def _plan_status(self, status: str, verb: str) -> None:
        plan = self._current("installments", "plan")
        if plan is None:
            return
        if await self.asker.confirm(
            f"{verb} plan",
            f"{verb} plan #{plan['id']} (now {plan.get('status')}).",
            verb,
            danger=status == "cancelled",
        ):
            await self._plan_write(
                self.api.set_plan_status(plan["id"], status, plan.get("version")),
                verb,
                f"Plan #{plan['id']} is {status}.",
            )

    async def do_installments_freeze(self) -> None:
        await self._plan_status("frozen", "Freeze")

    async def do_installments_cancel(self) -> None:
        await self._plan_status("cancelled", "Cancel")

    async def do_installments_reactivate(self) -> None:
        await self._plan_status("active", "Reactivate")

    async def do_installments_create(self) -> None:
        vals = await self.asker.form(
            FormSpec(
                "New installment plan",
                [
                    Field(
                        "queue_id", "Queue item id", "int", choices=[(1, 2_000_000_000)], default=1
                    ),
                    Field("payments", "Payments, one a line: YYYY-MM-DD amount", "multiline"),
                    Field(
                        "tolerance_days", "Tolerance (days)", "int", choices=[(0, 90)], default=3
                    ),
                ],
                ok="Create",
            )
        )
        if not vals:
            return
        try:
            payments = parse_payments(vals["payments"])
        except act.InputError as exc:
            self.window.say(str(exc), warn=True)
            return
        await self._plan_write(
            self.api.create_plan(vals["queue_id"], payments, vals["tolerance_days"]),
            "New plan",
            "Plan created.",
        )

    # objections
    async def _resolve(self, body: dict[str, Any], what: str) -> None:
        o = self._current("objections", "objection")
        if o is None:
            return
        if o.get("version") is not None:
            body = {**body, "version": o["version"]}
        res = await self.call(
            self.api.resolve(o["id"], body), what, on_stale=lambda: self.load("objections")
        )
        if isinstance(res, dict) and isinstance(res.get("objection"), dict):
            page = self.window.pages["objections"]
            page.model.replace(objection_row(res["objection"]))
            if isinstance(res.get("claim"), dict):
                self.apply_claim(res["claim"])
            self.window.say(f"Objection #{o['id']} {res['objection'].get('status')}.")

    async def do_objections_accept(self) -> None:
        o = self._current("objections", "objection")
        if o is None:
            return
        vals = await self.asker.form(
            FormSpec(
                f"Accept objection #{o['id']}",
                [
                    Field(
                        "action",
                        "And then",
                        "choice",
                        [
                            ("only accept", ""),
                            ("reassign the claim", "reassign"),
                            ("exclude the item", "exclude"),
                            ("refund the claim", "refund"),
                        ],
                    ),
                    Field(
                        "seller_id",
                        "New seller (reassign)",
                        "choice",
                        [(n, s) for s, n in self.seller_names()],
                        required=False,
                    ),
                    Field("note", "Note"),
                ],
                ok="Next",
            )
        )
        if not vals:
            return
        body: dict[str, Any] = {"decision": "accept", "note": vals["note"]}
        if vals.get("action"):
            body["action"] = vals["action"]
            if vals["action"] == "reassign":
                body["seller_id"] = vals.get("seller_id")
        what = {
            "reassign": "the claim moves with its win, revenue, margin and points",
            "exclude": "the item leaves the queue everywhere",
            "refund": "the claim leaves every board and metric",
        }.get(vals.get("action") or "", "the boards do not change")
        if await self.asker.confirm(
            "Accept",
            f"Accept objection #{o['id']} on claim #{o.get('claim_id')}: {what}.",
            "Accept",
            danger=vals.get("action") == "refund",
        ):
            await self._resolve(body, "Accept")

    async def do_objections_reject(self) -> None:
        o = self._current("objections", "objection")
        if o is None:
            return
        vals = await self.asker.form(
            FormSpec(f"Reject objection #{o['id']}", [Field("note", "Why")], ok="Reject")
        )
        if vals:
            await self._resolve({"decision": "reject", "note": vals["note"]}, "Reject")

    async def do_objections_claim(self) -> None:
        o = self._current("objections", "objection")
        if o is not None and o.get("claim_id") is not None:
            self.window.show_tab("claims")
            await self.load_detail(o["claim_id"], f"Claim of objection #{o['id']}.")

    # sellers
    async def _seller_write(self, s: dict[str, Any], changes: dict[str, Any], done: str) -> None:
        body = await self.call(
            self.api.patch_seller(s["id"], changes, s.get("version")),
            "Seller",
            on_stale=lambda: self.load("sellers"),
        )
        if isinstance(body, dict) and isinstance(body.get("seller"), dict):
            self.window.pages["sellers"].model.replace(body["seller"])
            self.window.say(done)
            self.spawn(self.load_sellers())

    async def do_sellers_active(self) -> None:
        s = self._current("sellers", "seller")
        if s is None:
            return
        on = not s.get("is_active", True)
        text = (
            f"Activate {s['name']}: they can log in and claim again."
            if on
            else f"Deactivate {s['name']}: they can no longer log in or claim; their past wins stay on the boards."
        )
        if await self.asker.confirm(
            "Seller", text, "Activate" if on else "Deactivate", danger=not on
        ):
            await self._seller_write(
                s, {"is_active": on}, f"{s['name']} is {'active' if on else 'inactive'} now."
            )

    async def do_sellers_role(self) -> None:
        s = self._current("sellers", "seller")
        if s is None:
            return
        vals = await self.asker.form(
            FormSpec(
                f"Role of {s['name']}",
                [Field("role", "Role", "choice", _choices(ROLES), s.get("role"))],
                ok="Save",
            )
        )
        if vals and vals["role"] != s.get("role"):
            await self._seller_write(
                s, {"role": vals["role"]}, f"{s['name']} is {vals['role']} now."
            )

    async def do_sellers_hide(self) -> None:
        s = self._current("sellers", "seller")
        if s is None:
            return
        hide = not s.get("hidden_from_tv")
        text = (
            f"Hide {s['name']} on the TVs: they show as “A teammate”, without the name on boards and overlays. They still play and see everything."
            if hide
            else f"Show {s['name']} by name on the TVs again."
        )
        if await self.asker.confirm("TV", text, "Hide" if hide else "Show"):
            await self._seller_write(
                s,
                {"hidden_from_tv": hide},
                f"{s['name']} is {'hidden on' if hide else 'shown on'} the TVs.",
            )

    # goals, challenges, promotions
    def _fields(self, kind: str, obj: dict[str, Any]) -> list[Field]:
        if kind == "goals":
            return [
                Field("title", "Title", default=obj.get("title")),
                Field("scope", "Scope", "choice", _choices(("team", "personal")), obj.get("scope")),
                Field(
                    "seller_id",
                    "Seller (personal)",
                    "choice",
                    [("—", None)] + [(n, s) for s, n in self.seller_names()],
                    obj.get("seller_id"),
                    required=False,
                ),
                Field(
                    "period",
                    "Period",
                    "choice",
                    _choices(("day", "15d", "month")),
                    obj.get("period"),
                ),
                Field(
                    "target_type",
                    "Measures",
                    "choice",
                    _choices(("count", "revenue", "margin_amount")),
                    obj.get("target_type"),
                ),
                Field("target", "Target", default=obj.get("target")),
            ]
        if kind == "challenges":
            return [
                Field("title", "Title", default=obj.get("title")),
                Field(
                    "description",
                    "Description",
                    "multiline",
                    default=obj.get("description"),
                    required=False,
                ),
                Field(
                    "metric",
                    "Metric",
                    "choice",
                    _choices(("count", "revenue", "margin_amount")),
                    obj.get("metric"),
                ),
                Field(
                    "claim_type",
                    "Claim type",
                    "choice",
                    [("any", None), *_choices(CLAIM_TYPES)],
                    obj.get("claim_type"),
                    required=False,
                ),
                Field("target", "Target", default=obj.get("target")),
                Field(
                    "reward_points",
                    "Reward points",
                    "int",
                    choices=[(0, 100000)],
                    default=obj.get("reward_points") or 100,
                ),
                Field(
                    "starts_at",
                    "Starts (YYYY-MM-DD HH:MM, local)",
                    default=local_minute(obj["starts_at"]) if obj.get("starts_at") else "",
                    check=act.parse_local_time,
                ),
                Field(
                    "ends_at",
                    "Ends (YYYY-MM-DD HH:MM, local)",
                    default=local_minute(obj["ends_at"]) if obj.get("ends_at") else "",
                    check=act.parse_local_time,
                ),
                Field(
                    "visible",
                    "Show on TVs (off = a test run)",
                    "bool",
                    default=obj.get("visible", True),
                ),
            ]
        return [
            Field(
                "variant",
                "Variant",
                "choice",
                _choices(("promo", "info", "success", "warning")),
                obj.get("variant"),
            ),
            Field("title", "Title", default=obj.get("title")),
            Field("body", "Body", "multiline", default=obj.get("body"), required=False),
            Field(
                "starts_at",
                "Starts (YYYY-MM-DD HH:MM, local)",
                default=local_minute(obj["starts_at"]) if obj.get("starts_at") else "",
                check=act.parse_local_time,
            ),
            Field(
                "ends_at",
                "Ends (YYYY-MM-DD HH:MM, local)",
                default=local_minute(obj["ends_at"]) if obj.get("ends_at") else "",
                check=act.parse_local_time,
            ),
        ]

    async def _edit(self, kind: str, obj: dict[str, Any] | None) -> None:
        noun = kind[:-1]
        vals = await self.asker.form(
            FormSpec(f"{'Edit' if obj else 'New'} {noun}", self._fields(kind, obj or {}), ok="Save")
        )
        if not vals:
            return
        vals = {k: v for k, v in vals.items() if v is not None}
        if obj is not None:  # an edit sends what changed (the server refuses the rest)
            vals = act.changed_fields(obj, vals)
            if not vals:
                self.window.say("Nothing changed.")
                return
        if obj is None:
            body = await self.call(self.api.create(kind, vals), f"New {noun}")
        else:
            body = await self.call(
                self.api.edit(kind, obj["id"], vals, obj.get("version")),
                f"Edit {noun}",
                on_stale=lambda: self.load(kind),
            )
        if isinstance(body, dict):
            self.window.say(f"{noun.capitalize()} saved.")
            await self.load(kind)

    async def _end(self, kind: str) -> None:
        obj = self._current(kind)
        if obj is None:
            return
        noun = kind[:-1]
        ok = await self.asker.confirm(
            f"End {noun}",
            f"End the {noun} “{obj.get('title')}”: it leaves the TVs and seller windows; it is kept for history.",
            "End",
            danger=True,
        )
        if ok and await self.call(self.api.end(kind, obj["id"]), f"End {noun}") is not None:
            self.window.say(f"{noun.capitalize()} ended.")
            await self.load(kind)

    async def do_goals_create(self) -> None:
        await self._edit("goals", None)

    async def do_goals_edit(self) -> None:
        if (o := self._current("goals")) is not None:
            await self._edit("goals", o)

    async def do_goals_end(self) -> None:
        await self._end("goals")

    async def do_challenges_create(self) -> None:
        await self._edit("challenges", None)

    async def do_challenges_edit(self) -> None:
        if (o := self._current("challenges")) is not None:
            await self._edit("challenges", o)

    async def do_challenges_end(self) -> None:
        await self._end("challenges")

    async def do_promotions_create(self) -> None:
        await self._edit("promotions", None)

    async def do_promotions_edit(self) -> None:
        if (o := self._current("promotions")) is not None:
            await self._edit("promotions", o)

    async def do_promotions_end(self) -> None:
        await self._end("promotions")

    # overview, devices
    async def do_overview_close(self) -> None:
        month = self.window.pages["overview"].month_key()  # type: ignore[attr-defined]
        ok = await self.asker.confirm(
            "Close the month",
            f"Close {month}: its statement is frozen (the same bytes from now on). Later changes to its claims count in the open month as clawbacks.",
            "Close month",
            danger=True,
        )
        if ok and await self.call(self.api.close_month(month), "Close month") is not None:
            self.window.say(f"{month} is closed.")
            await self.load("overview")

    async def do_overview_statement(self) -> None:
        month = self.window.pages["overview"].month_key()  # type: ignore[attr-defined]
        path = await self.asker.save_path(f"statement-{month}.csv")
        if path:
            data = await self.call(
                self.api.export("/api/admin/export/statement.csv", {"month": month}), "Statement"
            )
            if data is not None:
                await asyncio.to_thread(Path(path).write_bytes, data)
                self.window.say(f"Statement saved to {path}.")

    async def do_devices_pair(self) -> None:
        vals = await self.asker.form(
            FormSpec(
                "Pair a TV",
                [
                    Field("code", "Code on the TV", hint="K7PQ-4XZD"),
                    Field("name", "Name", hint="Sales floor TV"),
                ],
                ok="Pair",
                intro="The TV shows a code while it waits; it starts as soon as you pair it.",
            )
        )
        if vals:
            body = await self.call(
                self.api.pair_device(vals["code"].strip().upper(), vals["name"]), "Pair"
            )
            if body is not None:
                self.window.say(f"{vals['name']} is paired.")
                await self.load("devices")

    async def do_devices_revoke(self) -> None:
        d = self._current("devices", "TV")
        if d is None:
            return
        ok = await self.asker.confirm(
            "Revoke",
            f"Revoke “{d.get('name')}”: its screen goes back to pairing within 10 s.",
            "Revoke",
            danger=True,
        )
        if ok and await self.call(self.api.revoke_device(d["id"]), "Revoke") is not None:
            self.window.say(f"{d.get('name')} is revoked.")
            await self.load("devices")

    # -- export ----------------------------------------------------------------------
    async def export(self, name: str) -> None:
        page = self.window.pages[name]
        t = page.spec
        path = await self.asker.save_path(f"{name}-{datetime.now():%Y%m%d-%H%M}.csv")
        if not path:
            return
        if t.export and t.writable_by(self.me.get("role")):
            params = {k: v for k, v in self.params_of(name).items() if k != "sort"}
            data = await self.call(self.api.export(t.export, params), "Export")
            if data is None:
                return
            what = "every claim the filters match"
        else:
            data = rows_csv(page.model.columns, page.model.list.rows)
            what = f"{len(page.model.list.rows):,} rows"
        await asyncio.to_thread(Path(path).write_bytes, data)
        self.window.say(f"Saved {what} to {path}.")

    # -- live ------------------------------------------------------------------------
    def on_event(self, env: dict[str, Any]) -> None:
        eid = env.get("id")
        if isinstance(eid, int):
            self.last_event_id = eid
        u = route(env)
        actor = actor_name(env)
        a = env.get("actor")
        mine = isinstance(a, dict) and a.get("id") == self.me.get("id")
        for kind, item in u.items:
            self.apply_item(kind, item, mine=mine, actor=actor)
        if mine:  # the work list already took our own decision off; do not reload under us
            u.tabs.discard("finance")
        self.pending.add(u, "" if mine else actor)
        if not self.pending.empty() and not self._flush.isActive():
            self._flush.start()

    def apply_item(
        self, kind: str, item: dict[str, Any], *, mine: bool = False, actor: str = ""
    ) -> None:
        page = self.window.pages["queue"]
        status = (getattr(page, "query", {}) or {}).get("status", "pending")
        if "queue" not in self.loaded:
            return
        who = None if mine else (actor or "someone else")
        if kind == "queue.new":
            if status in ("pending", "all"):
                page.model.insert_first(item)
            return
        gone = kind in ("queue.excluded", "claimed") and status == "pending"
        if gone:
            page.model.remove(item.get("id"))
            return
        page.model.replace(item, who if kind != "claimed" else None)

    def flush(self) -> None:
        p = self.pending.take()
        claims = self.window.pages["claims"]
        ids = {cid for cid in p.claim_ids if claims.model.list.row_of(cid) is not None}
        if self.detail is not None and self.detail.get("id") in p.claim_ids:
            ids.add(self.detail["id"])
        if p.claims_of_queue:
            ids |= {
                r["id"] for r in claims.model.list.rows if r.get("queue_id") in p.claims_of_queue
            }
        for cid in ids:
            self.spawn(self._reload_claim(cid, p.actors.get(cid)))
        current = self.window.current_name()
        for tab in p.tabs:
            if tab in self.loaded and tab != "claims":
                if tab == current and tab not in ("overview",):
                    self.spawn(self.load(tab))
                else:
                    self.dirty.add(tab)
        if p.new_claims and "claims" in self.loaded:
            self.new_claims += 1
            claims.say(
                f"{claims.model.list.status_text('claims')} · new claims arrived — F5 shows them."
            )

    async def _reload_claim(self, claim_id: Any, actor: str | None) -> None:
        async with self._reload_gate:
            try:
                fresh = await self.api.claim(claim_id)
            except (ApiError, ServerUnreachable):
                return
        page = self.window.pages["claims"]
        page.model.replace(
            {
                k: v
                for k, v in fresh.items()
                if k in ("id",) or not isinstance(v, list) or k == "shares"
            },
            actor or None,
        )
        if self.detail is not None and self.detail.get("id") == claim_id:
            self.detail = fresh
            page.detail.set_sections(detail_sections(fresh))  # type: ignore[attr-defined]
            if actor:
                page.detail.set_banner(f"{actor} just changed this claim — showing the latest.")  # type: ignore[attr-defined]

    def on_connection(self, state: str, last_update: Any) -> None:
        was = self.online
        self.online = state == "connected" or (state == "connecting" and was)
        self.window.set_connection(state, last_update)
        if state == "connected":
            self._live_once = True
            self._maybe_settle()
        if state == "connected" and not was:
            self.dirty |= self.loaded
            name = self.window.current_name()
            if name:
                self.spawn(self.load(name))

    def on_snapshot(self, _responses: dict[str, Any], latest_id: int | None) -> None:
        if latest_id is not None:  # resync: what we hold may be behind
            self.last_event_id = latest_id
            self.refresh()

    # -- login -----------------------------------------------------------------------
    def ask_login(self, reason: str = "") -> None:
        if self.login is not None and self.login.isVisible():
            return
        email = self.creds.get(self.server).get("email", "") if self.creds else ""
        dialog = LoginDialog(self.server, email or "", self.window)
        dialog.set_reason(reason)
        dialog.submitted.connect(lambda e, pw: self.spawn(self.do_login(e, pw)))
        self.login = dialog
        dialog.show()

    async def do_login(self, email: str, password: str) -> bool:
        try:
            user = await self.api.api.login(email, password)
        except (ApiError, ServerUnreachable) as exc:
            if self.login is not None:
                self.login.show_error(login_failure_text(exc, self.server))
            return False
        if self.creds is not None:
            self.creds.save(self.server, email=email, token=self.api.api.token, user=user)
        if self.login is not None:
            self.login.accept()
            self.login = None
        self.start(user)
        return True

    def logout(self) -> None:
        if self.creds is not None:
            self.creds.forget_token(self.server)
        self.api.api.token = None
        self.me = {}
        self.window.set_user(None)
        self.ask_login("You are logged out.")

    async def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # the window (and its timers) may be gone
            self._flush.stop()
            self._detail_timer.stop()
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:  # bounded: the app's cleanup gives every closer 5 s in all
            await asyncio.wait(tasks, timeout=2)
        if self.feed is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.feed.stop(), 2)
        await self.api.api.aclose()


class _Quiet:
    """A ``where`` for background loads: their 403/501 is nobody's business."""

    def say(self, text: str) -> None:
        log.info("background load: %s", text)


def settle_heap() -> None:
    """Move everything built at start (Qt wrappers, pyqtgraph, numpy) out of the cyclic
    collector's reach: a full collection then scans only what came after, so it does not
    block the Qt thread for 100+ ms while finance scrolls (``gc.freeze``)."""
    gc.collect()
    gc.freeze()


def _k(v: float) -> str:
    if not v:
        return ""
    return f"{v / 1000:.1f}k" if v >= 1000 else f"{v:.0f}"


def parse_payments(text: str) -> list[dict[str, str]]:
    """``"2025-07-01 250\\n2025-08-01 250.50"`` → ``[{"due_on", "amount"}, …]`` (1–36)."""
    from winroom_desktop.state.admin.claims import FilterError, parse_day

    out = []
    for n, line in enumerate(x for x in text.splitlines() if x.strip()):
        parts = line.replace(",", " ").split()
        if len(parts) != 2:
            raise act.InputError(
                f"Line {n + 1}: write a date and an amount, e.g. 2025-07-01 250.00."
            )
        try:
            day = parse_day(parts[0])
        except FilterError as exc:
            raise act.InputError(f"Line {n + 1}: {exc}") from None
        out.append({"due_on": str(day), "amount": act.parse_amount(parts[1])})
    if not 1 <= len(out) <= 36:
        raise act.InputError("A plan has 1 to 36 payments.")
    return out


# --------------------------------------------------------------------------- running


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--tab", choices=TAB_NAMES, help="open on this tab")


def make_feed(api: ApiClient, ref: list[AdminController]) -> Any:
    from winroom_desktop.net.feed import LiveFeed

    return LiveFeed(
        api,
        since_provider=lambda: ref[0].last_event_id if ref else None,
        snapshot_paths=lambda: ["/api/auth/me"],
    )


async def setup_admin(ctx: AppContext, args: argparse.Namespace) -> AdminController:
    server = str(args.server).rstrip("/")
    window = AdminWindow(server)
    if getattr(args, "size", None):
        window.resize(*args.size)
    config = getattr(args, "config", None)
    creds = CredentialStore(Path(config) if config else None)
    client = ApiClient(server, timeout=8.0)
    ref: list[AdminController] = []
    feed = make_feed(client, ref)
    controller = AdminController(window, AdminApi(client), feed, creds)
    ref.append(controller)
    ctx.set_main_window(window)
    ctx.on_exit(controller.close)
    settle_heap()
    tab = getattr(args, "tab", None)
    window.show()
    password = getattr(args, "password", None)
    if not password and getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    stored = creds.get(server)
    email = getattr(args, "email", None)

    def open_tab(user: dict[str, Any] | None) -> None:
        if user:
            window.set_user(user)
        if tab and not window.show_tab(tab):
            window.say(f"Your role does not see the {spec(tab).title} tab.", warn=True)

    async def login() -> None:
        delay = 1.0
        while True:
            try:
                user = await client.login(str(email), str(password))
                break
            except ServerUnreachable:
                window.set_connection("reconnecting", None)
                await asyncio.sleep(delay)
                delay = min(15.0, delay * 2)
            except ApiError as exc:
                controller.ask_login(f"Login failed: {exc.message}")
                return
        creds.save(server, email=str(email), token=client.token, user=user)
        open_tab(user)
        controller.start(user)

    if email and password:
        controller.spawn(login())
    elif stored.get("token"):
        client.token = stored["token"]
        user = stored.get("user") if isinstance(stored.get("user"), dict) else None
        open_tab(user)
        controller.start(user)
    else:
        controller.ask_login()
    return controller


def run_admin(args: argparse.Namespace) -> int:
    async def setup(ctx: AppContext) -> None:
        await setup_admin(ctx, args)

    return run_app(args, setup, app_name="Win Room Admin")
