"""Session bars: ticks become one daily bar per New York session date, plus 1-minute bars of the
current session for charts.

A tick belongs to the session of its America/New_York calendar date. The first tick of a date
opens that session's bar; later ticks of the same date revise its high, low and close. The bar is
committed (becomes a ``DailyBar``) by the first tick of a later date, by the end of replay data,
or, live, once the session's close time (``market_hours.session_close``, early closes included)
has passed. A tick of a date that is already committed (a late print) is ignored and counted.

Converting every tick with zoneinfo would dominate replay time, so ``SessionDays`` converts an
epoch once per New York day and keeps that day's epoch range; a tick inside the cached range
costs two float comparisons.

A tick's volume is the session's cumulative volume as of that print (what Yahoo streams as
``dayVolume``); a bar's volume is the largest one seen, None when no tick carried a volume. So a
missed or repeated print never miscounts it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import repeat
from operator import add, mul, sub
from typing import Generic, NamedTuple, TypeVar

from monitor.market_hours import session_close
from monitor.model import NEW_YORK
from monitor.ringbuffer import RingBuffer

NAN = float("nan")
DAILY_BARS_KEPT = 1300  # five years: the chart's 5Y range (SMA200 and the 52-week window need 252)
MINUTE_BARS_KEPT = 1440  # one full day of minutes (extended hours included)
PENDING_KEPT = 4096  # ticks held before they are folded into minute bars anyway
_PENDING_ITEMS = 2 * PENDING_KEPT  # their times and prices, interleaved in one list
CLOSES_SLACK = 256  # closes kept beyond DAILY_BARS_KEPT before the oldest are dropped in one go
_CLOSES_TRIMMED_AT = DAILY_BARS_KEPT + CLOSES_SLACK
FIRST_INDEX_KEPT = DAILY_BARS_KEPT  # values a ``FirstIndex`` maps before it starts over
_SPARSE_SPAN = 32  # days ``ny_day_epochs`` lays out per day given, at most, before it goes day by day


class DailyBar(NamedTuple):
    """One committed session. ``close_time`` is the session's close (epoch seconds), looked up
    when read: most bars never need it, and replay commits tens of thousands."""

    day: date
    open: float
    high: float
    low: float
    close: float
    volume: float | None

    @property
    def close_time(self) -> float:
        return session_close(self.day)


class MinuteBar(NamedTuple):
    """One minute of the latest session (``start`` is epoch seconds); replaced while it forms."""

    start: float
    open: float
    high: float
    low: float
    close: float


_make = tuple.__new__  # NamedTuple construction without the Python-level __new__ (per tick)
Bar = TypeVar("Bar", "DailyBar", "MinuteBar")


class BarRing(Generic[Bar]):
    """A bounded history of bars, oldest first, stored as rows of a ``RingBuffer``: reads like a
    bounded deque of bars (``len``, iteration, ``ring[i]``, ``ring[-1] = bar`` for the bar still
    forming) and gives each field as a zero-copy column (``column("close")``) for charts."""

    __slots__ = ("ring", "_encode", "_encode_columns", "_decode")

    def __init__(
        self,
        capacity: int,
        fields: tuple[str, ...],
        encode: Callable[[Bar], tuple],
        decode: Callable[[tuple], Bar],
        encode_columns: Callable[[list[tuple]], list] = list,
    ) -> None:
        """``encode`` a bar as a row of floats, ``decode`` it back; ``encode_columns`` does what
        ``encode`` does to a list of bars' fields given as columns (for ``extend``)."""
        self.ring = RingBuffer(capacity, fields)
        self._encode = encode
        self._encode_columns = encode_columns
        self._decode = decode

    @property
    def maxlen(self) -> int:
        return self.ring.capacity

    def __len__(self) -> int:
        return len(self.ring)

    def __bool__(self) -> bool:
        return len(self.ring) > 0

    def append(self, bar: Bar) -> None:
        self.ring.append(*self._encode(bar))

    def extend(self, bars: list[Bar]) -> None:
        bars = bars[-self.ring.capacity :]
        if bars:
            self.ring.extend_columns(self._encode_columns(list(zip(*bars))))

    def __getitem__(self, i: int) -> Bar:
        return self._decode(self.ring.row(i))

    def __setitem__(self, i: int, bar: Bar) -> None:
        """Only the newest bar can be replaced (it is still forming)."""
        if i != -1 and i != len(self.ring) - 1:
            raise IndexError("only the newest bar can be replaced")
        self.ring.replace_last(*self._encode(bar))

    def __iter__(self) -> Iterator[Bar]:
        return map(self._decode, self.ring.rows())

    def column(self, name: str) -> memoryview:
        return self.ring.column(name)

    def clear(self) -> None:
        self.ring.clear()


