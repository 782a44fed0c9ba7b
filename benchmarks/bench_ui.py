"""The monitor in a pseudo-terminal: terminal bytes per second, CPU, tick-to-screen latency.

    python benchmarks/bench_ui.py [--seconds 60] [--rate 10] [--size 120x40] [--size 80x24]

The app (built by ``monitor.tui.app.make_app``, as the CLI builds it) runs in a child process on a
pty, fed by a local synthetic feed: 3 symbols, ``--rate`` ticks per second each, tick ``k`` due
at ``t0 + k / (3 * rate)`` on the shared monotonic clock. The case that counts is a live run
with its history loaded: two years of daily bars (the shipped demo data, through Monday
2026-02-23) are in the state before the first tick, and the app's clock is a session clock
that starts on Tuesday 2026-02-24 at 11:00 New York (market open) and runs at wall speed, so
the chart, the readouts, the freshness badges and the status bar's age counter all work as
they do at 11:00 on a trading day. The same run without history is printed beside it as the
peer. Each price encodes its tick number,
so when this process reads a price off the terminal it knows when that tick was sent.
Measured after a warm-up (startup excluded): bytes the app wrote to the terminal per second,
the child's CPU time as a share of one core, and the latency from a tick being due to its
price being on the terminal (p50, p99; ticks that were overtaken before a repaint are never
shown, which is the point of capping repaints). Goals: <= 4 KB/s, <= 5 % of a core, p99 <=
300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SYMBOLS = ("^RUT", "^GSPC", "^NDX")
BASES = (2600.0, 6800.0, 24700.0)  # price = base + tick number / 100 (near the history's last closes)
SESSION_START = (2026, 2, 24, 11, 0)  # the app's clock starts here (New York), inside a session
WARMUP = 5.0
GOALS = {"bytes_per_s": 4096, "cpu_pct": 5.0, "p99_ms": 300.0}


# --- the child: the app on a synthetic feed -------------------------------------------------


def run_child(t0: float, rate: float, seconds: float, history: bool) -> None:
    sys.path.insert(0, str(REPO))
    from datetime import datetime

    from monitor.model import NEW_YORK
    from monitor.state import MarketState
    from monitor.tui.app import demo_series, make_app, prefill
    from monitor.config import Config
    from monitor.feeds.base import Feed
    from monitor.model import FeedState, FeedStatus, Tick

    start = datetime(*SESSION_START, tzinfo=NEW_YORK).timestamp()

    def clock() -> float:
        """The session clock: SESSION_START at t0, then wall speed."""
        return start + (time.monotonic() - t0)

    class SyntheticFeed(Feed):
        source = "stream"

        async def events(self):
            yield FeedStatus(FeedState.LIVE, self.source, clock(), "local synthetic feed")
            step = 1.0 / (rate * len(SYMBOLS))
            k = 0
            end = t0 + seconds - (1.0 if os.environ.get("BENCH_UI_PROFILE") else 0.0)
            while True:
                due = t0 + k * step
                if due > end:
                    break
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                i = k % len(SYMBOLS)
                now = clock()
                yield [Tick(SYMBOLS[i], now, BASES[i] + k / 100.0, None, now)]
                k += 1
            if os.environ.get("BENCH_UI_PROFILE"):
                app.exit()
            await asyncio.sleep(3600)

    config = Config(levels=())
    state = MarketState(config, "stream")
    if history:
        prefill(state, demo_series())
        state.commit_due(start)
    app = make_app(config, SyntheticFeed(), clock=clock, state=state)
    profile = os.environ.get("BENCH_UI_PROFILE")
    if profile:  # BENCH_UI_PROFILE=out.prof: profile the app (see pstats)
        import cProfile

        cProfile.runctx("app.run()", globals(), {"app": app}, profile)
    else:
        app.run()


# --- the parent: pty, reading, measuring ----------------------------------------------------

PRICE = re.compile(rb"(\d{1,2},\d{3}\.\d{2})")


def decode(price_text: bytes) -> int | None:
    """The tick number a shown price encodes (None if it is not one of ours)."""
    value = float(price_text.replace(b",", b""))
    for base in BASES:
        k = round((value - base) * 100)
        if 0 <= k < 10_000_000 and base <= value < base + 1000:
            return k
    return None


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(size: tuple[int, int], rate: float, seconds: float, history: bool) -> dict:
    cols, rows = size
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    t0 = time.monotonic() + 3.0  # the app has 3 s to start before tick 0 is due
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    env.pop("NO_COLOR", None)
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", repr(t0), str(rate), str(seconds), "history" if history else "none"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    step = 1.0 / (rate * len(SYMBOLS))
    start, end = t0 + WARMUP, t0 + seconds
    counted = 0
    seen: set[int] = set()
    latencies: list[float] = []
    cpu_start = cpu_end = None
    tail = b""
    try:
        while True:
            now = time.monotonic()
            if cpu_start is None and now >= start:
                cpu_start = cpu_seconds(child.pid)
            if now >= end:
                cpu_end = cpu_seconds(child.pid)
                break
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            now = time.monotonic()
            if start <= now < end:
                counted += len(data)
            text = tail + data
            tail = text[-16:]
            for match in PRICE.finditer(text):
                k = decode(match.group(1))
                if k is None or k in seen:
                    continue
                seen.add(k)
                due = t0 + k * step
                if start <= due < end:
                    latencies.append(now - due)
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
        os.close(master)
    window = end - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    ticks = int(window * rate * len(SYMBOLS))
    return {
        "size": f"{cols}x{rows}",
        "history": "2 years" if history else "none",
        "bytes_per_s": counted / window,
        "cpu_pct": (cpu_end - cpu_start) / window * 100 if cpu_start is not None and cpu_end is not None else float("nan"),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "shown": len(latencies),
        "ticks": ticks,
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "history")
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=10.0, help="ticks per second per symbol")
    parser.add_argument("--size", action="append", help="COLSxROWS (repeatable; default 80x24 and 120x40)")
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in s.split("x")) for s in (args.size or ["80x24", "120x40"])]
    print(f"market-monitor in a pty: {len(SYMBOLS)} symbols x {args.rate:g} ticks/s for {args.seconds:g} s "
          f"(first {WARMUP:g} s not counted), [ui] max_fps 4")
    print(f"{'size':>7} {'history':>8} {'bytes/s':>9} {'vs none':>8} {'CPU %':>6} {'p50 ms':>7} {'p99 ms':>7} {'shown/ticks':>12}  goals")
    ok = True
    for size in sizes:
        peer = measure(size, args.rate, args.seconds, history=False)
        loaded = measure(size, args.rate, args.seconds, history=True)
        met = loaded["bytes_per_s"] <= GOALS["bytes_per_s"] and loaded["cpu_pct"] <= GOALS["cpu_pct"] and loaded["p99_ms"] <= GOALS["p99_ms"]
        ok &= met
        for r, verdict in ((loaded, "met" if met else "MISSED"), (peer, "(peer)")):
            ratio = r["bytes_per_s"] / peer["bytes_per_s"] if peer["bytes_per_s"] else float("nan")
            print(f"{r['size']:>7} {r['history']:>8} {r['bytes_per_s']:>9.0f} {ratio:>7.2f}x {r['cpu_pct']:>6.1f} "
                  f"{r['p50_ms']:>7.0f} {r['p99_ms']:>7.0f} {r['shown']:>5}/{r['ticks']:<6}  {verdict}")
    print("goals (with history): <= 4096 bytes/s, <= 5 % of a core, p99 <= 300 ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
