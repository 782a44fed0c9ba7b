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
  ``ANCHOR_EVERY`` bars (counted from the first) so it cannot drift.
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


class _Incremental:
    """The update/revise plumbing shared by the single-input indicators.

    Subclasses keep committed state and implement ``_commit()`` (fold the forming bar ``_x``
    into it) and ``_compute(x)`` (set ``value`` from the committed state and ``x``).
    """

    __slots__ = ("n", "value", "count", "_x")

    def __init__(self, n: int) -> None:
        self.n = _period(n)
        self.value = NAN
        self.count = 0  # bars seen, the forming one included
        self._x = NAN  # the forming bar's value

    def update(self, x: float) -> None:
        """Start a new bar with value x."""
        if self.count:
            self._commit()
        self.count += 1
        self._x = x
        self._compute(x)

    def revise(self, x: float) -> None:
        """Replace the value of the forming bar (starts the first bar if there is none)."""
        if not self.count:
            return self.update(x)
        self._x = x
        self._compute(x)

    def _commit(self) -> None:
        raise NotImplementedError

    def _compute(self, x: float) -> None:
        raise NotImplementedError


class SMA(_Incremental):
    """Simple moving average of the last n values (``talib.SMA``)."""

    __slots__ = ("_hist", "_base")

    def __init__(self, n: int) -> None:
        super().__init__(n)
        # Committed values; the last n-1 are the window. A list trimmed every ANCHOR_EVERY bars
        # rather than a RingBuffer: appending to a list is the cheapest O(1) write there is, the
        # re-anchor sums the window with math.fsum anyway (a slice of a list), and the per-tick
        # path never touches the window (benchmarks/bench_ring.py measures both).
        self._hist: list[float] = []
        self._base = 0.0  # sum of the last n-1 committed values

    def _compute(self, x: float) -> None:
        if self.count >= self.n:
            self.value = (self._base + x) / self.n

    def _commit(self) -> None:
        hist = self._hist
        hist.append(self._x)
        n = self.n
        if len(hist) >= n:
            # Same order of operations as TA-Lib: (total + in) - trailing.
            self._base = (self._base + self._x) - hist[-n]
        else:
            self._base += self._x
        if not self.count % ANCHOR_EVERY:  # bars committed so far
            del hist[: max(0, len(hist) - (n - 1))]
            self._base = math.fsum(hist)


class EMA(_Incremental):
    """Exponential moving average seeded with the SMA of the first n values (``talib.EMA``)."""

    __slots__ = ("k", "_prev", "_sum")

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.k = 2.0 / (self.n + 1)
        self._prev = NAN  # EMA at the previous bar's close
        self._sum = 0.0  # sum of committed values while warming up

    def _commit(self) -> None:
        if self.count >= self.n:
            self._prev = self.value
        else:
            self._sum += self._x

    def _compute(self, x: float) -> None:
        c = self.count
        if c > self.n:
            p = self._prev
            self.value = ((x - p) * self.k) + p
        elif c == self.n:
            self.value = (self._sum + x) / self.n


class RSI(_Incremental):
    """Wilder's relative strength index (``talib.RSI``)."""

    __slots__ = ("_pc", "_g", "_l", "_tg", "_tl")

    def __init__(self, n: int = 14) -> None:
        super().__init__(n)
        self._pc = NAN  # previous bar's close
        self._g = 0.0  # committed gain state: raw sum while seeding, then the Wilder average
        self._l = 0.0
        self._tg = 0.0  # the same state including the forming bar
        self._tl = 0.0

    def _commit(self) -> None:
        self._pc = self._x
        self._g = self._tg
        self._l = self._tl

    def _compute(self, x: float) -> None:
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


class _RollingExtreme(_Incremental):
    """Max (or min) of the last n values, the forming one included, via a monotonic deque."""

    __slots__ = ("_vals", "_idx")
    _is_max = True

    def __init__(self, n: int) -> None:
        super().__init__(n)
        # Committed bars that can still become the extreme: values monotonic from the front
        # (the extreme of the committed part of the window), with their bar indices.
        self._vals: deque[float] = deque()
        self._idx: deque[int] = deque()

    def _compute(self, x: float) -> None:
        if self.count >= self.n:
            vals = self._vals
            if not vals:
                self.value = x
            elif self._is_max:
                self.value = vals[0] if vals[0] > x else x
            else:
                self.value = vals[0] if vals[0] < x else x

    def _commit(self) -> None:
        push = _push_max if self._is_max else _push_min
        push(self._vals, self._idx, self._x, self.count - 1, self.count - self.n)


def _push_max(vals: deque, idx: deque, v: float, bar: int, gone: int) -> float:
    """Commit bar ``bar``'s value v to a max-deque; drop bars <= ``gone``; return the max."""
    while vals and vals[-1] <= v:
        vals.pop()
        idx.pop()
    vals.append(v)
    idx.append(bar)
    if idx[0] <= gone:  # one bar leaves the window per bar committed
        vals.popleft()
        idx.popleft()
    return vals[0] if vals else -math.inf


