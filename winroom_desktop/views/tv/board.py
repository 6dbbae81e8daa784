"""The animated leaderboard: bars grow, rows re-order with an 800 ms ease so a rank change
can be followed by eye, values count up, and a ▲/▼ shows who moved (for 12 s)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from winroom_desktop.state import format as fmt
from winroom_desktop.state.models import Board, BoardEntry
from winroom_desktop.views.frameclock import FrameClock, ease_in_out, now_ms
from winroom_desktop.views.theme import (
    GOAL,
    JACKPOT,
    LINE,
    MUTED,
    PANEL_HI,
    PROBLEM,
    TEXT,
    WARNING,
    Scale,
    seller_color,
    with_alpha,
)
from winroom_desktop.views.tv.paint import LEFT, RIGHT, TvWidget, fit, rounded, text, wrapped

MOVE_MS = 800.0
RANK_MARK_MS = 12000.0
MAX_ROWS = 8
TITLES = {"wins": "WINS", "revenue": "REVENUE", "margin": "MARGIN", "conversion": "CONVERSION"}
PERIODS = {"today": "TODAY", "15d": "LAST 15 DAYS", "month": "THIS MONTH"}


def _num(value: object) -> float:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return 0.0


@dataclass
class Row:
    entry: BoardEntry
    slot: float = 0.0
    from_slot: float = 0.0
    bar: float = 0.0
    from_bar: float = 0.0
    shown: float = 0.0  # the counted-up value
    from_value: float = 0.0
    t0: float = -1e9
    rank_delta: int = 0
    rank_t0: float = -1e9


class BoardPanel(TvWidget):
    def __init__(self, scale: Scale, clock: FrameClock, parent: QWidget | None = None) -> None:
        super().__init__(scale, parent)
        self.clock = clock
        self.board: Board | None = None
        self.key: tuple[str, str] = ("revenue", "today")
        self.rows: dict[int, Row] = {}
        self.playlist_pos = (0, 1)
        self.reduced_motion = False
        self.as_of: str | None = None  # "14:32": the board is older than the rest

    def set_as_of(self, as_of: str | None) -> None:
        if as_of != self.as_of:
            self.as_of = as_of
            self.update()

    def show_board(
        self, key: tuple[str, str], board: Board | None, position: tuple[int, int] = (0, 1)
    ) -> None:
        """Switch to another board of the playlist (bars grow from zero)."""
        self.key = key
        self.playlist_pos = position
        self.board = None
        self.rows = {}
        self.set_board(board)

    def set_board(self, board: Board | None) -> None:
        """New values for the board on screen: rows glide to their new rank."""
        if board is not None and (board.board, board.period) != self.key:
            return
        t = now_ms()
        entries = list(board.entries[:MAX_ROWS]) if board else []
        self.board = board
        new_rows: dict[int, Row] = {}
        for slot, e in enumerate(entries):
            row = self.rows.get(e.seller_id)
            if row is None:
                row = Row(entry=e, slot=float(slot), from_slot=float(slot))
            else:
                if row.entry.rank != e.rank:
                    row.rank_delta = row.entry.rank - e.rank
                    row.rank_t0 = t
                row.from_slot = row.slot
            row.from_bar = row.bar
            row.from_value = row.shown
            row.entry = e
            row.t0 = t if not self.reduced_motion else t - MOVE_MS
            new_rows[e.seller_id] = row
        self.rows = new_rows
        self.clock.request(self.tick)
        self.update()

    def settle(self) -> None:
        """Finish the glide and count-up now (the picture beneath an overlay shows the
        values the overlay celebrates, not a frame of the count-up)."""
        t = now_ms()
        for row in self.rows.values():
            row.t0 = min(row.t0, t - MOVE_MS)
        self.tick(t)

    def tick(self, t: float) -> bool:
        busy = False
        for slot, (_, row) in enumerate(
            sorted(self.rows.items(), key=lambda kv: (kv[1].entry.rank, kv[1].entry.name))
        ):
            k = min(1.0, (t - row.t0) / MOVE_MS)
            e = ease_in_out(k)
            row.slot = row.from_slot + (slot - row.from_slot) * e
            row.bar = row.from_bar + (row.entry.normalized - row.from_bar) * e
            row.shown = row.from_value + (_num(row.entry.value) - row.from_value) * e
            if k < 1:
                busy = True
        self.update()
        return busy

    def _value_text(self, row: Row) -> str:
        board = self.key[0]
        if isinstance(row.entry.value, str) or board in ("revenue", "margin"):
            return fmt.board_value(board, f"{row.shown:.2f}")
        return fmt.board_value(board, row.shown if board == "conversion" else round(row.shown))

    def lines(self) -> list[str]:
        return [r.entry.name for r in sorted(self.rows.values(), key=lambda r: r.entry.rank)]

    def paintEvent(self, event: QPaintEvent) -> None:
        s = self.scale
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = float(self.width())
        board, period = self.key
        title = f"{TITLES.get(board, board.upper())} · {PERIODS.get(period, period)}"
        idx, total = self.playlist_pos
        title_w = w - total * s.pxf(22) - s.pxf(16)  # the playlist dots take the right
        text(p, s, QRectF(0, 0, title_w, s.px(44)), title, 30, MUTED, weight=700)
        # playlist dots
        r = s.pxf(6)
        for i in range(total):
            cx = w - (total - i) * s.pxf(22)
            rounded(p, QRectF(cx - r, s.pxf(22) - r, 2 * r, 2 * r), r, TEXT if i == idx else LINE)
        top = float(s.px(56))
        if self.as_of:  # older than the rest of the screen: say when it is from
            dated = QRectF(0, top - s.px(10), w, s.px(38))
            text(p, s, dated, f"as of {self.as_of}", 28, WARNING, weight=700)
            top += s.px(36)
        if not self.rows:
            rounded(p, QRectF(0, top, w, s.px(156)), s.px(18), PANEL_HI)
            wrapped(
                p,
                s,
                QRectF(s.px(24), top, w - s.px(48), s.px(156)),
                "No sales on this board yet — first claim takes the lead",
                28,
                MUTED,
            )
            p.end()
            return
        avail = self.height() - top
        row_h = min(s.pxf(88), avail / MAX_ROWS)
        t = now_ms()
        rank_w = s.pxf(104)
        shown_values = {sid: self._value_text(row) for sid, row in self.rows.items()}
        # the value column is as wide as its widest figure (money is never cut)
        vfm = s.metrics(40, 700)
        finals = [fmt.board_value(board, r.entry.value) for r in self.rows.values()]
        widest = max(
            (vfm.horizontalAdvance(v) for v in [*shown_values.values(), *finals]), default=0
        )
        track_x = rank_w
        track_w = w - rank_w
        value_w = min(max(s.pxf(120), widest + s.pxf(8)), track_w * 0.5)
        for sid, row in self.rows.items():
            y = top + row.slot * row_h
            e = row.entry
            color = seller_color(e.seller_id)
            rank_color = JACKPOT if e.rank == 1 else TEXT
            text(p, s, QRectF(0, y, s.pxf(56), row_h), f"{e.rank}", 40, rank_color, weight=700)
            # the bar runs behind the name: track, then the seller's colour to its value
            bar_h = row_h * 0.82
            by = y + (row_h - bar_h) / 2
            rounded(p, QRectF(track_x, by, track_w, bar_h), s.pxf(12), PANEL_HI)
            frac = max(0.0, min(1.0, row.bar))
            bw = max(s.pxf(10), track_w * frac)
            rounded(p, QRectF(track_x, by, bw, bar_h), s.pxf(12), with_alpha(color, 0.42))
            rounded(p, QRectF(track_x, by, s.pxf(10), bar_h), s.pxf(5), color)
            fit(
                p,
                s,
                QRectF(track_x + s.pxf(24), y, track_w - value_w - s.pxf(52), row_h),
                e.name,
                40,
                TEXT,
                weight=600,
                kind="name",
            )
            fit(
                p,
                s,
                QRectF(w - value_w - s.pxf(16), y, value_w, row_h),
                shown_values[sid],
                40,
                TEXT,
                weight=700,
                align=RIGHT,
                kind="money",
            )
            if row.rank_delta and t - row.rank_t0 < RANK_MARK_MS:
                up = row.rank_delta > 0
                mark = f"▲{row.rank_delta}" if up else f"▼{-row.rank_delta}"
                text(
                    p,
                    s,
                    QRectF(s.pxf(48), y, rank_w - s.pxf(50), row_h),
                    mark,
                    28,
                    GOAL if up else PROBLEM,
                    weight=700,
                    align=LEFT,
                )
        p.end()
