"""The typed configuration: schema, defaults and validation.

``load_config(path)`` reads a TOML file, merges it over the defaults and returns a ``Config``; any
problem raises ``UserError`` with one line naming the file, the line (where it can be found) and
the key. ``check_config_text`` returns every problem instead of stopping at the first, for
``market-monitor config check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, make_dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from monitor.errors import UserError
from monitor.paths import config_path, missing_config_error
from monitor.rule_catalog import CONFIRMABLE, RULE_NAMES
from monitor.settings import Setting, bounded as _bounded, boolean as _bool, choice as _choice, number as _number
from monitor.settings import positive_number as _positive_number, string as _string
from monitor.sinks import notify_settings
from monitor.source_catalog import DEFAULT_SOURCE, DEFAULT_STREAM_URL, SOURCE_NAMES, check_ws_url

RULES = RULE_NAMES  # every rule, from the catalog (monitor.rule_catalog)
FREQUENCIES = ("once", "once_per_session", "every_time")
CONFIRMS = ("tick", "close")  # when a crossing alerts: at the tick, or only if the session closes beyond
CONFIRM_RULES = CONFIRMABLE  # the tick rules that may wait for the session close
SOURCES = SOURCE_NAMES  # the live data sources, from their catalog (monitor.source_catalog)
MIN_POLL_INTERVAL = 5.0


@dataclass(frozen=True)
class AlertPolicy:
    """How often an alert may be delivered. ``None`` everywhere means the rule's own semantics.
    ``confirm`` is the one setting the engine reads (not the gate): "close" makes a
    ``CONFIRM_RULES`` crossing wait for the session close."""

    frequency: str | None = None  # "once" | "once_per_session" | "every_time"
    cooldown: float | None = None  # seconds between two deliveries
    expires: date | None = None  # no delivery after this date (New York)
    muted: bool = False
    confirm: str | None = None  # "tick" | "close"; None: the rule's, else "tick"


@dataclass(frozen=True)
class Level:
    symbol: str
    price: float
    label: str = ""
    policy: AlertPolicy = AlertPolicy()
    approach_pct: float | None = None  # None: [rules] approach_pct


@dataclass(frozen=True)
class Zone:
    """A price range (``[[zones]]``): ``zone_cross`` fires on entering and leaving it. Its
    delivery policy is ``[alerts.zone_cross]``'s."""

    symbol: str
    low: float
    high: float
    label: str = ""
    approach_pct: float | None = None  # None: [rules] approach_pct


@dataclass(frozen=True)
class Rules:
    hysteresis_pct: float = 0.25
    rsi_period: int = 14
    rsi_overbought: float = 70.0
    rsi_oversold: float = 30.0
    macd: tuple[int, int, int] = (12, 26, 9)
    ma_fast: int = 50
    ma_slow: int = 200
    high_low_window: int = 252
    rsi_rearm: float = 5.0  # RSI points back inside before an RSI rule may fire again
    breakout_gap: int = 5  # sessions since the old extreme was set before new_high/new_low fire
    divergence_lookback: int = 20  # price_rsi_divergence: sessions searched for the earlier extreme
    divergence_min_gap: float = 5.0  # ... and the RSI points it must be below (above) it
    approach_pct: float = 0.5  # level_approach: within this % of a level or zone edge


@dataclass(frozen=True)
class RelativeStrength:
    """``relative_strength``: the lead's N-session return minus each peer's, in basis points."""

    sessions: int = 21
    threshold_bp: float = 300.0


@dataclass(frozen=True)
class Divergence:
    lead: str = "^RUT"
    peers: tuple[str, ...] = ("^GSPC", "^NDX")
    min_spread_pct: float = 1.0


@dataclass(frozen=True)
class FeedConfig:
    source: str = DEFAULT_SOURCE
    stream_url: str = DEFAULT_STREAM_URL
    poll_interval: float = 15.0
    stale_after: float = 60.0


