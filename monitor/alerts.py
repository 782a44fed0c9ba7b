"""The first eight rules, their messages and their detectors (``monitor.detector``), through
which ``monitor.state.MarketState`` runs them at the right moments:

- ``Levels``: per tick ``check_levels`` (``level_cross``); at a committed bar ``check_level_closes``
  for the levels set to ``confirm = "close"``;
- ``Extremes``: per tick ``check_extremes`` (``new_high``/``new_low``); before a bar is committed
  ``check_extremes(closed=True)`` for those set to ``confirm = "close"``;
- ``BarClose``: at a committed bar ``bar_close_alerts`` (``ma_cross``, ``rsi_overbought``,
  ``rsi_oversold``, ``rsi_macd_divergence``), comparing the committed bar's indicator values with
  those at the previous committed bar (a rule stays silent while either is undefined; the RSI
  rules also re-arm, see ``RsiArming``);
- ``RelativeDivergence``: after each batch of ticks whose prices were seen together,
  ``DivergenceWatch.check`` (``relative_divergence``).

They are registered in ``monitor.rules``. The exact semantics are documented in the README under
"When alerts fire".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from monitor.detector import Detector, RuleSymbol
from monitor.model import Alert, Tick, tick_time

if TYPE_CHECKING:  # pragma: no cover
    from monitor.bars import DailyBar
    from monitor.config import Config, Divergence, Level, Rules

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
    ``price * (1 -/+ hysteresis_pct/100)`` on the other side: on any tick, or with ``on_close``
    (``confirm = "close"``) only on a session's close."""

    __slots__ = ("level", "price", "label", "below", "above", "side", "on_close")

    def __init__(self, level: Level, hysteresis_pct: float, side: int = 0, on_close: bool = False) -> None:
        band = hysteresis_pct / 100.0
        self.level = level
        self.price = level.price
        self.label = level.label
        self.on_close = on_close
        # Edges to 12 significant digits: 2500 * 1.001 is 2502.4999999999995 in binary, and a
        # price of exactly 2502.50 is on the edge, not beyond it.
        self.below = float(f"{level.price * (1.0 - band):.12g}")
        self.above = float(f"{level.price * (1.0 + band):.12g}")
        self.side = side

    def arm(self, price: float) -> None:
        """The first price sets the side (above when price >= level); it never fires."""
        self.side = 1 if price >= self.price else -1


def check_levels(levels: list[LevelState], symbol: str, t: float, price: float, out: list[Alert]) -> None:
    """``level_cross`` for one tick of ``symbol``: appends the alerts that fire to ``out``. A level
    that waits for the close is only armed by a tick."""
    for lv in levels:
        side = lv.side
        if lv.on_close:
            if not side:
                lv.arm(price)
        elif side > 0:
            if price < lv.below:
                lv.side = -1
                out.append(_level_alert(lv, symbol, t, price, "down"))
        elif side < 0:
            if price > lv.above:
                lv.side = 1
                out.append(_level_alert(lv, symbol, t, price, "up"))
        else:
            lv.arm(price)


def check_level_closes(levels: list[LevelState], symbol: str, bar: "DailyBar", out: list[Alert]) -> None:
    """``level_cross`` of the levels that wait for the close, at ``bar``'s close (its time and price)."""
    close = bar.close
    for lv in levels:
        if not lv.on_close:
            continue
        side = lv.side
        if side > 0 and close < lv.below:
            lv.side = -1
            out.append(_level_alert(lv, symbol, bar.close_time, close, "down", bar))
        elif side < 0 and close > lv.above:
            lv.side = 1
            out.append(_level_alert(lv, symbol, bar.close_time, close, "up", bar))
        elif not side:
            lv.arm(close)


def _level_alert(lv: LevelState, symbol: str, t: float, price: float, direction: str, bar: "DailyBar | None" = None) -> Alert:
    """"^RUT fell below 2,500 (support) at 2,497.12"; confirmed by ``bar``'s close: "^RUT closed
    below 2,500 (support) at 2,497.12 on 2026-01-05"."""
    up = direction == "up"
    name = f" ({lv.label})" if lv.label else ""
    extra = {"level": lv.price, "label": lv.label}
    if bar is None:
        verb, when = ("rose above" if up else "fell below"), ""
    else:
        verb, when = ("closed above" if up else "closed below"), f" on {bar.day.isoformat()}"
        extra["confirm"] = "close"
    message = f"{symbol} {verb} {fmt_level(lv.price)}{name} at {fmt_price(price)}{when}"
    return Alert(t, symbol, "level_cross", direction, price, message, extra)


