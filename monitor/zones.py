"""``zone_cross``: a price range (``[[zones]]``) entered, or left through either edge.

Each zone of a symbol has a region: below, inside or above, set by the first price without
firing (below when price < low, above when price > high, else inside). With h =
``hysteresis_pct``/100, a tick moves it:

- from below: p > high*(1+h) -> above ("up", ``broke_above``); else p > low*(1+h) -> inside
  ("up", ``entered``);
- from above: p < low*(1-h) -> below ("down", ``broke_below``); else p < high*(1-h) -> inside
  ("down", ``entered``);
- from inside: p > high*(1+h) -> above ("up", ``broke_above``); p < low*(1-h) -> below ("down",
  ``broke_below``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from monitor.alerts import fmt_level, fmt_price
from monitor.detector import Detector, RuleSymbol
from monitor.model import Alert

if TYPE_CHECKING:  # pragma: no cover
    from monitor.config import Config, Zone

BELOW, INSIDE, ABOVE = -1, 0, 1
UNSET = None


def _edge(x: float) -> float:
    """An edge to 12 significant digits, like ``LevelState``'s (2580 * 1.001 is exact)."""
    return float(f"{x:.12g}")


class ZoneState:
    """One configured zone of one symbol and its region (None until the first price)."""

    __slots__ = ("zone", "low", "high", "label", "low_up", "low_down", "high_up", "high_down", "region")

    def __init__(self, zone: Zone, hysteresis_pct: float, region: int | None = UNSET) -> None:
        band = hysteresis_pct / 100.0
        self.zone = zone
        self.low, self.high, self.label = zone.low, zone.high, zone.label
        self.low_up = _edge(zone.low * (1.0 + band))
        self.low_down = _edge(zone.low * (1.0 - band))
        self.high_up = _edge(zone.high * (1.0 + band))
        self.high_down = _edge(zone.high * (1.0 - band))
        self.region = region

    def arm(self, price: float) -> None:
        """The first price sets the region; it never fires."""
        self.region = BELOW if price < self.low else ABOVE if price > self.high else INSIDE

    @property
    def name(self) -> str:
        """'2,580-2,600 resistance zone' (the label when there is one)."""
        label = f" {self.label}" if self.label else ""
        return f"{fmt_level(self.low)}-{fmt_level(self.high)}{label}"


def check_zones(zones: list[ZoneState], symbol: str, t: float, price: float, out: list[Alert]) -> None:
    """``zone_cross`` for one tick of ``symbol``: appends the alerts that fire to ``out``."""
    for z in zones:
        region = z.region
        if region == BELOW:
            if price > z.high_up:
                z.region = ABOVE
                out.append(_zone_alert(z, symbol, t, price, "up", "broke_above"))
            elif price > z.low_up:
                z.region = INSIDE
                out.append(_zone_alert(z, symbol, t, price, "up", "entered"))
        elif region == ABOVE:
            if price < z.low_down:
                z.region = BELOW
                out.append(_zone_alert(z, symbol, t, price, "down", "broke_below"))
            elif price < z.high_down:
                z.region = INSIDE
                out.append(_zone_alert(z, symbol, t, price, "down", "entered"))
        elif region == INSIDE:
            if price > z.high_up:
                z.region = ABOVE
                out.append(_zone_alert(z, symbol, t, price, "up", "broke_above"))
            elif price < z.low_down:
                z.region = BELOW
                out.append(_zone_alert(z, symbol, t, price, "down", "broke_below"))
        else:
            z.arm(price)


_VERBS = {"entered": "entered", "broke_above": "broke above", "broke_below": "broke below"}


def _zone_alert(z: ZoneState, symbol: str, t: float, price: float, direction: str, event: str) -> Alert:
    side = " from below" if event == "entered" and direction == "up" else " from above" if event == "entered" else ""
    message = f"{symbol} {_VERBS[event]} the {z.name}{side} at {fmt_price(price)}"
    extra = {"low": z.low, "high": z.high, "label": z.label, "event": event}
    return Alert(t, symbol, "zone_cross", direction, price, message, extra)


def zone_states(zones: list[Zone], hysteresis_pct: float, old: list[ZoneState] = (), last: float = float("nan")) -> list[ZoneState]:
    """The states of ``zones``: a zone that still exists keeps its region; a new one is armed by
    ``last`` when it is a price, else by the next tick."""
    regions = {(z.low, z.high): z.region for z in old}
    states = []
    for zone in zones:
        state = ZoneState(zone, hysteresis_pct, regions.get((zone.low, zone.high), UNSET))
        if state.region is UNSET and last == last:
            state.arm(last)
        states.append(state)
    return states


def quiet_band(zones: list[ZoneState]) -> tuple[float, float]:
    """(lo, hi): a tick at a price with lo <= price <= hi moves no zone's region and arms none.
    Each zone bounds it by the edges it would cross from its region; a zone without a region
    yet makes it empty."""
    lo, hi = -math.inf, math.inf
    for z in zones:
        region = z.region
        if region is UNSET:
            return math.inf, -math.inf
        if region == BELOW:
            hi = min(hi, z.low_up, z.high_up)
        elif region == ABOVE:
            lo = max(lo, z.low_down, z.high_down)
        else:
            hi = min(hi, z.high_up)
            lo = max(lo, z.low_down)
    return lo, hi


class Zones(Detector):
    """``zone_cross`` for the engine: each symbol's ``ZoneState``s (``s.zones``) and their
    ``quiet_band`` (``s.zone_quiet``), the range in which the engine skips the tick hook
    (``Detector.quiet``). It is kept, redrawn whenever the zones or their regions may have
    changed, because the engine asks for it again at every commit."""

    memory = ("zones", "zone_quiet")

    def attach(self, s: RuleSymbol) -> None:
        s.zones = zones = zone_states(self.config.zones_for(s.symbol), self.config.rules.hysteresis_pct)
        s.zone_quiet = quiet_band(zones)

    def watches(self, s: RuleSymbol) -> bool:
        return bool(s.zones)

    def tick(self, s: RuleSymbol, t: float, price: float, out: list[Alert]) -> None:
        zones = s.zones
        check_zones(zones, s.symbol, t, price, out)
        s.zone_quiet = quiet_band(zones)

    def quiet(self, s: RuleSymbol) -> tuple[float, float]:
        return s.zone_quiet

    def reconfigure_symbol(self, s: RuleSymbol, old: Config, rebuild: bool) -> None:
        config = self.config
        s.zones = zones = zone_states(config.zones_for(s.symbol), config.rules.hysteresis_pct, s.zones, s.last)
        s.zone_quiet = quiet_band(zones)
