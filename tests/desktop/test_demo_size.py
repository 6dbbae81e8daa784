"""``winroom demo``: the TV's screenshot is exactly 1920×1080 logical px unless ``--size``
says otherwise, on any platform, offscreen included (CONTRACT §1). The backend is replaced by a stand-in:
the TV then shows the server unreachable, at the right size."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from winroom_desktop.cli import build_parser
from winroom_desktop.demo import tv_arguments


def _demo_args(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["demo", *extra])


def test_headless_the_tv_is_1920x1080_by_default(tmp_path: Path) -> None:
    info = {"server": "http://127.0.0.1:9", "tv_token": "t"}
    args = tv_arguments(_demo_args(), info, "http://127.0.0.1:9", tmp_path, True)
    assert args.size == (1920, 1080)


def test_on_a_display_the_tv_is_sized_as_any_tv_window(tmp_path: Path) -> None:
    # no size of the demo's own: tv_app.show_window gives a screenshot exactly 1920×1080
    # (test_demo_screenshot_of_the_tv_offscreen) and a window one that fits the screen
    info = {"server": "http://127.0.0.1:9", "tv_token": "t"}
    args = tv_arguments(_demo_args(), info, "http://127.0.0.1:9", tmp_path, False)
    assert args.size is None


@pytest.mark.parametrize("headless", [False, True])
def test_the_tv_follows_size(headless: bool, tmp_path: Path) -> None:
    info = {"server": "http://127.0.0.1:9", "tv_token": "t"}
    args = tv_arguments(_demo_args("--size", "1280x720"), info, "", tmp_path, headless)
    assert args.size == (1280, 720)


# run_demo with the backend subprocess and its readiness replaced: only the TV is real.
_SCRIPT = textwrap.dedent(
    """
    import sys
    import winroom_desktop.demo as demo

    class FakeBackend:
        returncode = None
        def poll(self): return None
        def stop(self, timeout=None): self.returncode = 0; return 0

    async def ready(proc, server, creds, timeout=90.0):
        return {"server": "http://127.0.0.1:9", "tv_token": "t", "sellers": []}

    demo.start_backend = lambda port, root: FakeBackend()
    demo.wait_ready = ready
    from winroom_desktop.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "expected"),
    [([], (1920, 1080)), (["--size", "1280x720"], (1280, 720))],
    ids=["default", "size"],
)
def test_demo_screenshot_of_the_tv_offscreen(
    extra: list[str], expected: tuple[int, int], tmp_path: Path
) -> None:
    out = tmp_path / "demo.png"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")},
        "QT_QPA_PLATFORM": "offscreen",  # set: the platform's own screen is smaller
        "WINROOM_DESKTOP_DATA_DIR": str(tmp_path / "desktop"),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _SCRIPT,
            "demo",
            "--data-dir",
            str(tmp_path / "demo"),
            "--screenshot",
            str(out),
            "--quit-after",
            "1.5",
            *extra,
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert (img.width(), img.height()) == expected
    colours = {
        img.pixel(x, y) for x in range(0, img.width(), 40) for y in range(0, img.height(), 30)
    }
    assert len(colours) > 5, "the screenshot is blank"
