"""The door: every tick from every feed (stream, poll, backfill, replay) passes ``Door.admit``
before ``MarketState`` sees it.

A tick is rejected when
- its time is not a representable epoch, or lies more than ``MAX_AHEAD`` seconds ahead of the
  moment it was received (a live tick's receive time; a backfill's load time);
- its time is older than the last tick let in for that symbol: a re-sent snapshot (Yahoo sends
  one on every subscribe) must not move the price, the forming bar or any alert. Ties pass:
  several prints share a second;
- it has no time (a NaN stamp: a frame without one) while the market is closed; while it is open
  it takes its receive time;
- its price is not finite, not above ``MIN_PRICE``, absurdly large, or 0 once rounded.
Prices are rounded to the symbol's price hint (2 decimals unless the feed said otherwise), so
the number compared with levels is the one shown and written to JSON (``2502.8``, not
``2502.800048828125`` from a float32 on the wire). Symbols are upper-cased.

Rejects are counted per (cause, symbol); the first of each is reported through ``report`` (the
status line and the log), never one line per frame.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

from monitor.model import DEFAULT_DECIMALS, Tick

MAX_AHEAD = 300.0  # seconds a live tick may be stamped ahead of its receive time
MIN_PRICE = 1e-6  # below this a "price" is an encoding accident (1.4e-45 is a float32 denormal)
MAX_PRICE = 1e12
LATEST_EPOCH = 253402300799.0  # 9999-12-31T23:59:59Z: the last second datetime can represent

# The causes, as the user reads them after "SYMBOL: ".
BAD_TIME = "time not representable"
AHEAD = "time more than 5 min ahead of the clock"
OLDER = "stale snapshot older than the last print"
NO_TIME = "no time while the market is closed"
BAD_PRICE = "price not a positive finite number"


class Door:
    """Checks, rounds and counts. ``market_open(now)`` answers for frames without a time;
    ``report(symbol, cause)`` is told the first reject of each (cause, symbol)."""

    def __init__(
        self,
        market_open: Callable[[float], bool] = lambda now: True,
        report: Callable[[str, str], None] | None = None,
    ) -> None:
        self.market_open = market_open
        self.report = report
        self.decimals: dict[str, int] = {}  # symbol -> price hint (decimals)
        self.last: dict[str, float] = {}  # symbol -> time of the last tick let in
        self.rejected: Counter[tuple[str, str]] = Counter()  # (cause, symbol) -> count

    def hint(self, symbol: str, decimals: int | None) -> None:
        """The symbol's price hint (``SymbolInfo.price_hint``), when a feed learns one."""
        if decimals is not None and 0 <= decimals <= 8:
            self.decimals[symbol.upper()] = int(decimals)

    def admit(self, batch: Sequence[Tick], now: float | None = None) -> list[Tick]:
        """The ticks of ``batch`` that may enter the state, checked, rounded and upper-cased:
        ``batch`` itself when all pass unchanged, else a new batch of the same kind (a list
        subclass such as ``model.BarExtremes`` keeps its meaning). ``now``: the receive time of
        ticks that carry none (a backfill's rows, loaded at ``now``), for the ahead check."""
        out: list[Tick] = []
        changed = False
        last = self.last
        decimals = self.decimals
        for tick in batch:
            symbol, t, price, volume, received = tick
            arrived = received if received is not None else now
            if not symbol.isupper():
                symbol = symbol.upper()
            if t != t:  # NaN: the frame had no time
                changed = True
                if received is None or not self.market_open(received):
                    self._reject(NO_TIME, symbol)
                    continue
                t = received
            elif not (0.0 <= t <= LATEST_EPOCH):  # inf, negative, 2**62 ms
                self._reject(BAD_TIME, symbol)
                changed = True
                continue
            elif arrived is not None and t - arrived > MAX_AHEAD:
                self._reject(AHEAD, symbol)
                changed = True
                continue
            rounded = round(price, decimals.get(symbol, DEFAULT_DECIMALS))
            # NaN fails both comparisons; a tiny price that rounds to 0 is not one either.
            if not (MIN_PRICE <= price <= MAX_PRICE) or rounded <= 0.0:
                self._reject(BAD_PRICE, symbol)
                changed = True
                continue
            previous = last.get(symbol)
            if previous is not None and t < previous:
                self._reject(OLDER, symbol)
                changed = True
                continue
            last[symbol] = t
            if rounded != price or t != tick[1] or symbol != tick[0]:
                tick = Tick(symbol, t, rounded, volume, received)
                changed = True
            out.append(tick)
        if not changed:
            return batch  # type: ignore[return-value]
        if type(batch) is not list and isinstance(batch, list):
            return type(batch)(out)
        return out

    def _reject(self, cause: str, symbol: str) -> None:
        key = (cause, symbol)
        self.rejected[key] += 1
        if self.rejected[key] == 1 and self.report is not None:
            self.report(symbol, cause)

    def summary(self) -> str:
        """All rejects so far in one line ("" when none): 'rejected 3: ^RUT stale snapshot ...'."""
        if not self.rejected:
            return ""
        total = sum(self.rejected.values())
        worst = self.rejected.most_common(1)[0]
        (cause, symbol), count = worst
        more = f" and {len(self.rejected) - 1} more cause(s)" if len(self.rejected) > 1 else ""
        return f"rejected {total}: {symbol} {cause} ×{count}{more}"