def _settings_class(name: str, settings: tuple[Setting, ...], doc: str) -> type:
    """A frozen dataclass with one field per setting, defaulting to the setting's default."""
    cls = make_dataclass(name, [(s.key, type(s.default), field(default=s.default)) for s in settings], frozen=True)
    cls.__doc__ = doc
    cls.__module__ = __name__
    return cls


NotifyConfig = _settings_class(
    "NotifyConfig", notify_settings(), "``[notify]``: the keys of every sink in ``monitor.sinks.SINKS``."
)


@dataclass(frozen=True)
class UIConfig:
    max_fps: float = 4.0


def _default_futures() -> dict[str, str]:
    """Index -> its index future on Yahoo, shown before the open (``[futures]``)."""
    return {"^RUT": "RTY=F", "^GSPC": "ES=F", "^NDX": "NQ=F"}


def _default_levels() -> tuple[Level, ...]:
    return (
        Level("^RUT", 2500.0, "support"),
        Level("^RUT", 2600.0, "resistance"),
    )


def _default_zones() -> tuple[Zone, ...]:
    return (Zone("^RUT", 2580.0, 2600.0, "resistance zone"),)


@dataclass(frozen=True)
class Config:
    symbols: tuple[str, ...] = ("^RUT", "^GSPC", "^NDX")
    levels: tuple[Level, ...] = field(default_factory=_default_levels)
    zones: tuple[Zone, ...] = field(default_factory=_default_zones)
    rules: Rules = Rules()
    divergence: Divergence = Divergence()
    relative_strength: RelativeStrength = RelativeStrength()
    feed: FeedConfig = FeedConfig()
    notify: NotifyConfig = NotifyConfig()
    ui: UIConfig = UIConfig()
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

        line = line_of_key(self.key_lines, key)
        where = f"{self.path}:{line}" if line else self.path
        # key and message apart: "token: unknown key" must not read as a secret "token: ..."
        self.located.append((line or 0, f"{where}: {redact(key)}: {redact(message)}"))

    @property
    def items(self) -> list[str]:
        """The problems in file order (those without a line first)."""
        return [text for _, text in sorted(self.located, key=lambda item: item[0])]


_BARE_KEY = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
_KEY_PATH = rf"{_BARE_KEY}(?:\s*\.\s*{_BARE_KEY})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_KEY_PATH})\s*\]")
_ASSIGN = re.compile(rf"^\s*({_KEY_PATH})\s*=")
_KEY_PART = re.compile(_BARE_KEY)


def _key_parts(path: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _KEY_PART.findall(path))


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
        header = _HEADER.match(raw)
        if header:
            table = _key_parts(header.group(2))
            found.setdefault(table, number)
            if header.group(1) == "[[":
                counters[table] = counters.get(table, 0) + 1
                table = table + (f"#{counters[table]}",)
                found.setdefault(table, number)
            continue
        assign = _ASSIGN.match(raw)
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


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """'90s', '15m', '2h', '1d' -> seconds. Raises ValueError."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"expected a duration such as '15m', '90s', '2h' or '1d', got {text!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def format_duration(seconds: float) -> str:
    for unit in ("d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


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


_non_negative_number = _bounded(0, expected="a number of 0 or more")
_percent = _bounded(0, 100, expected="a number from 0 to 100")
_poll_interval = _bounded(MIN_POLL_INTERVAL, expected=f"at least {MIN_POLL_INTERVAL:g} seconds")
_fps = _bounded(0.2, 60, expected="0.2 to 60 repaints per second")


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    if value < 1:
        raise ValueError(f"expected a whole number of 1 or more, got {value!r}")
    return value


def _symbol(value: Any) -> str:
    """A ticker, upper-cased as Yahoo spells it (a config that says '^rut' watches ^RUT)."""
    text = _string(value).strip()
    if not text or any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(f"expected a ticker symbol such as '^RUT', got {value!r}")
    return text.upper()


def _label(value: Any) -> str:
    """A level's label: one line of text, escape sequences and control characters removed."""
    from monitor.text import clean_text

    return clean_text(_string(value), 80)


