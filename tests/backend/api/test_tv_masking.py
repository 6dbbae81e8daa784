"""Every HTTP answer a TV token can read shows addresses masked (CONTRACT §4: "with customer
emails masked by the server"), whatever field they were typed into."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from backend.api.authz import TABLE
from backend.db.types import utcnow
from backend.models import Challenge, Promotion, SalesGoal
from backend.runtime import Database
from backend.settings import Settings
from tests.backend.realtime.support import People, TestClient, add_seller

LONG = "q" * 80
PLANTED = f"ops@localhost, bob@[127.0.0.1] or {LONG}@corp.com"
SHORT = "ops@localhost or bob@[127.0.0.1]"  # for titles (120 characters at most)
LEAKS = ("ops@", "bob@", "qq", "zed@", "Ops.Lead@")
BOARDS = ("wins", "revenue", "margin", "conversion")


def _tv_paths() -> list[str]:
    paths: list[str] = []
    for (method, path), rule in TABLE.items():
        if method != "GET" or not isinstance(rule, frozenset) or "tv" not in rule:
            continue
        if "{board}" in path:
            paths += [path.replace("{board}", b) for b in BOARDS]
        else:
            assert "{" not in path, f"fill in the parameters of {path}"
            paths.append(path)
    return paths


def test_no_tv_answer_shows_an_address(
    client: TestClient, people: People, db: Database, api_settings: Settings
) -> None:
    now = utcnow()
    _seller_id, token = add_seller(db, api_settings, "ops.lead@corp.com", "Ops.Lead@HQ", "sales")
    with db.transaction() as s:
        s.add(SalesGoal(title=f"Goal {SHORT}", period="day", target_type="count", target=5))
        s.add(
            Challenge(
                title=f"Beat {SHORT}",
                description=PLANTED,
                metric="wins",
                scope="team",
                target=Decimal(3),
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=5),
            )
        )
        s.add(
            Promotion(
                title=f"Ask {SHORT}",
                body=PLANTED,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=5),
            )
        )
    body = {
        "customer_email": "zed@corp.com",
        "customer_name": "ops@localhost",
        "campaign_id": 12,
        "amount": "100",
        "currency": "USD",
        "note": PLANTED,
    }
    made = client.post("/api/queue/manual", json=body, headers=people.headers("admin"))
    assert made.status_code == 201, made.text
    second = client.post("/api/queue/manual", json=body, headers=people.headers("admin"))
    assert second.status_code == 201, second.text
    won = client.post(
        "/api/claim",
        json={"queue_id": made.json()["item"]["id"], "claim_type": "first_sales"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert won.status_code == 201, won.text

    paths = _tv_paths()
    assert {"/api/queue", "/api/claims/recent", "/api/promotions/active"} <= set(paths)
    seen_by_staff = ""
    for path in paths:
        tv = client.get(path, headers=people.headers("tv"))
        assert tv.status_code == 200, (path, tv.text)
        for leak in LEAKS:
            assert leak not in tv.text, (path, leak, tv.text)
        seen_by_staff += client.get(path, headers=people.headers("admin")).text
    # what was planted is there, unmasked, for staff (so the TV's answers were masked)
    for leak in LEAKS:
        assert leak in seen_by_staff, leak
    assert re.search("o•••@localhost", client.get("/api/queue", headers=people.headers("tv")).text)
