"""The live queue: one card per open sale, newest on top.

New cards fade and slide in (350 ms ease-out); a claimed card turns the claimer's colour
and says who claimed it for a moment, then leaves (200 ms) and the others slide up.
Emails are masked here as well (``a•••@gmail.com``) whatever the server sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from winroom_desktop.state import format as fmt
from winroom_desktop.state.models import QueueItem
from winroom_desktop.views.frameclock import FrameClock, ease_out, now_ms
from winroom_desktop.views.theme import (
    FINANCE_COLORS,
    JACKPOT,
    LINE,
    MARGIN_COLORS,
    MUTED,
    NEW_SALE,
    PANEL_HI,
    PROBLEM,
    TEXT,
    Scale,
    seller_color,
    with_alpha,
)
from winroom_desktop.views.tv.paint import (
    LEFT,
    RIGHT,
    TvWidget,
    chip,
    fit,
    rounded,
    text,
    wrapped,
)

ENTER_MS = 350.0
CLAIM_HOLD_MS = 1400.0
LEAVE_MS = 200.0
MOVE_MS = 400.0
CARD_H = 156
GAP = 14
HEADER_H = 56


@dataclass
class Card:
    item: QueueItem
    y: float | None = None
    from_y: float = 0.0
    target_y: float = 0.0
    move_t0: float | None = None
    released: bool = False  # a claimed card whose hold is over: its slot is given up
    enter_t0: float = -1e9
    leave_t0: float | None = None
    claimed_by: str | None = None
    claimed_color_id: int | None = None

    def lines(self) -> list[str]:
        """The texts this card shows (plain text; used by tests)."""
        it = self.item
        return [
            it.campaign_name or "",
            it.customer_name or "",
            fmt.mask_email(it.customer_email),
            fmt.money_card(it.revenue_usd),
        ]


class QueuePanel(TvWidget):
    def __init__(self, scale: Scale, clock: FrameClock, parent: QWidget | None = None) -> None:
        super().__init__(scale, parent)
        self.clock = clock
        self.cards: list[Card] = []
        self.open_total = 0  # every pending sale on the server; ``cards`` are capped
        self.reduced_motion = False
        self._pending_claims: dict[int, tuple[str | None, int | None]] = {}

    # -- state in --------------------------------------------------------------------
    def mark_claimed(self, queue_id: int, seller_name: str | None, seller_id: int | None) -> None:
        """Called before ``set_items`` drops the item: the card leaves showing who claimed."""
        self._pending_claims[queue_id] = (seller_name, seller_id)

    def set_items(
        self, items: tuple[QueueItem, ...], animate: bool = True, open_count: int | None = None
    ) -> None:
        """``items`` are the cards kept (capped); ``open_count`` is every pending sale."""
        self.open_total = len(items) if open_count is None else max(open_count, len(items))
        t = now_ms()
        by_id = {c.item.id: c for c in self.cards}
        wanted = {i.id for i in items}
        new_cards: list[Card] = []
        for item in items:
            card = by_id.get(item.id)
            if card is None:
                card = Card(item=item, enter_t0=t if animate and self.cards else -1e9)
            else:
                card.item = item
            new_cards.append(card)
        leaving = [c for c in self.cards if c.item.id not in wanted]
        for c in leaving:
            if c.leave_t0 is None:
                name, sid = self._pending_claims.pop(c.item.id, (None, None))
                c.leave_t0 = t if animate and not self.reduced_motion else t - 1e6
                c.claimed_by = name
                c.claimed_color_id = sid
        # leaving cards keep their slot until gone
        order = new_cards + leaving
        order.sort(key=lambda c: -c.item.id)
        self.cards = order
        self._layout(t, animate)
        self._start()

    def visible_capacity(self) -> int:
        h = self.height() - self.scale.px(HEADER_H)
        step = self.scale.px(CARD_H + GAP)
        return max(1, int((h + self.scale.px(GAP)) // step))

    def _layout(self, t: float, animate: bool) -> None:
        step = self.scale.px(CARD_H + GAP)
        top = self.scale.px(HEADER_H)
        slot = 0
        for c in self.cards:
            target = float(top + slot * step)
            if c.y is None or not animate or self.reduced_motion:
                c.y = c.target_y = target
                c.move_t0 = None
            elif target != c.target_y:
                c.from_y = c.y
                c.target_y = target
                c.move_t0 = t
            if not c.released:
                slot += 1

    def _start(self) -> None:
        self.clock.request(self.tick)

    def tick(self, t: float) -> bool:
        busy = False
        relayout = False
        for c in self.cards:
            if c.leave_t0 is not None:
                busy = True
                if not c.released and t - c.leave_t0 >= CLAIM_HOLD_MS:
                    c.released = True
                    relayout = True
            if t - c.enter_t0 < ENTER_MS:
                busy = True
            if c.move_t0 is not None:
                k = (t - c.move_t0) / MOVE_MS
                if k < 1:
                    c.y = c.from_y + (c.target_y - c.from_y) * ease_out(k)
                    busy = True
                else:
                    c.y = c.target_y
                    c.move_t0 = None
        before = len(self.cards)
        self.cards = [
            c for c in self.cards if c.leave_t0 is None or t - c.leave_t0 < CLAIM_HOLD_MS + LEAVE_MS
        ]
        if relayout or len(self.cards) != before:
            self._layout(t, True)
            busy = True
        self.update()
        return busy

    def header_label(self) -> str:
        return f"{self.open_total} open"

    def more_label(self, shown: int) -> str:
        """``+N more waiting`` for the open sales without a card on screen ("" when none)."""
        hidden = self.open_total - min(self.open_total, shown)
        return f"+{hidden} more waiting" if hidden > 0 else ""

    # -- painting --------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        s = self.scale
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = float(self.width())
        text(p, s, QRectF(0, 0, w * 0.6, s.px(44)), "LIVE QUEUE", 30, MUTED, weight=700)
        label = self.header_label()
        text(p, s, QRectF(w * 0.4, 0, w * 0.6, s.px(44)), label, 30, MUTED, align=RIGHT)
        if not self.cards:
            rounded(p, QRectF(0, s.px(HEADER_H), w, s.px(CARD_H)), s.px(18), PANEL_HI)
            wrapped(
                p,
                s,
                QRectF(s.px(28), s.px(HEADER_H), w - s.px(56), s.px(CARD_H)),
                "No open sales — the next one will appear here",
                30,
                MUTED,
            )
            p.end()
            return
        t = now_ms()
        bottom = self.height()
        cap = self.visible_capacity()
        shown = 0
        for c in self.cards:
            y = c.y or 0.0
            if y + s.px(CARD_H) > bottom + 1:
                break
            shown += 1
            self._paint_card(p, c, t)
        more = self.more_label(min(shown, cap))
        if more:
            text(
                p,
                s,
                QRectF(0, bottom - s.px(36), w, s.px(36)),
                more,
                28,
                MUTED,
                align=RIGHT,
            )
        p.end()

    def _paint_card(self, p: QPainter, c: Card, t: float) -> None:
        s = self.scale
        it = c.item
        w = float(self.width())
        h = float(s.px(CARD_H))
        alpha = 1.0
        dx = 0.0
        k = (t - c.enter_t0) / ENTER_MS
        if 0 <= k < 1:
            alpha = ease_out(k)
            dx = (1 - ease_out(k)) * s.px(60)
        claimed = c.leave_t0 is not None
        if claimed and c.leave_t0 is not None:
            out = (t - c.leave_t0 - CLAIM_HOLD_MS) / LEAVE_MS
            if out > 0:
                alpha = max(0.0, 1 - out)
        if alpha <= 0:
            return
        p.save()
        p.setOpacity(alpha)
        cy = c.y or 0.0
        rect = QRectF(dx, cy, w, h)
        rounded(p, rect, s.px(18), PANEL_HI)
        accent = JACKPOT if it.is_jackpot else NEW_SALE
        if it.finance_status == "problem":
            accent = PROBLEM
        rounded(p, QRectF(dx, cy, s.px(10), h), s.px(5), accent)
        pad = s.px(30)
        x0 = dx + pad
        right = dx + w - s.px(24)
        inner = right - x0
        y = cy + s.px(14)
        # row 1: campaign · time to sale          jackpot / finance chip
        chip_w = 0.0
        if it.is_jackpot:
            chip_w = chip(p, s, right, y, s.px(38), "🎰 JACKPOT", JACKPOT, right_align=True)
        elif it.finance_status in ("problem", "installment", "approved"):
            label = {"problem": "⚠ Finance hold", "installment": "Installments"}.get(
                it.finance_status, "Approved"
            )
            color = FINANCE_COLORS.get(it.finance_status, MUTED)
            chip_w = chip(p, s, right, y, s.px(38), label, color, right_align=True)
        meta = it.campaign_name or "—"
        if it.tts_days is not None:
            meta = f"{meta} · {fmt.tts(it.tts_days)}"
        text(p, s, QRectF(x0, y, inner - chip_w - s.px(16), s.px(38)), meta, 28, MUTED)
        # row 2: customer name                    revenue
        y2 = cy + s.px(54)
        money = fmt.money_card(it.revenue_usd)
        # money first (never cut: it shrinks); the name gets the rest of the row
        money_w = min(s.metrics(46, 700).horizontalAdvance(money) + s.px(8), inner * 0.55)
        fit(
            p,
            s,
            QRectF(right - money_w, y2, money_w, s.px(56)),
            money,
            46,
            TEXT,
            weight=700,
            align=RIGHT,
            kind="money",
        )
        name_w = inner - money_w - s.px(20)
        name_r = QRectF(x0, y2, name_w, s.px(56))
        fit(p, s, name_r, it.customer_name or "—", 44, TEXT, weight=700, kind="name")
        # row 3: masked email                     margin chip
        y3 = cy + s.px(112)
        quality = it.margin_quality or "unknown"
        mlabel = fmt.margin_label(quality)
        if it.margin_percent is not None:
            mlabel = f"{mlabel} {fmt.percent(it.margin_percent)} margin"
        mw = chip(
            p,
            s,
            right,
            y3 - s.px(2),
            s.px(36),
            mlabel,
            MARGIN_COLORS.get(quality, MUTED),
            right_align=True,
        )
        email = fmt.mask_email(it.customer_email)
        text(p, s, QRectF(x0, y3, inner - mw - s.px(16), s.px(34)), email, 28, MUTED)
        if claimed:
            color = seller_color(c.claimed_color_id)
            rounded(p, rect, s.px(18), with_alpha(color, 0.88))
            who = c.claimed_by or "a teammate"
            ink = LINE if color.lightness() > 150 else TEXT
            mark = "✓ Claimed by "
            mark_w = text(p, s, rect.adjusted(pad, 0, -pad, 0), mark, 44, ink, weight=700)
            name_r = rect.adjusted(pad + mark_w, 0, -pad, 0)
            kind = "name" if c.claimed_by else "text"
            fit(p, s, name_r, who, 44, ink, weight=700, align=LEFT, kind=kind)
        p.restore()
