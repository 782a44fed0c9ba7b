"""``monitor.settings.Frozen``: the classes made on it behave as the frozen dataclasses they
stand for (held against real ones of the same fields), at a fraction of the import cost."""

from __future__ import annotations

from dataclasses import MISSING, Field, field, fields, make_dataclass, replace

import pytest

from monitor.config import AlertPolicy, Config, Level, NotifyConfig, Rules, UIConfig
from monitor.feeds import FeedInputs, LiveSource
from monitor.market_hours import MarketStatus, _Table
from monitor.settings import Frozen, Pairs, Setting, Table
from monitor.sinks.base import SinkKind


def _misuses(cls, values: dict) -> list:
    """Calls of ``cls`` that a generated ``__init__`` refuses, each as (args, kwargs)."""
    names, required = list(values), [f.name for f in fields(cls) if f.default is f.default_factory is MISSING]
    calls = [((), {}), ((*values.values(), 1), {}), ((), {**values, "unknown": 1}), ((values[names[0]],), {names[0]: 1})]
    return calls + [((), {name: values[name] for name in required[1:]})] if required else calls


def _real_dataclass(cls):
    """``cls`` as ``@dataclass(frozen=True)`` would have made it: the oracle for ``Frozen``."""
    specs = [(f.name, f.type, field(default=f.default, default_factory=f.default_factory)) for f in fields(cls)]
    return make_dataclass(cls.__name__, specs, frozen=True)


def _outcome(call):
    try:
        result = call()
    except Exception as exc:  # the error itself is compared
        return type(exc).__name__, str(exc)
    return "ok", repr(result)  # the two classes have the same name


@pytest.mark.parametrize("cls", [Config, Level, AlertPolicy, Rules, NotifyConfig, UIConfig, Setting, Table, Pairs, SinkKind,
                                 FeedInputs, LiveSource, _Table, MarketStatus])
def test_frozen_classes_behave_as_the_dataclasses_they_stand_for(cls):
    """``monitor.settings.Frozen`` does once what ``@dataclass(frozen=True)`` generates for each class:
    construction (defaults, factories, the TypeErrors of a wrong call), ==, hash, repr, no assignment,
    ``replace`` and ``fields``. Held against a real frozen dataclass of the same fields."""
    real = _real_dataclass(cls)
    values = {f.name: (None if f.default is f.default_factory is MISSING else getattr(cls, f.name, None)) or f"<{f.name}>"
              for f in fields(cls)}
    for name, value in [(n, v) for n, v in values.items() if isinstance(v, Field)]:
        values[name] = value.default_factory()
    ours, theirs = cls(**values), real(**values)
    assert repr(ours) == repr(theirs)
    assert ours == cls(*values.values()) and ours != theirs and not (ours == values)
    assert _outcome(lambda: hash(ours)) == _outcome(lambda: hash(theirs))
    first, last = list(values)[0], list(values)[-1]
    assert replace(ours, **{last: "changed"}) == cls(**{**values, last: "changed"}) != ours
    assert [f.name for f in fields(ours)] == list(values) and ours.__match_args__ == theirs.__match_args__
    for args, kwargs in _misuses(cls, values):
        assert _outcome(lambda: cls(*args, **kwargs)) == _outcome(lambda: real(*args, **kwargs)), (args, kwargs)
    for change in (lambda o: setattr(o, first, 1), lambda o: setattr(o, "new", 1), lambda o: delattr(o, first)):
        assert _outcome(lambda: change(ours)) == _outcome(lambda: change(theirs))
    assert getattr(ours, first) == values[first] and not hasattr(ours, "new")


def test_a_frozen_class_builds_its_defaults_per_instance_and_refuses_a_required_field_after_a_default():
    assert Config().alerts == {} and Config().alerts is not Config().alerts  # a fresh dict each time
    assert Config().rules == Rules() and Config().rules is not Config().rules
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        type("Wrong", (Frozen,), {"__annotations__": {"a": int, "b": int}, "a": 1})
