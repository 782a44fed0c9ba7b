"""What the cells and charts say, from plain values (no app needed)."""

from __future__ import annotations

import math

from monitor.model import Alert, FeedState, FeedStatus
from monitor.tui.widgets.alert_log import alert_line
from monitor.tui.widgets.chart import HLine, Line, render_chart
from types import SimpleNamespace

from monitor.tui.widgets.detail import READOUT_WIDTH, readout_lines
from monitor.tui.widgets.dialogs import raw_value
from monitor.tui.widgets.rows import COLUMNS, columns_for_width, watch_columns, fresh_cell, level_cell, macd_cell, rsi_cell, trend_cell, watch_cells
from monitor.tui.widgets.status_bar import status_line
from monitor.config import Config
from monitor.view import MarketView, Readout, Ref, Rotation, Row, Spread, StatusInputs, freshness, nearest_level, sma_series, validate

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


def test_the_last_ticks_time_says_et_live_and_in_a_replay():
    """New York time either way: a replay's data time read as the viewer's local time was a
    guess, live said "ET" (a trader abroad compares it with other clocks)."""
    tick = 1_771_945_200.0  # 2026-02-24 10:00 New York
    base = dict(badge="", source="stream", error="", market=None, last_tick=tick, now=tick + 5)
    live = status_line(StatusInputs(feed=FeedStatus(FeedState.LIVE, "stream", tick), **base, replay=False))
    assert live.plain.endswith("│ 10:00:00 ET · 5s ago"), live.plain
    feed = FeedStatus(FeedState.REPLAY, "replay", tick)
    replay = status_line(StatusInputs(feed=feed, **dict(base, source="replay", badge="REPLAY"), replay=True))
    assert replay.plain.endswith("│ data 2026-02-24 10:00 ET"), replay.plain
    assert status_line(StatusInputs(feed=feed, **dict(base, last_tick=None), replay=True)).plain.endswith("│ data –")


def test_alert_line_has_time_arrow_and_message():
    alert = Alert(1_700_000_000.0, "^RUT", "level_cross", "down", 2497.0, "^RUT fell below 2,500 (support) at 2,497.00", stale=True)
    text = alert_line(alert)
    assert text.plain.startswith("11-14 17:13 ▼ ^RUT fell below") and text.plain.endswith("(stale)")


def _view(last: float, sma: float, low: float, high: float, levels: list[tuple[float, str]] = (), **more) -> Readout:
    """A readout's values as monitor.view computes them (NaN where the test does not care)."""

    def ref(value: float, label: str = "") -> Ref:
        return Ref(value, (last / value - 1) * 100, label)

    values = dict(
        symbol="X", name="", last=last, change_pct=0.0, rsi_period=14, rsi=50.0, rsi_overbought=70.0, rsi_oversold=30.0,
        macd=NAN, macd_signal=NAN, macd_hist=NAN, ma_fast=50, ma_slow=200, sma_fast=ref(sma), sma_slow=ref(sma),
        high_n=ref(high), low_n=ref(low), levels=tuple(ref(p, label) for p, label in sorted(levels, reverse=True)),
    )
    return Readout(**{**values, **more})


def _readout(last: float, sma: float, low: float, high: float, levels: list[tuple[float, str]], decimals: int) -> list[str]:
    return [line.plain for line in readout_lines(_view(last, sma, low, high, levels), decimals)]


def test_secondary_prices_keep_the_decimals_that_matter():
    """An index's averages and levels read without decimals; a $45 stock's must not be rounded
    to whole dollars (a 45.25 level is not "45"), in the readout as in the watchlist."""
    stock = _readout(45.1, 44.37, 30.5, 52.75, [(45.25, "pivot")], 2)
    assert any(line.startswith("SMA 50") and "44.37" in line for line in stock)
    assert any(line.startswith("52w 30.50–52.75 ") for line in stock)  # the 52-week low and high share a line
    assert any(line.strip().startswith("45.25 pivot") for line in stock)
    index = _readout(2458.5, 2339.4, 1733.0, 2489.0, [(2500.0, "s")], 2)
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


# ------------------------------------------------------------------------------------------
# Relative performance, zones, records and the SMA gap (issue 10)

ROTATION = Rotation("^RUT", ("^GSPC", "^NDX"), 21)
REPLAY = freshness("replay", now=0, last_received=None, last_time=None, delay_minutes=None, stale_after=60, market_open=True)


def _row(symbol: str = "^RUT", last: float = 2435.79, **more) -> Row:
    base = Row(symbol, "", last, 1.0, 0.04, NAN, NAN, NAN, NAN, NAN, NAN, 0, NAN, NAN, 0, ((2500.0, "support"),), REPLAY)
    return base._replace(**more)