def _encode_daily(bar: "DailyBar") -> tuple:
    volume = bar.volume
    return (bar.day.toordinal(), bar.open, bar.high, bar.low, bar.close, NAN if volume is None else volume)


def _encode_daily_columns(columns: list[tuple]) -> list:
    """``_encode_daily`` column by column (in C but for missing volumes): a daily ring is
    written in bulk, the bars committed since it was last read (``SessionBars.daily``)."""
    days, o, h, l, c, volumes = columns
    if None in volumes:
        volumes = [NAN if volume is None else volume for volume in volumes]
    return [list(map(date.toordinal, days)), o, h, l, c, volumes]


def _decode_daily(row: tuple) -> "DailyBar":
    day, o, h, l, c, v = row
    return _make(DailyBar, (date.fromordinal(int(day)), o, h, l, c, None if v != v else v))


def daily_ring(capacity: int = 0) -> BarRing["DailyBar"]:
    """Committed daily bars; ``column("day")`` holds date ordinals, a missing volume is NaN."""
    return BarRing(capacity or DAILY_BARS_KEPT, ("day", *DailyBar._fields[1:]), _encode_daily, _decode_daily, _encode_daily_columns)


def _decode_minute(row: tuple) -> "MinuteBar":
    return _make(MinuteBar, row)


def minute_ring(capacity: int = 0) -> BarRing["MinuteBar"]:
    return BarRing(capacity or MINUTE_BARS_KEPT, MinuteBar._fields, tuple, _decode_minute)

_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
_DAY = 86400.0


