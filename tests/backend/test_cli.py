"""``winroom-backend``: one-line errors, user and token flows, worker and simulate."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, select

from backend.cli import main
from backend.core import tables as t
from backend.core.adapter import make_core_engine
from backend.models import Seller
from backend.runtime import Database


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WINROOM_DATA_DIR", str(data_dir))
    return data_dir


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--count", "0"],
        ["simulate", "--rate", "fast"],
        ["demo", "--port", "70000"],
        ["create-user", "--email", "a@b.co", "--name", "A", "--role", "king", "--password-stdin"],
        ["nonsense"],
    ],
)
def test_bad_flags_exit_2_with_one_line(
    argv: list[str], env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert one_line(capsys.readouterr().err).startswith("winroom-backend")


def test_worker_on_an_unmigrated_database(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker"]) == 1
    assert "winroom-backend migrate" in one_line(capsys.readouterr().err)


def test_bad_setting_names_it(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WINROOM_POLLER_BATCH_SIZE", "lots")
    assert main(["worker"]) == 2
    assert "WINROOM_POLLER_BATCH_SIZE" in one_line(capsys.readouterr().err)


def test_create_user_and_device_token_flows(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
    argv = ["create-user", "--email", "ayse@winroom.local", "--name", "Ayşe Yılmaz"]
    assert main([*argv, "--role", "sales", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
    capsys.readouterr()
    assert main([*argv, "--role", "sales", "--password-stdin"]) == 1
    assert "already exists" in one_line(capsys.readouterr().err)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main([*argv, "--role", "sales", "--password-stdin"]) == 1
    assert "password" in one_line(capsys.readouterr().err)

    assert main(["device-token", "--name", "Floor TV 1"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("wrtv_") and len(token) > 30
    assert main(["device-token", "--revoke", "Floor TV 1"]) == 0
    assert "revoked the device token" in capsys.readouterr().out
    # revoking it again is no error: the name is known, there is nothing left to do
    assert main(["device-token", "--revoke", "Floor TV 1"]) == 0
    assert "revoked already" in capsys.readouterr().out
    assert main(["device-token", "--revoke", "Floor TV 9"]) == 1
    assert "Floor TV 9" in one_line(capsys.readouterr().err)


@pytest.mark.postgres
def test_on_postgresql_only_the_serving_commands_need_the_jwt_secret(
    postgres_db: Database,
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """migrate, create-user, device-token sign no token: they run without
    WINROOM_JWT_SECRET; serve and demo refuse to start without it (CONTRACT §2)."""
    monkeypatch.setenv(
        "WINROOM_DATABASE_URL", postgres_db.engine.url.render_as_string(hide_password=False)
    )
    assert main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
    argv = ["create-user", "--email", "lead@winroom.local", "--name", "Lead", "--role"]
    assert main([*argv, "sales_lead", "--password-stdin"]) == 0
    assert main(["device-token", "--name", "Floor TV 1"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("wrtv_")
    with postgres_db.read() as s:
        assert s.scalar(select(Seller.role).where(Seller.email == "lead@winroom.local")) == (
            "sales_lead"
        )
    for command in (["serve", "--port", "8765"], ["demo", "--port", "8765"]):
        assert main(command) == 2
        assert one_line(capsys.readouterr().err) == (
            "winroom-backend: WINROOM_JWT_SECRET: required when WINROOM_DATABASE_URL is not SQLite"
        )


def _core_rows(data_dir: Path) -> list[tuple]:
    engine = make_core_engine(f"sqlite:///{data_dir / 'core.db'}")
    try:
        with engine.connect() as conn:
            s = t.subscriptions
            subs = conn.execute(
                select(
                    s.c.id,
                    s.c.user_id,
                    s.c.campaign_id,
                    s.c.subs_amount,
                    s.c.currency,
                    s.c.status,
                    s.c.is_free,
                    s.c.payment_channel,
                    s.c.stripe_sub_id,
                ).order_by(s.c.id)
            ).all()
            users = conn.execute(
                select(t.users.c.name, t.users.c.email).order_by(t.users.c.id)
            ).all()
            leads = conn.execute(select(t.lead_assignments.c.seller_email)).all()
            dolar = conn.execute(select(t.custom_settings.c.value)).all()
        return [tuple(r) for r in subs + users + leads + dolar]
    finally:
        engine.dispose()


def test_simulate_is_reproducible_with_a_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dirs = [tmp_path / "a", tmp_path / "b"]
    for d in dirs:
        monkeypatch.setenv("WINROOM_DATA_DIR", str(d))
        assert main(["simulate", "--count", "40", "--rate", "10000", "--seed", "7"]) == 0
    assert "wrote 40 sales" in capsys.readouterr().out
    a, b = (_core_rows(d) for d in dirs)
    assert a == b and len(a) > 40
    statuses = {r[5] for r in a if len(r) > 5}
    assert "paid" in statuses
    assert ("34,25",) in a


def test_simulated_leads_go_to_this_floors_sellers(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Leads are assigned to Win Room's active sellers (so their conversion means
    something), not to the demo's; with no such seller yet, to the demo's."""
    from backend.simulate import SELLER_EMAILS

    assert main(["simulate", "--count", "10", "--seed", "3"]) == 0  # no Win Room database yet
    leads = {r[0] for r in _core_rows(env) if len(r) == 1 and "@" in str(r[0])}
    assert leads and leads <= set(SELLER_EMAILS)
    assert not (env / "winroom.db").exists()  # simulate never creates Win Room's database
    assert main(["migrate"]) == 0
    people = {"s1@x.io": "sales", "s2@x.io": "sales_lead", "f@x.io": "finance", "a@x.io": "admin"}
    for email, role in people.items():
        monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
        argv = ["create-user", "--email", email, "--name", email, "--role", role]
        assert main([*argv, "--password-stdin"]) == 0
    core = create_engine(f"sqlite:///{env / 'core.db'}")  # (Win Room's own engine: read-only)
    try:
        with core.begin() as conn:
            conn.execute(t.lead_assignments.delete())
    finally:
        core.dispose()
    assert main(["simulate", "--count", "30", "--seed", "3"]) == 0
    leads = {r[0] for r in _core_rows(env) if len(r) == 1 and "@" in str(r[0])}
    assert leads == {"s1@x.io", "s2@x.io"}
    capsys.readouterr()