def test_the_longer_views_come_with_width_and_never_push_out_what_80_columns_show():
    columns = watch_columns(ROTATION)
    keys80 = [c.key for c in columns_for_width(79, columns)]
    assert keys80 == ["symbol", "last", "pct", "rsi", "trend", "level", "fresh"]  # as before the new columns
    keys120 = [c.key for c in columns_for_width(119, columns)]
    assert keys120 == ["symbol", "last", "pct", "high52", "rs ^GSPC", "rs ^NDX", "rsi", "macd", "trend", "level", "fresh"]
    assert [c.label for c in columns if c.key.startswith("rs ")] == ["vs GSPC 1M", "vs NDX 1M"]
    assert len(columns_for_width(300, columns)) == len(columns) == len(COLUMNS) + 2
    week = watch_columns(Rotation("^RUT", ("^GSPC",), 5))
    assert [c.label for c in week if c.key.startswith("rs ")] == ["vs GSPC 1W"]
    assert [c.label for c in watch_columns(Rotation("^RUT", ("^GSPC",), 30)) if c.key.startswith("rs ")] == ["vs GSPC 30d"]
    for column in columns:  # every cell fits its column
        assert column.width >= len(column.label)


def test_change_and_spread_cells_say_their_unit_and_sign_and_other_rows_leave_the_spread_empty():
    lead = watch_cells(_row(chg_1w=1.234, chg_1m=-3.45, chg_ytd=12.0, rs=(Spread("^GSPC", 21, -18.4), Spread("^NDX", 21, 312.2))))
    assert (lead["chg_1w"].plain, lead["chg_1m"].plain, lead["chg_ytd"].plain) == ("+1.2%", "-3.5%", "+12.0%")
    assert str(lead["chg_1w"].style) == "green" and str(lead["chg_1m"].style) == "red"
    assert (lead["rs ^GSPC"].plain, lead["rs ^NDX"].plain) == ("-18bp", "+312bp")
    assert str(lead["rs ^NDX"].style) == "green"
    unknown = watch_cells(_row(rs=(Spread("^GSPC", 21, NAN),)))
    assert unknown["chg_1w"].plain == "–" and unknown["rs ^GSPC"].plain == "–"
    peer = watch_cells(_row("^NDX", chg_1m=2.0))
    assert not any(key.startswith("rs ") for key in peer)  # the watchlist leaves the cell empty
    widths = {c.key: c.width for c in watch_columns(ROTATION)}
    for key, text in lead.items():
        assert text.cell_len <= widths[key], key


def test_the_nearest_level_cell_names_a_zone_edge_and_a_zone_the_price_is_in():
    zone = ((2580.0, 2600.0, "resistance zone"),)
    assert watch_cells(_row(last=2570.0, zones=zone))["level"].plain == "2,580 zone -0.4%"
    assert watch_cells(_row(last=2510.0, zones=zone))["level"].plain == "2,500 +0.4%"
    assert watch_cells(_row(last=2590.0, zones=zone))["level"].plain == "in 2,580–2,600"
    assert watch_cells(_row(last=45.1, levels=(), zones=((45.25, 46.5, ""),)))["level"].plain == "45.25 zone -0.3%"


def _lead_readout() -> Readout:
    from datetime import date

    return _view(
        2435.79, 2339.4, 1733.0, 2489.0, [(2600.0, "resistance"), (2500.0, "support")], name="Russell 2000", symbol="^RUT",
        change_pct=-0.27, macd=28.0, macd_signal=33.0, macd_hist=-5.0, chg_1w=1.6, chg_1m=4.2, chg_ytd=9.8,
        rs=(Spread("^GSPC", 21, -18.4), Spread("^NDX", 21, -227.0)), record=Ref(2593.0, (2435.79 / 2593 - 1) * 100),
        record_day=date(2021, 11, 8), ma_gap=-0.62, ma_gap_change=0.41,
    )


def test_the_readout_says_each_new_number_with_its_label_and_unit():
    lines = [line.plain for line in readout_lines(_lead_readout(), 2)]
    assert lines[0] == "Russell 2000 2,435.79 -0.27%"
    assert "1W +1.6% 1M +4.2% YTD +9.8%" in lines
    assert "1M vs GSPC -18 NDX -227 bp" in lines
    assert "MACD         28.0 ▼ sig 33.0" in lines  # below its signal
    assert "SMA gap     -0.6% 1W +0.4pt" in lines  # SMA50 under SMA200, closing in over 5 sessions
    assert "52w 1,733–2,489 ▼-2.1%" in lines
    assert "ATH 2,593 ▼-6.1% 2021-11-08" in lines
    assert lines[-2:] == ["  2,600 resistance ▼-6.3%", "  2,500 support    ▼-2.6%"]


def test_the_readout_changes_keep_the_watchlists_decimals_and_share_them_when_cut():
    """The changes' line reads as the 1W/1M/YTD columns do (one decimal) while it fits; a line
    too long for the readout drops the decimals of all three, not of the large ones alone."""
    lead = _lead_readout()
    assert "1W +1.6% 1M +4.2% YTD +14.5%" in [line.plain for line in readout_lines(lead._replace(chg_ytd=14.5), 2)]
    assert watch_cells(_row(chg_ytd=14.5))["chg_ytd"].plain == "+14.5%"
    cut = lead._replace(chg_1w=-12.34, chg_1m=-15.6, chg_ytd=-21.04)
    assert "1W -12% 1M -16% YTD -21%" in [line.plain for line in readout_lines(cut, 2)]
    assert "1W – 1M – YTD –" in [line.plain for line in readout_lines(lead._replace(chg_1w=NAN, chg_1m=NAN, chg_ytd=NAN), 2)]


