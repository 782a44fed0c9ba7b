"""Editing the watchlist in the app: add (checked with Yahoo, history loaded, subscribed, saved
with the comments kept), remove, reorder, sort. Yahoo is the local streamer and chart stand-ins."""

from __future__ import annotations

import argparse
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta

import pytest
import yfinance as yf
from fakes.chart import chart_json, error_chart, fake_session
from fakes.stream_server import FakeStreamer

from monitor.config import load_config
from monitor.feeds import build_live_feed
from monitor.feeds.backfill import Backfill
from monitor.market_hours import MarketClock, ny_epoch
from monitor.model import NEW_YORK
from monitor.tui.app import make_app
from monitor.tui.widgets.rows import columns_for_width
from monitor.tui.widgets.symbol_dialog import SymbolDialog

from .conftest import FROZEN, QueueFeed, drain, frozen_clock

TODAY = date(2026, 2, 24)
BASES = {"^RUT": 2000.0, "^GSPC": 6000.0, "^NDX": 20000.0, "^DJI": 40000.0}


@pytest.fixture(autouse=True)
def yf_caches(tmp_path):
    yf.set_tz_cache_location(str(tmp_path / "yf"))


def yahoo(request):
    """30 daily bars before today and today's minutes up to 10:00 for the known symbols; for
    any other symbol the 404 Yahoo answers for a ticker it does not know."""
    base = BASES.get(request.symbol)
    if base is None:
        return 404, error_chart()
    if request.params.get("interval") == "1m":
        stamps = list(range(int(ny_epoch(TODAY, time(9, 30))), int(FROZEN), 60))
        return chart_json(request.symbol, stamps, [base + 100 + i / 100 for i in range(len(stamps))])
    days, day, clock = [], TODAY, MarketClock()
    while len(days) < 30:
        day -= timedelta(days=1)
        if clock.is_session(day):
            days.append(day)
    stamps = [int(datetime.combine(d, time(9, 30), NEW_YORK).timestamp()) for d in sorted(days)]
    return chart_json(request.symbol, stamps, [base + i for i in range(len(stamps))], granularity="1d")


def info(symbol):
    return {"shortName": f"{symbol} name", "exchangeDataDelayedBy": 0, "priceHint": 2}


def live_app(config, server, backfill=None):
    feed = build_live_feed(config, argparse.Namespace(source=None, stream_url=server.url), clock=frozen_clock)
    return make_app(config, feed, clock=frozen_clock, backfill=backfill)


async def until(pilot, predicate, tries: int = 300) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met in time")


@asynccontextmanager
async def checked_app(config_file, tmp_path, handler=yahoo):
    """The live app on the local streamer, with a backfill answered by ``handler``, once
    subscribed and its start-up history in: (app, pilot, streamer, chart adapter)."""
    config = load_config(config_file)
    session, adapter = fake_session(handler)
    backfill = Backfill(config.symbols, cache=tmp_path / "cache", session=session, clock=frozen_clock, fetch_info=info)
    async with FakeStreamer() as server:
        app = live_app(config, server, backfill)
        async with app.run_test(size=(80, 24)) as pilot:
            await server.wait_subscribed(0)
            await until(pilot, lambda: app.history_first.done)
            yield app, pilot, server, adapter


async def test_add_a_symbol_checks_it_with_yahoo_loads_its_history_subscribes_and_saves(config_file, tmp_path):
    async with checked_app(config_file, tmp_path) as (app, pilot, server, adapter):
        await pilot.press("n")
        assert isinstance(app.screen, SymbolDialog)
        await pilot.press(*"^dji", "enter")  # lower case: tickers are upper-cased
        await until(pilot, lambda: not isinstance(app.screen, SymbolDialog))

        assert app.watchlist.order == ["^RUT", "^GSPC", "^NDX", "^DJI"]
        assert app.watchlist.selected_symbol == "^DJI"
        assert [r.symbol for r in adapter.chart_requests() if r.symbol == "^DJI"]  # Yahoo was asked
        await drain(pilot, app)
        assert app.watchlist.cell_text("^DJI", "last") == "40,100.29"  # history: 09:59, the last minute before now
        assert len(app.state.symbols["^DJI"].daily) == 30
        await until(pilot, lambda: "^DJI" in server.subscribes()[-1])

        assert load_config(config_file).symbols == ("^RUT", "^GSPC", "^NDX", "^DJI")
        saved = config_file.read_text()
        assert "# The symbols on the watchlist (Yahoo Finance tickers)." in saved  # comments kept
        assert "# Price levels: an alert fires" in saved

        await server.send_price("^DJI", 40500.0, when=FROZEN + 1)  # and live prices follow
        await until(pilot, lambda: (app.flush(), app.watchlist.cell_text("^DJI", "last"))[1] == "40,500.00")


