"""``price_rsi_divergence``: price makes a higher high while RSI makes a lower high (bearish), or
a lower low while RSI makes a higher low (bullish), evaluated at each daily close t.

Over the previous ``lookback`` sessions, j is the latest session with the highest close and k the
latest with the lowest close. Bearish ("down") when close[t] > close[j] and RSI[t] <= RSI[j] -
min_gap; bullish ("up") when close[t] < close[k] and RSI[t] >= RSI[k] + min_gap. Each fires on
the rising edge of its condition (false, or not yet evaluable, at the previous close). Silent
until ``lookback`` earlier sessions exist; a comparison with an undefined RSI is false.

Memory is two monotonic deques of at most ``lookback`` sessions: j and k in O(1) amortised.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from monitor.alerts import fmt_price
from monitor.detector import Detector, RuleSymbol
from monitor.model import Alert

if TYPE_CHECKING:  # pragma: no cover
    from monitor.alerts import Snapshot
    from monitor.bars import DailyBar
    from monitor.config import Config
    from monitor.indicators import IndicatorSet


class PriceRsiDivergence:
    """One symbol's memory for the rule: call ``on_close`` with each committed bar and its RSI."""

    __slots__ = ("lookback", "min_gap", "count", "highs", "lows", "bearish", "bullish")

    def __init__(self, lookback: int, min_gap: float) -> None:
        self.lookback = lookback
        self.min_gap = min_gap
        self.count = 0  # sessions seen
        # (index, close, rsi, day): closes decreasing (highs) / increasing (lows) from the front,
        # so the front is the window's extreme; an equal later close replaces an earlier one.
        self.highs: deque[tuple] = deque()
        self.lows: deque[tuple] = deque()
        self.bearish = False  # the conditions at the previous close
        self.bullish = False

    def on_close(self, symbol: str, bar: "DailyBar", rsi: float, out: list[Alert]) -> None:
        i = self.count
        self.count = i + 1
        close = bar[4]
        highs, lows = self.highs, self.lows
        entry = (i, close, rsi, bar[0])
        oldest = i - self.lookback
        if oldest >= 0:  # the window is full: one session leaves it per session
            j = highs[0]
            if j[0] < oldest:
                highs.popleft()
                j = highs[0]
            k = lows[0]
            if k[0] < oldest:
                lows.popleft()
                k = lows[0]
            # A close above j's is above every close of the window: it alone is left in highs,
            # and it pops nothing from lows (whose last, the previous session, is at most j's).
            # Below k's, the mirror. Between them (most closes) neither condition holds.
            if close > j[1]:
                bearish = rsi <= j[2] - self.min_gap
                if bearish and not self.bearish:
                    out.append(_alert(symbol, bar, rsi, j, "down"))
                self.bearish, self.bullish = bearish, False
                highs.clear()
                highs.append(entry)
                lows.append(entry)
                return
            if close < k[1]:
                bullish = rsi >= k[2] + self.min_gap
                if bullish and not self.bullish:
                    out.append(_alert(symbol, bar, rsi, k, "up"))
                self.bearish, self.bullish = False, bullish
                lows.clear()
                lows.append(entry)
                highs.append(entry)
                return
            self.bearish = self.bullish = False
        while highs and highs[-1][1] <= close:
            highs.pop()
        highs.append(entry)
        while lows and lows[-1][1] >= close:
            lows.pop()
        lows.append(entry)


def _alert(symbol: str, bar: "DailyBar", rsi: float, then: tuple, direction: str) -> Alert:
    _, close, previous_rsi, day = then
    if direction == "down":
        what = f"bearish: close above the {day.isoformat()} close of {fmt_price(close)} while RSI {rsi:.1f} is below its {previous_rsi:.1f} then"
    else:
        what = f"bullish: close below the {day.isoformat()} close of {fmt_price(close)} while RSI {rsi:.1f} is above its {previous_rsi:.1f} then"
    message = f"{symbol} price/RSI divergence, {what}, at the {bar.day.isoformat()} close of {fmt_price(bar.close)}"
    extra = {"rsi": rsi, "previous_close": close, "previous_rsi": previous_rsi, "previous_date": day.isoformat()}
    return Alert(bar.close_time, symbol, "price_rsi_divergence", direction, bar.close, message, extra)


class PriceRsi(Detector):
    """``price_rsi_divergence`` for the engine: each symbol's ``PriceRsiDivergence``
    (``s.rsi_divergence``), fed every committed bar, and rebuilt with the indicators."""

    memory = ("rsi_divergence",)

    def attach(self, s: RuleSymbol) -> None:
        rules = self.config.rules
        s.rsi_divergence = PriceRsiDivergence(rules.divergence_lookback, rules.divergence_min_gap)

    def close(self, s: RuleSymbol, bar: DailyBar, before: Snapshot, now: Snapshot, out: list[Alert]) -> None:
        s.rsi_divergence.on_close(s.symbol, bar, now[2], out)

    def replay(self, s: RuleSymbol, bar: DailyBar, ind: IndicatorSet) -> None:
        s.rsi_divergence.on_close(s.symbol, bar, ind.rsi, [])  # what fired then is not news

    def reconfigure_symbol(self, s: RuleSymbol, old: Config, rebuild: bool) -> None:
        if rebuild:  # refilled by ``replay`` from the kept bars
            self.attach(s)
