"""The claim: the end of the hold marks the card "claiming" at once; ``POST /api/claim``
carries an ``Idempotency-Key`` so a retry after a network failure is safe (the server returns
the first answer); 409 ``already_claimed`` rolls back kindly with the winner's name; after a
few failed tries the card says plainly that it was not claimed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from winroom_desktop.net.api import ApiError, ServerUnreachable
from winroom_desktop.seller_flows.host import Host
from winroom_desktop.state import seller as ss
from winroom_desktop.state.format import money_card
from winroom_desktop.views import theme


class ClaimFlow:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.celebrated: set[int] = set()  # queue ids whose win was celebrated

    def claim(self, queue_id: int, claim_type: str, plan_id: object = None) -> None:
        h = self.host
        h.watcher.touch()
        item = h.store.state.queue_item(queue_id)
        attempt = h.seller.attempts.get(queue_id)
        if item is None and attempt is not None:
            item = attempt.item
        if item is None:
            return
        key = str(uuid.uuid4())
        new = ss.start_claim(h.seller, item, claim_type, key, h.mono())
        if new is h.seller:
            return
        h.seller = new
        h.render_now()  # "claiming" at once, not on the next turn
        plan = int(plan_id) if isinstance(plan_id, int) else None
        h.spawn(self._claim(queue_id, claim_type, plan, key))

    async def _claim(self, queue_id: int, claim_type: str, plan: int | None, key: str) -> None:
        h = self.host
        tries = len(h.retry_delays) + 1
        for attempt in range(tries):
            try:
                claim = await h.api.claim(
                    queue_id, claim_type, installment_plan_id=plan, idempotency_key=key
                )
            except ServerUnreachable:
                if attempt == tries - 1:
                    break
                h.seller = ss.claim_retrying(h.seller, queue_id)
                h.request_render()
                await asyncio.sleep(h.retry_delays[attempt])
                continue
            except ApiError as exc:
                self._refused(queue_id, exc)
                return
            was_busy = h.seller.attempts.get(queue_id)
            h.seller = ss.claim_won(h.seller, queue_id, h.mono())
            h.render_now()
            if queue_id not in self.celebrated and was_busy is not None:
                revenue = was_busy.item.revenue_usd if was_busy.item else None
                self.celebrate(queue_id, claim.get("revenue_usd", revenue))
            return
        h.seller = ss.claim_failed(h.seller, queue_id, ss.claim_error_message(None, None), h.mono())
        h.render_now()

    def _refused(self, queue_id: int, exc: ApiError) -> None:
        h = self.host
        if exc.status == 409 and exc.code == "already_claimed":
            err = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
            winner = (err.get("claimed_by") or {}).get("name")
            h.seller = ss.claim_lost(h.seller, queue_id, winner, h.mono())
            if not h.dnd:
                h.sounds.play("lost")
        else:
            message = ss.claim_error_message(exc.status, exc.code)
            h.seller = ss.claim_failed(h.seller, queue_id, message, h.mono())
            if exc.status == 401:
                h.session.expired()
        h.render_now()

    def celebrate(self, queue_id: int, revenue: Any) -> None:
        """My claim won (its answer or its ``claimed`` event, whichever comes first)."""
        self.celebrated.add(queue_id)
        if len(self.celebrated) > 500:
            self.celebrated = set(list(self.celebrated)[-100:])
        amount = money_card(revenue)
        sub = f"{amount} is yours" if amount != "—" else "It's yours"
        self.host.reactions.celebrate("🎉 Claimed!", sub, theme.GOAL, "claim")
