"""``BodyLimitMiddleware`` as plain ASGI: a body in many messages (what uvicorn hands on for a
chunked upload, which the test client joins into one) reaches the app whole and in order;
over the limit the app gets an empty body and the mark, and the rest is never read."""

from __future__ import annotations

import asyncio
from typing import Any

from backend.api.deps import MAX_BODY_BYTES, BodyLimitMiddleware


def _run(
    chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[bytes, dict[str, Any], int]:
    """The body the app read, the request's state, and how many messages were received."""
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    received = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    seen: dict[str, Any] = {}

    async def app(scope: Any, receive_: Any, send: Any) -> None:
        body = b""
        while True:
            m = await receive_()
            body += m.get("body", b"")
            if not m.get("more_body"):
                break
        seen["body"], seen["state"] = body, dict(scope.get("state", {}))

    async def send(_m: Any) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": "/api/claim", "headers": headers}
    asyncio.run(BodyLimitMiddleware(app)(scope, receive, send))
    return seen["body"], seen["state"], received


def test_a_chunked_body_in_many_messages_is_handed_on_whole() -> None:
    chunks = [b'{"queue_id": 1, ', b'"claim_type": ', b'"upgrade"}']
    body, state, received = _run(chunks, [(b"transfer-encoding", b"chunked")])
    assert body == b"".join(chunks) and not state
    assert received == 3


def test_a_chunked_body_over_the_limit_is_not_read_further() -> None:
    piece = b"x" * 16_384
    chunks = [piece] * 10  # 160 KiB
    body, state, received = _run(chunks, [(b"transfer-encoding", b"chunked")])
    assert body == b"" and state == {"winroom_body_too_large": True}
    assert received == MAX_BODY_BYTES // len(piece) + 1  # stopped at the first piece over


def test_a_declared_length_over_the_limit_is_not_read_at_all() -> None:
    body, state, received = _run([b"x" * 10], [(b"content-length", b"70000")])
    assert body == b"" and state == {"winroom_body_too_large": True} and received == 0
