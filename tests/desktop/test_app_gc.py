"""The desktop app's garbage collector runs on the Qt thread only (``QtThreadGc``)."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from winroom_desktop.app import QtThreadGc


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_cycles_are_collected_by_the_qt_timer_not_by_other_threads(qapp: Any) -> None:
    assert gc.isenabled()
    collector = QtThreadGc(interval_ms=60_000)
    try:
        assert not gc.isenabled()
        gc.collect()
        node = _Node()
        alive = weakref.ref(node)
        del node

        def churn() -> None:  # another thread allocating far past the gen-0 threshold
            junk = [_Node() for _ in range(5 * gc.get_threshold()[0])]
            del junk

        worker = threading.Thread(target=churn)
        worker.start()
        worker.join()
        assert alive() is not None, "a thread other than Qt's collected the cycle"
        collector.check()  # what the timer does on the Qt thread
        assert alive() is None
    finally:
        collector.stop()
    assert gc.isenabled()


def test_check_leaves_young_garbage_below_the_threshold(qapp: Any) -> None:
    collector = QtThreadGc(interval_ms=60_000)
    try:
        gc.collect()
        node = _Node()
        alive = weakref.ref(node)
        del node
        collector.check()  # one new object: far below the gen-0 threshold
        assert alive() is not None
    finally:
        collector.stop()
        gc.collect()
