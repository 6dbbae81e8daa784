"""``winroom admin``: the admin window with finance tabs over CONTRACT §4a.

``AdminController`` wires window ↔ ``AdminApi`` ↔ live feed in one place: a tab loads when
first shown (a page at a time, more as the table scrolls), live events update open tables
and the detail pane in place (a burst coalesced into one reload per claim and tab), every
request runs on the qasync loop (the Qt thread never waits), errors are one sentence in the
window and 409 ``stale`` reloads the row and says so."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer

from winroom_desktop.admin_app.claim_actions import ClaimActions
from winroom_desktop.admin_app.floor_actions import FloorActions
from winroom_desktop.admin_app.helpers import (
    ROW_FIX,
    _k,
    _Quiet,
    settle_heap,
)
from winroom_desktop.net.admin_api import AdminApi
from winroom_desktop.net.api import ApiError, ServerUnreachable, login_failure_text
from winroom_desktop.seller_credentials import CredentialStore
from winroom_desktop.state.admin import actions as act
from winroom_desktop.state.admin.claims import detail_sections
from winroom_desktop.state.admin.export import rows_csv
from winroom_desktop.state.admin.live import Pending, actor_name, route
from winroom_desktop.state.admin.paged import parse_page
from winroom_desktop.state.admin.rows import (
    daily_series,
    goal_row,
    overview_rows,
    top_performers,
)
from winroom_desktop.state.admin.worklist import WorkList
from winroom_desktop.state.format import money_card
from winroom_desktop.views.admin.dialogs import DialogAsker
from winroom_desktop.views.admin.window import AdminWindow
from winroom_desktop.views.seller.login_dialog import LoginDialog

log = logging.getLogger(__name__)
T = TypeVar("T")
FLUSH_MS = 150  # live events gathered this long become one reload per claim / tab
DETAIL_MS = 120  # arrowing through rows loads the detail of the row you stop on
RELOAD_PARALLEL = 4


class AdminController(ClaimActions, FloorActions, QObject):
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
