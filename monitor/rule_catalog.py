"""Every alert rule by name: when it is evaluated and whether it may wait for the close.

The config reads this list (its ``[alerts.<rule>]`` tables and ``confirm = "close"`` checks), so
it imports nothing of the engine; ``monitor.rules`` binds each name to the detector that fires
it. Adding a rule is its entry here and its detector there (see ``monitor.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass

TICK = "tick"  # on every price
CLOSE = "close"  # when a daily bar is committed
BATCH = "batch"  # after a batch of prices seen together


@dataclass(frozen=True)
class RuleName:
    name: str  # the ``rule`` of its alerts, its ``[alerts.<rule>]`` table
    evaluated: str  # TICK, CLOSE or BATCH
    confirmable: bool = False  # a tick rule that may wait for the close (confirm = "close")


# In the order the user sees them (config check's list, the mute dialog, the README).
CATALOG: tuple[RuleName, ...] = (
    RuleName("level_cross", TICK, confirmable=True),
    RuleName("new_high", TICK, confirmable=True),
    RuleName("new_low", TICK, confirmable=True),
    RuleName("ma_cross", CLOSE),
    RuleName("rsi_overbought", CLOSE),
    RuleName("rsi_oversold", CLOSE),
    RuleName("rsi_macd_divergence", CLOSE),
    RuleName("relative_divergence", BATCH),
    RuleName("relative_strength", CLOSE),
    RuleName("zone_cross", TICK),
    RuleName("price_rsi_divergence", CLOSE),
    RuleName("level_approach", TICK),
)

RULE_NAMES = tuple(rule.name for rule in CATALOG)
CONFIRMABLE = tuple(rule.name for rule in CATALOG if rule.confirmable)
