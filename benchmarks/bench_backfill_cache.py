"""What a start pays to read the whole cached daily history instead of the recent window.

    python benchmarks/bench_backfill_cache.py [--sessions 25800] [--repeat 3]

Three symbols' caches as the backfill writes them (index volumes missing: empty cells), once
with ``--sessions`` sessions each (^GSPC has about 24,800 since 1927) and once with the 1,300
the state keeps (the peer: what a window-only cache would cost). Each is read offline
(``MARKET_MONITOR_BACKFILL=cache``: no yfinance), as at every start: parse the CSVs, compute
the all-time records, cut the window. Each load runs in a fresh process, as a start does: the
caches a load fills (parsed dates, the market calendar) must not speed up the next one, or the
peer, timed after the whole history, would read every date from them. Best of ``--repeat``
(modules imported before the clock starts). No network.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor.feeds.backfill import KEEP_DAILY, Backfill  # noqa: E402
from monitor.model import NEW_YORK  # noqa: E402

SYMBOLS = ["^GSPC", "^RUT", "^NDX"]
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=NEW_YORK).timestamp()


def write_caches(folder: Path, sessions: int) -> None:
    lines, day, price = [], date(2026, 11, 20), 6000.0
    while len(lines) < sessions:
        if day.weekday() < 5:
            lines.append(f"{day.isoformat()},{price!r},{price * 1.01!r},{price * 0.99!r},{price!r},")
            price /= 1.0003
        day -= timedelta(days=1)
    folder.mkdir(parents=True, exist_ok=True)
    text = "date,open,high,low,close,volume\n" + "\n".join(reversed(lines)) + "\n"
    for symbol in SYMBOLS:
        (folder / f"{symbol.replace('^', '_')}-1d-max.csv").write_text(text, encoding="utf-8")


def one_load(folder: Path) -> float:
    """Seconds of one offline load in this (fresh) process."""
    start = time.perf_counter()
    result = Backfill(SYMBOLS, cache=folder, clock=lambda: NOW, offline=True).load()
    seconds = time.perf_counter() - start
    assert not result.problems and len(result.records) == len(SYMBOLS), result.problems
    return seconds


def best_load(folder: Path, repeat: int) -> float:
    """Best of ``repeat`` loads, each in a new process."""
    runs = [subprocess.run([sys.executable, __file__, "--one", str(folder)], check=True, capture_output=True, text=True)
            for _ in range(repeat)]
    return min(float(run.stdout) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=25_800)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a child: one load of this folder
    args = parser.parse_args()
    if args.one:
        print(one_load(args.one))
        return
    with tempfile.TemporaryDirectory() as tmp:
        whole, window = Path(tmp) / "whole", Path(tmp) / "window"
        write_caches(whole, args.sessions)
        write_caches(window, KEEP_DAILY)
        t_whole, t_window = best_load(whole, args.repeat), best_load(window, args.repeat)
    print(f"| offline load, {len(SYMBOLS)} symbols | sessions each | seconds | vs window |")
    print("|---|---:|---:|---:|")
    print(f"| window only (peer) | {KEEP_DAILY:,} | {t_window:.3f} | 1.00 |")
    print(f"| whole history | {args.sessions:,} | {t_whole:.3f} | {t_whole / t_window:.2f} |")
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (a loaded machine slows both rows)")


if __name__ == "__main__":
    main()
