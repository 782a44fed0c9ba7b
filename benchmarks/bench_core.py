"""µs per tick for the full daily indicator set: IndicatorSet vs talipp vs TA-Lib recompute.

Run: ``python benchmarks/bench_core.py`` (about a minute; ``--quick`` for a smoke run).

Full set = SMA50, SMA200, EMA12, EMA26, MACD(12,26,9) with signal and histogram, RSI14, 252-bar
high/low, MA and MACD crosses. Three ways to keep it current, all measured in this one run:

- ``IndicatorSet`` (monitor.indicators): incremental, O(1) per tick.
- talipp 2.7 (pure-Python incremental): SMA(50), SMA(200), MACD(12,26,9) (its EMAs are the
  EMA12/26), RSI(14), DonchianChannels(252) for the high/low (talipp's only rolling high/low),
  crosses from the last two outputs. ``add`` for a new bar, ``update`` for a revise.
- "recompute": keep the last 500 closes/highs/lows in numpy arrays and call talib.SMA x2, EMA x2,
  MACD, RSI, MAX, MIN over them on every tick (crosses from the last two values).

Tick kinds: "new bar" = one ``update`` per bar; "revise" = revising the forming bar; "replay mix"
= the replay's four ticks per daily bar (one update, three revises), per tick. All states are
warmed up before timing (500 bars; talipp 260, enough for its windows, as it is slow to feed).
3 symbols = the real daily files round-robin; 2,000 symbols = random walks round-robin. Compare
the ratios: absolute times drift between runs on shared machines.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import talib
from talipp.indicators import MACD as TpMACD
from talipp.indicators import RSI as TpRSI
from talipp.indicators import SMA as TpSMA
from talipp.indicators import DonchianChannels
from talipp.ohlcv import OHLCV

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor.config import Rules  # noqa: E402
from monitor.indicators import IndicatorSet  # noqa: E402
from monitor.series import bar_ticks_with_range  # noqa: E402

DAILY = REPO.parent / "shared" / "data" / "daily"
FILES = ("rut_daily.csv", "spx_daily.csv", "ndx_daily.csv")
WARM = 500  # bars fed before timing: all past warm-up, the recompute window full
WINDOW = 500  # bars the recompute approach recalculates on every tick
TALIPP_WARM = 260  # talipp is slow to feed: warm it on just enough bars for its 252-bar window


def _cross(d: float | None, prev: float | None) -> int:
    if d is None or prev is None:
        return 0
    if d > 0.0:
        return 1 if prev <= 0.0 else 0
    return -1 if d < 0.0 and prev >= 0.0 else 0


class TalippSet:
    """The full set with talipp indicators."""

    def __init__(self) -> None:
        self.sma_fast, self.sma_slow = TpSMA(50), TpSMA(200)
        self.macd, self.rsi, self.dc = TpMACD(12, 26, 9), TpRSI(14), DonchianChannels(252)
        self.closes = (self.sma_fast, self.sma_slow, self.macd, self.rsi)
        self.prev_ma = self.prev_hist = None
        self.ma_cross = self.macd_cross = 0

    def update(self, close: float, high: float, low: float) -> None:
        self.prev_ma, self.prev_hist = self._diffs()
        for ind in self.closes:
            ind.add(close)
        self.dc.add(OHLCV(close, high, low, close))
        self._crosses()

    def revise(self, close: float, high: float, low: float) -> None:
        for ind in self.closes:
            ind.update(close)
        self.dc.update(OHLCV(close, high, low, close))
        self._crosses()

    def _diffs(self) -> tuple[float | None, float | None]:
        if not self.macd.output_values:
            return None, None
        f, s, m = self.sma_fast[-1], self.sma_slow[-1], self.macd[-1]
        ma = f - s if f is not None and s is not None else None
        hist = m.histogram if m is not None else None
        return ma, hist

    def _crosses(self) -> None:
        ma, hist = self._diffs()
        self.ma_cross = _cross(ma, self.prev_ma)
        self.macd_cross = _cross(hist, self.prev_hist)


class TalibRecompute:
    """The full set recomputed with TA-Lib over the last WINDOW bars on every tick."""

    CAP = WINDOW + 1024

    def __init__(self, close, high, low) -> None:
        self.arrays = [np.empty(self.CAP) for _ in range(3)]
        k = min(len(close), WINDOW)
        for arr, src in zip(self.arrays, (close, high, low)):
            arr[:k] = src[-k:]
        self.i = k - 1  # the forming bar's slot
        self.values: tuple = ()

    def update(self, close: float, high: float, low: float) -> None:
        i = self.i + 1
        if i == self.CAP:  # slide the window back to the front of the buffer
            for arr in self.arrays:
                arr[: WINDOW - 1] = arr[self.CAP - WINDOW + 1 :]
            i = WINDOW - 1
        self.i = i
        self.revise(close, high, low)

    def revise(self, close: float, high: float, low: float) -> None:
        c, h, l = self.arrays
        i = self.i
        c[i], h[i], l[i] = close, high, low
        lo = max(0, i + 1 - WINDOW)
        c, h, l = c[lo : i + 1], h[lo : i + 1], l[lo : i + 1]
        sf, ss = talib.SMA(c, 50), talib.SMA(c, 200)
        m, s, hist = talib.MACD(c, 12, 26, 9)
        ma = sf[-2:] - ss[-2:]
        self.values = (float(sf[-1]), float(ss[-1]), float(talib.EMA(c, 12)[-1]),
                       float(talib.EMA(c, 26)[-1]), float(m[-1]), float(s[-1]), float(hist[-1]),
                       float(talib.RSI(c, 14)[-1]), float(talib.MAX(h, 252)[-1]),
                       float(talib.MIN(l, 252)[-1]),
                       _cross(float(ma[1]), float(ma[0])), _cross(float(hist[-1]), float(hist[-2])))



def load_real(k: int) -> list[np.ndarray]:
    """OHLC arrays (4, WARM + k) per real daily file, or random walks if the data is missing."""
    series = []
    for name in FILES:
        path = DAILY / name
        if not path.exists():
            return random_walks(len(FILES), k, seed=1)
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))[-(WARM + k):]
        series.append(np.array([[float(r[c]) for r in rows]
                                for c in ("open", "high", "low", "close")]))
    return series


def random_walks(n: int, k: int, seed: int) -> list[np.ndarray]:
    """n OHLC arrays (4, WARM + k) of geometric random walks."""
    rng = np.random.default_rng(seed)
    close = 1000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, (n, WARM + k)), axis=1))
    open_ = close * np.exp(rng.normal(0.0, 0.003, close.shape))
    wick = np.abs(rng.normal(0.0, 0.004, close.shape)) * close
    high = np.maximum(open_, close) + wick
    low = np.minimum(open_, close) - wick
    return [np.stack((open_[i], high[i], low[i], close[i])) for i in range(n)]


def warmed_states(kind: str, series: list[np.ndarray]) -> list:
    """One state per symbol, fed the series' first WARM bars (talipp: the last TALIPP_WARM)."""
    states = []
    for s in series:
        o, h, l, c = (s[j, :WARM].tolist() for j in range(4))
        if kind == "recompute":
            states.append(TalibRecompute(np.array(c), np.array(h), np.array(l)))
            continue
        state = IndicatorSet(Rules()) if kind == "ours" else TalippSet()
        skip = WARM - TALIPP_WARM if kind == "talipp" else 0
        for bar in zip(c[skip:], h[skip:], l[skip:]):
            state.update(*bar)
        states.append(state)
    return states


