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

Tick volume is the volume of that print (an increment); a bar's volume is their sum, None when
no tick carried a volume.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitor.market_hours import session_close
from monitor.model import NEW_YORK

DAILY_BARS_KEPT = 520  # about two years: SMA200 and the 52-week window need 252 or more
MINUTE_BARS_KEPT = 1440  # one full day of minutes (extended hours included)


@dataclass(frozen=True, slots=True)
class DailyBar:
    """One committed session. ``close_time`` is the session's close (epoch seconds)."""

    day: date
    open: float
    high: float
    low: float
    close: float
    volume: float | None
    close_time: float


class MinuteBar:
    """One minute of the current session, revised while the minute lasts. ``start`` is epoch."""

    __slots__ = ("start", "open", "high", "low", "close")

    def __init__(self, start: float, open: float, high: float, low: float, close: float) -> None:
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close

    def __repr__(self) -> str:
        return f"MinuteBar({self.start!r}, {self.open!r}, {self.high!r}, {self.low!r}, {self.close!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MinuteBar):
            return NotImplemented
        return (self.start, self.open, self.high, self.low, self.close) == (
            other.start,
            other.open,
            other.high,
            other.low,
            other.close,
        )


class SessionDays:
    """Epoch -> New York session date, converting once per day (the last day is cached)."""

    __slots__ = ("day", "start", "end", "close")

    def __init__(self) -> None:
        self.day: date | None = None
        self.start = 0.0
        self.end = 0.0  # empty range: the first lookup converts
        self.close = 0.0

    def lookup(self, t: float) -> tuple[date, float, float, float]:
        """(date, start of that NY day, start of the next NY day, session close) for epoch ``t``."""
        if not (self.start <= t < self.end):
            day = datetime.fromtimestamp(t, NEW_YORK).date()
            after = day + timedelta(days=1)
            self.day = day
            self.start = datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).timestamp()
            self.end = datetime(after.year, after.month, after.day, tzinfo=NEW_YORK).timestamp()
            self.close = session_close(day)
        return self.day, self.start, self.end, self.close  # type: ignore[return-value]


class SessionBars:
    """The daily bar forming for one symbol, its committed history and today's minute bars.

    Attributes read by the UI: ``session`` (date of the forming bar, None when none is forming),
    ``day_open/day_high/day_low/last``, ``daily`` (committed ``DailyBar``s, oldest first,
    bounded), ``intraday`` (``MinuteBar``s of the latest session, bounded), ``late_ticks``.
    """

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.session: date | None = None
        self.last_day: date | None = None  # date of the newest session seen (forming or committed)
        self.session_start = 0.0  # NY day range of ``last_day``
        self.session_end = 0.0
        self.close_time = 0.0  # session close of ``last_day``
        self.day_open = self.day_high = self.day_low = float("nan")
        self.day_volume: float | None = None
        self.last = float("nan")
        self.last_time: float | None = None
        self.last_received: float | None = None
        self.daily: deque[DailyBar] = deque(maxlen=DAILY_BARS_KEPT)
        self.intraday: deque[MinuteBar] = deque(maxlen=MINUTE_BARS_KEPT)
        self._minute: MinuteBar | None = None
        self.late_ticks = 0

    def open_session(self, day: date, start: float, end: float, close_time: float, t: float, price: float, volume: float | None) -> None:
        """Start the bar of ``day`` with its first tick (the previous bar must be committed)."""
        self.session = self.last_day = day
        self.session_start, self.session_end, self.close_time = start, end, close_time
        self.day_open = self.day_high = self.day_low = self.last = price
        self.day_volume = volume
        self.last_time = t
        self.intraday.clear()
        minute = MinuteBar(t - t % 60.0, price, price, price, price)
        self._minute = minute
        self.intraday.append(minute)

    def revise(self, t: float, price: float, volume: float | None) -> None:
        """A later tick of the forming session: revise high, low, close and the minute bar."""
        if price > self.day_high:
            self.day_high = price
        elif price < self.day_low:
            self.day_low = price
        self.last = price
        self.last_time = t
        if volume is not None:
            self.day_volume = volume if self.day_volume is None else self.day_volume + volume
        minute = self._minute
        start = t - t % 60.0
        if minute is not None and minute.start == start:
            if price > minute.high:
                minute.high = price
            elif price < minute.low:
                minute.low = price
            minute.close = price
        else:
            minute = MinuteBar(start, price, price, price, price)
            self._minute = minute
            self.intraday.append(minute)

    def commit(self) -> DailyBar:
        """Close the forming bar and add it to ``daily``."""
        bar = DailyBar(
            self.session,  # type: ignore[arg-type]
            self.day_open,
            self.day_high,
            self.day_low,
            self.last,
            self.day_volume,
            self.close_time,
        )
        self.daily.append(bar)
        self.session = None
        return bar

    def due(self, now: float) -> bool:
        """True when a bar is forming and its session close has passed."""
        return self.session is not None and now >= self.close_time
