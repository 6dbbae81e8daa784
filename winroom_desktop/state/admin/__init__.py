"""The admin window's plain-Python state: tab specs and roles, paged lists, claim filters
and detail, action checks and confirmations, the finance work list, live-event routing and
CSV export. No Qt, no network (import-linter checks)."""
