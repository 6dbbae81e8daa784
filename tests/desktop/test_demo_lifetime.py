"""``winroom demo``'s backend never outlives it, however it ends: kill -9, a Qt abort
(SIGABRT, here from a platform plugin that does not exist), SIGTERM. Each run waits for the
backend to serve (so there is a child to outlive it), ends the parent, then waits for the
port to be free and no process of the demo to remain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.processes import (
    children_of,
    kill_all,
    pids_with,
    port_free,
    port_open,
    wait_for,
)
from winroom_desktop.demo import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc"),
]
STARTUP_S = 90
GONE_S = 30


class Demo:
    def __init__(self, tmp_path: Path, platform: str) -> None:
        self.port = free_port()
        self.data = tmp_path / "demo"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")},
            "QT_QPA_PLATFORM": platform,
            "WINROOM_DESKTOP_DATA_DIR": str(tmp_path / "desktop"),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "winroom_desktop.cli",
                "demo",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data),
            ],
            env=env,
            cwd=tmp_path,  # a core dump of the abort, if any, stays in the test's dir
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def leftovers(self) -> list[int]:
        return pids_with(str(self.data))

    def assert_nothing_left(self) -> None:
        wait_for(lambda: port_free(self.port), GONE_S, f"port {self.port} free")
        wait_for(lambda: not self.leftovers(), GONE_S, f"no process left: {self.leftovers()}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    d = Demo(tmp_path, "offscreen")
    try:
        wait_for(
            lambda: port_open(d.port) or d.proc.poll() is not None,
            STARTUP_S,
            "the demo backend serving",
        )
        assert d.proc.poll() is None, d.proc.communicate()[1]
        yield d
    finally:
        kill_all([d.proc.pid, *d.leftovers()])  # never leave a demo running on failure
        d.proc.wait()
        if d.proc.stderr is not None:
            d.proc.stderr.close()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGABRT], ids=["kill-9", "abort"])
def test_killing_the_parent_leaves_no_child(demo: Demo, sig: int) -> None:
    backend = children_of(demo.proc.pid)
    assert len(backend) == 1, "the demo's one child is the backend"
    assert children_of(backend[0]) == [], "winroom-backend demo is threads only"
    os.kill(demo.proc.pid, sig)
    assert demo.proc.wait(timeout=GONE_S) == -sig
    demo.assert_nothing_left()


def test_sigterm_stops_the_demo_and_its_backend(demo: Demo) -> None:
    os.kill(demo.proc.pid, signal.SIGTERM)
    assert demo.proc.wait(timeout=GONE_S) == 128 + signal.SIGTERM
    demo.assert_nothing_left()


def test_a_qt_abort_at_startup_leaves_no_backend(tmp_path: Path) -> None:
    # the platform plugin cannot load: Qt aborts while creating the QApplication, after the
    # backend was started (the first-run report); the syslibs check does not cover it
    d = Demo(tmp_path, "no-such-platform")
    try:
        _, err = d.proc.communicate(timeout=STARTUP_S)
        assert d.proc.returncode == -signal.SIGABRT, err
        assert b"no-such-platform" in err
        d.assert_nothing_left()
    finally:
        kill_all([d.proc.pid, *d.leftovers()])
        d.proc.wait()


def test_ctrl_c_once_the_tv_is_live_ends_in_order(demo: Demo, tmp_path: Path) -> None:
    """python-engineio's client took Ctrl+C for itself once connected (it cancelled every
    task: a CancelledError traceback and exit 1); the app handles it: 130, no traceback."""
    journals = tmp_path  # the demo keeps the TV's journal in its own data dir
    wait_for(lambda: any(journals.rglob("*journal*.json")), STARTUP_S, "the TV live (its journal)")
    os.kill(demo.proc.pid, signal.SIGINT)
    assert demo.proc.wait(timeout=GONE_S) == 128 + signal.SIGINT
    assert demo.proc.stderr is not None
    err = demo.proc.stderr.read().decode(errors="replace")
    assert "Traceback" not in err and "CancelledError" not in err, err
    demo.assert_nothing_left()
