"""Replay CSV history through the live code path: ``market-monitor replay SYMBOL=PATH ...``.

Files are daily (``date,open,high,low,close[,volume]``) or intraday (``timestamp,open,high,low,
close[,volume]``, ISO 8601 with a UTC offset, each bar stamped at its start). Yahoo Finance's
own download (``Date,Open,High,Low,Close,Adj Close,Volume``) is read as it is: header names are
matched in any case and order after the first column, Adj Close is ignored (replay plays the
prices that traded) and Yahoo's all-``null`` rows (a day without data) are skipped. Each bar becomes
four ticks: a daily bar at 09:30 (open), 11:00 and 14:00 (the two extremes: low then high when
close >= open, else high then low) and 16:00 (close) New York time on its date; an intraday bar
at the same four points spread evenly inside the bar. The close tick carries the volume as live
ticks do: the session's volume so far. The ticks of all files are merged in time order, and
ticks sharing a timestamp form one batch for ``MarketState.apply``. A daily bar's 11:00 and 14:00
ticks are its own extremes, not prices seen together across symbols: their batches are
``BarExtremes``, which rules comparing symbols skip.

A PATH given without ``SYMBOL=`` takes its symbol from the file name's stem, uppercased
(``rut_daily.csv`` -> ``RUT_DAILY``); write ``^RUT=rut_daily.csv`` to get ``^RUT``'s levels and
the divergence rule of the config.

Nothing heavy is imported here: a headless replay is timed as a whole process.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import math
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby, repeat
from operator import ge, itemgetter, lt
from pathlib import Path
from typing import IO, TextIO

from monitor.bars import DailyBar, SessionDays, ny_day_epoch
from monitor.config import Config
from monitor.errors import UserError
from monitor.feeds.base import Feed, FeedEvent
from monitor.model import NEW_YORK, Alert, FeedState, FeedStatus, Tick
from monitor.state import BarExtremes, MarketState

PRICE_COLUMNS = ("open", "high", "low", "close")
IGNORED_COLUMNS = ("adj close",)  # Yahoo's export: a dividend-adjusted close, not a traded price
# Daily bar ticks: 09:30, 11:00, 14:00 and 16:00 as seconds after 09:30 (DST changes at 02:00).
DAILY_OFFSETS = (0.0, 5400.0, 16200.0, 23400.0)
OPEN_SECONDS = 9.5 * 3600  # 09:30
DEFAULT_STEP = 60.0  # the bar length of an intraday file with one row (no spacing to measure)
MAX_GAP = 3600.0  # paced replay: a longer gap in the data (night, weekend) counts as one hour
YIELD_EVERY = 256  # unpaced ReplayFeed: let the event loop run every so many batches

INDICATOR_COLUMNS = (
    "date", "symbol", "open", "high", "low", "close", "sma_fast", "sma_slow", "ema_fast", "ema_slow",
    "macd", "macd_signal", "macd_hist", "rsi", "high_n", "low_n",
)


def bar_tick_prices(o: float, h: float, l: float, c: float) -> tuple[float, float, float, float]:
    """The prices of a bar's four replay ticks: the open, the two extremes (low then high when
    close >= open, else high then low), the close. The hot paths below inline this rule."""
    return (o, l, h, c) if c >= o else (o, h, l, c)


def bar_ticks_with_range(o: float, h: float, l: float, c: float) -> list[tuple[float, float, float]]:
    """(price, running high, running low) of the forming bar after each of its four ticks."""
    out, hi, lo = [], o, o
    for price in bar_tick_prices(o, h, l, c):
        hi, lo = max(hi, price), min(lo, price)
        out.append((price, hi, lo))
    return out


@dataclass
class Series:
    """One loaded file. ``rows`` are (bar time, open, high, low, close, volume or None), where bar
    time is 09:30 New York on the date (daily) or the bar's start (intraday), epoch seconds;
    ``offsets`` are the four tick times relative to it."""

    symbol: str
    path: Path
    kind: str  # "daily" | "intraday"
    rows: list[tuple[float, float, float, float, float, float | None]]
    offsets: tuple[float, float, float, float]

    @property
    def ticks(self) -> int:
        return 4 * len(self.rows)


# --------------------------------------------------------------------------------------------
# Loading


_open_epochs: dict[str, float] = {}  # "YYYY-MM-DD" -> 09:30 New York that day (shared by files)


def _open_epoch(text: str) -> float:
    epoch = _open_epochs.get(text)
    if epoch is None:
        epoch = _open_epochs[text] = ny_day_epoch(date.fromisoformat(text.strip()), OPEN_SECONDS)
    return epoch


def _times(texts: list[str], parse_time: Callable[[str], float]) -> list[float]:
    """A column of dates (09:30 epochs from the shared cache) or timestamps."""
    if parse_time is not _open_epoch:
        return list(map(parse_time, texts))
    times = list(map(_open_epochs.get, texts))
    if None in times:  # dates no file had before: parse those
        times = [_open_epoch(text) if t is None else t for t, text in zip(times, texts)]
    return times  # type: ignore[return-value]


def _timestamp_epoch(text: str) -> float:
    when = datetime.fromisoformat(text.strip())
    if when.tzinfo is None:
        raise ValueError("no UTC offset")
    return when.timestamp()


def _number(text: str) -> float:
    value = float(text)
    if value - value != 0.0:  # inf or nan
        raise ValueError
    return value


def load_series(path: str | Path, symbol: str | None = None) -> Series:
    """Read a daily or intraday CSV. Any bad row raises ``UserError("file:line: column: what")``."""
    path = Path(path)
    symbol = symbol or path.stem.upper()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a CSV file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the CSV as UTF-8") from None
    lines = text.splitlines()
    kind, parse_time, header, picks = _layout(path, lines)
    body = lines[1:]
    rows = _fast_rows(body, len(header), parse_time, picks)
    if rows is None:
        rows = _checked_rows(path, header, body, parse_time, picks)
    if not rows:
        raise UserError(f"{path}: no data rows after the header")
    if kind == "daily":
        offsets = DAILY_OFFSETS
    else:
        step = _bar_step(rows)
        offsets = (0.0, step / 4, step / 2, step * 3 / 4)
    return Series(symbol, path, kind, rows, offsets)


Picks = tuple[int, int, int, int, int | None]  # column numbers of open, high, low, close, volume


def _layout(path: Path, lines: list[str]) -> tuple[str, Callable[[str], float], tuple[str, ...], Picks]:
    """From the header: the kind, the time parser, the column names and where the values are.
    The first column is ``date`` (daily) or ``timestamp`` (intraday); then open, high, low and
    close, and optionally volume and Adj Close, in any order and any case."""
    header = tuple(name.strip().lower() for name in lines[0].lstrip("\ufeff").split(",")) if lines else ()
    if header[:1] == ("date",):
        kind, parse_time = "daily", _open_epoch
    elif header[:1] == ("timestamp",):
        kind, parse_time = "intraday", _timestamp_epoch
    else:
        got = repr(lines[0][:80]) if lines else "an empty file"
        raise UserError(
            f"{path}:1: header: expected 'date,open,high,low,close[,volume]', "
            f"'timestamp,open,high,low,close[,volume]' or Yahoo's 'Date,Open,High,Low,Close,Adj Close,Volume', got {got}"
        )
    rest = header[1:]
    unexpected = [name for name in rest if name not in PRICE_COLUMNS + ("volume",) + IGNORED_COLUMNS]
    if unexpected:
        raise UserError(f"{path}:1: header: unexpected column(s) {','.join(unexpected)!r}")
    twice = sorted({name for name in rest if rest.count(name) > 1})
    if twice:
        raise UserError(f"{path}:1: header: column {twice[0]!r} appears twice")
    missing = [name for name in PRICE_COLUMNS if name not in rest]
    if missing:
        raise UserError(f"{path}:1: header: no {', '.join(repr(name) for name in missing)} column")
    o, h, l, c = (header.index(name) for name in PRICE_COLUMNS)
    return kind, parse_time, header, (o, h, l, c, header.index("volume") if "volume" in rest else None)


def _fast_rows(body: list[str], columns: int, parse_time: Callable[[str], float], picks: Picks) -> list | None:
    """Parse column by column at C speed; None when any row needs ``_checked_rows`` to find and
    report what is wrong with it (a blank line too: the careful path skips those)."""
    if set(map(str.count, body, repeat(","))) != {columns - 1}:
        return None
    fields = ",".join(body).split(",")
    volume = picks[4]
    try:
        times = _times(fields[0::columns], parse_time)
        opens, highs, lows, closes = (list(map(float, fields[i::columns])) for i in picks[:4])
        volumes = list(map(float, fields[volume::columns])) if volume is not None else [None] * len(body)
    except ValueError:
        return None
    total = sum(opens) + sum(highs) + sum(lows) + sum(closes) + (sum(volumes) if volume is not None else 0.0)
    if total - total != 0.0 or any(map(lt, highs, lows)) or not all(map(lt, times, times[1:])):
        return None  # a non-finite number, high below low, or times not increasing
    return list(zip(times, opens, highs, lows, closes, volumes))


def _checked_rows(path: Path, header: tuple, body: list[str], parse_time: Callable[[str], float], picks: Picks) -> list:
    """Row by row, raising ``UserError("file:line: column: what")`` at the first bad row."""
    columns = len(header)
    io, ih, il, ic, iv = picks
    rows: list[tuple[float, float, float, float, float, float | None]] = []
    append = rows.append
    previous = float("-inf")
    for number, line in enumerate(body, start=2):
        parts = line.split(",")
        if len(parts) != columns:
            if not line.strip():
                continue
            raise UserError(f"{path}:{number}: expected {columns} columns ({','.join(header)}), got {len(parts)}")
        if all(part.strip() == "null" for part in parts[1:]):
            continue  # Yahoo's export: a day without data
        try:
            bar_time = parse_time(parts[0])
            o, h, l, c = float(parts[io]), float(parts[ih]), float(parts[il]), float(parts[ic])
            volume = float(parts[iv]) if iv is not None and parts[iv].strip() else None
        except ValueError:
            raise _row_error(path, number, header, parts, parse_time, picks) from None
        total = o + h + l + c + (volume or 0.0)
        if total - total != 0.0:  # an inf or a nan somewhere
            raise _row_error(path, number, header, parts, parse_time, picks)
        if h < l:
            raise UserError(f"{path}:{number}: high: {parts[ih].strip()} is below low {parts[il].strip()}")
        if bar_time <= previous:
            raise UserError(f"{path}:{number}: {header[0]}: {parts[0].strip()} is not after the previous row's")
        previous = bar_time
        append((bar_time, o, h, l, c, volume))
    return rows


def _row_error(path: Path, number: int, header: tuple, parts: list[str], parse_time: Callable[[str], float], picks: Picks) -> UserError:
    """The first bad field of a row, as a located one-line error."""
    try:
        parse_time(parts[0])
    except ValueError:
        expected = "a date such as 2026-01-02" if header[0] == "date" else "an ISO 8601 time with offset such as 2026-01-02T09:30:00-05:00"
        return UserError(f"{path}:{number}: {header[0]}: expected {expected}, got {parts[0].strip()!r}")
    for index in sorted(i for i in picks if i is not None):
        text = parts[index].strip()
        if index == picks[4] and not text:
            continue
        try:
            _number(text)
        except ValueError:
            return UserError(f"{path}:{number}: {header[index]}: expected a finite number, got {text!r}")
    # Every field is a finite number, but their sum is not: the indicators would overflow too.
    return UserError(f"{path}:{number}: values too large (their sum overflows a float)")


def _bar_step(rows: list[tuple]) -> float:
    """An intraday file's bar length: the smallest gap between two bars (one row: a minute)."""
    gaps = [b[0] - a[0] for a, b in zip(rows, rows[1:])]
    return min(gaps) if gaps else DEFAULT_STEP


