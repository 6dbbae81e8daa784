"""What a TV is shown of an address (``backend.schemas.common``): the local part's first
letter and the domain, for anything address-shaped, in linear time."""

from __future__ import annotations

import pytest

from backend.schemas.common import mask_email, mask_emails, mask_emails_in_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ayse@gmail.com", "a•••@gmail.com"),
        ("ops@localhost", "o•••@localhost"),  # a domain without a dot
        ("bob@[127.0.0.1]", "b•••@[127.0.0.1]"),  # an address literal
        ("root@[IPv6:::1] says hi", "r•••@[IPv6:::1] says hi"),
        ("AYSE.YILMAZ@GMAIL.COM", "A•••@GMAIL.COM"),
        ("ayşe.öz@bücher.de", "a•••@bücher.de"),  # any script, IDN domains
        ("zed+tag_1@sub.corp.co.uk", "z•••@sub.corp.co.uk"),
        ('"john doe"@example.com', "j•••@example.com"),  # a quoted local part
        ("x" * 80 + "@corp.com", "x•••@corp.com"),  # a long local part: one letter only
        ("call zed@corp.com, cc fin@corp.com.", "call z•••@corp.com, cc f•••@corp.com."),
        ("<ops@localhost>", "<o•••@localhost>"),
        ("'bob@x.io'", "'b•••@x.io'"),
        ("mailto:bob@x.io", "mailto:b•••@x.io"),
        ("a•••@gmail.com", "a•••@gmail.com"),  # masked already: unchanged
        ("@everyone at 5 @ the door", "@everyone at 5 @ the door"),  # not addresses
        ("no address here", "no address here"),
    ],
)
def test_address_shaped_text_is_masked(text: str, masked: str) -> None:
    assert mask_emails_in_text(text) == masked
    assert mask_emails_in_text(masked) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("ayse@gmail.com", "a•••@gmail.com"),
        ("x" * 80 + "@corp.com", "x•••@corp.com"),
        ('"a@b"@c.com', "a•••@c.com"),  # the domain is after the last @
        ("ops", "o•••"),
        ("", ""),
        (None, None),
    ],
)
def test_an_email_field_shows_one_letter_and_the_domain(
    email: str | None, masked: str | None
) -> None:
    assert mask_email(email) == masked


def test_a_tvs_copy_masks_email_keys_and_addresses_in_any_string() -> None:
    doc = {
        "customer": {"email": "ops@localhost", "name": "bob@[127.0.0.1]"},
        "customerEmail": "Zed@Corp.com",
        "notes": ["ring " + "q" * 80 + "@x.co"],
        "count": 3,
    }
    assert mask_emails(doc) == {
        "customer": {"email": "o•••@localhost", "name": "b•••@[127.0.0.1]"},
        "customerEmail": "Z•••@Corp.com",
        "notes": ["ring q•••@x.co"],
        "count": 3,
    }


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("shape", "masked"),
    [
        ("a" * 100_000, None),
        ("a" * 100_000 + "!", None),
        ("a" * 50_000 + " " + "a" * 50_000 + "@", None),
        ("a." * 50_000 + "@", None),
        ("@" * 100_000, None),
        ("a " * 50_000 + "@x", None),
        ("a@[" * 33_000, None),
        ("a@" * 50_000, "a•••@a@" * 25_000),
        ("x" * 100_000 + "@corp.com", "x•••@corp.com"),
        ("x@" + "a." * 50_000, "x•••@" + "a." * 50_000),
        ("x@[" + "1" * 100_000, "x@[" + "1" * 100_000),
    ],
    ids=lambda s: repr(s[:6]) if isinstance(s, str) else "",
)
def test_adversarial_text_is_masked_in_linear_time(shape: str, masked: str | None) -> None:
    """100 KB of the shapes that make a backtracking pattern quadratic; the answer must be
    right (the timeout catches a pattern that is not linear)."""
    tail = " mail ops@localhost"
    assert mask_emails_in_text(shape + tail) == (shape if masked is None else masked) + (
        " mail o•••@localhost"
    )