_YAHOO_TICKER = re.compile(r"^\^?[A-Z0-9][A-Z0-9.=&-]{0,19}$")


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


def _symbols(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of symbols, got {value!r}")
    symbols = tuple(_symbol(item) for item in value)
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"a symbol is listed twice in {list(symbols)!r}")
    return symbols


def _duration(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _positive_number(value)
    seconds = parse_duration(_string(value))
    if seconds <= 0:
        raise ValueError(f"expected a duration above 0, got {value!r}")
    return seconds


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_string(value))
    except ValueError:
        raise ValueError(f"expected a date such as 2026-12-31, got {value!r}") from None


def _policy(reader: _Reader) -> AlertPolicy:
    return AlertPolicy(
        frequency=reader.get("frequency", None, _choice(FREQUENCIES), "once, once_per_session or every_time"),
        cooldown=reader.get("cooldown", None, _duration, "a duration such as '15m'"),
        expires=reader.get("expires", None, _date, "a date such as 2026-12-31"),
        muted=reader.get("muted", False, _bool, "true or false"),
        confirm=reader.get("confirm", None, _choice(CONFIRMS), "tick or close"),
    )


def _table(problems: Problems, data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        problems.add(name, f"expected a table [{name}], got {value!r}")
        return {}
    return value


def _macd(value: Any) -> tuple[int, int, int]:
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError(f"expected [fast, slow, signal] such as [12, 26, 9], got {value!r}")
    fast, slow, signal = (_positive_int(item) for item in value)
    if fast >= slow:
        raise ValueError(f"the fast period must be shorter than the slow one, got {value!r}")
    return fast, slow, signal


def _section(top: _Reader, name: str, default: Any, spec: dict[str, tuple[Callable[[Any], Any], str]]) -> Any:
    """The ``[name]`` table read over ``default`` (a dataclass): each key of ``spec`` with its
    converter and what it expects; unknown keys are problems."""
    top.used.add(name)
    reader = _Reader(top.problems, _table(top.problems, top.data, name), f"{name}.")
    values = {key: reader.get(key, getattr(default, key), convert, expected) for key, (convert, expected) in spec.items()}
    reader.finish()
    return replace(default, **values)


def config_from_data(data: dict[str, Any], problems: Problems) -> Config:
    """Build a Config from parsed TOML, recording every problem in ``problems``."""
    top = _Reader(problems, data, "")
    defaults = Config()
    symbols = top.get("symbols", defaults.symbols, _symbols, "a list of symbols")

    top.used.add("levels")
    levels: list[Level] = []
    if data.get("levels", None) is None:
        levels = list(defaults.levels)
    else:
        first_entry: dict[tuple[str, float], str] = {}  # (symbol, price) -> its first entry
        for key, raw, reader in _entries(problems, data, "levels", "symbol, price and label"):
            symbol = reader.get("symbol", None, _symbol, "a symbol")
            price = reader.get("price", None, _positive_number, "a price above 0")
            label = reader.get("label", "", _label, "text")
            approach = reader.get("approach_pct", None, _non_negative_number, "a percentage")
            policy = _policy(reader)
            reader.finish()
            for name in ("symbol", "price"):
                if name not in raw:
                    problems.add(f"{key}.{name}", "missing")
            if symbol is None or price is None:
                continue
            if (symbol, price) in first_entry:  # two entries would fire twice and share one mute key
                problems.add(key, f"{symbol} {price:g} is already {first_entry[symbol, price]}")
                continue
            first_entry[symbol, price] = key
            levels.append(Level(symbol, price, label, policy, approach))

    zones = _zones(top, defaults.zones)

    rules = _section(top, "rules", defaults.rules, {
        "hysteresis_pct": (_non_negative_number, "a percentage"),
        "rsi_period": (_positive_int, "a whole number"),
        "rsi_overbought": (_percent, "a number from 0 to 100"),
        "rsi_oversold": (_percent, "a number from 0 to 100"),
        "macd": (_macd, "[fast, slow, signal]"),
        "ma_fast": (_positive_int, "a whole number"),
        "ma_slow": (_positive_int, "a whole number"),
        "high_low_window": (_positive_int, "a whole number"),
        "rsi_rearm": (_percent, "RSI points from 0 to 100"),
        "breakout_gap": (_positive_int, "a whole number of sessions"),
        "divergence_lookback": (_positive_int, "a whole number"),
        "divergence_min_gap": (_non_negative_number, "RSI points"),
        "approach_pct": (_non_negative_number, "a percentage"),
    })
    if rules.rsi_oversold >= rules.rsi_overbought:
        problems.add("rules.rsi_oversold", f"must be below rsi_overbought ({rules.rsi_overbought:g})")
    if rules.rsi_rearm >= min(rules.rsi_overbought, 100 - rules.rsi_oversold):
        problems.add("rules.rsi_rearm", "must be below rsi_overbought and 100 - rsi_oversold (RSI could never re-arm)")
    if rules.ma_fast >= rules.ma_slow:
        problems.add("rules.ma_fast", f"must be below ma_slow ({rules.ma_slow})")

    relative_strength = _section(top, "relative_strength", defaults.relative_strength, {
        "sessions": (_positive_int, "a whole number"),
        "threshold_bp": (_positive_number, "basis points above 0"),
    })

    divergence = _section(top, "divergence", defaults.divergence, {
        "lead": (_symbol, "a symbol"),
        "peers": (_symbols, "a list of symbols"),
        "min_spread_pct": (_non_negative_number, "a percentage"),
    })
    if divergence.lead in divergence.peers:
        problems.add("divergence.peers", f"must not contain the lead {divergence.lead!r}")

    feed = _section(top, "feed", defaults.feed, {
        "source": (_choice(SOURCES), "a source"),
        "stream_url": (_ws_url, "a ws:// or wss:// URL"),
        "poll_interval": (_poll_interval, "seconds"),
        "stale_after": (_positive_number, "seconds"),
    })
    notify = _section(top, "notify", defaults.notify, {s.key: (s.convert, s.expected) for s in notify_settings()})
    ui = _section(top, "ui", defaults.ui, {"max_fps": (_fps, "repaints per second")})

    top.used.add("alerts")
    alerts: dict[str, AlertPolicy] = {}
    for rule, raw in _table(problems, data, "alerts").items():
        if rule not in RULES:
            problems.add(f"alerts.{rule}", f"unknown rule (rules: {', '.join(RULES)})")
            continue
        if not isinstance(raw, dict):
            problems.add(f"alerts.{rule}", "expected a table with frequency, cooldown, expires, muted, confirm")
            continue
        reader = _Reader(problems, raw, f"alerts.{rule}.")
        alerts[rule] = _policy(reader)
        reader.finish()
        if alerts[rule].confirm is not None and rule not in CONFIRM_RULES:
            problems.add(f"alerts.{rule}.confirm", f"only {', '.join(CONFIRM_RULES)} fire on ticks and can wait for the close")

    futures = _futures(top)

    top.finish()
    return Config(
        symbols=symbols,
        levels=tuple(levels),
        zones=zones,
        rules=rules,
        divergence=divergence,
        relative_strength=relative_strength,
        feed=feed,
        notify=notify,
        ui=ui,
        alerts=alerts,
        futures=futures,
    )


def _futures(top: _Reader) -> dict[str, str]:
    """``[futures]``: index = "future" (its Yahoo ticker, "" for none). The table replaces the
    default pairs; without it every default index shows its future before the open."""
    top.used.add("futures")
    if "futures" not in top.data:
        return _default_futures()
    table = _table(top.problems, top.data, "futures")
    futures: dict[str, str] = {}
    for index, future in table.items():
        key = f"futures.{index}"
        if not _YAHOO_TICKER.match(index):
            top.problems.add(key, f"expected an index ticker such as \"^RUT\" as the key, got {index!r}")
        elif not isinstance(future, str) or (future and not _YAHOO_TICKER.match(future)):
            top.problems.add(key, f"expected a futures ticker such as \"RTY=F\" (or \"\" for none), got {future!r}")
        elif future == index:
            top.problems.add(key, "an index cannot be its own future")
        else:
            futures[index] = future
    return futures


def _entries(problems: Problems, data: dict[str, Any], name: str, fields: str):
    """(key, table, reader) for each table of the ``[[name]]`` array; a value that is not an
    array of tables is a problem."""
    value = data[name]
    if not isinstance(value, list):
        problems.add(name, f"expected [[{name}]] tables")
        return
    for index, raw in enumerate(value):
        key = f"{name}[{index + 1}]"
        if not isinstance(raw, dict):
            problems.add(key, f"expected a table with {fields}")
            continue
        yield key, raw, _Reader(problems, raw, f"{key}.")


def _zones(top: _Reader, default: tuple[Zone, ...]) -> tuple[Zone, ...]:
    """The ``[[zones]]`` entries (absent: the default zones; ``zones = []``: none)."""
    problems = top.problems
    top.used.add("zones")
    if top.data.get("zones", None) is None:
        return default
    zones: list[Zone] = []
    first_entry: dict[tuple[str, float, float], str] = {}
    for key, raw, reader in _entries(problems, top.data, "zones", "symbol, low, high and label"):
        symbol = reader.get("symbol", None, _symbol, "a symbol")
        low = reader.get("low", None, _positive_number, "a price above 0")
        high = reader.get("high", None, _positive_number, "a price above 0")
        label = reader.get("label", "", _string, "text")
        approach = reader.get("approach_pct", None, _non_negative_number, "a percentage")
        reader.finish()
        for name in ("symbol", "low", "high"):
            if name not in raw:
                problems.add(f"{key}.{name}", "missing")
        if symbol is None or low is None or high is None:
            continue
        if low >= high:
            problems.add(f"{key}.high", f"must be above low ({low:g})")
            continue
        if (symbol, low, high) in first_entry:
            problems.add(key, f"{symbol} {low:g}-{high:g} is already {first_entry[symbol, low, high]}")
            continue
        first_entry[symbol, low, high] = key
        zones.append(Zone(symbol, low, high, label, approach))
    return tuple(zones)


def _ws_url(value: Any) -> str:
    return check_ws_url(_string(value))


_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def _syntax_problem(path: str, message: str, text: str) -> str:
    """``tomllib``'s "Invalid value (at line 2, column 5)" as ``file:2: TOML syntax error: ...``."""
    match = _AT_LINE.search(message)
    if match:
        what = message[: match.start()]
        return f"{path}:{match.group(1)}: TOML syntax error: {what} (column {match.group(2)})"
    match = _AT_END.search(message)
    if match:
        return f"{path}:{max(1, len(text.splitlines()))}: TOML syntax error: {message[: match.start()]} (at the end)"
    return f"{path}: TOML syntax error: {message}"


def check_config_text(text: str, path: str, warnings: list[str] | None = None) -> tuple[Config | None, list[str]]:
    """Parse and validate TOML source; returns the config (None on a syntax error) and every
    problem found, each as one line ``file:line: key: message``. Given a ``warnings`` list, a
    valid config's rules that can never fire are appended to it (see ``config_warnings``)."""
    import tomllib  # imported here: the replay hot path loads config.py without parsing TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(path, str(exc), text)]
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
    if _YAHOO_TICKER.match(symbol):
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
