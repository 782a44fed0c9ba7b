"""The replay file format: CSV history <-> ``Series`` (bars) <-> tick batches.

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

import gc
import math
import os
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain, compress, count, groupby, repeat
from operator import add, ge, getitem, lt, ne
from pathlib import Path

from monitor.bars import SessionDays, ny_day_epoch, ny_day_epochs
from monitor.errors import UserError
from monitor.model import NEW_YORK, BarExtremes, Tick, tick_time

PRICE_COLUMNS = ("open", "high", "low", "close")
IGNORED_COLUMNS = ("adj close",)  # Yahoo's export: a dividend-adjusted close, not a traded price
# Daily bar ticks: 09:30, 11:00, 14:00 and 16:00 as seconds after 09:30 (DST changes at 02:00).
DAILY_OFFSETS = (0.0, 5400.0, 16200.0, 23400.0)
OPEN_SECONDS = 9.5 * 3600  # 09:30
DEFAULT_STEP = 60.0  # the bar length of an intraday file with one row (no spacing to measure)


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
    if None in times:  # dates no file had before: parse those, as a column
        new = [text for t, text in zip(times, texts) if t is None]
        days = list(map(date.fromisoformat, new))  # ValueError: the careful path parses the file
        _open_epochs.update(zip(new, ny_day_epochs(days, OPEN_SECONDS)))
        times = list(map(_open_epochs.__getitem__, texts))
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
    report what is wrong with it (a blank line too: the careful path skips those).

    The lines are split in one go with a ``"\n"`` field between two lines: no line holds a line
    break, so every line has ``columns`` fields exactly when every ``columns + 1``-th field is
    such a separator (cheaper than counting each line's commas, which cost as much as parsing a
    price column)."""
    width = columns + 1
    fields = ",\n,".join(body).split(",")
    if len(fields) != len(body) * width - 1 or fields[columns::width].count("\n") != len(body) - 1:
        return None
    volume = picks[4]
    try:
        times = _times(fields[0::width], parse_time)
        opens, highs, lows, closes = (list(map(float, fields[i::width])) for i in picks[:4])
        volumes = _volumes(fields[volume::width]) if volume is not None else [None] * len(body)
    except ValueError:
        return None
    total = sum(opens) + sum(highs) + sum(lows) + sum(closes) + sum(filter(None, volumes))
    if total - total != 0.0 or any(map(lt, highs, lows)) or not all(map(lt, times, times[1:])):
        return None  # a non-finite number, high below low, or times not increasing
    if not min(min(opens), min(lows), min(closes)) > 0.0:
        return None  # a price of 0 or less
    return list(zip(times, opens, highs, lows, closes, volumes))


def _volumes(texts: list[str]) -> list[float | None]:
    """A volume column: an empty cell is no volume (None), as the backfill's cache writes an
    index's missing volumes."""
    if "" not in texts:
        return list(map(float, texts))
    return [float(text) if text.strip() else None for text in texts]


class BadRow(UserError):
    """A file's first bad row (``file:line: column: what``); ``rows`` are the sound rows before
    it, which the backfill keeps of a damaged cache."""

    def __init__(self, message: str, rows: list) -> None:
        super().__init__(message)
        self.rows = rows


def _checked_rows(path: Path, header: tuple, body: list[str], parse_time: Callable[[str], float], picks: Picks) -> list:
    """Row by row, raising ``BadRow("file:line: column: what")`` at the first bad row."""
    rows: list[tuple[float, float, float, float, float, float | None]] = []
    try:
        _check_rows_into(rows, path, header, body, parse_time, picks)
    except UserError as exc:
        raise BadRow(str(exc), rows) from None
    return rows


def _check_rows_into(rows: list, path: Path, header: tuple, body: list[str], parse_time: Callable[[str], float], picks: Picks) -> None:
    columns = len(header)
    io, ih, il, ic, iv = picks
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
        if not min(o, h, l, c) > 0.0:  # the study divides by closes; live prices are positive too
            index = next(i for i, value in zip((io, ih, il, ic), (o, h, l, c)) if not value > 0.0)
            raise UserError(f"{path}:{number}: {header[index]}: expected a price above 0, got {parts[index].strip()}")
        if h < l:
            raise UserError(f"{path}:{number}: high: {parts[ih].strip()} is below low {parts[il].strip()}")
        if bar_time <= previous:
            raise UserError(f"{path}:{number}: {header[0]}: {parts[0].strip()} is not after the previous row's")
        previous = bar_time
        append((bar_time, o, h, l, c, volume))


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
    ``BarExtremes``. The ticks are plain tuples of ``Tick``'s fields (see ``Tick`` why)."""
    if all(series.kind == "daily" for series in series_list):
        return _daily_batches(series_list)
    return _mixed_batches(series_list)


def _mixed_batches(series_list: Sequence[Series]) -> Iterator[list[Tick]]:
    """Intraday files (and daily ones beside them): every tick sorted by time, then grouped."""
    per_series = [_series_ticks(series) for series in series_list if series.rows]
    extreme_times = {
        row[0] + offset for series in series_list if series.kind == "daily" for row in series.rows for offset in DAILY_OFFSETS[1:3]
    }
    if len(per_series) == 1:
        for tick in per_series[0]:
            yield BarExtremes((tick,)) if tick_time(tick) in extreme_times else [tick]
        return
    ticks = [tick for ticks in per_series for tick in ticks]
    ticks.sort(key=tick_time)  # stable: equal times keep the files' order
    for t, batch in groupby(ticks, key=tick_time):
        yield BarExtremes(batch) if t in extreme_times else list(batch)


