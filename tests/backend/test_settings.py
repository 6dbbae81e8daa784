from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from backend.settings import MIN_SECRET_BYTES, Settings, SettingsError, load_settings


def test_defaults_follow_the_contract(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path)
    assert s.poller_interval_ms == 2000
    assert s.poller_batch_size == 500
    assert s.ingest_lookback_hours == 24
    assert s.timezone == "Europe/Istanbul"
    assert s.trial_ids == frozenset({65})
    assert s.jackpot_threshold_try == Decimal("40000")
    assert s.sar_per_usd == Decimal("3.75")
    assert s.claim_rate_limit == "10/minute"
    assert s.event_retention_days == 7
    assert s.trusted_proxies is None  # X-Forwarded-For ignored
    assert s.jwt_lifetime.days == 7
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("winroom.db")
    assert s.core_db_url.endswith("core.db")


@pytest.mark.parametrize(
    ("env", "value", "needle"),
    [
        ("WINROOM_TIMEZONE", "Mars/Olympus", "WINROOM_TIMEZONE"),
        ("WINROOM_POLLER_INTERVAL_MS", "fast", "WINROOM_POLLER_INTERVAL_MS"),
        ("WINROOM_POLLER_INTERVAL_MS", "0", "WINROOM_POLLER_INTERVAL_MS"),
        ("WINROOM_POLLER_BATCH_SIZE", "-5", "WINROOM_POLLER_BATCH_SIZE"),
        ("WINROOM_TRIAL_CAMPAIGN_IDS", "65,abc", "WINROOM_TRIAL_CAMPAIGN_IDS"),
        ("WINROOM_JACKPOT_THRESHOLD_TRY", "-1", "WINROOM_JACKPOT_THRESHOLD_TRY"),
        ("WINROOM_SAR_PER_USD", "zero", "WINROOM_SAR_PER_USD"),
        ("WINROOM_CLAIM_RATE_LIMIT", "lots", "WINROOM_CLAIM_RATE_LIMIT"),
        ("WINROOM_CLAIM_RATE_LIMIT", "0/minute", "WINROOM_CLAIM_RATE_LIMIT"),
        ("WINROOM_JWT_EXPIRES", "forever", "WINROOM_JWT_EXPIRES"),
        ("WINROOM_EVENT_RETENTION_DAYS", "0", "WINROOM_EVENT_RETENTION_DAYS"),
        ("WINROOM_DATABASE_URL", "mysql://x@y/z", "WINROOM_DATABASE_URL"),
        ("WINROOM_REDIS_URL", "http://nope", "WINROOM_REDIS_URL"),
        ("WINROOM_TRUSTED_PROXIES", "127.0.0.1,proxy.local", "WINROOM_TRUSTED_PROXIES"),
        ("WINROOM_TRUSTED_PROXIES", "10.0.0.1/8", "WINROOM_TRUSTED_PROXIES"),
        ("WINROOM_TRUSTED_PROXIES", "*", "WINROOM_TRUSTED_PROXIES"),
    ],
)
def test_bad_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as err:
        load_settings(data_dir=tmp_path)
    msg = str(err.value)
    assert msg.startswith(needle + ":")
    assert "\n" not in msg


def test_postgres_without_jwt_secret_refuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WINROOM_DATABASE_URL", "postgresql://u@localhost/db")
    with pytest.raises(SettingsError, match="WINROOM_JWT_SECRET"):
        load_settings(data_dir=tmp_path)
    unsigned = load_settings(data_dir=tmp_path, require_jwt_secret=False)  # e.g. migrate
    with pytest.raises(SettingsError, match="WINROOM_JWT_SECRET"):
        unsigned.jwt_key()  # never generated for a shared database
    assert not (tmp_path / "jwt_secret").exists()
    monkeypatch.setenv("WINROOM_JWT_SECRET", "x" * 32)
    s = load_settings(data_dir=tmp_path)
    assert s.db_url.startswith("postgresql+psycopg://")
    monkeypatch.setenv("WINROOM_JWT_SECRET", "é" * 16)  # 32 bytes of UTF-8: enough
    assert load_settings(data_dir=tmp_path).jwt_key() == "é" * 16


