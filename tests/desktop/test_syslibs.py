"""``winroom`` says in one line which system libraries Qt's platform plugin lacks, before
Qt loads (and before ``winroom demo`` starts its backend), instead of Qt's abort."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from winroom_desktop import syslibs
from winroom_desktop.cli import main

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => not found
\tlibxcb-cursor.so.0 => not found
"""


@pytest.mark.parametrize(
    ("env", "platform"),
    [
        ({}, "offscreen"),
        ({"DISPLAY": ":0"}, "xcb"),
        ({"QT_QPA_PLATFORM": "offscreen"}, "offscreen"),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nomitshm"}, "xcb"),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, "wayland"),
        ({"WAYLAND_DISPLAY": "w", "XDG_SESSION_TYPE": "wayland"}, "wayland"),
        ({"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"}, "xcb"),
    ],
)
def test_the_platform_qt_will_pick(env: dict[str, str], platform: str) -> None:
    assert syslibs.qt_platform(env) == platform


def test_missing_libraries_are_named_with_their_packages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(syslibs, "_ldd", lambda path: LDD_MISSING)
    line = syslibs.platform_problem({"DISPLAY": ":0"})
    assert line == (
        "missing system libraries for Qt's xcb platform: libxcb-cursor.so.0 "
        "libxcb-icccm.so.4 libxcb-util.so.1: run 'sudo make system-deps' "
        "(Debian: apt-get install libxcb-cursor0 libxcb-icccm4)"
    )


def test_other_platforms_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(syslibs, "_ldd", lambda path: LDD_MISSING)
    assert syslibs.platform_problem({"QT_QPA_PLATFORM": "wayland"}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd")
@pytest.mark.parametrize("env", [{"DISPLAY": ":0"}, {}], ids=["xcb", "offscreen"])
def test_on_this_machine_the_plugins_load(env: dict[str, str]) -> None:
    path = syslibs.plugin_path(syslibs.qt_platform(env))
    assert path is not None and path.exists()
    assert syslibs.missing_libraries(path) == []
    assert syslibs.platform_problem(env) is None


def _never(*_a: object, **_k: object) -> int:
    raise AssertionError("Qt (or the demo's backend) was started")


@pytest.mark.parametrize(
    "argv",
    [
        ["tv", "--server", "http://127.0.0.1:9", "--token", "t"],
        ["seller", "--server", "http://127.0.0.1:9"],
        ["demo", "--data-dir", "unused"],
    ],
    ids=["tv", "seller", "demo"],
)
def test_winroom_stops_in_one_line_before_qt(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(syslibs, "_ldd", lambda path: LDD_MISSING)
    monkeypatch.setattr("winroom_desktop.tv_app.run_tv", _never)
    monkeypatch.setattr("winroom_desktop.seller_app.run_seller", _never)
    monkeypatch.setattr("winroom_desktop.demo.start_backend", _never)
    monkeypatch.setattr("winroom_desktop.app.run_app", _never)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("winroom: missing system libraries for Qt's xcb platform: ")
    assert "sudo make system-deps" in err
