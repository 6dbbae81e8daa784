"""``winroom`` command line: one-line errors, and ``--screenshot`` with no server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from winroom_desktop.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["tv"],
        ["tv", "--server", "ftp://x", "--token", "t"],
        ["tv", "--server", "http://x", "--token", "t", "--size", "big"],
        ["tv", "--server", "http://x", "--token", "t", "--overlay", "fireworks"],
        ["tv", "--server", "http://x", "--token", "t", "--quit-after", "-1"],
        ["demo", "--port", "99999"],
        ["nonsense"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("winroom: error: ")


def test_missing_app_mode_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib

    real = importlib.import_module

    def fake(name: str, *a: object) -> object:
        if name == "winroom_desktop.admin_app":
            raise ImportError(name)
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", fake)
    assert main(["admin", "--server", "http://127.0.0.1:9"]) == 1
    assert capsys.readouterr().err == "winroom: the admin app is not available in this build\n"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_screenshot_with_the_server_unreachable(tmp_path: Path) -> None:
    out = tmp_path / "tv.png"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "WINROOM_DESKTOP_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "winroom_desktop.cli",
            "tv",
            "--server",
            f"http://127.0.0.1:{_closed_port()}",
            "--token",
            "x",
            "--screenshot",
            str(out),
            "--quit-after",
            "1.5",
            "--mute",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert (img.width(), img.height()) == (1920, 1080)
