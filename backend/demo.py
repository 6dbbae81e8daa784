"""``winroom-backend demo``: the whole backend of the demo in one process.

1. the data dir (``--data-dir`` or ``WINROOM_DATA_DIR``) with its two SQLite files,
2. migrate Win Room's database and seed the demo floor (idempotent, ``backend.demo_data``),
3. write ``<data-dir>/demo-credentials.json`` (mode 0600) for ``winroom demo`` to read,
4. run the API server (with the ingest worker and jobs inside it) — or, while
   ``backend.server`` is not available, the worker alone — plus the simulator and the
   demo floor bots (``backend.demo_bots``: the other demo sellers claim sales; ``--no-bots``
   turns them off), until Ctrl+C / SIGTERM — or, started by ``winroom demo``, until that
   parent is gone however it ended (``backend.childproc``).

All of it runs in threads of this one process: it starts no child process, so nothing of
it can outlive a kill -9 of it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from backend.accounts import hash_device_token
from backend.db.types import utcnow
from backend.demo_data import TV_DEVICE_NAME, DemoSeed, rotate_tv_token, seed_demo
from backend.models import DeviceToken
from backend.runtime import Database, open_database
from backend.settings import Settings

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "demo-credentials.json"


def _stored_token(path: Path) -> str | None:
    try:
        value = json.loads(path.read_text()).get("tv_token")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def prepare_demo(settings: Settings, db: Database, port: int) -> dict[str, Any]:
    """Seed the demo floor and write the credentials file; returns what it wrote."""
    path = settings.data_dir / CREDENTIALS_FILE
    with db.transaction() as s:
        seed: DemoSeed = seed_demo(s, utcnow())
        token = seed.tv_token
        if token is None:  # the device exists: reuse the stored token if it still matches
            token = _stored_token(path)
            dev = s.scalar(select(DeviceToken).where(DeviceToken.name == TV_DEVICE_NAME))
            valid = (
                token is not None
                and dev is not None
                and dev.revoked_at is None
                and dev.token_hash == hash_device_token(token)
            )
            if not valid:
                token = rotate_tv_token(s)
    creds = {
        "server": f"http://127.0.0.1:{port}",
        "tv_token": token,
        "sellers": seed.sellers,
        "admin": seed.admin,
        "finance": seed.finance,
        "sales_lead": seed.sales_lead,
    }
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(creds, f, ensure_ascii=False, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return creds


def start_api(settings: Settings, db: Database, port: int) -> Callable[[], None] | None:
    """THE place where the HTTP/Socket.IO server joins the demo process.

    Starts ``backend.server.run_server_in_process`` (which also runs the ingest worker and
    the jobs) and returns its stop function; None when the server is not built.
    """
    try:
        # lazy: the worker runs alone without the API
        from backend.server import run_server_in_process
    except ImportError as exc:
        print(f"the API server is not built yet ({exc}); running the worker alone", flush=True)
        return None
    running = run_server_in_process(settings, port=port, db=db, worker=True, log_level="warning")
    print(f"API and live events on http://127.0.0.1:{port}", flush=True)
    return running.stop


def demo_command(settings: Settings, args: argparse.Namespace) -> int:
    # lazy: a command loads only what it runs
    from backend.childproc import watch_parent
    from backend.ingest.worker import run_worker
    from backend.simulate import run_simulation

    watch_parent()  # under `winroom demo`: stop (SIGTERM) as soon as it is gone

    port = int(getattr(args, "port", 8000) or 8000)
    rate = float(getattr(args, "rate", 0.2) or 0.2)
    db = open_database(settings, migrate=True)
    stop = threading.Event()

    def _stop(*_a: Any) -> None:
        stop.set()

    old = signal.signal(signal.SIGTERM, _stop)
    threads: list[threading.Thread] = []
    stop_api: Callable[[], None] | None = None
    try:
        creds = prepare_demo(settings, db, port)
        print(f"demo data in {settings.data_dir}", flush=True)
        print(f"credentials: {settings.data_dir / CREDENTIALS_FILE}", flush=True)
        print(f"seller login: {creds['sellers'][0]['email']} / {creds['sellers'][0]['password']}")
        stop_api = start_api(settings, db, port)
        if stop_api is None:
            threads.append(
                threading.Thread(
                    target=run_worker, args=(db, settings, stop), name="ingest-worker", daemon=True
                )
            )
        if not getattr(args, "no_bots", False):
            # lazy: only with bots
            from backend.demo_bots import run_bots

            bot_emails = [seller["email"] for seller in creds["sellers"][1:]]
            threads.append(
                threading.Thread(
                    target=run_bots,
                    args=(db, settings, bot_emails, stop),
                    name="demo-bots",
                    daemon=True,
                )
            )
        threads.append(
            threading.Thread(
                target=run_simulation,
                args=(settings.core_db_url,),
                kwargs={"count": None, "rate": rate, "seed": None, "stop_event": stop},
                name="simulator",
                daemon=True,
            )
        )
        for t in threads:
            t.start()
        print("simulating a live sales floor; Ctrl+C stops", flush=True)
        while not stop.is_set():
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
        if stop_api is not None:
            stop_api()
        signal.signal(signal.SIGTERM, old)
        db.dispose()
        print("demo stopped", flush=True)
    return 0
