"""Pure business rules: no I/O, no database session, no clock (the caller passes ``now``).

- ``money``: revenue, cost, margin, jackpot, time to sale (CONTRACT §3).
- ``dedupe``: the duplicate key of a core subscription and the external-id rule.
- ``intake``: what the worker does with a subscription given its status and history.
"""
