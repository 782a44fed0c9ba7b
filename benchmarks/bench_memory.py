"""Resident memory of the live app: yfinance in this process (old) vs in a child process (new).

    python benchmarks/bench_memory.py [--ticks 3000]

Each way runs in a fresh interpreter: the Textual app (``make_app``, as the CLI builds it, under
Textual's headless test driver) on the stream from the local stand-in streamer
(``tests/fakes/stream_server.py``), with 10,000 alerts in its alert history and its backfill
(two years of daily bars and today's 1-minute bars for three symbols) served by the local chart
stand-in (``tests/fakes/chart.py``) through yfinance's ``session=`` seam. No network.

RSS (VmRSS of the app's process) is sampled: at start (everything imported), after the backfill,
while live (``--ticks`` stream ticks applied), and after one poll download, the fallback when
streaming fails. The new way's child processes are listed apart: the backfill child is gone by
then; the poll child lives only while polling. Goal: live RSS <= 80 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_MB = 80.0

SCENARIO = r"""
import asyncio, functools, json, os, sys, time
from datetime import datetime
from pathlib import Path

def rss(pid="self"):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None

mode, ticks, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
from fakes.chart import StandinYahoo, fake_session, standin_info
from fakes.market import FixedMarket
from fakes.stream_server import FakeStreamer, wait_until
from monitor.config import Config
from monitor.feeds.backfill import Backfill
from monitor.feeds.live import Backoff
from monitor.feeds.yahoo_stream import YahooStreamFeed
from monitor.history import AlertHistory
from monitor.model import NEW_YORK, Alert
from monitor.tui.app import make_app

SYMBOLS = ("^RUT", "^GSPC", "^NDX")
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=NEW_YORK).timestamp()  # a Friday, 90 minutes into the session

history = AlertHistory(folder / "alerts.jsonl")
for i in range(10_000):
    history.append(Alert(NOW - 86400 * 20 + i * 60, "^RUT", "level_cross", "down", 2499.0, f"^RUT fell below 2,500 (support) #{i}",
                         {"level": 2500.0, "label": "support"}, "stream"))
session, _ = fake_session(StandinYahoo(504, NOW))
backfill = Backfill(SYMBOLS, cache=folder / "cache", session=session, clock=functools.partial(float, NOW),
                    fetch_info=standin_info, isolate=(mode == "new"))
heavy = lambda: "pandas" in sys.modules or "yfinance" in sys.modules
row = {}

async def main():
    async with FakeStreamer() as server:
        feed = YahooStreamFeed(list(SYMBOLS), server.url, market=FixedMarket(), backoff=Backoff(0.05, 0.1), ping_interval=None)
        app = make_app(Config(symbols=SYMBOLS), feed, history=history, backfill=backfill)
        row["start"] = rss()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(lambda: app.history_first.done, timeout=120)
            await pilot.pause(0.5)
            row["backfill"] = rss()
            await server.wait_subscribed(0, timeout=20)
            for k in range(ticks):
                await server.send_price(SYMBOLS[k % 3], 2000.0 + (k % 500) / 10 + 4000 * (k % 3))
                if k % 200 == 0:
                    await pilot.pause(0.01)
            await pilot.pause(1.0)
            row["live"] = rss()
            row["heavy_live"] = heavy()
            if mode == "new":
                from monitor.feeds.live import yfinance_child_setup
                from monitor.feeds.yahoo_poll import download_closes
                from monitor.isolate import ChildCalls
                calls = ChildCalls(functools.partial(download_closes, session=session), setup=yfinance_child_setup)
                closes, _ = await asyncio.to_thread(calls, list(SYMBOLS))
                row["poll"], row["poll_child"] = rss(), rss(calls.pid)
                calls.close()
            else:
                from monitor.feeds.yahoo_poll import download_closes
                closes, _ = await asyncio.to_thread(download_closes, list(SYMBOLS), session)
                row["poll"], row["poll_child"] = rss(), None
            row["polled_bars"] = sum(len(v) for v in closes.values())
            await app.action_quit()
    row["heavy_end"] = heavy()

asyncio.run(main())
print(json.dumps(row))
"""


def run(mode: str, ticks: int) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "tests"), str(REPO), os.environ.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory(prefix="mm-bench-memory-") as folder:
        env["MARKET_MONITOR_HOME"] = folder  # nothing touches the user's folders
        env["MARKET_MONITOR_CACHE"] = str(Path(folder) / "cache")
        proc = subprocess.run(
            [sys.executable, "-c", SCENARIO, mode, str(ticks), folder], capture_output=True, text=True, env=env, timeout=600
        )
    if proc.returncode != 0:
        raise SystemExit(f"{mode}: the scenario failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=3000, help="live stream ticks applied before the live sample")
    args = parser.parse_args()
    rows = {mode: run(mode, args.ticks) for mode in ("old", "new")}
    old, new = rows["old"], rows["new"]

    def mb(value) -> str:
        return "-" if value is None else f"{value:6.1f}"

    print(f"RSS in MB of the live app process (3 symbols, 2 years of daily bars, 10,000 alerts, {args.ticks:,} live ticks)")
    print(f"{'sample':<28}{'old: yfinance here':>20}{'new: in a child':>18}{'new/old':>9}")
    for key, label in (("start", "start (imports)"), ("backfill", "after the backfill"), ("live", "live (streaming)"), ("poll", "after a poll download")):
        print(f"{label:<28}{mb(old[key]):>20}{mb(new[key]):>18}{new[key] / old[key]:>9.2f}")
    print(f"{'poll child (while polling)':<28}{'-':>20}{mb(new['poll_child']):>18}")
    print(f"pandas or yfinance loaded in the app process while live: old {old['heavy_live']}, new {new['heavy_live']}")
    verdict = "met" if new["live"] <= GOAL_MB else "NOT met"
    print(f"goal: live RSS <= {GOAL_MB:g} MB: {verdict} ({new['live']:.1f} MB; old way {old['live']:.1f} MB)")


if __name__ == "__main__":
    main()
