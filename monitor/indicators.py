"""Incremental technical indicators on daily bars, matching TA-Lib's conventions.

Every indicator follows one pattern. ``update(x)`` starts a new bar with value ``x``;
``revise(x)`` replaces the value of that bar while it is still forming (every later tick of the
session). Each object keeps the *committed* state (everything up to the previous bar's final
value) plus the forming bar's value, and computes ``.value`` as a pure function of the two. So a
revise is O(1) and never accumulates error, and any run of revises followed by an update gives
exactly (bit for bit) what a single update with the final value gives. ``update`` first commits
the forming bar (amortised O(1)), then computes. Memory is bounded by the period.

``.value`` is a plain Python float, NaN while the indicator is warming up, and otherwise agrees
with TA-Lib (same seeding, same order of floating point operations):

- ``SMA(n)``: mean of the last n values; the running sum is re-anchored with ``math.fsum`` every
  ``ANCHOR_EVERY`` bars so it cannot drift.
- ``EMA(n)``: k = 2/(n+1), seeded with the simple average of the first n values (``talib.EMA``).
- ``RSI(n)``: Wilder smoothing seeded with the simple averages of the first n gains and losses;
  a perfectly flat window gives 0.0 like ``talib.RSI``.
- ``MACD(fast, slow, signal)``: like ``talib.MACD``, whose fast EMA is seeded later than
  ``talib.EMA`` would (at bar slow-1, from the average of bars slow-fast .. slow-1). ``.macd``,
  ``.signal`` and ``.hist`` are NaN until the signal exists (bar slow+signal-2), as in TA-Lib;
  ``.line`` is the MACD line from bar slow-1 on.
- ``RollingMax(n)`` / ``RollingMin(n)``: ``talib.MAX`` / ``talib.MIN`` over the last n bars
  including the forming one, with a monotonic deque of committed bars.
- ``Crossover()``: +1 when a crosses above b at this bar (a > b now, a <= b at the previous
  bar's close), -1 for the converse, 0 otherwise.

``IndicatorSet`` fuses the full daily set for one symbol into one object (see its docstring).
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import Rules

NAN = float("nan")
ANCHOR_EVERY = 1024  # bars between exact re-summations of a running SMA window


def _period(n: int, name: str = "period") -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


class SMA:
    """Simple moving average of the last n values (``talib.SMA``)."""

    __slots__ = ("n", "value", "count", "_x", "_hist", "_base", "_trim_at")

    def __init__(self, n: int) -> None:
        self.n = _period(n)
        self.value = NAN
        self.count = 0  # bars seen, the forming one included
        self._x = NAN  # the forming bar's value
        self._hist: list[float] = []  # committed values; the last n-1 are the window
        self._base = 0.0  # sum of the last n-1 committed values
        self._trim_at = self.n + ANCHOR_EVERY

    def update(self, x: float) -> None:
        if self.count:
            self._commit()
        self.count += 1
        self.revise(x)

    def revise(self, x: float) -> None:
        if not self.count:
            return self.update(x)
        self._x = x
        if self.count >= self.n:
            self.value = (self._base + x) / self.n

    def _commit(self) -> None:
        hist = self._hist
        hist.append(self._x)
        n = self.n
        if len(hist) >= n:
            # Same order of operations as TA-Lib: (total + in) - trailing.
            self._base = (self._base + self._x) - hist[-n]
            if len(hist) >= self._trim_at:
                del hist[: len(hist) - (n - 1)]
                self._base = math.fsum(hist)
        else:
            self._base += self._x


class EMA:
    """Exponential moving average seeded with the SMA of the first n values (``talib.EMA``)."""

    __slots__ = ("n", "k", "value", "count", "_x", "_prev", "_sum")

    def __init__(self, n: int) -> None:
        self.n = _period(n)
        self.k = 2.0 / (self.n + 1)
        self.value = NAN
        self.count = 0
        self._x = NAN
        self._prev = NAN  # EMA at the previous bar's close
        self._sum = 0.0  # sum of committed values while warming up

    def update(self, x: float) -> None:
        if self.count:
            if self.count >= self.n:
                self._prev = self.value
            else:
                self._sum += self._x
        self.count += 1
        self.revise(x)

    def revise(self, x: float) -> None:
        if not self.count:
            return self.update(x)
        self._x = x
        c = self.count
        if c > self.n:
            p = self._prev
            self.value = ((x - p) * self.k) + p
        elif c == self.n:
            self.value = (self._sum + x) / self.n


class RSI:
    """Wilder's relative strength index (``talib.RSI``)."""

    __slots__ = ("n", "value", "count", "_x", "_pc", "_g", "_l", "_tg", "_tl")

    def __init__(self, n: int = 14) -> None:
        self.n = _period(n)
        self.value = NAN
        self.count = 0
        self._x = NAN
        self._pc = NAN  # previous bar's close
        self._g = 0.0  # committed gain state: raw sum while seeding, then the Wilder average
        self._l = 0.0
        self._tg = 0.0  # the same state including the forming bar
        self._tl = 0.0

    def update(self, x: float) -> None:
        if self.count:
            self._pc = self._x
            self._g = self._tg
            self._l = self._tl
        self.count += 1
        self.revise(x)

    def revise(self, x: float) -> None:
        if not self.count:
            return self.update(x)
        self._x = x
        bar = self.count - 1  # index of the forming bar; bar 0 has no change yet
        if not bar:
            return
        n = self.n
        d = x - self._pc
        g = self._g
        l = self._l
        if bar > n:  # Wilder smoothing, TA-Lib's order of operations
            g *= n - 1
            l *= n - 1
            if d < 0:
                l -= d
            else:
                g += d
            g /= n
            l /= n
        else:  # seeding: sums of the first n changes, averaged at bar n
            if d < 0:
                l -= d
            else:
                g += d
            if bar < n:
                self._tg = g
                self._tl = l
                return
            g /= n
            l /= n
        self._tg = g
        self._tl = l
        s = g + l
        self.value = 100.0 * (g / s) if s != 0.0 else 0.0


