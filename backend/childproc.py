"""Child processes that never outlive their parent (``winroom demo``'s backend).

The parent starts the child with :func:`spawn`; the child calls :func:`watch_parent` first
thing. However the parent ends — SIGTERM, SIGINT, SIGKILL, a Qt abort (SIGABRT) — the child
learns it and stops:

- a pipe, the lifeline: the child holds the read end (``WINROOM_PARENT_FD``), only the
  parent the write end. The kernel closes it when the parent dies and the child reads EOF.
  Works on every POSIX system.
- on Linux also ``prctl(PR_SET_PDEATHSIG, SIGTERM)``. It fires when the parent *thread*
  that forked the child exits, not the process: spawn from the main thread (or a thread
  that lives as long as the process). A parent gone before the child set it is caught by
  comparing ``getppid()`` with ``WINROOM_PARENT_PID``.

Either way the child sends itself SIGTERM (its own graceful stop); after the pipe's EOF a
backstop ends it hard :data:`GRACE_S` seconds later if that stop hangs. The child runs in
its own process group: a terminal's Ctrl+C reaches only the parent, which stops the child
(:meth:`Child.stop`) in order.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

PARENT_FD_ENV = "WINROOM_PARENT_FD"
PARENT_PID_ENV = "WINROOM_PARENT_PID"
PR_SET_PDEATHSIG = 1
GRACE_S = 20.0


class Child:
    """A child started by :func:`spawn`; ``stop()`` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, proc: subprocess.Popen[bytes], lifeline: int | None) -> None:
        self.proc = proc
        self.lifeline = lifeline

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def poll(self) -> int | None:
        return self.proc.poll()

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.close_lifeline()
        return int(self.proc.returncode)

    def close_lifeline(self) -> None:
        if self.lifeline is not None:
            with contextlib.suppress(OSError):
                os.close(self.lifeline)
            self.lifeline = None


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.name == "posix":
            os.killpg(pid, sig)  # the child leads its own group
        else:  # pragma: no cover
            os.kill(pid, sig)


def spawn(argv: Sequence[str], *, env: Mapping[str, str] | None = None, **popen: Any) -> Child:
    """Start ``argv`` as a child that :func:`watch_parent` can tie to this process."""
    child_env = dict(os.environ if env is None else env)
    if os.name != "posix":  # pragma: no cover
        return Child(subprocess.Popen(list(argv), env=child_env, **popen), None)
    read_end, write_end = os.pipe()  # both non-inheritable; pass_fds hands over the read end
    child_env[PARENT_FD_ENV] = str(read_end)
    child_env[PARENT_PID_ENV] = str(os.getpid())
    popen.setdefault("stdin", subprocess.DEVNULL)  # a background group must not read the tty
    try:
        proc = subprocess.Popen(
            list(argv), env=child_env, pass_fds=(read_end,), process_group=0, **popen
        )
    except BaseException:
        os.close(write_end)
        raise
    finally:
        os.close(read_end)
    return Child(proc, write_end)


def _terminate_self() -> None:
    backstop = threading.Timer(GRACE_S, os._exit, args=(1,))
    backstop.daemon = True
    backstop.start()
    os.kill(os.getpid(), signal.SIGTERM)


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Linux: have the kernel send ``sig`` when the parent thread exits."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _wait_for_eof(fd: int, on_gone: Callable[[], None]) -> None:
    try:
        while os.read(fd, 1):
            pass  # the parent never writes; data would be ignored
    except OSError:
        pass
    on_gone()


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    lock = threading.Lock()
    done: list[bool] = []

    def run() -> None:
        with lock:
            if done:
                return
            done.append(True)
        fn()

    return run


def watch_parent(on_gone: Callable[[], None] | None = None) -> bool:
    """In a child of :func:`spawn`: call ``on_gone`` (default: SIGTERM to ourselves, then a
    hard exit if that hangs) once the parent is gone. ``False`` when not started so."""
    fd_text = os.environ.pop(PARENT_FD_ENV, "")
    pid_text = os.environ.pop(PARENT_PID_ENV, "")
    if not (fd_text or pid_text):
        return False
    gone = _once(on_gone or _terminate_self)
    if pid_text.isdigit():
        set_parent_death_signal()
        if os.getppid() != int(pid_text):  # died before prctl: it would never fire
            gone()
    if fd_text.isdigit():
        threading.Thread(
            target=_wait_for_eof, args=(int(fd_text), gone), name="parent-watch", daemon=True
        ).start()
    return True
