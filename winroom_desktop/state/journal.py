"""The local journal: last good state + last event id, so a restarted TV shows its last
good screen at once and resumes the live stream with ``since``.

JSON in the user data dir, written atomically (temp file + ``os.replace``), readable by its
user only (the file 0600, a directory it creates 0700). A corrupt or missing journal is
simply no journal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend import private_files
from winroom_desktop.state.models import RoomState
from winroom_desktop.state.snapshot import snapshot_from_http, state_to_responses

log = logging.getLogger(__name__)
VERSION = 1


class Journal:
    def __init__(self, path: Path, server: str | None = None) -> None:
        self.path = Path(path)
        self.server = server

    def load(self) -> tuple[RoomState, datetime | None] | None:
        """``(state, saved_at)`` or ``None`` when there is no usable journal."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                return None
            if self.server and data.get("server") and data["server"] != self.server:
                return None  # another server's room: do not show it
            state = snapshot_from_http(data["responses"])
            state = replace(state, last_event_id=data.get("last_event_id"))
            saved = data.get("saved_at")
            return state, (datetime.fromisoformat(saved) if saved else None)
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.warning("ignoring unreadable journal %s: %s", self.path, exc)
            return None

    def dumps(self, state: RoomState, saved_at: datetime | None = None) -> str:
        doc: dict[str, Any] = {
            "version": VERSION,
            "server": self.server,
            "saved_at": (saved_at or datetime.now(UTC)).isoformat(),
            "last_event_id": state.last_event_id,
            "responses": state_to_responses(state),
        }
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    def save(self, state: RoomState, saved_at: datetime | None = None) -> None:
        write_atomic(self.path, self.dumps(state, saved_at))


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once; the new file is 0600 (``mkstemp``'s mode)."""
    path.parent.mkdir(mode=private_files.DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # the data dir the backend shares: private too
        private_files.tighten(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