# --------------------------------------------------------------------------------------------
# Ticks


def replay_batches(series_list: Sequence[Series]) -> Iterator[list[Tick]]:
    """All files' ticks merged in time order; ticks sharing a timestamp form one batch (in the
    order the files were given). A batch holding a daily bar's 11:00 or 14:00 tick is a
    ``BarExtremes``."""
    if all(series.kind == "daily" for series in series_list):
        yield from _daily_batches(series_list)
        return
    per_series = [_series_ticks(series) for series in series_list if series.rows]
    extreme_times = {
        row[0] + offset for series in series_list if series.kind == "daily" for row in series.rows for offset in DAILY_OFFSETS[1:3]
    }
    if len(per_series) == 1:
        for tick in per_series[0]:
            yield BarExtremes((tick,)) if tick.time in extreme_times else [tick]
        return
    ticks = [tick for ticks in per_series for tick in ticks]
    ticks.sort(key=_time_of)  # stable: equal times keep the files' order
    for t, batch in groupby(ticks, key=_time_of):
        yield BarExtremes(batch) if t in extreme_times else list(batch)


def _daily_batches(series_list: Sequence[Series]) -> Iterator[list[Tick]]:
    """Daily files only: the four tick times of a date are the same for every file and never
    overlap another date's, so rows are merged by date and each date yields four batches."""
    rows_at: dict[float, list] = {}
    get = rows_at.get
    for series in series_list:
        symbol = series.symbol
        for row in series.rows:
            group = get(row[0])
            if group is None:
                rows_at[row[0]] = [(symbol, row)]
            else:
                group.append((symbol, row))
    make = tuple.__new__
    d0, d1, d2, d3 = DAILY_OFFSETS
    for bar_time in sorted(rows_at):
        group = rows_at.pop(bar_time)
        t1, t2 = bar_time + d1, bar_time + d2
        if len(group) == 1:
            symbol, (_, o, h, l, c, volume) = group[0]
            _, first, second, _ = bar_tick_prices(o, h, l, c)
            yield [make(Tick, (symbol, bar_time + d0, o, None, None))]
            yield BarExtremes((make(Tick, (symbol, t1, first, None, None)),))
            yield BarExtremes((make(Tick, (symbol, t2, second, None, None)),))
            yield [make(Tick, (symbol, bar_time + d3, c, volume, None))]
        else:
            yield [make(Tick, (symbol, bar_time + d0, row[1], None, None)) for symbol, row in group]
            yield BarExtremes([make(Tick, (symbol, t1, row[3] if row[4] >= row[1] else row[2], None, None)) for symbol, row in group])
            yield BarExtremes([make(Tick, (symbol, t2, row[2] if row[4] >= row[1] else row[3], None, None)) for symbol, row in group])
            yield [make(Tick, (symbol, bar_time + d3, row[4], row[5], None)) for symbol, row in group]


