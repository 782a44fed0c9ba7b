"""One live trading day for the session tests, driven through the local streamer: a settable
clock, ten falling sessions of ^RUT history in a real (offline) backfill cache, a gate that
holds the backfill until the test lets it go, and the day's steps. The app test and the
headless test run the same day, so both front-ends are held to the same outcome."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

from fakes.stream_server import FakeStreamer, wait_until

from monitor.config import Config, Divergence, Level, Rules
from monitor.feeds.backfill import Backfill
from monitor.feeds.live import Backoff
from monitor.feeds.yahoo_stream import YahooStreamFeed
from monitor.market_hours import MarketClock, ny_epoch
from monitor.model import FeedState

DAY = date(2026, 2, 24)  # a Tuesday, a regular session
OPEN = ny_epoch(DAY, time(10, 0))
# Short periods so ten sessions of history are enough: SMA2 under SMA3 and RSI(2) at 0 while
# prices fall; one session at 126 lifts SMA2 above SMA3 (golden cross) and RSI(2) to 100.
CONFIG = Config(
    symbols=("^RUT",),
    levels=(Level("^RUT", 125.0, "line"),),
    rules=Rules(rsi_period=2, ma_fast=2, ma_slow=3),
    divergence=Divergence(lead="^RUT", peers=()),
)


class Clock:
    """The wall clock of the run, set by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def write_history(cache: Path) -> None:
    """Ten sessions before DAY closing 110, 109, ..., 101 (the cache the backfill reads)."""
    market = MarketClock(lambda: OPEN)
    days, day = [], DAY
    while len(days) < 10:
        day -= timedelta(days=1)
        if market.is_session(day):
            days.append(day)
    lines = ["date,open,high,low,close,volume"]
    for i, day in enumerate(sorted(days)):
        close = 110.0 - i
        lines.append(f"{day.isoformat()},{close + 0.5},{close + 1},{close - 1},{close},1000")
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "_RUT-1d-max.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Yahoo's metadata, as hostile as it may come: an OSC 52 (clipboard) sequence in the name.
    info = {"fetched": OPEN, "name": "Russell\x1b]52;c;SGVsbG8=\x07 2000", "delay": 15, "price_hint": 2}
    (cache / "_RUT-info.json").write_text(json.dumps(info), encoding="utf-8")


class GatedBackfill:
    """The real offline backfill, held until ``release()``: live ticks arrive meanwhile."""

    def __init__(self, cache: Path, clock: Callable[[], float]) -> None:
        self.backfill = Backfill(["^RUT"], cache=cache, clock=clock, offline=True)
        self.gate = threading.Event()
        self.started = threading.Event()

    def load(self):
        self.started.set()
        self.gate.wait(10)
        return self.backfill.load()

    def release(self) -> None:
        self.gate.set()


@dataclass
class LiveDay:
    server: FakeStreamer
    clock: Clock
    backfill: GatedBackfill

    def feed(self) -> YahooStreamFeed:
        return YahooStreamFeed(
            ["^RUT"], self.server.url, clock=self.clock, market=MarketClock(self.clock),
            backoff=Backoff(0.05, 0.1), ping_interval=None,
        )


def make_day(server: FakeStreamer, tmp_path: Path) -> LiveDay:
    clock = Clock(OPEN + 5)
    write_history(tmp_path / "history")
    return LiveDay(server, clock, GatedBackfill(tmp_path / "history", clock))


async def play(day: LiveDay, session, alerts: Callable[[], list], pause) -> None:
    """The day's steps against a running front-end (``session`` its LiveSession, ``alerts`` the
    delivered alerts so far, ``pause`` lets it run a little). Asserts along the way."""
    server, clock, state = day.server, day.clock, session.state
    await server.wait_subscribed(0)
    await wait_until(day.backfill.started.is_set)
    # 1. A live print while the history loads: held, nothing in the state yet.
    await server.send_price("^RUT", 120.0, when=OPEN)
    for _ in range(20):
        await pause()
    rut = state.symbols["^RUT"]
    assert rut.last != rut.last, "a live tick went in before the history"
    # 2. The history comes in; the held print follows it.
    day.backfill.release()
    await wait_until(lambda: rut.last == 120.0 and len(rut.daily) == 10)
    assert rut.session == DAY
    assert [bar.close for bar in rut.daily][-3:] == [103.0, 102.0, 101.0]
    assert alerts() == [], alerts()  # history fires nothing; 120 only arms the 125 line
    # The history's symbol info: its name cleaned of the escape, its delay told to the feed.
    assert session.infos["^RUT"].name == "Russell 2000"
    await server.send_price("^RUT", 120.5, when=OPEN + 1)
    await wait_until(lambda: session.feed_status is not None and session.feed_status.state is FeedState.DELAYED)
    assert "^RUT 15 min" in session.feed_status.detail
    # 3. A quote received five minutes after its exchange time crosses the line: stale.
    clock.now = OPEN + 305
    await server.send_price("^RUT", 126.0, when=OPEN + 10)
    await wait_until(lambda: alerts())
    [cross] = alerts()
    assert (cross.rule, cross.direction, cross.stale, cross.source) == ("level_cross", "up", True, "stream")
    # 4. The session closes: the commit cadence commits the bar, the bar-close rules fire.
    clock.now = ny_epoch(DAY, time(16, 3))
    await wait_until(lambda: len(alerts()) >= 3, timeout=5)
    fired = {(a.rule, a.direction, a.stale) for a in alerts()[1:]}
    assert {("ma_cross", "up", False), ("rsi_overbought", "up", False)} <= fired
    assert all(a.time == ny_epoch(DAY, time(16, 0)) and a.price == 126.0 for a in alerts()[1:])
