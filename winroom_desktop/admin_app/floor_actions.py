"""The floor tabs' actions: installments, objections, sellers, goals / challenges /
promotions, the monthly close and TV pairing (a mixin of ``AdminController``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from winroom_desktop.admin_app.helpers import (
    MixinBase,
    _choices,
    parse_payments,
)
from winroom_desktop.state.admin import actions as act
from winroom_desktop.state.admin.rows import (
    objection_row,
    plan_row,
)
from winroom_desktop.state.admin.specs import (
    CLAIM_TYPES,
    ROLES,
    local_minute,
)
from winroom_desktop.state.format import money_card
from winroom_desktop.views.admin.dialogs import Field, FormSpec

log = logging.getLogger(__name__)


class FloorActions(MixinBase):
    window: Any
    api: Any
    asker: Any

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
