"""Nothing a viewer needs is cut off: the TV at 720p, 1080p and 4K with long names, long
titles and big money draws every name and amount whole, inside its rect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from winroom_desktop.state import format as fmt
from winroom_desktop.state.sample import board, queue_item, sample_responses
from winroom_desktop.state.snapshot import (
    ACHIEVEMENTS,
    CHALLENGES,
    GOALS,
    PROMOTIONS,
    QUEUE,
    board_path,
    snapshot_from_http,
)

NOW = datetime.now(UTC)
LONG_NAMES = [
    "Şükrü Çağlar Öztürkoğlu",
    "Fatimah Al-Otaibi Abdulrahman",
    "عبد الرحمن بن عبد العزيز",
    "Jürgen Größmann-Überschall",
]
BIG = "1234567.89"


def long_responses() -> dict[str, Any]:
    r = sample_responses(NOW, queue_size=6)
    r[QUEUE] = {
        "items": [
            queue_item(
                i,
                NOW,
                revenue_usd=BIG,
                customer={"name": LONG_NAMES[i % 4], "email": "abdulrahman.long@example.com"},
                campaign={"id": 1, "name": "Enterprise Seats Winback Spring Campaign"},
            )
            for i in range(6)
        ]
    }
    for name in ("revenue", "wins", "margin", "conversion"):
        for period in ("today", "15d", "month"):
            b = board(name, period)
            for k, e in enumerate(b["entries"]):
                e["name"] = LONG_NAMES[k % 4] if k < 4 else e["name"]
                if name in ("revenue", "margin"):
                    e["value"] = BIG
                elif name == "wins":
                    e["value"] = 12345
            r[board_path(name, period)] = b
    r[GOALS] = {
        "goals": [
            {
                "id": 1,
                "title": "Bugün $20.000 ciro hedefimiz",
                "period": "day",
                "target_type": "revenue",
                "target": "2000000.00",
                "value": BIG,
                "percent": 0.61,
            },
            {
                "id": 2,
                "title": "Ay sonu $400.000 ciro hedefi",
                "period": "month",
                "target_type": "revenue",
                "target": "4000000.00",
                "value": BIG,
                "percent": 0.3,
            },
            {
                "id": 3,
                "title": "Monthly wins",
                "period": "month",
                "target_type": "count",
                "target": 4000,
                "value": 2510,
                "percent": 0.6,
            },
        ]
    }
    achs = r[ACHIEVEMENTS]["achievements"]
    for k, a in enumerate(achs):
        a["title"] = "Top 3 Achiever of the Month" if k % 2 == 0 else "$1,234,567.89 quarter"
        a["seller_name"] = LONG_NAMES[k % 4]
    r[PROMOTIONS]["promotions"][0]["body"] = (
        "Her satış 15:00'e kadar iki kat puan sayılır — every claim until 15:00 counts twice, "
        "jackpots count three times and the leader at 18:00 gets a spin of the wheel"
    )
    r[CHALLENGES]["challenges"][0]["title"] = "3 upgrades before lunch and a jackpot after"
    return r


def _settle(window: Any) -> None:
    from winroom_desktop.views.frameclock import now_ms

    t = now_ms() + 1e6
    window.board.tick(t)
    window.goals.tick(t)
    window.queue.tick(t)
    window.stories.tick(t)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (3840, 2160)])
def test_no_money_or_name_is_cut(qtbot: Any, size: tuple[int, int]) -> None:
    from winroom_desktop.state.tvsettings import TvSettings
    from winroom_desktop.views.tv.paint import recording
    from winroom_desktop.views.tv.window import TvWindow

    window = TvWindow(TvSettings(rotate_seconds=15))
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.set_connection("connected", NOW)
    window.show_state(snapshot_from_http(long_responses()))
    drawn = []
    for _ in window.rotation.playlist:
        window.rotate_board()
        _settle(window)
        with recording() as frame:
            window.content.grab()
        drawn += frame
    assert drawn, "the helpers recorded nothing"
    money = fmt.money_card(BIG)
    for d in drawn:
        assert d.fits(), f"{d.kind} {d.lines} does not fit {d.rect} at {d.px}px"
        if d.kind in ("money", "name"):
            assert not d.elided and not any("…" in ln for ln in d.lines), d
        if d.kind == "name":
            assert d.lines[0] in fmt.name_variants(d.value), d
        if d.kind == "money":
            assert d.lines == (d.value,)
        if d.kind in ("title", "text"):
            # no name or amount hides in a plain text that may be shortened
            assert not (d.elided and (d.value == money or d.value in LONG_NAMES)), d
    assert {"money", "name", "title"} <= {d.kind for d in drawn}
    assert any(d.kind == "money" and d.value == money for d in drawn)
    # names shrink first: the design's name sizes are kept within SHRINK
    names = [d for d in drawn if d.kind == "name"]
    assert {d.value for d in names} >= set(LONG_NAMES)
    # goal and achievement titles wrap to two lines rather than being cut
    titles = [d for d in drawn if d.kind == "title"]
    assert any(len(d.lines) == 2 for d in titles)
    assert not [d for d in titles if d.elided], [d.lines for d in titles if d.elided]


def test_names_shorten_to_whole_words() -> None:
    v = fmt.name_variants
    assert v("Zeynep Demir") == ["Zeynep Demir", "Zeynep D.", "Zeynep"]
    assert v("Şükrü Çağlar Öztürkoğlu") == ["Şükrü Çağlar Öztürkoğlu", "Şükrü Ö.", "Şükrü"]
    assert v("Fatimah Al-Otaibi Abdulrahman")[1] == "Fatimah A."
    assert v("Jürgen Größmann-Überschall")[1] == "Jürgen G."
    assert v("Fatimah al-Otaibi")[1] == "Fatimah O."
    # Arabic script: no initials; never ending on a word that binds to the next
    assert v("عبد الرحمن بن عبد العزيز") == ["عبد الرحمن بن عبد العزيز", "عبد الرحمن"]
    assert v("Abu Bakr Siddiq") == ["Abu Bakr Siddiq", "Abu Bakr S.", "Abu Bakr"]
    assert v("Cher") == ["Cher"]
    assert v("  Ayşe   Yılmaz ") == ["Ayşe Yılmaz", "Ayşe Y.", "Ayşe"]
    assert v(None) == [""]


def test_fitting_rules(qtbot: Any) -> None:
    from winroom_desktop.views.theme import Scale
    from winroom_desktop.views.tv.paint import MIN_SIZE, layout

    s = Scale(1920, 1080)
    # money shrinks, never cut, never below the design minimum
    m = layout(s, "$1,234,567.89", 46, 300, weight=700, kind="money")
    assert m.lines == ("$1,234,567.89",) and MIN_SIZE <= m.size < 46 and not m.elided
    # a name first shrinks a little, then becomes first name + initial
    n = layout(s, "Zeynep Demir", 40, 290, weight=600, kind="name")
    assert n.lines == ("Zeynep Demir",) and n.size < 40
    n = layout(s, "Zeynep Demir", 40, 220, weight=600, kind="name")
    assert n.lines == ("Zeynep D.",)
    # a title wraps to two lines; one too long for two ends on whole words with "…"
    t = layout(s, "Ay sonu $400.000 ciro", 30, 250, weight=600, kind="title", max_lines=2)
    assert len(t.lines) == 2 and " ".join(t.lines) == "Ay sonu $400.000 ciro" and not t.elided
    long = "Ay sonu dört yüz bin dolar ciro ve dört yüz satış hedefi hep birlikte"
    t = layout(s, long, 30, 250, weight=600, kind="title", max_lines=2)
    assert len(t.lines) == 2 and t.lines[1].endswith("…") and t.elided
    assert all(w in long.split() for w in t.lines[1].rstrip("…").split())


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (3840, 2160)])
def test_achievement_strip_shows_whole_cards(qtbot: Any, size: tuple[int, int]) -> None:
    """At rest (between slides), every card on the strip is whole: none cut at the edge."""

    from winroom_desktop.views.frameclock import FrameClock
    from winroom_desktop.views.theme import PANEL_HI, Scale
    from winroom_desktop.views.tv.stories import CARD_W, StoriesStrip

    s = Scale(*size)
    clock = FrameClock()
    strip = StoriesStrip(s, clock)
    qtbot.addWidget(strip)
    try:
        _check_whole_cards(strip, s, CARD_W, PANEL_HI)
    finally:
        clock.stop()


def _check_whole_cards(strip: Any, s: Any, card_w: int, panel: Any) -> None:
    from PySide6.QtGui import QColor

    from winroom_desktop.state.models import Achievement
    from winroom_desktop.views.frameclock import now_ms

    size = (s.width, s.height)
    strip.resize(round(size[0] * 0.9), s.px(196))
    strip.set_items(
        tuple(Achievement(40 - k, k, "Ayşe Yılmaz", "badge", "Rising Star") for k in range(12))
    )
    want = QColor(panel)
    for step in range(10):
        if step:
            strip.advance()
        strip.tick(now_ms() + 1e6)
        img = strip.grab().toImage()
        y = s.px(44) + s.px(6) + s.px(4)
        runs, run = [], 0
        for x in range(img.width()):
            c = img.pixelColor(x, y)
            card = (
                abs(c.red() - want.red()) + abs(c.green() - want.green()) < 24 and c.alpha() > 200
            )
            if card:
                run += 1
            elif run:
                runs.append(run)
                run = 0
        if run:
            runs.append(run)
        assert runs, "no card painted"
        # rounded corners shave a few pixels off each run
        assert min(runs) >= s.px(card_w) - s.px(40), (step, runs)
