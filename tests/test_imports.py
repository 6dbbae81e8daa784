"""First-party imports sit at the top of a module; one inside a function says why, in a
``# lazy: <reason>`` comment on the line before its import block (or on the import line)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("backend", "winroom_desktop")
# files other work owns for now (issue 21): their function-body imports are to be sorted out
PENDING = {"backend/api/errors.py"}


def _first_party(node: ast.Import | ast.ImportFrom) -> bool:
    names = (
        [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    )
    return any(n.split(".")[0] in FIRST_PARTY for n in names)


def _type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (imports for the type checker only, never run)."""
    return isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"


def _unexplained(path: Path) -> list[int]:
    """Lines of function-body first-party imports without a ``# lazy:`` reason."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    bad = []
    for parent in ast.walk(ast.parse(source)):
        if isinstance(parent, ast.Module) or _type_checking(parent):
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            body = getattr(parent, field, None)
            if not isinstance(body, list):
                continue
            start = None  # first line of the current block of imports
            for node in body:
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    start = None
                    continue
                start = node.lineno if start is None else start
                if not _first_party(node) or "# lazy:" in lines[node.lineno - 1]:
                    continue
                if not (start > 1 and lines[start - 2].strip().startswith("# lazy:")):
                    bad.append(node.lineno)
    return sorted(bad)


def test_function_body_imports_say_why() -> None:
    found = {}
    for package in FIRST_PARTY:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("backend/migrations/") or rel in PENDING:
                continue
            if bad := _unexplained(path):
                found[rel] = bad
    assert found == {}, found


def test_the_check_finds_an_unexplained_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        "def f():\n    from backend import eventlog\n\n"
        "def g():\n    # lazy: a reason\n    from backend import eventlog\n"
        "    from backend.db import types\n"
    )
    assert _unexplained(sample) == [2]
