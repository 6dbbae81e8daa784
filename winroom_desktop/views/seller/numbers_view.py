"""My numbers: metrics with the previous period and ↑↓ %, my ranks, level and XP, badges,
goals with animated bars and challenges with live countdowns. Empty values read "—"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Property, QEasingCurve, QPropertyAnimation, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from winroom_desktop.state.format import money_card, percent
from winroom_desktop.state.models import Challenge, Goal, RoomState
from winroom_desktop.state.seller import (
    PERIOD_LABELS,
    SellerState,
    change_text,
    countdown,
    level_progress,
    my_rank,
)
from winroom_desktop.views import theme
from winroom_desktop.views.seller.queue_view import plain
from winroom_desktop.views.seller.style import hexa

METRICS = (
    ("wins", "Wins"),
    ("revenue", "Revenue"),
    ("margin", "Margin"),
    ("avg_margin_percent", "Avg margin"),
    ("leads", "Leads"),
    ("conversion", "Conversion"),
)
BOARD_LABELS = {"wins": "Wins", "revenue": "Revenue", "margin": "Margin", "conversion": "Conv."}


def metric_value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in ("revenue", "margin"):
        return money_card(value)
    if key in ("avg_margin_percent", "conversion"):
        return percent(value, 1 if key == "conversion" else 0)
    try:
        return f"{int(float(value)):,}"
    except (TypeError, ValueError):
        return str(value)


def goal_value(goal: Goal, which: str) -> str:
    v = goal.value if which == "value" else goal.target
    if goal.target_type in ("revenue", "margin"):
        return money_card(v)
    try:
        return f"{int(float(v)):,}"
    except ValueError:
        return v


class AnimatedBar(QWidget):
    """A progress bar whose fill eases to its new value (600 ms)."""

    def __init__(self, color: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.color = QColor(color)
        self._value = 0.0
        self.target = 0.0
        self._anim = QPropertyAnimation(self, b"value", self)
        self._anim.setDuration(600)
        self._anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self.setFixedHeight(10)

    def get_value(self) -> float:
        return self._value

    def set_value(self, v: float) -> None:
        self._value = v
        self.update()

    value = Property(float, get_value, set_value)

    def animate_to(self, fraction: float) -> None:
        fraction = max(0.0, min(1.0, fraction))
        if abs(fraction - self.target) < 1e-6:
            return
        self.target = fraction
        self._anim.stop()
        self._anim.setStartValue(self._value)
        self._anim.setEndValue(fraction)
        self._anim.start()

    def paintEvent(self, _e: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.LINE)
        p.drawRoundedRect(r, 5, 5)
        if self._value > 0:
            p.setBrush(self.color)
            p.drawRoundedRect(QRectF(0, 0, max(10.0, r.width() * self._value), r.height()), 5, 5)
        p.end()


class MetricTile(QFrame):
    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "tile")
        v = QVBoxLayout(self)
        v.setContentsMargins(12, 10, 12, 10)
        v.setSpacing(2)
        title = QLabel(label.upper())
        title.setProperty("role", "section")
        self.value = QLabel("—")
        self.value.setProperty("role", "big")
        self.previous = QLabel("")
        self.previous.setProperty("role", "dim")
        self.change = QLabel("")
        v.addWidget(title)
        v.addWidget(self.value)
        row = QHBoxLayout()
        row.addWidget(self.change)
        row.addStretch(1)
        row.addWidget(self.previous)
        v.addLayout(row)

    def set_metric(self, key: str, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        self.value.setText(metric_value(key, data.get("value")))
        prev = data.get("previous")
        self.previous.setText(f"before: {metric_value(key, prev)}" if prev is not None else "")
        text, direction = change_text(data.get("change_percent"))
        color = {"up": theme.GOAL, "down": theme.PROBLEM}.get(direction, theme.MUTED)
        self.change.setText(text)
        self.change.setStyleSheet(f"color: {hexa(color)}; font-weight: 700;")


def section(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setProperty("role", "section")
    return label


class GoalRow(QWidget):
    def __init__(self, color: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 2, 0, 2)
        v.setSpacing(3)
        head = QHBoxLayout()
        self.title = plain()
        self.amount = plain()
        self.amount.setProperty("role", "muted")
        head.addWidget(self.title, 1)
        head.addWidget(self.amount)
        v.addLayout(head)
        self.bar = AnimatedBar(color)
        v.addWidget(self.bar)

    def set_goal(self, goal: Goal) -> None:
        name = goal.title or f"{(goal.target_type or 'count').capitalize()} goal"
        period = {"day": "today", "15d": "15 days", "month": "this month"}.get(
            goal.period or "", goal.period or ""
        )
        self.title.setText(f"{name}" + (f"  ·  {period}" if period else ""))
        done = "  ✓" if goal.completed or goal.fraction >= 1 else ""
        self.amount.setText(
            f"{goal_value(goal, 'value')} / {goal_value(goal, 'target')}  "
            f"({min(999, round(goal.fraction * 100))}%){done}"
        )
        self.bar.animate_to(goal.fraction)


class ChallengeRow(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 2, 0, 2)
        v.setSpacing(3)
        head = QHBoxLayout()
        self.title = plain()
        self.title.setStyleSheet("font-weight: 700;")
        self.clock = QLabel("")
        self.clock.setStyleSheet(f"color: {hexa(theme.STREAK)}; font-weight: 700;")
        head.addWidget(self.title, 1)
        head.addWidget(self.clock)
        v.addLayout(head)
        self.desc = plain()
        self.desc.setProperty("role", "muted")
        self.desc.setWordWrap(True)
        v.addWidget(self.desc)
        self.bar = AnimatedBar(theme.MILESTONE)
        v.addWidget(self.bar)
        self.ends_at: str | None = None

    def set_challenge(self, c: Challenge, now: datetime) -> None:
        self.ends_at = c.ends_at
        self.title.setText(c.title + ("  ✓" if c.completed else ""))
        prog = f"{c.progress} / {c.target}" if c.progress is not None else ""
        self.desc.setText("  ·  ".join(t for t in (c.description or "", prog) if t))
        try:
            frac = float(c.progress or 0) / float(c.target) if c.target else 0.0
        except (TypeError, ValueError):
            frac = 0.0
        self.bar.animate_to(1.0 if c.completed else frac)
        self.tick(now)

    def tick(self, now: datetime) -> None:
        left = countdown(self.ends_at, now)
        self.clock.setText(f"⏱ {left}" if left and left != "ended" else left)


class NumbersPanel(QWidget):
    """The "My numbers" tab."""

    period_changed = Signal(str)
    spin_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spin_notice = False
        self._spins_shown = 0
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        v = QVBoxLayout(body)
        v.setContentsMargins(4, 4, 10, 4)
        v.setSpacing(10)

        periods = QHBoxLayout()
        self.period_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for key, label in PERIOD_LABELS.items():
            b = QPushButton(label)
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, k=key: self.period_changed.emit(k))
            group.addButton(b)
            periods.addWidget(b)
            self.period_buttons[key] = b
        self.period_buttons["today"].setChecked(True)
        periods.addStretch(1)
        v.addLayout(periods)

        grid = QGridLayout()
        grid.setSpacing(8)
        self.tiles: dict[str, MetricTile] = {}
        for i, (key, label) in enumerate(METRICS):
            tile = MetricTile(label)
            self.tiles[key] = tile
            grid.addWidget(tile, i // 3, i % 3)
        v.addLayout(grid)

        v.addWidget(section("My rank"))
        ranks = QHBoxLayout()
        self.ranks: dict[str, QLabel] = {}
        for board, label in BOARD_LABELS.items():
            chip = QLabel(f"{label}  —")
            chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.ranks[board] = chip
            ranks.addWidget(chip)
        v.addLayout(ranks)

        v.addWidget(section("Level"))
        lv = QHBoxLayout()
        self.level = QLabel("Level —")
        self.level.setProperty("role", "h2")
        self.points = QLabel("")
        self.points.setProperty("role", "muted")
        self.spin_button = QPushButton("🎡 Spin && win")
        self.spin_button.setEnabled(False)
        self.spin_button.clicked.connect(lambda: self.spin_requested.emit())
        self.spin_text = QLabel("Complete a challenge or top today's board to earn a spin.")
        self.spin_text.setTextFormat(Qt.TextFormat.PlainText)
        self.spin_text.setProperty("role", "dim")
        lv.addWidget(self.level)
        lv.addSpacing(12)
        lv.addWidget(self.spin_button)
        lv.addWidget(self.spin_text, 1)
        lv.addWidget(self.points)
        v.addLayout(lv)
        self.xp = AnimatedBar(theme.MILESTONE)
        v.addWidget(self.xp)
        self.xp_text = QLabel("")
        self.xp_text.setProperty("role", "dim")
        v.addWidget(self.xp_text)

        v.addWidget(section("Badges"))
        self.badges = QLabel("No badges yet — your first claim earns one.")
        self.badges.setTextFormat(Qt.TextFormat.PlainText)
        self.badges.setWordWrap(True)
        self.badges.setProperty("role", "muted")
        v.addWidget(self.badges)
        v.addStretch(1)

    def show_spin_notice(self, text: str) -> None:
        """Why a spin did not happen, until the next spin earned."""
        self._spin_notice = True
        self.spin_text.setText(text)

    def set_state(self, room: RoomState, seller: SellerState) -> None:
        period = seller.period
        self.period_buttons[period].setChecked(True)
        data = seller.metrics.get(period, {})
        for key, tile in self.tiles.items():
            tile.set_metric(key, data.get(key))
        me_id = seller.me.id if seller.me else None
        for board, chip in self.ranks.items():
            rank, total = my_rank(room, board, period, me_id)
            label = BOARD_LABELS[board]
            if rank is None:
                chip.setText(f"{label}  —")
                chip.setStyleSheet(
                    f"background: {hexa(theme.PANEL)}; border: 1px solid {hexa(theme.LINE)};"
                    " border-radius: 8px; padding: 6px;"
                )
            else:
                chip.setText(f"{label}  #{rank} of {total}")
                color = theme.JACKPOT if rank == 1 else theme.NEW_SALE
                chip.setStyleSheet(
                    f"background: {hexa(theme.PANEL_HI)}; border: 2px solid {hexa(color)};"
                    f" color: {hexa(color)}; border-radius: 8px; padding: 6px; font-weight: 700;"
                )
        spins = sum(1 for sp in seller.spins if sp.unused)
        self.spin_button.setEnabled(spins > 0)
        self.spin_button.setText(f"🎡 Spin && win ({spins})" if spins else "🎡 Spin && win")
        self.spin_button.setStyleSheet(
            f"color: {hexa(theme.JACKPOT)}; border: 2px solid {hexa(theme.JACKPOT)};"
            " font-weight: 800;"
            if spins
            else ""
        )
        if spins > self._spins_shown:  # a notice stays until a new spin is earned
            self._spin_notice = False
        self._spins_shown = spins
        if self._spin_notice:
            pass
        elif spins:
            self.spin_text.setText(f"{spins} spin{'s' if spins != 1 else ''} to spend")
        else:
            self.spin_text.setText("Complete a challenge or top today's board to earn a spin.")
        level, xp, need, frac = level_progress(seller.points)
        pts = seller.points.get("points")
        self.level.setText(f"Level {level}")
        self.points.setText(f"{int(pts or 0):,} points" if pts is not None else "")
        self.xp.animate_to(frac)
        self.xp_text.setText(f"{xp:,} XP  ·  {max(0, need - xp):,} XP to level {level + 1}")
        if seller.badges:
            self.badges.setText(
                "   ".join(
                    f"{b.get('emoji') or '🏅'} {b.get('name') or b.get('code')}"
                    for b in seller.badges
                )
            )
            self.badges.setProperty("role", "")
        self.badges.style().polish(self.badges)


class GoalsPanel(QWidget):
    """Personal and team goals, and active challenges with live countdowns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        self._v = QVBoxLayout(body)
        self._v.setContentsMargins(4, 4, 10, 4)
        self._v.setSpacing(8)
        self._v.addWidget(section("My goals"))
        self.personal = QVBoxLayout()
        self._v.addLayout(self.personal)
        self.no_personal = QLabel("No personal goal set for now.")
        self.no_personal.setProperty("role", "muted")
        self._v.addWidget(self.no_personal)
        self._v.addWidget(section("Team goals"))
        self.team = QVBoxLayout()
        self._v.addLayout(self.team)
        self.no_team = QLabel("No team goal set for now.")
        self.no_team.setProperty("role", "muted")
        self._v.addWidget(self.no_team)
        self._v.addWidget(section("Challenges"))
        self.challenges = QVBoxLayout()
        self._v.addLayout(self.challenges)
        self.no_challenges = QLabel("No active challenge right now.")
        self.no_challenges.setProperty("role", "muted")
        self._v.addWidget(self.no_challenges)
        self._v.addStretch(1)
        self._rows: dict[tuple[str, int], QWidget] = {}
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self.tick)
        self.clock.start()
        self.now_fn = lambda: datetime.now(UTC)

    def _sync(self, layout: QVBoxLayout, kind: str, items: list[Any], make: Any) -> None:
        keep = {(kind, it.id) for it in items}
        for key in [k for k in self._rows if k[0] == kind and k not in keep]:
            w = self._rows.pop(key)
            layout.removeWidget(w)
            w.deleteLater()
        for it in items:
            key = (kind, it.id)
            if key not in self._rows:
                self._rows[key] = make()
                layout.addWidget(self._rows[key])

    def set_state(self, room: RoomState) -> None:
        now = self.now_fn()
        self._sync(self.personal, "p", list(room.personal_goals), lambda: GoalRow(theme.GOAL))
        self._sync(self.team, "t", list(room.team_goals), lambda: GoalRow(theme.NEW_SALE))
        self._sync(self.challenges, "c", list(room.challenges), ChallengeRow)
        for g in room.personal_goals:
            self._rows[("p", g.id)].set_goal(g)  # type: ignore[attr-defined]
        for g in room.team_goals:
            self._rows[("t", g.id)].set_goal(g)  # type: ignore[attr-defined]
        for c in room.challenges:
            self._rows[("c", c.id)].set_challenge(c, now)  # type: ignore[attr-defined]
        self.no_personal.setVisible(not room.personal_goals)
        self.no_team.setVisible(not room.team_goals)
        self.no_challenges.setVisible(not room.challenges)

    def tick(self) -> None:
        now = self.now_fn()
        for (kind, _id), row in self._rows.items():
            if kind == "c":
                row.tick(now)  # type: ignore[attr-defined]

    def countdown_texts(self) -> list[str]:
        return [r.clock.text() for (k, _), r in self._rows.items() if k == "c"]  # type: ignore[attr-defined]
