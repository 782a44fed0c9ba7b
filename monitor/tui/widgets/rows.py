"""How the watchlist and the readouts say their values (no Textual here).

The values come from ``monitor.view`` (a ``Row``, NaN when unknown); every function here turns
them into ``rich.text.Text`` cells, so the formatting is tested without an app and the widgets
only place cells on screen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from rich.text import Text

from monitor.model import NEW_YORK
from monitor.view import KNOWN_NAMES, Freshness, Nearest, Row, known

DASH = "–"
UP, DOWN = "green", "red"
FUTURES = "magenta"

def price(value: float | None, decimals: int = 2) -> str:
    return f"{value:,.{decimals}f}" if known(value) else DASH


def short_decimals(reference: float, decimals: int) -> int:
    """Decimals of the secondary prices (averages, 52-week high/low, day range, chart axis):
    none from 1,000 up (an index's 2,339), the symbol's own below (a stock's 45.25 must not
    read 45)."""
    return 0 if known(reference) and abs(reference) >= 1000 else decimals


def level_decimals(levels: Iterable[tuple[float, str]], decimals: int) -> int:
    """Decimals of level prices: none when every level is a whole number, else the symbol's."""
    return 0 if all(float(p).is_integer() for p, _ in levels) else decimals


def signed(value: float | None, decimals: int = 2, suffix: str = "") -> str:
    return f"{value:+,.{decimals}f}{suffix}" if known(value) else DASH


def direction_style(value: float | None) -> str:
    if not known(value) or value == 0:
        return ""
    return UP if value > 0 else DOWN


def age(seconds: float) -> str:
    """3 s, 12 min, 2 h 5 min, 3 d."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        return f"{hours:.0f} h {rest // 60:02.0f} min"
    return f"{seconds // 86400:.0f} d"


def ny_time(epoch: float | None, with_date: bool = False) -> str:
    if epoch is None:
        return DASH
    moment = datetime.fromtimestamp(epoch, NEW_YORK)
    return moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M:%S")


# ------------------------------------------------------------------------------------------
# Watchlist cells


class Column(NamedTuple):
    key: str
    label: str
    width: int
    priority: int  # 0 = always shown; higher numbers are dropped first when narrow


COLUMNS: tuple[Column, ...] = (
    Column("symbol", "Symbol", 6, 0),
    Column("name", "Name", 12, 9),
    Column("last", "Last", 9, 0),
    Column("change", "Chg", 8, 6),
    Column("pct", "Chg%", 7, 1),
    Column("range", "Day range", 13, 8),
    Column("high52", "52w hi", 7, 5),
    Column("rsi", "RSI", 4, 2),
    Column("macd", "MACD", 7, 4),  # "↓ cross" is 7 cells
    Column("trend", "Trend", 11, 3),
    Column("level", "Nearest level", 15, 2),
    Column("fresh", "Data", 9, 1),
)
CELL_PADDING = 1  # DataTable's padding each side of a cell


def columns_for_width(width: int, columns: Sequence[Column] = COLUMNS) -> list[Column]:
    """The columns that fit in ``width`` cells, the most important first, in display order."""
    chosen: set[str] = set()
    used = 0
    for column in sorted(columns, key=lambda c: c.priority):
        need = column.width + 2 * CELL_PADDING
        if column.priority == 0 or used + need <= width:
            chosen.add(column.key)
            used += need
    return [column for column in columns if column.key in chosen]


_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def sort_value(text: str) -> tuple[int, float | str] | None:
    """How a cell sorts: by its first number ("+1.25%", "2,500 -0.3%", "stale 5m"), else by its
    text; None for an empty or unknown ("–") cell, which sorts last either way."""
    text = text.strip()
    if not text or text == DASH:
        return None
    number = _NUMBER.search(text)
    if number:
        return (0, float(number.group(0).replace(",", "")))
    return (1, text.casefold())


def rsi_cell(rsi: float, overbought: float, oversold: float) -> Text:
    if not known(rsi):
        return Text(DASH, style="dim")
    if rsi >= overbought:
        return Text(f"{rsi:.0f}", style="bold red")
    if rsi <= oversold:
        return Text(f"{rsi:.0f}", style="bold green")
    return Text(f"{rsi:.0f}")


def macd_cell(macd: float, signal: float, cross: int) -> Text:
    """MACD line vs its signal: "▲ bull" / "▼ bear"; a cross at this bar says "↑ x"/"↓ x"."""
    if not (known(macd) and known(signal)):
        return Text(DASH, style="dim")
    if cross:
        return Text("↑ cross" if cross > 0 else "↓ cross", style=f"bold {UP if cross > 0 else DOWN}")
    if macd > signal:
        return Text("▲ bull", style=UP)
    return Text("▼ bear", style=DOWN)


def trend_cell(last: float, fast: float, slow: float, cross: int) -> Text:
    """Price against SMA fast/slow as arrows, then the regime: golden (fast > slow) or death.

    "▲▲ golden" = above both averages, fast above slow; a cross at this bar is marked "!".
    """
    if not (known(last) and known(fast)):
        return Text(DASH, style="dim")
    text = Text()
    for average in (fast, slow):
        if known(average):
            text.append("▲" if last >= average else "▼", style=UP if last >= average else DOWN)
        else:
            text.append("·", style="dim")
    if known(slow):
        golden = fast > slow
        text.append(" golden" if golden else " death", style=UP if golden else DOWN)
        if cross:
            text.append("!", style="bold")
    return text


def level_cell(nearest: Nearest | None, decimals: int = 0) -> Text:
    """The nearest level and the price's distance from it; bold yellow within 0.5 %."""
    if nearest is None:
        return Text(DASH, style="dim")
    distance = nearest.distance_pct
    text = Text(f"{nearest.price:,.{decimals}f} ")
    text.append(f"{distance:+.1f}%", style="bold yellow" if abs(distance) < 0.5 else "")
    return text


FRESH_STYLES = {"replay": "cyan", "waiting": "dim", "stale": "bold red", "delayed": "yellow", "closed": "dim", "live": "green"}


def fresh_cell(fresh: Freshness) -> Text:
    """The data badge: replay, live, delay 15m, stale 5min, closed, waiting."""
    if fresh.state == "stale":
        text = f"stale {age(fresh.quiet).replace(' ', '')}"
    elif fresh.state == "delayed":
        text = f"delay {fresh.delay_minutes}m"
    else:
        text = fresh.state
    return Text(text, style=FRESH_STYLES.get(fresh.state, ""))


def watch_cells(row: Row) -> dict[str, Text]:
    """Every watchlist cell of one row, keyed by column key."""
    if known(row.day_low) and known(row.day_high):
        short = short_decimals(row.last, row.decimals)
        day_range = f"{price(row.day_low, short)}–{price(row.day_high, short)}"
    else:
        day_range = DASH
    from_high = row.from_high_pct
    high52 = Text(f"{from_high:+.1f}%") if known(from_high) else Text(DASH, style="dim")
    move = direction_style(row.change)
    if row.futures:  # the future's change, not the index's: italic, and the Data cell says so
        move = f"italic {move}".strip()
    return {
        "symbol": Text(row.symbol, style="bold"),
        "name": Text(row.name or KNOWN_NAMES.get(row.symbol, "")),
        "last": Text(price(row.last, row.decimals), style="bold"),
        "change": Text(signed(row.change, row.decimals), style=move),
        "pct": Text(signed(row.change_pct, 2, "%"), style=move),
        "range": Text(day_range),
        "high52": high52,
        "rsi": rsi_cell(row.rsi, row.rsi_overbought, row.rsi_oversold),
        "macd": macd_cell(row.macd, row.macd_signal, row.macd_cross),
        "trend": trend_cell(row.last, row.sma_fast, row.sma_slow, row.ma_cross),
        "level": level_cell(row.nearest, level_decimals(row.levels, row.decimals)),
        "fresh": Text(f"fut {row.futures}", style=FUTURES) if row.futures else fresh_cell(row.fresh),
    }
