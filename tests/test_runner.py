"""The live headless runner: stream ticks crossing levels become alert JSON lines; history first;
SIGTERM ends a real ``market-monitor --headless`` process with exit 0."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

import pytest
from fakes.live_day import Clock
from fakes.market import FixedMarket
from fakes.stream_server import FakeStreamer, wait_until

from monitor.config import Config, Level
from monitor.feeds.backfill import BackfillResult
from monitor.feeds.live import Backoff
from monitor.feeds.yahoo_stream import YahooStreamFeed
from monitor.history import AlertHistory
from monitor.market_hours import ny_epoch
from monitor.model import NEW_YORK
from monitor.series import DAILY_OFFSETS, Series
from monitor.runner import LiveRunner
from monitor.delivery import Delivery

CONFIG = Config(symbols=("^RUT", "^GSPC"), levels=(Level("^RUT", 2500.0, "support"),))
TODAY = date(2026, 3, 10)  # a Tuesday: the runner's clock, never the wall clock
NOW = ny_epoch(TODAY, dtime(11, 0))


class SlowHistory:
    """A backfill stand-in: ``days`` of ^RUT daily bars around 2400, delivered after ``delay``."""

    def __init__(self, delay: float = 0.0, days: int = 5, extra=()) -> None:
        self.delay = delay
        self.days = days
        self.extra = list(extra)  # more (time, open, high, low, close, volume) rows

    def load(self) -> BackfillResult:
        time.sleep(self.delay)
        rows = []
        for back in range(self.days, 0, -1):
            day = TODAY - timedelta(days=back)
            opens = datetime.combine(day, dtime(9, 30), NEW_YORK).timestamp()
            # Each bar crosses 2500 twice: history must never produce alerts.
            rows.append((opens, 2400.0, 2600.0, 2390.0, 2400.0, None))
        rows += self.extra
        return BackfillResult(series=[Series("^RUT", Path("history"), "daily", rows, DAILY_OFFSETS)])


def make_runner(server, tmp_path, backfill=None, clock=None, **kwargs):
    clock = clock or Clock(NOW)
    feed = YahooStreamFeed(
        ["^RUT", "^GSPC"], server.url, clock=clock, market=FixedMarket(), backoff=Backoff(0.05, 0.1), ping_interval=None
    )
    history = AlertHistory(tmp_path / "alerts.jsonl")
    delivery = Delivery(CONFIG, history=history, sinks=[])
    out, err = io.StringIO(), io.StringIO()
    runner = LiveRunner(CONFIG, feed, delivery, backfill=backfill, out=out, err=err, clock=clock, market=FixedMarket(), **kwargs)
    return runner, out, err, history


def alerts_of(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_stream_ticks_crossing_a_level_print_alert_json(tmp_path):
    async with FakeStreamer() as server:
        runner, out, err, history = make_runner(server, tmp_path, backfill=SlowHistory(delay=0.3), commit_every=0.05)
        task = asyncio.create_task(runner.run())
        await server.wait_subscribed(0)
        await server.send_price("^RUT", 2520.0, when=NOW)  # held until the history (2400, below) is in
        await wait_until(lambda: alerts_of(out))
        [alert] = alerts_of(out)
        assert (alert["rule"], alert["direction"], alert["level"]) == ("level_cross", "up", 2500.0)
        assert alert["source"] == "stream" and alert["stale"] is False
        # A re-sent snapshot older than that print: it moves nothing and fires nothing; the
        # first of its kind is said once on stderr. (Stale flags: tests/test_session.py.)
        await server.send_price("^RUT", 2480.0, when=NOW - 300)
        await wait_until(lambda: "stale snapshot" in err.getvalue())
        assert runner.state.symbols["^RUT"].last == 2520.0
        runner.stop.set()
        assert await asyncio.wait_for(task, 5) == 0
    assert [a.direction for a in history.recent(10)] == ["up"]
    log = err.getvalue()
    assert "backfill:" in log and "stream: live" in log and "stopped: 1 alert(s)" in log


async def test_slow_backfill_never_blocks_live_ticks(tmp_path):
    async with FakeStreamer() as server:
        runner, out, err, _ = make_runner(server, tmp_path, backfill=SlowHistory(delay=5.0), backfill_timeout=0.2)
        task = asyncio.create_task(runner.run())
        await server.wait_subscribed(0)
        await server.send_price("^RUT", 2490.0, when=NOW)
        await server.send_price("^RUT", 2520.0, when=NOW + 1)
        await wait_until(lambda: alerts_of(out), timeout=3)
        assert alerts_of(out)[0]["direction"] == "up"
        assert "going on without it" in err.getvalue()
        runner.stop.set()
        assert await asyncio.wait_for(task, 5) == 0


async def test_a_history_row_stamped_a_day_ahead_cannot_silence_live_ticks(tmp_path):
    """A backfill row more than 5 minutes ahead of the clock at load (a corrupt cache, a broken
    chart answer) is rejected like a live one: let in, it became the symbol's last time and every
    live tick of the day after it was a 'stale snapshot'."""
    ahead = (NOW + 86_400, 2400.0, 2400.0, 2400.0, 2400.0, None)
    async with FakeStreamer() as server:
        runner, out, err, _ = make_runner(server, tmp_path, backfill=SlowHistory(extra=[ahead]))
        task = asyncio.create_task(runner.run())
        await server.wait_subscribed(0)
        await wait_until(lambda: "history ticks" in err.getvalue())
        await server.send_price("^RUT", 2520.0, when=NOW)
        await wait_until(lambda: alerts_of(out))
        assert [(a["rule"], a["direction"]) for a in alerts_of(out)] == [("level_cross", "up")]
        assert "time more than 5 min ahead" in err.getvalue()
        runner.stop.set()
        assert await asyncio.wait_for(task, 5) == 0


def test_headless_process_prints_alerts_and_exits_0_on_sigterm(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('symbols = ["^RUT"]\n\n[[levels]]\nsymbol = "^RUT"\nprice = 2500\nlabel = "support"\n')
    env = dict(os.environ, MARKET_MONITOR_BACKFILL="off", PYTHONUNBUFFERED="1")
    exe = Path(sys.executable).with_name("market-monitor")

    async def scenario():
        async with FakeStreamer() as server:
            proc = await asyncio.create_subprocess_exec(
                str(exe), "--headless", "--source", "yahoo-stream", "--stream-url", server.url, "--config", str(config),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            )
            try:
                await server.wait_subscribed(0, timeout=20)
                assert server.subscribes(0)[0] == ["^RUT"]
                await server.send_price("^RUT", 2480.0)
                await server.send_price("^RUT", 2530.0)
                line = await asyncio.wait_for(proc.stdout.readline(), 10)
                proc.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(proc.wait(), 10)
            finally:
                if proc.returncode is None:
                    proc.kill()
            return line, code, (await proc.stderr.read()).decode()

    line, code, err = asyncio.run(scenario())
    assert code == 0, err
    alert = json.loads(line)
    assert (alert["symbol"], alert["rule"], alert["direction"], alert["source"]) == ("^RUT", "level_cross", "up", "stream")
    assert "stream: " in err and "stopped" in err
    assert "Traceback" not in err


def test_build_live_feed_follows_source_and_url():
    from argparse import Namespace

    from monitor.errors import UserError
    from monitor.feeds import build_live_feed
    from monitor.feeds.switching import FallbackFeed
    from monitor.feeds.yahoo_poll import YahooPollFeed

    poll = build_live_feed(CONFIG, Namespace(source="yahoo-poll", stream_url=None))
    assert isinstance(poll, YahooPollFeed) and poll.source == "poll" and poll.interval == 15.0
    both = build_live_feed(CONFIG, Namespace(source=None, stream_url="ws://127.0.0.1:9/x"))
    assert isinstance(both, FallbackFeed) and both.primary.url == "ws://127.0.0.1:9/x"
    assert both.source == "stream"
    with pytest.raises(UserError, match="stream-url"):
        build_live_feed(CONFIG, Namespace(source=None, stream_url="http://example.invalid/"))


def test_a_symbol_added_while_running_rejects_its_history_rows_ahead_of_the_clock():
    """The app's added symbol: its backfill goes through the same door, with the same clock."""
    from monitor import door
    from monitor.session import LiveSession

    feed = YahooStreamFeed(["^RUT"], "ws://127.0.0.1:9/", clock=Clock(NOW), market=FixedMarket())
    session = LiveSession(CONFIG, feed, Delivery(CONFIG, sinks=[]), clock=Clock(NOW), market=FixedMarket())
    ahead = (NOW + 86_400, 2400.0, 2400.0, 2400.0, 2400.0, None)
    session.add_history(SlowHistory(extra=[ahead]).load())
    assert session.door.rejected[(door.AHEAD, "^RUT")]  # each of its ticks
    assert session.door.last["^RUT"] < NOW


