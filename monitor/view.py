"""What the screen shows, as pure typed values computed from the state and the config.

The widgets (``monitor.tui.widgets``) read the core only through this module and
``monitor.model`` (an import-linter contract in pyproject.toml): every number on screen (which
price, which level is nearest, how far, how fresh, which series a chart draws) is computed here,
from ``SymbolState`` and ``Config`` attributes read by name. A renamed core attribute fails a test
of this module instead of silently blanking a cell. The widgets keep formatting (text, colour)
and placement. Nothing here imports textual or rich.

Sections: names; watchlist rows (``watch_row``); freshness; the detail readout (``readout``); the
detail chart (``chart_view``, ``rotation_view``: extend it there); the status line; what the dialogs edit; the study.

Dialogs and the study screen need core *operations*. Pure ones (turning the config into the raw
values the thresholds dialog edits, checking an edit with the config file's own validation, the
policy key of a level) are exposed here: they read nothing but their arguments, and one module
keeps the dialog and the config file in step. Operations with I/O or long runs (loading history
and running ``monitor.study``) are given to the study screen by the app as a callable
(``monitor.tui.study_job``): a view does no I/O.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any, NamedTuple

from monitor.config import RULES, Config, Problems, config_from_data
from monitor.config_store import config_to_toml
from monitor.market_hours import REGULAR_OPEN, MarketStatus, ny_epoch
from monitor.model import NEW_YORK, FeedStatus
from monitor.nearness import GAP_SESSIONS, ma_gap
from monitor.policy import level_key
from monitor.rotation import MONTH, WEEK, change_pct, rebased_ratio, rotation, spread_bp, ytd_pct
from monitor.state import SymbolState
from monitor.study import DEFAULT_HORIZONS, FEW_ALERTS, Study, StudyRow, rate_text, shown_decimals, subject_text

__all__ = [
    "Config", "RULES", "level_key", "Study", "StudyRow", "DEFAULT_HORIZONS", "FEW_ALERTS", "rate_text",
    "shown_decimals", "subject_text",
]

NAN = math.nan


def known(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def pct_from(last: float, ref: float) -> float:
    """``last`` against ``ref`` in % (NaN when either is unknown or ``ref`` is 0)."""
    if not (known(last) and known(ref)) or ref == 0:
        return NAN
    return (last / ref - 1.0) * 100.0


# ------------------------------------------------------------------------------------------
# Names

# Display names of the default symbols; a feed's SymbolInfo.name overrides them.
KNOWN_NAMES = {
    "^RUT": "Russell 2000",
    "^GSPC": "S&P 500",
    "^NDX": "Nasdaq-100",
    "^DJI": "Dow Jones",
    "^IXIC": "Nasdaq Comp.",
}


def display_name(symbol: str, feed_name: str = "") -> str:
    """The feed's name of ``symbol`` when it gave one, else the known name, else ""."""
    return feed_name or KNOWN_NAMES.get(symbol, "")


# ------------------------------------------------------------------------------------------
# Freshness


class Freshness(NamedTuple):
    """The data badge of one symbol: ``state`` is one of replay, waiting, stale, delayed,
    closed, live; ``quiet`` the seconds since its last data (stale), ``delay_minutes`` the
    exchange's delay (delayed)."""

    state: str
    quiet: float = 0.0
    delay_minutes: int = 0


def freshness(
    source: str,
    *,
    now: float,
    last_received: float | None,
    last_time: float | None,
    delay_minutes: int | None,
    stale_after: float,
    market_open: bool,
    feed_stale: bool = False,
) -> Freshness:
    """Replay, live, delayed N min, stale N min, or waiting.

    Live data is stale when the feed says so, or when the market is open and nothing arrived for
    ``stale_after`` seconds. Delay comes from the exchange (Yahoo's exchangeDataDelayedBy).
    """
    if source == "replay":
        return Freshness("replay")
    if last_time is None and last_received is None:
        return Freshness("waiting")
    seen = last_received if last_received is not None else last_time
    quiet = now - seen if seen is not None else 0.0
    if feed_stale or (market_open and quiet > stale_after):
        return Freshness("stale", quiet)
    if delay_minutes:
        return Freshness("delayed", delay_minutes=delay_minutes)
    if not market_open:
        return Freshness("closed")
    return Freshness("live")


# ------------------------------------------------------------------------------------------
# Watchlist rows


