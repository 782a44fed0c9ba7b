"""Index futures while the cash market is closed: their last prices and their prices at the
index's closes, kept apart from ``MarketState`` so no alert rule ever sees a futures tick.

``FuturesBoard.quote(index, now)`` is the future's change since the index's last close (the
last session whose close has passed at ``now``: Friday's on a Monday morning, and still
Friday's on the Tuesday after a Monday holiday). The future's price at a close is its last live
tick at or before that close; for closes the monitor did not see, the future's daily close from
the backfill.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import NamedTuple

from monitor.market_hours import MarketClock, session_close
from monitor.model import NEW_YORK, Tick


class FuturesQuote(NamedTuple):
    future: str  # its ticker, e.g. RTY=F
    last: float
    change: float  # since the index's last close
    change_pct: float
    since: date  # the session of that close


def _ny_date(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, NEW_YORK).date()


class FuturesBoard:
    """``futures`` maps a watched index to its future (``Config.watched_futures``)."""

    def __init__(self, futures: dict[str, str], market: MarketClock) -> None:
        self.market = market
        self.last: dict[str, tuple[float, float]] = {}  # future -> (time, price) of its newest tick
        self.at_close: dict[str, dict[date, float]] = {}  # future -> {session: price at its close}
        self._closed_session: tuple[int, date] | None = None  # (second, session): asked per row
        self.configure(futures)

    def configure(self, futures: dict[str, str]) -> None:
        self.futures = dict(futures)
        self.index_of = {future: index for index, future in self.futures.items()}

    def take(self, ticks: Sequence[Tick]) -> tuple[Sequence[Tick], set[str]]:
        """Keep the futures' ticks of a batch; returns the other ticks (for ``MarketState``)
        and the indices whose future moved."""
        index_of = self.index_of
        if not index_of or not any(tick.symbol in index_of for tick in ticks):
            return ticks, set()
        rest: list[Tick] = []
        moved: set[str] = set()
        for tick in ticks:
            index = index_of.get(tick.symbol)
            if index is None:
                rest.append(tick)
                continue
            self._price(tick.symbol, tick.time, tick.price)
            moved.add(index)
        return rest, moved

    def _price(self, future: str, when: float, price: float) -> None:
        newest = self.last.get(future)
        if newest is None or when >= newest[0]:
            self.last[future] = (when, price)
        day = _ny_date(when)
        if self.market.is_session(day) and when <= session_close(day):  # ticks come in time
            self.at_close.setdefault(future, {})[day] = price  # order: the last one before the close wins

    def learn_daily(self, symbol: str, rows: Iterable[tuple]) -> None:
        """A future's daily bars (backfill rows: bar time, open, high, low, close, ...): each
        close stands for its price at that day's close, unless a live tick said otherwise."""
        closes = self.at_close.setdefault(symbol, {})
        for row in rows:
            closes.setdefault(_ny_date(row[0]), row[4])

    def last_closed_session(self, now: float) -> date:
        second = int(now)
        if self._closed_session is None or self._closed_session[0] != second:
            self._closed_session = (second, self.market.last_closed_session(now))
        return self._closed_session[1]

    def quote(self, index: str, now: float) -> FuturesQuote | None:
        """The future of ``index`` against the index's last close; None without a future, a
        price of it, or its price at that close."""
        future = self.futures.get(index)
        newest = self.last.get(future) if future else None
        if newest is None:
            return None
        since = self.last_closed_session(now)
        reference = self.at_close.get(future, {}).get(since)
        if reference is None:
            return None
        last = newest[1]
        return FuturesQuote(future, last, last - reference, (last / reference - 1.0) * 100.0, since)
