"""Replay speed: our whole `market-monitor replay --headless` process vs talipp's indicators alone.

Goal (issue 2, section 6): replaying the three full daily histories in ../shared/data/daily
(~178k ticks, every alert rule included) as a whole process (interpreter start, imports, CSV
parsing, bars, indicators, rules, JSON output) takes at most half the time talipp needs for RSI14,
MACD 12/26/9, SMA50 and SMA200 alone over the same ticks (a new bar: ``add``; every later tick of
the bar: ``update``). Issue 12 aims lower: at most 0.30 (``GOAL``). Both are measured in this one
run, interleaved; the best of ``--runs`` is compared.

Structures this path is shaped by (each says why in its docstring): a symbol's indicators catch up
with its forming bar when read (``SymbolState.ind``: a replay reads each bar once, at its commit);
each symbol runs only the hooks of the detectors that watch it (``Detector.watches``) and none
inside their quiet range (``Detector.quiet``); replayed ticks and the bar-close snapshot are plain
tuples (``Tick``: a NamedTuple instance costs ~15 times a tuple to make); relative strength and
``new_high`` read committed closes, highs and lows from lists kept beside the daily ring
(``SessionBars.close_and_base``, ``FirstIndex``), and the ring is written only when read; daily
dates are parsed as a column and the files' ticks batched column-wise (``_daily_batches``).

The replay process runs as an installed program does (``process_timing``: cached bytecode, which
an untimed first run writes, as it builds the calendar cache).

    python benchmarks/bench_replay.py [--runs 5] [--data ../shared/data/daily]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from process_timing import FILES, REPO, history_args, history_options, monitor_env, time_process

GOAL = 0.30  # ours / talipp, whole process against the indicators' loop (issue 12)


def time_replay(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one replay process, and its number of alert lines."""
    wall, cpu, out = time_process(args, env)
    return wall, cpu, out.count(b"\n")


def talipp_ticks(data: Path) -> list[tuple[int, bool, float]]:
    """(series index, new bar?, price) for every replay tick, from the replay's own tick maker."""
    sys.path.insert(0, str(REPO))
    from monitor.series import load_series, replay_batches

    series = [load_series(data / name, symbol) for symbol, name in FILES]
    index = {s.symbol: i for i, s in enumerate(series)}
    seen_day: dict[str, int] = {}
    out = []
    for batch in replay_batches(series):
        for symbol, t, price, _, _ in batch:  # plain tuples of Tick's fields
            day = int((t - 4 * 3600) // 86400)  # ticks of one bar share a UTC-4..5 day
            new = seen_day.get(symbol) != day
            seen_day[symbol] = day
            out.append((index[symbol], new, price))
    return out


def time_talipp(ticks: list[tuple[int, bool, float]]) -> tuple[float, float]:
    from talipp.indicators import MACD, RSI, SMA

    sets = [[RSI(14), MACD(12, 26, 9), SMA(50), SMA(200)] for _ in FILES]
    cpu = time.process_time()
    started = time.perf_counter()
    for i, new, price in ticks:
        if new:
            for ind in sets[i]:
                ind.add(price)
        else:
            for ind in sets[i]:
                ind.update(price)
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> int:
    options = history_options(__doc__)

    with monitor_env() as env:
        command = [sys.executable, "-m", "monitor", "replay", "--headless", *history_args(options.data)]
        time_replay(command, env)  # untimed: bytecode cache and calendar cache
        ticks = talipp_ticks(options.data)
        ours, theirs = [], []
        for _ in range(options.runs):  # interleaved, so both see the same machine load
            ours.append(time_replay(command, env))
            theirs.append(time_talipp(ticks))

    alerts = ours[0][2]
    best_wall, best_cpu = min(r[0] for r in ours), min(r[1] for r in ours)
    peer_wall, peer_cpu = min(r[0] for r in theirs), min(r[1] for r in theirs)
    n = len(ticks)
    print(f"replay of {n:,} ticks ({', '.join(s for s, _ in FILES)}), {alerts:,} alerts, best of {options.runs}")
    print(f"{'':44} {'wall s':>8} {'cpu s':>8} {'us/tick':>8}")
    print(f"{'market-monitor replay --headless (process)':44} {best_wall:8.3f} {best_cpu:8.3f} {best_wall / n * 1e6:8.2f}")
    print(f"{'talipp RSI+MACD+SMA50+SMA200 (loop only)':44} {peer_wall:8.3f} {peer_cpu:8.3f} {peer_wall / n * 1e6:8.2f}")
    print(f"ratio ours/talipp: wall {best_wall / peer_wall:.2f}, cpu {best_cpu / peer_cpu:.2f} (goal <= {GOAL:.2f})")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} cores (other jobs slow both sides: compare ratios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
