"""Settings from the environment (prefix ``WINROOM_``, also read from ``.env``).

CONTRACT §2. A bad value stops the program at start with one line naming the setting:
``load_settings()`` raises :class:`SettingsError` whose message is that line.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend import private_files
from backend.db.urls import database_file, is_sqlite, normalize_url

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RATE = re.compile(r"^\s*(\d+)\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?\s*$", re.I)


# RFC 7518 §3.2: an HS256 key must be at least as long as the hash (256 bits)
MIN_SECRET_BYTES = 32
SECRET_FILE = "jwt_secret"
_MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class SettingsError(Exception):
    """A setting is missing or malformed; ``str(err)`` is one line naming it."""


def parse_duration(text: str) -> timedelta:
    """``7d``, ``12h``, ``30m``, ``45s`` or plain seconds."""
    m = _DURATION.match(str(text))
    if not m or int(m.group(1)) <= 0:
        raise ValueError("expected a positive duration such as 7d, 12h, 30m or 3600")
    return timedelta(seconds=int(m.group(1)) * _DURATION_UNITS[m.group(2)])


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("winroom", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WINROOM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    core_database_url: str | None = None
    redis_url: str | None = None
    trusted_proxies: str | None = None  # addresses/CIDRs whose X-Forwarded-For is believed
    jwt_secret: str | None = None
    jwt_expires: str = "7d"
    poller_interval_ms: int = Field(default=2000, ge=50, le=3_600_000)
    poller_batch_size: int = Field(default=500, ge=1, le=100_000)
    ingest_lookback_hours: int = Field(default=24, ge=0, le=24 * 365)
    timezone: str = "Europe/Istanbul"
    trial_campaign_ids: str = "65"
    jackpot_threshold_try: Decimal = Decimal("40000")
    sar_per_usd: Decimal = Decimal("3.75")
    claim_rate_limit: str = "10/minute"
    event_retention_days: int = Field(default=7, ge=1, le=3650)
    replay_max: int = Field(default=2000, ge=0, le=1_000_000)  # events one reconnect replays
    metrics_token: str | None = None  # /metrics: unset = loopback only; set = bearer token
    _jwt_key: str | None = PrivateAttr(default=None)
    _notices: list[str] = PrivateAttr(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if len(v) < 16 or v != v.strip():
            raise ValueError("expected at least 16 characters, no surrounding spaces")
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: str | None) -> str | None:
        parts = [p.strip() for p in (v or "").split(",") if p.strip()]
        for part in parts:
            try:
                ipaddress.ip_network(part)  # an address, or a network without host bits
            except ValueError:
                raise ValueError(
                    f"{part!r} is not an address or network (such as 127.0.0.1,10.0.0.0/8)"
                ) from None
        return ",".join(parts) or None

    @field_validator("jwt_expires")
    @classmethod
    def _exp(cls, v: str) -> str:
        parse_duration(v)
        return v

    @field_validator("trial_campaign_ids")
    @classmethod
    def _trials(cls, v: str) -> str:
        parts = [p.strip() for p in str(v).split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise ValueError("expected comma-separated campaign ids such as 65,66")
        return ",".join(parts)

    @field_validator("jackpot_threshold_try", "sar_per_usd")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or v <= 0:
            raise ValueError("must be a positive number")
        return v

    @field_validator("claim_rate_limit")
    @classmethod
    def _rate(cls, v: str) -> str:
        from limits import parse

        try:
            rate = parse(v)
        except ValueError as exc:
            raise ValueError("expected a rate such as 10/minute") from exc
        if rate.amount < 1:  # "0/minute" would refuse every claim
            raise ValueError("expected a rate of at least 1, such as 10/minute")
        return v

    @field_validator("database_url", "core_database_url", "redis_url")
    @classmethod
    def _empty_is_none(cls, v: str | None) -> str | None:
        return v if v not in ("", None) else None

    @field_validator("jwt_secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v.strip():
            raise ValueError(
                "is set but empty; unset it (SQLite: one is generated in the data dir) or "
                f"set {MIN_SECRET_BYTES} or more random bytes, e.g. from {_MAKE_SECRET}"
            )
        if len(v.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"too short ({len(v.encode())} bytes): HS256 needs at least "
                f"{MIN_SECRET_BYTES} random bytes, e.g. from {_MAKE_SECRET}"
            )
        return v

    # ---- derived values -------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def trial_ids(self) -> frozenset[int]:
        return frozenset(int(p) for p in self.trial_campaign_ids.split(",") if p)

    @property
    def jwt_lifetime(self) -> timedelta:
        return parse_duration(self.jwt_expires)

    @property
    def poller_interval(self) -> float:
        return self.poller_interval_ms / 1000.0

    @property
    def db_url(self) -> str:
        return normalize_url(self.database_url or f"sqlite:///{self.data_dir / 'winroom.db'}")

    @property
    def core_db_url(self) -> str:
        return normalize_url(self.core_database_url or f"sqlite:///{self.data_dir / 'core.db'}")

    def jwt_key(self) -> str:
        """The JWT secret: the setting, or (SQLite only) one generated once and kept in the
        data dir (read once per Settings: every request checks a token with it).
        SettingsError (one line) when the kept one is empty or too short."""
        if self.jwt_secret:
            return self.jwt_secret
        if not is_sqlite(self.db_url):  # several servers must share one: never generated
            raise SettingsError(_SECRET_REQUIRED)
        if self._jwt_key is None:
            self._jwt_key = _generated_secret(self.data_dir / SECRET_FILE)
        return self._jwt_key

    @property
    def notices(self) -> list[str]:
        """Warnings from :meth:`check` for the operator (e.g. a data dir made private)."""
        return list(self._notices)

    def check(self, *, require_jwt_secret: bool = True) -> Settings:
        """Cross-field rules; raises SettingsError. ``require_jwt_secret`` False: for a
        command that neither signs nor checks tokens (migrate, create-user, device-token,
        worker, simulate), a database that is not SQLite needs no WINROOM_JWT_SECRET."""
        for name, url in (
            ("DATABASE_URL", self.database_url),
            ("CORE_DATABASE_URL", self.core_database_url),
        ):
            if url is not None:
                try:
                    normalize_url(url)
                except Exception as exc:  # sqlalchemy ArgumentError or ValueError
                    raise SettingsError(
                        f"WINROOM_{name}: not a usable database URL ({exc})"
                    ) from None
        if require_jwt_secret and not is_sqlite(self.db_url) and not self.jwt_secret:
            raise SettingsError(_SECRET_REQUIRED)
        a = _sqlite_file("WINROOM_DATABASE_URL", self.db_url)
        b = _sqlite_file("WINROOM_CORE_DATABASE_URL", self.core_db_url)
        if a is not None and a == b:
            raise SettingsError(
                "WINROOM_CORE_DATABASE_URL: names the same SQLite file as WINROOM_DATABASE_URL"
            )
        if self.redis_url is not None and not self.redis_url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise SettingsError("WINROOM_REDIS_URL: expected a redis:// URL")
        self._check_directories()
        return self

    def _check_directories(self) -> None:
        """The data dir and the directories of the SQLite files exist (created when
        missing) and are directories; else SettingsError naming the setting.

        The data dir is checked when it is set, or when something lives in it by default
        (a database URL left unset; the generated JWT secret on SQLite). Left at its
        default beside PostgreSQL it is only where logs go, and a log file that cannot be
        written is a warning, not a stop (``backend.logfile``)."""
        needed = (
            "data_dir" in self.model_fields_set
            or self.database_url is None
            or self.core_database_url is None
            or (self.jwt_secret is None and is_sqlite(self.db_url))
        )
        if needed:
            _ensure_directory(
                "WINROOM_DATA_DIR",
                self.data_dir,
                what="the data dir",
                writable=True,
                mode=private_files.DIR_MODE,
            )
            self._make_private()
        for name, set_url, url in (
            ("WINROOM_DATABASE_URL", self.database_url, self.db_url),
            ("WINROOM_CORE_DATABASE_URL", self.core_database_url, self.core_db_url),
        ):
            path = _sqlite_file(name, url)
            if path is not None:
                # a URL left unset lives in the data dir: its trouble is the data dir's
                _ensure_directory(
                    name if set_url else "WINROOM_DATA_DIR",
                    path.parent,
                    what="the directory of the SQLite file",
                )

    def _make_private(self) -> None:
        """The data dir 0700 and what Win Room keeps in it 0600 (it holds password hashes,
        customer emails, chat and the secret); a notice when it was open to others."""
        try:
            old = private_files.private_dir(self.data_dir)
        except OSError as exc:
            self._notices.append(
                f"cannot make the data dir {self.data_dir} private ({exc.strerror or exc}); "
                "other users may read it"
            )
            return
        if old is not None:
            self._notices.append(
                f"the data dir {self.data_dir} was open to other users (mode {old:04o}); "
                f"it is now {private_files.DIR_MODE:04o}"
            )
        private_files.tighten_kept(self.data_dir)


def _generated_secret(path: Path) -> str:
    """The secret kept at ``path``, generated first when there is none (atomically: every
    thread and process starting at once gets the same one, none reads it half written)."""
    try:
        try:
            key = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            private_files.private_dir(path.parent)
            private_files.create_once(path, secrets.token_urlsafe(48))
            key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SettingsError(
            f"WINROOM_DATA_DIR: cannot read the JWT secret {path} ({reason})"
        ) from None
    size = len(key.encode())
    if size < MIN_SECRET_BYTES:
        what = (
            "is empty"
            if not key
            else f"holds {size} bytes, under the {MIN_SECRET_BYTES} HS256 needs"
        )
        raise SettingsError(
            f"WINROOM_DATA_DIR: the JWT secret file {path} {what}; delete it to have a new "
            "one generated (everyone signs in again) or set WINROOM_JWT_SECRET"
        )
    return key


def _sqlite_file(name: str, url: str) -> Path | None:
    """The resolved file of a SQLite URL (None for other databases); SettingsError naming
    the setting when its path cannot be resolved (a symlink loop: RuntimeError)."""
    try:
        return database_file(url)
    except (OSError, RuntimeError) as exc:
        raise SettingsError(f"{name}: unusable SQLite file path ({exc})") from None


_SECRET_REQUIRED = "WINROOM_JWT_SECRET: required when WINROOM_DATABASE_URL is not SQLite"


def _ensure_directory(
    name: str, path: Path, *, what: str = "the directory", writable: bool = False, mode: int = 0o777
) -> None:
    """Create ``path`` (and its parents) when missing; SettingsError (one line naming the
    setting) when it cannot be created, is not a directory or (``writable``) cannot be
    written."""
    try:
        path.mkdir(mode=mode, parents=True, exist_ok=True)
    except FileExistsError:
        raise SettingsError(f"{name}: {what} {path} exists and is not a directory") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, NotADirectoryError):
            reason = "a part of the path is a file, not a directory"
        raise SettingsError(f"{name}: cannot create {what} {path} ({reason})") from None
    if not path.is_dir():  # pragma: no cover - mkdir(exist_ok=True) already refuses
        raise SettingsError(f"{name}: {what} {path} is not a directory")
    if writable and not os.access(path, os.W_OK | os.X_OK):
        raise SettingsError(f"{name}: {what} {path} is not writable")


def _format_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = str(err["loc"][0]).upper() if err.get("loc") else "?"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    return f"WINROOM_{loc}: {msg}"


def load_settings(*, require_jwt_secret: bool = True, **overrides: Any) -> Settings:
    """Read and validate the settings; raises SettingsError with one line (see
    :meth:`Settings.check` for ``require_jwt_secret``)."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_format_error(exc)) from None
    except (ValueError, InvalidOperation) as exc:  # pragma: no cover - defensive
        raise SettingsError(f"settings: {exc}") from None
    return settings.check(require_jwt_secret=require_jwt_secret)
