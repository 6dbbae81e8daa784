"""Before Qt loads: can the platform plugin Qt will pick load at all?

A missing system library makes Qt abort while it creates the ``QApplication``, with a
message that can name the wrong library (Qt 6.5+ asks for ``libxcb-cursor0`` whenever the
xcb plugin fails to load). ``winroom`` runs ``ldd`` on that plugin first (xcb, or offscreen
when there is no display) and prints one line naming the missing libraries and their Debian
packages (from ``assets/system-libs.txt``, the list ``packaging/system_deps.sh`` reads).
No Qt import here: importing PySide6's Qt modules would already need some of them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

LIST_FILE = Path(__file__).parent / "assets" / "system-libs.txt"
CHECKED_PLATFORMS = ("xcb", "offscreen")


def qt_platform(env: Mapping[str, str] = os.environ) -> str:
    """The platform plugin Qt will try first, as ``app.ensure_platform`` leaves it."""
    value = env.get("QT_QPA_PLATFORM", "")
    if value:
        return value.split(";")[0].split(":")[0].strip()
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return "offscreen"
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def plugin_path(platform: str) -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    for base in (spec and spec.submodule_search_locations) or ():
        path = Path(base) / "Qt" / "plugins" / "platforms" / f"libq{platform}.so"
        if path.exists():
            return path
    return None


def _ldd(path: Path) -> str:
    try:
        return subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def missing_libraries(path: Path) -> list[str]:
    """The sonames ``ldd`` cannot find for ``path`` (directly or through its libraries)."""
    missing: list[str] = []
    for line in _ldd(path).splitlines():
        name, sep, where = line.strip().partition(" => ")
        if sep and where.strip() == "not found" and name not in missing:
            missing.append(name)
    return missing


def debian_packages(sonames: list[str]) -> list[str]:
    known: dict[str, str] = {}
    try:
        text = LIST_FILE.read_text(encoding="utf-8")
    except OSError:
        text = ""
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) == 3 and not parts[0].startswith("#"):
            known[parts[0]] = parts[1]
    return [known[s] for s in sonames if s in known]


def platform_problem(env: Mapping[str, str] = os.environ) -> str | None:
    """One line saying what is missing for Qt's platform plugin, or None when it can load
    (or when it is not one we check: another platform, no plugin file, no ``ldd``)."""
    platform = qt_platform(env)
    if platform not in CHECKED_PLATFORMS:
        return None
    path = plugin_path(platform)
    if path is None:
        return None
    sonames = missing_libraries(path)
    if not sonames:
        return None
    packages = debian_packages(sonames)
    fix = "run 'sudo make system-deps'"
    if packages:
        fix += f" (Debian: apt-get install {' '.join(packages)})"
    return f"missing system libraries for Qt's {platform} platform: {' '.join(sonames)}: {fix}"
