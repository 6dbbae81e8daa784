"""Pure game rules: no I/O, no database session, no clock. The engine calls them.

- ``periods``: local calendar periods (today / 15 days / month) and their UTC bounds.
- ``ranking``: competition ranks with ties (1, 2, 2, 4) and 0–1 bar values.
- ``milestones``: which milestones a number reaches, with their once-per-period keys.
- ``streak``: the floor-wide consecutive-claim streak.
- ``points``: claim points, the level curve, the daily activity streak.
- ``spin``: the weighted prize table and the draw.
- ``metrics``: conversion, average margin, change against the previous period.
"""
