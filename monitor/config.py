"""The typed configuration: its schema, stated once, and validation.

``SCHEMA`` below is every table and key of the config file, in file order: each key's name,
default, converter (type and range), what it expects and its comment. Validation
(``config_from_data``), the typed values (``Rules``, ``Level``, ...: classes made from their
settings), the commented default file (``config_store.DEFAULT_CONFIG_TEXT``), the app's saves and
``config show`` (``config_store``), and the README's "The whole file, with its defaults" and
"Every key: what it accepts" (generated; tests hold them to the schema) all read it.

**Adding a key** is one ``Setting`` in its table's tuple below (``RULES_KEYS`` for ``[rules]``,
``LEVEL_KEYS`` for ``[[levels]]``, ``POLICY_KEYS`` for ``[alerts.<rule>]`` and a level's own
policy, ...; a ``[notify]`` key beside its sink in ``monitor.sinks``), plus the code that uses
it; then ``python tests/test_config_schema.py`` regenerates the README's two blocks. A new
converter says what it accepts with ``@accepting``; a check between keys goes in its table's
``check``. A new table is a ``Section`` in ``SCHEMA`` and its field in ``Config``.

``load_config(path)`` reads a TOML file, merges it over the defaults and returns a ``Config``; any
problem raises ``UserError`` with one line naming the file, the line (where it can be found) and
the key. ``check_config_text`` returns every problem instead of stopping at the first, for
``market-monitor config check``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from monitor.errors import UserError
from monitor.paths import config_path, missing_config_error
from monitor.rule_catalog import CONFIRMABLE, RULE_NAMES
from monitor.settings import Add, Frozen, Group, NamedTables, Pairs, Section, Setting, Table, Tables, boolean as _bool
from monitor.settings import bounded as _bounded, choice as _choice, flat_settings, positive_number as _positive_number
from monitor.settings import accepting as _accepting, settings_class, string as _string, table, text_line as _text_line
from monitor.sinks import notify_settings
from monitor.source_catalog import DEFAULT_SOURCE, DEFAULT_STREAM_URL, SOURCE_NAMES, check_ws_url

RULES = RULE_NAMES  # every rule, from the catalog (monitor.rule_catalog)
FREQUENCIES = ("once", "once_per_session", "every_time")
CONFIRMS = ("tick", "close")  # when a crossing alerts: at the tick, or only if the session closes beyond
CONFIRM_RULES = CONFIRMABLE  # the tick rules that may wait for the session close
SOURCES = SOURCE_NAMES  # the live data sources, from their catalog (monitor.source_catalog)
MIN_POLL_INTERVAL = 5.0

# --------------------------------------------------------------------------------------------
# Converters (monitor.settings has the general ones)

_non_negative_number = _bounded(0, expected="a number of 0 or more")
_percent = _bounded(0, 100, expected="a number from 0 to 100")
_poll_interval = _bounded(MIN_POLL_INTERVAL, expected=f"at least {MIN_POLL_INTERVAL:g} seconds")
_fps = _bounded(0.2, 60, expected="0.2 to 60 repaints per second")


@_accepting("a whole number of 1 or more")
def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    if value < 1:
        raise ValueError(f"expected {_positive_int.accepts}, got {value!r}")
    return value


@_accepting("a ticker symbol such as '^RUT'")
def _symbol(value: Any) -> str:
    """A ticker, upper-cased as Yahoo spells it (a config that says '^rut' watches ^RUT)."""
    text = _string(value).strip()
    if not text or any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(f"expected {_symbol.accepts}, got {value!r}")
    return text.upper()


@_accepting("one line of text (80 characters shown)")
def _label(value: Any) -> str:
    """A level's label: one line of text, escape sequences and control characters removed."""
    from monitor.text import clean_text

    return clean_text(_string(value), 80)


# The patterns below are compiled at their first use (``re`` caches them): most runs read no
# config file, and compiling them all at import cost ~5 M instructions of a short replay.
_YAHOO_TICKER = r"^\^?[A-Z0-9][A-Z0-9.=&-]{0,19}$"


def watch_symbol(text: str) -> str:
    """A symbol typed in the app, upper-cased (Yahoo's tickers are): "^rut" -> "^RUT", "es=f"
    -> "ES=F". Raises ValueError saying why it cannot be a Yahoo ticker."""
    symbol = text.strip().upper()
    if not symbol:
        raise ValueError("type a Yahoo ticker such as ^RUT, AAPL or ES=F")
    problem = ticker_problem(symbol)
    if problem:
        raise ValueError(f"{text.strip()!r} cannot be a Yahoo ticker: {problem}")
    return symbol


