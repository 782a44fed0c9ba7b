"""The app on the real live feed (``build_live_feed``) against a local Yahoo-like streamer."""

from __future__ import annotations

import argparse

from fakes.stream_server import FakeStreamer

from monitor.tui.app import make_app
from monitor.config import Config
from monitor.feeds import build_live_feed
from monitor.tui.widgets.status_bar import StatusBar


async def test_live_ticks_from_the_stream_reach_the_watchlist_and_fire_alerts():
    config = Config()
    async with FakeStreamer() as server:
        feed = build_live_feed(config, argparse.Namespace(source=None, stream_url=server.url))
        app = make_app(config, feed)
        async with app.run_test(size=(80, 24)) as pilot:
            await server.wait_subscribed(0)
            await server.send_price("^RUT", 2490.0)
            await server.send_price("^RUT", 2510.0)
            for _ in range(200):
                await pilot.pause(0.02)
                if app.delivered and "2,510.00" in app.watchlist.cell_text("^RUT", "last"):
                    break
            assert "2,510.00" in app.watchlist.cell_text("^RUT", "last")
            assert [(a.rule, a.direction, a.source) for a in app.delivered] == [("level_cross", "up", "stream")]
            app.flush()
            await pilot.pause()
            status = app.query_one(StatusBar).plain_lines[0]
            assert "stream: live" in status and " ET · " in status and "ago" in status