def _level_state(config: Config, level: Level, side: int = 0) -> LevelState:
    on_close = config.confirm_for("level_cross", level) == "close"
    return LevelState(level, config.rules.hysteresis_pct, side, on_close)


def quiet_band(levels: list[LevelState]) -> tuple[float, float]:
    """(lo, hi): a tick at a price with lo <= price <= hi fires no level and arms none. Each
    level armed on ticks bounds it by the edge it would cross (``below`` for one the price is
    above, ``above`` for one it is below); a level not armed yet makes it empty."""
    lo, hi = -math.inf, math.inf
    for lv in levels:
        side = lv.side
        if not side:
            return math.inf, -math.inf
        if lv.on_close:
            continue
        if side > 0:
            if lv.below > lo:
                lo = lv.below
        elif lv.above < hi:
            hi = lv.above
    return lo, hi


class Levels(Detector):
    """``level_cross`` for the engine: each symbol's ``LevelState``s (``s.levels``) and their
    ``quiet_band`` (``s.level_quiet``), the range in which the engine skips the tick hook
    (``Detector.quiet``). It is kept, redrawn whenever the levels or their sides may have
    changed, because the engine asks for it again at every commit."""

    memory = ("levels", "level_quiet")

    def attach(self, s: RuleSymbol) -> None:
        config = self.config
        s.levels = levels = [_level_state(config, level) for level in config.levels_for(s.symbol)]
        s.level_quiet = quiet_band(levels)

    def watches(self, s: RuleSymbol) -> bool:
        return bool(s.levels)

    def tick(self, s: RuleSymbol, t: float, price: float, out: list[Alert]) -> None:
        levels = s.levels
        check_levels(levels, s.symbol, t, price, out)
        s.level_quiet = quiet_band(levels)

    def quiet(self, s: RuleSymbol) -> tuple[float, float]:
        return s.level_quiet

    def close(self, s: RuleSymbol, bar: DailyBar, before: Snapshot, now: Snapshot, out: list[Alert]) -> None:
        check_level_closes(s.levels, s.symbol, bar, out)

    def reconfigure_symbol(self, s: RuleSymbol, old: Config, rebuild: bool) -> None:
        """A level that still exists keeps its side; a new one is armed by the last price if
        there is one, else by the next tick (never firing on arming)."""
        config = self.config
        sides = {lv.price: lv.side for lv in s.levels}
        levels = []
        for level in config.levels_for(s.symbol):
            state = _level_state(config, level, sides.get(level.price, 0))
            if not state.side and s.last == s.last:
                state.arm(s.last)
            levels.append(state)
        s.levels = levels
        s.level_quiet = quiet_band(levels)


# --------------------------------------------------------------------------------------------
# new_high / new_low


class Breakouts(NamedTuple):
    """The ``new_high``/``new_low`` settings: ``[rules] high_low_window`` and ``breakout_gap``, and
    whether each rule waits for the close (``confirm = "close"``)."""

    window: int = 252
    gap: int = 5
    high_on_close: bool = False
    low_on_close: bool = False


def check_extremes(s: RuleSymbol, t: float, price: float, rules: Breakouts, out: list[Alert], closed: bool = False) -> None:
    """``new_high``/``new_low`` for one price of ``s``'s forming session: above the highest high
    (below the lowest low) of the previous ``window`` committed bars, at most once per symbol per
    session, and only if the bar that set that extreme is at least ``gap`` sessions back.
    ``closed``: the price is the session's close (for the rules that wait for it). ``s.prev_high_n``
    is NaN until ``window`` bars are committed, which keeps the rule silent.

    The decision is made once per session (the reference does not move within one): a breakout
    of a too recent extreme marks the session as done too."""
    session = s.session
    if price > s.prev_high_n:
        if s.high_alerted != session and rules.high_on_close is closed:
            s.high_alerted = session
            _breakout(s, t, price, s.prev_high_n, rules, "up", closed, out)
    elif price < s.prev_low_n:
        if s.low_alerted != session and rules.low_on_close is closed:
            s.low_alerted = session
            _breakout(s, t, price, s.prev_low_n, rules, "down", closed, out)


