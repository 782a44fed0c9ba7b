"""The bar histories' ring buffer: memory per symbol and cost per bar, against a deque of tuples.

Each symbol keeps its committed daily bars (``DAILY_BARS_KEPT``) and today's minute bars
(``MINUTE_BARS_KEPT``) in ``BarRing``s (``monitor.bars``) over ``RingBuffer``
(``monitor.ringbuffer``). The peer, measured in the same run, is what the core used before: a
``deque(maxlen=...)`` of NamedTuple bars.

Printed: bytes per symbol once full (tracemalloc, after 10,000 bars: constant whatever the run
length), µs per committed bar (append), per read of the newest close, and per chart read of all
closes (the ring's zero-copy column vs a list built from the deque). Also the one window kept
beside the daily ring, and why: ``SessionBars`` keeps the committed closes and their dates in two
lists for ``close_and_base``, which relative strength reads at every commit of its lead (the ring
is written in bulk when read; see ``benchmarks/bench_replay.py``).

    python benchmarks/bench_ring.py [--bars 100000]
"""

from __future__ import annotations

import argparse
import gc
import sys
import timeit
import tracemalloc
from collections import deque
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor.bars import (  # noqa: E402
    CLOSES_SLACK, DAILY_BARS_KEPT, MINUTE_BARS_KEPT, DailyBar, MinuteBar, SessionBars, daily_ring, minute_ring,
)


def daily_bars(n: int) -> list[DailyBar]:
    first = date(1990, 1, 1)
    return [DailyBar(first + timedelta(days=i), 100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i, 1e6 + i) for i in range(n)]


def minute_bars(n: int) -> list[MinuteBar]:
    return [MinuteBar(60.0 * i, 100.0, 101.0, 99.0, 100.5) for i in range(n)]


