"""Where a paired TV keeps its device token: a JSON file in the TV's data dir, one per
server and screen (``tv_app.token_path``), readable by its user only (0600, written
atomically). A missing, unreadable or other server's file is no token."""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from winroom_desktop.state.journal import write_atomic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredToken:
    token: str
    name: str


class TokenFile:
    def __init__(self, path: Path, server: str) -> None:
        self.path = Path(path)
        self.server = server.rstrip("/")

    def load(self) -> StoredToken | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable TV token file %s: %s", self.path, exc)
            return None
        if not isinstance(data, dict) or data.get("server") != self.server:
            return None
        token, name = data.get("token"), data.get("name")
        if not isinstance(token, str) or not token:
            return None
        return StoredToken(token, name if isinstance(name, str) else "")

    def save(self, token: str, name: str) -> None:
        doc = {
            "server": self.server,
            "token": token,
            "name": name,
            "paired_at": datetime.now(UTC).isoformat(),
        }
        write_atomic(self.path, json.dumps(doc, ensure_ascii=False))

    def forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