class MACD:
    """MACD line, signal and histogram exactly as ``talib.MACD`` seeds them."""

    __slots__ = ("fast", "slow", "signal_period", "count", "line", "macd", "signal", "hist",
                 "_fast", "_slow", "_signal", "_fast_from")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        fast, slow = _period(fast, "fast"), _period(slow, "slow")
        if slow < fast:  # TA-Lib swaps them too
            fast, slow = slow, fast
        self.fast, self.slow = fast, slow
        self.signal_period = _period(signal, "signal")
        self.count = 0
        self.line = self.macd = self.signal = self.hist = NAN
        self._fast = EMA(fast)
        self._slow = EMA(slow)
        self._signal = EMA(self.signal_period)
        self._fast_from = slow - fast  # the fast EMA ignores the bars before this one

    @property
    def value(self) -> float:
        return self.macd

    def update(self, x: float) -> None:
        self.count += 1
        self._slow.update(x)
        if self.count > self._fast_from:
            self._fast.update(x)
        self._finish(True)

    def revise(self, x: float) -> None:
        if not self.count:
            return self.update(x)
        self._slow.revise(x)
        if self.count > self._fast_from:
            self._fast.revise(x)
        self._finish(False)

    def _finish(self, new_bar: bool) -> None:
        self.line = line = self._fast.value - self._slow.value
        if self.count < self.slow:
            return
        sig = self._signal
        if new_bar:
            sig.update(line)
        else:
            sig.revise(line)
        if sig.value == sig.value:
            self.macd = line
            self.signal = sig.value
            self.hist = line - sig.value


class _RollingExtreme:
    """Max (or min) of the last n values, the forming one included, via a monotonic deque."""

    __slots__ = ("n", "value", "count", "_x", "_vals", "_idx")
    _is_max = True

    def __init__(self, n: int) -> None:
        self.n = _period(n)
        self.value = NAN
        self.count = 0
        self._x = NAN
        # Committed bars that can still become the extreme: values monotonic from the front
        # (the extreme of the committed part of the window), with their bar indices.
        self._vals: deque[float] = deque()
        self._idx: deque[int] = deque()

    def update(self, x: float) -> None:
        if self.count:
            self._commit()
        self.count += 1
        self.revise(x)

    def revise(self, x: float) -> None:
        if not self.count:
            return self.update(x)
        self._x = x
        if self.count >= self.n:
            vals = self._vals
            if not vals:
                self.value = x
            elif self._is_max:
                self.value = vals[0] if vals[0] > x else x
            else:
                self.value = vals[0] if vals[0] < x else x

    def _commit(self) -> None:
        vals, idx, x = self._vals, self._idx, self._x
        bar = self.count - 1
        if self._is_max:
            while vals and vals[-1] <= x:
                vals.pop()
                idx.pop()
        else:
            while vals and vals[-1] >= x:
                vals.pop()
                idx.pop()
        vals.append(x)
        idx.append(bar)
        if idx[0] <= bar + 1 - self.n:  # left the window of the next bar
            vals.popleft()
            idx.popleft()