@pytest.mark.parametrize("email", ["seller@floor.test", "ops@localhost", "a@b"])
def test_create_user_takes_test_and_intranet_addresses_and_short_passwords_with_a_warning(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], email: str
) -> None:
    from backend.models import Seller
    from backend.passwords import verify_password
    from backend.runtime import open_database
    from backend.settings import load_settings

    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    main(["migrate"])
    argv = ["create-user", "--email", email, "--name", "T", "--role", "sales", "--password-stdin"]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert f"created sales {email}" in out.out
    assert "shorter than 8" in one_line(out.err)
    db = open_database(load_settings())
    try:
        with db.read() as s:
            seller = s.scalar(select(Seller).where(Seller.email == email))
            assert seller is not None and verify_password("pw", seller.password_hash)
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("argv", "rate"),
    [
        (["simulate", "--count", "3"], None),  # a count alone: written at once, no pause
        (["simulate", "--count", "3", "--rate", "2"], 2.0),
        (["simulate"], 0.2),  # until stopped: about one sale every 5 s (CONTRACT §1)
    ],
)
def test_simulate_paces_only_when_it_runs_until_stopped_or_is_told_a_rate(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    rate: float | None,
) -> None:
    import backend.simulate as sim

    waits: list[float | None] = []

    class Stop:  # the simulator's stop event: records each pause and ends an open run
        def is_set(self) -> bool:
            return len(waits) >= 3

        def set(self) -> None:
            pass

        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return False

    monkeypatch.setattr(sim, "threading", SimpleNamespace(Event=Stop))
    assert main(argv) == 0
    assert "wrote 3 sales" in capsys.readouterr().out
    assert waits == ([] if rate is None else [1 / rate] * (2 if "--count" in argv else 3))


def test_demo_credentials_are_written_privately(env: Path) -> None:
    from backend.demo import CREDENTIALS_FILE, prepare_demo
    from backend.runtime import open_database
    from backend.settings import load_settings

    settings = load_settings()
    db = open_database(settings, migrate=True)
    try:
        first = prepare_demo(settings, db, 8123)
        again = prepare_demo(settings, db, 8123)  # idempotent: same people, same TV token
    finally:
        db.dispose()
    path = env / CREDENTIALS_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    data = json.loads(path.read_text())
    assert data == again and first["tv_token"] == again["tv_token"]
    assert data["server"] == "http://127.0.0.1:8123"
    assert "Ayşe Yılmaz" in {s["name"] for s in data["sellers"]} and len(data["sellers"]) == 8
    assert data["admin"]["email"] == "admin@winroom.local"
