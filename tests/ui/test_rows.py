"""What the cells and charts say, from plain values (no app needed)."""

from __future__ import annotations

import math

from monitor.model import Alert, FeedState, FeedStatus
from monitor.tui.widgets.alert_log import alert_line
from monitor.tui.widgets.chart import HLine, Line, render_chart
from types import SimpleNamespace

from monitor.tui.widgets.detail import readout_lines
from monitor.tui.widgets.dialogs import raw_value
from monitor.tui.widgets.rows import COLUMNS, columns_for_width, fresh_cell, level_cell, macd_cell, rsi_cell, trend_cell, watch_cells
from monitor.tui.widgets.status_bar import status_line
from monitor.config import Config
from monitor.view import MarketView, Row, StatusInputs, freshness, nearest_level, readout, sma_series, validate

NAN = math.nan


def test_narrow_terminals_keep_the_important_columns_in_display_order():
    narrow = [c.key for c in columns_for_width(79)]
    assert {"symbol", "last", "pct", "rsi", "level", "fresh"} <= set(narrow)
    assert "name" not in narrow and "range" not in narrow
    assert narrow == [c.key for c in COLUMNS if c.key in narrow]
    assert sum(c.width + 2 for c in columns_for_width(79)) <= 79
    assert len(columns_for_width(200)) == len(COLUMNS)


def test_freshness_never_shows_old_data_as_live():
    """The badge's state comes from monitor.view.freshness, its words and colour from fresh_cell."""
    now = 1_000_000.0
    common = dict(now=now, last_time=now - 5, delay_minutes=None, stale_after=60.0)

    def badge(*args, **kwargs) -> tuple[str, str]:
        cell = fresh_cell(freshness(*args, **kwargs))
        return cell.plain, str(cell.style)

    assert badge("stream", last_received=now - 5, market_open=True, **common) == ("live", "green")
    assert badge("stream", last_received=now - 300, market_open=True, **common)[0] == "stale 5min"
    assert badge("stream", last_received=now - 300, market_open=False, **common)[0] == "closed"
    assert badge("stream", last_received=now - 5, market_open=True, feed_stale=True, **common)[0].startswith("stale")
    delayed = dict(common, delay_minutes=15)
    assert badge("poll", last_received=now - 5, market_open=True, **delayed)[0] == "delay 15m"
    assert badge("replay", last_received=None, market_open=True, **common)[0] == "replay"
    assert badge("stream", now=now, last_time=None, last_received=None, delay_minutes=None, stale_after=60, market_open=True)[0] == "waiting"


def test_indicator_cells():
    assert rsi_cell(75, 70, 30).style == "bold red" and rsi_cell(25, 70, 30).style == "bold green"
    assert rsi_cell(NAN, 70, 30).plain == "–"
    assert macd_cell(1.0, 0.5, 0).plain == "▲ bull" and macd_cell(0.1, 0.5, -1).plain == "↓ cross"
    assert trend_cell(110, 100, 90, 0).plain == "▲▲ golden"
    assert trend_cell(95, 100, 110, -1).plain == "▼▼ death!"
    assert level_cell(nearest_level(2490, [(2500, "support"), (2600, "r")])).plain == "2,500 -0.4%"


def test_chart_draws_every_row_with_levels_and_axis_labels():
    values = [100 + 10 * math.sin(i / 5) for i in range(120)]
    lines = render_chart([Line(values, "bold"), Line(sma_series(values, 20), "yellow")], [HLine(105, "magenta")], 40, 6)
    assert len(lines) == 6 and all(text.cell_len == 40 for text in lines)
    assert any("105" in text.plain for text in lines)  # the level's label on the axis
    assert all(text.plain[:31].strip() for text in lines)  # the price line spans the full height
    assert render_chart([Line([], "bold")], [], 40, 3)[0].plain == "no data yet"


def test_sma_series_matches_a_plain_mean():
    values = [float(i) for i in range(10)]
    out = sma_series(values, 3)
    assert math.isnan(out[1]) and out[2] == 1.0 and out[9] == 8.0


def test_dialog_values_go_through_the_config_validation():
    assert raw_value("2,550") == 2550 and raw_value("abc") == "abc"
    config = Config()
    new, problems = validate(config, [{"symbol": "^RUT", "price": 2550, "label": "x"}], {})
    assert problems == [] and [lv.price for lv in new.levels] == [2550.0]
    new, problems = validate(config, [{"symbol": "^RUT", "price": "abc"}], {})
    assert new is None and problems and problems[0].startswith("levels[1].price")
    _, problems = validate(config, [], {"rsi_overbought": 20})
    assert any("rsi_oversold" in p for p in problems)


