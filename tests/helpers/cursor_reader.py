"""A relay-style reader (``events WHERE id > cursor ORDER BY id``) racing concurrent writers:
the check that event ids become visible in commit order (nothing skipped, nothing twice)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from backend.models import Event
from backend.runtime import Database


def read_while_writing(db: Database, writers: list[Callable[[], None]]) -> list[int]:
    """Run each writer in its own thread while a reader follows the events table by id the
    way the relay does; returns the ids the reader saw, in the order it saw them (one last
    read after the writers finished). Raises the first error any thread hit."""
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def guarded(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # pragma: no cover - re-raised below
                errors.append(exc)

        return run

    def relay() -> None:
        cursor = 0
        while True:
            last_round = stop.is_set()
            with db.read() as s:
                ids = list(s.scalars(select(Event.id).where(Event.id > cursor).order_by(Event.id)))
            if ids:
                seen.extend(ids)
                cursor = ids[-1]
            if last_round:
                return
            # a breath between reads, as the relay waits for its wake-up: a reader spinning
            # flat out keeps the GIL from the writers, and the one holding SQLite's write
            # lock crawls until the others' busy timeout (30 s) runs out
            time.sleep(0.0005)

    watcher = threading.Thread(target=guarded(relay))
    watcher.start()
    threads = [threading.Thread(target=guarded(fn)) for fn in writers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    stop.set()
    watcher.join(60)
    if errors:
        raise errors[0]
    return seen
