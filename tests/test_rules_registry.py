"""The rules registry (monitor.rules, over the catalog monitor.rule_catalog) is the one list the
config, the engine and the README read."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import monitor.state
from monitor.config import CONFIRM_RULES, RULES, Config, Rules, check_config_text
from monitor.detector import Detector
from monitor.model import NEW_YORK, Tick
from monitor.rule_catalog import CATALOG
from monitor.rules import BATCH, CLOSE, DETECTORS, ENGINE_ORDER, RULE_NAMES, RULES as REGISTRY, TICK
from monitor.state import MarketState

README = Path(__file__).resolve().parent.parent / "README.md"


def ny(day: str, hhmm: str = "09:30") -> float:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=NEW_YORK).timestamp()


def test_the_config_takes_its_rule_names_and_confirmable_rules_from_the_registry():
    assert RULES == RULE_NAMES and len(set(RULES)) == len(RULES)
    assert CONFIRM_RULES == tuple(rule.name for rule in REGISTRY if rule.confirmable)
    for name in RULE_NAMES:  # every registered rule has its [alerts.<rule>] table
        _, problems = check_config_text(f'[alerts.{name}]\ncooldown = "15m"\n', "c.toml")
        assert problems == []
    _, problems = check_config_text('[alerts.bogus]\nmuted = true\n', "c.toml")
    assert problems == [f"c.toml:1: alerts.bogus: unknown rule (rules: {', '.join(RULE_NAMES)})"]


def test_every_catalogued_rule_and_no_other_has_a_detector_in_the_catalogs_order():
    assert list(DETECTORS) == list(RULE_NAMES)
    assert [(rule.name, rule.evaluated, rule.confirmable) for rule in REGISTRY] == [
        (rule.name, rule.evaluated, rule.confirmable) for rule in CATALOG
    ]
    assert [rule.detector for rule in REGISTRY] == [DETECTORS[name] for name in RULE_NAMES]


@pytest.mark.parametrize("rule", REGISTRY, ids=lambda rule: rule.name)
def test_each_rule_has_a_detector_the_engine_runs_with_the_hook_for_when_it_is_evaluated(rule):
    assert rule.detector in ENGINE_ORDER
    hook = {TICK: "tick", CLOSE: "close", BATCH: "batch"}[rule.evaluated]
    assert getattr(rule.detector, hook) is not None, f"{rule.detector.__name__} has no {hook} hook"
    if rule.confirmable:  # it may wait for the close: the detector sees the close too
        assert rule.evaluated == TICK
        assert rule.detector.closing is not None or rule.detector.close is not None


def test_every_detector_fires_some_rule_and_keeps_its_own_memory():
    fired_by = {rule.detector for rule in REGISTRY}
    assert set(ENGINE_ORDER) == fired_by and len(ENGINE_ORDER) == len(fired_by)
    memory = [name for detector in ENGINE_ORDER for name in detector.memory]
    assert len(memory) == len(set(memory)), "two detectors keep the same SymbolState attribute"


class Probe(Detector):
    """A rule added to the registry: the engine must call its hooks with no other change."""

    memory = ("probe_seen",)
    calls: list[tuple] = []

    def attach(self, s) -> None:
        s.probe_seen = 0

    def tick(self, s, t, price, out) -> None:
        s.probe_seen += 1
        self.calls.append(("tick", s.symbol, price))

    def closing(self, s, out) -> None:
        self.calls.append(("closing", s.symbol, s.last))

    def close(self, s, bar, before, now, out) -> None:
        self.calls.append(("close", s.symbol, bar.close))

    def batch(self, ticks, out) -> None:
        self.calls.append(("batch", len(ticks)))

    def reconfigure_symbol(self, s, old, rebuild) -> None:
        self.calls.append(("reconfigure", s.symbol, rebuild))


def test_a_registered_detector_is_run_by_the_engine_at_each_tick_close_batch_and_reconfigure(monkeypatch):
    monkeypatch.setattr(monitor.state, "ENGINE_ORDER", (*ENGINE_ORDER, Probe))
    Probe.calls = []

    class State(monitor.state.SymbolState):  # with the slot the registry would have given it
        __slots__ = ("probe_seen",)

    monkeypatch.setattr(monitor.state, "SymbolState", State)
    config = Config(symbols=("Y",), levels=())
    st = MarketState(config)
    assert st.symbols["Y"].probe_seen == 0
    st.apply([Tick("Y", ny("2026-01-05"), 10.0)])
    st.apply([Tick("Y", ny("2026-01-06"), 11.0), Tick("Y", ny("2026-01-06", "09:31"), 12.0)])
    st.reconfigure(Config(symbols=("Y",), levels=(), rules=Rules(rsi_period=7)))
    assert Probe.calls == [
        ("tick", "Y", 10.0), ("batch", 1),
        ("closing", "Y", 10.0), ("close", "Y", 10.0), ("tick", "Y", 11.0), ("tick", "Y", 12.0), ("batch", 2),
        ("reconfigure", "Y", True),
    ]
    assert st.symbols["Y"].probe_seen == 3


class QuietProbe(Probe):
    """A tick hook idle strictly between 9 and 11 until it has run once outside (then 19-21)."""

    asked: list[str] = []

    def quiet(self, s) -> tuple[float, float]:
        self.asked.append(s.symbol)
        return (19.0, 21.0) if s.probe_seen else (9.0, 11.0)


def test_the_engine_skips_the_tick_hooks_inside_their_quiet_range_and_asks_again_after_they_ran(monkeypatch):
    monkeypatch.setattr(monitor.state, "ENGINE_ORDER", (QuietProbe,))
    QuietProbe.calls, QuietProbe.asked = [], []

    class State(monitor.state.SymbolState):
        __slots__ = ("probe_seen",)

    monkeypatch.setattr(monitor.state, "SymbolState", State)
    st = MarketState(Config(symbols=("Y",), levels=()))
    assert QuietProbe.asked == ["Y"]  # when the hooks were built
    st.apply([Tick("Y", ny("2026-01-05"), 10.0)])  # inside 9-11: skipped
    st.apply([Tick("Y", ny("2026-01-05", "09:31"), 11.0)])  # the edge is outside: run, asked again
    st.apply([Tick("Y", ny("2026-01-05", "09:32"), 10.5)])  # outside the new 19-21: run
    st.apply([Tick("Y", ny("2026-01-05", "09:33"), 20.0)])  # inside it: skipped
    assert [call for call in QuietProbe.calls if call[0] == "tick"] == [("tick", "Y", 11.0), ("tick", "Y", 10.5)]
    assert QuietProbe.asked == ["Y"] * 3
    st.apply([Tick("Y", ny("2026-01-06"), 20.0)])  # a commit: asked again, then inside: skipped
    assert QuietProbe.asked == ["Y"] * 4 and len([c for c in QuietProbe.calls if c[0] == "tick"]) == 2


def test_the_readme_lists_every_rule_where_it_explains_the_alert_policies():
    text = README.read_text(encoding="utf-8")
    policies = text.split("## How often alerts reach you", 1)[1].split("\n## ", 1)[0]
    listed = policies.split("(rule names:", 1)[1].split(")", 1)[0]
    assert [name.strip(" `\n") for name in listed.split(",")] == list(RULE_NAMES), (
        "README 'How often alerts reach you': the '(rule names: ...)' list is the catalog's, in its order")


def test_the_readme_explains_every_rule_where_it_says_when_alerts_fire():
    section = README.read_text(encoding="utf-8").split("## When alerts fire", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in RULE_NAMES if f"`{name}`" not in section]
    assert missing == [], f"README 'When alerts fire' does not explain {missing}"
