"""What each admin tab shows: its endpoint, columns, filters and who may see and write it.

Access letters are CONTRACT §4a's: R = sales_lead, finance, admin; F = finance, admin;
L = sales_lead, finance, admin; A = admin. The server's 403 is the truth: the window only
hides what would fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from winroom_desktop.state.format import money_card, percent

ACCESS: dict[str, frozenset[str]] = {
    "R": frozenset({"sales_lead", "finance", "admin"}),
    "F": frozenset({"finance", "admin"}),
    "L": frozenset({"sales_lead", "finance", "admin"}),
    "A": frozenset({"admin"}),
}

FINANCE_STATUSES = ("waiting", "approved", "installment", "problem")
CLAIM_TYPES = ("first_sales", "remarketing", "upgrade", "installment")
ADJUSTMENT_REASONS = ("commission", "partial_refund", "chargeback", "other")
ROLES = ("sales", "sales_lead", "finance", "admin")


def allowed(role: str | None, access: str) -> bool:
    return bool(role) and role in ACCESS[access]


@dataclass(frozen=True)
class Column:
    key: str  # dotted path into the row ("seller.name")
    header: str
    kind: str = "text"  # text | money | percent | date | datetime | bool | share | count
    sort: str | None = None  # the API's sort name, when the server sorts by it
    width: int = 0  # a hint in characters; 0 = stretch

    def raw(self, row: dict[str, Any]) -> Any:
        value: Any = row
        for part in self.key.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    def text(self, row: dict[str, Any]) -> str:
        if self.kind == "finance":  # a claim's finance status, and whether it was refunded
            t = str(self.raw(row) or "")
            return f"{t} · refunded" if row.get("refunded") else t
        if self.kind == "seller":  # the closer, and how many share the claim
            shares = row.get("shares") or []
            more = f" +{len(shares) - 1}" if isinstance(shares, list) and len(shares) > 1 else ""
            return f"{self.raw(row) or ''}{more}"
        return cell_text(self.kind, self.raw(row))


def local_minute(value: Any) -> str:
    """An ISO time as this desk's local ``YYYY-MM-DD HH:MM`` (the server sends UTC or an
    offset; a naive time is shown as it is)."""
    text = str(value or "")
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text[:16].replace("T", " ")
    if dt.tzinfo is not None:
        dt = dt.astimezone()
    return dt.strftime("%Y-%m-%d %H:%M")


def cell_text(kind: str, value: Any) -> str:
    if value is None or value == "":
        return "—" if kind in ("money", "percent") else ""
    if kind == "money":
        return money_card(value)
    if kind == "percent":
        return percent(value, 1)
    if kind == "datetime":
        return local_minute(value)
    if kind == "date":
        return str(value)[:10]
    if kind == "enum":
        return str(value).replace("_", " ")
    if kind == "bool":
        return "yes" if value is True or value == "true" else "no"
    if kind == "shares":
        if not isinstance(value, list) or len(value) < 2:
            return ""
        return " · ".join(
            f"{s.get('name', '?')} {percent(s.get('share'))}" for s in value if isinstance(s, dict)
        )
    if kind == "json":
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        return str(value)
    if isinstance(value, dict):
        return str(value.get("name") or value.get("email") or value.get("id") or "")
    return str(value)


@dataclass(frozen=True)
class TabSpec:
    name: str
    title: str
    access: str  # who sees the tab
    write: str  # who may use its actions
    endpoint: str = ""
    items_key: str = ""
    columns: tuple[Column, ...] = ()
    paged: bool = True
    export: str | None = None  # the API's CSV export, when there is one
    shortcut: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def visible_to(self, role: str | None) -> bool:
        return allowed(role, self.access)

    def writable_by(self, role: str | None) -> bool:
        return allowed(role, self.write)


C = Column
CLAIM_COLUMNS = (  # what finance reads first comes first (1366 px shows up to Finance)
    C("id", "#", "count", width=6),
    C("claimed_at", "Claimed", "datetime", sort="claimed_at", width=15),
    C("seller.name", "Seller", "seller", width=12),
    C("customer.name", "Customer", width=13),
    C("revenue_usd", "Revenue", "money", sort="revenue_usd", width=9),
    C("margin_amount_usd", "Margin", "money", sort="margin_amount_usd", width=9),
    C("adjusted_margin_usd", "Adj. margin", "money", width=9),
    C("finance_status", "Finance", "finance", width=12),
    C("claim_type", "Type", "enum", width=11),
    C("campaign.name", "Campaign"),
)
QUEUE_COLUMNS = (
    C("id", "#", "count", width=6),
    C("created_at", "Arrived", "datetime", width=16),
    C("customer.name", "Customer", width=15),
    C("campaign.name", "Campaign", width=15),
    C("revenue_usd", "Revenue", "money", width=11),
    C("margin_amount_usd", "Margin", "money", width=11),
    C("margin_percent", "Margin %", "percent", width=8),
    C("status", "Status", width=9),
    C("finance_status", "Finance", "status", width=10),
    C("problem_reason", "Problem"),
    C("note", "Note"),
)
PLAN_COLUMNS = (
    C("id", "Plan", "count", width=4),
    C("customer_label", "Customer", width=16),
    C("status", "Status", "status", width=9),
    C("next_due", "Next due", "date", width=10),
    C("outstanding", "Outstanding", "money", width=10),
    C("overdue_amount_usd", "Overdue", "money", width=9),
    C("paid", "Paid", width=4),
    C("seller.name", "Seller", width=12),
    C("claim_id", "Claim", "count", width=6),
    C("tolerance_days", "Grace days", "count"),
)
OBJECTION_COLUMNS = (
    C("id", "#", "count", width=5),
    C("created_at", "Raised", "datetime", width=16),
    C("status", "Status", "status", width=9),
    C("claim_id", "Claim", "count", width=7),
    C("raised_by_label", "Raised by", width=14),
    C("reason", "Reason", "enum", width=12),
    C("details", "Details"),
    C("resolution_label", "Decision note", width=16),
)
SELLER_COLUMNS = (
    C("name", "Name", width=16),
    C("email", "Email", width=22),
    C("role", "Role", "enum", width=10),
    C("is_active", "Active", "bool", width=6),
    C("hidden_from_tv", "Hidden on TV", "bool", width=8),
    C("wins", "Wins (month)", "count", width=8),
    C("revenue_usd", "Revenue (month)", "money", width=12),
    C("margin_amount_usd", "Margin (month)", "money", width=12),
)
GOAL_COLUMNS = (
    C("title", "Goal", width=20),
    C("scope", "Scope", width=8),
    C("seller_label", "Seller", width=13),
    C("period", "Period", width=7),
    C("target_type", "Measures", "enum", width=12),
    C("target_label", "Target", "count", width=11),
    C("value_label", "Now", "count", width=11),
    C("percent", "Progress", "percent", width=8),
    C("status", "Status", "status"),
)
CHALLENGE_COLUMNS = (
    C("title", "Challenge", width=20),
    C("progress", "Progress", width=30),
    C("metric", "Metric", "enum", width=11),
    C("claim_type", "Claim type", "enum", width=10),
    C("target", "Target", "count", width=8),
    C("reward_points", "Reward", "count", width=6),
    C("starts_at", "Starts", "datetime", width=16),
    C("ends_at", "Ends", "datetime", width=16),
    C("visible", "On TV", "bool", width=5),
    C("status", "Status", "status"),
)
PROMOTION_COLUMNS = (
    C("title", "Title", width=26),
    C("variant", "Variant", "status", width=8),
    C("body", "Body"),
    C("starts_at", "Starts", "datetime", width=16),
    C("ends_at", "Ends", "datetime", width=16),
    C("showing", "Showing now", "bool", width=8),
)
AUDIT_COLUMNS = (
    C("at", "When", "datetime", width=16),
    C("actor.name", "Who", width=14),
    C("action", "Action", width=16),
    C("entity", "Entity", width=10),
    C("entity_id", "Id", width=7),
    C("before", "Before", "json", width=18),
    C("after", "After", "json"),
    C("reason", "Reason", width=14),
)
DEVICE_COLUMNS = (
    C("id", "#", "count", width=5),
    C("name", "Name", width=20),
    C("connected", "Connected", "bool", width=8),
    C("last_seen_at", "Last seen", "datetime", width=16),
    C("created_at", "Paired", "datetime", width=16),
    C("revoked_at", "Revoked", "datetime"),
)
WORK_COLUMNS = (
    C("kind", "What", width=12),
    C("ref", "Ref", width=8),
    C("title", "Customer / plan", width=22),
    C("status", "Status", "status", width=10),
    C("amount", "Amount", "money", width=11),
    C("detail", "Why it is here"),
)

TABS: tuple[TabSpec, ...] = (
    TabSpec(
        "claims",
        "Claims",
        "R",
        "F",
        "/api/admin/claims",
        "claims",
        CLAIM_COLUMNS,
        export="/api/admin/export/claims.csv",
        shortcut="Alt+1",
    ),
    TabSpec(
        "queue", "Queue", "R", "F", "/api/admin/queue", "items", QUEUE_COLUMNS, shortcut="Alt+2"
    ),
    TabSpec("finance", "Finance", "F", "F", columns=WORK_COLUMNS, paged=False, shortcut="Alt+3"),
    TabSpec(
        "installments",
        "Installments",
        "F",
        "F",
        "/api/admin/installments",
        "plans",
        PLAN_COLUMNS,
        shortcut="Alt+4",
    ),
    TabSpec(
        "objections",
        "Objections",
        "R",
        "F",
        "/api/admin/objections",
        "objections",
        OBJECTION_COLUMNS,
        shortcut="Alt+5",
    ),
    TabSpec(
        "sellers",
        "Sellers",
        "R",
        "A",
        "/api/admin/sellers",
        "sellers",
        SELLER_COLUMNS,
        shortcut="Alt+6",
    ),
    TabSpec(
        "goals", "Goals", "L", "L", "/api/admin/goals", "goals", GOAL_COLUMNS, shortcut="Alt+7"
    ),
    TabSpec(
        "challenges",
        "Challenges",
        "L",
        "L",
        "/api/admin/challenges",
        "challenges",
        CHALLENGE_COLUMNS,
    ),
    TabSpec(
        "promotions",
        "Promotions",
        "L",
        "L",
        "/api/admin/promotions",
        "promotions",
        PROMOTION_COLUMNS,
    ),
    TabSpec(
        "overview",
        "Monthly overview",
        "R",
        "F",
        "/api/admin/overview",
        paged=False,
        shortcut="Alt+8",
        extra={"fixed": True},
    ),
    TabSpec(
        "audit", "Audit", "F", "F", "/api/admin/audit", "entries", AUDIT_COLUMNS, shortcut="Alt+9"
    ),
    TabSpec("devices", "Devices", "A", "A", "/api/admin/devices", "devices", DEVICE_COLUMNS),
)
TAB_NAMES = tuple(t.name for t in TABS)
NOUNS = {
    "claims": "claims",
    "queue": "items",
    "finance": "to clear",
    "installments": "plans",
    "objections": "objections",
    "sellers": "sellers",
    "goals": "goals",
    "challenges": "challenges",
    "promotions": "promotions",
    "overview": "figures",
    "audit": "entries",
    "devices": "TVs",
}


def spec(name: str) -> TabSpec:
    for t in TABS:
        if t.name == name:
            return t
    raise KeyError(name)


def tabs_for(role: str | None) -> list[TabSpec]:
    """The tabs a role sees, in order (sales_lead: R and L; finance: R, F, L; admin: all)."""
    return [t for t in TABS if t.visible_to(role)]
