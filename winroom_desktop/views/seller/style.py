"""The seller window's look: the TV's colours (``views.theme``), denser type (13–15 px)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

from winroom_desktop.views import theme

FAMILY = theme.FAMILY
BODY_PX = 14

STATUS_COLORS = {
    "online": theme.GOAL,
    "away": theme.WARNING,
    "offline": theme.DIM,
}
PHASE_COLORS = {
    "claiming": theme.NEW_SALE,
    "retrying": theme.WARNING,
    "claimed": theme.GOAL,
    "lost": theme.MUTED,
    "failed": theme.WARNING,
}
NOTICE_COLORS = {
    "warning": theme.WARNING,
    "rejected": theme.WARNING,
    "muted": theme.PROBLEM,
    "error": theme.WARNING,
}
OBJECTION_COLORS = {"pending": theme.WARNING, "accepted": theme.GOAL, "rejected": theme.DIM}


def hexa(color: QColor) -> str:
    return color.name(QColor.NameFormat.HexRgb)


def font(px: int = BODY_PX, weight: int = 400) -> QFont:
    f = QFont(FAMILY)
    f.setPixelSize(px)
    f.setWeight(QFont.Weight(weight))
    return f


def stylesheet() -> str:
    bg, panel, hi, line = (hexa(c) for c in (theme.BG, theme.PANEL, theme.PANEL_HI, theme.LINE))
    text, muted, dim = hexa(theme.TEXT), hexa(theme.MUTED), hexa(theme.DIM)
    blue, info = hexa(theme.NEW_SALE), hexa(theme.INFO)
    return f"""
    QWidget {{ background: {bg}; color: {text}; font-family: "{FAMILY}"; font-size: {BODY_PX}px; }}
    QLabel {{ background: transparent; }}
    QLabel[role="muted"] {{ color: {muted}; }}
    QLabel[role="dim"] {{ color: {dim}; font-size: 12px; }}
    QLabel[role="h1"] {{ font-size: 18px; font-weight: 700; }}
    QLabel[role="h2"] {{ font-size: 15px; font-weight: 700; color: {text}; }}
    QLabel[role="section"] {{ font-size: 12px; font-weight: 700; color: {muted};
        letter-spacing: 1px; }}
    QLabel[role="big"] {{ font-size: 24px; font-weight: 700; }}
    QFrame[role="card"] {{ background: {panel}; border: 1px solid {line}; border-radius: 10px; }}
    QFrame[role="card"][jackpot="true"] {{ border: 1px solid {hexa(theme.JACKPOT)}; }}
    QFrame[role="tile"] {{ background: {panel}; border: 1px solid {line}; border-radius: 8px; }}
    QFrame[role="bar"] {{ background: {panel}; border-bottom: 1px solid {line}; }}
    QScrollArea {{ border: none; background: transparent; }}
    QScrollArea > QWidget > QWidget {{ background: transparent; }}
    QScrollBar:vertical {{ background: {bg}; width: 10px; margin: 0; }}
    QScrollBar::handle:vertical {{ background: {line}; border-radius: 5px; min-height: 24px; }}
    QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; }}
    QPushButton, QToolButton {{ background: {hi}; border: 1px solid {line}; border-radius: 6px;
        padding: 5px 10px; }}
    QPushButton:hover, QToolButton:hover {{ border-color: {blue}; }}
    QPushButton:focus, QToolButton:focus, QComboBox:focus, QLineEdit:focus,
    QPlainTextEdit:focus, QSpinBox:focus {{ border: 2px solid {info}; }}
    QPushButton:checked, QToolButton:checked {{ background: {blue}; border-color: {blue}; }}
    QPushButton:disabled {{ color: {dim}; }}
    QPushButton[role="primary"] {{ background: {blue}; border-color: {blue}; font-weight: 700; }}
    QComboBox, QLineEdit, QPlainTextEdit, QSpinBox {{ background: {hi}; border: 1px solid {line};
        border-radius: 6px; padding: 4px 8px; selection-background-color: {blue}; }}
    QComboBox QAbstractItemView {{ background: {hi}; border: 1px solid {line};
        selection-background-color: {blue}; }}
    QTabWidget::pane {{ border: none; }}
    QTabBar::tab {{ background: transparent; color: {muted}; padding: 8px 14px;
        border-bottom: 2px solid transparent; font-weight: 600; }}
    QTabBar::tab:selected {{ color: {text}; border-bottom: 2px solid {blue}; }}
    QTabBar::tab:focus {{ color: {info}; }}
    QTableWidget {{ background: {panel}; gridline-color: {line}; border: 1px solid {line};
        border-radius: 6px; }}
    QHeaderView::section {{ background: {hi}; color: {muted}; border: none; padding: 6px;
        font-weight: 700; }}
    QToolTip {{ background: {hi}; color: {text}; border: 1px solid {line}; }}
    QMenu {{ background: {hi}; border: 1px solid {line}; }}
    QMenu::item:selected {{ background: {blue}; }}
    QSplitter::handle {{ background: {line}; }}
    QLabel[role="problem"] {{ color: {hexa(theme.PROBLEM)}; font-size: 12px; }}
    QLabel[chip="jackpot"] {{ {chip_style(theme.JACKPOT, filled=True)} }}
    {card_rules()}
    """


def tone(color: QColor) -> str:
    """A colour as a style-sheet property value (``QLabel[tone="…"]``)."""
    return hexa(color).lstrip("#")


def card_rules() -> str:
    """Queue-card status lines as window-level rules, one per colour they can take, so a card
    does not carry a style sheet of its own for them."""
    tones = {tone(c): c for c in (*PHASE_COLORS.values(), theme.MUTED)}
    rules = [
        f'QLabel[tone="{k}"] {{ color: {hexa(c)}; font-weight: 700; }}' for k, c in tones.items()
    ]
    return "\n    ".join(sorted(rules))


def set_style_prop(widget: QWidget, name: str, value: str) -> None:
    """Set a property the window's style sheet selects on; re-polish only when it changed.
    (Re-polishing applies colours and fonts, not padding or borders: boxes use ``set_sheet``.)"""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def set_sheet(widget: QWidget, sheet: str) -> None:
    """``setStyleSheet`` only when the sheet differs (each call re-polishes the widget)."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def chip_style(color: QColor, filled: bool = False) -> str:
    c = hexa(color)
    if filled:
        return (
            f"background: {c}; color: {hexa(theme.BG)}; border-radius: 9px; padding: 1px 8px;"
            " font-size: 12px; font-weight: 700;"
        )
    bg = QColor(color)
    bg.setAlphaF(0.16)
    return (
        f"background: rgba({bg.red()},{bg.green()},{bg.blue()},40); color: {c};"
        f" border: 1px solid {c}; border-radius: 9px; padding: 1px 8px; font-size: 12px;"
        " font-weight: 700;"
    )
