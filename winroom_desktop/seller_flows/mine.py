"""My own numbers: the period shown, spin & win (the server draws the prize), objections to
a claim."""

from __future__ import annotations

from dataclasses import replace

from winroom_desktop.net.api import ApiError, ServerUnreachable
from winroom_desktop.seller_flows.host import Host
from winroom_desktop.seller_flows.paths import OBJECTIONS, POINTS, SPINS, metrics_path
from winroom_desktop.state.snapshot import BOARDS, board_path
from winroom_desktop.state.spin import next_spin
from winroom_desktop.views.seller.sales_view import ObjectionDialog
from winroom_desktop.views.seller.spin_wheel import SpinPanel


class MineFlow:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.spinning = False
        self.spin_panel: SpinPanel | None = None

    def set_period(self, period: str) -> None:
        h = self.host
        if period == h.seller.period:
            return
        h.seller = replace(h.seller, period=period)
        h.request_render()
        h.spawn(self.load([metrics_path(period), *(board_path(b, period) for b in BOARDS)]))

    async def load(self, paths: list[str]) -> None:
        """Fetch these endpoints and take them in as a snapshot."""
        h = self.host
        try:
            responses = await h.api.load(paths)
        except ApiError as exc:
            if exc.status == 401:
                h.session.expired()
            return
        except ServerUnreachable:
            return
        h.intake.on_snapshot(responses, None)

    # ---- spin & win
    def spend_spin(self) -> None:
        spin = next_spin(self.host.seller.spins)
        if spin is not None and not self.spinning:
            self.spinning = True
            self.host.spawn(self._spend_spin(spin.id))

    async def _spend_spin(self, spin_id: int) -> None:
        """The server draws the prize; the wheel plays its answer (``spin.result`` tells
        the floor). A spin already spent elsewhere just reloads the list."""
        h = self.host
        try:
            answer = await h.api.request("POST", f"/api/me/spins/{spin_id}")
        except ApiError as exc:
            if exc.status == 401:
                h.session.expired()
            else:
                h.window.numbers.show_spin_notice(exc.message)
            answer = None
        except ServerUnreachable:
            h.window.numbers.show_spin_notice("The server could not be reached. Try again.")
            answer = None
        finally:
            self.spinning = False
        if isinstance(answer, dict):
            prize = answer.get("prize")
            self.play_spin(prize if isinstance(prize, dict) else {"label": str(prize)})
        await self.load([SPINS, POINTS])

    def play_spin(self, prize: dict[str, object]) -> None:
        h = self.host
        if self.spin_panel is not None:
            self.spin_panel.dismiss()
        self.spin_panel = SpinPanel(prize, h.window)
        self.spin_panel.open()
        self.spin_panel.spin()
        if not h.dnd:
            h.sounds.play("achievement")

    # ---- objections
    def open_objection(self, claim_id: int, what: str) -> None:
        dialog = ObjectionDialog(claim_id, what, self.host.window)
        dialog.accepted.connect(lambda: self.file_objection(claim_id, *dialog.values()))
        dialog.open()

    def file_objection(self, claim_id: int, reason: str, details: str) -> None:
        self.host.spawn(self._file_objection(claim_id, reason, details))

    async def _file_objection(self, claim_id: int, reason: str, details: str) -> None:
        sales = self.host.window.sales
        body = {"claim_id": claim_id, "reason": reason, "details": details}
        try:
            await self.host.api.request("POST", "/api/objections", json=body)
        except ApiError as exc:
            sales.show_feedback(f"Objection not filed: {exc.message}", ok=False)
            return
        except ServerUnreachable:
            sales.show_feedback(
                "Objection not filed: the server could not be reached. Try again.", ok=False
            )
            return
        sales.show_feedback("Objection filed — finance will look at it.", ok=True)
        await self.load([OBJECTIONS])
