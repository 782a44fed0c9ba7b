"""Alert frequency policy: which fired alerts are delivered (sinks, bell, history view).

The engine decides when a rule fires (hysteresis, once per session for new highs, ...). The gate
then applies the user's policy per rule (``[alerts.<rule>]``) and per level (a ``[[levels]]``
entry's own ``frequency``/``cooldown``/``expires``/``muted``, which override the rule's):

- no setting, or ``every_time``: every alert the engine fires is delivered;
- ``once``: only the first alert of that rule for that symbol (of that level); live runs count
  what the alert history says was delivered before, so "once" holds across restarts;
- ``once_per_session``: the first one per New York session date of the alert;
- ``cooldown``: at least that long (in alert time) between two deliveries;
- ``expires``: nothing after that New York date (of the alert);
- ``muted``: nothing; ``mute``/``unmute``/``snooze`` change this at run time from the app.

Sessions, cooldowns and expiry use the alert's own time, so a replay is deterministic; only a
snooze, a user action, runs on the wall clock (``clock``).

Keys: a rule name (``"ma_cross"``), or ``"level_cross:<symbol>:<price>"`` for one level (see
``level_key``). Muting or snoozing a rule covers all its alerts, levels included.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import date, datetime
from typing import Callable, Iterable

from monitor.config import AlertPolicy, Config
from monitor.model import NEW_YORK, Alert

LEVEL_RULE = "level_cross"


def format_price(price: float) -> str:
    """2500.0 -> '2500', 2497.5 -> '2497.5' (the form used in level keys)."""
    text = repr(float(price))
    return text[:-2] if text.endswith(".0") else text


def level_key(symbol: str, price: float) -> str:
    return f"{LEVEL_RULE}:{symbol}:{format_price(price)}"


def alert_key(alert: Alert) -> str:
    """The policy key of an alert: its level key for a level cross, else its rule name."""
    if alert.rule == LEVEL_RULE and "level" in alert.extra:
        try:
            return level_key(alert.symbol, float(alert.extra["level"]))
        except (TypeError, ValueError):
            pass
    return alert.rule


def merge_policies(rule: AlertPolicy, level: AlertPolicy) -> AlertPolicy:
    """A level's own settings override its rule's; either one being muted mutes it."""
    return AlertPolicy(
        frequency=level.frequency if level.frequency is not None else rule.frequency,
        cooldown=level.cooldown if level.cooldown is not None else rule.cooldown,
        expires=level.expires if level.expires is not None else rule.expires,
        muted=rule.muted or level.muted,
    )


def session_date(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, NEW_YORK).date()


class AlertGate:
    """Decides whether a fired alert is delivered. Thread-safe. What was delivered lives for the
    run, plus what ``remember`` is given from the alert history; mutes and snoozes for the run."""

    def __init__(self, config: Config, clock: Callable[[], float] = _time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._last_sent: dict[tuple[str, str], float] = {}  # (key, symbol) -> alert time
        self._sent_sessions: dict[tuple[str, str], date] = {}
        self._muted: dict[str, float | None] = {}  # key -> snooze end (epoch) or None = muted
        self._unmuted: set[str] = set()  # keys unmuted at run time despite the config
        self.reconfigure(config)

    def reconfigure(self, config: Config) -> None:
        """New policies; what was already delivered and run-time mutes are kept."""
        levels = {level_key(lv.symbol, lv.price): lv.policy for lv in config.levels}
        with self._lock:
            self._config = config
            self._levels = levels

    def policy_for(self, key: str) -> AlertPolicy:
        """The effective policy of a rule name or level key."""
        rule = self._config.policy_for(LEVEL_RULE if key.startswith(LEVEL_RULE + ":") else key)
        level = self._levels.get(key)
        return merge_policies(rule, level) if level is not None else rule

    # --- run-time mute and snooze -------------------------------------------------------------

    def mute(self, key: str) -> None:
        with self._lock:
            self._muted[key] = None
            self._unmuted.discard(key)

    def snooze(self, key: str, seconds: float) -> None:
        """Mute ``key`` for ``seconds`` of wall-clock time."""
        with self._lock:
            self._muted[key] = self.clock() + seconds
            self._unmuted.discard(key)

    def unmute(self, key: str) -> None:
        """End a mute or snooze, and override ``muted = true`` from the config for this run."""
        with self._lock:
            self._muted.pop(key, None)
            self._unmuted.add(key)

    def muted_keys(self) -> dict[str, float | None]:
        """Every muted key: snooze end (epoch) or None for muted until unmuted."""
        now = self.clock()
        with self._lock:
            keys = {k: until for k, until in self._muted.items() if until is None or until > now}
            configured = {**self._config.alerts, **self._levels}
            for key, policy in configured.items():
                if policy.muted and key not in self._unmuted:
                    keys.setdefault(key, None)
        return keys

    def is_muted(self, key: str) -> bool:
        return self._muted_reason(key) is not None

    def _muted_reason(self, key: str) -> str | None:
        until = self._muted.get(key, 0.0)
        if until is None:
            return "muted"
        if until and until > self.clock():
            return "snoozed"
        if key not in self._unmuted:
            rule_policy = self._config.policy_for(key)
            level_policy = self._levels.get(key)
            if rule_policy.muted or (level_policy is not None and level_policy.muted):
                return "muted in the config"
        return None

    # --- the decision ---------------------------------------------------------------------------

    def check(self, alert: Alert) -> str | None:
        """None if ``alert`` is to be delivered (and count it as delivered), else the reason."""
        key = alert_key(alert)
        with self._lock:
            for candidate in dict.fromkeys((alert.rule, key)):  # the rule, then its level
                reason = self._muted_reason(candidate)
                if reason:
                    return reason
            policy = self.policy_for(key)
            day = session_date(alert.time)
            if policy.expires is not None and day > policy.expires:
                return f"expired on {policy.expires.isoformat()}"
            slot = (key, alert.symbol)
            if policy.frequency == "once" and slot in self._last_sent:
                return "already delivered once"
            if policy.frequency == "once_per_session" and self._sent_sessions.get(slot) == day:
                return "already delivered this session"
            last = self._last_sent.get(slot)
            if policy.cooldown is not None and last is not None and alert.time - last < policy.cooldown:
                return "cooling down"
            self._last_sent[slot] = alert.time
            self._sent_sessions[slot] = day
            return None

    def remember(self, delivered: Iterable[Alert]) -> None:
        """Count alerts an earlier run delivered (from the alert history) as delivered, so that
        ``once``, ``once_per_session`` and cooldowns hold across a restart."""
        with self._lock:
            for alert in sorted(delivered, key=lambda a: a.time):
                slot = (alert_key(alert), alert.symbol)
                self._last_sent[slot] = alert.time
                self._sent_sessions[slot] = session_date(alert.time)

    def allow(self, alert: Alert) -> bool:
        """True if ``alert`` is to be delivered (and count it as delivered)."""
        return self.check(alert) is None
