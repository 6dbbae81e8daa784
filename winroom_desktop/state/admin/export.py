"""CSV of what a table shows: UTF-8 with a byte-order mark, RFC 4180 quoting (as the API's
own exports), the columns and text the table shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from winroom_desktop.state.admin.specs import Column

_RAW = ("money", "count", "percent")


def rows_csv(columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> bytes:
    """Money and counts as the plain number (``1449.28``), the rest as shown."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.header for c in columns])
    for row in rows:
        w.writerow(
            [
                "" if c.raw(row) is None else str(c.raw(row)) if c.kind in _RAW else c.text(row)
                for c in columns
            ]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