_time_of = itemgetter(1)


def _series_ticks(series: Series) -> list[Tick]:
    """One file's ticks in time order, built column-wise (C-level loops: this runs per tick)."""
    times, opens, highs, lows, closes, volumes = zip(*series.rows)
    if series.kind != "daily":
        volumes = _running_volumes(times, volumes)
    rising = list(map(ge, closes, opens))
    first = [low if up else high for up, high, low in zip(rising, highs, lows)]  # close >= open: low first
    second = [high if up else low for up, high, low in zip(rising, highs, lows)]
    symbol, none = repeat(series.symbol), repeat(None)
    ticks: list[Tick] = [None] * (4 * len(times))  # type: ignore[list-item]
    for lane, (offset, prices, lane_volumes) in enumerate(
        zip(series.offsets, (opens, first, second, closes), (none, none, none, volumes))
    ):
        lane_times = [t + offset for t in times]
        ticks[lane::4] = map(tuple.__new__, repeat(Tick), zip(symbol, lane_times, prices, lane_volumes, none))
    return ticks


def _running_volumes(times: Sequence[float], volumes: Sequence[float | None]) -> list[float | None]:
    """Intraday bar volumes as the session's running total: what a live tick carries."""
    days = SessionDays()
    out: list[float | None] = []
    session, total = None, None
    for t, volume in zip(times, volumes):
        day = days.lookup(t)[0]
        if day != session:
            session, total = day, None
        if volume is not None:
            total = volume if total is None else total + volume
        out.append(total)
    return out


