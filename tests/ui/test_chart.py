"""The detail chart: ranges that do not depend on the width, a time axis, labelled levels that
leave the value axis alone, series told apart without colour, and daily replays' session chart."""

from __future__ import annotations

import math
from datetime import date, timedelta
from types import SimpleNamespace

from monitor.bars import DailyBar
from monitor.config import Config
from monitor.market_hours import REGULAR_OPEN, ny_epoch
from monitor.tui.app import build_demo_app
from monitor.tui.widgets.chart import Band, HLine, Line, render_chart, time_axis
from monitor.tui.widgets.detail import DetailPane, chart_data
from monitor.view import NO_INTRADAY, chart_view
from monitor.tui.widgets.lines import LinesView

from .conftest import frozen_clock

CONFIG = Config()


def _daily_symbol(sessions: int) -> SimpleNamespace:
    start = date(2021, 1, 4)
    bars = [DailyBar(start + timedelta(days=i), 100.0, 101.0, 99.0, 100.0 + i, None) for i in range(sessions)]
    return SimpleNamespace(symbol="X", daily=bars, session=None, last=math.nan, intraday=())


def test_each_range_shows_its_own_number_of_sessions_whatever_the_width():
    sym = _daily_symbol(1300)
    for name, count in (("5D", 5), ("1M", 21), ("6M", 126), ("1Y", 252), ("5Y", 1260), ("max", 1300)):
        data = chart_data(chart_view(sym, CONFIG, name))
        assert all(len(line.values) == count for line in data.lines), name
        assert len(data.times) == count and data.lines[0].values[-1] == 100.0 + 1299
    # Five sessions still span the whole plot: the last dot column and the first are drawn.
    data = chart_data(chart_view(sym, CONFIG, "5D"))
    for width in (40, 120):
        plot = render_chart(data.lines[:1], [], width, 6, times=data.times)[:-1]
        assert any(row.plain[0] != " " for row in plot) and any(row.plain[width - 10] != " " for row in plot)


def test_time_axis_labels_months_on_a_year_and_hours_on_a_session():
    days = [ny_epoch(date(2025, 1, 2) + timedelta(days=i), REGULAR_OPEN) for i in range(0, 365)]
    axis = time_axis(days, 60).plain
    assert "Mar" in axis and "Jun" in axis and "Sep" in axis
    session = [ny_epoch(date(2025, 3, 3), REGULAR_OPEN) + 60 * i for i in range(390)]
    axis = time_axis(session, 60).plain
    assert "10:00" in axis and "15:00" in axis
    labels = axis.split()
    assert labels == sorted(labels)  # left to right, none overlapping another


def test_level_label_sits_on_its_line_and_the_value_axis_keeps_top_and_bottom():
    values = [100.0 + i for i in range(50)]  # 100 .. 149
    rows = render_chart([Line(values, "bold")], [HLine(149.0, "magenta", "resistance")], 40, 8)
    assert rows[0].plain.startswith("149 resistance")
    assert rows[0].plain.rstrip().endswith("149")  # the top value is still on the axis
    assert rows[-1].plain.rstrip().endswith("100")  # and the bottom one


def test_a_zone_is_a_labelled_band_of_dots_between_its_edges():
    values = [100.0 + i for i in range(50)]  # 100 .. 149: rows of 49/39 points per dot
    line = [Line(values, "bold")]
    plain = [row.plain for row in render_chart(line, [], 40, 10)]
    rows = render_chart(line, [Band(120.0, 130.0, "cyan", "zone")], 40, 10)
    banded = [row.plain for row in rows]
    # 130 is dot row 15 (cell row 3), 120 dot row 23 (cell row 5): those rows and the one between
    # gain dots (without colour too), nothing else changes.
    assert [i for i in range(10) if banded[i] != plain[i]] == [3, 4, 5]
    assert banded[3].startswith("120-130 zone ")
    edge, inside = banded[5][:31], banded[4][:31]
    assert edge.count("⡀") >= 8 and inside.count("⠂") >= 8  # dashed low edge, a stipple inside
    assert rows[4].spans[0].style == "cyan" and rows[4].plain[rows[4].spans[0].start] == "⠂"  # its own colour
    # A level already labelled on the band's top row keeps it: the zone takes the next row.
    both = [row.plain for row in render_chart(line, [HLine(130.0, "magenta", "pivot"), Band(120.0, 130.0, "cyan", "zone")], 40, 10)]
    assert both[3].startswith("130 pivot ") and both[4].startswith("120-130 zone ")
    # On a chart too short for a row of its own, the label follows the level's.
    levels = [HLine(149.0, "", "top"), HLine(130.0, "", "pivot"), HLine(110.0, "", "low")]  # rows 0, 1, 2
    short = [row.plain for row in render_chart(line, [*levels, Band(125.0, 130.0, "cyan", "zone")], 40, 3)]
    assert short[1].startswith("130 pivot · 125-130 zone ")
    narrow = [row.plain for row in render_chart(line, [*levels, Band(125.0, 130.0, "cyan", "resistance zone")], 30, 3)]
    assert narrow[1].startswith("130 pivot · 125-130 ")  # the span stays whole, the name goes
    # Far from the data it is left out, as levels are.
    assert [row.plain for row in render_chart(line, [Band(500.0, 510.0, "cyan", "far")], 40, 10)] == plain


