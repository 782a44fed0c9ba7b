"""The market state: every symbol's bars, indicators and alert memory, fed batch by batch.

Replay, backfill and the live feeds all go through ``MarketState.apply``; the app and the headless
runner read ``symbols`` and ``dirty``. The rules are those of the registry (``monitor.rules``):
the state runs their detectors' hooks (``monitor.detector``) at each tick, bar commit and batch.
See ``monitor.bars`` for how ticks become daily bars.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from monitor.alerts import Snapshot
from monitor.bars import DailyBar, SessionBars, SessionDays
from monitor.config import Config, Rules
from monitor.detector import Detector
from monitor.indicators import IndicatorSet
from monitor.market_hours import session_close
from monitor.model import Alert, BarExtremes, Tick
from monitor.nearness import GAP_SESSIONS, gap_pct
from monitor.records import Records
from monitor.rules import ENGINE_ORDER

NAN = float("nan")
CLOSE_REVISION = 1800.0  # seconds after a session's close in which its prints still revise its close
COMMIT_GRACE = 120.0  # seconds after a session's close before commit_due commits its bar
_EMPTY = (NAN, NAN, NAN, NAN, NAN)  # a ``Snapshot`` before any committed bar


def _snapshot_of(ind: IndicatorSet) -> Snapshot:
    """The values the bar-close rules compare, at a committed bar: a plain tuple of
    ``Snapshot``'s fields in its order. Why not a ``Snapshot``: one is made at every commit, and
    a NamedTuple instance costs about fifteen times a tuple to make (``tuple.__new__`` on a
    subclass); the rules unpack it."""
    return (ind.sma_fast, ind.sma_slow, ind.rsi, ind.macd, ind.macd_signal)  # type: ignore[return-value]


def _indicator_params(rules: Rules) -> tuple:
    """The rule settings the indicator set (and the per-bar memory of price_rsi_divergence)
    is built from: a change means recomputing it from the kept bars."""
    return (rules.rsi_period, rules.macd, rules.ma_fast, rules.ma_slow, rules.high_low_window,
            rules.divergence_lookback, rules.divergence_min_gap)


class SymbolState(SessionBars):
    """One symbol: the session bars (see ``SessionBars``) plus indicators and alert memory.

    ``prev_close`` is the close of the session before the latest one (NaN if none); ``change``
    and ``change_pct`` are against it. ``prev_high_n``/``prev_low_n`` are the highest high and
    lowest low of the last ``high_low_window`` committed bars (NaN until that many exist): the
    ``new_high``/``new_low`` reference. ``records`` are its all-time records, ``year_base`` the
    last close before ``year`` (that of the last committed bar), ``gaps`` the SMA gaps (%) at the
    last committed bars. The rules' memory (``levels``, ``zones``, ...) are the slots each
    detector of the registry names in its ``memory``, set by its ``attach``; ``on_tick``,
    ``on_closing`` and ``on_close`` are the hooks of the detectors that watch this symbol
    (``Detector.watches``); a tick strictly between ``quiet_low`` and ``quiet_high`` runs no tick
    hook (``_requiet``, ``Detector.quiet``)."""

    __slots__ = ("_ind", "_ind_behind", "_ind_new_bar", "on_tick", "on_quiet", "quiet_low", "quiet_high", "on_closing", "on_close", "prev_high_n", "prev_low_n", "snapshot", "records", "year", "year_base", "gaps",
                 *(name for detector in ENGINE_ORDER for name in detector.memory))

    def __init__(self, symbol: str, config: Config, detectors: Iterable[Detector] = ()) -> None:
        super().__init__(symbol)
        self._ind = IndicatorSet(config.rules)
        self._ind_behind = False  # the forming bar moved since the indicators last saw it
        self._ind_new_bar = False  # ... and it is a new bar, which they have not started yet
        self.prev_high_n = NAN
        self.prev_low_n = NAN
        self.snapshot = _EMPTY  # indicator values at the last committed bar
        self.records = Records()
        self.year = 0  # year of the last committed bar
        self.year_base = NAN
        self.gaps: deque[float] = deque(maxlen=GAP_SESSIONS + 1)
        for detector in detectors:
            detector.attach(self)
        self.on_tick: tuple[Callable[..., None], ...] = ()
        self.on_quiet: tuple[Callable[..., tuple[float, float]], ...] = ()  # the tick hooks' ``quiet``
        self.quiet_low = math.inf  # prices strictly between these leave every tick hook idle
        self.quiet_high = -math.inf
        self.on_closing: tuple[Callable[..., None], ...] = ()
        self.on_close: tuple[Callable[..., None], ...] = ()

    @property
    def ind(self) -> IndicatorSet:
        """The indicators, current with the forming bar's last price, high and low.

        Why a property: ``MarketState.apply`` only marks them behind when a session opens or
        a tick revises the forming bar, and they catch up here, on the first read. A replay
        reads them once per bar (at its commit) but opens and revises each bar four times, and
        live the screen reads them at most once per repaint. Skipping steps is exact:
        ``IndicatorSet`` gives the same values for an update and any run of revises as for an
        update with the last values alone (``monitor.indicators``)."""
        ind = self._ind
        if self._ind_behind:
            self._ind_behind = False
            if self._ind_new_bar:
                self._ind_new_bar = False
                ind.update(self.last, self.day_high, self.day_low)
            else:
                ind.revise(self.last, self.day_high, self.day_low)
        return ind

    @property
    def change(self) -> float:
        return self.last - self.prev_close

    @property
    def change_pct(self) -> float:
        return (self.last - self.prev_close) / self.prev_close * 100.0 if self.prev_close else NAN

    def rebuild_indicators(self, rules: Rules, replays: Iterable[Callable[..., None]] = ()) -> None:
        """Recompute the indicators from the kept daily bars (after the periods changed);
        ``replays``: the detectors' ``replay`` hooks, called after each bar."""
        self._ind = ind = IndicatorSet(rules)
        self._ind_behind = self._ind_new_bar = False
        self.snapshot = _EMPTY
        self.prev_high_n = self.prev_low_n = NAN
        self.gaps.clear()
        for bar in self.daily:
            ind.update(bar.close, bar.high, bar.low)
            self.snapshot = _snapshot_of(ind)
            self.gaps.append(gap_pct(ind.sma_fast, ind.sma_slow))
            for replay in replays:
                replay(self, bar, ind)
        if ind.count >= rules.high_low_window:
            self.prev_high_n, self.prev_low_n = ind.high_n, ind.low_n
        if self.session is not None:
            ind.update(self.last, self.day_high, self.day_low)


