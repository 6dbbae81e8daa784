"""``make demo`` stops at missing system libraries with one line naming the fix — or, as
root, installs them first — and ``packaging/system_deps.sh`` reports in one line. Faked
without removing packages: ``WINROOM_SYSTEM_LIBS`` (another list), ``WINROOM_SYSTEM_DEPS_UID``,
``WINROOM_SYSTEM_DEPS_APT``, and a stand-in ``winroom`` in a fake venv that only records
that the demo started."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "system_deps.sh"
PRESENT = "libc.so.6:libc6:test\n"
MISSING_GUI = "libwinroom-nowhere.so.9:winroom-fake-gui:gui\n"
MISSING_TEST = "/nonexistent/winroom/font.ttf:winroom-fake-font:test\n"

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("ldconfig") is None, reason="make, ldconfig"
)


def _env(tmp_path: Path, libs: str, *, display: bool = True, **extra: str) -> dict[str, str]:
    lst = tmp_path / "libs.txt"
    lst.write_text("# a fake list\n" + libs)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WINROOM_")
        and k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["WINROOM_SYSTEM_LIBS"] = str(lst)
    if display:
        env["DISPLAY"] = ":99"
    return {**env, **extra}


def _make_demo(
    tmp_path: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], bool]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    started = tmp_path / "demo-started"
    fake = venv / "bin" / "winroom"
    fake.write_text(f'#!/bin/sh\necho "$@" > {started}\n')
    fake.chmod(0o755)
    (venv / ".installed").touch()  # newer than pyproject.toml: make installs nothing
    proc = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "demo", f"VENV={venv}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc, started.exists()


def _own_lines(stderr: str) -> list[str]:
    """stderr without make's own ``make: *** [...] Error 1``."""
    return [line for line in stderr.splitlines() if line and not line.startswith("make")]


def test_make_demo_stops_at_the_missing_library_line(tmp_path: Path) -> None:
    env = _env(tmp_path, PRESENT + MISSING_GUI + MISSING_TEST, WINROOM_SYSTEM_DEPS_UID="1000")
    proc, started = _make_demo(tmp_path, env)
    assert proc.returncode != 0
    assert _own_lines(proc.stderr) == [
        "missing system libraries: run 'sudo make system-deps' (winroom-fake-gui winroom-fake-font)"
    ]
    assert not started


def test_make_demo_as_root_installs_what_is_missing(tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    apt = tmp_path / "apt-get"
    apt.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    apt.chmod(0o755)
    env = _env(
        tmp_path,
        PRESENT + MISSING_GUI,
        WINROOM_SYSTEM_DEPS_UID="0",
        WINROOM_SYSTEM_DEPS_APT=str(apt),
    )
    proc, started = _make_demo(tmp_path, env)
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq winroom-fake-gui"]
    # the fake apt-get installed nothing: the check after it still fails, in one line
    assert proc.returncode != 0
    assert _own_lines(proc.stderr) == [
        "installing the missing system libraries: winroom-fake-gui",
        "missing system libraries even after installing: winroom-fake-gui",
    ]
    assert not started


def test_make_demo_starts_the_demo_when_nothing_is_missing(tmp_path: Path) -> None:
    proc, started = _make_demo(tmp_path, _env(tmp_path, PRESENT, WINROOM_SYSTEM_DEPS_UID="1000"))
    assert proc.returncode == 0, proc.stderr
    assert started


def test_headless_make_demo_needs_only_what_offscreen_needs(tmp_path: Path) -> None:
    env = _env(tmp_path, PRESENT + MISSING_GUI, display=False, WINROOM_SYSTEM_DEPS_UID="1000")
    proc, started = _make_demo(tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert started


@pytest.mark.parametrize(
    ("uid", "fix"), [("1000", "sudo make system-deps"), ("0", "make system-deps")]
)
def test_check_is_one_line_naming_the_fix(tmp_path: Path, uid: str, fix: str) -> None:
    env = _env(tmp_path, PRESENT + MISSING_GUI + MISSING_TEST, WINROOM_SYSTEM_DEPS_UID=uid)
    proc = subprocess.run(
        [str(SCRIPT), "--check"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert (
        proc.stderr
        == f"missing system libraries: run '{fix}' (winroom-fake-gui winroom-fake-font)\n"
    )
    test_only = subprocess.run(
        [str(SCRIPT), "--check-test"], env=env, capture_output=True, text=True, check=False
    )
    assert (test_only.returncode, test_only.stderr.count("\n")) == (1, 1)
    assert "winroom-fake-gui" not in test_only.stderr


def test_the_real_list_is_met_on_this_machine() -> None:
    # make demo (and make test) keep working here: the libraries are installed
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINROOM_")}
    proc = subprocess.run(
        [str(SCRIPT), "--check"], env=env, capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stderr) == (0, "")


def test_a_library_is_matched_by_its_whole_name(tmp_path: Path) -> None:
    # a name inside another's (libGL.so.1 in libEGL.so.1) must not count as present
    env = _env(tmp_path, "bc.so.6:winroom-fake-gl:test\n")
    proc = subprocess.run(
        [str(SCRIPT), "--check"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1 and "winroom-fake-gl" in proc.stderr
