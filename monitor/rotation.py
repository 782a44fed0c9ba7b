"""Relative performance: changes over 1 week (5 sessions), 1 month (21) and year to date, the
lead's return minus each peer's in basis points, and the ``relative_strength`` rule.

An N-session change at a session D is close[D] / close[N sessions before D] - 1; while D is
forming its close is the last price. Year to date compares with the last close of the previous
calendar year. Each is NaN until the history holds the sessions it needs.

``relative_strength`` is evaluated when the lead's bar of a session D is committed, for each peer
that has D (committed, or forming with its final prices: a replay and a live commit reach the
peers' closes first): rs = lead's N-session return minus the peer's, in basis points. Per peer a
side, set by the first defined rs without firing (above if rs >= T, below if rs <= -T, else
neutral); "up" fires when rs >= T and the side is not above, "down" when rs <= -T and the side is
not below; above returns to neutral when rs < T/2, below when rs > -T/2.

The rotation chart plots the lead's close divided by each peer's, on the lead's sessions,
rebased to 100 at the first session of the range (``rebased_ratio``): above 100 the lead has
outperformed that peer since the range began.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from monitor.alerts import fmt_price
from monitor.detector import Detector, RuleSymbol
from monitor.model import Alert

if TYPE_CHECKING:  # pragma: no cover
    from monitor.alerts import Snapshot
    from monitor.bars import DailyBar
    from monitor.config import Config, Divergence, RelativeStrength

NAN = float("nan")
WEEK, MONTH = 5, 21
ABOVE, NEUTRAL, BELOW = 1, 0, -1


def growth(s: RuleSymbol, day: date | None, n: int) -> float:
    """``s``'s close at session ``day`` divided by its close ``n`` sessions before (while ``day``
    is forming, its last price); NaN when either is not held or the base is not above 0."""
    now, base = s.close_and_base(day, n)
    return now / base if base > 0 else NAN


def change_pct(s: RuleSymbol, n: int) -> float:
    """``s``'s change in % over the ``n`` sessions up to its latest one (forming or committed)."""
    return (growth(s, s.last_day, n) - 1.0) * 100.0


def ytd_base(s: RuleSymbol) -> float:
    """The close that year to date is measured from: the previous year's last close."""
    if s.session is not None and s.daily and s.daily[-1].day.year != s.session.year:
        return s.daily[-1].close
    return s.year_base


def ytd_pct(s: RuleSymbol) -> float:
    base = ytd_base(s)
    return (s.last / base - 1.0) * 100.0 if base > 0 else NAN


def spread_bp(lead: RuleSymbol, peer: RuleSymbol, n: int, day: date | None = None) -> float:
    """Lead's ``n``-session return minus the peer's at session ``day`` (default the lead's
    latest), in basis points; NaN when either is unknown."""
    day = lead.last_day if day is None else day
    return (growth(lead, day, n) - growth(peer, day, n)) * 10000.0


def rebased_ratio(lead: Sequence[float], peer: Sequence[float]) -> list[float]:
    """``lead[i] / peer[i]`` for aligned closes, times 100 over the first ratio both define:
    the rotation chart's line for one peer. NaN where either close is unknown or not above 0."""
    out: list[float] = []
    base = NAN
    for a, b in zip(lead, peer):
        if a > 0 and b > 0:  # False for NaN
            ratio = a / b
            if base != base:
                base = ratio
            out.append(ratio / base * 100.0)
        else:
            out.append(NAN)
    return out


def on_days(days: Sequence[int], other_days: Sequence[int], other_closes: Sequence[float]) -> list[float]:
    """``other_closes`` (on ``other_days``) placed on ``days``: NaN where the other symbol has
    no close that day (a holiday of its own, a session it has not seen yet)."""
    at = dict(zip(other_days, other_closes))
    return [at.get(day, NAN) for day in days]


def session_closes(s: RuleSymbol) -> tuple[list[int], list[float]]:
    """(day ordinals, closes) of ``s``'s committed sessions, oldest first, then its forming
    session's last price."""
    daily = s.daily
    days, closes = [int(day) for day in daily.column("day")], list(daily.column("close"))
    if s.session is not None and s.last == s.last:
        days.append(s.session.toordinal())
        closes.append(s.last)
    return days, closes


