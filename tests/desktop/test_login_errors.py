from __future__ import annotations

import pytest

from winroom_desktop.net.api import ApiError, ServerUnreachable, login_failure_text


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ApiError(401, "invalid_credentials", "Bad login."), "Wrong email or password."),
        (ApiError(422, "invalid_request", "The request is not valid."), "Wrong email or password."),
        (
            ApiError(429, "rate_limited", "Slow down."),
            "Too many attempts: wait a minute and try again.",
        ),
        (
            ApiError(503, "unavailable", "The database is not reachable."),
            "The database is not reachable.",
        ),
        (ServerUnreachable("refused"), "Can't reach http://h:1. Check the address or try again."),
    ],
)
def test_login_failure_text_is_the_same_for_seller_and_admin(exc: Exception, expected: str) -> None:
    assert login_failure_text(exc, "http://h:1") == expected
