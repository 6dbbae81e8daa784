"""The Claims, Queue and Finance tabs' actions: what each asks, the confirmation that says
what changes on the boards, the call, and the row put in place (a mixin of
``AdminController``, which holds the window, the API and the asker)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from winroom_desktop.admin_app.helpers import (
    MixinBase,
    _choices,
)
from winroom_desktop.state.admin import actions as act
from winroom_desktop.state.admin.specs import (
    ADJUSTMENT_REASONS,
    FINANCE_STATUSES,
)
from winroom_desktop.state.format import money_card
from winroom_desktop.views.admin.dialogs import Field, FormSpec

log = logging.getLogger(__name__)


class ClaimActions(MixinBase):
    window: Any
    api: Any
    asker: Any

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
