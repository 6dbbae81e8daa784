"""The backend's log files: ``<data dir>/logs/<command>.log`` (CONTRACT §2: the data
dir is where "the embedded databases, the generated secret and logs live").

The long-running commands (``serve``, ``worker``, ``demo``) log there as well as to stderr,
each to its own rotating file (``serve.log``, ``worker.log``, ``demo.log``; 5 MB, 5 old
files kept): a file is rotated by the one kind of process that writes it, not renamed under
another process that still writes (``RotatingFileHandler`` is not safe across processes;
on Windows the rename fails while another process holds the file). Each line also names
its command and process id. A log dir that cannot be created or a file that cannot be
opened is one warning on stderr; the program carries on with stderr alone.

uvicorn configures its own loggers (``uvicorn``, ``uvicorn.access``) not to propagate to
the root logger; :func:`attach_uvicorn` gives them the file too, after uvicorn's config.

The log dir is 0700 and each log file 0600, also the ones a rotation starts (they carry
customer emails and names).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from backend import private_files

LOG_DIR = "logs"
LOG_SUFFIX = ".log"
MAX_BYTES = 5 * 1024 * 1024
BACKUP_COUNT = 5
UVICORN_LOGGERS = ("uvicorn", "uvicorn.access")

_handler: RotatingFileHandler | None = None


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log whose files are created 0600."""

    def _open(self) -> io.TextIOWrapper:
        return private_files.open_private_append(
            Path(self.baseFilename), encoding=self.encoding, errors=self.errors
        )


def log_path(data_dir: Path, command: str) -> Path:
    return Path(data_dir) / LOG_DIR / f"{command}{LOG_SUFFIX}"


def install(data_dir: Path, command: str, *, prog: str = "winroom-backend") -> Path | None:
    """Add the rotating log file to the root logger; its path, or None (after one warning
    on stderr) when it cannot be opened. Calling it again replaces the previous file."""
    global _handler
    path = log_path(data_dir, command)
    try:
        Path(data_dir).mkdir(mode=private_files.DIR_MODE, parents=True, exist_ok=True)
        path.parent.mkdir(mode=private_files.DIR_MODE, exist_ok=True)
        handler = PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
        with contextlib.suppress(OSError):  # what an older version made (not ours: left)
            private_files.tighten(path.parent)
            private_files.tighten(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileExistsError | NotADirectoryError):
            reason = "a part of the path is a file, not a directory"
        print(
            f"{prog}: warning: cannot write the log file {path} ({reason}); logging to stderr only",
            file=sys.stderr,
        )
        return None
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s {command}[%(process)d] %(name)s: %(message)s")
    )
    uninstall()
    logging.getLogger().addHandler(handler)
    _handler = handler
    return path


def attach_uvicorn() -> None:
    """Give uvicorn's non-propagating loggers the log file too (after uvicorn's config
    replaced their handlers); nothing when no log file is installed."""
    if _handler is None:
        return
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        if _handler not in logger.handlers:
            logger.addHandler(_handler)


def uninstall() -> None:
    """Remove and close the log file (tests; a second :func:`install`)."""
    global _handler
    if _handler is None:
        return
    for name in ("", *UVICORN_LOGGERS):
        logging.getLogger(name).removeHandler(_handler)
    _handler.close()
    _handler = None


__all__ = ["LOG_SUFFIX", "attach_uvicorn", "install", "log_path", "uninstall"]
