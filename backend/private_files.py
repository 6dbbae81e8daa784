"""Files only their owner may read: the data dir (0700) and what Win Room keeps in it (0600).

The data dir holds password hashes, customer emails, chat and the JWT secret. Each file is
created with its mode (not through the process umask: a CSV written with ``export -o``
keeps the user's umask); SQLite gives a database's ``-wal``/``-shm`` the database file's
mode, so a 0600 database is enough for those. Standard library only: the desktop uses it
too.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import os
import stat
import tempfile
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
_OTHERS = 0o077  # group and world bits

# what Win Room keeps in a data dir (backend and desktop); tightened when found wider
KEPT = (
    "winroom.db*",
    "core.db*",
    "jwt_secret",
    "demo-credentials.json",
    "tv-journal-*.json",
)
LOG_DIR = "logs"


def tighten(path: Path) -> int | None:
    """Take the group and world bits off ``path``; its old mode when it had any, else None
    (also off POSIX, where modes do not mean this)."""
    if os.name != "posix":
        return None
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if not mode & _OTHERS:
        return None
    os.chmod(path, mode & ~_OTHERS)
    return mode


def private_dir(path: Path) -> int | None:
    """Create ``path`` (parents as usual) with mode 0700, or tighten an existing one; its old
    mode when it was open to others, else None."""
    Path(path).mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return tighten(Path(path))


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (an existing file is kept)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def open_private_append(
    path: Path, encoding: str | None = "utf-8", errors: str | None = None
) -> io.TextIOWrapper:
    """``open(path, "a")``, a new file created with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    return os.fdopen(fd, "a", encoding=encoding, errors=errors)


def create_once(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it exists, so that no reader ever sees it partly
    written and, of writers racing (threads or processes), exactly one wins: the text goes
    to a 0600 temporary file beside it, which is then hard-linked into place (``link``
    fails when the name exists: nothing is ever overwritten or truncated). True: this call
    created it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def tighten_kept(data_dir: Path) -> list[Path]:
    """Tighten what Win Room keeps in ``data_dir`` (its databases with their ``-wal`` and
    ``-shm``, the secret, credentials, journals, the log dir and its files); the paths
    changed. Other files (the data dir may be shared) are left as they are."""
    data_dir = Path(data_dir)
    kept: list[Path] = []
    with contextlib.suppress(OSError):
        kept += [
            Path(e.path)
            for e in os.scandir(data_dir)
            if e.is_file(follow_symlinks=False)
            and any(fnmatch.fnmatchcase(e.name, p) for p in KEPT)
        ]
    logs = data_dir / LOG_DIR
    if logs.is_dir() and not logs.is_symlink():
        kept.append(logs)
        with contextlib.suppress(OSError):
            kept += [Path(e.path) for e in os.scandir(logs) if e.is_file(follow_symlinks=False)]
    changed: list[Path] = []
    for path in kept:
        try:
            if tighten(path) is not None:
                changed.append(path)
        except OSError:
            continue  # not ours to change (another owner): the 0700 dir still guards it
    return changed


__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "create_once",
    "create_private",
    "open_private_append",
    "private_dir",
    "tighten",
    "tighten_kept",
]