def test_a_symbol_added_while_running_knows_the_records_of_its_whole_history():
    from monitor.bars import DailyBar
    from monitor.records import Records
    from monitor.session import LiveSession

    feed = YahooStreamFeed(["^RUT"], "ws://127.0.0.1:9/", clock=Clock(NOW), market=FixedMarket())
    session = LiveSession(CONFIG, feed, Delivery(CONFIG, sinks=[]), clock=Clock(NOW), market=FixedMarket())
    history = SlowHistory().load()  # five recent sessions, lows 2390
    older = Records()
    older.update(DailyBar(date(2020, 3, 18), 1100.0, 1110.0, 991.16, 1000.0, None))  # before them
    history.records = {"^RUT": older}
    session.add_history(history)
    records = session.state.symbols["^RUT"].records
    assert (records.low, records.low_day) == (991.16, date(2020, 3, 18))
    assert records.high == 2600.0  # the recent sessions' own


async def test_a_backfill_child_that_never_answers_is_stopped_said_once_and_live_goes_on(tmp_path):
    import functools

    from fakes.chart import standin_hang, standin_info

    from monitor.feeds.backfill import Backfill

    hung = Backfill(["^RUT", "^GSPC"], cache=tmp_path / "cache", clock=functools.partial(float, NOW), fetch=standin_hang,
                    fetch_info=standin_info, isolate=True, timeout=0.5)
    async with FakeStreamer() as server:
        runner, out, err, _ = make_runner(server, tmp_path, backfill=hung)  # the session waits 30 s
        task = asyncio.create_task(runner.run())
        await server.wait_subscribed(0)
        await server.send_price("^RUT", 2490.0, when=NOW)
        await server.send_price("^RUT", 2520.0, when=NOW + 1)
        await wait_until(lambda: alerts_of(out), timeout=10)
        assert alerts_of(out)[0]["direction"] == "up"
        runner.stop.set()
        assert await asyncio.wait_for(task, 5) == 0
    said = [line for line in err.getvalue().splitlines() if "gave no answer" in line]
    assert len(said) == 1 and said[0].endswith(
        "backfill: the yfinance process gave no answer in 0.5 s and was stopped; history from the cache only"), said
    assert "going on without it" not in err.getvalue()  # the child was stopped before the session gave up
