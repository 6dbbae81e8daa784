"""What the seller app does, one flow per concern; ``seller_app.SellerController`` owns the
state and wires the window's signals and the feed to them in one place (``_connect``).

- ``feed`` — snapshots and live events into the stores, in slices; numbers refetched;
- ``reactions`` — what an event means to me: celebrations, sounds, notifications;
- ``claims`` — the claim: "claiming" at once, retried with one ``Idempotency-Key``, lost
  races told kindly;
- ``chat`` — chat messages, reactions, typing and the presence heartbeat;
- ``mine`` — my numbers' period, spin & win, objections;
- ``session`` — login, an expired session, logout.

Each flow gets the controller as its ``host`` (``host.Host``: the stores, the window, the
API and feed, ``spawn`` and the renders) and keeps only its own bookkeeping.
"""