class RollingMax(_RollingExtreme):
    """``talib.MAX``: highest of the last n values, the forming one included."""

    __slots__ = ()
    _is_max = True


class RollingMin(_RollingExtreme):
    """``talib.MIN``: lowest of the last n values, the forming one included."""

    __slots__ = ()
    _is_max = False


class Crossover:
    """Did a cross b at this bar, compared with the previous bar's final values?

    ``value`` is +1 (a > b now, a <= b at the previous close), -1 (a < b now, a >= b before)
    or 0, also while either side is NaN.
    """

    __slots__ = ("value", "count", "_d", "_prev")

    def __init__(self) -> None:
        self.value = 0
        self.count = 0
        self._d = NAN  # a - b at the forming bar
        self._prev = NAN  # a - b at the previous bar's close

    def update(self, a: float, b: float = 0.0) -> None:
        if self.count:
            self._prev = self._d
        self.count += 1
        self.revise(a, b)

    def revise(self, a: float, b: float = 0.0) -> None:
        if not self.count:
            return self.update(a, b)
        self._d = d = a - b
        p = self._prev
        if d > 0.0:
            self.value = 1 if p <= 0.0 else 0
        elif d < 0.0:
            self.value = -1 if p >= 0.0 else 0
        else:
            self.value = 0


class IndicatorSet:
    """The full daily indicator set of one symbol.

    ``update(close, high, low)`` when a new daily bar starts, ``revise(close, high, low)`` on
    every later tick of that bar. Attributes are plain floats, NaN while undefined.
    """

    FIELDS = ("sma_fast", "sma_slow", "ema_fast", "ema_slow", "macd", "macd_signal",
              "macd_hist", "rsi", "high_n", "low_n")

    def __init__(self, rules: Rules | None = None) -> None:
        if rules is None:
            from monitor.config import Rules

            rules = Rules()
        self.rules = rules
        fast, slow, signal = rules.macd
        self._sma_fast = SMA(rules.ma_fast)
        self._sma_slow = SMA(rules.ma_slow)
        self._macd = MACD(fast, slow, signal)
        self._rsi = RSI(rules.rsi_period)
        self._high = RollingMax(rules.high_low_window)
        self._low = RollingMin(rules.high_low_window)
        self._ma_x = Crossover()
        self._macd_x = Crossover()
        self.count = 0
        self.sma_fast = self.sma_slow = self.ema_fast = self.ema_slow = NAN
        self.macd = self.macd_signal = self.macd_hist = self.rsi = NAN
        self.high_n = self.low_n = NAN
        self.ma_cross = self.macd_cross = 0

    def update(self, close: float, high: float, low: float) -> None:
        self.count += 1
        for ind in (self._sma_fast, self._sma_slow, self._macd, self._rsi):
            ind.update(close)
        self._high.update(high)
        self._low.update(low)
        self._read(True)

    def revise(self, close: float, high: float, low: float) -> None:
        if not self.count:
            return self.update(close, high, low)
        for ind in (self._sma_fast, self._sma_slow, self._macd, self._rsi):
            ind.revise(close)
        self._high.revise(high)
        self._low.revise(low)
        self._read(False)

    def _read(self, new_bar: bool) -> None:
        self.sma_fast = self._sma_fast.value
        self.sma_slow = self._sma_slow.value
        m = self._macd
        self.ema_fast = m._fast.value
        self.ema_slow = m._slow.value
        self.macd, self.macd_signal, self.macd_hist = m.macd, m.signal, m.hist
        self.rsi = self._rsi.value
        self.high_n = self._high.value
        self.low_n = self._low.value
        step_ma = self._ma_x.update if new_bar else self._ma_x.revise
        step_ma(self.sma_fast, self.sma_slow)
        step_macd = self._macd_x.update if new_bar else self._macd_x.revise
        step_macd(self.macd, self.macd_signal)
        self.ma_cross = self._ma_x.value
        self.macd_cross = self._macd_x.value
