"""The watchlist's relative-performance columns and the readout's new lines, in the running app:
the lead's spreads follow its peers' ticks, the other rows leave them empty, and the readout fits
the detail pane at 80x24."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from monitor.config import Config
from monitor.market_hours import ny_epoch
from monitor.series import load_all, replay_batches, split_at
from monitor.state import MarketState
from monitor.tui.app import build_demo_app, make_app
from monitor.tui.widgets.lines import LinesView
from monitor.view import spreads

from .conftest import FROZEN, QueueFeed, drain, frozen_clock

DATA = Path(__file__).resolve().parents[1] / "data" / "daily"
FILES = [f"^RUT={DATA / 'rut_last400.csv'}", f"^GSPC={DATA / 'spx_last400.csv'}", f"^NDX={DATA / 'ndx_last400.csv'}"]


def _history(config: Config, peers_fall: float = 0.0) -> MarketState:
    """The three indexes' sessions up to 2026-02-23, the day before the frozen clock; with
    ``peers_fall`` the peers' last 21 sessions slide down to that fraction below their closes
    (the lead's 1M spreads grow by about as many thousand basis points)."""
    history, _ = split_at(load_all(FILES), ny_epoch(date(2026, 2, 24), time(0, 0)))
    for series in history:
        if series.symbol != "^RUT" and peers_fall:
            last = len(series.rows) - 1
            for i in range(last - 21, last + 1):
                f = 1 - peers_fall * (i - last + 21) / 21
                t, o, h, l, c, v = series.rows[i]
                series.rows[i] = (t, o * f, h * f, l * f, c * f, v)
    state = MarketState(config, "stream")
    for batch in replay_batches(history):
        state.apply(batch)
    state.finish()
    return state


def _bp(text: str) -> float:
    assert text.endswith("bp"), text
    return float(text.removesuffix("bp").replace(",", ""))


async def test_the_leads_spread_columns_follow_a_peers_tick_and_other_rows_stay_empty(config):
    state = _history(config)
    app = make_app(config, QueueFeed(), clock=frozen_clock, state=state)
    async with app.run_test(size=(130, 30)) as pilot:
        watchlist = app.watchlist
        assert {"rs ^GSPC", "rs ^NDX"} <= set(watchlist.shown_columns)
        app.feed.tick("^RUT", 2640.0)
        await drain(pilot, app)
        # The spread is taken on the lead's session: unknown until the peers have printed in it.
        assert watchlist.cell_text("^RUT", "rs ^NDX") == "–"
        ndx = state.symbols["^NDX"]
        app.feed.tick("^NDX", ndx.last)
        await drain(pilot, app)
        before = _bp(watchlist.cell_text("^RUT", "rs ^NDX"))
        expected = {s.peer: s.bp for s in spreads(state.symbols["^RUT"], config, state.symbols)}
        assert before == round(expected["^NDX"])
        assert watchlist.cell_text("^NDX", "rs ^NDX") == "" and watchlist.cell_text("^GSPC", "rs ^GSPC") == ""
        # ^NDX opens 5 % above its last close: the lead's spread against it drops by about 500 bp
        # although the lead itself did not tick.
        app.feed.tick("^NDX", ndx.last * 1.05, FROZEN + 1)
        await drain(pilot, app)
        after = _bp(watchlist.cell_text("^RUT", "rs ^NDX"))
        expected = {s.peer: s.bp for s in spreads(state.symbols["^RUT"], config, state.symbols)}
        assert after == round(expected["^NDX"]) and before - after > 400
        # The readout of the lead (selected) says the same number at the same moment.
        assert watchlist.selected_symbol == "^RUT"
        spread_line = next(line for line in app.query_one("#readout", LinesView).plain_lines if line.startswith("1M vs "))
        assert f" NDX {after:+,.0f} bp" in spread_line, spread_line


async def test_the_readout_fits_the_detail_pane_at_80x24_and_shows_the_new_lines():
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        app.settle()
        await pilot.pause()
        readout = app.query_one("#readout", LinesView)
        lines = [line.rstrip() for line in readout.plain_lines]
        shown = [line for line in lines if line]
        assert len(shown) <= readout.size.height and max(len(line) for line in shown) <= readout.size.width
        assert shown[0].startswith("Russell 2000 ")
        assert shown[1].startswith("1W ") and " 1M " in shown[1] and " YTD " in shown[1]
        assert shown[2].startswith("1M vs GSPC ") and shown[2].endswith(" bp")
        assert any(line.startswith("SMA gap ") for line in shown) and any(line.startswith("ATH ") for line in shown)
        assert shown[-1].strip().startswith("2,500 support")  # the last level line is still on screen


async def test_spreads_of_thousands_of_basis_points_share_a_line_and_the_last_level_stays_at_80x24(config):
    """Both peers fell 25 % in a month: the lead's spreads of over 2,000 bp no longer fit one
    line with their commas, and split in two they pushed the last level off the pane (13 lines
    for 12). Without the comma they share the line."""
    state = _history(config, peers_fall=0.25)
    app = make_app(config, QueueFeed(), clock=frozen_clock, state=state)
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot, app)
        readout = app.query_one("#readout", LinesView)
        shown = [line.rstrip() for line in readout.plain_lines if line.strip()]
        assert len(shown) <= readout.size.height and max(len(line) for line in shown) <= readout.size.width
        bp = {s.peer: s.bp for s in spreads(state.symbols["^RUT"], config, state.symbols)}
        assert min(bp.values()) >= 1000
        [line] = [line for line in shown if line.startswith("1M vs ")]
        assert line == f"1M vs GSPC {bp['^GSPC']:+.0f} NDX {bp['^NDX']:+.0f} bp"
        assert shown[-2].strip().startswith("2,600 resistance") and shown[-1].strip().startswith("2,500 support")
