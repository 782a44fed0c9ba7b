"""Before the open the index rows show their futures (fixed clock); alerts stay on the index."""

from __future__ import annotations

import argparse
from datetime import date, time

from fakes.stream_server import FakeStreamer

from monitor.feeds import build_live_feed
from monitor.market_hours import ny_epoch
from monitor.tui.app import make_app
from monitor.tui.widgets.status_bar import StatusBar

from .conftest import QueueFeed, drain

MONDAY, TUESDAY = date(2026, 2, 23), date(2026, 2, 24)


def status(app) -> str:
    return app.query_one(StatusBar).plain_lines[0]


async def run_at(config, now: float):
    """The app at ``now`` after Monday's session: ^RUT closed at 2,400 (up 1 % on Friday's
    2,376.24), RTY=F stood at 2,410 at the close and trades at 2,434.10 now (+1.00 %)."""
    feed = QueueFeed()
    app = make_app(config, feed, clock=lambda: now)
    return feed, app


def put_monday_and_the_night(feed) -> None:
    feed.tick("^RUT", 2376.24, at=ny_epoch(date(2026, 2, 20), time(15, 59)))
    feed.tick("^RUT", 2400.0, at=ny_epoch(MONDAY, time(15, 59)))
    feed.tick("RTY=F", 2410.0, at=ny_epoch(MONDAY, time(15, 59, 59)))
    feed.tick("RTY=F", 2434.1, at=ny_epoch(TUESDAY, time(7, 59)))


async def test_before_the_open_the_row_shows_the_future_marked_and_the_status_says_so(config):
    feed, app = await run_at(config, ny_epoch(TUESDAY, time(8, 0)))
    async with app.run_test(size=(80, 24)) as pilot:
        put_monday_and_the_night(feed)
        await drain(pilot, app)
        assert app.watchlist.cell_text("^RUT", "pct") == "+1.00%"
        assert app.watchlist.cell_text("^RUT", "fresh") == "fut RTY=F"
        assert app.watchlist.cell_text("^RUT", "last") == "2,400.00"  # the index's own close
        assert "pre-market" in status(app) and "Chg: futures" in status(app)
        main = app.query_one("#status-main")
        assert main.plain_lines[0].index("Chg: futures") + len("Chg: futures") <= main.size.width  # not cut at 80
        assert app.watchlist.cell_text("^GSPC", "fresh") == "waiting"  # no ES=F price: nothing shown

        feed.tick("RTY=F", 2610.0, at=ny_epoch(TUESDAY, time(8, 1)))  # past both ^RUT levels
        await drain(pilot, app)
        assert app.watchlist.cell_text("^RUT", "pct") == "+8.30%"
        assert "RTY=F" not in app.state.symbols  # futures ticks never reach the rules
        assert app.state.symbols["^RUT"].last == 2400.0
        assert list(app.delivered) == []


async def test_inside_the_session_the_row_is_the_index_again(config):
    feed, app = await run_at(config, ny_epoch(TUESDAY, time(10, 0)))
    async with app.run_test(size=(80, 24)) as pilot:
        put_monday_and_the_night(feed)
        await drain(pilot, app)
        assert app.watchlist.cell_text("^RUT", "pct") == "+1.00%"  # Monday's own change, 2,376.24 -> 2,400
        assert app.watchlist.cell_text("^RUT", "fresh") != "fut RTY=F"
        assert "futures" not in status(app)
        feed.tick("RTY=F", 2500.0, at=ny_epoch(TUESDAY, time(9, 59)))
        feed.tick("^RUT", 2376.24, at=ny_epoch(TUESDAY, time(10, 0)))
        await drain(pilot, app)
        assert app.watchlist.cell_text("^RUT", "pct") == "-0.99%"


async def test_the_live_feed_subscribes_to_the_futures_of_the_watched_indices(config):
    async with FakeStreamer() as server:
        feed = build_live_feed(config, argparse.Namespace(source=None, stream_url=server.url), symbols=config.feed_symbols())
        app = make_app(config, feed, clock=lambda: ny_epoch(TUESDAY, time(8, 0)))
        async with app.run_test(size=(80, 24)) as pilot:
            await server.wait_subscribed(0)
            assert server.subscribes(0)[0] == ["^RUT", "^GSPC", "^NDX", "RTY=F", "ES=F", "NQ=F"]
            await pilot.press("down", "delete", "delete")  # ^GSPC goes, and so does ES=F
            for _ in range(100):
                if server.unsubscribes():
                    break
                await pilot.pause(0.02)
            assert server.unsubscribes() == [["^GSPC", "ES=F"]]
