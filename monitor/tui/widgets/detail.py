"""Detail pane of the selected symbol: a chart (the session or a range of daily closes) and the readouts.

``chart_data`` and ``readout_lines`` turn the values of ``monitor.view`` (a ``ChartView``, a
``Readout``) into chart lines and text; ``DetailPane`` only places them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from monitor.tui.widgets.chart import Band, BrailleChart, HLine, Line
from monitor.tui.widgets.lines import LinesView
from monitor.tui.widgets.rows import direction_style, known, level_decimals, price, short_decimals, signed, window_label
from monitor.view import ChartView, Readout, Ref, Spread

LEVEL_STYLE = "magenta"
ZONE_STYLE = "cyan"
BASELINE_STYLE = "dim"
SERIES_LOOK = {  # kind -> (style, dash): the price solid, the averages dotted and sparse
    "price": ("bold", 1),
    "sma_fast": ("yellow", 2),
    "sma_slow": ("blue", 4),
}
RATIO_LOOKS = (("bold cyan", 1), ("yellow", 2), ("green", 4), ("magenta", 3))  # the rotation chart's peers, in order


class ChartData(NamedTuple):
    """What the detail chart shows: a title with the legend, the series (the main one first),
    overlays (levels), the main series' times (epoch seconds) and what to say when empty."""

    title: Text
    lines: list[Line]
    overlays: list[Any]
    times: list[float] | None
    empty: str = "no data yet"


def level_overlays(levels: Sequence[tuple[float, str]]) -> list[HLine]:
    return [HLine(p, LEVEL_STYLE, label) for p, label in levels]


def chart_data(view: ChartView) -> ChartData:
    """The lines, overlays and title of ``view``: "1D" titled with its session, a daily range
    with the legend of each series, the rotation chart (series of kind "ratio") with each peer's
    legend and latest value. Zones are bands; the baseline a labelled line."""
    overlays: list[Any] = [*level_overlays(view.levels), *(Band(low, high, ZONE_STYLE, label) for low, high, label in view.zones)]
    if view.baseline is not None:
        overlays.append(HLine(view.baseline, BASELINE_STYLE, "= start"))
    lines = []
    ratios = 0
    for series in view.series:
        if series.kind == "ratio":
            style, dash = RATIO_LOOKS[ratios % len(RATIO_LOOKS)]
            ratios += 1
        else:
            style, dash = SERIES_LOOK.get(series.kind, ("", 1))
        lines.append(Line(series.values, style, series.name, dash=dash))
    if ratios:
        return ChartData(_rotation_title(view, lines), lines, overlays, view.times, view.empty)
    if view.chart_range == "1D":
        session = view.session
        title = Text(f"{view.symbol} 1D session {session.isoformat() if session else ''}".rstrip(), style="bold")
        return ChartData(title, lines, overlays, view.times, view.empty)
    title = Text(f"{view.symbol} {view.chart_range} daily", style="bold")
    for line in lines:
        title.append(f" {line.legend} {line.name}", style=line.style)
    return ChartData(title, lines, overlays, view.times, view.empty)


def _rotation_title(view: ChartView, lines: Sequence[Line]) -> Text:
    """``^RUT ÷ 1Y ⠒⠒ ^GSPC 103.1 ⠂⠂ ^NDX 105.4``: the lead over each peer, its latest value."""
    title = Text(f"{view.symbol} ÷ {view.chart_range}", style="bold")
    for line in lines:
        if line.name:
            latest = next((v for v in reversed(line.values) if known(v)), math.nan)
            title.append(f" {line.legend} {line.name} {latest:.1f}" if known(latest) else f" {line.legend} {line.name}", style=line.style)
    return title


def chart_title(data: ChartData, width: int = 0) -> Text:
    """The title line with the key hint, left out whole when the title and it do not fit in
    ``width`` cells (cut with an ellipsis at 80 columns it read "1-7: r…"); 0: width unknown."""
    hint = Text(" · 1-7: range", style="dim")
    if width and data.title.cell_len + hint.cell_len > width:
        return data.title.copy()
    return data.title + hint


def _row(label: str, value: str, extra: Text | str = "", style: str = "") -> Text:
    text = Text(f"{label:<8}", style="dim")
    text.append(f"{value:>9}", style=style)
    if extra:
        text.append(" ")
        text.append(extra if isinstance(extra, Text) else Text(extra))
    return text


