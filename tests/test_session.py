"""The live session (monitor/session.py) that the app and --headless share, run headless through
the local streamer: history first, held ticks released, stale flags, bar-close alerts on the
session's own commit cadence. The same day runs in the app in tests/ui/test_live.py."""

from __future__ import annotations

import asyncio
import io

from fakes.live_day import CONFIG, make_day, play
from fakes.stream_server import FakeStreamer, wait_until

from monitor.model import Alert
from monitor.runner import LiveRunner
from monitor.delivery import Delivery
import json


async def test_headless_day_history_first_then_stale_flag_then_bar_close_alerts(tmp_path):
    async with FakeStreamer() as server:
        day = make_day(server, tmp_path)
        out, err = io.StringIO(), io.StringIO()
        runner = LiveRunner(
            CONFIG, day.feed(), Delivery(CONFIG, sinks=[]), backfill=day.backfill, out=out, err=err, clock=day.clock,
            commit_every=0.05,
        )
        task = asyncio.create_task(runner.run())

        def alerts() -> list[Alert]:
            return [Alert.from_dict(json.loads(line)) for line in out.getvalue().splitlines()]

        try:
            await play(day, runner.session, alerts, lambda: asyncio.sleep(0.01))
        finally:
            day.backfill.release()
            runner.stop.set()
            assert await asyncio.wait_for(task, 5) == 0
    assert "backfill: " in err.getvalue() and "stopped: " in err.getvalue()


async def test_hostile_frames_never_end_the_feed_and_each_cause_is_said_once(tmp_path):
    """Frames an attacker (or a broken server) sends, through the real stream into --headless:
    none ends the feed or the process; each reject is one status line per cause and symbol;
    the bare base64 format and a float32 price work; a name's escape never reaches stderr."""
    import base64
    import math

    from fakes.live_day import OPEN, Clock
    from fakes.market import FixedMarket

    from monitor.config import Config, Level
    from monitor.feeds.live import Backoff
    from monitor.feeds.yahoo_stream import YahooStreamFeed, encode_frame

    config = Config(symbols=("^RUT",), levels=(Level("^RUT", 2500.0, "support"),))
    clock = Clock(OPEN)
    async with FakeStreamer() as server:
        feed = YahooStreamFeed(["^RUT"], server.url, clock=clock, market=FixedMarket(), backoff=Backoff(0.05, 0.1), ping_interval=None)
        out, err = io.StringIO(), io.StringIO()
        runner = LiveRunner(config, feed, Delivery(config, sinks=[]), out=out, err=err, clock=clock, market=FixedMarket())
        task = asyncio.create_task(runner.run())
        await server.wait_subscribed(0)
        ms = int(OPEN * 1000)
        evil = [
            encode_frame(id="^RUT", price=2600.0, time=2**62),  # crashed --headless with OverflowError
            encode_frame(id="^RUT", price=2600.0, time=2**62),
            encode_frame(id="^RUT", price=2600.0, time=ms + 86_400_000),  # a day ahead
            encode_frame(id="^RUT", price=math.nan, time=ms),
            encode_frame(id="^RUT", price=1.4e-45, time=ms),
            encode_frame(id="^RUT", price=-1.0, time=ms),
            encode_frame(id="^RUT", price=2480.0, time=ms, short_name="Russell\x1b]52;c;SGVsbG8=\x07\x1b]2;pwned\x07 2000"),
            json.dumps({"type": "heartbeat"}),
            json.loads(encode_frame(id="^rut", price=2512.8, time=ms + 1000))["message"],  # bare base64, float32
            encode_frame(id="^RUT", price=2400.0, time=ms - 60_000),  # a re-sent snapshot, older
        ]
        for frame in evil:
            await server.send(frame)
        # The last frame's reject is said once the runner has taken every frame before it (they
        # come in order on one connection): waiting for it, not 0.2 s, holds on a loaded machine.
        await wait_until(lambda: "stale snapshot" in err.getvalue() or task.done(), timeout=30)
        assert not task.done()
        alerts = [json.loads(line) for line in out.getvalue().splitlines()]
        assert [(a["rule"], a["direction"], a["price"]) for a in alerts] == [("level_cross", "up", 2512.8)]  # 2480: outside the approach band
        assert '"price":2512.8,' in out.getvalue()  # not 2512.800048828125
        rut = runner.state.symbols["^RUT"]
        assert rut.last == 2512.8 and rut.late_ticks == 0
        assert runner.session.infos["^RUT"].name == "Russell 2000"
        runner.stop.set()
        assert await asyncio.wait_for(task, 5) == 0
    log = err.getvalue()
    assert "\x1b" not in log and "\x07" not in log
    for cause in ("time not representable", "time more than 5 min ahead", "price not a positive", "stale snapshot"):
        assert log.count(cause) == 1, (cause, log)


def test_the_official_close_printed_after_the_commit_revises_that_session():
    """Prints up to 30 minutes after 16:00 revise the committed session's close (the next day's
    change is measured from it); a later one is a late print, ignored."""
    from datetime import date, time as dtime

    from monitor.config import Config
    from monitor.market_hours import ny_epoch
    from monitor.model import Tick
    from monitor.state import MarketState

    day, next_day = date(2026, 2, 24), date(2026, 2, 25)
    state = MarketState(Config(symbols=("^RUT",)), "stream")
    state.apply([Tick("^RUT", ny_epoch(day, dtime(15, 59, 59)), 2500.0, None, None)])
    state.commit_due(ny_epoch(day, dtime(16, 3)))  # committed 2 minutes after the bell
    rut = state.symbols["^RUT"]
    assert rut.session is None and rut.daily[-1].close == 2500.0
    state.apply([Tick("^RUT", ny_epoch(day, dtime(16, 10)), 2504.5, None, None)])  # the official close
    assert rut.daily[-1].close == 2504.5 and rut.last == 2504.5 and rut.late_ticks == 0
    state.apply([Tick("^RUT", ny_epoch(day, dtime(16, 31)), 2600.0, None, None)])  # too late
    assert rut.daily[-1].close == 2504.5 and rut.late_ticks == 1
    state.apply([Tick("^RUT", ny_epoch(next_day, dtime(9, 30)), 2514.5, None, None)])
    assert rut.prev_close == 2504.5 and rut.change == 10.0


async def test_cancel_tasks_ends_every_running_task_and_drops_what_they_raise():
    from monitor.feeds.live import cancel_tasks

    ended = []

    async def runs(name, fails=False):
        try:
            await asyncio.sleep(3600)
        finally:
            ended.append(name)
            if fails:
                raise RuntimeError("a feed's error on the way out")

    done = asyncio.create_task(asyncio.sleep(0))
    await done
    tasks = [asyncio.create_task(runs("a")), asyncio.create_task(runs("b", fails=True))]
    await asyncio.sleep(0)  # both are waiting
    await cancel_tasks(tasks[0], None, done, tasks[1])  # None and a finished task are skipped
    assert sorted(ended) == ["a", "b"] and tasks[0].cancelled() and isinstance(tasks[1].exception(), RuntimeError)