def test_the_readout_of_the_lead_with_two_levels_fits_80x24():
    """12 lines of at most READOUT_WIDTH cells: what the detail pane has at 80x24."""
    for view in (_lead_readout(), _lead_readout()._replace(chg_1w=-12.34, chg_1m=-15.6, chg_ytd=-21.0, last=24944.75, name="Nasdaq-100")):
        lines = readout_lines(view, 2)
        assert len(lines) == 12 and max(line.cell_len for line in lines) <= READOUT_WIDTH
    # Spreads of 1,000 bp and more still share one line (the last level stays on screen); a
    # symbol that is not the lead has none.
    wide = readout_lines(_lead_readout()._replace(rs=(Spread("^GSPC", 21, -1234.0), Spread("^NDX", 21, 4321.0))), 2)
    assert len(wide) == 12 and "1M vs GSPC -1234 NDX +4321 bp" in [line.plain for line in wide]
    assert len(readout_lines(_lead_readout()._replace(rs=()), 2)) == 11
    # A long name is cut, never the price.
    assert readout_lines(_lead_readout()._replace(name="A company with a very long name"), 2)[0].plain.endswith("… 2,435.79 -0.27%")


def _spread_lines(*spreads: tuple[str, float]) -> list[str]:
    view = _lead_readout()._replace(rs=tuple(Spread(peer, 21, bp) for peer, bp in spreads))
    lines = [line.plain for line in readout_lines(view, 2)]
    assert max(len(line) for line in lines) <= READOUT_WIDTH
    return [line for line in lines if line.startswith("1M vs ")]


def test_the_spreads_keep_the_columns_form_while_it_fits_then_drop_the_comma_then_count_thousands():
    """One line for the two peers at any size, each number as exact as the line allows: the
    watchlist's "+1,234" while it fits, the same digits without the comma, thousands ("+19k")
    only from 10,000 bp, where a basis point more or less says nothing."""
    assert _spread_lines(("^GSPC", 1234.4), ("^NDX", -45.0)) == ["1M vs GSPC +1,234 NDX -45 bp"]
    assert _spread_lines(("^GSPC", NAN), ("^NDX", 1851.0)) == ["1M vs GSPC – NDX +1,851 bp"]
    assert _spread_lines(("^GSPC", 1851.0), ("^NDX", -2015.0)) == ["1M vs GSPC +1851 NDX -2015 bp"]
    assert _spread_lines(("^GSPC", 18510.0), ("^NDX", -2015.0)) == ["1M vs GSPC +19k NDX -2015 bp"]
    assert _spread_lines(("^GSPC", -123456.0), ("^NDX", 249600.0)) == ["1M vs GSPC -123k NDX +250k bp"]


def test_more_peers_than_a_line_holds_take_as_few_lines_as_hold_them_each_peer_whole():
    assert _spread_lines(("^GSPC", 312.0), ("^NDX", -45.0), ("^DJI", 12.0)) == ["1M vs GSPC +312 NDX -45 bp", "1M vs DJI +12 bp"]
    assert _spread_lines(("^GSPC", 1851.0), ("^NDX", -2015.0), ("^DJI", 1200.0), ("^SOX", -3.0)) == [
        "1M vs GSPC +1851 NDX -2015 bp",
        "1M vs DJI +1,200 SOX -3 bp",
    ]


def test_a_young_symbols_readout_says_unknown_and_leaves_out_what_has_no_value():
    """Before MACD's signal, the SMA gap's week, the records: the readout shows what is known
    and a dash, never a number for what is not defined yet."""
    young = _lead_readout()._replace(
        macd=12.34, macd_signal=NAN, macd_hist=NAN, ma_gap=1.25, ma_gap_change=NAN, record=Ref(NAN, NAN), record_day=None
    )
    lines = [line.plain for line in readout_lines(young, 2)]
    assert "MACD         12.3" in lines  # the line without its signal
    assert "SMA gap     +1.2%" in lines  # no week of gaps yet: no "1W"
    assert "ATH –" in lines
    gap = next(line for line in readout_lines(_lead_readout(), 2) if line.plain.startswith("SMA gap"))
    assert any(str(span.style) == "red" and gap.plain[span.start : span.end].strip() == "-0.6%" for span in gap.spans)


def test_the_spread_columns_follow_the_ytd_change_and_a_level_within_half_a_percent_stands_out():
    keys = [c.key for c in watch_columns(ROTATION)]
    assert keys[keys.index("chg_1w") : keys.index("rsi")] == ["chg_1w", "chg_1m", "chg_ytd", "rs ^GSPC", "rs ^NDX"]
    near, far = (level_cell(nearest_level(last, ((2500.0, "support"),))) for last in (2510.0, 2520.0))
    assert (near.plain, far.plain) == ("2,500 +0.4%", "2,500 +0.8%")
    assert [str(span.style) for span in near.spans] == ["bold yellow"] and far.spans == []

