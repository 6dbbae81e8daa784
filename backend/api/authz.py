"""The authorization of every endpoint, as ONE table (CONTRACT §4).

``TABLE[(METHOD, path)]`` is who may call it: ``PUBLIC`` (no token needed), or a set of
roles among ``sales``, ``sales_lead``, ``finance``, ``admin``, ``tv``. The app-wide
dependency :func:`backend.api.deps.authorize` looks the matched route up here BEFORE the
body is validated: no token → 401, a role not in the set → 403 whatever the fields, a route
missing from the table → 403 (fail closed; a test checks every route is listed).
"""

from __future__ import annotations

from typing import Final

PUBLIC: Final = "public"

SALES: Final = frozenset({"sales", "sales_lead"})
STAFF: Final = frozenset({"sales", "sales_lead", "finance", "admin"})  # every seller login
ALL: Final = STAFF | {"tv"}  # every token
SELLERS_ADMIN: Final = SALES | {"admin"}  # who claims, has points, goals, spins
LEAD: Final = frozenset({"sales_lead", "admin"})
LEAD_VIEW: Final = frozenset({"sales_lead", "finance", "admin"})
FINANCE: Final = frozenset({"finance", "admin"})
ADMIN: Final = frozenset({"admin"})

ROLES_UNDER_TEST: Final = ("sales", "sales_lead", "finance", "admin", "tv")

Rule = frozenset[str] | str

TABLE: Final[dict[tuple[str, str], Rule]] = {
    # health and auth
    ("GET", "/healthz"): PUBLIC,
    ("HEAD", "/healthz"): PUBLIC,  # what some load balancers' health checks send
    ("GET", "/readyz"): PUBLIC,
    ("HEAD", "/readyz"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/register"): ADMIN,
    ("GET", "/api/auth/me"): ALL,
    # queue and claims
    ("GET", "/api/queue"): ALL,
    ("POST", "/api/queue/manual"): LEAD,
    ("POST", "/api/claim"): SELLERS_ADMIN,
    ("GET", "/api/claims/recent"): ALL,
    ("GET", "/api/achievements"): ALL,
    ("GET", "/api/promotions/active"): ALL,
    ("POST", "/api/objections"): SELLERS_ADMIN,
    ("GET", "/api/me/objections"): SELLERS_ADMIN,
    # game
    ("GET", "/api/leaderboard/{board}"): ALL,
    ("GET", "/api/goals/progress"): ALL,
    ("GET", "/api/challenges"): ALL,
    ("GET", "/api/me/goals"): SELLERS_ADMIN,
    ("GET", "/api/me/metrics"): SELLERS_ADMIN,
    ("GET", "/api/me/points"): SELLERS_ADMIN,
    ("GET", "/api/me/points/history"): SELLERS_ADMIN,
    ("GET", "/api/me/badges"): SELLERS_ADMIN,
    ("GET", "/api/me/spins"): SELLERS_ADMIN,
    ("POST", "/api/me/spins/{spin_id}"): SELLERS_ADMIN,
    ("GET", "/api/team/overview"): LEAD_VIEW,
    # social (seller issue)
    ("GET", "/api/chats"): STAFF,
    ("POST", "/api/chats"): STAFF,
    ("POST", "/api/emojis"): STAFF,
    ("DELETE", "/api/emojis"): STAFF,
    ("GET", "/api/presence"): STAFF,
    # admin of the seed, every /api/admin/* route: finance and admin (CONTRACT §4; later
    # batch: 501 to these roles, 403 to the others)
    ("GET", "/api/admin/claims"): FINANCE,
    ("PATCH", "/api/admin/claims/{claim_id}"): FINANCE,
    ("POST", "/api/admin/claims/{claim_id}/adjustment"): FINANCE,
    ("POST", "/api/admin/claims/{claim_id}/refund"): FINANCE,
    ("GET", "/api/admin/installments"): FINANCE,
    ("POST", "/api/admin/objections/{objection_id}"): FINANCE,
    ("GET", "/api/admin/sellers"): FINANCE,
    ("POST", "/api/admin/goals"): FINANCE,
    ("POST", "/api/admin/promotions"): FINANCE,
}


# Routes whose own transaction checks the caller's account (exists, active, role in the
# rule) in the statements it runs anyway: a seller JWT is verified by its signature and
# expiry alone before them, and the database read of every other route is saved. The claim:
# its ``UPDATE queue ... FROM sellers`` reads the seller row in the same round trip.
VERIFIED_IN_TRANSACTION: Final = frozenset({("POST", "/api/claim")})


def rule_for(method: str, path: str) -> Rule | None:
    return TABLE.get((method.upper(), path))


def roles_for(method: str, path: str) -> frozenset[str]:
    """The roles that may call a route (none for a public or unlisted one)."""
    rule = rule_for(method, path)
    return rule if isinstance(rule, frozenset) else frozenset()


def allowed(rule: Rule | None, role: str | None) -> bool:
    """Whether ``role`` (None: no token) may call an endpoint with ``rule``."""
    if rule == PUBLIC:
        return True
    if rule is None or role is None:
        return False
    return role in rule
