"""``winroom-backend device-token --pair CODE --name NAME``: approves a TV's pairing code as
``POST /api/admin/devices/pair`` does; the other ``device-token`` modes are unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.actions import devices
from backend.cli import main
from backend.models import DeviceToken
from backend.runtime import database_for_url
from backend.settings import load_settings


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WINROOM_DATA_DIR", str(data_dir))
    return data_dir


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_pair_a_tv_from_the_command_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    db = database_for_url(load_settings(data_dir=env).db_url)
    try:
        now = datetime.now(UTC)
        with db.transaction() as s:
            row = devices.start_pairing(s, now)
            pid, code = row.id, row.code
        capsys.readouterr()
        typed = code.lower().replace("-", "")
        assert main(["device-token", "--pair", typed, "--name", "Floor TV 3"]) == 0
        out = capsys.readouterr().out
        assert "Floor TV 3" in out and "wrtv_" not in out  # the token goes to the TV only
        with db.transaction() as s:
            got = devices.collect_pairing(s, pid, datetime.now(UTC))
        assert got is not None and got.name == "Floor TV 3" and got.token.startswith("wrtv_")
        with db.read() as s:
            assert s.query(DeviceToken).filter_by(name="Floor TV 3").count() == 1

        # used, unknown or mistyped: exit 1 with one line, nothing made
        for bad in (code, "ACEF-GHJK", "nonsense"):
            assert main(["device-token", "--pair", bad, "--name", "Floor TV 4"]) == 1
            assert "code" in one_line(capsys.readouterr().err)
        with db.read() as s:
            assert s.query(DeviceToken).filter_by(name="Floor TV 4").count() == 0
    finally:
        db.dispose()
    # --pair needs --name; --revoke takes neither: usage errors, exit 2
    assert main(["device-token", "--pair", "ACEF-GHJK"]) == 2
    assert "--name" in one_line(capsys.readouterr().err)
    assert main(["device-token", "--revoke", "X", "--pair", "ACEF-GHJK"]) == 2
    one_line(capsys.readouterr().err)
    assert main(["device-token"]) == 2
    one_line(capsys.readouterr().err)
    # the plain modes still work
    assert main(["device-token", "--name", "Floor TV 5"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("wrtv_")
