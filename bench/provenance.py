"""What every benchmark prints first: the machine, the load, and the code measured."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path


def print_provenance(extra: str = "") -> None:
    """CPUs, Python, time (and ``extra``); the load average; the commit and how many backend
    files differ from it (the machine and the tree may be shared)."""
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
        f"{extra + '; ' if extra else ''}{time.strftime('%Y-%m-%d %H:%M:%S')}"
    )
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    root = Path(__file__).resolve().parents[1]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        head = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True)
        dirty = subprocess.check_output(
            ["git", "status", "--porcelain", "--", "backend"], cwd=root, text=True
        ).splitlines()
        print(f"code: {head.strip()}, {len(dirty)} backend file(s) changed since")