@pytest.mark.parametrize(
    ("value", "needle"),
    [("", "is set but empty"), ("   ", "is set but empty"), ("x" * 31, "too short (31 bytes)")],
)
def test_an_empty_or_short_jwt_secret_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, needle: str
) -> None:
    """HS256 keys must be 32 bytes or more (RFC 7518 §3.2): a shorter one stops the
    program at start, on SQLite too, instead of signing guessable tokens."""
    monkeypatch.setenv("WINROOM_JWT_SECRET", value)
    for require in (True, False):
        with pytest.raises(SettingsError) as err:
            load_settings(data_dir=tmp_path, require_jwt_secret=require)
        msg = str(err.value)
        assert msg.startswith(f"WINROOM_JWT_SECRET: {needle}"), msg
        assert "32" in msg and "\n" not in msg
    assert not (tmp_path / "jwt_secret").exists()  # nothing generated in its place


def test_same_sqlite_file_for_both_databases_refuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WINROOM_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("WINROOM_CORE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    with pytest.raises(SettingsError, match="WINROOM_CORE_DATABASE_URL"):
        load_settings(data_dir=tmp_path)


def test_generated_jwt_secret_is_stable_and_private(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path)
    k1 = s.jwt_key()
    assert k1 == load_settings(data_dir=tmp_path).jwt_key()
    assert len(k1) >= 40
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jwt_secret"]  # no temp file left


def test_threads_starting_at_once_all_get_the_same_generated_secret(tmp_path: Path) -> None:
    """The secret used to be created empty, then written: threads starting together read
    '' (and kept it). Each trial: a fresh data dir, 8 threads released at once."""
    threads = 8
    for trial in range(40):
        data = tmp_path / f"t{trial}"
        settings = [load_settings(data_dir=data) for _ in range(threads)]
        gate = threading.Barrier(threads)

        def read(s: Settings, gate: threading.Barrier = gate) -> str:
            gate.wait(timeout=30)
            return s.jwt_key()

        with ThreadPoolExecutor(threads) as pool:
            keys = set(pool.map(read, settings))
        stored = (data / "jwt_secret").read_text()
        assert keys == {stored}, trial
        assert len(stored.encode()) >= MIN_SECRET_BYTES


def _race_for_secrets(dirs: list[str], gate: Any, out: Any) -> None:
    keys = []
    for d in dirs:
        gate.wait(timeout=60)  # every process at the same dir, released together
        keys.append(Settings(data_dir=Path(d)).jwt_key())
    out.put(keys)


def test_processes_starting_at_once_all_get_the_same_generated_secret(tmp_path: Path) -> None:
    """Four processes start on each of 20 fresh data dirs at once: every one of them reads
    the one secret that was kept, none reads an empty or half-written file."""
    dirs = [str(tmp_path / f"d{i}") for i in range(20)]
    for d in dirs:
        Path(d).mkdir(mode=0o700)
    mp = multiprocessing.get_context("spawn")
    n = 4
    gate, out = mp.Barrier(n), mp.Queue()
    procs = [mp.Process(target=_race_for_secrets, args=(dirs, gate, out)) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        outs = [out.get(timeout=120) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    for i, d in enumerate(dirs):
        stored = (Path(d) / "jwt_secret").read_text()
        assert len(stored.encode()) >= MIN_SECRET_BYTES
        assert {keys[i] for keys in outs} == {stored}, d


@pytest.mark.parametrize("content", ["", "\n", "short-secret"])
def test_an_empty_or_short_secret_file_is_one_line_and_kept(tmp_path: Path, content: str) -> None:
    (tmp_path / "jwt_secret").write_text(content)
    s = load_settings(data_dir=tmp_path)
    with pytest.raises(SettingsError) as err:
        s.jwt_key()
    msg = str(err.value)
    assert msg.startswith(f"WINROOM_DATA_DIR: the JWT secret file {tmp_path / 'jwt_secret'} ")
    assert "\n" not in msg and ("empty" in msg or "32" in msg)
    assert (tmp_path / "jwt_secret").read_text() == content  # never truncated or replaced


def test_a_sqlite_path_through_a_symlink_loop_is_one_line_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    monkeypatch.setenv("WINROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'a' / 'x.db'}")
    with pytest.raises(SettingsError, match=r"^WINROOM_DATABASE_URL: unusable SQLite file path"):
        load_settings(data_dir=tmp_path / "data")


def test_trusted_proxies_are_addresses_and_networks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WINROOM_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ,::1,, ")
    assert load_settings(data_dir=tmp_path).trusted_proxies == "127.0.0.1,10.0.0.0/8,::1"
    monkeypatch.setenv("WINROOM_TRUSTED_PROXIES", "")
    assert load_settings(data_dir=tmp_path).trusted_proxies is None