def _push_min(vals: deque, idx: deque, v: float, bar: int, gone: int) -> float:
    """The mirror of ``_push_max``."""
    while vals and vals[-1] >= v:
        vals.pop()
        idx.pop()
    vals.append(v)
    idx.append(bar)
    if idx[0] <= gone:
        vals.popleft()
        idx.popleft()
    return vals[0] if vals else math.inf


class RollingMax(_RollingExtreme):
    """``talib.MAX``: highest of the last n values, the forming one included."""

    __slots__ = ()
    _is_max = True


class RollingMin(_RollingExtreme):
    """``talib.MIN``: lowest of the last n values, the forming one included."""

    __slots__ = ()
    _is_max = False


def _cross(d: float, p: float) -> int:
    """``Crossover``'s value from a - b now (``d``) and at the previous bar's close (``p``)."""
    if d > 0.0:
        return 1 if p <= 0.0 else 0
    return -1 if d < 0.0 and p >= 0.0 else 0


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
        self.value = _cross(d, self._prev)


class _WarmupSet:
    """The full set built from the single indicators above: the reference behaviour.

    ``IndicatorSet`` runs this while any indicator is still seeding, then takes over its state.
    """

    def __init__(self, rules: Rules) -> None:
        fast, slow, signal = rules.macd
        self.sma_fast = SMA(rules.ma_fast)
        self.sma_slow = SMA(rules.ma_slow)
        self.macd = MACD(fast, slow, signal)
        self.rsi = RSI(rules.rsi_period)
        self.high = RollingMax(rules.high_low_window)
        self.low = RollingMin(rules.high_low_window)
        self.ma_x = Crossover()
        self.macd_x = Crossover()

    def step(self, close: float, high: float, low: float, new_bar: bool) -> None:
        for ind in (self.sma_fast, self.sma_slow, self.macd, self.rsi):
            (ind.update if new_bar else ind.revise)(close)
        (self.high.update if new_bar else self.high.revise)(high)
        (self.low.update if new_bar else self.low.revise)(low)
        m = self.macd
        (self.ma_x.update if new_bar else self.ma_x.revise)(self.sma_fast.value,
                                                            self.sma_slow.value)
        (self.macd_x.update if new_bar else self.macd_x.revise)(m.macd, m.signal)

    def publish(self, out: IndicatorSet) -> None:
        m = self.macd
        out.sma_fast = self.sma_fast.value
        out.sma_slow = self.sma_slow.value
        out.ema_fast = m._fast.value
        out.ema_slow = m._slow.value
        out.macd, out.macd_signal, out.macd_hist = m.macd, m.signal, m.hist
        out.rsi = self.rsi.value
        out.high_n = self.high.value
        out.low_n = self.low.value


