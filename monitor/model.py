"""Plain data that flows through the monitor: ticks, alerts and feed status.

Times inside the core are float epoch seconds (UTC); they become ISO 8601 strings only at the
edges (alert JSON, CSV output, the screen).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as json_encoder
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from operator import itemgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
DEFAULT_DECIMALS = 2  # a price is rounded to this many decimals when its symbol has no price hint


class Tick(NamedTuple):
    """One price print for one symbol.

    ``time`` is the exchange time of the print, ``received`` the local time it reached us (both
    epoch seconds); ``received`` is None for replayed data.

    The feeds make ``Tick``s; the replay's tick maker (``monitor.series``) makes plain tuples of
    the same fields in the same order, because a NamedTuple instance costs about fifteen times a
    tuple to make (``tuple.__new__`` on a subclass) and a full replay makes 178,000 of them
    (~5 % of its whole run). So code on the path of replayed ticks (the door, the state, the
    rules' batch hooks, the replay runners) unpacks a tick or reads ``tick_time(tick)``, never
    its field names.
    """

    symbol: str
    time: float
    price: float
    volume: float | None = None
    received: float | None = None


tick_time = itemgetter(1)  # a tick's ``time``, of a ``Tick`` or of a plain tuple of its fields


class BarExtremes(list):
    """A batch of daily bars' 11:00 and 14:00 replay ticks (``monitor.series``): each symbol's
    own low or high, not prices seen at the same moment. They drive each symbol's own rules, but
    rules comparing symbols (``relative_divergence``) skip such a batch."""

    __slots__ = ()


def iso_time(epoch: float, tz: ZoneInfo = NEW_YORK) -> str:
    """ISO 8601 with the UTC offset of ``tz`` (New York by default), to the second.

    The last answer is kept: alerts of one moment (a session's close) come in a row and share
    their time, and the conversion and formatting are most of an alert line's cost after its
    numbers."""
    global _last_iso
    last = _last_iso
    if last[0] == epoch and last[1] is tz:
        return last[2]
    when = datetime.fromtimestamp(epoch, tz)
    if when.microsecond:  # to the second (without isoformat's keyword, a sixth of its cost)
        when = when.replace(microsecond=0)
    text = when.isoformat()
    _last_iso = (epoch, tz, text)
    return text


_last_iso: tuple[float | None, ZoneInfo | None, str] = (None, None, "")


@dataclass(slots=True)
class Alert:
    """One fired alert. ``extra`` holds the rule's own fields (level, label, rsi, peers, ...)."""

    time: float
    symbol: str
    rule: str
    direction: str  # "up" | "down"
    price: float
    message: str
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = "replay"  # "stream" | "poll" | "replay"
    stale: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "time": iso_time(self.time),
            "symbol": self.symbol,
            "rule": self.rule,
            "direction": self.direction,
            "price": self.price,
            "message": self.message,
        }
        data.update(self.extra)
        data["source"] = self.source
        data["stale"] = self.stale
        return data

    def to_json(self) -> str:
        """``to_dict`` as compact JSON (``json.dumps(..., separators=(",", ":"))``), the same
        text written field by field: a replay writes thousands of lines, and the dict and the
        encoder's pass over it (escaping the same keys each time) cost about an eighth of a line
        (most of the rest: the floats' repr, the strings' escapes and ``iso_time``).
        A field that the fast path does not write as json would (a value not a str, a finite
        float or something for the encoder; a rule's field named like a fixed one, which
        ``to_dict`` overwrites in place) takes the encoder's path."""
        extra = self.extra
        if _FIXED_KEYS.isdisjoint(extra):
            try:
                price = self.price
                stale = self.stale
                parts = [
                    f'{{"time":{_escape(iso_time(self.time))},"symbol":{_escape(self.symbol)},'
                    f'"rule":{_escape(self.rule)},"direction":{_escape(self.direction)},'
                    f'"price":{repr(price) if type(price) is float and price - price == 0.0 else _compact_json(price)},'
                    f'"message":{_escape(self.message)}'
                ]
                for key, value in extra.items():
                    if type(value) is float and value - value == 0.0:  # finite: json writes its repr
                        text = repr(value)
                    elif type(value) is str:
                        text = _escape(value)
                    else:
                        text = _compact_json(value)
                    parts.append(f",{_escape(key)}:{text}")
                stale_text = "true" if stale is True else "false" if stale is False else _compact_json(stale)
                parts.append(f',"source":{_escape(self.source)},"stale":{stale_text}}}')
                return "".join(parts)
            except TypeError:  # a non-str key or field: the encoder's own conversion (or error)
                pass
        return _compact_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Alert":
        """Rebuild an alert from its JSON form (alert history)."""
        known = {"time", "symbol", "rule", "direction", "price", "message", "source", "stale"}
        when = datetime.fromisoformat(data["time"])
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        from monitor.text import clean_text  # history lines come from a file anyone can edit

        return cls(
            time=when.timestamp(),
            symbol=clean_text(data["symbol"], 40),
            rule=clean_text(data["rule"], 40),
            direction=clean_text(data["direction"], 10),
            price=float(data["price"]),
            message=clean_text(data["message"], 500),
            extra={k: v for k, v in data.items() if k not in known},
            source=str(data.get("source", "replay")),
            stale=bool(data.get("stale", False)),
        )


def _compact_json_encoder() -> Callable[[Any], str]:
    """``json.dumps(data, separators=(",", ":"))`` for the alert lines. ``JSONEncoder.encode``
    builds its C encoder anew at every call (an eighth of a line's cost); this one is built once,
    with the same settings, so the text is the same. No check for circular references: an
    alert's fields are plain values. Without the C accelerator, the stdlib's own path."""
    encoder = json.JSONEncoder(separators=(",", ":"))
    make = json_encoder.c_make_encoder
    if make is None:  # pragma: no cover - CPython always has it
        return encoder.encode
    chunks = make(None, encoder.default, json_encoder.encode_basestring_ascii, encoder.indent, encoder.key_separator,
                  encoder.item_separator, encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)
    return lambda data: "".join(chunks(data, 0))


_compact_json = _compact_json_encoder()
_escape = json_encoder.encode_basestring_ascii  # a str as json writes it (ensure_ascii)
_FIXED_KEYS = frozenset({"time", "symbol", "rule", "direction", "price", "message", "source", "stale"})


class FeedState(str, Enum):
    """What a feed is doing. Shown in the status bar and logged in headless runs."""

    CONNECTING = "connecting"
    LIVE = "live"
    POLLING = "polling"
    DELAYED = "delayed"
    STALE = "stale"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"
    MARKET_CLOSED = "market closed"
    REPLAY = "replay"
    ENDED = "ended"


_OPEN_MARKET_STATES = frozenset({FeedState.LIVE, FeedState.DELAYED, FeedState.POLLING})


def shown_state(state: FeedState, market_open: bool) -> FeedState:
    """The state the screen shows (the status bar and every row badge alike): a feed that last
    said live, delayed or polling reads "market closed" once the market is closed, so a
    snapshot at night or the minute after the bell never reads "live"."""
    if not market_open and state in _OPEN_MARKET_STATES:
        return FeedState.MARKET_CLOSED
    return state


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """A change in a feed's state. ``retry_in`` is the reconnect countdown in seconds."""

    state: FeedState
    source: str  # "stream" | "poll" | "replay"
    time: float
    detail: str = ""
    retry_in: float | None = None

    @property
    def label(self) -> str:
        """The state in words; polling has no connection, so it retries rather than reconnects."""
        if self.state is FeedState.RECONNECTING and self.source == "poll":
            return "retrying"
        return self.state.value

    def describe(self) -> str:
        text = f"{self.source}: {self.label}"
        if self.retry_in is not None:
            text += f" in {self.retry_in:.0f} s"
        if self.detail:
            text += f" ({self.detail})"
        return text


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """What a feed learned about a symbol besides prices: display name, exchange delay, decimals."""

    symbol: str
    name: str = ""
    delay_minutes: int | None = None  # exchangeDataDelayedBy; None when unknown
    price_hint: int = 2