class MarketState:
    """All symbols' state, fed one batch of ticks at a time by ``apply``; ``commit_due`` (live)
    and ``finish`` (end of replay data) commit forming bars; ``dirty`` tells the UI what changed."""

    def __init__(self, config: Config, source: str = "replay") -> None:
        self.config = config
        self.source = source
        self.symbols: dict[str, SymbolState] = {}
        self.dirty: set[str] = set()
        self.bar_listeners: list[Callable[[str, DailyBar], None]] = []
        self.alert_count = 0
        self.commit_grace = COMMIT_GRACE
        self._days = SessionDays()
        self._detectors = detectors = [kind(config, self.symbols) for kind in ENGINE_ORDER]
        self._on_batch = [d.batch for d in detectors if d.batch is not None]
        self._on_replay = [d.replay for d in detectors if d.replay is not None]
        for symbol in config.symbols:
            self._add(symbol)

    def _add(self, symbol: str) -> SymbolState:
        state = self.symbols[symbol] = SymbolState(symbol, self.config, self._detectors)
        self._watch(state)
        return state

    def _watch(self, s: SymbolState) -> None:
        """``s``'s hooks: those of the detectors that watch it, in engine order."""
        watching = [d for d in self._detectors if d.watches(s)]
        s.on_tick = tuple(d.tick for d in watching if d.tick is not None)
        s.on_quiet = tuple(d.quiet for d in watching if d.tick is not None)
        _requiet(s)
        s.on_closing = tuple(d.closing for d in watching if d.closing is not None)
        s.on_close = tuple(d.close for d in watching if d.close is not None)

    # ----------------------------------------------------------------------------------------

    def apply(self, ticks: Sequence[Tick], stale: bool = False) -> list[Alert]:
        """Apply one batch (ticks that share a timestamp or arrived together); returns the alerts
        in time order. A ``BarExtremes`` batch is not evaluated across symbols."""
        out: list[Alert] = []
        symbols = self.symbols
        dirty = self.dirty
        for symbol, t, price, volume, received in ticks:
            s = symbols.get(symbol)
            if s is None:
                s = self._add(symbol)
            if s.session_start <= t < s.session_end:  # the forming session (empty range when none)
                s.revise(t, price, volume)
                s._ind_behind = True  # revised on the next read of ``s.ind``
            elif not self._new_session(s, t, price, volume, out):
                continue
            s.last_received = received
            if not s.quiet_low < price < s.quiet_high:  # else no tick hook has anything to do
                for check in s.on_tick:
                    check(s, t, price, out)
                _requiet(s)
            dirty.add(symbol)
        if ticks.__class__ is not BarExtremes:
            for check in self._on_batch:
                check(ticks, out)
        if out:
            self._stamp(out, stale)
        return out

    def _new_session(self, s: SymbolState, t: float, price: float, volume: float | None, out: list[Alert]) -> bool:
        """A tick outside the forming session: commit that bar (bar-close rules fire) and open the
        tick's session; False for a late print of an already committed session (ignored)."""
        days = self._days
        if days.start <= t < days.end:  # the day another symbol just opened (``lookup``'s cache)
            day, start, end = days.day, days.start, days.end
        else:
            day, start, end = days.lookup(t)
        forming = s.session
        if forming is not None:
            if day < forming:
                s.late_ticks += 1
                return False
            self._commit(s, out)
        elif s.last_day is not None and day <= s.last_day:
            if day == s.last_day and t <= s.close_time + CLOSE_REVISION:
                self._revise_close(s, t, price)
            else:
                s.late_ticks += 1
            return False
        s.open_session(day, start, end, t, price, volume)
        s._ind_behind = s._ind_new_bar = True  # the indicators start the bar when next read
        return True

    def _revise_close(self, s: SymbolState, t: float, price: float) -> None:
        """The official close printed after the bar was committed (up to ``CLOSE_REVISION``
        seconds after the close): that session's close is revised, so the next session's
        change is measured from it. Its bar-close alerts have fired already and stay as they
        are; the indicators take the revised close."""
        bar = s.revise_close(t, price)
        s.ind.revise(price, bar.high, bar.low)
        s.snapshot = _snapshot_of(s.ind)
        self.dirty.add(s.symbol)

    def _commit(self, s: SymbolState, out: list[Alert]) -> None:
        """Commit ``s``'s forming bar: the rules that wait for the close, listeners, then the
        bar-close rules against the previous bar (their alerts appended to ``out``)."""
        for check in s.on_closing:
            check(s, out)
        ind = s.ind  # caught up with the bar's final prices
        bar = s.commit()
        before = s.snapshot
        s.snapshot = now = _snapshot_of(ind)
        if ind.count >= self.config.rules.high_low_window:
            s.prev_high_n = ind.high_n
            s.prev_low_n = ind.low_n
        s.records.update(bar)
        year = bar[0].year
        if year != s.year:
            s.year = year
            s.year_base = s.prev_close  # the previous year's last close (NaN if none)
        s.gaps.append(gap_pct(now[0], now[1]))
        for listener in self.bar_listeners:
            listener(s.symbol, bar)
        self.dirty.add(s.symbol)
        for check in s.on_close:
            check(s, bar, before, now, out)
        _requiet(s)  # the references moved (the new-high window's extremes, ...)

    def _stamp(self, alerts: list[Alert], stale: bool) -> None:
        for alert in alerts:
            alert.source = self.source
            alert.stale = stale
        if len(alerts) > 1:
            alerts.sort(key=_alert_time)
        self.alert_count += len(alerts)

    def settled_until(self, now: float) -> float:
        """No alert from data at or after ``now`` can be stamped earlier than this: ticks fire
        at their own time, bar closes at a session close (of a forming bar, or of ``now``'s day
        when a session opens after its close). For writing alerts in time order."""
        day = self._days.lookup(now)[0]
        upto = min(now, session_close(day))
        for s in self.symbols.values():
            if s.session is not None:
                close = s.close_time
                if close < upto:
                    upto = close
        return upto

    def commit_due(self, now: float) -> list[Alert]:
        """Live: commit every forming bar whose session close passed more than ``commit_grace``
        seconds ago (the official closing print arrives a little after the bell; a print after
        the commit would be ignored as late). Bar-close alerts are stamped with the close."""
        out: list[Alert] = []
        now -= self.commit_grace
        for s in self.symbols.values():
            if s.due(now):
                self._commit(s, out)
        if out:
            self._stamp(out, False)
        return out

    def finish(self, symbols: Iterable[str] | None = None) -> list[Alert]:
        """End of replay data (of ``symbols``, default all): commit their forming bars."""
        out: list[Alert] = []
        for s in self.symbols.values() if symbols is None else map(self.symbols.__getitem__, symbols):
            if s.session is not None:
                self._commit(s, out)
        if out:
            self._stamp(out, False)
        return out

    def seed_records(self, records: dict) -> None:
        """All-time records from history that is not replayed (the demo's ``shipped_records``)."""
        for symbol, record in records.items():
            if symbol in self.symbols:
                self.symbols[symbol].records.seed(record)

    def reconfigure(self, config: Config) -> None:
        """New levels or thresholds (the app's dialogs). Bars and indicator history stay; the
        indicators are recomputed from the kept daily bars only if their periods changed. A level
        (zone) that still exists keeps its side (region); a new one is armed by the last price if
        there is one, else by the next tick (never firing on arming). A new relative_strength
        setting starts its sides afresh."""
        old = self.config
        self.config = config
        rebuild = _indicator_params(old.rules) != _indicator_params(config.rules)
        for detector in self._detectors:
            detector.reconfigure(config, rebuild)
        for symbol in config.symbols:
            if symbol not in self.symbols:
                self._add(symbol)
        for s in self.symbols.values():
            for detector in self._detectors:
                detector.reconfigure_symbol(s, old, rebuild)
            if rebuild:
                s.rebuild_indicators(config.rules, self._on_replay)
            self._watch(s)

def _requiet(s: SymbolState) -> None:
    """Redraw ``s``'s quiet range: the open interval of prices in which none of its tick hooks
    can fire or change its memory, the intersection of their detectors' ``quiet`` (empty when a
    hook has none). Why: almost every tick of a replay is inside it (no level near, no new
    high), and one comparison in ``apply`` then stands for the calls to every tick hook. Redrawn
    whenever something it depends on may have moved: after the hooks ran on a tick outside it,
    after a commit (the window's extremes) and when the hooks are (re)built."""
    low, high = -math.inf, math.inf
    for quiet in s.on_quiet:
        a, b = quiet(s)
        if a > low:
            low = a
        if b < high:
            high = b
    s.quiet_low, s.quiet_high = low, high


def _alert_time(alert: Alert) -> float:
    return alert.time