class IndicatorSet:
    """The full daily indicator set of one symbol, fused into one object for speed.

    ``update(close, high, low)`` when a new daily bar starts, ``revise(close, high, low)`` on
    every later tick of that bar (pass Python floats). Public attributes are plain floats, NaN
    while undefined: ``sma_fast``, ``sma_slow`` (``ma_fast``/``ma_slow``), ``ema_fast``,
    ``ema_slow`` (the MACD's EMAs, ``talib.MACD`` seeding), ``macd``, ``macd_signal``,
    ``macd_hist``, ``rsi``, ``high_n`` / ``low_n`` (highest high / lowest low of the last
    ``high_low_window`` bars including the forming one); ``ma_cross`` / ``macd_cross`` are +1/-1/0
    (SMA fast vs slow, MACD line vs signal, this bar's values vs the previous bar's close);
    ``count`` is the number of bars seen.

    Why fused: a revise happens on every tick of every symbol, and calling eight indicator
    objects costs about twice the arithmetic itself. So while any indicator is still seeding,
    the set runs the single indicators (``_WarmupSet``, the reference); from the first bar at
    which all of them are in their steady state it takes over their state and runs one
    straight-line method on Python floats in slots, with its own Python list of closes and
    deques for the window extremes (no numpy scalar access per tick). The arithmetic is the same
    as the single indicators', operation for operation, so the two agree bit for bit.
    """

    FIELDS = ("sma_fast", "sma_slow", "ema_fast", "ema_slow", "macd", "macd_signal",
              "macd_hist", "rsi", "high_n", "low_n")

    __slots__ = FIELDS + (
        "rules", "count", "_warm", "_hot_from",
        "_nf", "_ns", "_nbig", "_kf", "_ks", "_kg", "_nr", "_nr1", "_hl",
        "_x", "_h", "_lo", "_closes", "_bf", "_bs", "_pef", "_pes", "_psg",
        "_pc", "_g", "_l", "_tg", "_tl", "_hv", "_hi", "_lv", "_li", "_hmax", "_lmin",
        "_pma", "_pmh",
    )

    def __init__(self, rules: Rules | None = None) -> None:
        if rules is None:
            from monitor.config import Rules

            rules = Rules()
        self.rules = rules
        self._warm: _WarmupSet | None = _WarmupSet(rules)
        w = self._warm
        m = w.macd
        # First bar index at which every indicator is past its seeding bar.
        self._hot_from = max(w.sma_fast.n - 1, w.sma_slow.n - 1, m.slow + m.signal_period - 1,
                             w.rsi.n + 1, w.high.n - 1)
        self.count = 0
        for name in self.FIELDS:
            setattr(self, name, NAN)

    def update(self, close: float, high: float, low: float) -> None:
        if self._warm is not None:
            self._warm_step(close, high, low, True)
            return
        # Commit the forming bar (the same steps as the single indicators' commits).
        x = self._x
        closes = self._closes
        closes.append(x)
        self._bf = (self._bf + x) - closes[-self._nf]
        self._bs = (self._bs + x) - closes[-self._ns]
        if not self.count % ANCHOR_EVERY:
            self._reanchor()
        self._pef = self.ema_fast
        self._pes = self.ema_slow
        self._psg = self.macd_signal
        self._pc = x
        self._g = self._tg
        self._l = self._tl
        self._pma = self.sma_fast - self.sma_slow
        self._pmh = self.macd_hist
        bar = self.count - 1
        gone = bar + 1 - self._hl  # the bar that leaves the next bar's window
        self._hmax = _push_max(self._hv, self._hi, self._h, bar, gone)
        self._lmin = _push_min(self._lv, self._li, self._lo, bar, gone)
        self.count += 1
        self.revise(close, high, low)

    def revise(self, close: float, high: float, low: float) -> None:
        if self._warm is not None:
            self._warm_step(close, high, low, False)
            return
        self._x = close
        self._h = high
        self._lo = low
        self.sma_fast = sf = (self._bf + close) / self._nf
        self.sma_slow = ss = (self._bs + close) / self._ns
        p = self._pef
        self.ema_fast = ef = ((close - p) * self._kf) + p
        p = self._pes
        self.ema_slow = es = ((close - p) * self._ks) + p
        self.macd = m = ef - es
        p = self._psg
        self.macd_signal = p = ((m - p) * self._kg) + p
        self.macd_hist = m = m - p
        d = close - self._pc
        n = self._nr
        n1 = self._nr1
        if d < 0.0:
            self._tg = g = self._g * n1 / n
            self._tl = s = (self._l * n1 - d) / n
        else:
            self._tg = g = (self._g * n1 + d) / n
            self._tl = s = self._l * n1 / n
        s += g
        self.rsi = 100.0 * (g / s) if s != 0.0 else 0.0
        p = self._hmax
        self.high_n = p if p > high else high
        p = self._lmin
        self.low_n = p if p < low else low

    @property
    def ma_cross(self) -> int:
        """+1/-1/0: SMA fast crossed above/below SMA slow at this bar (against the previous
        bar's close). Computed when read, as ``macd_cross``: the screen reads them, no rule does."""
        if self._warm is not None:
            return self._warm.ma_x.value
        return _cross(self.sma_fast - self.sma_slow, self._pma)

    @property
    def macd_cross(self) -> int:
        """+1/-1/0: the MACD line crossed above/below its signal at this bar."""
        if self._warm is not None:
            return self._warm.macd_x.value
        return _cross(self.macd_hist, self._pmh)

    def _warm_step(self, close: float, high: float, low: float, new_bar: bool) -> None:
        w = self._warm
        if new_bar or not self.count:
            self.count += 1
            new_bar = True
        w.step(close, high, low, new_bar)
        w.publish(self)
        if self.count > self._hot_from:
            self._take_over(w)

    def _take_over(self, w: _WarmupSet) -> None:
        """Load the single indicators' state (committed bars + forming bar) into the slots."""
        m = w.macd
        sf, ss = w.sma_fast, w.sma_slow
        big = ss if ss.n >= sf.n else sf
        self._nf, self._ns, self._nbig = sf.n, ss.n, big.n
        self._closes = big._hist[len(big._hist) - (big.n - 1):]
        self._bf, self._bs = sf._base, ss._base
        self._kf, self._ks, self._kg = m._fast.k, m._slow.k, m._signal.k
        self._pef, self._pes, self._psg = m._fast._prev, m._slow._prev, m._signal._prev
        r = w.rsi
        self._nr, self._nr1 = float(r.n), float(r.n - 1)
        self._pc, self._g, self._l, self._tg, self._tl = r._pc, r._g, r._l, r._tg, r._tl
        self._hl = w.high.n
        self._hv, self._hi = w.high._vals, w.high._idx
        self._lv, self._li = w.low._vals, w.low._idx
        self._hmax = self._hv[0] if self._hv else -math.inf
        self._lmin = self._lv[0] if self._lv else math.inf
        self._x, self._h, self._lo = sf._x, w.high._x, w.low._x
        self._pma, self._pmh = w.ma_x._prev, w.macd_x._prev
        self._warm = None

    def _reanchor(self) -> None:
        """Drop closes that left both windows and re-sum the windows exactly."""
        closes = self._closes
        del closes[: max(0, len(closes) - (self._nbig - 1))]
        k = len(closes)
        self._bf = math.fsum(closes[k - (self._nf - 1):])
        self._bs = math.fsum(closes[k - (self._ns - 1):])
