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
from monitor.view import Freshness, Nearest, Rotation, Row, known

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


# Priorities 0-3 are what 80 columns show; the longer views (1W, 1M, YTD, the lead against
# each peer) only come with width and never push those out.
COLUMNS: tuple[Column, ...] = (
    Column("symbol", "Symbol", 6, 0),
    Column("name", "Name", 12, 10),
    Column("last", "Last", 9, 0),
    Column("change", "Chg", 8, 7),
    Column("pct", "Chg%", 7, 1),
    Column("range", "Day range", 13, 8),
    Column("high52", "52w hi", 7, 5),
    Column("chg_1w", "1W", 6, 12),
    Column("chg_1m", "1M", 6, 9),
    Column("chg_ytd", "YTD", 6, 11),
    Column("rsi", "RSI", 4, 2),
    Column("macd", "MACD", 7, 4),  # "↓ cross" is 7 cells
    Column("trend", "Trend", 11, 3),
    Column("level", "Nearest level", 16, 2),  # "2,580 zone -0.8%" is 16 cells
    Column("fresh", "Data", 9, 1),
)
RS_PRIORITY = 6  # the lead against its peers: right after the 52-week high
RS_WIDTH = 8  # "+1,234bp"
CELL_PADDING = 1  # DataTable's padding each side of a cell


def window_label(sessions: int) -> str:
    """1W for 5 sessions, 1M for 21, else "30d"."""
    return {5: "1W", 21: "1M"}.get(sessions, f"{sessions}d")


def rs_key(peer: str) -> str:
    return f"rs {peer}"


def watch_columns(rotation: Rotation) -> tuple[Column, ...]:
    """``COLUMNS`` with one "vs NDX 1M" column per peer of the lead, placed after the YTD change."""
    spread = tuple(
        Column(rs_key(peer), label, max(RS_WIDTH, len(label)), RS_PRIORITY)
        for peer in rotation.peers
        for label in [f"vs {peer.lstrip('^')} {window_label(rotation.sessions)}"]
    )
    at = next(i for i, column in enumerate(COLUMNS) if column.key == "chg_ytd") + 1
    return COLUMNS[:at] + spread + COLUMNS[at:]


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
    """The nearest level and the price's distance from it ("2,500 -0.4%"); a zone's edge says
    so ("2,580 zone -0.8%"), a price inside a zone names it ("in 2,580–2,600"); bold yellow
    within 0.5 %."""
    if nearest is None:
        return Text(DASH, style="dim")
    if nearest.inside and nearest.zone is not None:
        low, high = nearest.zone
        return Text(f"in {low:,.{decimals}f}–{high:,.{decimals}f}", style="bold yellow")
    distance = nearest.distance_pct
    text = Text(f"{nearest.price:,.{decimals}f} " + ("zone " if nearest.zone is not None else ""))
    text.append(f"{distance:+.1f}%", style="bold yellow" if abs(distance) < 0.5 else "")
    return text


def change_cell(pct: float) -> Text:
    """A change over a window in %: "+1.2%", green up, red down."""
    if not known(pct):
        return Text(DASH, style="dim")
    return Text(f"{pct:+.1f}%", style=direction_style(pct))


def spread_cell(bp: float) -> Text:
    """The lead's return minus a peer's in basis points: "+312bp"."""
    if not known(bp):
        return Text(DASH, style="dim")
    return Text(f"{bp:+,.0f}bp", style=direction_style(bp))


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
        "name": Text(row.name),
        "last": Text(price(row.last, row.decimals), style="bold"),
        "change": Text(signed(row.change, row.decimals), style=move),
        "pct": Text(signed(row.change_pct, 2, "%"), style=move),
        "range": Text(day_range),
        "high52": high52,
        "rsi": rsi_cell(row.rsi, row.rsi_overbought, row.rsi_oversold),
        "macd": macd_cell(row.macd, row.macd_signal, row.macd_cross),
        "trend": trend_cell(row.last, row.sma_fast, row.sma_slow, row.ma_cross),
        "level": level_cell(row.nearest, level_decimals(_prices(row), row.decimals)),
        "fresh": Text(f"fut {row.futures}", style=FUTURES) if row.futures else fresh_cell(row.fresh),
        "chg_1w": change_cell(row.chg_1w),
        "chg_1m": change_cell(row.chg_1m),
        "chg_ytd": change_cell(row.chg_ytd),
        # Only the lead's row has spreads; the others leave the column empty.
        **{rs_key(spread.peer): spread_cell(spread.bp) for spread in row.rs},
    }


def _prices(row: Row) -> list[tuple[float, str]]:
    """The row's levels and zone edges as (price, label), for their decimals."""
    return [*row.levels, *((edge, label) for low, high, label in row.zones for edge in (low, high))]
