"""Where the seller/admin apps keep the login: the user config dir, readable only by the user.

``<config>/winroom/session.json`` maps a server URL to ``{"email", "token", "user"}``; the
file is written atomically with mode 0600. ``email`` stays after logout (remembered for
the next login); the token does not.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs


def default_path() -> Path:
    return Path(platformdirs.user_config_dir("winroom", appauthor=False)) / "session.json"


class CredentialStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".session-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        os.chmod(self.path, 0o600)

    def get(self, server: str) -> dict[str, Any]:
        entry = self._read().get(server.rstrip("/"))
        return entry if isinstance(entry, dict) else {}

    def save(self, server: str, *, email: str, token: str | None, user: Any = None) -> None:
        data = self._read()
        data[server.rstrip("/")] = {"email": email, "token": token, "user": user}
        self._write(data)

    def forget_token(self, server: str) -> None:
        data = self._read()
        entry = data.get(server.rstrip("/"))
        if isinstance(entry, dict):
            entry["token"] = None
            entry["user"] = None
            self._write(data)
