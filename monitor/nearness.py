"""Nearness: ``level_approach`` (the price within ``approach_pct`` of a level or a zone edge,
not across it) and the SMA fast/slow gap the readout shows.

A level's near bands are (level, level*(1+a)] above it and [level*(1-a), level) below it, with a
= its own ``approach_pct`` or ``[rules] approach_pct``, in %. A zone's are below its low edge and
above its high edge (inside the zone the price is already there). A tick in a band fires once per
New York session per level (edge) and side: "up" from below, "down" from above. An
``approach_pct`` of 0 turns it off for that level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from monitor.alerts import fmt_level
from monitor.detector import Detector, RuleSymbol
from monitor.model import Alert

if TYPE_CHECKING:  # pragma: no cover
    from monitor.config import Config, Level, Zone

NAN = float("nan")
GAP_SESSIONS = 5  # the readout's change of the SMA gap is over this many sessions


class Target:
    """One price to watch from one side: (low, high) is its near band, inclusive at the far end."""

    __slots__ = ("price", "label", "side", "low", "high", "pct")

    def __init__(self, price: float, label: str, side: str, pct: float) -> None:
        self.price, self.label, self.side, self.pct = price, label, side, pct
        far = price * (1.0 + pct / 100.0) if side == "above" else price * (1.0 - pct / 100.0)
        far = float(f"{far:.12g}")  # 2500 * 1.005 is 2512.5, not 2512.4999999999995
        self.low, self.high = (price, far) if side == "above" else (far, price)

    def near(self, p: float) -> bool:
        if self.side == "above":
            return self.low < p <= self.high
        return self.low <= p < self.high


def targets(levels: Iterable[Level], zones: Iterable[Zone], default_pct: float) -> list[Target]:
    out = []
    for level in levels:
        pct = default_pct if level.approach_pct is None else level.approach_pct
        if pct > 0:
            label = level.label
            out += [Target(level.price, label, "above", pct), Target(level.price, label, "below", pct)]
    for zone in zones:
        pct = default_pct if zone.approach_pct is None else zone.approach_pct
        if pct > 0:
            name = f" {zone.label}" if zone.label else " zone"
            out.append(Target(zone.low, f"low edge of the{name}", "below", pct))
            out.append(Target(zone.high, f"high edge of the{name}", "above", pct))
    return out


class ApproachWatch:
    """``level_approach`` for one symbol. ``low``/``high`` bound every band: a tick outside them
    costs two comparisons."""

    __slots__ = ("targets", "low", "high", "session", "fired")

    def __init__(self, watched: list[Target]) -> None:
        self.targets = watched
        self.low = min((t.low for t in watched), default=math.inf)
        self.high = max((t.high for t in watched), default=-math.inf)
        self.session: date | None = None
        self.fired: set[tuple[float, str]] = set()  # (price, side) fired in ``session``

    def check(self, symbol: str, session: date | None, t: float, price: float, out: list[Alert]) -> None:
        if session != self.session:
            self.session = session
            self.fired = set()
        for target in self.targets:
            key = (target.price, target.side)
            if key not in self.fired and target.near(price):
                self.fired.add(key)
                out.append(_alert(symbol, t, price, target))


def _alert(symbol: str, t: float, price: float, target: Target) -> Alert:
    distance = abs(price - target.price) / target.price * 100.0
    label = f" ({target.label})" if target.label else ""
    shown = f"{distance:.1f}" if distance >= 0.05 else f"{distance:.2f}"
    message = f"{symbol} is {shown} % {target.side} {fmt_level(target.price)}{label}"
    direction = "down" if target.side == "above" else "up"
    extra = {"level": target.price, "label": target.label, "side": target.side, "distance_pct": distance, "approach_pct": target.pct}
    return Alert(t, symbol, "level_approach", direction, price, message, extra)


def gap_pct(fast: float, slow: float) -> float:
    """SMA fast - SMA slow in % of SMA slow (NaN while either is undefined)."""
    return (fast - slow) / slow * 100.0 if slow > 0 else NAN


def ma_gap(s: RuleSymbol) -> tuple[float, float]:
    """(SMA fast - SMA slow in % of SMA slow now, its change in points over ``GAP_SESSIONS``
    sessions); NaN while undefined. ``s.gaps`` holds the gaps at the last committed bars."""
    gap = gap_pct(s.ind.sma_fast, s.ind.sma_slow)
    gaps = s.gaps
    n = GAP_SESSIONS if s.session is not None else GAP_SESSIONS + 1
    before = gaps[-n] if len(gaps) >= n else NAN
    return gap, gap - before


def _approach(config: Config, symbol: str) -> ApproachWatch:
    return ApproachWatch(targets(config.levels_for(symbol), config.zones_for(symbol), config.rules.approach_pct))


class Approach(Detector):
    """``level_approach`` for the engine: each symbol's ``ApproachWatch`` (``s.approach``)."""

    memory = ("approach",)

    def attach(self, s: RuleSymbol) -> None:
        s.approach = _approach(self.config, s.symbol)

    def watches(self, s: RuleSymbol) -> bool:
        return bool(s.approach.targets)

    def tick(self, s: RuleSymbol, t: float, price: float, out: list[Alert]) -> None:
        near = s.approach
        if near.low <= price <= near.high:
            near.check(s.symbol, s.session, t, price, out)

    def quiet(self, s: RuleSymbol) -> tuple[float, float]:
        """The side of every near band that the last price is on (nothing while it is among them)."""
        near, last = s.approach, s.last
        if last < near.low:
            return -math.inf, near.low
        if last > near.high:
            return near.high, math.inf
        return math.inf, -math.inf

    def reconfigure_symbol(self, s: RuleSymbol, old: Config, rebuild: bool) -> None:
        """New targets; what fired this session stays fired."""
        approach = _approach(self.config, s.symbol)
        approach.session, approach.fired = s.approach.session, s.approach.fired
        s.approach = approach
