"""The serve command freezes the startup heap out of the cyclic collector's sight and runs
full collections at quiet moments; nothing else does (tests and the demo host the server in
a thread of a bigger process)."""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import backend.server as server_mod
from backend.runtime import Database
from backend.server import serve_command
from tests.backend.realtime.support import make_settings

ROOT = Path(__file__).resolve().parents[3]


def test_serve_command_builds_the_app_with_freeze_gc(
    tmp_path: Path, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []

    class FakeServer:
        def __init__(self, config: Any) -> None:
            self.config = config
            self.started = False

        def run(self) -> None:
            served.append(self.config.app)
            self.started = True

    monkeypatch.setattr(server_mod, "_Server", FakeServer)
    settings = make_settings(tmp_path, sqlite_db)
    args = argparse.Namespace(host="127.0.0.1", port=0, no_worker=True)

    assert serve_command(settings, args) == 0

    [app] = served
    assert app.winroom.freeze_gc is True
    assert app.winroom.worker is False
    assert gc.get_freeze_count() == 0  # built, never started: this process is not frozen


SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, sys
    from pathlib import Path

    from backend.server import build
    from backend.settings import load_settings

    app = build(load_settings(data_dir=Path(sys.argv[1])))
    app.freeze_gc = sys.argv[2] == "1"

    before = gc.get_threshold()
    during = []

    async def main():
        await app.startup()
        during.append(gc.get_threshold())
        await app.shutdown()

    asyncio.run(main())
    app.ctx.db.dispose()
    print(during[0][2] != before[2], gc.get_threshold() == before)
    print(gc.get_freeze_count())
    """
)


@pytest.mark.parametrize("freeze", [True, False])
def test_startup_freezes_the_heap_only_when_asked(tmp_path: Path, freeze: bool) -> None:
    # a subprocess: gc.freeze() is process-wide and would stay in force for every later test
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), "1" if freeze else "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    *_, moved, frozen = out.stdout.strip().splitlines()
    # the serving process runs its full collections itself (backend.quiet_gc) while it
    # serves, and gives the collector its thresholds back at shutdown
    assert moved == ("True True" if freeze else "False True")
    if freeze:
        assert int(frozen) > 10_000  # the imports and the app: well over 100k in practice
    else:
        assert int(frozen) == 0
    assert (tmp_path / "winroom.db").exists()
