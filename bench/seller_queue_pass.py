"""Seller queue: the cost of one render pass while sales pour in (in process, no network).

The real ``SellerWindow`` offscreen at 1280×800; 50 sales arrive one per pass, each with a
reaction (as in ``seller_claim.py``'s burst); every pass is ``QueuePanel.set_cards`` (one
new card), the layout it triggers (``processEvents``) and a full window paint
(``repaint``). After 30 cards the oldest leave the screen, so later passes refill cards.

    .venv/bin/python bench/seller_queue_pass.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="20 sales instead of 50")
    args = ap.parse_args()
    n = 20 if args.quick else 50

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from winroom_desktop.state.models import QueueItem, Reaction
    from winroom_desktop.state.seller import CardView
    from winroom_desktop.views.seller.window import SellerWindow

    app = QApplication.instance() or QApplication([])
    window = SellerWindow("http://127.0.0.1:9")
    window.resize(1280, 800)
    window.show()
    QTest.qWait(2000)  # the window settles (and builds what it builds while idle)
    queue = window.queue
    items = [
        QueueItem(
            id=i,
            campaign_name="Pro Annual",
            customer_name="María López",
            customer_email="m***@example.com",
            revenue_usd="250.00",
            margin_amount_usd="80.00",
            margin_percent=32.0,
            margin_quality=("high", "watch", "risky")[i % 3],
            tts_days=3,
            finance_status=("waiting", "approved", "problem")[i % 3],
            is_jackpot=i % 7 == 0,
        )
        for i in range(1, n + 1)
    ]
    shown: list[QueueItem] = []
    parts: list[tuple[float, float, float]] = []
    for item in items:
        shown.append(item)
        views = [CardView(it, None, (Reaction("🔥", 1, (1,)),)) for it in reversed(shown)]
        t0 = time.perf_counter()
        while not queue.set_cards(views, 1):
            pass
        t1 = time.perf_counter()
        app.processEvents()
        t2 = time.perf_counter()
        window.repaint()
        t3 = time.perf_counter()
        parts.append(((t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000))
    totals = [sum(p) for p in parts]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, offscreen Qt")
    print(
        f"{n} passes: p50 {statistics.median(totals):.1f} ms, max {max(totals):.1f} ms, "
        f"mean of the last 10 {statistics.mean(totals[-10:]):.1f} ms"
    )
    for k, name in enumerate(("set_cards", "layout (events)", "paint (whole window)")):
        col = [p[k] for p in parts]
        print(
            f"  {name}: p50 {statistics.median(col):.1f} ms, last 10 {statistics.mean(col[-10:]):.1f} ms"
        )
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
