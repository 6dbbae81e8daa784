"""The company's core database (CONTRACT §3): read-only adapter and, for ``simulate`` and
tests, the DDL of its tables."""

from backend.core.adapter import (
    CoreCampaign,
    CoreDatabase,
    CoreSubscription,
    CoreUser,
    create_core_tables,
    make_core_engine,
    parse_timestamp,
)

__all__ = [
    "CoreCampaign",
    "CoreDatabase",
    "CoreSubscription",
    "CoreUser",
    "create_core_tables",
    "make_core_engine",
    "parse_timestamp",
]
