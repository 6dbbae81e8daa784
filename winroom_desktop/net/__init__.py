"""The desktop **net** layer: the ONLY place that talks to the network.

- ``api.ApiClient``: async HTTP (``httpx.AsyncClient`` on the qasync loop — never blocks the
  Qt thread): login, claim (with ``Idempotency-Key``), GET of any endpoint, and
  ``load(paths)`` which fetches a whole snapshot concurrently (endpoints a server does not
  have yet — 404/501 — are skipped).
- ``feed.LiveFeed``: a ``QObject`` running a python-socketio ``AsyncClient`` on the qasync
  loop. Signals: ``event(dict)`` (validated downstream by ``state.Store``),
  ``connection_changed(str, object)`` (``"connecting" | "connected" | "reconnecting"``,
  last update time), ``snapshot_loaded(dict, object)`` (endpoint → JSON, and the
  ``latest_id`` after a resync or ``None``), ``resync_needed(int)``. It connects with
  ``auth={"token", "since"}``, reconnects with exponential backoff and jitter, reloads the
  snapshot over HTTP after every (re)connect and on ``resync.required`` (events arriving
  meanwhile are held back and delivered after the snapshot), and drops duplicate ids.
- ``offline.OfflineFeed``: the same signals with no network, for offline renders (tests
  record with ``tests/helpers/stub_feed.StubFeed``).

Wiring (see ``winroom_desktop.tv_app``): ``feed.event → store.apply_event → views``,
``feed.snapshot_loaded → store.load_snapshot``; the store's ``last_event_id`` is what the feed
sends as ``since`` (it is given a callable).
"""
