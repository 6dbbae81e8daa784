"""``backend.childproc``: a child of ``spawn`` stops when its parent is gone, through the
lifeline pipe alone, the Linux parent-death signal alone, or at once when the parent died
before the child could set it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from backend.childproc import PARENT_PID_ENV, spawn
from tests.helpers.processes import alive, kill_all, wait_for

ROOT = Path(__file__).resolve().parents[2]
# a child that watches its parent, says so, then would sleep for a minute
CHILD = textwrap.dedent(
    """
    import sys, time
    from backend.childproc import watch_parent
    print("watching" if watch_parent() else "not watched", flush=True)
    time.sleep(60)
    """
)
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


@linux_only
def test_the_child_stops_when_the_lifeline_closes() -> None:
    child = spawn([sys.executable, "-c", CHILD], env=_env(), stdout=subprocess.PIPE)
    try:
        assert child.proc.stdout is not None
        assert child.proc.stdout.readline() == b"watching\n"
        child.close_lifeline()  # what the kernel does when the parent dies; we stay alive
        child.proc.wait(timeout=20)
        assert child.returncode == -signal.SIGTERM
    finally:
        child.stop(timeout=1)
        if child.proc.stdout is not None:
            child.proc.stdout.close()


@linux_only
def test_the_child_has_its_own_process_group() -> None:
    child = spawn([sys.executable, "-c", CHILD], env=_env(), stdout=subprocess.PIPE)
    try:
        assert os.getpgid(child.pid) == child.pid != os.getpgid(0)
    finally:
        assert child.stop(timeout=20) == -signal.SIGTERM
        if child.proc.stdout is not None:
            child.proc.stdout.close()


@linux_only
def test_the_parent_death_signal_alone_stops_the_child() -> None:
    # a middle process starts the child with the parent pid only (no lifeline), says the
    # child's pid once it watches, then waits; we kill -9 the middle one
    middle = textwrap.dedent(
        f"""
        import os, subprocess, sys, time
        env = {{**os.environ, {PARENT_PID_ENV!r}: str(os.getpid())}}
        p = subprocess.Popen([sys.executable, "-c", {CHILD!r}], env=env, stdout=subprocess.PIPE)
        assert p.stdout.readline() == b"watching\\n"
        print(p.pid, flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", middle], env=_env(), stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.stdout.close()
    grandchild = int(line)
    try:
        assert alive(grandchild)
        proc.kill()
        proc.wait()
        wait_for(lambda: not alive(grandchild), 20, "the child stopped after its parent died")
    finally:
        kill_all([grandchild])


def test_a_parent_gone_before_the_child_watched_is_noticed() -> None:
    env = _env(**{PARENT_PID_ENV: "1" if os.getpid() != 1 else "2"})  # not its parent
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, timeout=30, check=False
    )
    assert proc.returncode == -signal.SIGTERM, proc.stderr


def test_not_started_by_spawn_nothing_is_watched() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD.replace("time.sleep(60)", "")],
        env={k: v for k, v in _env().items() if not k.startswith("WINROOM_PARENT")},
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (0, b"not watched\n")
