"""The header: title and date, the promotion banner (rotating; a body longer than two
lines is shown a page at a time), the clock and the connection state; and the discreet
reconnect banner shown while disconnected."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from winroom_desktop.state import format as fmt
from winroom_desktop.state.models import Promotion
from winroom_desktop.views.theme import (
    GOAL,
    MUTED,
    PANEL_HI,
    PROMO_COLORS,
    TEXT,
    WARNING,
    Scale,
    with_alpha,
)
from winroom_desktop.views.tv.paint import CENTER, LEFT, RIGHT, TvWidget, fit, pages, rounded, text

PROMO_ICONS = {"promo": "🎉", "info": "ℹ️", "success": "✅", "warning": "⚠️"}
PAGE_SECONDS = 5  # ``advance`` is called this often
PROMO_SECONDS = 10  # a promotion stays at least this long
BODY_SIZE = 28


class HeaderBar(TvWidget):
    def __init__(self, scale: Scale, parent: QWidget | None = None) -> None:
        super().__init__(scale, parent)
        self.promotions: tuple[Promotion, ...] = ()
        self.promo_index = 0
        self.page = 0  # of the promotion's body
        self.page_count = 1
        self._shown_s = 0
        self.connection = "connecting"
        self.now = datetime.now().astimezone()
        self.muted = False

    def set_promotions(self, promotions: tuple[Promotion, ...]) -> None:
        self.promotions = promotions
        if self.promo_index >= len(promotions):
            self.promo_index = 0
        self.update()

    def next_promotion(self) -> None:
        self.page = 0
        self._shown_s = 0
        if len(self.promotions) > 1:
            self.promo_index = (self.promo_index + 1) % len(self.promotions)
        self.update()

    def advance(self) -> None:
        """Every ``PAGE_SECONDS``: the body's next page, else (after ``PROMO_SECONDS``)
        the next promotion."""
        self._shown_s += PAGE_SECONDS
        if self.page + 1 < self.page_count:
            self.page += 1
            self.update()
        elif self._shown_s >= PROMO_SECONDS or self.page_count > 1:
            self.next_promotion()

    def set_connection(self, state: str) -> None:
        self.connection = state
        self.update()

    def set_time(self, now: datetime) -> None:
        self.now = now
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        s = self.scale
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = float(self.width()), float(self.height())
        date = self.now.strftime("%A %d %B")
        left_w = max(s.pxf(330), s.metrics(28).horizontalAdvance(date) + s.pxf(4))
        right_w = s.pxf(330)
        text(p, s, QRectF(0, 0, left_w, h * 0.6), "WIN ROOM", 44, TEXT, weight=800)
        text(p, s, QRectF(0, h * 0.58, left_w, h * 0.42), date, 28, MUTED)
        # clock + connection
        text(
            p,
            s,
            QRectF(w - right_w, 0, right_w, h * 0.62),
            self.now.strftime("%H:%M"),
            56,
            TEXT,
            weight=700,
            align=RIGHT,
        )
        live = self.connection == "connected"
        label = "● LIVE" if live else "● OFFLINE"
        if self.muted:
            label = "🔇  " + label
        text(
            p,
            s,
            QRectF(w - right_w, h * 0.6, right_w, h * 0.4),
            label,
            28,
            GOAL if live else WARNING,
            weight=700,
            align=RIGHT,
        )
        # promotion banner
        if self.promotions:
            promo = self.promotions[self.promo_index % len(self.promotions)]
            color = PROMO_COLORS.get(promo.variant, MUTED)
            r = QRectF(left_w + s.px(24), s.px(4), w - left_w - right_w - s.px(48), h - s.px(8))
            rounded(p, r, s.px(18), with_alpha(color, 0.16))
            rounded(p, QRectF(r.x(), r.y(), s.px(10), r.height()), s.px(5), color)
            pad = s.pxf(30)
            icon = PROMO_ICONS.get(promo.variant, "")
            title = f"{icon} {promo.title}".strip()
            natural = s.metrics(36, 700).horizontalAdvance(title) + s.px(4)
            title_w = min(r.width() * 0.45, natural)
            inner = r.adjusted(pad, s.px(4), -pad, -s.px(4))
            fit(
                p,
                s,
                QRectF(inner.x(), inner.y(), title_w, inner.height()),
                title,
                36,
                TEXT,
                weight=700,
                kind="title",
                max_lines=2,
            )
            bx = inner.x() + title_w + s.px(36)
            body_r = QRectF(bx, inner.y(), inner.right() - bx, inner.height())
            lines = max(1, min(2, int(body_r.height() // s.metrics(BODY_SIZE).height())))
            body_pages = pages(s, promo.body, BODY_SIZE, body_r.width(), lines)
            self.page_count = len(body_pages)
            body = body_pages[min(self.page, len(body_pages) - 1)]
            fit(p, s, body_r, body, BODY_SIZE, TEXT, align=LEFT, max_lines=lines, floor=BODY_SIZE)
        p.end()


class ReconnectBanner(TvWidget):
    """ "Reconnecting… last update 14:32": discreet, never modal, never blanks the screen."""

    def __init__(self, scale: Scale, parent: QWidget | None = None) -> None:
        super().__init__(scale, parent)
        self.last_update: datetime | None = None
        self.zone: str | None = None  # the floor's, once the server announced it
        self.hide()

    def message(self) -> str:
        if self.last_update is None:
            return "Connecting to the Win Room server…"
        return f"Reconnecting… last update {fmt.hhmm(self.last_update, self.zone)}"

    def set_last_update(self, last_update: datetime | None) -> None:
        self.last_update = last_update
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        s = self.scale
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        rounded(p, r, r.height() / 2, with_alpha(PANEL_HI, 0.95))
        p.setPen(with_alpha(WARNING, 0.9))
        p.setBrush(with_alpha(WARNING, 0.0))
        p.drawRoundedRect(r.adjusted(1, 1, -1, -1), r.height() / 2, r.height() / 2)
        text(p, s, r, self.message(), 28, WARNING, weight=600, align=CENTER)
        p.end()
