from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from backend.settings import SettingsError, load_settings


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
    monkeypatch.setenv("WINROOM_JWT_SECRET", "secret")  # the contract sets no minimum
    assert load_settings(data_dir=tmp_path).jwt_key() == "secret"


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