def _vs(pct: float) -> Text:
    """The last price against a reference: ▲+4.1% / ▼-2.6%."""
    if not known(pct):
        return Text("")
    return Text(f"{'▲' if pct >= 0 else '▼'}{pct:+.1f}%", style=direction_style(pct))


def _ref(label: str, ref: Ref, decimals: int) -> Text:
    return _row(label, price(ref.value, decimals), _vs(ref.pct))


READOUT_WIDTH = 29  # cells of text beside the chart (the pane is one wider: its left padding)


def _head(view: Readout, decimals: int) -> Text:
    """"Russell 2000 2,435.79 -0.27%": the name (cut to fit, the symbol without one), the last
    price and the session's change."""
    move = Text(price(view.last, decimals), style="bold")
    move.append(" " + signed(view.change_pct, 2, "%"), style=direction_style(view.change_pct))
    name = view.name or view.symbol
    room = READOUT_WIDTH - move.cell_len - 1
    if len(name) > room:
        name = name[: max(0, room - 1)] + "…"
    return Text(f"{name} ", style="bold") + move if room > 1 else move


def _changes(view: Readout) -> Text:
    """"1W +1.2% 1M +3.4% YTD +18.1%": one decimal as in the watchlist's columns; whole percents
    for all three when that does not fit the readout (never "+12%" beside "+9.8%")."""
    for places in (1, 0):
        text = Text()
        for label, pct in (("1W", view.chg_1w), ("1M", view.chg_1m), ("YTD", view.chg_ytd)):
            if text:
                text.append(" ")
            text.append(f"{label} ", style="dim")
            text.append(f"{pct:+.{places}f}%" if known(pct) else "–", style=direction_style(pct))
        if text.cell_len <= READOUT_WIDTH:
            break
    return text


def _bp_compact(bp: float) -> str:
    """Whole basis points without the thousands comma, in thousands from 10,000 ("+19k" for
    18,510: a spread of 185 points of % is read by its size, not by its last basis point)."""
    return f"{bp / 1000:+.0f}k" if abs(round(bp)) >= 10_000 else f"{bp:+.0f}"


# How a spread is written, tried in this order until the line fits: as in the watchlist's column
# ("+1,851"), the same digits without the comma ("+1851"), the large ones in thousands.
BP_FORMATS = (lambda bp: f"{bp:+,.0f}", lambda bp: f"{bp:+.0f}", _bp_compact)


def _spread_line(window: str, spreads: Sequence[Spread]) -> Text:
    """"1M vs GSPC +312 NDX -45 bp" in the first of ``BP_FORMATS`` that fits the readout (the
    last one when none does)."""
    for shown in BP_FORMATS:
        line = Text(f"{window} vs", style="dim")
        for spread in spreads:
            line.append(f" {spread.peer.lstrip('^')} ", style="dim")
            line.append(shown(spread.bp) if known(spread.bp) else "–", style=direction_style(spread.bp))
        line.append(" bp", style="dim")
        if line.cell_len <= READOUT_WIDTH:
            break
    return line


def _spreads(view: Readout) -> list[Text]:
    """"1M vs GSPC +312 NDX -45 bp": the lead's return over the window minus each peer's. The two
    default peers share one line up to 999k bp (a second line would push the last level off
    at 80x24); more peers than a line holds go on as few lines as hold them, each peer whole."""
    if not view.rs:
        return []
    window = window_label(view.rs[0].sessions)
    groups: list[list[Spread]] = [[]]
    for spread in view.rs:
        if groups[-1] and _spread_line(window, [*groups[-1], spread]).cell_len > READOUT_WIDTH:
            groups.append([])
        groups[-1].append(spread)
    return [_spread_line(window, group) for group in groups]


def _macd(view: Readout) -> Text:
    """"MACD 28.0 ▼ sig 33.0": the MACD line, below (▼) or above (▲) its signal line."""
    macd, signal = view.macd, view.macd_signal
    if not (known(macd) and known(signal)):
        return _row("MACD", f"{macd:,.1f}" if known(macd) else "–")
    side = Text("▲" if macd > signal else "▼", style=direction_style(macd - signal))
    return _row("MACD", f"{macd:,.1f}", side + Text(f" sig {signal:,.1f}"))