class Nearest(NamedTuple):
    """The level (or zone edge) nearest the last price and the price's distance from it in %.
    ``zone`` is the (low, high) of the zone whose edge it is, or that the price is inside
    (``inside``); None for a level."""

    price: float
    label: str
    distance_pct: float
    zone: tuple[float, float] | None = None
    inside: bool = False


def nearest_level(
    last: float, levels: Iterable[tuple[float, str]], zones: Iterable[tuple[float, float, str]] = ()
) -> Nearest | None:
    """The nearest of the ``levels`` (price, label) and of the edges of the ``zones``
    (low, high, label); inside a zone (edges included), that zone and its nearer edge."""
    if not known(last):
        return None
    zones = list(zones)
    for low, high, label in zones:
        if low <= last <= high:
            edge = low if last - low <= high - last else high
            return Nearest(edge, label, pct_from(last, edge), (low, high), True)
    candidates = [Nearest(price, label, pct_from(last, price)) for price, label in levels]
    for low, high, label in zones:
        candidates += [Nearest(edge, label, pct_from(last, edge), (low, high)) for edge in (low, high)]
    if not candidates:
        return None
    return min(candidates, key=lambda item: abs(item.price - last))


class Spread(NamedTuple):
    """The lead's ``sessions``-session return minus ``peer``'s, in basis points (NaN unknown)."""

    peer: str
    sessions: int
    bp: float


class Rotation(NamedTuple):
    """Who is compared with whom: the divergence lead, its peers and the relative-strength
    window (``[divergence]``, ``[relative_strength] sessions``)."""

    lead: str
    peers: tuple[str, ...]
    sessions: int


def rotation_of(config: Config) -> Rotation:
    return Rotation(config.divergence.lead, tuple(config.divergence.peers), config.relative_strength.sessions)


def spreads(sym: SymbolState, config: Config, symbols: Mapping[str, SymbolState]) -> tuple[Spread, ...]:
    """The lead's spread against each peer; () for any other symbol (a number there would read
    as its own)."""
    spec = rotation_of(config)
    if sym.symbol != spec.lead:
        return ()
    out = []
    for name in spec.peers:
        peer = symbols.get(name)
        bp = spread_bp(sym, peer, spec.sessions) if peer is not None else NAN
        out.append(Spread(name, spec.sessions, bp))
    return tuple(out)


class Performance(NamedTuple):
    """How ``sym`` did: its change in % over 5 sessions (1W), 21 (1M) and since the previous
    year's last close, and, for the divergence lead, its spread against each peer (the watchlist
    row and the readout show the same numbers; both take them from here)."""

    chg_1w: float
    chg_1m: float
    chg_ytd: float
    rs: tuple[Spread, ...]


def performance(sym: SymbolState, config: Config, symbols: Mapping[str, SymbolState]) -> Performance:
    return Performance(change_pct(sym, WEEK), change_pct(sym, MONTH), ytd_pct(sym), spreads(sym, config, symbols))


class Row(NamedTuple):
    """Everything one watchlist row shows (NaN when unknown)."""

    symbol: str
    name: str  # display_name's: the feed's, else the known one, else ""
    last: float
    change: float
    change_pct: float
    day_low: float
    day_high: float
    high_n: float
    rsi: float
    macd: float
    macd_signal: float
    macd_cross: int
    sma_fast: float
    sma_slow: float
    ma_cross: int
    levels: tuple[tuple[float, str], ...]  # (price, label)
    fresh: Freshness
    decimals: int = 2
    rsi_overbought: float = 70.0
    rsi_oversold: float = 30.0
    futures: str = ""  # the future whose change the row shows (cash market closed), e.g. RTY=F
    zones: tuple[tuple[float, float, str], ...] = ()  # (low, high, label)
    chg_1w: float = NAN  # change over 5 sessions, %
    chg_1m: float = NAN  # over 21 sessions, %
    chg_ytd: float = NAN  # since the previous year's last close, %
    rs: tuple[Spread, ...] = ()  # the lead's spread against each peer; () on other rows

    @property
    def from_high_pct(self) -> float:
        """The last price against the 52-week high in % (NaN when either is unknown)."""
        return pct_from(self.last, self.high_n)

    @property
    def nearest(self) -> Nearest | None:
        return nearest_level(self.last, self.levels, self.zones)


def level_pairs(config: Config, symbol: str) -> tuple[tuple[float, str], ...]:
    """(price, label) of the configured levels of ``symbol``."""
    return tuple((level.price, level.label) for level in config.levels_for(symbol))