def schedules(states, series) -> dict[str, list]:
    """Per tick kind, the calls in round-robin order: (bound method, close, high, low)."""
    k = series[0].shape[1] - WARM
    bars = [[bar_ticks_with_range(*s[:, WARM + b].tolist()) for s in series] for b in range(k)]
    new_bar, revise, mix = [], [], []
    for per_symbol in bars:
        for st, ticks in zip(states, per_symbol):
            new_bar.append((st.update, *ticks[3]))
            revise.extend((st.revise, *t) for t in ticks[1:])
            mix.append((st.update, *ticks[0]))
            mix.extend((st.revise, *t) for t in ticks[1:])
    return {"new bar": new_bar, "revise": revise, "replay mix": mix}


def time_calls(calls) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for fn, c, h, l in calls:
            fn(c, h, l)
        return (time.perf_counter() - t0) / len(calls) * 1e6
    finally:
        gc.enable()


def measure(kind: str, series, repeats: int) -> dict[str, float]:
    """Median µs per tick for each tick kind; the warmed states carry on from kind to kind."""
    states = warmed_states(kind, series)
    calls = schedules(states, series)
    samples: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(repeats):
        for tick_kind, todo in calls.items():
            samples[tick_kind].append(time_calls(todo))
    return {k: statistics.median(v) for k, v in samples.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    args = ap.parse_args()
    q = args.quick
    scenarios = [
        # symbols, OHLC series, repeats for IndicatorSet, repeats for the (slow) peers
        ("3", load_real(100 if q else 1000), 7, 3),
        ("2,000", random_walks(40 if q else 2000, 2 if q else 10, seed=2), 5, 1),
    ]
    print(f"# bench_core: µs per tick, full indicator set ({os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, numpy {np.__version__}, TA-Lib {talib.__version__})")
    print()
    print("| symbols | tick | IndicatorSet µs | talipp µs | talipp/ours | TA-Lib recompute µs "
          "| recompute/ours |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, series, rep_ours, rep_peers in scenarios:
        ours = measure("ours", series, rep_ours)
        tp = measure("talipp", series, rep_peers)
        rc = measure("recompute", series, rep_peers)
        for tick_kind in ("new bar", "revise", "replay mix"):
            o, t, r = ours[tick_kind], tp[tick_kind], rc[tick_kind]
            print(f"| {name} | {tick_kind} | {o:.2f} | {t:.1f} | {t / o:.0f}x | {r:.1f} "
                  f"| {r / o:.0f}x |", flush=True)
    print()
    print(f"Warm-up {WARM} bars (talipp {TALIPP_WARM}); recompute window {WINDOW} bars; "
          "medians of repeated runs; 3 symbols = real daily files, 2,000 = random walks.")


if __name__ == "__main__":
    main()