def held_bytes(make, bars) -> int:
    """Bytes still allocated by one history after every bar was appended (bars themselves are
    allocated before tracing starts, so a deque counts only its own blocks... plus the bars it
    keeps alive, which the ring does not: it stores floats)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    history = make()
    for bar in bars:
        history.append(bar)
    if isinstance(history, deque):  # a deque keeps the bar objects: count them too
        kept = sum(sys.getsizeof(bar) + sum(sys.getsizeof(x) for x in bar) for bar in history)
    else:
        kept = 0
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del history
    return after - before + kept


def per_call_us(stmt, number: int) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


def sma_window_costs(bars: int, n: int = 200) -> tuple[float, float]:
    """µs per committed bar of an SMA(n) window: the indicators' list (append, read the value
    leaving the window, trim every 64 bars) vs a RingBuffer of n values (read the oldest, append)."""
    from monitor.ringbuffer import RingBuffer

    hist: list[float] = [1.0] * n
    count = [0]

    def with_list() -> float:
        hist.append(2.0)
        out = hist[-n]
        count[0] += 1
        if not count[0] % 64:
            del hist[: len(hist) - (n - 1)]
        return out

    ring = RingBuffer(n)
    for _ in range(n):
        ring.append(1.0)

    def with_ring() -> float:
        out = ring[0]
        ring.append(2.0)
        return out

    return per_call_us(with_list, bars), per_call_us(with_ring, bars)


def closes_beside_the_ring(days: list[DailyBar]) -> tuple[int, float, float, float]:
    """The closes ``SessionBars`` keeps beside its daily ring: their bytes at the longest they get
    (just before a trim; the lists and the objects they hold, which the bars written to the ring
    no longer share, and the first positions of the highs and lows, ``FirstIndex``); µs per ``close_and_base`` of a committed day against reading the ring's
    close and day columns for it (a view each, then the same item reads); µs per bar of writing
    the ring in bulk (64 bars: it is written when read, and the closes come from the lists) where
    reading the ring at every commit writes each bar on its own (the 'append ring' column)."""
    s = SessionBars("X")
    most = 0
    for bar in days:
        s.open_session(bar.day, 0.0, 1.0, 0.0, bar.open, None)
        s.commit()
        s.extreme_origin(252, bar.open, True)  # as new_high asks (rising bars: the newest is the extreme)
        s.extreme_origin(252, s._lows[-min(252, len(s._lows))], False)
        lists = (s._closes, s._close_days, s._highs, s._lows)
        if len(s._closes) == DAILY_BARS_KEPT + CLOSES_SLACK - 1:  # the longest: trimmed at the next bar
            most = max(most, sum(sys.getsizeof(items) + sum(map(sys.getsizeof, items)) for items in lists)
                       + sys.getsizeof(s._high_index._first) + sys.getsizeof(s._low_index._first))
    ring = s.daily
    day = days[-5].day

    def from_ring() -> tuple[float, float]:
        closes, ordinals = ring.column("close"), ring.column("day")
        i = len(closes) - 5
        return closes[i], closes[i - 21] if ordinals[i] == day.toordinal() else (0.0, 0.0)

    batch = days[-64:]
    bulk = per_call_us(lambda: ring.extend(batch), 2_000) / len(batch)
    return most, per_call_us(lambda: s.close_and_base(day, 21), 100_000), per_call_us(from_ring, 100_000), bulk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=100_000)
    args = parser.parse_args()
    days = daily_bars(10_000)
    minutes = minute_bars(10_000)

    rows = []
    for name, ring_make, deque_make, bars in (
        ("daily", daily_ring, lambda: deque(maxlen=DAILY_BARS_KEPT), days),
        ("minute", minute_ring, lambda: deque(maxlen=MINUTE_BARS_KEPT), minutes),
    ):
        ring_bytes = held_bytes(ring_make, bars)
        deque_bytes = held_bytes(deque_make, bars)
        ring, dq = ring_make(), deque_make()
        for bar in bars:
            ring.append(bar)
            dq.append(bar)
        bar = bars[-1]
        append_ring = per_call_us(lambda: ring.append(bar), args.bars)
        append_deque = per_call_us(lambda: dq.append(bar), args.bars)
        last_ring = per_call_us(lambda: ring.ring.get(-1, "close"), args.bars)
        last_deque = per_call_us(lambda: dq[-1].close, args.bars)
        chart_ring = per_call_us(lambda: ring.column("close"), 2000)
        chart_deque = per_call_us(lambda: [b.close for b in dq], 2000)
        rows.append((name, ring_bytes, deque_bytes, append_ring, append_deque, last_ring, last_deque, chart_ring, chart_deque))

    window_list, window_ring = sma_window_costs(args.bars)
    closes_bytes, closes_us, ring_us, bulk_us = closes_beside_the_ring(days)

    print(f"{'history':<8} {'bytes ring':>11} {'bytes deque':>12} {'append ring':>12} {'deque':>7} "
          f"{'last ring':>10} {'deque':>7} {'closes ring':>12} {'deque':>8}")
    for name, rb, db, ar, ad, lr, ld, cr, cd in rows:
        print(f"{name:<8} {rb:>11,} {db:>12,} {ar:>10.2f}µs {ad:>5.2f}µs {lr:>8.2f}µs {ld:>5.2f}µs "
              f"{cr:>10.2f}µs {cd:>6.1f}µs")
    print(f"\nSMA200 window, µs per committed bar: trimmed list {window_list:.2f} (what the indicators use),"
          f" RingBuffer {window_ring:.2f}")
    print(f"Lists beside the daily ring (closes, dates, highs, lows, their first positions): {closes_bytes:,} bytes per symbol at most;"
          f" close_and_base {closes_us:.2f}µs vs two ring column views {ring_us:.2f}µs; with them the ring"
          f" is written in bulk, {bulk_us:.2f}µs per bar, not bar by bar ('append ring' above)")
    print("\nOne symbol holds one daily and one minute history: its bar memory is the sum of the two")
    print("'bytes ring' figures, fixed at creation (the ring stores floats, not bar objects). A bar")
    print("costs more to append to the ring (two float writes per field: the mirror that makes")
    print("columns zero-copy) than to a deque: a replay commits one per session, a few µs per year")
    print("of data; the chart reads whole columns without building a list.")


if __name__ == "__main__":
    main()