@_accepting("a non-empty list of symbols, each once")
def _symbols(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of symbols, got {value!r}")
    symbols = tuple(_symbol(item) for item in value)
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"a symbol is listed twice in {list(symbols)!r}")
    return symbols


_DURATION = r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$"
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """'90s', '15m', '2h', '1d' -> seconds. Raises ValueError."""
    match = re.match(_DURATION, str(text))
    if not match:
        raise ValueError(f"expected a duration such as '15m', '90s', '2h' or '1d', got {text!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def format_duration(seconds: float) -> str:
    for unit in ("d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@_accepting("a duration above 0 (\"90s\", \"15m\", \"2h\", \"1d\") or seconds")
def _duration(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _positive_number(value)
    seconds = parse_duration(_string(value))
    if seconds <= 0:
        raise ValueError(f"expected a duration above 0, got {value!r}")
    return seconds


@_accepting("a date such as 2026-12-31")
def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_string(value))
    except ValueError:
        raise ValueError(f"expected a date such as 2026-12-31, got {value!r}") from None


@_accepting("[fast, slow, signal], whole numbers, fast below slow")
def _macd(value: Any) -> tuple[int, int, int]:
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError(f"expected [fast, slow, signal] such as [12, 26, 9], got {value!r}")
    fast, slow, signal = (_positive_int(item) for item in value)
    if fast >= slow:
        raise ValueError(f"the fast period must be shorter than the slow one, got {value!r}")
    return fast, slow, signal


@_accepting("a ws:// or wss:// URL with a host")
def _ws_url(value: Any) -> str:
    return check_ws_url(_text_line(value))


# --------------------------------------------------------------------------------------------
# The schema: every table and key, in the default file's order


def _make(name: str, items: tuple, doc: str) -> type:
    return settings_class(name, items, doc, __name__)


SYMBOLS = Setting("symbols", ("^RUT", "^GSPC", "^NDX"), _symbols, "a list of symbols")

POLICY_KEYS = (
    Setting("frequency", None, _choice(FREQUENCIES), "once, once_per_session or every_time",
            '"once", "once_per_session" or "every_time" (the default)', example="once"),
    Setting("cooldown", None, _duration, "a duration such as '15m'",
            'at least this long between two ("90s", "2h", "1d")', example="15m", to_toml=format_duration),
    Setting("expires", None, _date, "a date such as 2026-12-31", "nothing after this New York date",
            example=date(2026, 12, 31)),
    Setting("muted", False, _bool, "true or false", "nothing at all", example=True),
    Setting("confirm", None, _choice(CONFIRMS), "tick or close",
            f'only if the session closes beyond ({", ".join(CONFIRM_RULES)})', example="close"),
)
AlertPolicy = _make("AlertPolicy", POLICY_KEYS, """How often an alert may be delivered. ``None`` everywhere means the rule's own semantics.
    ``confirm`` is the one setting the engine reads (not the gate): "close" makes a
    ``CONFIRM_RULES`` crossing wait for the session close.""")

_APPROACH = Setting("approach_pct", None, _non_negative_number, "a percentage",
                    "level_approach distance (default: [rules] approach_pct)", example=0.5)

LEVEL_KEYS = (
    Setting("symbol", None, _symbol, "a symbol", "a watched symbol", required=True),
    Setting("price", None, _positive_number, "a price above 0", "level_cross fires when the price crosses it",
            required=True),
    Setting("label", "", _label, "text", "shown with its alerts"),
    Group("policy", AlertPolicy),  # a level's own [alerts.level_cross] keys
    _APPROACH,
)
Level = _make("Level", LEVEL_KEYS, "A price level (``[[levels]]``): ``level_cross`` fires when the price crosses it.")

ZONE_KEYS = (
    Setting("symbol", None, _symbol, "a symbol", "a watched symbol", required=True),
    Setting("low", None, _positive_number, "a price above 0", "the range's lower edge", required=True),
    Setting("high", None, _positive_number, "a price above 0", "the range's upper edge (above low)",
            required=True),
    Setting("label", "", _label, "text", "shown with its alerts"),
    _APPROACH,
)
Zone = _make("Zone", ZONE_KEYS, """A price range (``[[zones]]``): ``zone_cross`` fires on entering and leaving it. Its
    delivery policy is ``[alerts.zone_cross]``'s.""")


def _check_zone(zone: Any) -> tuple[str, str] | None:
    return ("high", f"must be above low ({zone.low:g})") if zone.low >= zone.high else None


RULES_KEYS = (
    Setting("hysteresis_pct", 0.25, _non_negative_number, "a percentage",
            "a level re-arms only after the price moves this % past it"),
    Setting("rsi_period", 14, _positive_int, "a whole number", "RSI of daily closes (Wilder)"),
    Setting("rsi_overbought", 70.0, _percent, "a number from 0 to 100", "rsi_overbought fires when RSI rises above this"),
    Setting("rsi_oversold", 30.0, _percent, "a number from 0 to 100", "rsi_oversold fires when RSI falls below this"),
    Setting("macd", (12, 26, 9), _macd, "[fast, slow, signal]", "MACD's fast, slow and signal periods"),
    Setting("ma_fast", 50, _positive_int, "a whole number", "golden / death cross: SMA fast vs SMA slow of daily closes"),
    Setting("ma_slow", 200, _positive_int, "a whole number", "the slow SMA's period (ma_fast must be below it)"),
    Setting("high_low_window", 252, _positive_int, "a whole number",
            "new high / new low over this many daily bars (52 weeks)"),
    Setting("rsi_rearm", 5.0, _percent, "RSI points from 0 to 100",
            "an RSI alert fires again only after RSI came back this many points"),
    Setting("breakout_gap", 5, _positive_int, "a whole number of sessions",
            "new high/low only if the old one is at least this many sessions back"),
    Setting("divergence_lookback", 20, _positive_int, "a whole number",
            "price_rsi_divergence: a higher high (lower low) than these sessions'"),
    Setting("divergence_min_gap", 5.0, _non_negative_number, "RSI points",
            "price_rsi_divergence: RSI this many points below (above) it then"),
    Setting("approach_pct", 0.5, _non_negative_number, "a percentage",
            "level_approach: price within this % of a level or zone edge"),
)


def _check_rules(rules: Any, add: Add) -> None:
    if rules.rsi_oversold >= rules.rsi_overbought:
        add("rules.rsi_oversold", f"must be below rsi_overbought ({rules.rsi_overbought:g})")
    if rules.rsi_rearm >= min(rules.rsi_overbought, 100 - rules.rsi_oversold):
        add("rules.rsi_rearm", "must be below rsi_overbought and 100 - rsi_oversold (RSI could never re-arm)")
    if rules.ma_fast >= rules.ma_slow:
        add("rules.ma_fast", f"must be below ma_slow ({rules.ma_slow})")


DIVERGENCE_KEYS = (
    Setting("lead", "^RUT", _symbol, "a symbol", "the symbol watched against its peers"),
    Setting("peers", ("^GSPC", "^NDX"), _symbols, "a list of symbols", "the symbols the lead is compared with"),
    Setting("min_spread_pct", 1.0, _non_negative_number, "a percentage", "session change gap, in %, to every peer"),
)


def _check_divergence(divergence: Any, add: Add) -> None:
    if divergence.lead in divergence.peers:
        add("divergence.peers", f"must not contain the lead {divergence.lead!r}")


RELATIVE_STRENGTH_KEYS = (
    Setting("sessions", 21, _positive_int, "a whole number", "the returns' length in sessions"),
    Setting("threshold_bp", 300.0, _positive_number, "basis points above 0", "fires at +/- this many basis points"),
)

FEED_KEYS = (
    Setting("source", DEFAULT_SOURCE, _choice(SOURCES), "a source",
            "or " + " or ".join(f'"{name}"' for name in SOURCES if name != DEFAULT_SOURCE)),
    Setting("stream_url", DEFAULT_STREAM_URL, _ws_url, "a ws:// or wss:// URL", "the yahoo-stream source's server"),
    Setting("poll_interval", 15.0, _poll_interval, "seconds", f"seconds between polls (at least {MIN_POLL_INTERVAL:g})"),
    Setting("stale_after", 60.0, _positive_number, "seconds", "seconds without a tick before a quote is shown as stale"),
)

UI_KEYS = (Setting("max_fps", 4.0, _fps, "repaints per second", "screen repaints per second at most"),)


def _check_alerts(rule: str, policy: Any, add: Add) -> None:
    if policy.confirm is not None and rule not in CONFIRM_RULES:
        add(f"alerts.{rule}.confirm", f"only {', '.join(CONFIRM_RULES)} fire on ticks and can wait for the close")


def _default_futures() -> dict[str, str]:
    """Index -> its index future on Yahoo, shown before the open (``[futures]``)."""
    return {"^RUT": "RTY=F", "^GSPC": "ES=F", "^NDX": "NQ=F"}


def _read_futures(table: dict[str, Any], add: Add) -> dict[str, str]:
    """``[futures]``: index = "future" (its Yahoo ticker, "" for none)."""
    futures: dict[str, str] = {}
    for index, future in table.items():
        key = f"futures.{index}"
        if not re.match(_YAHOO_TICKER, index):
            add(key, f"expected an index ticker such as \"^RUT\" as the key, got {index!r}")
        elif not isinstance(future, str) or (future and not re.match(_YAHOO_TICKER, future)):
            add(key, f"expected a futures ticker such as \"RTY=F\" (or \"\" for none), got {future!r}")
        elif future == index:
            add(key, "an index cannot be its own future")
        else:
            futures[index] = future
    return futures


_TOP = Table("", (SYMBOLS,), "The symbols on the watchlist (Yahoo Finance tickers).")
_LEVELS = Tables(
    "levels", Level,
    lambda: (Level("^RUT", 2500.0, "support"), Level("^RUT", 2600.0, "resistance")),
    what="symbol, price and label",
    identity=lambda level: (level.symbol, level.price),  # two entries would fire twice and share one mute key
    describe=lambda level: f"{level.symbol} {level.price:g}",
    comment="Price levels: an alert fires when the price crosses a level (with the hysteresis band below).\n"
            "Each entry: symbol and price, optionally a label and these (see [alerts] below):",
)
_ZONES = Tables(
    "zones", Zone,
    lambda: (Zone("^RUT", 2580.0, 2600.0, "resistance zone"),),
    what="symbol, low, high and label",
    identity=lambda zone: (zone.symbol, zone.low, zone.high),
    describe=lambda zone: f"{zone.symbol} {zone.low:g}-{zone.high:g}",
    comment="Price zones: zone_cross fires on entering the range and on leaving it through either edge.\n"
            "Each entry: symbol, low and high, optionally a label and:",
    check=_check_zone,
)
_RULES = table("rules", "Rules", RULES_KEYS, "``[rules]``: the rules' thresholds and indicator periods.", __name__,
               "The rules' thresholds and the indicators' periods (the README's \"When alerts fire\" says what each "
               "rule does).", check=_check_rules)
_DIVERGENCE = table(
    "divergence", "Divergence", DIVERGENCE_KEYS, "``[divergence]``: relative_divergence's lead and peers.", __name__,
    "Fires when the lead moves against every peer by at least min_spread_pct (session change).",
    check=_check_divergence,
)
_RELATIVE_STRENGTH = table(
    "relative_strength", "RelativeStrength", RELATIVE_STRENGTH_KEYS,
    "``relative_strength``: the lead's N-session return minus each peer's, in basis points.", __name__,
    "The lead's return minus each peer's over this many sessions, at each daily close (lead and peers from "
    "[divergence]): fires at +/- threshold_bp, again after it came back within half of it.",
)
_FEED = table("feed", "FeedConfig", FEED_KEYS, "``[feed]``: where live prices come from.", __name__,
               "Where live prices come from (--source and --stream-url override it for one run).")
_NOTIFY = table("notify", "NotifyConfig", notify_settings(),
                "``[notify]``: the keys of every sink in ``monitor.sinks.SINKS``.", __name__,
                "Where alerts go besides the screen; `market-monitor notify --test` sends a test alert to each.")
_UI = table("ui", "UIConfig", UI_KEYS, "``[ui]``: the app's screen.", __name__)
_FUTURES = Pairs(
    "futures", _default_futures, _read_futures, '"<index>"', 'a futures ticker such as "RTY=F", or "" for none',
    'Before the open (and after the close) the row of a watched index shows its future\'s change since the '
    'index\'s last close, marked "fut"; alerts stay on the index. "" turns one off.',
)
_ALERTS = NamedTables(
    "alerts", AlertPolicy, RULES, "rule", RULES[0],
    "How often each rule may notify you (default: the rule's own behaviour): a table [alerts.<rule>] with "
    f"these keys, for any of the rules {', '.join(RULES)}.\n"
    f"A [[levels]] entry's own keys override those of [alerts.{RULES[0]}].",
    check=_check_alerts,
)

SCHEMA: tuple[Section, ...] = (
    _TOP, _LEVELS, _ZONES, _RULES, _DIVERGENCE, _RELATIVE_STRENGTH, _FEED, _NOTIFY, _UI, _FUTURES, _ALERTS,
)
SECTIONS = {section.name: section for section in SCHEMA}  # "" is the top-level keys

Rules = _RULES.cls
Divergence = _DIVERGENCE.cls
RelativeStrength = _RELATIVE_STRENGTH.cls
FeedConfig = _FEED.cls
NotifyConfig = _NOTIFY.cls
UIConfig = _UI.cls


class Config(Frozen):
    """The whole config: one field per key of the top level and per table of ``SCHEMA``."""

    symbols: tuple[str, ...] = SYMBOLS.default
    levels: tuple[Level, ...] = field(default_factory=_LEVELS.default)
    zones: tuple[Zone, ...] = field(default_factory=_ZONES.default)
    rules: Rules = field(default_factory=Rules)
    divergence: Divergence = field(default_factory=Divergence)
    relative_strength: RelativeStrength = field(default_factory=RelativeStrength)
    feed: FeedConfig = field(default_factory=FeedConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    ui: UIConfig = field(default_factory=UIConfig)
    alerts: dict[str, AlertPolicy] = field(default_factory=dict)  # rule name -> policy
    futures: dict[str, str] = field(default_factory=_default_futures)  # index -> future
    path: Path | None = None

    def watched_futures(self) -> dict[str, str]:
        """Index -> future for the watched indices that have one."""
        return {index: future for index, future in self.futures.items() if index in self.symbols and future}

    def feed_symbols(self) -> list[str]:
        """What the live feed subscribes to: the watchlist, then the futures of its indices."""
        return list(dict.fromkeys([*self.symbols, *self.watched_futures().values()]))

    def levels_for(self, symbol: str) -> list[Level]:
        return [level for level in self.levels if level.symbol == symbol]

    def zones_for(self, symbol: str) -> list[Zone]:
        return [zone for zone in self.zones if zone.symbol == symbol]

    def policy_for(self, rule: str) -> AlertPolicy:
        return self.alerts.get(rule, AlertPolicy())

    def confirm_for(self, rule: str, level: Level | None = None) -> str:
        """"close" or "tick": a level's own ``confirm``, else its rule's, else "tick"."""
        own = level.policy.confirm if level is not None else None
        return own or self.policy_for(rule).confirm or "tick"


# --------------------------------------------------------------------------------------------
# Validation


class Problems:
    """Collects validation problems as ``file:line: key: what is wrong`` (secrets redacted)."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.key_lines = key_lines(text.splitlines())
        self.located: list[tuple[int, str]] = []

    def add(self, key: str, message: str) -> None:
        from monitor.redact import redact
        from monitor.text import visible

        line = line_of_key(self.key_lines, key)
        where = f"{self.path}:{line}" if line else self.path
        # key and message apart: "token: unknown key" must not read as a secret "token: ..."; a
        # key or value from the file with a control character in it is shown escaped
        key, message = _shortened(key), _shortened(message)
        self.located.append((line or 0, visible(f"{where}: {redact(key)}: {redact(message)}")))

    @property
    def items(self) -> list[str]:
        """The problems in file order (those without a line first)."""
        return [text for _, text in sorted(self.located, key=lambda item: item[0])]


LONGEST_WORD = 200  # characters of one word of a problem shown (a value from the file may be huge)
LONGEST_LINE = 1000  # characters of a key or a message shown


def _shortened(text: str) -> str:
    """``text`` with each word longer than ``LONGEST_WORD`` said as its length ("<200,000
    characters>"), cut at a space before ``LONGEST_LINE``: a word is shown whole or not at all,
    so no half of a secret is shown where redaction would no longer recognise it."""
    if len(text) <= LONGEST_WORD:
        return text
    text = re.sub(_LONG_WORD, lambda match: f"<{len(match.group()):,} characters>", text)
    if len(text) > LONGEST_LINE:
        text = text[: text.rfind(" ", 0, LONGEST_LINE)] + " ..."
    return text


_LONG_WORD = rf"\S{{{LONGEST_WORD + 1},}}"


_BARE_KEY = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
_KEY_PATH = rf"{_BARE_KEY}(?:\s*\.\s*{_BARE_KEY})*"
_HEADER = rf"^\s*(\[\[?)\s*({_KEY_PATH})\s*\]"
_ASSIGN = rf"^\s*({_KEY_PATH})\s*="


def _key_parts(path: str) -> tuple[str, ...]:
    return tuple(_unquoted(part) for part in re.findall(_BARE_KEY, path))


def _unquoted(part: str) -> str:
    """A key as TOML reads it: ``"^RUT\\u009b"`` with its escapes decoded (those JSON shares)."""
    if part.startswith('"') and "\\" in part:
        try:
            return json.loads(part)
        except ValueError:
            pass
    return part.strip("\"'")


def key_lines(lines: list[str]) -> dict[tuple[str, ...], int]:
    """The first line (1-based) of every table header and key in TOML source lines, by key
    path; the n-th ``[[levels]]`` entry is ``("levels", "#n")``."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    counters: dict[tuple[str, ...], int] = {}
    in_multiline: str | None = None
    for number, raw in enumerate(lines, start=1):
        if in_multiline:
            if raw.count(in_multiline) % 2:
                in_multiline = None
            continue
        header = re.match(_HEADER, raw)
        if header:
            table = _key_parts(header.group(2))
            found.setdefault(table, number)
            if header.group(1) == "[[":
                counters[table] = counters.get(table, 0) + 1
                table = table + (f"#{counters[table]}",)
                found.setdefault(table, number)
            continue
        assign = re.match(_ASSIGN, raw)
        if assign:
            path = table + _key_parts(assign.group(1))
            for end in range(len(table) + 1, len(path) + 1):
                found.setdefault(path[:end], number)
            rest = raw[assign.end():]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2:
                    in_multiline = quotes
    return found


def line_of_key(found: dict[tuple[str, ...], int], dotted_key: str) -> int | None:
    """Line of ``dotted_key`` (``rules.rsi_period``, ``levels[2].price``); when the key itself
    is absent (a missing key, a key inside an inline table), the line of its nearest parent."""
    parts = tuple(p for p in re.sub(r"\[(\d+)\]", r".#\1", dotted_key).split(".") if p)
    while parts:
        if parts in found:
            return found[parts]
        parts = parts[:-1]
    return None


class _Reader:
    """Typed access to one TOML table, reporting wrong types and unknown keys."""

    def __init__(self, problems: Problems, data: dict[str, Any], prefix: str) -> None:
        self.problems = problems
        self.data = data
        self.prefix = prefix
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def get(self, name: str, default: Any, convert: Callable[[Any], Any], expected: str) -> Any:
        self.used.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            detail = str(exc) if str(exc) and not str(exc).startswith("could not") else ""
            self.problems.add(self.key(name), detail or f"expected {expected}, got {value!r}")
            return default

    def finish(self) -> None:
        for name in self.data:
            if name not in self.used:
                self.problems.add(self.key(name), "unknown key")


def _table(problems: Problems, data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        problems.add(name, f"expected a table [{name}], got {value!r}")
        return {}
    return value


def _read_keys(reader: _Reader, items: tuple) -> dict[str, Any]:
    """The values of a table's settings (a missing one: its default), then of its groups."""
    values = {item.key: reader.get(item.key, item.default, item.convert, item.expected)
              for item in items if isinstance(item, Setting)}
    for group in (item for item in items if isinstance(item, Group)):
        values[group.name] = group.cls(**_read_keys(reader, group.settings))
    return values


def _read_table(top: _Reader, section: Table) -> dict[str, Any]:
    if not section.name:  # the top-level keys
        return _read_keys(top, section.settings)
    top.used.add(section.name)
    reader = _Reader(top.problems, _table(top.problems, top.data, section.name), f"{section.name}.")
    value = section.cls(**_read_keys(reader, section.settings))
    reader.finish()
    if section.check:
        section.check(value, top.problems.add)
    return {section.name: value}


def _read_tables(top: _Reader, section: Tables) -> dict[str, Any]:
    """The ``[[name]]`` entries (absent: the default entries; ``name = []``: none)."""
    name, problems = section.name, top.problems
    top.used.add(name)
    if top.data.get(name, None) is None:
        return {name: section.default()}
    value = top.data[name]
    if not isinstance(value, list):
        problems.add(name, f"expected [[{name}]] tables")
        return {name: ()}
    required = [s.key for s in flat_settings(section.settings) if s.required]
    entries: list[Any] = []
    first_entry: dict[tuple, str] = {}  # identity -> the key of its first entry
    for number, raw in enumerate(value, start=1):
        key = f"{name}[{number}]"
        if not isinstance(raw, dict):
            problems.add(key, f"expected a table with {section.what}")
            continue
        reader = _Reader(problems, raw, f"{key}.")
        values = _read_keys(reader, section.settings)
        reader.finish()
        for missing in (k for k in required if k not in raw):
            problems.add(f"{key}.{missing}", "missing")
        if any(values[k] is None for k in required):
            continue
        entry = section.cls(**values)
        wrong = section.check(entry) if section.check else None
        if wrong:
            problems.add(f"{key}.{wrong[0]}", wrong[1])
            continue
        identity = section.identity(entry)
        if identity in first_entry:
            problems.add(key, f"{section.describe(entry)} is already {first_entry[identity]}")
            continue
        first_entry[identity] = key
        entries.append(entry)
    return {name: tuple(entries)}


def _read_named_tables(top: _Reader, section: NamedTables) -> dict[str, Any]:
    name, problems = section.name, top.problems
    top.used.add(name)
    keys = ", ".join(s.key for s in flat_settings(section.settings))
    tables: dict[str, Any] = {}
    for each, raw in _table(problems, top.data, name).items():
        if each not in section.names:
            problems.add(f"{name}.{each}", f"unknown {section.noun} ({section.noun}s: {', '.join(section.names)})")
            continue
        if not isinstance(raw, dict):
            problems.add(f"{name}.{each}", f"expected a table with {keys}")
            continue
        reader = _Reader(problems, raw, f"{name}.{each}.")
        tables[each] = section.cls(**_read_keys(reader, section.settings))
        reader.finish()
        if section.check:
            section.check(each, tables[each], problems.add)
    return {name: tables}


def _read_pairs(top: _Reader, section: Pairs) -> dict[str, Any]:
    """The table replaces the default pairs; without it the defaults hold."""
    top.used.add(section.name)
    if section.name not in top.data:
        return {section.name: section.default()}
    return {section.name: section.read(_table(top.problems, top.data, section.name), top.problems.add)}


_READ = {Table: _read_table, Tables: _read_tables, NamedTables: _read_named_tables, Pairs: _read_pairs}


def config_from_data(data: dict[str, Any], problems: Problems) -> Config:
    """Build a Config from parsed TOML, recording every problem in ``problems``."""
    top = _Reader(problems, data, "")
    values: dict[str, Any] = {}
    for section in SCHEMA:
        values.update(_READ[type(section)](top, section))
    top.finish()
    return Config(**values)


_AT_LINE = r"\s*\(at line (\d+), column (\d+)\)\s*$"
_AT_END = r"\s*\(at end of document\)\s*$"


def _syntax_problem(path: str, message: str, text: str) -> str:
    """``tomllib``'s "Invalid value (at line 2, column 5)" as ``file:2: TOML syntax error: ...``."""
    from monitor.text import visible

    return visible(_syntax_line(path, message, text))


def _syntax_line(path: str, message: str, text: str) -> str:
    match = re.search(_AT_LINE, message)
    if match:
        what = message[: match.start()]
        return f"{path}:{match.group(1)}: TOML syntax error: {what} (column {match.group(2)})"
    match = re.search(_AT_END, message)
    if match:
        return f"{path}:{max(1, len(text.splitlines()))}: TOML syntax error: {message[: match.start()]} (at the end)"
    return f"{path}: TOML syntax error: {message}"


def _too_long_number(path: str, text: str) -> str:
    """The problem of a file holding a number with thousands of digits, at its line."""
    digits = sys.get_int_max_str_digits()
    match = re.search(rf"[0-9][0-9_]{{{digits},}}", text)
    where = f"{path}:{text.count(chr(10), 0, match.start()) + 1}" if match else path
    return f"{where}: a number of more than {digits} digits"


def check_config_text(text: str, path: str, warnings: list[str] | None = None) -> tuple[Config | None, list[str]]:
    """Parse and validate TOML source; returns the config (None on a syntax error) and every
    problem found, each as one line ``file:line: key: message``. Given a ``warnings`` list, a
    valid config's rules that can never fire are appended to it (see ``config_warnings``)."""
    import tomllib  # imported here: the replay hot path loads config.py without parsing TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(path, str(exc), text)]
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        return None, [_too_long_number(path, text)]
    problems = Problems(path, text)
    config = config_from_data(data, problems)
    if warnings is not None and not problems.items:
        found = Problems(path, text)
        config_warnings(config, data, found)
        warnings.extend(found.items)
    return config, problems.items


# --------------------------------------------------------------------------------------------
# Warnings: valid, but can never fire


def ticker_problem(symbol: str) -> str | None:
    """Why ``symbol`` (upper-cased already) cannot be a Yahoo Finance ticker, or None when it
    can. Yahoo tickers are upper case letters and digits with ``.``, ``-``, ``=`` and ``&`` (``BRK-B``, ``ES=F``,
    ``EURUSD=X``, ``M&M.NS``), an index's ``^`` first (``^RUT``). Whether a well-formed one
    exists only Yahoo knows."""
    if re.match(_YAHOO_TICKER, symbol):
        return None
    if "^" in symbol[1:]:
        return "'^' only starts an index ticker, such as '^RUT'"
    odd = "".join(dict.fromkeys(c for c in symbol if not (c.isascii() and (c.isalnum() or c in "^.=&-"))))
    if odd:
        return f"Yahoo tickers never contain {odd!r}"
    if len(symbol) > 20:
        return "longer than Yahoo's 20 characters"
    return "a ticker starts with a letter or a digit (after an index's '^')"


def _symbol_uses(config: Config, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, symbol, what uses it) for every symbol the file names outside ``symbols``: each
    ``[[table]]`` entry with a ``symbol`` (levels, and whatever later lists name a symbol) and
    the divergence lead and peers. Defaults the file does not write are left out."""
    uses: list[tuple[str, str, str]] = []
    for item in fields(config):
        entries = getattr(config, item.name)
        if item.name in data and isinstance(entries, tuple):
            what = f"this {item.name.rstrip('s')}"
            uses += [(f"{item.name}[{number}].symbol", entry.symbol, what)
                     for number, entry in enumerate(entries, start=1) if hasattr(entry, "symbol")]
    written = data.get("divergence", {})
    if "lead" in written:
        uses.append(("divergence.lead", config.divergence.lead, "the divergence rule"))
    if "peers" in written:
        peers = config.divergence.peers
        uses += [(f"divergence.peers[{n}]", peer, "the divergence rule") for n, peer in enumerate(peers, start=1)]
    return uses


def _nearest_symbol(symbol: str, symbols: tuple[str, ...]) -> str | None:
    """The watched symbol ``symbol`` was probably meant to be (a missing or extra '^')."""
    bare = symbol.lstrip("^")
    return next((s for s in symbols if s.lstrip("^") == bare), None)


def config_warnings(config: Config, data: dict[str, Any], warnings: Problems) -> None:
    """Record what is valid but can never fire: a symbol that cannot be a Yahoo ticker, and a
    level, list entry or divergence symbol that is not in ``symbols`` (live data only ever
    brings the watched symbols)."""
    if "symbols" in data:
        for number, symbol in enumerate(config.symbols, start=1):
            problem = ticker_problem(symbol)
            if problem:
                warnings.add(f"symbols[{number}]", f"warning: {symbol!r} can never receive a quote: {problem}")
    for key, symbol, what in _symbol_uses(config, data):
        if symbol in config.symbols:
            continue
        meant = _nearest_symbol(symbol, config.symbols)
        hint = f" (did you mean {meant!r}?)" if meant else ""
        warnings.add(key, f"warning: {symbol!r} is not in symbols, so {what} never fires on live data{hint}")


def read_config_text(path: Path) -> str:
    """The file's text; a missing or unreadable file is a one-line UserError."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a config file") from None
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        column = exc.start - (exc.object.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UserError(
            f"{path}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at column {column}); save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read config file: {exc.strerror or exc}") from None


def load_config(path: str | Path | None) -> Config:
    """Load ``path`` (None or a missing default file gives the defaults). Raises UserError."""
    if path is None:
        return Config()
    path = Path(path)
    config, problems = check_config_text(read_config_text(path), str(path))
    if problems or config is None:
        extra = f" (and {len(problems) - 1} more problem(s); run 'market-monitor config check')" if len(problems) > 1 else ""
        raise UserError(problems[0] + extra)
    return replace(config, path=path)


def load_effective_config(cli_value: str | None = None) -> Config:
    """Load the config in use: an explicit path must exist; a missing default gives defaults."""
    path, explicit = config_path(cli_value)
    if not path.exists():
        if explicit:
            raise missing_config_error(cli_value)
        return Config()
    return load_config(path)