def _utc_offset(day: date) -> float:
    """New York's UTC offset (seconds) at midnight starting ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).utcoffset().total_seconds()  # type: ignore[union-attr]


_months: dict[tuple[int, int], tuple[float, ...]] = {}


def midnight_offsets(year: int, month: int) -> tuple[float, ...]:
    """New York's UTC offsets at the midnights starting day 1 .. the 1st of the next month.
    Two zoneinfo calls per month (and a bisection for the day of a DST change), then cached; a
    midnight between two months is asked once (a cached neighbour month has it at its end)."""
    key = (year, month)
    offsets = _months.get(key)
    if offsets is None:
        first = date(year, month, 1)
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        days = (following - first).days
        before = _months.get((year - 1, 12) if month == 1 else (year, month - 1))
        after = _months.get((following.year, following.month))
        begin = before[-1] if before is not None else _utc_offset(first)
        end = after[0] if after is not None else _utc_offset(following)
        if begin == end:  # New York never changed its offset twice within a month
            offsets = (begin,) * (days + 1)
        else:  # the first midnight with the new offset: day 1 has the old one, the 1st after the new
            low, high = 0, days
            while high - low > 1:
                middle = (low + high) // 2
                if _utc_offset(first + timedelta(days=middle)) == end:
                    high = middle
                else:
                    low = middle
            offsets = (begin,) * high + (end,) * (days + 1 - high)
        _months[key] = offsets
    return offsets


def ny_day_epoch(day: date, seconds: float) -> float:
    """Epoch of ``seconds`` after midnight New York time on ``day``, for times of day after 03:00
    (US clocks change at 02:00, so the offset then is the next midnight's): 09:30 is 34200."""
    return ny_day_epochs((day,), seconds)[0]


def ny_day_epochs(days: Iterable[date], seconds: float) -> list[float]:
    """``ny_day_epoch`` of each of ``days`` (a daily file's dates), column-wise: C-level loops
    per day, the month offsets laid out by day once (``_offsets_by_day``).

    Days scattered over a span far longer than their count (a file's stray year, "0205" for
    "2025") are done one at a time, so the work follows the days given, not the days between."""
    ordinals = list(map(date.toordinal, days))
    if not ordinals:
        return []
    low, high = min(ordinals), max(ordinals)
    if high - low > _SPARSE_SPAN * len(ordinals) + 62:
        return [_ordinal_epochs([ordinal], ordinal, ordinal, seconds)[0] for ordinal in ordinals]
    return _ordinal_epochs(ordinals, low, high, seconds)


def _ordinal_epochs(ordinals: list[int], low: int, high: int, seconds: float) -> list[float]:
    """``ny_day_epochs`` of date ordinals between ``low`` and ``high``."""
    first, offsets = _offsets_by_day(low, high)
    # (ordinal - epoch) * day + seconds - offset, regrouped: every term is a whole number of
    # seconds well under 2**53, so the sum is exact whatever its order
    starts = list(map(sub, repeat(seconds - _EPOCH_ORDINAL * _DAY), offsets))
    return list(map(add, map(mul, ordinals, repeat(_DAY)), map(starts.__getitem__, map(sub, ordinals, repeat(first)))))


def _offsets_by_day(low: int, high: int) -> tuple[int, list[float]]:
    """(ordinal of the 1st of ``low``'s month, New York's UTC offset at the midnight ending each
    day from then to the ordinal ``high``): ``midnight_offsets`` of each month, end to end."""
    day = date.fromordinal(low)
    year, month = day.year, day.month
    end = date.fromordinal(high)
    offsets: list[float] = []
    while year < end.year or (year == end.year and month <= end.month):
        offsets += midnight_offsets(year, month)[1:]  # day d of the month: the midnight ending it
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(day.year, day.month, 1).toordinal(), offsets


class SessionDays:
    """Epoch -> New York session date, converting once per day (the last day is cached).

    A day's range comes from ``midnight_offsets`` of its month (kept for the next lookup: a
    replay looks up each of its dates in turn): plain arithmetic."""

    __slots__ = ("day", "start", "end", "_offset", "_month_first", "_month_offsets")

    def __init__(self) -> None:
        self.day: date | None = None
        self.start = 0.0
        self.end = 0.0  # empty range: the first lookup converts
        self._offset = -18000.0  # the UTC offset of the last day looked up: the next guess
        self._month_first = 0  # ordinal of the 1st of the month of ``_month_offsets``
        self._month_offsets: tuple[float, ...] = ()

    def lookup(self, t: float) -> tuple[date, float, float]:
        """(date, start of that NY day, start of the next NY day) for epoch ``t``."""
        if self.start <= t < self.end:
            return self.day, self.start, self.end  # type: ignore[return-value]
        ordinal = int((t + self._offset) // _DAY) + _EPOCH_ORDINAL  # a guess, at most a day off
        offsets = self._month_offsets
        for _ in range(3):
            i = ordinal - self._month_first
            if not 0 <= i < len(offsets) - 1:  # another month
                first = date.fromordinal(ordinal).replace(day=1)
                self._month_first = first.toordinal()
                self._month_offsets = offsets = midnight_offsets(first.year, first.month)
                i = ordinal - self._month_first
            midnight = (ordinal - _EPOCH_ORDINAL) * _DAY  # UTC: exact (whole seconds)
            start = midnight - offsets[i]
            if t < start:
                ordinal -= 1
                continue
            end = midnight + _DAY - offsets[i + 1]
            if t < end:
                break
            ordinal += 1
        self._offset = offsets[i]
        day = self.day = date.fromordinal(ordinal)
        self.start = start
        self.end = end
        return day, start, end


class FirstIndex:
    """``values.index(value, start)`` (-1 when absent) over a list that grows at its end, loses
    items at its start (``trim``) and may have its last item replaced (``replace_last``),
    answered from a dict of each value's first position instead of comparing every item
    before it.

    Why: ``extreme_origin`` asks for the earliest bar of its window that reached the window's
    extreme thousands of times a replay; that bar is usually a few sessions old, so scanning
    from the window's start compared ~28 floats per committed bar (~150 M instructions in the
    full replay), where indexing each value once is one ``dict.setdefault``, in C.

    ``_first`` maps each value to its first absolute position (counted from the first value
    ever appended) in ``[_from, _seen)``. It catches up with the appended values when asked,
    and starts over from the asked start when that start is before ``_from`` or it maps more
    than ``kept`` values (so it stays bounded). A value whose first position is
    before the asked start may recur after it: only then is the list scanned."""

    __slots__ = ("values", "_first", "_from", "_seen", "_dropped", "_kept")

    def __init__(self, kept: int = FIRST_INDEX_KEPT) -> None:
        self.values: list[float] = []  # appended to directly
        self._kept = kept
        self._first: dict[float, int] = {}
        self._from = self._seen = 0
        self._dropped = 0  # values trimmed so far: absolute position = list position + this

    def trim(self, k: int) -> None:
        """Drop the oldest ``k`` values."""
        del self.values[:k]
        self._dropped += k

    def replace_last(self, value: float) -> None:
        values = self.values
        last = self._dropped + len(values) - 1
        if self._from <= last < self._seen:  # mapped: forget it there, map the new value next time
            if self._first.get(values[-1]) == last:
                del self._first[values[-1]]
            self._seen = last
        values[-1] = value

    def index(self, value: float, start: int) -> int:
        """The first position of ``value`` at or after ``start`` (-1: none)."""
        values = self.values
        first = self._first
        dropped = self._dropped
        begin = dropped + start
        if begin < self._from or len(first) > self._kept:
            first.clear()
            self._from = self._seen = begin
        seen = self._seen if self._seen > dropped else dropped  # (values trimmed before mapped)
        end = dropped + len(values)
        if seen < end:
            deque(map(first.setdefault, values[seen - dropped :], range(seen, end)), 0)
            self._seen = end
        at = first.get(value, -1)
        if at >= begin:
            return at - dropped
        if at < 0:
            return -1
        try:  # its first position is before ``start``: it may recur after it
            return values.index(value, start)
        except ValueError:
            return -1


class SessionBars:
    """The daily bar forming for one symbol, its committed history and today's minute bars.

    Attributes read by the UI: ``session`` (date of the forming bar, None when none is forming),
    ``day_open/day_high/day_low/last``, ``prev_close`` (the close of the session before the latest
    one, NaN if none), ``daily`` (committed ``DailyBar``s, oldest first, bounded), ``intraday``
    (``MinuteBar``s of the latest session, bounded), ``late_ticks``.

    Both histories are ``BarRing``s (fixed-capacity ring buffers, zero-copy columns for charts),
    written lazily: minute bars are folded from the session's ticks when ``intraday`` is read (or
    every ``PENDING_KEPT`` ticks), committed daily bars are written to their ring when ``daily``
    is read (until then only the newest ``DAILY_BARS_KEPT`` are held: older ones would be
    overwritten in the ring anyway). A tick only appends its time and price and a commit one
    tuple to a list, so a headless replay that nobody watches pays almost nothing for the
    histories it never reads (it never writes the daily ring). ``close_and_base`` and
    ``extreme_origin`` read four lists kept beside the ring (committed closes, their dates, and
    the highs and lows of two ``FirstIndex``es).
    """

    __slots__ = (
        "symbol", "session", "last_day", "session_start", "session_end", "day_open",
        "day_high", "day_low", "day_volume", "last", "last_time", "last_received", "prev_close", "_daily",
        "_pending_daily", "_last_close", "_closes", "_close_days", "_high_index", "_low_index", "_intraday", "_folded", "_pending",
        "late_ticks",
    )

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.session: date | None = None
        self.last_day: date | None = None  # date of the newest session seen (forming or committed)
        self.session_start = 0.0  # NY day range of ``last_day``
        self.session_end = 0.0
        self.day_open = self.day_high = self.day_low = NAN
        self.day_volume: float | None = None
        self.last = NAN
        self.prev_close = NAN  # close of the committed session before the latest one
        self.last_time: float | None = None
        self.last_received: float | None = None
        self._daily = daily_ring()
        self._pending_daily: list[DailyBar] = []  # committed bars not written to the ring yet
        self._last_close = NAN  # close of the newest committed bar
        # Committed closes, oldest first (the newest DAILY_BARS_KEPT count), their dates, highs
        # and lows (``extreme_origin``). Lists, not ``array('d')``: an array converts each
        # appended float (through ``PyArg_Parse``) and makes a new float object per item read.
        self._closes: list[float] = []
        self._close_days: list[date] = []
        self._high_index = FirstIndex()  # the highs and lows, appended to its ``values``
        self._low_index = FirstIndex()
        self._intraday = minute_ring()
        self._folded = False  # ``_intraday`` holds bars (of the latest session)
        # Ticks of the session not folded into minute bars yet: time, price, time, price, ...
        # (one list, not two: a session opens with one allocation and a tick saves a lookup)
        self._pending: list[float] = []
        self.late_ticks = 0

    def open_session(self, day: date, start: float, end: float, t: float, price: float, volume: float | None) -> None:
        """Start the bar of ``day`` with its first tick (the previous bar must be committed)."""
        self.session = self.last_day = day
        self.session_start, self.session_end = start, end
        self.day_open = self.day_high = self.day_low = self.last = price
        self.day_volume = volume
        self.last_time = t
        self.prev_close = self._last_close
        if self._folded:  # (a replay that nobody watches never folds: no clear per session)
            self._intraday.clear()
            self._folded = False
        self._pending = [t, price]

    def revise(self, t: float, price: float, volume: float | None) -> None:
        """A later tick of the forming session: revise high, low and close."""
        if price > self.day_high:
            self.day_high = price
        elif price < self.day_low:
            self.day_low = price
        self.last = price
        self.last_time = t
        if volume is not None and (self.day_volume is None or volume > self.day_volume):
            self.day_volume = volume
        pending = self._pending
        pending.append(t)
        pending.append(price)
        if len(pending) >= _PENDING_ITEMS:
            self._fold_minutes()

    @property
    def daily(self) -> BarRing[DailyBar]:
        """The committed daily bars, oldest first (at most ``DAILY_BARS_KEPT``)."""
        if self._pending_daily:
            self._write_daily()
        return self._daily

    def _write_daily(self) -> None:
        self._daily.extend(self._pending_daily)
        self._pending_daily = []

    @property
    def intraday(self) -> BarRing[MinuteBar]:
        """The 1-minute bars of the latest session, oldest first (at most ``MINUTE_BARS_KEPT``)."""
        if self._pending:
            self._fold_minutes()
        return self._intraday

    def _fold_minutes(self) -> None:
        bars = self._intraday
        self._folded = True
        minute = bars[-1] if bars else None
        ticks = iter(self._pending)
        for t, price in zip(ticks, ticks):
            start = t - t % 60.0
            if minute is not None and minute[0] == start:
                high, low = minute[2], minute[3]
                minute = _make(MinuteBar, (start, minute[1], price if price > high else high, price if price < low else low, price))
                bars[-1] = minute
            else:
                minute = _make(MinuteBar, (start, price, price, price, price))
                bars.append(minute)
        self._pending = []

    def commit(self) -> DailyBar:
        """Close the forming bar and add it to ``daily``."""
        bar = _make(DailyBar, (self.session, self.day_open, self.day_high, self.day_low, self.last, self.day_volume))
        pending = self._pending_daily
        pending.append(bar)
        closes = self._closes
        closes.append(self.last)
        self._close_days.append(self.session)
        self._high_index.values.append(self.day_high)
        self._low_index.values.append(self.day_low)
        if len(closes) >= _CLOSES_TRIMMED_AT:
            del closes[:CLOSES_SLACK], self._close_days[:CLOSES_SLACK]
            self._high_index.trim(CLOSES_SLACK)
            self._low_index.trim(CLOSES_SLACK)
            # Never more unwritten bars than closes (both appended here, the bars emptied when
            # ``daily`` is read): bars older than the ring's capacity would be overwritten by the
            # newer ones when written, so they are dropped unwritten.
            del pending[:-DAILY_BARS_KEPT]
        self._last_close = self.last
        self.session = None
        self.session_end = self.session_start  # an empty range: any later tick is looked up
        return bar

    def revise_close(self, t: float, price: float) -> DailyBar:
        """A print of the committed latest session (the official close arriving after the
        commit): its close (and high or low) become ``price``; ``last`` follows."""
        daily = self.daily
        old = daily[-1]
        bar = _make(DailyBar, (old.day, old.open, max(old.high, price), min(old.low, price), price, old.volume))
        daily[-1] = bar
        self._closes[-1] = self._last_close = self.last = price
        self._high_index.replace_last(bar.high)
        self._low_index.replace_last(bar.low)
        self.day_high, self.day_low = bar.high, bar.low
        self.last_time = t
        return bar

    def close_and_base(self, day: date | None, n: int) -> tuple[float, float]:
        """(close at session ``day``, close ``n`` sessions before it) among the kept daily bars
        (the newest ``DAILY_BARS_KEPT``, as in ``daily``); NaN where not held. While ``day`` is
        forming, its close is the last price.

        Why not read ``daily``: relative strength asks this at every commit of its lead, for the
        lead and each peer. Two lists beside the ring (the committed closes and their dates,
        appended at each commit, trimmed every ``CLOSES_SLACK`` bars) answer it with a
        few item reads, so the ring stays written in bulk when read and no column view is made
        (a ring write plus two views cost several times the appends and reads)."""
        if day is None:
            return NAN, NAN
        closes = self._closes
        total = len(closes)
        size = total if total < DAILY_BARS_KEPT else DAILY_BARS_KEPT
        if self.session == day:
            return self.last, closes[total - n] if size >= n else NAN
        first = total - size  # the oldest kept close
        days = self._close_days
        i = total - 1
        while i >= first + n and days[i] > day:  # this symbol is ahead of ``day`` (its data goes on)
            i -= 1
        if i >= first and days[i] == day:
            return closes[i], closes[i - n] if i - n >= first else NAN
        return NAN, NAN

    def extreme_origin(self, window: int, value: float, high: bool) -> tuple[int, date | None]:
        """(sessions back, date) of the bar that set ``value``, the highest high (``high``) or
        lowest low of the last ``window`` committed bars: the earliest of them that reached it
        (a later bar only equalled it). The last committed bar is 1 session back. When that bar
        is no longer kept (a window longer than the kept ``DAILY_BARS_KEPT``), (window, None).

        Why the lists beside the ring: ``new_high`` asks this whenever a price passes the
        window's extreme (thousands of times in a long replay); the highs and lows are kept
        with the first position of each value (``FirstIndex``), where the ring would be written
        and a column copied to a list and scanned first."""
        if value != value:  # NaN reaches nothing (a dict or ``list.index`` matches the same NaN object)
            return window, None
        index = self._high_index if high else self._low_index
        total = len(index.values)
        i = index.index(value, total - min(window, total, DAILY_BARS_KEPT))
        if i < 0:
            return window, None
        return total - i, self._close_days[i]

    @property
    def close_time(self) -> float:
        """The session close of the latest session (forming or committed); 0.0 before any tick."""
        return session_close(self.last_day) if self.last_day is not None else 0.0

    def due(self, now: float) -> bool:
        """True when a bar is forming and its session close has passed."""
        return self.session is not None and now >= self.close_time
