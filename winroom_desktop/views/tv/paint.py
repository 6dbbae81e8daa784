"""Small painting helpers shared by the TV widgets. Text is always drawn as plain text.

Every text on the TV goes through ``fit``: it shrinks within the design's type sizes,
then (by kind) shortens a name to whole words (``Zeynep D.``), wraps a title to two lines,
or, for plain text, elides as the last resort. Money is never cut. ``recording()`` makes
the helpers record what they drew, so layout tests can check nothing was cut.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath
from PySide6.QtWidgets import QWidget

from winroom_desktop.state import format as fmt
from winroom_desktop.views.theme import FAMILY, PANEL, Scale

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


MIN_SIZE = 28.0  # DESIGN: nothing under ~28 px at 1080p
SHRINK = 0.8  # a text shrinks to this much of its size before it is shortened
ELLIPSIS = "…"


@dataclass(frozen=True)
class Drawn:
    """One text as drawn: what was asked, the lines shown, where, at what pixel size."""

    kind: str  # "money" | "name" | "title" | "text"
    value: str
    lines: tuple[str, ...]
    rect: QRectF
    px: int
    weight: int
    elided: bool

    def fits(self) -> bool:
        fm = QFontMetrics(_font_px(self.px, self.weight))
        wide = max((fm.horizontalAdvance(ln) for ln in self.lines), default=0)
        high = fm.height() * len(self.lines) if len(self.lines) > 1 else 0
        return wide <= self.rect.width() + 0.5 and high <= self.rect.height() + 1


_recorder: list[Drawn] | None = None


@contextlib.contextmanager
def recording() -> Iterator[list[Drawn]]:
    """Collect every text the TV helpers draw while the block runs (tests)."""
    global _recorder
    previous, _recorder = _recorder, []
    try:
        yield _recorder
    finally:
        _recorder = previous


def _font_px(px: int, weight: int) -> QFont:
    font = QFont(FAMILY)
    font.setPixelSize(px)
    font.setWeight(QFont.Weight(weight))
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def _sizes(scale: Scale, size: float, floor: float) -> Iterator[float]:
    """Design sizes from ``size`` down to ``floor``, one pixel on this screen apart."""
    step = 1.0 / scale.f
    s = size
    while s > floor + 1e-9:
        yield s
        s -= step
    yield min(size, floor)


def _wrap(fm: QFontMetrics, value: str, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line stays whole on its own line."""
    lines: list[str] = []
    cur = ""
    for word in value.split():
        cand = f"{cur} {word}" if cur else word
        if not cur or fm.horizontalAdvance(cand) <= width:
            cur = cand
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines or [""]


def pages(
    scale: Scale, value: str, size: float, width: float, lines: int, weight: int = 400
) -> list[str]:
    """``value`` cut at word boundaries into pages of at most ``lines`` lines of ``width``
    (a banner shows one page at a time instead of cutting the text)."""
    wrapped_lines = _wrap(scale.metrics(size, weight), value, width)
    return [
        " ".join(wrapped_lines[i : i + lines]) for i in range(0, len(wrapped_lines), lines)
    ] or [""]


def _elide_words(fm: QFontMetrics, value: str, width: float) -> str:
    """The longest run of whole words + ``…`` that fits (characters only for one word)."""
    words = value.split()
    for n in range(len(words) - 1, 0, -1):
        cand = " ".join(words[:n]).rstrip(",;:·-–—") + ELLIPSIS
        if fm.horizontalAdvance(cand) <= width:
            return cand
    return fm.elidedText(value, Qt.TextElideMode.ElideRight, int(width))


@dataclass(frozen=True)
class Fitted:
    lines: tuple[str, ...]
    size: float
    elided: bool


def layout(
    scale: Scale,
    value: str,
    size: float,
    width: float,
    *,
    weight: int = 400,
    kind: str = "text",
    max_lines: int = 1,
    height: float | None = None,
    floor: float | None = None,
) -> Fitted:
    """How ``value`` fits ``width`` (and ``height``) without painting: the lines and size.

    money: shrinks (never below the design minimum), never cut; name: shrinks to
    ``SHRINK`` of its size, then shorter forms of whole words (``fmt.name_variants``);
    title/text: shrinks, then wraps up to ``max_lines``, then ends on whole words + ``…``.
    """
    low = max(MIN_SIZE, size * SHRINK) if floor is None else floor
    low = min(low, size)
    if kind == "money":
        low = min(size, MIN_SIZE if floor is None else floor)
        last = size
        for s in _sizes(scale, size, low):
            last = s
            if scale.metrics(s, weight).horizontalAdvance(value) <= width:
                break
        return Fitted((value,), last, False)
    if kind == "name":
        variants = fmt.name_variants(value)
        for form in variants:
            for s in _sizes(scale, size, low):
                if scale.metrics(s, weight).horizontalAdvance(form) <= width:
                    return Fitted((form,), s, False)
        short = variants[-1]
        for s in _sizes(scale, low, min(low, MIN_SIZE)):
            if scale.metrics(s, weight).horizontalAdvance(short) <= width:
                return Fitted((short,), s, False)
        fm = scale.metrics(min(low, MIN_SIZE), weight)
        shown = fm.elidedText(short, Qt.TextElideMode.ElideRight, int(width))
        return Fitted((shown,), min(low, MIN_SIZE), shown != short)
    for lines_n in range(1, max_lines + 1):
        for s in _sizes(scale, size, low):
            fm = scale.metrics(s, weight)
            lines = _wrap(fm, value, width) if lines_n > 1 else [value]
            if (
                len(lines) <= lines_n
                and all(fm.horizontalAdvance(ln) <= width for ln in lines)
                and (height is None or lines_n == 1 or fm.height() * len(lines) <= height)
            ):
                return Fitted(tuple(lines), s, False)
    fm = scale.metrics(low, weight)
    if max_lines > 1 and (height is None or fm.height() * max_lines <= height):
        lines = _wrap(fm, value, width)
        head = lines[: max_lines - 1]
        rest = " ".join(lines[max_lines - 1 :])
        head = [
            ln if fm.horizontalAdvance(ln) <= width else _elide_words(fm, ln, width) for ln in head
        ]
        return Fitted((*head, _elide_words(fm, rest, width)), low, True)
    return Fitted((_elide_words(fm, value, width),), low, True)


