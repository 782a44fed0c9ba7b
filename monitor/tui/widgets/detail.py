"""Detail pane of the selected symbol: a chart (the session or a range of daily closes) and the readouts.

``chart_data`` and ``readout_lines`` turn a ``SymbolState`` (duck-typed) into plain chart lines
and text; ``DetailPane`` only places them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from monitor.market_hours import REGULAR_OPEN, ny_epoch
from monitor.model import NEW_YORK
from monitor.tui.widgets.chart import BrailleChart, HLine, Line
from monitor.tui.widgets.lines import LinesView
from monitor.tui.widgets.rows import KNOWN_NAMES, direction_style, known, level_decimals, price, short_decimals, signed

LEVEL_STYLE = "magenta"
SMA_FAST_STYLE = "yellow"
SMA_SLOW_STYLE = "blue"
SESSION_MINUTES = 390


def sma_series(values: Sequence[float], n: int) -> list[float]:
    """Simple moving average of ``values`` (NaN until ``n`` values), for the chart overlay."""
    out: list[float] = []
    total = 0.0
    for i, value in enumerate(values):
        total += value
        if i >= n:
            total -= values[i - n]
        out.append(total / n if i >= n - 1 else math.nan)
    return out


def intraday_closes(sym: Any) -> list[float]:
    """The session's minute closes on a fixed 09:30-16:00 axis, held between prints."""
    bars = list(getattr(sym, "intraday", ()))
    if not bars:
        return []
    start = _session_open(bars[0].start)
    values = [math.nan] * SESSION_MINUTES
    last_index = -1
    for bar in bars:
        index = int((bar.start - start) // 60)
        if 0 <= index < SESSION_MINUTES:
            values[index] = bar.close
            last_index = max(last_index, index)
    held = math.nan
    for i in range(last_index + 1):
        if math.isnan(values[i]):
            values[i] = held
        held = values[i]
    return values


def _session_open(epoch: float) -> float:
    return ny_epoch(datetime.fromtimestamp(epoch, NEW_YORK).date(), REGULAR_OPEN)


RANGES = ("1D", "5D", "1M", "6M", "1Y", "5Y", "max")  # keys 1 to 7
RANGE_SESSIONS = {"5D": 5, "1M": 21, "6M": 126, "1Y": 252, "5Y": 1260, "max": None}
DAILY_RANGE = "1Y"  # the daily range shown first
NO_INTRADAY = "no intraday data: this replay has daily bars only (keys 2-7: daily ranges)"


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


def daily_series(sym: Any) -> tuple[list[float], list[float]]:
    """(closes, their times): committed daily closes plus the forming session's last price."""
    bars = list(getattr(sym, "daily", ()))
    closes = [bar.close for bar in bars]
    times = [bar.close_time for bar in bars]
    if getattr(sym, "session", None) is not None and known(sym.last):
        closes.append(sym.last)
        times.append(getattr(sym, "last_time", None) or (times[-1] + 86400 if times else 0.0))
    return closes, times


def chart_data(sym: Any, levels: Sequence[tuple[float, str]], rules: Any, chart_range: str, *, intraday: bool = True) -> ChartData:
    """The chart of ``sym`` for ``chart_range`` (one of ``RANGES``): "1D" is the session's
    minutes on a 09:30-16:00 axis, the others the last so many daily closes with the moving
    averages (computed over every kept close, so they start at the range's left edge)."""
    overlays: list[Any] = level_overlays(levels)
    if chart_range == "1D":
        session = getattr(sym, "session", None)
        title = Text(f"{sym.symbol} 1D session {session.isoformat() if session else ''}".rstrip(), style="bold")
        if not intraday:
            return ChartData(title, [Line([], "bold", "last")], overlays, None, NO_INTRADAY)
        values = intraday_closes(sym)
        start = _session_open(sym.intraday[0].start) if values else 0.0
        times = [start + 60 * i for i in range(len(values))]
        return ChartData(title, [Line(values, "bold", "last")], overlays, times)
    closes, times = daily_series(sym)
    lines = [
        Line(closes, "bold", "close"),
        Line(sma_series(closes, rules.ma_fast), SMA_FAST_STYLE, f"SMA{rules.ma_fast}", dash=2),
        Line(sma_series(closes, rules.ma_slow), SMA_SLOW_STYLE, f"SMA{rules.ma_slow}", dash=4),
    ]
    keep = RANGE_SESSIONS.get(chart_range)
    if keep is not None:
        lines = [line._replace(values=line.values[-keep:]) for line in lines]
        times = times[-keep:]
    title = Text(f"{sym.symbol} {chart_range} daily", style="bold")
    for line in lines:
        title.append(f" {line.legend} {line.name}", style=line.style)
    return ChartData(title, lines, overlays, times)


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


def _vs(last: float, ref: float) -> Text:
    if not (known(last) and known(ref)) or ref == 0:
        return Text("")
    pct = (last / ref - 1) * 100
    return Text(f"{'▲' if pct >= 0 else '▼'}{pct:+.1f}%", style=direction_style(pct))


def readout_lines(sym: Any, name: str, levels: Sequence[tuple[float, str]], rules: Any, decimals: int = 2) -> list[Text]:
    """The indicator readouts beside the chart, one Text per line."""
    ind = sym.ind
    last = sym.last
    head = Text(f"{name or KNOWN_NAMES.get(sym.symbol, '')} ", style="bold")
    head.append(sym.symbol, style="dim")
    move = Text(price(last, decimals), style="bold")
    move.append(" " + signed(sym.change_pct, 2, "%"), style=direction_style(sym.change_pct))
    rsi = ind.rsi
    rsi_style = "bold red" if known(rsi) and rsi >= rules.rsi_overbought else "bold green" if known(rsi) and rsi <= rules.rsi_oversold else ""
    macd, signal = ind.macd, ind.macd_signal
    macd_state = Text("")
    if known(macd) and known(signal):
        macd_state = Text("▲ above" if macd > signal else "▼ below", style=direction_style(macd - signal))
    short = short_decimals(last, decimals)
    lines = [
        head,
        move,
        _row(f"RSI {rules.rsi_period}", f"{rsi:.1f}" if known(rsi) else "–", style=rsi_style),
        _row("MACD", f"{macd:,.1f}" if known(macd) else "–", macd_state),
        _row(" signal", f"{signal:,.1f}" if known(signal) else "–", signed(ind.macd_hist, 1)),
        _row(f"SMA {rules.ma_fast}", price(ind.sma_fast, short), _vs(last, ind.sma_fast)),
        _row(f"SMA {rules.ma_slow}", price(ind.sma_slow, short), _vs(last, ind.sma_slow)),
        _row("52w hi", price(ind.high_n, short), _vs(last, ind.high_n)),
        _row("52w lo", price(ind.low_n, short), _vs(last, ind.low_n)),
    ]
    places = level_decimals(levels, decimals)
    for level, label in sorted(levels, reverse=True):
        text = Text(f"{price(level, places):>7} ", style=LEVEL_STYLE)
        text.append(f"{label[:10] or 'level':<10} ", style=LEVEL_STYLE)
        text.append(_vs(last, level))
        lines.append(text)
    return lines


class DetailPane(Horizontal):
    """Chart (with a title line) on the left, readouts on the right."""

    DEFAULT_CSS = """
    DetailPane { height: 1fr; }
    DetailPane > Vertical { width: 1fr; }
    DetailPane #chart-title { height: 1; }
    DetailPane #readout { width: 28; height: 1fr; padding-left: 1; }
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