def zone_triples(config: Config, symbol: str) -> tuple[tuple[float, float, str], ...]:
    """(low, high, label) of the configured zones of ``symbol``."""
    return tuple((zone.low, zone.high, zone.label) for zone in config.zones_for(symbol))


def watch_row(
    sym: SymbolState, config: Config, name: str, fresh: Freshness, decimals: int = 2, symbols: Mapping[str, SymbolState] | None = None
) -> Row:
    """The watchlist row of ``sym``; ``symbols`` (the state's) give the lead's spreads against
    its peers. Attributes are read directly (no ``getattr`` defaults): a renamed core attribute
    fails the tests instead of blanking a cell."""
    ind = sym.ind
    return Row(
        symbol=sym.symbol,
        name=name,
        last=sym.last,
        change=sym.change,
        change_pct=sym.change_pct,
        day_low=sym.day_low,
        day_high=sym.day_high,
        high_n=ind.high_n,
        rsi=ind.rsi,
        macd=ind.macd,
        macd_signal=ind.macd_signal,
        macd_cross=ind.macd_cross,
        sma_fast=ind.sma_fast,
        sma_slow=ind.sma_slow,
        ma_cross=ind.ma_cross,
        levels=level_pairs(config, sym.symbol),
        fresh=fresh,
        decimals=decimals,
        rsi_overbought=config.rules.rsi_overbought,
        rsi_oversold=config.rules.rsi_oversold,
        zones=zone_triples(config, sym.symbol),
        **performance(sym, config, symbols or {})._asdict(),
    )


# ------------------------------------------------------------------------------------------
# The detail readout


class Ref(NamedTuple):
    """A reference price (an average, an extreme, a level) and the last price against it in %."""

    value: float
    pct: float
    label: str = ""


class Readout(NamedTuple):
    """The readouts beside the chart (NaN when unknown)."""

    symbol: str
    name: str  # display_name's
    last: float
    change_pct: float
    rsi_period: int
    rsi: float
    rsi_overbought: float
    rsi_oversold: float
    macd: float
    macd_signal: float
    macd_hist: float
    ma_fast: int
    ma_slow: int
    sma_fast: Ref
    sma_slow: Ref
    high_n: Ref
    low_n: Ref
    levels: tuple[Ref, ...]  # highest price first
    chg_1w: float = NAN  # change over 5 sessions, %
    chg_1m: float = NAN  # over 21 sessions, %
    chg_ytd: float = NAN  # since the previous year's last close, %
    rs: tuple[Spread, ...] = ()  # the lead's spread against each peer; () for other symbols
    record: Ref = Ref(NAN, NAN)  # the all-time high of the loaded history (and the last against it)
    record_day: date | None = None  # the session it was set
    ma_gap: float = NAN  # SMA fast - SMA slow, in % of SMA slow
    ma_gap_change: float = NAN  # its change over ``gap_sessions`` sessions, in points
    gap_sessions: int = GAP_SESSIONS


def all_time_high(sym: SymbolState) -> tuple[float, date | None]:
    """(the highest high of the loaded history and its session): the committed sessions'
    record, or the forming session's high when it is above it."""
    records = sym.records
    if sym.session is not None and known(sym.day_high) and not sym.day_high <= records.high:
        return sym.day_high, sym.session
    return records.high, records.high_day


def readout(sym: SymbolState, config: Config, name: str, symbols: Mapping[str, SymbolState] | None = None) -> Readout:
    """The readout of ``sym``: each reference with the last price against it; ``symbols`` (the
    state's) give the lead's spreads against its peers."""
    ind = sym.ind
    last = sym.last
    rules = config.rules

    def ref(value: float, label: str = "") -> Ref:
        return Ref(value, pct_from(last, value), label)

    levels = sorted(level_pairs(config, sym.symbol), reverse=True)
    record, record_day = all_time_high(sym)
    gap, gap_change = ma_gap(sym)
    return Readout(
        symbol=sym.symbol,
        name=name,
        last=last,
        change_pct=sym.change_pct,
        rsi_period=rules.rsi_period,
        rsi=ind.rsi,
        rsi_overbought=rules.rsi_overbought,
        rsi_oversold=rules.rsi_oversold,
        macd=ind.macd,
        macd_signal=ind.macd_signal,
        macd_hist=ind.macd_hist,
        ma_fast=rules.ma_fast,
        ma_slow=rules.ma_slow,
        sma_fast=ref(ind.sma_fast),
        sma_slow=ref(ind.sma_slow),
        high_n=ref(ind.high_n),
        low_n=ref(ind.low_n),
        levels=tuple(ref(price, label) for price, label in levels),
        **performance(sym, config, symbols or {})._asdict(),
        record=ref(record),
        record_day=record_day,
        ma_gap=gap,
        ma_gap_change=gap_change,
    )