def rotation(lead: RuleSymbol, peers: Sequence[RuleSymbol], sessions: int | None) -> tuple[list[int], dict[str, list[float]]]:
    """The lead's last ``sessions`` sessions (all kept when None) as day ordinals and, per peer,
    the lead/peer ratio on them rebased to 100 at the first (see ``rebased_ratio``)."""
    days, closes = session_closes(lead)
    if sessions is not None:
        days, closes = days[-sessions:], closes[-sessions:]
    lines = {}
    for peer in peers:
        peer_days, peer_closes = session_closes(peer)
        lines[peer.symbol] = rebased_ratio(closes, on_days(days, peer_days, peer_closes))
    return days, lines


class StrengthWatch:
    """``relative_strength`` of the lead against each peer (see the module docstring)."""

    def __init__(self, divergence: Divergence, settings: RelativeStrength) -> None:
        self.lead = divergence.lead
        self.peers = tuple(divergence.peers)
        self.sessions = settings.sessions
        self.threshold = settings.threshold_bp
        self.sides: dict[str, int | None] = {peer: None for peer in self.peers}

    def on_commit(self, symbols: Mapping[str, RuleSymbol], bar: "DailyBar", out: list[Alert]) -> None:
        """After the lead committed ``bar``. The lead's growth is read once for all peers (the
        same number ``spread_bp`` computes per peer); when it is unknown every rs is NaN and no
        side moves."""
        lead = symbols[self.lead]
        day, n = bar[0], self.sessions
        lead_growth = growth(lead, day, n)
        if lead_growth != lead_growth:
            return
        for name in self.peers:
            peer = symbols.get(name)
            if peer is None:
                continue
            peer_growth = growth(peer, day, n)
            rs = (lead_growth - peer_growth) * 10000.0
            direction = self.step(name, rs)
            if direction:
                out.append(self._alert(lead, peer, bar, rs, direction, lead_growth, peer_growth))

    def step(self, peer: str, rs: float) -> str | None:
        """Move ``peer``'s side by a new rs (NaN: no change); the direction that fires, if any."""
        if rs != rs:
            return None
        high = self.threshold
        side = self.sides[peer]
        if side is None:
            self.sides[peer] = ABOVE if rs >= high else BELOW if rs <= -high else NEUTRAL
        elif rs >= high and side != ABOVE:
            self.sides[peer] = ABOVE
            return "up"
        elif rs <= -high and side != BELOW:
            self.sides[peer] = BELOW
            return "down"
        elif side == ABOVE and rs < high / 2 or side == BELOW and rs > -high / 2:
            self.sides[peer] = NEUTRAL
        return None

    def _alert(
        self, lead: RuleSymbol, peer: RuleSymbol, bar: "DailyBar", rs: float, direction: str, lead_growth: float, peer_growth: float
    ) -> Alert:
        n = self.sessions
        verb = "outperformed" if direction == "up" else "underperformed"
        message = (
            f"{lead.symbol} {verb} {peer.symbol} by {abs(rs):,.0f} bp over {n} sessions "
            f"({(lead_growth - 1) * 100:+.2f}% vs {(peer_growth - 1) * 100:+.2f}%) "
            f"at the {bar.day.isoformat()} close of {fmt_price(bar.close)}"
        )
        extra = {"peer": peer.symbol, "sessions": n, "spread_bp": rs}
        return Alert(bar.close_time, lead.symbol, "relative_strength", direction, bar.close, message, extra)


class Strength(Detector):
    """``relative_strength`` for the engine: a ``StrengthWatch`` run when the lead commits a bar."""

    def __init__(self, config: Config, symbols: Mapping[str, RuleSymbol]) -> None:
        super().__init__(config, symbols)
        self.watch = StrengthWatch(config.divergence, config.relative_strength)

    def watches(self, s: RuleSymbol) -> bool:
        return s.symbol == self.watch.lead

    def close(self, s: RuleSymbol, bar: DailyBar, before: Snapshot, now: Snapshot, out: list[Alert]) -> None:
        self.watch.on_commit(self.symbols, bar, out)

    def reconfigure(self, config: Config, rebuild: bool) -> None:
        """A new setting starts the sides afresh."""
        old = self.config
        if (old.divergence, old.relative_strength) != (config.divergence, config.relative_strength):
            self.watch = StrengthWatch(config.divergence, config.relative_strength)
        super().reconfigure(config, rebuild)
