"""The app on the real live feed (``build_live_feed``) against a local Yahoo-like streamer."""

from __future__ import annotations

import argparse

from fakes.stream_server import FakeStreamer

from monitor.tui.app import make_app
from monitor.config import Config
from monitor.feeds import build_live_feed
from monitor.tui.widgets.status_bar import StatusBar

from .conftest import FROZEN, frozen_clock


async def test_live_ticks_from_the_stream_reach_the_watchlist_and_fire_alerts():
    config = Config()
    async with FakeStreamer() as server:
        feed = build_live_feed(config, argparse.Namespace(source=None, stream_url=server.url), clock=frozen_clock)
        app = make_app(config, feed, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await server.wait_subscribed(0)
            await server.send_price("^RUT", 2480.0, when=FROZEN - 2)  # both outside the 0.5 % approach band of 2500
            await server.send_price("^RUT", 2520.0, when=FROZEN - 1)
            for _ in range(200):
                await pilot.pause(0.02)
                if app.delivered and "2,520.00" in app.watchlist.cell_text("^RUT", "last"):
                    break
            assert "2,520.00" in app.watchlist.cell_text("^RUT", "last")
            assert [(a.rule, a.direction, a.source) for a in app.delivered] == [("level_cross", "up", "stream")]
            app.flush()
            await pilot.pause()
            status = app.query_one(StatusBar).plain_lines[0]
            assert "stream: live" in status and " ET · " in status and "ago" in status
            assert app.watchlist.cell_text("^RUT", "fresh").strip() == "live"


async def test_a_snapshot_while_the_market_is_closed_never_reads_live():
    """Yahoo re-sends snapshots on every subscribe; at night one must read "market closed" in
    the status bar and "closed" in the row, the same words from the same source."""
    night = FROZEN + 10 * 3600  # 20:00 New York
    config = Config()
    async with FakeStreamer() as server:
        feed = build_live_feed(config, argparse.Namespace(source=None, stream_url=server.url), clock=lambda: night)
        app = make_app(config, feed, clock=lambda: night)
        async with app.run_test(size=(80, 24)) as pilot:
            await server.wait_subscribed(0)
            await server.send_price("^RUT", 2490.0, when=FROZEN + 6 * 3600)  # the 16:00 close
            for _ in range(200):
                await pilot.pause(0.02)
                if app.last_tick is not None:
                    break
            app.flush()
            await pilot.pause()
            status = app.query_one(StatusBar).plain_lines[0]
            assert "stream: market closed" in status and "live" not in status
            assert app.watchlist.cell_text("^RUT", "fresh").strip() == "closed"


async def test_app_day_history_first_then_stale_flag_then_bar_close_alerts(tmp_path):
    """The session's day (tests/fakes/live_day.py) in the app: the same outcome as headless."""
    from fakes.live_day import CONFIG, make_day, play

    async with FakeStreamer() as server:
        day = make_day(server, tmp_path)
        app = make_app(CONFIG, day.feed(), clock=day.clock, backfill=day.backfill)
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                await play(day, app.session, lambda: list(app.delivered), lambda: pilot.pause(0.01))
                app.flush()
                await pilot.pause()
                assert "Russell 2000" in app.watchlist.cell_text("^RUT", "name")
        finally:
            day.backfill.release()


async def test_rejected_input_is_counted_in_the_status_bar_and_said_once():
    from monitor.model import Tick

    from .conftest import QueueFeed, drain

    feed = QueueFeed()
    app = make_app(Config(), feed, clock=frozen_clock)
    async with app.run_test(size=(120, 24)) as pilot:
        for _ in range(3):
            feed.put([Tick("^RUT", 2**62 / 1000, 2500.0, None, FROZEN)])
        await drain(pilot, app)
        status = app.query_one(StatusBar).plain_lines[0]
        assert "rejected 3: ^RUT time not representable ×3" in status
        toasts = [message for _, message in app.toasts]
        assert sum("time not representable" in message for message in toasts) == 1
