"""The terminal bell."""

from __future__ import annotations

import time
from typing import Callable

from monitor.model import Alert
from monitor.settings import Setting, boolean
from monitor.sinks.base import SinkKind, Write

BELL_INTERVAL = 1.0  # seconds: a burst of alerts rings the bell once, not once per alert


class BellSink:
    """The terminal bell (BEL), at most once every ``interval`` seconds (``clock`` monotonic)."""

    name = "bell"
    once_per_moment = True  # one ring for a symbol's alerts of one batch (``Delivery.handle``)

    def __init__(self, write: Write, *, interval: float = BELL_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.write = write
        self.interval = interval
        self.clock = clock
        self._rang: float | None = None

    def deliver(self, alert: Alert) -> None:
        now = self.clock()
        if self._rang is not None and now - self._rang < self.interval:
            return
        self._rang = now
        self.write("\a")


KIND = SinkKind(
    "bell",
    (Setting("bell", True, boolean, "true or false", "ring the terminal bell"),),
    wanted=lambda notify: notify.bell,
    build=lambda notify, write: BellSink(write),
    needs_terminal=True,
)
