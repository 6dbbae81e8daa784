"""The one writer of the rows the game keeps: day and month rows, the floor streak, points
(ledger and running totals), achievements and badges. The claim, ``awards`` (goals,
challenges, spins, the sweep, the admin's reversals) and every other change write them
through here, with statements built from the models (``statements``), one at a time, or on
PostgreSQL batched into one round trip per step (``batched``, ``claim``; the seam is
``backend.db.batch``).

- ``statements`` — every statement builder;
- ``days`` — the floor streak, the day and month rows a claim adds to;
- ``sums`` — the month's and today's per-seller sums a claim's rules read;
- ``points`` — ``PointsBook``: ledger entries and running totals;
- ``candidates`` — achievements a change could fire, as rows;
- ``achievements`` — ``fire_all``: achievements, their badges, points and events;
- ``batched`` — PostgreSQL: a step's points and achievements in one round trip;
- ``claim`` — a new claim's steps (``open_claim``, ``settle``).
"""