def test_status_line_says_what_the_feed_is_doing():
    base = dict(badge="", source="stream", error="", market=None, last_tick=None, now=1000.0, replay=False)
    line = status_line(StatusInputs(feed=FeedStatus(FeedState.RECONNECTING, "stream", 990.0, "", retry_in=30), **base))
    assert "stream: reconnecting in 20s" in line.plain
    line = status_line(StatusInputs(feed=FeedStatus(FeedState.RECONNECTING, "poll", 990.0, "", retry_in=30), **base))
    assert "poll: retrying in 20s" in line.plain  # a poll has no connection to re-make
    line = status_line(StatusInputs(feed=FeedStatus(FeedState.ENDED, "replay", 1000.0), **dict(base, replay=True, badge="DEMO · REPLAY")))
    assert "DEMO · REPLAY" in line.plain and "replay ended" in line.plain
    assert "feed error: boom" in status_line(StatusInputs(feed=None, **dict(base, error="boom"))).plain
    weekend = MarketView(is_open=False, phase="closed", next_change=1000.0 + 2 * 86400 + 5400 + 59)
    line = status_line(StatusInputs(feed=FeedStatus(FeedState.LIVE, "stream", 1000.0), **dict(base, market=weekend)))
    assert "NYSE closed, opens in 49h" in line.plain
    # The feed said live a moment ago, but the market has closed: the bar says so (model.shown_state).
    assert "stream: market closed" in line.plain and "live" not in line.plain


def test_alert_line_has_time_arrow_and_message():
    alert = Alert(1_700_000_000.0, "^RUT", "level_cross", "down", 2497.0, "^RUT fell below 2,500 (support) at 2,497.00", stale=True)
    text = alert_line(alert)
    assert text.plain.startswith("11-14 17:13 ▼ ^RUT fell below") and text.plain.endswith("(stale)")


def _symbol(last: float, sma: float, low: float, high: float) -> SimpleNamespace:
    ind = SimpleNamespace(rsi=50.0, macd=NAN, macd_signal=NAN, macd_hist=NAN, sma_fast=sma, sma_slow=sma, high_n=high, low_n=low)
    return SimpleNamespace(symbol="X", last=last, change_pct=0.0, ind=ind)


def _readout(sym: SimpleNamespace, levels: list[tuple[float, str]], decimals: int) -> list[str]:
    from monitor.config import Level

    config = Config(symbols=("X",), levels=tuple(Level("X", p, label) for p, label in levels))
    return [line.plain for line in readout_lines(readout(sym, config, ""), decimals)]


def test_secondary_prices_keep_the_decimals_that_matter():
    """An index's averages and levels read without decimals; a $45 stock's must not be rounded
    to whole dollars (a 45.25 level is not "45"), in the readout as in the watchlist."""
    stock = _readout(_symbol(45.1, 44.37, 30.5, 52.75), [(45.25, "pivot")], 2)
    assert any(line.startswith("SMA 50") and "44.37" in line for line in stock)
    assert any("52w hi" in line and "52.75" in line for line in stock)
    assert any(line.strip().startswith("45.25 pivot") for line in stock)
    index = _readout(_symbol(2458.5, 2339.4, 1733.0, 2489.0), [(2500.0, "s")], 2)
    assert any(line.startswith("SMA 50") and "2,339 " in line for line in index)
    assert any(line.strip().startswith("2,500 s") for line in index)
    row = Row("X", "", 45.1, 0.1, 0.2, 44.1, 45.3, NAN, NAN, NAN, NAN, 0, NAN, NAN, 0, ((45.25, "pivot"),), freshness("replay", now=0, last_received=None, last_time=None, delay_minutes=None, stale_after=60, market_open=True))
    cells = watch_cells(row)
    assert cells["range"].plain == "44.10–45.30" and cells["level"].plain.startswith("45.25 ")


def test_cells_sort_by_their_first_number_then_text_and_unknown_is_none():
    from monitor.tui.widgets.rows import sort_value

    assert sort_value("+1.25%") == (0, 1.25)
    assert sort_value("-0.50%") == (0, -0.5)
    assert sort_value("2,500 -0.3%") == (0, 2500.0)
    assert sort_value("stale 5m") == (0, 5.0)
    assert sort_value("▲▲ golden") == (1, "▲▲ golden")
    assert sort_value("^RUT") == (1, "^rut")
    assert sort_value("–") is None and sort_value("") is None
    assert sorted(["+2.00%", "-1.00%", "+0.50%"], key=sort_value) == ["-1.00%", "+0.50%", "+2.00%"]
