"""The alert rules and their messages. ``monitor.state.MarketState`` calls them at the right moments:

- per tick: ``check_levels`` (``level_cross``) and ``check_extremes`` (``new_high``/``new_low``);
- when a daily bar is committed: ``bar_close_alerts`` (``ma_cross``, ``rsi_overbought``,
  ``rsi_oversold``, ``rsi_macd_divergence``), comparing the committed bar's indicator values with
  those at the previous committed bar (a rule stays silent while either is undefined);
- after each batch of ticks: ``DivergenceWatch.check`` (``relative_divergence``).

The exact semantics are documented in the README under "When alerts fire".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from monitor.config import Divergence, Level, Rules
from monitor.model import Alert, Tick

if TYPE_CHECKING:  # pragma: no cover
    from monitor.bars import DailyBar
    from monitor.state import SymbolState

NAN = float("nan")


def fmt_price(x: float) -> str:
    """2497.123 -> '2,497.12'; small prices keep four significant decimals."""
    if abs(x) < 1:
        return f"{x:,.4f}"
    return f"{x:,.2f}"


def fmt_level(x: float) -> str:
    """A level as the user wrote it: 2500 -> '2,500', 2512.5 -> '2,512.50'."""
    return f"{x:,.0f}" if x == int(x) else fmt_price(x)


# --------------------------------------------------------------------------------------------
# level_cross


class LevelState:
    """One configured level of one symbol and its side: +1 above, -1 below, 0 not armed yet.

    The side changes, and an alert fires, only when the price leaves the hysteresis band
    ``price * (1 -/+ hysteresis_pct/100)`` on the other side."""

    __slots__ = ("level", "price", "label", "below", "above", "side")

    def __init__(self, level: Level, hysteresis_pct: float, side: int = 0) -> None:
        band = hysteresis_pct / 100.0
        self.level = level
        self.price = level.price
        self.label = level.label
        # Edges to 12 significant digits: 2500 * 1.001 is 2502.4999999999995 in binary, and a
        # price of exactly 2502.50 is on the edge, not beyond it.
        self.below = float(f"{level.price * (1.0 - band):.12g}")
        self.above = float(f"{level.price * (1.0 + band):.12g}")
        self.side = side

    def arm(self, price: float) -> None:
        """The first price sets the side (above when price >= level); it never fires."""
        self.side = 1 if price >= self.price else -1


def check_levels(levels: list[LevelState], symbol: str, t: float, price: float, out: list[Alert]) -> None:
    """``level_cross`` for one tick of ``symbol``: appends the alerts that fire to ``out``."""
    for lv in levels:
        side = lv.side
        if side > 0:
            if price < lv.below:
                lv.side = -1
                out.append(_level_alert(lv, symbol, t, price, "down"))
        elif side < 0:
            if price > lv.above:
                lv.side = 1
                out.append(_level_alert(lv, symbol, t, price, "up"))
        else:
            lv.arm(price)


def _level_alert(lv: LevelState, symbol: str, t: float, price: float, direction: str) -> Alert:
    where = "above" if direction == "up" else "below"
    label = f" {lv.label}" if lv.label else ""
    message = f"{symbol} broke {where} {fmt_level(lv.price)}{label} at {fmt_price(price)}"
    return Alert(t, symbol, "level_cross", direction, price, message, {"level": lv.price, "label": lv.label})


# --------------------------------------------------------------------------------------------
# new_high / new_low


def check_extremes(s: "SymbolState", t: float, price: float, window: int, out: list[Alert]) -> None:
    """``new_high``/``new_low`` for one tick: above the highest high (below the lowest low) of the
    previous ``window`` committed bars, at most once per symbol per session. ``s.prev_high_n`` is
    NaN until ``window`` bars are committed, which keeps the rule silent."""
    session = s.session
    if price > s.prev_high_n and s.high_alerted != session:
        s.high_alerted = session
        message = (
            f"{s.symbol} made a new {window}-session high at {fmt_price(price)}, "
            f"above the previous high of {fmt_price(s.prev_high_n)}"
        )
        out.append(Alert(t, s.symbol, "new_high", "up", price, message, {"previous_high": s.prev_high_n, "window": window}))
    elif price < s.prev_low_n and s.low_alerted != session:
        s.low_alerted = session
        message = (
            f"{s.symbol} made a new {window}-session low at {fmt_price(price)}, "
            f"below the previous low of {fmt_price(s.prev_low_n)}"
        )
        out.append(Alert(t, s.symbol, "new_low", "down", price, message, {"previous_low": s.prev_low_n, "window": window}))


# --------------------------------------------------------------------------------------------
# Bar-close rules


class Snapshot(NamedTuple):
    """Indicator values of one committed bar that the bar-close rules compare."""

    sma_fast: float = NAN
    sma_slow: float = NAN
    rsi: float = NAN
    macd: float = NAN
    signal: float = NAN


def _at_close(bar: "DailyBar") -> str:
    return f"at the {bar.day.isoformat()} close of {fmt_price(bar.close)}"


def bar_close_alerts(symbol: str, bar: "DailyBar", prev: Snapshot, now: Snapshot, rules: Rules, out: list[Alert]) -> None:
    """The bar-close rules for ``symbol``'s committed ``bar``: ``now`` holds its indicator values,
    ``prev`` those of the previous committed bar; appends what fires to ``out``. Alert time is
    the session close (looked up only when something fires), price the close.

    Every comparison involving an undefined (NaN) value is false, which keeps each rule silent
    until both bars have the values it compares."""
    close = bar.close

    fast_now, slow_now, fast_prev, slow_prev = now.sma_fast, now.sma_slow, prev.sma_fast, prev.sma_slow
    direction = None
    if fast_now > slow_now and fast_prev <= slow_prev:
        direction, name, verb = "up", "golden cross", "above"
    elif fast_now < slow_now and fast_prev >= slow_prev:
        direction, name, verb = "down", "death cross", "below"
    if direction:
        fast, slow = rules.ma_fast, rules.ma_slow
        message = (
            f"{symbol} {name}: SMA{fast} {fmt_price(fast_now)} crossed {verb} "
            f"SMA{slow} {fmt_price(slow_now)} {_at_close(bar)}"
        )
        extra = {"fast": fast_now, "slow": slow_now, "fast_period": fast, "slow_period": slow}
        out.append(Alert(bar.close_time, symbol, "ma_cross", direction, close, message, extra))

    rsi, rsi_prev = now.rsi, prev.rsi
    high, low = rules.rsi_overbought, rules.rsi_oversold
    if rsi >= high > rsi_prev:
        n = rules.rsi_period
        message = f"{symbol} RSI({n}) rose to {rsi:.1f}, at or above the overbought {high:g}, {_at_close(bar)}"
        out.append(Alert(bar.close_time, symbol, "rsi_overbought", "up", close, message, {"rsi": rsi, "threshold": high, "period": n}))
    elif rsi <= low < rsi_prev:
        n = rules.rsi_period
        message = f"{symbol} RSI({n}) fell to {rsi:.1f}, at or below the oversold {low:g}, {_at_close(bar)}"
        out.append(Alert(bar.close_time, symbol, "rsi_oversold", "down", close, message, {"rsi": rsi, "threshold": low, "period": n}))

    # rsi_macd_divergence: the rising edge of "overbought while MACD > signal" (down) or of
    # "oversold while MACD < signal" (up). The previous bar must have all three values.
    macd, signal = now.macd, now.signal
    if rsi >= high and macd > signal:
        direction = "down"
        if prev.rsi >= high and prev.macd > prev.signal:
            direction = None
    elif rsi <= low and macd < signal:
        direction = "up"
        if prev.rsi <= low and prev.macd < prev.signal:
            direction = None
    else:
        direction = None
    if direction and rsi_prev == rsi_prev and prev.macd == prev.macd and prev.signal == prev.signal:
        if direction == "down":
            state = f"overbought (RSI {rsi:.1f}) while MACD {macd:,.2f} is above its signal {signal:,.2f}, a bearish"
        else:
            state = f"oversold (RSI {rsi:.1f}) while MACD {macd:,.2f} is below its signal {signal:,.2f}, a bullish"
        message = f"{symbol} is {state} divergence {_at_close(bar)}"
        extra = {"rsi": rsi, "macd": macd, "signal": signal}
        out.append(Alert(bar.close_time, symbol, "rsi_macd_divergence", direction, close, message, extra))


# --------------------------------------------------------------------------------------------
# relative_divergence


class DivergenceWatch:
    """``relative_divergence`` between the lead and its peers, evaluated after each batch.

    Needs the lead and every peer in the same forming session with a previous close. Fires when
    the lead's session change has the opposite sign of every peer's (a change of exactly 0 has no
    sign) and |lead - mean(peers)| >= ``min_spread_pct``; at most once per session per direction."""

    def __init__(self, divergence: Divergence) -> None:
        self.lead = divergence.lead
        self.peers = tuple(divergence.peers)
        self.min_spread = divergence.min_spread_pct
        self.session: date | None = None
        self.fired: set[str] = set()  # directions fired in ``session``

    def check(self, symbols: Mapping[str, "SymbolState"], ticks: Sequence[Tick]) -> Alert | None:
        """After a batch: the alert if one fires now (stamped with the batch's latest tick time)."""
        lead = symbols.get(self.lead)
        if lead is None or lead.session is None or not self.peers or not lead.prev_close > 0:
            return None
        session = lead.session
        if session != self.session:
            self.session = session
            self.fired = set()
        lead_change = (lead.last - lead.prev_close) / lead.prev_close * 100.0
        if not lead_change:
            return None
        direction = "up" if lead_change > 0 else "down"
        if direction in self.fired:
            return None
        changes: dict[str, float] = {}
        for name in self.peers:
            peer = symbols.get(name)
            if peer is None or peer.session != session or not peer.prev_close > 0:
                return None
            change = (peer.last - peer.prev_close) / peer.prev_close * 100.0
            if not change * lead_change < 0:  # same sign, zero or NaN
                return None
            changes[name] = change
        spread = lead_change - sum(changes.values()) / len(changes)
        if abs(spread) < self.min_spread:
            return None
        self.fired.add(direction)
        peers_text = " and ".join(f"{name} {_moved(change)}" for name, change in changes.items())
        message = (
            f"{self.lead} is {_moved(lead_change)} while {peers_text}, "
            f"a spread of {abs(spread):.2f} percentage points"
        )
        extra = {"change_pct": lead_change, "peers": changes, "spread_pct": spread}
        t = max(tick.time for tick in ticks)
        return Alert(t, self.lead, "relative_divergence", direction, lead.last, message, extra)


def _moved(change: float) -> str:
    return f"up {change:.2f}%" if change > 0 else f"down {-change:.2f}%"