def test_price_and_averages_differ_without_colour():
    flat = [10.0] * 40
    rows = render_chart([Line(flat, "", "a"), Line([5.0] * 40, "", "b", dash=2), Line([0.0] * 40, "", "c", dash=4)], [], 30, 3)
    solid, dotted, sparse = (row.plain[:21].rstrip() for row in rows)
    assert set(solid) == {"⠉"}  # both dot columns of every cell
    assert set(dotted) == {"⠄"}  # the left dot column only
    assert sparse == "⡀ " * 10 + "⡀"  # every other cell
    assert len({Line([], "", dash=d).legend for d in (1, 2, 4)}) == 3  # the title's legend tells them apart


async def _played(app, pilot) -> None:
    await app.workers.wait_for_complete()
    app.settle()
    await pilot.pause()


def _title_and_chart(app) -> tuple[LinesView, LinesView]:
    pane = app.query_one(DetailPane)
    return pane.query_one("#chart-title", LinesView), pane.query_one("#chart", LinesView)


async def test_keys_change_the_range_and_a_daily_replay_has_no_session_chart():
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _played(app, pilot)
        title, chart = _title_and_chart(app)
        assert title.plain_lines[0].startswith("^RUT 1Y daily")
        await pilot.press("4")
        assert title.plain_lines[0].startswith("^RUT 6M daily")
        assert "Dec" in chart.plain_lines[-1]  # the time axis under the plot
        await pilot.press("c")
        assert title.plain_lines[0].startswith("^RUT 1D session")
        assert " ".join(chart.plain_lines).split() [:4] == NO_INTRADAY.split()[:4]
        await pilot.press("c")  # back to the daily range last shown
        assert title.plain_lines[0].startswith("^RUT 6M daily")


async def test_v_toggles_the_rotation_chart_and_the_range_keys_still_work():
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _played(app, pilot)
        title, chart = _title_and_chart(app)
        price_lines = list(chart.plain_lines)
        assert "2,580-2,600 resistance zone" in " ".join(price_lines)  # the zone's band on the price chart
        await pilot.press("v")
        said = title.plain_lines[0]
        assert said.startswith("^RUT ÷ 1Y ") and "⠒⠒ ^GSPC" in said and "⠂⠂ ^NDX" in said  # solid, dotted: apart without colour
        assert chart.plain_lines != price_lines
        assert any(line.startswith("100.0 = start") for line in chart.plain_lines)  # the labelled 100 line
        assert "2,580" not in " ".join(chart.plain_lines)  # no price levels or zones on a ratio scale
        # The legend's latest values are the ratios rebased at the range's first session.
        lead, ndx = app.state.symbols["^RUT"], app.state.symbols["^NDX"]
        rut_closes, ndx_closes = [b.close for b in lead.daily][-252:], [b.close for b in ndx.daily][-252:]
        expected = rut_closes[-1] / ndx_closes[-1] / (rut_closes[0] / ndx_closes[0]) * 100
        assert f"^NDX {expected:.1f}" in said
        await pilot.press("2")  # 5D: rebased at five sessions ago
        said = title.plain_lines[0]
        expected = rut_closes[-1] / ndx_closes[-1] / (rut_closes[-5] / ndx_closes[-5]) * 100
        assert said.startswith("^RUT ÷ 5D ") and f"^NDX {expected:.1f}" in said
        await pilot.press("v")
        assert title.plain_lines[0].startswith("^RUT 5D daily")
        keys = dict(app.key_table())  # what the help screen lists
        assert keys["v"].startswith("Switch the chart between the price and the rotation view")
