"""The desktop **views** layer: Qt widgets that draw state and forward user intent.

No rules and no network here (import-linter forbids ``socketio``/``httpx``/``requests``).
Shared pieces: ``theme`` (colours with one meaning each, distance-scaled fonts),
``frameclock.FrameClock`` (the one shared frame timer for every animation),
``particles.Confetti`` (preallocated particle pool). The TV lives in ``views.tv``.
User text (names, chat) is drawn with ``QPainter.drawText`` (never rich text) or shown in
labels with ``Qt.PlainText``.
"""