def fit(
    p: QPainter,
    scale: Scale,
    rect: QRectF,
    value: str,
    size: float,
    color: QColor,
    *,
    weight: int = 400,
    align: Qt.AlignmentFlag = LEFT,
    kind: str = "text",
    max_lines: int = 1,
    floor: float | None = None,
) -> Fitted:
    """Draw ``value`` in ``rect`` as ``layout`` fits it; returns the fitting."""
    f = layout(
        scale,
        value,
        size,
        rect.width(),
        weight=weight,
        kind=kind,
        max_lines=max_lines,
        height=rect.height(),
        floor=floor,
    )
    p.setFont(scale.font(f.size, weight))
    p.setPen(color)
    if len(f.lines) == 1:
        p.drawText(rect, int(align) | int(Qt.TextFlag.TextSingleLine), f.lines[0])
    else:
        fm = scale.metrics(f.size, weight)
        h = fm.height()
        top = rect.y() + (rect.height() - h * len(f.lines)) / 2
        horiz = align & ~Qt.AlignmentFlag.AlignVertical_Mask
        for i, ln in enumerate(f.lines):
            r = QRectF(rect.x(), top + i * h, rect.width(), h)
            p.drawText(
                r, int(horiz | Qt.AlignmentFlag.AlignVCenter) | int(Qt.TextFlag.TextSingleLine), ln
            )
    if _recorder is not None:
        _recorder.append(
            Drawn(kind, value, f.lines, QRectF(rect), scale.px(f.size), weight, f.elided)
        )
    return f


def text(
    p: QPainter,
    scale: Scale,
    rect: QRectF,
    value: str,
    size: float,
    color: QColor,
    *,
    weight: int = 400,
    align: Qt.AlignmentFlag = LEFT,
) -> float:
    """One line of plain text, shrunk (then ended on whole words) to fit; returns the
    drawn width. ``fit`` with a ``kind`` for money, names and titles."""
    f = fit(p, scale, rect, value, size, color, weight=weight, align=align)
    return float(scale.metrics(f.size, weight).horizontalAdvance(f.lines[0]))


def wrapped(
    p: QPainter,
    scale: Scale,
    rect: QRectF,
    value: str,
    size: float,
    color: QColor,
    *,
    weight: int = 400,
) -> None:
    """Plain text wrapped on word boundaries, centred (empty states, descriptions)."""
    fm = scale.metrics(size, weight)
    lines = max(1, int(rect.height() // fm.height()))
    fit(p, scale, rect, value, size, color, weight=weight, align=CENTER, max_lines=lines)


def rounded(p: QPainter, rect: QRectF, radius: float, color: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawRoundedRect(rect, radius, radius)


def chip(
    p: QPainter,
    scale: Scale,
    x: float,
    y: float,
    h: float,
    label: str,
    color: QColor,
    *,
    size: float = 28,
    right_align: bool = False,
) -> float:
    """A pill with a tinted background; returns its width. ``x`` is its right edge when
    ``right_align``."""
    fm = scale.metrics(size, 600)
    w = fm.horizontalAdvance(label) + scale.px(24)
    left = x - w if right_align else x
    bg = QColor(color)
    bg.setAlphaF(0.18)
    rounded(p, QRectF(left, y, w, h), h / 2, bg)
    text(p, scale, QRectF(left, y, w, h), label, size, color, weight=600, align=CENTER)
    return float(w)


def panel_path(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


class TvWidget(QWidget):
    """Base of the TV's painted widgets: transparent, scale-aware, no focus, no mouse."""

    def __init__(self, scale: Scale, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = scale
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_scale(self, scale: Scale) -> None:
        self.scale = scale
        self.update()

    def paint_panel(self, p: QPainter) -> None:
        rounded(p, QRectF(self.rect()), self.scale.px(20), PANEL)
