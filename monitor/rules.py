"""The rules registry: every alert rule bound to the detector that fires it.

``RULES`` is the catalog (``monitor.rule_catalog``: each rule's name, the ``rule`` of its alerts
and its ``[alerts.<rule>]`` table, when it is evaluated and whether it may wait for the session
close) with each rule's ``Detector`` (``monitor.detector``): the hooks ``MarketState`` calls. One
detector may fire several rules (``Extremes``: ``new_high`` and ``new_low``). The catalog sits
below the config (which checks the names) and this binding above the rules' modules, so neither
imports the other in a circle. Adding a rule is its module (the rule and its detector), its entry
in the catalog, its detector in ``DETECTORS`` (and in ``ENGINE_ORDER``), its name in words in
the mute dialog (``monitor.tui.widgets.dialogs.RULE_NAMES``), its tests, and the README's
"Where to add things" list (a new module also takes its place in pyproject's contracts).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.alerts import BarClose, Extremes, Levels, RelativeDivergence
from monitor.detector import Detector
from monitor.nearness import Approach
from monitor.price_rsi import PriceRsi
from monitor.rotation import Strength
from monitor.rule_catalog import BATCH, CATALOG, CLOSE, CONFIRMABLE, RULE_NAMES, TICK
from monitor.zones import Zones

__all__ = ["BATCH", "CLOSE", "CONFIRMABLE", "DETECTORS", "ENGINE_ORDER", "RULES", "RULE_NAMES", "TICK", "Rule"]


@dataclass(frozen=True)
class Rule:
    name: str
    evaluated: str  # TICK, CLOSE or BATCH
    detector: type[Detector]
    confirmable: bool = False  # a tick rule that may wait for the close (confirm = "close")


# The detector that fires each rule of the catalog.
DETECTORS: dict[str, type[Detector]] = {
    "level_cross": Levels,
    "new_high": Extremes,
    "new_low": Extremes,
    "ma_cross": BarClose,
    "rsi_overbought": BarClose,
    "rsi_oversold": BarClose,
    "rsi_macd_divergence": BarClose,
    "relative_divergence": RelativeDivergence,
    "relative_strength": Strength,
    "zone_cross": Zones,
    "price_rsi_divergence": PriceRsi,
    "level_approach": Approach,
}

# In the catalog's order (the order the user sees them).
RULES: tuple[Rule, ...] = tuple(
    Rule(rule.name, rule.evaluated, DETECTORS[rule.name], rule.confirmable) for rule in CATALOG
)

# The order the engine runs the detectors' hooks in: alerts of one moment come out in this order.
ENGINE_ORDER: tuple[type[Detector], ...] = (Levels, Zones, Approach, Extremes, BarClose, PriceRsi, Strength, RelativeDivergence)
