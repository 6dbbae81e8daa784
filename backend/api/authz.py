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
# CONTRACT §4a's letters
R: Final = LEAD_VIEW  # read: sales_lead, finance, admin
F: Final = FINANCE
L: Final = LEAD_VIEW  # goals, challenges, promotions: sales_lead, finance, admin
A_AND_LEAD: Final = LEAD  # PATCH a seller: admin (sales_lead: hidden_from_tv only)

ROLES_UNDER_TEST: Final = ("sales", "sales_lead", "finance", "admin", "tv")

Rule = frozenset[str] | str

TABLE: Final[dict[tuple[str, str], Rule]] = {
    # health and auth
    ("GET", "/healthz"): PUBLIC,
    ("HEAD", "/healthz"): PUBLIC,  # what some load balancers' health checks send
    ("GET", "/readyz"): PUBLIC,
    ("HEAD", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,  # the route checks loopback or WINROOM_METRICS_TOKEN itself
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
    # the admin and finance API, CONTRACT §4a (a later batch: 501 to these roles, 403 to the
    # others): R = sales_lead, finance, admin; F = finance, admin; L = sales_lead, finance,
    # admin; A = admin. Sales and TVs: 403 on all of it.
    ("GET", "/api/admin/claims"): R,
    ("GET", "/api/admin/claims/{claim_id}"): R,
    ("PATCH", "/api/admin/claims/{claim_id}"): F,
    ("POST", "/api/admin/claims/{claim_id}/adjustment"): F,
    ("POST", "/api/admin/claims/{claim_id}/shares"): F,
    ("POST", "/api/admin/claims/{claim_id}/reassign"): F,
    ("POST", "/api/admin/claims/{claim_id}/refund"): F,
    ("GET", "/api/admin/queue"): R,
    ("PATCH", "/api/admin/queue/{queue_id}"): F,
    ("POST", "/api/admin/queue/finance-status"): F,
    ("POST", "/api/admin/queue/{queue_id}/exclude"): F,
    ("GET", "/api/admin/sellers"): R,
    ("PATCH", "/api/admin/sellers/{seller_id}"): A_AND_LEAD,
    ("GET", "/api/admin/sellers/{seller_id}/performance"): R,
    ("GET", "/api/admin/goals"): L,
    ("POST", "/api/admin/goals"): L,
    ("PATCH", "/api/admin/goals/{goal_id}"): L,
    ("DELETE", "/api/admin/goals/{goal_id}"): L,
    ("GET", "/api/admin/challenges"): L,
    ("POST", "/api/admin/challenges"): L,
    ("PATCH", "/api/admin/challenges/{challenge_id}"): L,
    ("DELETE", "/api/admin/challenges/{challenge_id}"): L,
    ("GET", "/api/admin/promotions"): L,
    ("POST", "/api/admin/promotions"): L,
    ("PATCH", "/api/admin/promotions/{promotion_id}"): L,
    ("DELETE", "/api/admin/promotions/{promotion_id}"): L,
    ("GET", "/api/admin/installments"): F,
    ("POST", "/api/admin/installments"): F,
    ("POST", "/api/admin/installments/{plan_id}/payments/{payment_id}"): F,
    ("POST", "/api/admin/installments/{plan_id}/tolerance"): F,
    ("PATCH", "/api/admin/installments/{plan_id}"): F,
    ("GET", "/api/admin/objections"): R,
    ("POST", "/api/admin/objections/{objection_id}"): F,
    ("GET", "/api/admin/overview"): R,
    ("GET", "/api/admin/export/claims.csv"): F,
    ("GET", "/api/admin/export/statement.csv"): F,
    ("GET", "/api/admin/periods"): F,
    ("POST", "/api/admin/periods/{month}/close"): F,
    ("POST", "/api/admin/periods/{month}/reopen"): ADMIN,
    ("GET", "/api/admin/audit"): F,
    ("GET", "/api/admin/devices"): ADMIN,
    ("POST", "/api/admin/devices"): ADMIN,
    ("DELETE", "/api/admin/devices/{device_id}"): ADMIN,
    ("POST", "/api/admin/devices/pair"): ADMIN,
    ("GET", "/api/admin/game"): ADMIN,
    ("PATCH", "/api/admin/game"): ADMIN,
    # TV pairing (§4a): anyone; the pairing id is the credential (later batch: 501)
    ("POST", "/api/devices/pair"): PUBLIC,
    ("GET", "/api/devices/pair/{pairing_id}"): PUBLIC,
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