# ------------------------------------------------------------------------------------------
# The detail chart: which series, over which range. Widgets turn a ``ChartView`` into lines
# (styles, dashes, the title). A new series or overlay (a ratio, a zone band) is a new field
# of ``ChartView`` filled here.

SESSION_MINUTES = 390
RANGES = ("1D", "5D", "1M", "6M", "1Y", "5Y", "max")  # keys 1 to 7
RANGE_SESSIONS = {"5D": 5, "1M": 21, "6M": 126, "1Y": 252, "5Y": 1260, "max": None}
DAILY_RANGE = "1Y"  # the daily range shown first
NO_INTRADAY = "no intraday data: this replay has daily bars only (keys 2-7: daily ranges)"


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


def session_open(epoch: float) -> float:
    """09:30 New York of the day of ``epoch``."""
    return ny_epoch(datetime.fromtimestamp(epoch, NEW_YORK).date(), REGULAR_OPEN)


def intraday_closes(sym: SymbolState) -> list[float]:
    """The session's minute closes on a fixed 09:30-16:00 axis, held between prints."""
    bars = list(sym.intraday)
    if not bars:
        return []
    start = session_open(bars[0].start)
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


def daily_series(sym: SymbolState) -> tuple[list[float], list[float]]:
    """(closes, their times): committed daily closes plus the forming session's last price."""
    bars = list(sym.daily)
    closes = [bar.close for bar in bars]
    times = [bar.close_time for bar in bars]
    if sym.session is not None and known(sym.last):
        closes.append(sym.last)
        times.append(sym.last_time or (times[-1] + 86400 if times else 0.0))
    return closes, times


class Series(NamedTuple):
    """One chart series, oldest first (NaN = gap). ``kind`` says what it is: "price" (the main
    series, drawn first), "sma_fast", "sma_slow"; ``name`` is its legend."""

    values: list[float]
    kind: str
    name: str


class ChartView(NamedTuple):
    """What the detail chart shows: ``series`` (the price first), the ``levels`` as
    (price, label), the price's times (epoch seconds; None without a time axis) and what to say
    when there is nothing to draw; the ``zones`` as (low, high, label); ``baseline`` a reference
    line (the rotation chart's 100)."""

    symbol: str
    chart_range: str  # one of RANGES
    session: date | None  # the session a "1D" chart shows
    series: list[Series]
    levels: tuple[tuple[float, str], ...]
    times: list[float] | None
    empty: str = "no data yet"
    zones: tuple[tuple[float, float, str], ...] = ()
    baseline: float | None = None


def chart_view(sym: SymbolState, config: Config, chart_range: str, *, intraday: bool = True) -> ChartView:
    """The chart of ``sym`` for ``chart_range``: "1D" is the session's minutes on a 09:30-16:00
    axis, the others the last so many daily closes with the moving averages (computed over every
    kept close, so they start at the range's left edge); the symbol's levels as overlays."""
    levels = level_pairs(config, sym.symbol)
    zones = zone_triples(config, sym.symbol)
    rules = config.rules
    if chart_range == "1D":
        if not intraday:
            return ChartView(sym.symbol, chart_range, sym.session, [Series([], "price", "last")], levels, None, NO_INTRADAY, zones)
        values = intraday_closes(sym)
        start = session_open(sym.intraday[0].start) if values else 0.0
        times = [start + 60 * i for i in range(len(values))]
        return ChartView(sym.symbol, chart_range, sym.session, [Series(values, "price", "last")], levels, times, zones=zones)
    closes, times = daily_series(sym)
    series = [
        Series(closes, "price", "close"),
        Series(sma_series(closes, rules.ma_fast), "sma_fast", f"SMA{rules.ma_fast}"),
        Series(sma_series(closes, rules.ma_slow), "sma_slow", f"SMA{rules.ma_slow}"),
    ]
    keep = RANGE_SESSIONS.get(chart_range)
    if keep is not None:
        series = [s._replace(values=s.values[-keep:]) for s in series]
        times = times[-keep:]
    return ChartView(sym.symbol, chart_range, sym.session, series, levels, times, zones=zones)


ROTATION_BASE = 100.0


