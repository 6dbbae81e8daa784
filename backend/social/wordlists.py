"""Reading the chat word lists: the shipped Turkish and English files plus the admins' own.

Admins extend the list by writing words (one per line, ``#`` comments, ``word*`` stems) to
``<data_dir>/profanity_extra.txt``; the file is re-read when it changes, no restart needed.
"""

from __future__ import annotations

import threading
from pathlib import Path

from backend.social.moderation import WordList, compile_word_list

SHIPPED = (
    Path(__file__).resolve().parent.parent / "data" / "profanity_tr.txt",
    Path(__file__).resolve().parent.parent / "data" / "profanity_en.txt",
)
EXTRA_NAME = "profanity_extra.txt"

_cache: dict[tuple[tuple[tuple[str, float], ...], tuple[str, ...]], WordList] = {}
_lock = threading.Lock()


def _stamp(paths: tuple[Path, ...]) -> tuple[tuple[str, float], ...]:
    out = []
    for p in paths:
        try:
            out.append((str(p), p.stat().st_mtime))
        except OSError:
            out.append((str(p), -1.0))
    return tuple(out)


def _read(paths: tuple[Path, ...], extra: tuple[str, ...] = ()) -> WordList:
    lines: list[str] = list(extra)
    for p in paths:
        try:
            lines += p.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue  # a missing or unreadable extra list never stops the chat
    return compile_word_list(lines)


def word_list(data_dir: Path | None, extra: tuple[str, ...] = ()) -> WordList:
    """The current list: shipped files plus ``data_dir``'s extra file (cached by mtime) plus
    ``extra`` (the words admins add with ``PATCH /api/admin/game``)."""
    paths = SHIPPED + ((Path(data_dir) / EXTRA_NAME,) if data_dir is not None else ())
    key = (_stamp(paths), extra)
    with _lock:
        found = _cache.get(key)
        if found is None:
            if len(_cache) > 8:
                _cache.clear()
            found = _cache[key] = _read(paths, extra)
        return found
