"""AlertGate: frequency, cooldown, expiry, mute and snooze per rule and per level."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from monitor.config import AlertPolicy, Config, Level
from monitor.model import NEW_YORK, Alert
from monitor.policy import AlertGate, alert_key, level_key


def ny(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=NEW_YORK).timestamp()


def cross(time: float, level: float = 2500.0, symbol: str = "^RUT", direction: str = "down") -> Alert:
    return Alert(time, symbol, "level_cross", direction, level - 1, "crossed", {"level": level, "label": ""})


def rsi(time: float, symbol: str = "^RUT") -> Alert:
    return Alert(time, symbol, "rsi_overbought", "up", 1.0, "rsi", {"rsi": 71.0})


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def gate_with(alerts=None, levels=None, clock=None) -> AlertGate:
    config = Config(alerts=alerts or {}, levels=tuple(levels) if levels is not None else Config().levels)
    return AlertGate(config, clock=clock or Clock())


def delivered(gate: AlertGate, alerts) -> list[bool]:
    return [gate.allow(alert) for alert in alerts]


def test_keys():
    assert level_key("^RUT", 2500.0) == "level_cross:^RUT:2500"
    assert level_key("^RUT", 2497.5) == "level_cross:^RUT:2497.5"
    assert alert_key(cross(0.0)) == "level_cross:^RUT:2500" and alert_key(rsi(0.0)) == "rsi_overbought"


def test_default_and_every_time_pass_everything_through():
    alerts = [rsi(ny(2, 10)), rsi(ny(2, 10, 1)), cross(ny(2, 10)), cross(ny(2, 10))]
    assert delivered(gate_with(), alerts) == [True] * 4
    every = gate_with({"rsi_overbought": AlertPolicy(frequency="every_time")})
    assert delivered(every, alerts) == [True] * 4


def test_once_is_per_symbol_and_level():
    gate = gate_with({"level_cross": AlertPolicy(frequency="once"), "rsi_overbought": AlertPolicy(frequency="once")})
    alerts = [cross(ny(2, 10)), cross(ny(3, 10)), cross(ny(2, 11), level=2600.0), rsi(ny(2, 10)), rsi(ny(9, 10)), rsi(ny(2, 10), "^NDX")]
    assert delivered(gate, alerts) == [True, False, True, True, False, True]


def test_once_per_session_uses_the_new_york_date_of_the_alert():
    gate = gate_with({"rsi_overbought": AlertPolicy(frequency="once_per_session")})
    late_evening = datetime(2026, 3, 2, 23, 30, tzinfo=NEW_YORK).timestamp()  # 04:30 UTC on the 3rd
    alerts = [rsi(ny(2, 10)), rsi(ny(2, 15)), rsi(late_evening), rsi(ny(3, 9, 31)), rsi(ny(3, 16))]
    assert delivered(gate, alerts) == [True, False, False, True, False]


def test_cooldown_runs_on_alert_time_so_replay_is_deterministic():
    clock = Clock()
    gate = gate_with({"level_cross": AlertPolicy(cooldown=900.0)}, clock=clock)
    times = [ny(2, 10), ny(2, 10, 5), ny(2, 10, 14), ny(2, 10, 15), ny(2, 10, 20), ny(2, 10, 31)]
    assert delivered(gate, [cross(t) for t in times]) == [True, False, False, True, False, True]
    # other levels have their own cooldown
    assert gate.allow(cross(ny(2, 10, 32), level=2600.0))


def test_expires_after_that_new_york_date():
    gate = gate_with({"ma_cross": AlertPolicy(expires=date(2026, 3, 3))})
    alerts = [Alert(t, "^RUT", "ma_cross", "up", 1.0, "x") for t in (ny(3, 16), ny(4, 9, 30))]
    assert delivered(gate, alerts) == [True, False]
    assert gate.check(alerts[1]).startswith("expired")


def test_level_settings_override_the_rule():
    levels = [
        Level("^RUT", 2500.0, "support", AlertPolicy(frequency="every_time")),
        Level("^RUT", 2600.0, "resistance"),
        Level("^RUT", 2700.0, "", AlertPolicy(muted=True)),
    ]
    gate = gate_with({"level_cross": AlertPolicy(frequency="once")}, levels)
    assert delivered(gate, [cross(ny(2, 10)), cross(ny(2, 11))]) == [True, True]  # level: every_time
    assert delivered(gate, [cross(ny(2, 10), 2600.0), cross(ny(2, 11), 2600.0)]) == [True, False]  # rule: once
    assert delivered(gate, [cross(ny(2, 10), 2700.0)]) == [False]
    assert gate.policy_for("level_cross:^RUT:2500").frequency == "every_time"


def test_muted_in_config_and_unmuted_at_run_time():
    gate = gate_with({"rsi_overbought": AlertPolicy(muted=True)})
    assert not gate.allow(rsi(ny(2, 10)))
    assert gate.muted_keys() == {"rsi_overbought": None}
    gate.unmute("rsi_overbought")
    assert gate.allow(rsi(ny(2, 11))) and gate.muted_keys() == {}


def test_mute_a_rule_covers_its_levels_and_mute_a_level_only_that_level():
    gate = gate_with()
    gate.mute("level_cross:^RUT:2500")
    assert delivered(gate, [cross(ny(2, 10)), cross(ny(2, 10), 2600.0)]) == [False, True]
    gate.mute("level_cross")
    assert not gate.allow(cross(ny(2, 11), 2600.0))
    gate.unmute("level_cross")
    gate.unmute("level_cross:^RUT:2500")
    assert gate.allow(cross(ny(2, 12)))


def test_snooze_runs_on_the_clock_and_ends_by_itself():
    clock = Clock()
    gate = gate_with(clock=clock)
    gate.snooze("rsi_overbought", 600)
    assert gate.muted_keys() == {"rsi_overbought": clock.now + 600}
    assert gate.check(rsi(ny(2, 10))) == "snoozed"
    clock.now += 601
    assert gate.allow(rsi(ny(2, 10))) and gate.muted_keys() == {}


def test_suppressed_alerts_do_not_use_up_once():
    gate = gate_with({"rsi_overbought": AlertPolicy(frequency="once")})
    gate.mute("rsi_overbought")
    assert not gate.allow(rsi(ny(2, 10)))
    gate.unmute("rsi_overbought")
    assert gate.allow(rsi(ny(2, 11)))


def test_reconfigure_keeps_history_and_mutes():
    gate = gate_with()
    gate.mute("ma_cross")
    assert gate.allow(rsi(ny(2, 10)))
    gate.reconfigure(Config(alerts={"rsi_overbought": AlertPolicy(frequency="once_per_session")}))
    assert not gate.allow(rsi(ny(2, 11)))  # already delivered this session before the change
    assert gate.is_muted("ma_cross")


@pytest.mark.parametrize("frequency", ["once", "once_per_session"])
def test_replay_twice_gives_the_same_decisions(frequency):
    alerts = [cross(ny(day, hour)) for day in (2, 3, 4) for hour in (10, 12, 15)]
    config = Config(alerts={"level_cross": AlertPolicy(frequency=frequency, cooldown=3 * 3600.0)})
    first = delivered(AlertGate(config, clock=Clock(1.0)), alerts)
    second = delivered(AlertGate(config, clock=Clock(9e9)), alerts)
    assert first == second and any(first) and not all(first)