async def test_an_unknown_or_malformed_symbol_is_refused_in_the_dialog_and_nothing_changes(config_file, tmp_path):
    before = config_file.read_text()
    async with checked_app(config_file, tmp_path) as (app, pilot, server, adapter):
        await pilot.press("n")
        dialog = app.screen
        await pilot.press(*"zzzz", "enter")
        await until(pilot, lambda: not dialog.message.startswith("checking"))
        assert dialog.message == "unknown symbol: Yahoo has no data for ZZZZ"
        assert adapter.chart_requests("ZZZZ")  # refused because Yahoo said so, not before asking
        assert app.screen is dialog  # stays open to correct the symbol

        field = dialog.query_one("#symbol")
        for text, said in (("bad sym", "cannot be a Yahoo ticker"), ("^rut", "^RUT is already on the watchlist")):
            field.value = ""
            await pilot.press(*text, "enter")
            await until(pilot, lambda: said in dialog.message)
        await pilot.press("escape")
        assert not isinstance(app.screen, SymbolDialog)
        assert app.watchlist.order == ["^RUT", "^GSPC", "^NDX"]
        assert not any("ZZZZ" in symbols for symbols in server.subscribes())
    assert config_file.read_text() == before


async def test_add_without_a_network_is_added_unchecked_and_says_so(config_file, tmp_path):
    def no_network(request):
        raise ConnectionError("Failed to resolve 'query2.finance.yahoo.com'")

    async with checked_app(config_file, tmp_path, no_network) as (app, pilot, server, adapter):
        app.clear_notifications()
        await pilot.press("n", *"aapl", "enter")
        await until(pilot, lambda: not isinstance(app.screen, SymbolDialog))
        assert app.watchlist.order[-1] == "AAPL"
        said = " ".join(message for _, message in app.toasts)
        assert "AAPL: not checked: network unreachable" in said


async def test_remove_takes_a_second_del_then_unsubscribes_and_saves(config_file):
    config = load_config(config_file)
    async with FakeStreamer() as server:
        app = live_app(config, server)
        async with app.run_test(size=(80, 24)) as pilot:
            await server.wait_subscribed(0)
            await pilot.press("down", "delete")
            assert app.watchlist.order == ["^RUT", "^GSPC", "^NDX"]  # one Del only asks
            assert "press Del again to remove ^GSPC" in [message for _, message in app.toasts]
            await pilot.press("delete")
            await pilot.pause()
            assert app.watchlist.order == ["^RUT", "^NDX"]
            assert app.watchlist.symbols == ["^RUT", "^NDX"]
            await until(pilot, lambda: ["^GSPC"] in server.unsubscribes())
            assert load_config(config_file).symbols == ("^RUT", "^NDX")
            await pilot.press("delete")  # a Del on another row starts over
            assert app.watchlist.order == ["^RUT", "^NDX"]


async def test_move_keys_reorder_and_save_and_sorting_follows_the_values(config_file):
    config = load_config(config_file)
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        yesterday = FROZEN - 86400
        for symbol, before, now in (("^RUT", 2000, 2010), ("^GSPC", 6000, 5940), ("^NDX", 20000, 20400)):
            feed.tick(symbol, before, at=yesterday)
            feed.tick(symbol, now, at=FROZEN)  # +0.50 %, -1.00 %, +2.00 %
        await drain(pilot, app)

        await pilot.press("shift+down")
        assert app.watchlist.order == ["^GSPC", "^RUT", "^NDX"]
        assert app.watchlist.selected_symbol == "^RUT"  # the moved row keeps the cursor
        await pilot.press("shift+up", "shift+up")  # the top is as far as it goes
        assert app.watchlist.order == ["^RUT", "^GSPC", "^NDX"]
        await pilot.press("shift+down")
        assert load_config(config_file).symbols == ("^GSPC", "^RUT", "^NDX")

        await pilot.press("s")  # the first column: symbols A to Z
        assert app.watchlist.symbols == ["^GSPC", "^NDX", "^RUT"]
        shown = columns_for_width(app.watchlist.size.width - 1)
        at = sum(c.width + 2 for c in shown[: [c.key for c in shown].index("pct")]) + 2
        await pilot.click("#watchlist", offset=(at, 0))  # a header click: Chg%, high to low
        assert app.watchlist.sort == ("pct", True)
        assert app.watchlist.symbols == ["^NDX", "^RUT", "^GSPC"]
        assert app.watchlist.order == ["^GSPC", "^RUT", "^NDX"]  # sorting is a view: not saved
        assert load_config(config_file).symbols == ("^GSPC", "^RUT", "^NDX")

        feed.tick("^GSPC", 6600, at=FROZEN + 1)  # +10 %: the sort follows within a second
        await drain(pilot, app)
        app.tick_second()
        assert app.watchlist.symbols == ["^GSPC", "^NDX", "^RUT"]

        await pilot.click("#watchlist", offset=(at, 0))  # again: low to high
        assert app.watchlist.symbols == ["^RUT", "^NDX", "^GSPC"]
        await pilot.click("#watchlist", offset=(at, 0))  # a third time: your order
        assert app.watchlist.sort is None
        assert app.watchlist.symbols == ["^GSPC", "^RUT", "^NDX"]