def _breakout(
    s: RuleSymbol, t: float, price: float, previous: float, rules: Breakouts, direction: str, closed: bool, out: list[Alert]
) -> None:
    up = direction == "up"
    back, day = s.extreme_origin(rules.window, previous, up)
    if back < rules.gap:
        return
    window = rules.window
    span = "52-week" if window == 252 else f"{window}-session"
    what, beyond = ("high", "above") if up else ("low", "below")
    window_date = day.isoformat() if day is not None else None
    records = s.records  # the committed sessions' all-time extremes
    all_time = price > records.high if up else price < records.low
    if all_time:  # the message, previous_* and previous_date are about the record beaten
        span = "all-time"
        record, record_day = (records.high, records.high_day) if up else (records.low, records.low_day)
        reference, reference_date = record, record_day.isoformat() if record_day is not None else None
    else:
        reference, reference_date = previous, window_date
    of = f" of {reference_date}" if reference_date is not None else ""
    if closed:
        message = f"{s.symbol} closed at a new {span} {what} of {fmt_price(price)}, {beyond} the {fmt_price(reference)}{of}"
    else:
        message = f"{s.symbol} made a new {span} {what} at {fmt_price(price)}, {beyond} the {fmt_price(reference)}{of}"
    extra = {
        f"previous_{what}": reference,
        "previous_date": reference_date,
        f"window_{what}": previous,  # the high_low_window extreme, sessions_back sessions back
        "window_date": window_date,
        "sessions_back": back,
        "window": window,
        "all_time": all_time,
    }
    if closed:
        extra["confirm"] = "close"
    out.append(Alert(t, s.symbol, f"new_{what}", direction, price, message, extra))


def _breakouts(config: Config) -> Breakouts:
    rules = config.rules
    return Breakouts(
        rules.high_low_window,
        rules.breakout_gap,
        config.confirm_for("new_high") == "close",
        config.confirm_for("new_low") == "close",
    )


class Extremes(Detector):
    """``new_high``/``new_low`` for the engine: on ticks, and at the close for those that wait
    for it. The references ``s.prev_high_n``/``s.prev_low_n`` are the engine's (its indicators)."""

    memory = ("high_alerted", "low_alerted")  # the session of the last new_high / new_low alert

    def __init__(self, config: Config, symbols: Mapping[str, RuleSymbol]) -> None:
        super().__init__(config, symbols)
        self._settings(config)

    def _settings(self, config: Config) -> None:
        self.breakouts = breakouts = _breakouts(config)
        # No close hook unless a rule waits for the close: the engine then runs none at each commit.
        self.closing = Extremes.closing.__get__(self) if breakouts.high_on_close or breakouts.low_on_close else None

    def attach(self, s: RuleSymbol) -> None:
        s.high_alerted = s.low_alerted = None

    def tick(self, s: RuleSymbol, t: float, price: float, out: list[Alert]) -> None:
        if price > s.prev_high_n or price < s.prev_low_n:
            check_extremes(s, t, price, self.breakouts, out)

    def quiet(self, s: RuleSymbol) -> tuple[float, float]:
        """Between the window's lowest low and highest high (everywhere while they are unknown)."""
        low, high = s.prev_low_n, s.prev_high_n
        return (low, high) if high == high else (-math.inf, math.inf)

    def closing(self, s: RuleSymbol, out: list[Alert]) -> None:
        close = s.last
        if close > s.prev_high_n or close < s.prev_low_n:
            check_extremes(s, s.close_time, close, self.breakouts, out, closed=True)

    def reconfigure(self, config: Config, rebuild: bool) -> None:
        super().reconfigure(config, rebuild)
        self._settings(config)


# --------------------------------------------------------------------------------------------
# Bar-close rules


class Snapshot(NamedTuple):
    """Indicator values of one committed bar that the bar-close rules compare. The engine hands
    the rules plain tuples of these fields in this order (``monitor.state._snapshot_of``, made
    at every commit): read them by unpacking, not by name."""

    sma_fast: float = NAN
    sma_slow: float = NAN
    rsi: float = NAN
    macd: float = NAN
    signal: float = NAN


def _at_close(bar: "DailyBar") -> str:
    return f"at the {bar.day.isoformat()} close of {fmt_price(bar.close)}"


class RsiArming:
    """Which RSI rules of one symbol may fire. Each starts armed; firing disarms it; a close with
    RSI back ``rsi_rearm`` points inside (below overbought - rsi_rearm for the overbought side,
    above oversold + rsi_rearm for the oversold side) re-arms both rules of that side."""

    __slots__ = ("overbought", "oversold", "divergence_down", "divergence_up")

    def __init__(self) -> None:
        self.overbought = self.oversold = self.divergence_down = self.divergence_up = True