def _daily_batches(series_list: Sequence[Series]) -> Iterator[list[Tick]]:
    """Daily files only: the four tick times of a date are the same for every file and never
    overlap another date's, so each date yields four batches: its opens, first extremes, second
    extremes and closes, each in the order the files were given.

    Built column-wise, a stretch of dates at a time (C-level loops: this runs per tick). Over a
    stretch (``_date_stretches``) the same files have a bar at every date, so the n-th batch of a
    lane is the n-th tick of each of those files' lane: ``zip`` over their tick columns."""
    files = [(series.symbol, tuple(zip(*series.rows))) for series in series_list if series.rows]
    if not files:
        return iter(())
    stretches = _date_stretches([columns[0] for _, columns in files])
    return chain.from_iterable(_stretch_batches(files, stretch) for stretch in stretches)


STRETCH_DATES = 1024  # at most so many dates' ticks exist at once (memory stays bounded)


def _date_stretches(file_times: list[tuple[float, ...]]) -> list[tuple[int, list[tuple[int, int]]]]:
    """The stretches (length, [(file, its first row)]) of the files' merged bar times over which
    the same files have a bar at every date, in time order, at most ``STRETCH_DATES`` long.

    Each step starts at the earliest date any file has left: the files that have it run together
    as long as their times agree (a slice comparison; the date cache gives equal dates one float,
    so it compares identities) and end before the next date of a file that has not joined (a
    bisection): a few steps for a whole history, where a file starts, ends or skips a date
    another one has (a holiday of one index only)."""
    rows = [0] * len(file_times)
    stretches: list[tuple[int, list[tuple[int, int]]]] = []
    while True:
        heads = [(times[row], f) for f, (times, row) in enumerate(zip(file_times, rows)) if row < len(times)]
        if not heads:
            return stretches
        day = min(heads)[0]
        present = [f for t, f in heads if t == day]
        first = present[0]
        times, start = file_times[first], rows[first]
        # the first file's run: up to the next date of a file without this one, ...
        n = bisect_left(times, min((t for t, _ in heads if t != day), default=math.inf), start) - start
        for f in present[1:]:  # ... and while every file with it has the same dates
            n = min(n, len(file_times[f]) - rows[f])
            mine, theirs = times[start:start + n], file_times[f][rows[f]:rows[f] + n]
            if mine != theirs:
                n = next(compress(count(), map(ne, mine, theirs)))
        for piece in range(0, n, STRETCH_DATES):
            stretches.append((min(STRETCH_DATES, n - piece), [(f, rows[f] + piece) for f in present]))
        for f in present:
            rows[f] += n


def _stretch_batches(files: list[tuple[str, tuple]], stretch: tuple[int, list[tuple[int, int]]]) -> list[list[Tick]]:
    """The four batches of each date of one stretch, in time order."""
    n, present = stretch
    first, row = present[0]
    bar_times = files[first][1][0][row:row + n]
    lane_times = [list(map(add, bar_times, repeat(offset))) for offset in DAILY_OFFSETS]
    lanes = [
        _bar_ticks(files[f][0], lane_times, *(column[row:row + n] for column in files[f][1][1:]))
        for f, row in present
    ]
    batches: list[list[Tick]] = [None] * (4 * n)  # type: ignore[list-item]
    for lane, make in enumerate((list, BarExtremes, BarExtremes, list)):
        batches[lane::4] = map(make, zip(*(ticks[lane] for ticks in lanes)))
    return batches


def _bar_ticks(symbol: str, lane_times: Sequence[Sequence[float]], opens: Sequence[float], highs: Sequence[float],
               lows: Sequence[float], closes: Sequence[float], volumes: Sequence[float | None]) -> list[list[Tick]]:
    """One file's bars as four lanes of ticks at ``lane_times``: the opens, the first and the
    second extremes (low then high when close >= open, else high then low: ``bar_tick_prices``)
    and the closes, which carry ``volumes``. Column-wise (C-level loops: this runs per tick)."""
    rising = list(map(ge, closes, opens))
    first = map(getitem, zip(highs, lows), rising)  # rising (True, index 1): the low first
    second = map(getitem, zip(lows, highs), rising)
    symbols, none = repeat(symbol), repeat(None)
    return [
        list(zip(symbols, times, prices, lane_volumes, none))  # plain tuples: see ``Tick``
        for times, prices, lane_volumes in zip(lane_times, (opens, first, second, closes), (none, none, none, volumes))
    ]


def _series_ticks(series: Series) -> list[Tick]:
    """One file's ticks in time order."""
    times, opens, highs, lows, closes, volumes = zip(*series.rows)
    if series.kind != "daily":
        volumes = _running_volumes(times, volumes)
    lane_times = [list(map(add, times, repeat(offset))) for offset in series.offsets]
    ticks: list[Tick] = [None] * (4 * len(times))  # type: ignore[list-item]
    for lane, lane_ticks in enumerate(_bar_ticks(series.symbol, lane_times, opens, highs, lows, closes, volumes)):
        ticks[lane::4] = lane_ticks
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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Replay allocates hundreds of thousands of small objects and creates no reference cycles;
    the cyclic garbage collector would only re-scan them (it doubled the tick generation time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()



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
