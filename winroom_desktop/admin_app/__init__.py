"""``winroom admin``: the admin window with finance tabs over CONTRACT §4a.

- ``controller`` — ``AdminController``: wiring, loading, live events, login;
- ``claim_actions`` / ``floor_actions`` — each tab's actions (mixins of the controller);
- ``running`` — options, the feed, ``setup_admin`` / ``run_admin``;
- ``helpers`` — the small shared pieces.
"""

from winroom_desktop.admin_app.controller import AdminController
from winroom_desktop.admin_app.helpers import parse_payments, settle_heap
from winroom_desktop.admin_app.running import add_arguments, make_feed, run_admin, setup_admin

__all__ = [
    "AdminController",
    "add_arguments",
    "make_feed",
    "parse_payments",
    "run_admin",
    "settle_heap",
    "setup_admin",
]
