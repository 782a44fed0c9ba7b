"""The rules registry: every alert rule, in one place.

``RULES`` names each rule (the ``rule`` of its alerts, its ``[alerts.<rule>]`` table), says when
it is evaluated and whether it may wait for the session close (``confirm = "close"``), and points
to its ``Detector`` (``monitor.detector``): the hooks ``MarketState`` calls. One detector may fire
several rules (``Extremes``: ``new_high`` and ``new_low``). The config's rule names and policy
checks, the engine and the README's tests read this list; adding a rule is its module (the rule
and its detector), its entry here (and its detector in ``ENGINE_ORDER``), its tests, and its
paragraph in the README's "When alerts fire".
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.alerts import BarClose, Extremes, Levels, RelativeDivergence
from monitor.detector import Detector
from monitor.nearness import Approach
from monitor.price_rsi import PriceRsi
from monitor.rotation import Strength
from monitor.zones import Zones

TICK = "tick"  # on every price
CLOSE = "close"  # when a daily bar is committed
BATCH = "batch"  # after a batch of prices seen together


@dataclass(frozen=True)
class Rule:
    name: str
    evaluated: str  # TICK, CLOSE or BATCH
    detector: type[Detector]
    confirmable: bool = False  # a tick rule that may wait for the close (confirm = "close")


# In the order the user sees them (config check's list, the mute dialog, the README).
RULES: tuple[Rule, ...] = (
    Rule("level_cross", TICK, Levels, confirmable=True),
    Rule("new_high", TICK, Extremes, confirmable=True),
    Rule("new_low", TICK, Extremes, confirmable=True),
    Rule("ma_cross", CLOSE, BarClose),
    Rule("rsi_overbought", CLOSE, BarClose),
    Rule("rsi_oversold", CLOSE, BarClose),
    Rule("rsi_macd_divergence", CLOSE, BarClose),
    Rule("relative_divergence", BATCH, RelativeDivergence),
    Rule("relative_strength", CLOSE, Strength),
    Rule("zone_cross", TICK, Zones),
    Rule("price_rsi_divergence", CLOSE, PriceRsi),
    Rule("level_approach", TICK, Approach),
)

# The order the engine runs the detectors' hooks in: alerts of one moment come out in this order.
ENGINE_ORDER: tuple[type[Detector], ...] = (Levels, Zones, Approach, Extremes, BarClose, PriceRsi, Strength, RelativeDivergence)

RULE_NAMES = tuple(rule.name for rule in RULES)
CONFIRMABLE = tuple(rule.name for rule in RULES if rule.confirmable)
