"""Render the TV offscreen into ``docs/screenshots/`` (normal screen, each overlay, the
reconnecting state from a journal, 720p).

    .venv/bin/python scripts/screenshots.py

Each picture is a real ``winroom tv … --screenshot PATH --quit-after S`` run with the
offscreen platform; populated screens use the built-in sample data (``--demo-data``), the
reconnecting one a journal written from that data and a server that cannot be reached.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shoot(name: str, *args: str, data_dir: Path, server: str = "http://127.0.0.1:9") -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WINROOM_DESKTOP_DATA_DIR": str(data_dir)}
    cmd = [
        sys.executable,
        "-m",
        "winroom_desktop.cli",
        "tv",
        "--server",
        server,
        "--token",
        "x",
        "--mute",
        "--screenshot",
        str(OUT / name),
        *args,
    ]
    subprocess.run(cmd, env=env, check=True, timeout=120)
    print(f"  {OUT / name}")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from winroom_desktop.state.journal import Journal
    from winroom_desktop.state.sample import sample_responses
    from winroom_desktop.state.snapshot import snapshot_from_http
    from winroom_desktop.tv_app import journal_path

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        shoot("tv.png", "--demo-data", "--quit-after", "2.5", data_dir=data)
        shoot(
            "tv-720p.png", "--demo-data", "--quit-after", "2.5", "--size", "1280x720", data_dir=data
        )
        for kind in ("streak", "jackpot", "goal", "milestone", "spin"):
            shoot(
                f"tv-overlay-{kind}.png",
                "--demo-data",
                "--overlay",
                kind,
                "--quit-after",
                "4.5",
                data_dir=data,
            )
        shoot(
            "tv-overlay-reel.png",
            "--demo-data",
            "--overlay",
            "reel",
            "--quit-after",
            "3.5",
            data_dir=data,
        )
        server = f"http://127.0.0.1:{closed_port()}"
        saved = datetime.now(UTC) - timedelta(minutes=4)
        state = snapshot_from_http(sample_responses(saved))
        Journal(journal_path(data, server), server=server).save(state, saved_at=saved)
        shoot("tv-reconnecting.png", "--quit-after", "2.5", data_dir=data, server=server)


if __name__ == "__main__":
    main()
