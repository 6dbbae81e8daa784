"""The systemd units of ``packaging/systemd`` and ``packaging/kiosk`` pass ``systemd-analyze verify`` (with the
install prefix pointed at this checkout's virtualenv, the way an install lays them out)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "packaging" / "systemd").glob("*.service")) + sorted(
    (ROOT / "packaging" / "kiosk").glob("*.service")
)


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_unit_verifies(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (package systemd) is needed to check the units"
    venv_bin = Path(sys.executable).parent
    assert (venv_bin / "winroom-backend").exists() and (venv_bin / "winroom").exists()
    name = unit.name.replace("@.", "@8001.")
    text = unit.read_text().replace("/opt/winroom/venv/bin", str(venv_bin))
    (tmp_path / name).write_text(text)
    out = subprocess.run(
        [analyze, "verify", str(tmp_path / name)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "not executable" not in out.stderr


def test_there_are_units() -> None:
    assert {u.name for u in UNITS} >= {
        "winroom-backend.service",
        "winroom-backend@.service",
        "winroom-tv.service",
    }