def bar_close_alerts(
    symbol: str, bar: "DailyBar", prev: Snapshot, now: Snapshot, rules: Rules, armed: RsiArming, out: list[Alert]
) -> None:
    """The bar-close rules for ``symbol``'s committed ``bar``: ``now`` holds its indicator values,
    ``prev`` those of the previous committed bar, ``armed`` the symbol's RSI rule state; appends
    what fires to ``out``. Alert time is the session close (looked up only when something fires),
    price the close.

    Every comparison involving an undefined (NaN) value is false, which keeps each rule silent
    until both bars have the values it compares. Shaped for the commit of every bar: the
    snapshots are unpacked once, and an RSI strictly between the thresholds (most closes) can
    only re-arm, so the RSI rules are looked at only beyond them."""
    fast_now, slow_now, rsi, macd, signal = now
    fast_prev, slow_prev, rsi_prev, macd_prev, signal_prev = prev
    if fast_now > slow_now:
        if fast_prev <= slow_prev:
            out.append(_ma_cross(symbol, bar, "up", fast_now, slow_now, rules))
    elif fast_now < slow_now and fast_prev >= slow_prev:
        out.append(_ma_cross(symbol, bar, "down", fast_now, slow_now, rules))

    high, low, rearm = rules.rsi_overbought, rules.rsi_oversold, rules.rsi_rearm
    if rsi < high - rearm:
        armed.overbought = armed.divergence_down = True
    if rsi > low + rearm:
        armed.oversold = armed.divergence_up = True
    if low < rsi < high:
        return

    # rsi_macd_divergence: the rising edge of "overbought while MACD > signal" (down) or of
    # "oversold while MACD < signal" (up), while armed. The previous bar must have all three values.
    close = bar.close
    moment = None
    if rsi >= high and macd > signal:
        if armed.divergence_down and not (rsi_prev >= high and macd_prev > signal_prev):
            moment = "down"
    elif rsi <= low and macd < signal:
        if armed.divergence_up and not (rsi_prev <= low and macd_prev < signal_prev):
            moment = "up"
    if moment and rsi_prev == rsi_prev and macd_prev == macd_prev and signal_prev == signal_prev:
        if moment == "down":
            armed.divergence_down = False
            state = "overbought while MACD stays above its signal"
        else:
            armed.divergence_up = False
            state = "oversold while MACD stays below its signal"
        message = f"{symbol} RSI {rsi:.1f} is {state}: stretched, momentum intact"
        extra = {"rsi": rsi, "macd": macd, "signal": signal}
        out.append(Alert(bar.close_time, symbol, "rsi_macd_divergence", moment, close, message, extra))
    else:
        moment = None

    # rsi_overbought / rsi_oversold: RSI reaches the threshold from inside, while armed; a
    # divergence alert of the same side at this close supersedes it (disarming it all the same).
    if rsi >= high > rsi_prev and armed.overbought:
        armed.overbought = False
        if moment != "down":
            n = rules.rsi_period
            message = f"{symbol} RSI({n}) rose to {rsi:.1f}, at or above the overbought {high:g}, {_at_close(bar)}"
            out.append(Alert(bar.close_time, symbol, "rsi_overbought", "up", close, message, {"rsi": rsi, "threshold": high, "period": n}))
    elif rsi <= low < rsi_prev and armed.oversold:
        armed.oversold = False
        if moment != "up":
            n = rules.rsi_period
            message = f"{symbol} RSI({n}) fell to {rsi:.1f}, at or below the oversold {low:g}, {_at_close(bar)}"
            out.append(Alert(bar.close_time, symbol, "rsi_oversold", "down", close, message, {"rsi": rsi, "threshold": low, "period": n}))


def _ma_cross(symbol: str, bar: "DailyBar", direction: str, fast_now: float, slow_now: float, rules: Rules) -> Alert:
    """``ma_cross``: the fast SMA crossed the slow one ("up": a golden cross)."""
    name, verb = ("golden cross", "above") if direction == "up" else ("death cross", "below")
    fast, slow = rules.ma_fast, rules.ma_slow
    message = (
        f"{symbol} {name}: SMA{fast} {fmt_price(fast_now)} crossed {verb} "
        f"SMA{slow} {fmt_price(slow_now)} {_at_close(bar)}"
    )
    extra = {"fast": fast_now, "slow": slow_now, "fast_period": fast, "slow_period": slow}
    return Alert(bar.close_time, symbol, "ma_cross", direction, bar.close, message, extra)


