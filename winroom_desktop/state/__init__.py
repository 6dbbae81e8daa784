"""The desktop **state** layer: plain Python, no Qt, no network (import-linter enforces it).

How the desktop apps are built (TV kiosk, seller and admin windows share this)::

    net.LiveFeed ──event(dict)──▶ state.Store.apply_event ──▶ RoomState ──▶ views (Qt)
    net.ApiClient ──HTTP json──▶ state.snapshot_from_http ──▶ Store.load_snapshot

- ``models``: frozen dataclasses for what a room shows (queue items, claims, boards, goals,
  achievements with reactions, promotions, challenges) and ``RoomState`` holding them.
  Each model has ``from_api(dict)`` / ``to_api()`` in the CONTRACT §4 HTTP shapes.
- ``reducer.apply(state, envelope) -> state``: a pure function per CONTRACT §5 event type.
  Reducers are idempotent (a replayed event changes nothing), which is what makes
  reconnect/replay safe. The tested property: an old snapshot plus the events since equals
  a fresh snapshot loaded over HTTP.
- ``snapshot``: ``snapshot_from_http(responses)`` builds a ``RoomState`` from the JSON of
  ``/api/queue``, ``/api/claims/recent``, ``/api/leaderboard/*``, ``/api/goals/progress``,
  ``/api/achievements``, ``/api/promotions/active``, ``/api/challenges``;
  ``state_to_responses`` is its inverse (used by the journal).
- ``store.Store``: holds the current state and the last event id, de-duplicates events by id,
  validates envelopes with ``backend.schemas.events`` and returns the *effects* of each event
  (overlays, sounds, card enter/leave, board refetch hints) computed by ``effects``.
- ``journal.Journal``: last good state + last event id as JSON in the user data dir, written
  atomically, so a restarted TV shows its last good screen at once.
- ``overlays.OverlayQueue``: overlays never overlap, bursts play in order, a long backlog is
  compressed into one "while you were away" reel.
- ``format``: money/percent/time/email-mask formatting for screens.
- ``rotation``, ``tvsettings``: board playlist rotation, TV settings (sound, quiet hours,
  night schedule, reduced motion).
"""