def rotation_view(symbols: Mapping[str, SymbolState], config: Config, chart_range: str, *, intraday: bool = True) -> ChartView:
    """The rotation chart: the divergence lead's close over each peer's (``[divergence]``), one
    series (kind "ratio", named after the peer) per watched peer, rebased to 100 at the start of
    ``chart_range`` ("1D": the session's minutes, the others the last so many sessions; see
    ``monitor.rotation``), with the 100 line as ``baseline``."""
    lead_name = config.divergence.lead
    lead = symbols.get(lead_name)
    peers = [symbols[name] for name in config.divergence.peers if name in symbols and name != lead_name]
    session = lead.session if lead is not None else None
    if lead is None or not peers:
        said = f"rotation: {lead_name} and a peer ({', '.join(config.divergence.peers)}) must be on the watchlist ([divergence] lead, peers)"
        return ChartView(lead_name, chart_range, session, [Series([], "ratio", "")], (), None, said, baseline=ROTATION_BASE)
    if chart_range == "1D":
        if not intraday:
            return ChartView(lead_name, chart_range, session, [Series([], "ratio", "")], (), None, NO_INTRADAY, baseline=ROTATION_BASE)
        minutes = intraday_closes(lead)
        series = []
        for peer in peers:
            theirs = intraday_closes(peer) if peer.session == lead.session else []
            theirs = (theirs + [NAN] * len(minutes))[: len(minutes)]
            series.append(Series(rebased_ratio(minutes, theirs), "ratio", peer.symbol))
        start = session_open(lead.intraday[0].start) if minutes else 0.0
        times = [start + 60 * i for i in range(len(minutes))]
        return ChartView(lead_name, chart_range, session, series, (), times, baseline=ROTATION_BASE)
    keep = RANGE_SESSIONS.get(chart_range)
    _, lines = rotation(lead, peers, keep)
    _, times = daily_series(lead)
    if keep is not None:
        times = times[-keep:]
    series = [Series(values, "ratio", name) for name, values in lines.items()]
    return ChartView(lead_name, chart_range, session, series, (), times, baseline=ROTATION_BASE)


# ------------------------------------------------------------------------------------------
# The status line


class MarketView(NamedTuple):
    """The cash market at one moment: open or not, the phase in words ("pre-market", "after
    hours", "holiday", "closed"; "open") and the epoch of its next change (close or open)."""

    is_open: bool
    phase: str
    next_change: float


PHASE_WORDS = {"open": "open", "pre": "pre-market", "post": "after hours", "holiday": "holiday"}


def market_view(status: MarketStatus) -> MarketView:
    return MarketView(status.is_open, PHASE_WORDS.get(status.phase.value, "closed"),
                      status.next_close if status.is_open else status.next_open)


class StatusInputs(NamedTuple):
    badge: str  # "DEMO · REPLAY", "REPLAY" or ""
    source: str  # stream | poll | replay
    feed: FeedStatus | None
    error: str  # a feed failure to show instead of the state
    market: MarketView | None  # None in a replay
    last_tick: float | None  # exchange time of the newest tick
    now: float  # the clock (wall clock live, data time in replay)
    replay: bool
    paused: bool = False
    note: str = ""  # e.g. "loading history"
    unread: int = 0  # alerts not yet marked read (key r)
    futures: bool = False  # rows show their index future's change (cash market closed)
    speed: str = ""  # a replay's speed: "×9,600" or "max"


# ------------------------------------------------------------------------------------------
# What the dialogs edit: the config as the raw values of its file, checked by the file's own
# validation (``config_from_data``), so a dialog accepts exactly what the file accepts.


def config_data(config: Config) -> dict[str, Any]:
    """The config as the parsed-TOML dict the validator reads (secrets kept: memory only)."""
    return tomllib.loads(config_to_toml(config, hide_secrets=False))


def validate(
    config: Config, levels: list[dict[str, Any]], rules: dict[str, Any], zones: list[dict[str, Any]] | None = None
) -> tuple[Config | None, list[str]]:
    """``config`` with ``levels`` (the whole [[levels]] list), ``zones`` (the whole [[zones]]
    list; None: unchanged) and ``rules`` (changed keys) as raw TOML values; returns (new config,
    []) or (None, problems as "key: what")."""
    data = config_data(config)
    data["levels"] = levels
    if zones is not None:
        data["zones"] = zones
    data.setdefault("rules", {}).update(rules)
    problems = Problems("thresholds", "")
    new = config_from_data(data, problems)
    if problems.items:
        return None, [item.removeprefix("thresholds: ") for item in problems.items]
    return replace(new, path=config.path), []