class BarClose(Detector):
    """``ma_cross``, ``rsi_overbought``, ``rsi_oversold``, ``rsi_macd_divergence`` for the engine
    (``bar_close_alerts``); ``s.rsi_armed`` is the symbol's ``RsiArming``."""

    memory = ("rsi_armed",)

    def attach(self, s: RuleSymbol) -> None:
        s.rsi_armed = RsiArming()

    def close(self, s: RuleSymbol, bar: DailyBar, before: Snapshot, now: Snapshot, out: list[Alert]) -> None:
        bar_close_alerts(s.symbol, bar, before, now, self.config.rules, s.rsi_armed, out)


# --------------------------------------------------------------------------------------------
# relative_divergence


class DivergenceWatch:
    """``relative_divergence`` between the lead and its peers, evaluated after each batch.

    Needs the lead and every peer in the same forming session with a previous close. Fires when
    the lead's session change has the opposite sign of every peer's (a change of exactly 0 has no
    sign) and |lead - mean(peers)| >= ``min_spread_pct``; at most once per session per direction."""

    def __init__(self, divergence: Divergence) -> None:
        self.lead = divergence.lead
        self.peers = tuple(dict.fromkeys(divergence.peers))  # each once, as in the alert's ``peers``
        self.min_spread = divergence.min_spread_pct
        self.session: date | None = None
        self.fired: set[str] = set()  # directions fired in ``session``

    def check(self, symbols: Mapping[str, RuleSymbol], ticks: Sequence[Tick]) -> Alert | None:
        """After a batch: the alert if one fires now (stamped with the batch's latest tick time).

        Run after every batch, and most batches find a peer moving with the lead: the signs are
        read from the prices against their previous closes (with a previous close above 0, a
        change in % has the sign of last - close: the same test as on the changes, a change of
        0 or NaN having none), and the changes, the dict and the spread are computed only once
        every peer is opposite (rare)."""
        lead = symbols.get(self.lead)
        if lead is None:
            return None
        session, base = lead.session, lead.prev_close
        if session is None or not base > 0:
            return None
        if session != self.session:
            self.session = session
            self.fired = set()
        last = lead.last
        if last > base:
            direction = "up"
        elif last < base:
            direction = "down"
        else:  # no change (or NaN): no sign
            return None
        if direction in self.fired:
            return None
        up = direction == "up"
        opposite = []
        for name in self.peers:
            peer = symbols.get(name)
            if peer is None:
                return None
            peer_last, peer_base = peer.last, peer.prev_close
            if not (peer_last < peer_base if up else peer_last > peer_base):  # same sign, zero or NaN
                return None
            if peer.session != session or not peer_base > 0:
                return None
            opposite.append(peer)
        if not opposite:
            return None
        lead_change = (last - base) / base * 100.0
        changes = [(peer.last - peer.prev_close) / peer.prev_close * 100.0 for peer in opposite]
        spread = lead_change - sum(changes) / len(changes)
        if abs(spread) < self.min_spread:
            return None
        self.fired.add(direction)
        peers = dict(zip(self.peers, changes))
        peers_text = " and ".join(f"{name} {_moved(change)}" for name, change in peers.items())
        message = (
            f"{self.lead} is {_moved(lead_change)} while {peers_text}, "
            f"a spread of {abs(spread):.2f} percentage points"
        )
        extra = {"change_pct": lead_change, "peers": peers, "spread_pct": spread}
        t = max(map(tick_time, ticks))
        return Alert(t, self.lead, "relative_divergence", direction, last, message, extra)


class RelativeDivergence(Detector):
    """``relative_divergence`` for the engine: a ``DivergenceWatch`` after each batch."""

    def __init__(self, config: Config, symbols: Mapping[str, RuleSymbol]) -> None:
        super().__init__(config, symbols)
        self.watch = DivergenceWatch(config.divergence)

    def batch(self, ticks: Sequence[Tick], out: list[Alert]) -> None:
        alert = self.watch.check(self.symbols, ticks)
        if alert is not None:
            out.append(alert)

    def reconfigure(self, config: Config, rebuild: bool) -> None:
        if config.divergence != self.config.divergence:
            self.watch = DivergenceWatch(config.divergence)
        super().reconfigure(config, rebuild)


def _moved(change: float) -> str:
    return f"up {change:.2f}%" if change > 0 else f"down {-change:.2f}%"