def _gap(view: Readout) -> Text:
    """"SMA gap -0.6% 1W +0.4pt": SMA fast minus SMA slow in % of the slow one, and how many
    points it moved over the last sessions (toward a golden cross when it rises below zero),
    their window named as the changes' line names it (1W = 5 sessions)."""
    extra = Text("")
    if known(view.ma_gap_change):
        extra = Text(f"{window_label(view.gap_sessions)} ", style="dim")
        extra.append(f"{view.ma_gap_change:+.1f}pt", style=direction_style(view.ma_gap_change))
    return _row("SMA gap", signed(view.ma_gap, 1, "%"), extra, style=direction_style(view.ma_gap))


def _year_range(view: Readout, decimals: int) -> Text:
    """"52w 1,733–2,489 ▼-2.1%": the 52-week low and high, and the price against the high."""
    low, high = view.low_n, view.high_n
    text = Text("52w ", style="dim")
    text.append(f"{price(low.value, decimals)}–{price(high.value, decimals)}" if known(high.value) else "–")
    if known(high.pct):
        text.append(" ")
        text.append(_vs(high.pct))
    return text


def _record(view: Readout, decimals: int) -> Text:
    """"ATH 2,593 ▼-6.1% 2021-11-08": the all-time high of the loaded history, the price
    against it and the session it was set."""
    text = Text("ATH ", style="dim")
    if not known(view.record.value):
        return text + Text("–")
    text.append(price(view.record.value, decimals))
    text.append(" ")
    text.append(_vs(view.record.pct))
    if view.record_day is not None:
        text.append(f" {view.record_day.isoformat()}", style="dim")
    return text


def readout_lines(view: Readout, decimals: int = 2) -> list[Text]:
    """The readouts beside the chart, one Text per line; at most ``READOUT_WIDTH`` cells each
    and 12 lines for the lead with two levels (what 80x24 has room for)."""
    rsi = view.rsi
    rsi_style = "bold red" if known(rsi) and rsi >= view.rsi_overbought else "bold green" if known(rsi) and rsi <= view.rsi_oversold else ""
    short = short_decimals(view.last, decimals)
    lines = [
        _head(view, decimals),
        _changes(view),
        *_spreads(view),
        _row(f"RSI {view.rsi_period}", f"{rsi:.1f}" if known(rsi) else "–", style=rsi_style),
        _macd(view),
        _ref(f"SMA {view.ma_fast}", view.sma_fast, short),
        _ref(f"SMA {view.ma_slow}", view.sma_slow, short),
        _gap(view),
        _year_range(view, short),
        _record(view, short),
    ]
    places = level_decimals([(level.value, level.label) for level in view.levels], decimals)
    for level in view.levels:
        text = Text(f"{price(level.value, places):>7} ", style=LEVEL_STYLE)
        text.append(f"{level.label[:10] or 'level':<10} ", style=LEVEL_STYLE)
        text.append(_vs(level.pct))
        lines.append(text)
    return lines


class DetailPane(Horizontal):
    """Chart (with a title line) on the left, readouts on the right."""

    DEFAULT_CSS = f"""
    DetailPane {{ height: 1fr; }}
    DetailPane > Vertical {{ width: 1fr; }}
    DetailPane #chart-title {{ height: 1; }}
    DetailPane #readout {{ width: {READOUT_WIDTH + 1}; height: 1fr; padding-left: 1; }}
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield LinesView(id="chart-title")
            yield BrailleChart(id="chart")
        yield LinesView(id="readout")

    _chart: ChartData | None = None

    def show_chart(self, data: ChartData, *, decimals: int = 0) -> None:
        self._chart = data
        self._show_title()
        self.query_one("#chart", BrailleChart).set_data(data.lines, data.overlays, times=data.times, decimals=decimals, empty=data.empty)

    def _show_title(self) -> None:
        if self._chart is not None:
            title = self.query_one("#chart-title", LinesView)
            title.set_lines([chart_title(self._chart, title.size.width)])

    def on_resize(self) -> None:
        self._show_title()  # the hint comes or goes with the width

    def show_readout(self, readout: Sequence[Text]) -> None:
        self.query_one("#readout", LinesView).set_lines(readout)