MAX_WAIT = 0.25  # paced ReplayFeed: longest single sleep, so speed keys and pause act at once
MAX_SPEED = 10_000_000.0  # faster than this is "max" (as fast as possible)


class ReplayFeed(Feed):
    """Replayed files as a ``Feed`` (source "replay"). ``speed`` None plays as fast as possible
    (yielding to the event loop now and then); a number N plays N data seconds per second, with
    gaps longer than an hour (nights, weekends) counted as one hour.

    The app's replay keys use ``faster``, ``slower``, ``step_session``, ``play_to_end`` and
    ``paused``; they act within ``MAX_WAIT`` seconds, even in the middle of a long wait."""

    source = "replay"

    def __init__(
        self,
        series_list: Sequence[Series],
        speed: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self.series = list(series_list)
        self.speed = speed
        self.paused = False
        self._clock = clock
        self._sleep = sleep
        self._closed = False
        self._step = False  # step_session asked: play the next session, then pause
        self._step_until: float | None = None  # epoch at which the stepped session is done

    # --- controls ------------------------------------------------------------------------------

    def faster(self) -> None:
        """Twice the speed; past ``MAX_SPEED``, as fast as possible."""
        if self.speed is not None:
            self.speed = None if self.speed * 2 > MAX_SPEED else self.speed * 2

    def slower(self) -> None:
        """Half the speed (at least 1x, real time); from "max", ``MAX_SPEED``."""
        self.speed = MAX_SPEED if self.speed is None else max(1.0, self.speed / 2)

    def step_session(self) -> None:
        """Play the next session at once, then pause (pauses a playing replay first)."""
        self._step = True
        self.paused = True

    def play_to_end(self) -> None:
        """Everything left, as fast as possible."""
        self.speed = None
        self._step, self._step_until = False, None
        self.paused = False

    # --- events --------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[FeedEvent]:
        import asyncio  # here, not at module level: a headless replay never needs it

        sleep = self._sleep or asyncio.sleep
        yield FeedStatus(FeedState.REPLAY, self.source, time.time(), _describe(self.series))
        previous: float | None = None
        due = self._clock()
        days = SessionDays()
        for count, batch in enumerate(replay_batches(self.series)):
            t = batch[0].time
            if self._step_until is not None and t >= self._step_until:  # the stepped session is done
                self._step_until, self.paused = None, True
            if self.speed is None or self._step_until is not None:
                if not count % YIELD_EVERY:
                    await asyncio.sleep(0)
            elif previous is not None:
                due += min(t - previous, MAX_GAP) / self.speed
                due = await self._wait(due, sleep)
            # Checked after the pacing wait too: a pause pressed during it holds this batch.
            while self.paused and not self._closed:
                if self._step:  # play this batch's session unpaced, pause at the next one
                    self._step, self.paused = False, False
                    self._step_until = days.lookup(t)[2]
                    break
                await sleep(0.1)
                due = self._clock()
            if self._closed:
                return
            previous = t
            yield batch
        yield FeedStatus(FeedState.ENDED, self.source, time.time(), "end of replay data")

    async def _wait(self, due: float, sleep: Callable[[float], Awaitable[object]]) -> float:
        """Sleep until ``due`` in slices of at most ``MAX_WAIT``; a speed change meanwhile
        rescales what is left of the wait, a pause or a step ends it. Returns the due time."""
        speed = self.speed
        # Counted down by the clock and by the slices asked for: a sleep that returns early
        # (a stand-in that does not wait) still ends the wait.
        left = due - self._clock()
        while not (self.paused or self._closed or self.speed is None):
            if self.speed != speed:
                left *= speed / self.speed
                due = self._clock() + (due - self._clock()) * speed / self.speed
                speed = self.speed
            delay = min(due - self._clock(), left)
            if delay <= 0:
                break
            step = min(delay, MAX_WAIT)
            await sleep(step)
            left -= step
        return due

    async def aclose(self) -> None:
        self._closed = True


def _describe(series_list: Sequence[Series]) -> str:
    return ", ".join(f"{s.symbol} from {s.path.name}" for s in series_list)


# --------------------------------------------------------------------------------------------
# Outputs


class IndicatorsCsv:
    """``--indicators-csv``: one row per committed daily bar per symbol (a bar listener).

    It refuses to overwrite one of the replayed ``inputs``; a write error (disk full) is a
    one-line ``UserError`` naming the file."""

    def __init__(self, path: str | Path, state: MarketState, inputs: Iterable[Path] = ()) -> None:
        self.path = Path(path)
        self.state = state
        if any(_same_file(self.path, source) for source in inputs):
            raise UserError(f"{self.path}: is one of the replayed files; write the indicators CSV elsewhere")
        try:
            self.file: IO[str] = open(self.path, "w", encoding="utf-8", newline="")
            self.file.write(",".join(INDICATOR_COLUMNS) + "\n")
        except OSError as exc:
            raise self._error(exc) from None
        self.rows = 0
        state.bar_listeners.append(self.on_bar)

    def _error(self, exc: OSError) -> UserError:
        return UserError(f"{self.path}: cannot write the indicators CSV: {exc.strerror or exc}", exit_code=1)

    def on_bar(self, symbol: str, bar: DailyBar) -> None:
        ind = self.state.symbols[symbol].ind
        values = (
            bar.open, bar.high, bar.low, bar.close, ind.sma_fast, ind.sma_slow, ind.ema_fast, ind.ema_slow,
            ind.macd, ind.macd_signal, ind.macd_hist, ind.rsi, ind.high_n, ind.low_n,
        )
        cells = ",".join("" if v != v else repr(v) for v in values)
        try:
            self.file.write(f"{bar.day.isoformat()},{symbol},{cells}\n")
        except OSError as exc:
            raise self._error(exc) from None
        self.rows += 1

    def close(self) -> None:
        try:
            self.file.close()
        except OSError as exc:
            raise self._error(exc) from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # ``a`` does not exist yet
        return False


class TimeOrderedOutput:
    """Holds alerts until no later-applied data can produce an earlier one, then writes them.

    Bar-close alerts are stamped with the session close, which a later batch can report after
    ticks stamped past the close (an early close, a closing print bar). ``release(upto)`` writes
    every held alert at or before ``upto``."""

    def __init__(self, write: Callable[[Alert], None]) -> None:
        self._write = write
        self.heap: list[tuple[float, int, Alert]] = []  # held alerts; empty almost always
        self._seq = 0
        self.count = 0

    def add(self, alerts: Iterable[Alert]) -> None:
        """Hold ``alerts`` until ``release``."""
        for alert in alerts:
            self._seq += 1
            heapq.heappush(self.heap, (alert.time, self._seq, alert))

    def put(self, alerts: list[Alert], upto: float) -> None:
        """``add`` then ``release(upto)``; time-ordered alerts pass straight through when nothing
        is held and none is later than ``upto`` (almost always)."""
        if not self.heap and alerts[-1].time <= upto:
            write = self._write
            for alert in alerts:
                write(alert)
            self.count += len(alerts)
        else:
            self.add(alerts)
            self.release(upto)

    def release(self, upto: float = float("inf")) -> None:
        heap = self.heap
        while heap and heap[0][0] <= upto:
            self._write(heapq.heappop(heap)[2])
            self.count += 1


def _notifier(config: Config, err: TextIO) -> tuple[Callable[[Alert], None], Callable[[], None]]:
    """``--notify``: the policy gate and the ``[notify]`` sinks, as the live runner delivers
    (``delivery.Delivery``, without the alert history). Imported only when asked for. Bell and
    desktop notifications go to the terminal: stdout carries the JSON lines."""
    from monitor.delivery import Delivery, terminal_writer

    def on_error(sink: str, message: str) -> None:
        err.write(f"notify: {sink}: {message}\n")

    delivery = Delivery(config, terminal_write=terminal_writer(), on_error=on_error)

    def deliver(alert: Alert) -> None:
        delivery.handle((alert,))

    return deliver, delivery.close


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Replay allocates hundreds of thousands of small objects and creates no reference cycles;
    the cyclic garbage collector would only re-scan them (it doubled the tick generation time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_speed(text: str | None) -> float | None:
    """``--speed``: None or 'max' -> None (as fast as possible), else a factor above 0."""
    if text is None or text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = float("nan")
    if not (0 < speed < float("inf")):
        raise UserError(f"--speed: expected 'max' or a number above 0, got {text!r}")
    return speed


def parse_file_arg(arg: str) -> tuple[str | None, str]:
    """``SYMBOL=PATH`` -> (SYMBOL, PATH); a bare PATH -> (None, PATH)."""
    symbol, sep, path = arg.partition("=")
    if sep and symbol and path and "/" not in symbol and os.sep not in symbol:
        if any(ch.isspace() for ch in symbol):
            raise UserError(f"{arg}: the symbol before '=' must not contain spaces")
        return symbol, path
    return None, arg


def load_all(files: Sequence[str]) -> list[Series]:
    """Load every ``SYMBOL=PATH`` argument. One symbol may have several files (daily history, then
    intraday days) but not for overlapping times: their ticks would interleave into one bar."""
    loaded: dict[str, list[tuple[Series, str]]] = {}  # symbol -> its files and arguments
    series = []
    for arg in files:
        symbol, path = parse_file_arg(arg)
        one = load_series(path, symbol)
        series.append(one)
        loaded.setdefault(one.symbol, []).append((one, arg))
    for symbol, entries in loaded.items():
        entries.sort(key=lambda entry: entry[0].rows[0][0])
        for (before, before_arg), (after, after_arg) in zip(entries, entries[1:]):
            if after.rows[0][0] <= before.rows[-1][0] + before.offsets[-1]:
                raise UserError(
                    f"{after_arg}: overlaps {before_arg} in time, both as {symbol}; give a symbol "
                    f"several files only for separate periods (SYMBOL=PATH names a file's symbol)"
                )
    return series


# --------------------------------------------------------------------------------------------
# Where a replay in the app starts


PLAY_LAST_DAYS = 365  # a long replay opens this long before its end; what is before is history
LONG_REPLAY_DAYS = 400  # files spanning more than this are "long"


def replayed_symbols(series_list: Sequence[Series]) -> tuple[str, ...]:
    """The symbols of the replayed files, in the order given (one per symbol)."""
    return tuple(dict.fromkeys(series.symbol for series in series_list))


def split_at(series_list: Sequence[Series], cut: float) -> tuple[list[Series], list[Series]]:
    """(history, rest): each file's rows before the epoch ``cut`` and from it on."""
    from dataclasses import replace

    before = [replace(s, rows=[r for r in s.rows if r[0] < cut]) for s in series_list]
    after = [replace(s, rows=[r for r in s.rows if r[0] >= cut]) for s in series_list]
    return before, after


def share_cut(series_list: Sequence[Series], share: float) -> float:
    """The start of the session after the first ``share`` of all the files' sessions."""
    sessions = sorted({row[0] for s in series_list for row in s.rows})
    return sessions[min(len(sessions) - 1, int(len(sessions) * share))] if sessions else 0.0


def default_cut(series_list: Sequence[Series]) -> float | None:
    """Where a replay opened in the app starts without ``--from``: a year before the end of a
    long replay (what is before is history), else None (the whole replay plays)."""
    first = min((s.rows[0][0] for s in series_list if s.rows), default=None)
    last = max((s.rows[-1][0] for s in series_list if s.rows), default=None)
    if first is None or last is None or last - first <= LONG_REPLAY_DAYS * 86400:
        return None
    return last - PLAY_LAST_DAYS * 86400


def parse_from(text: str, series_list: Sequence[Series]) -> float:
    """``--from DATE``: the epoch of midnight New York on DATE, which must leave something to play."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--from: expected a date such as 2025-01-02, got {text!r}") from None
    cut = ny_day_epoch(day, 0.0)
    last = max((s.rows[-1][0] for s in series_list if s.rows), default=None)
    if last is not None and cut > last:
        end = datetime.fromtimestamp(last, NEW_YORK).date().isoformat()
        raise UserError(f"--from {day.isoformat()}: the files end on {end}, nothing would be left to play")
    return cut


DEMO_FILES = (("^RUT", "rut.csv"), ("^GSPC", "spx.csv"), ("^NDX", "ndx.csv"))


def demo_series() -> list[Series]:
    """The shipped demo data (package data monitor/data/*.csv) as replay series."""
    from importlib import resources

    folder = resources.files("monitor") / "data"
    return [load_series(str(folder / name), symbol) for symbol, name in DEMO_FILES]


def run_replay_command(args: argparse.Namespace, open_app: Callable[[argparse.Namespace, Config, list[Series]], int]) -> int:
    """``market-monitor replay``: headless (JSON alerts on stdout) or in the app, which the front
    end passes as ``open_app`` (the core never imports the Textual front end)."""
    from monitor.paths import load_effective_config

    speed = parse_speed(args.speed)
    config = load_effective_config(args.config)
    with _gc_paused():
        series = load_all(args.files)
    if not args.headless:
        if args.indicators_csv:
            raise UserError("--indicators-csv is written by a headless replay; add --headless")
        if getattr(args, "from_date", None):
            parse_from(args.from_date, series)  # a bad date is said before the app opens
        return open_app(args, config, series)
    if getattr(args, "from_date", None):
        raise UserError("--from sets where the app starts playing; a headless replay prints every alert (drop --from)")
    return run_headless_replay(
        config, series, speed=speed, indicators_csv=args.indicators_csv, notify=args.notify
    )


def run_headless_replay(
    config: Config,
    series: Sequence[Series],
    *,
    speed: float | None = None,
    indicators_csv: str | None = None,
    notify: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    on_alert: Callable[[Alert], None] | None = None,
    on_bar: Callable[[str, DailyBar], None] | None = None,
) -> int:
    """Replay ``series``: one JSON alert per line on ``out`` in time order, a summary on ``err``.

    ``on_alert`` takes each alert instead of ``out`` (the same alerts in the same order);
    ``on_bar`` is told every committed daily bar (``monitor.study`` reads both).

    When the reader of ``out`` goes away (``| head -1``) the replay stops with ``BrokenPipeError``
    (the CLI exits 0 quietly), except that an indicators CSV is still written to the end."""
    out = out or sys.stdout
    err = err or sys.stderr
    if out is None and on_alert is None:
        raise UserError("stdout is closed: the alerts have nowhere to go (redirect it, e.g. >/dev/null)")
    started = time.perf_counter()
    state = MarketState(config, "replay")
    if on_bar is not None:
        state.bar_listeners.append(on_bar)
    csv_out = IndicatorsCsv(indicators_csv, state, [s.path for s in series]) if indicators_csv else None
    deliver, close_notify = _notifier(config, err) if notify else (None, lambda: None)
    reader_gone = False

    def write(alert: Alert) -> None:
        nonlocal reader_gone
        if not reader_gone:
            try:
                out.write(alert.to_json() + "\n")
            except BrokenPipeError:
                if csv_out is None:
                    raise
                reader_gone = True
            except OSError as exc:
                raise _output_error(exc) from None
        if deliver is not None:
            deliver(alert)

    pending = TimeOrderedOutput(write if on_alert is None else on_alert)
    settle = _settler(state, series, pending)
    try:
        with _gc_paused():
            if speed is None:
                apply = state.apply
                for batch in replay_batches(series):
                    alerts = apply(batch)
                    if alerts or pending.heap:
                        settle(alerts, batch[0].time)
            else:
                import asyncio

                asyncio.run(_paced(state, ReplayFeed(series, speed), pending, settle))
            pending.add(state.finish())
            pending.release()
    finally:
        if csv_out is not None:
            csv_out.close()
        close_notify()
    if not reader_gone and on_alert is None:
        try:
            out.flush()
        except BrokenPipeError:
            reader_gone = True
        except OSError as exc:
            raise _output_error(exc) from None
    elapsed = time.perf_counter() - started
    ticks = sum(s.ticks for s in series)
    err.write(
        f"replay: {ticks:,} ticks of {len({s.symbol for s in series})} symbol(s), "
        f"{pending.count:,} alerts in {elapsed:.2f} s"
        + (f"; indicators written to {csv_out.path} ({csv_out.rows:,} rows)" if csv_out else "")
        + "\n"
    )
    if reader_gone:
        raise BrokenPipeError  # after the summary: the CLI drops stdout so exit cannot fail on it
    return 0


def _output_error(exc: OSError) -> UserError:
    return UserError(f"stdout: cannot write the alerts: {exc.strerror or exc}", exit_code=1)


def _settler(
    state: MarketState, series: Sequence[Series], pending: TimeOrderedOutput
) -> Callable[[list[Alert], float], None]:
    """``settle(alerts, now)`` after a batch at data time ``now`` that fired ``alerts`` or while
    alerts are held: hand them to ``pending`` and write what can no longer be preceded.

    A symbol whose files have ended keeps its last bar forming until ``finish``, and that bar's
    close would hold back every later alert (``MarketState.settled_until``): a paced replay would
    print nothing more until the end. So once the data is past the New York day of a symbol's
    last tick, its bar is committed (the same bar, the same alerts, only written in time)."""
    days = SessionDays()
    last: dict[str, float] = {}
    for s in series:
        if s.rows:
            last[s.symbol] = max(last.get(s.symbol, -math.inf), s.rows[-1][0] + s.offsets[-1])
    ends = sorted((days.lookup(t)[2], symbol) for symbol, t in last.items())  # (end of that day, symbol)

    def settle(alerts: list[Alert], now: float) -> None:
        if ends and ends[0][0] <= now:
            done = [symbol for end, symbol in ends if end <= now]
            del ends[: len(done)]
            pending.add(state.finish(done))
        upto = state.settled_until(now)
        if alerts:
            pending.put(alerts, upto)
        else:
            pending.release(upto)

    return settle


async def _paced(
    state: MarketState, feed: ReplayFeed, pending: TimeOrderedOutput, settle: Callable[[list[Alert], float], None]
) -> None:
    async for event in feed.events():
        if isinstance(event, list):
            alerts = state.apply(event)
            if alerts or pending.heap:
                settle(alerts, event[0].time)
