"""Huge request lines and headers get 414 / 431 / 400 with the error envelope (issue 19 §8),
from a real uvicorn server over a raw socket (uvicorn alone: a plain-text 400 for a 100 KB
request line, and no limit at all on headers)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.runtime import Database
from backend.server import (
    MAX_HEAD_BYTES,
    MAX_HEADER_BYTES,
    MAX_TARGET_BYTES,
    RunningServer,
    run_server_in_process,
)
from tests.backend.realtime.support import make_settings


@pytest.fixture
def server(tmp_path: Path, sqlite_db: Database) -> Iterator[RunningServer]:
    with run_server_in_process(make_settings(tmp_path, sqlite_db), db=sqlite_db) as running:
        yield running


def exchange(port: int, *chunks: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``chunks`` (stopping if the server closes first), read the answer until the
    server closes the connection; (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        try:
            for chunk in chunks:
                conn.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = b""
        while True:
            try:
                part = conn.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            got += part
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


def envelope(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    parsed: dict[str, Any] = json.loads(body)
    assert set(parsed) == {"error"} and set(parsed["error"]) == {"code", "message"}
    return parsed["error"]


def get(target: bytes, *extra_headers: bytes) -> bytes:
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: winroom", *extra_headers]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


@pytest.mark.parametrize("size", [100_000, 2 * MAX_TARGET_BYTES, 1_000_000])
def test_a_huge_request_line_is_414_with_the_envelope(server: RunningServer, size: int) -> None:
    status, headers, body = exchange(server.port, get(b"/api/queue?q=" + b"a" * size))
    assert status == 414
    assert envelope(headers, body)["code"] == "uri_too_long"
    assert headers["connection"] == "close"


@pytest.mark.parametrize("size", [100_000, 2 * MAX_HEADER_BYTES, 1_000_000])
def test_huge_headers_are_431_with_the_envelope(server: RunningServer, size: int) -> None:
    status, headers, body = exchange(server.port, get(b"/api/queue", b"X-Big: " + b"a" * size))
    assert status == 431
    assert envelope(headers, body)["code"] == "headers_too_large"


def test_many_small_headers_add_up(server: RunningServer) -> None:
    many = [b"X-H%d: %s" % (i, b"v" * 100) for i in range(MAX_HEADER_BYTES // 100)]
    status, headers, body = exchange(server.port, get(b"/api/queue", *many))
    assert status == 431 and envelope(headers, body)["code"] == "headers_too_large"


def test_a_head_that_never_ends_is_cut_off(server: RunningServer) -> None:
    # one header line dripped in pieces, never finished: the answer comes without its end
    start = b"GET /api/queue HTTP/1.1\r\nHost: winroom\r\nX-Drip: "
    pieces = [start] + [b"d" * 4096] * (MAX_HEAD_BYTES // 4096 + 2)
    status, headers, body = exchange(server.port, *pieces)
    assert status == 431 and envelope(headers, body)["code"] == "headers_too_large"


def test_what_is_not_http_is_400_with_the_envelope(server: RunningServer) -> None:
    status, headers, body = exchange(server.port, b"\x00\x01 NOT HTTP\r\n\r\n")
    assert status == 400 and envelope(headers, body)["code"] == "bad_request"


def test_heads_within_the_limits_reach_the_app(server: RunningServer) -> None:
    target = b"/api/queue?q=" + b"a" * (MAX_TARGET_BYTES - 100)
    status, headers, body = exchange(
        server.port, get(target, b"X-Big: " + b"a" * (MAX_HEADER_BYTES - 200))
    )
    assert status == 401 and envelope(headers, body)["code"] == "not_authenticated"
    # keep-alive: two requests on one connection, then a big body after the head
    two = b"GET /healthz HTTP/1.1\r\nHost: winroom\r\n\r\n" + get(b"/healthz")
    status, _, body = exchange(server.port, two)
    assert status == 200 and body.count(b"HTTP/1.1 200") == 1  # the second answer
    payload = json.dumps({"email": "a@b.c", "password": "x" * 50_000}).encode()
    post = (
        b"POST /api/auth/login HTTP/1.1\r\nHost: winroom\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(payload)
    ) + payload
    status, headers, body = exchange(server.port, post)
    assert status == 422 and json.loads(body)["error"]["code"] == "invalid_request"
