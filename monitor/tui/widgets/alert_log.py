"""The alert log: newest first, one line per alert (time, arrow, message), coloured by direction.

Focus it (``a`` or Tab): a cursor moves with the arrow keys and its alert is shown whole
(wrapped, never cut with ``…``); Enter opens its details (``AlertDetails``: the values that
triggered it and the rule's parameters); ``f`` filters by symbol or rule (``AlertFilter``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from monitor.model import NEW_YORK, Alert
from monitor.tui.widgets.help import badged
from monitor.tui.widgets.lines import LinesView

KEEP = 500


def alert_line(alert: Alert, *, old: bool = False) -> Text:
    """``11-03 11:00 ▼ ^RUT fell below 2,500 (support) at 2,497.12``."""
    when = datetime.fromtimestamp(alert.time, NEW_YORK).strftime("%m-%d %H:%M")
    up = alert.direction == "up"
    colour = "green" if up else "red"
    text = Text(when + " ", style="dim")
    text.append("▲ " if up else "▼ ", style=f"bold {colour}")
    text.append(alert.message, style="dim" if old else colour)
    if alert.stale:
        text.append(" (stale)", style="yellow")
    return text


class LogFilter(NamedTuple):
    """Which alerts the log shows: one symbol and/or one rule (None: all)."""

    symbol: str | None = None
    rule: str | None = None

    def matches(self, alert: Alert) -> bool:
        return (self.symbol is None or alert.symbol == self.symbol) and (self.rule is None or alert.rule == self.rule)

    def describe(self) -> str:
        return " · ".join(part for part in (self.symbol, self.rule) if part)


class AlertLog(LinesView):
    """Keeps the last ``KEEP`` alerts; shows as many as fit, newest at the top."""

    can_focus = True
    BINDINGS = [
        Binding("up,k", "move(-1)", "Newer", show=False),
        Binding("down,j", "move(1)", "Older", show=False),
        Binding("home", "move_to(0)", "Newest", show=False),
        Binding("enter", "open", "Details", show=False),
        Binding("f", "filter", "Filter", show=False),
    ]
    DEFAULT_CSS = """
    AlertLog { height: 1fr; }
    """
    TITLE = "Alerts · newest first"

    class Opened(Message):
        """Enter on an alert: the app shows its details."""

        def __init__(self, alert: Alert) -> None:
            super().__init__()
            self.alert = alert

    class FilterAsked(Message):
        """``f``: the app offers the symbols and rules to filter by."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: deque[tuple[Alert, bool]] = deque(maxlen=KEEP)  # (alert, from history)
        self._offset = 0  # first shown entry (of the filtered ones)
        self._cursor = 0  # the entry under the cursor (of the filtered ones)
        self.filter = LogFilter()
        self.whole = False  # every alert wrapped, none cut (a paused replay: time to read)
        self.border_title = self.TITLE

    def add(self, alert: Alert) -> None:
        self._entries.appendleft((alert, False))
        if self.filter.matches(alert) and (self._cursor or self._offset):
            self._cursor += 1  # the cursor stays on the alert being read
            self._offset += 1
        self._draw()

    def add_history(self, alerts: Iterable[Alert]) -> None:
        """Alerts from earlier runs, oldest first; shown dimmed under the new ones."""
        for alert in alerts:
            self._entries.appendleft((alert, True))
        self._draw()

    @property
    def alerts(self) -> list[Alert]:
        return [alert for alert, _ in self._entries]

    @property
    def shown(self) -> list[tuple[Alert, bool]]:
        """The entries that pass the filter, newest first."""
        return [entry for entry in self._entries if self.filter.matches(entry[0])]

    @property
    def selected(self) -> Alert | None:
        shown = self.shown
        return shown[self._cursor][0] if 0 <= self._cursor < len(shown) else None

    def set_filter(self, log_filter: LogFilter) -> None:
        self.filter = log_filter
        self._cursor = self._offset = 0
        described = log_filter.describe()
        self.border_title = f"{self.TITLE} · only {described} (f: filter)" if described else self.TITLE
        self._draw()

    def show_whole(self, whole: bool) -> None:
        if whole != self.whole:
            self.whole = whole
            self._draw()

    def on_resize(self) -> None:
        self._draw()

    def on_focus(self) -> None:
        self.call_after_refresh(self._draw)  # has_focus is set after this handler

    def on_blur(self) -> None:
        self.call_after_refresh(self._draw)

    def action_move(self, step: int) -> None:
        self._cursor = max(0, min(len(self.shown) - 1, self._cursor + step))
        self._draw()

    def action_move_to(self, index: int) -> None:
        self._cursor = self._offset = index
        self._draw()

    def action_open(self) -> None:
        if self.selected is not None:
            self.post_message(self.Opened(self.selected))

    def action_filter(self) -> None:
        self.post_message(self.FilterAsked())

    def _draw(self) -> None:
        height, width = max(1, self.size.height), max(1, self.size.width)
        shown = self.shown
        if not shown:
            empty = "no alerts match the filter (f: change it)" if self.filter.describe() else "no alerts yet"
            self.set_lines([Text(empty, style="dim")])
            return
        self._cursor = max(0, min(len(shown) - 1, self._cursor))
        self._offset = max(0, min(self._offset, self._cursor))
        while True:
            out: list[Text] = []
            cursor_end = 0
            for index in range(self._offset, len(shown)):
                alert, old = shown[index]
                line = alert_line(alert, old=old)
                cursor = index == self._cursor and self.has_focus
                if cursor:
                    line.stylize("reverse")
                if cursor or self.whole:  # read whole: wrapped, not cut
                    out.extend(line.wrap(self.app.console, width))
                    cursor_end = len(out) if cursor else cursor_end
                else:
                    out.append(line)
                if len(out) >= height:
                    break
            if cursor_end <= height or self._offset >= self._cursor:
                break
            self._offset += 1  # the cursor's lines went past the bottom: scroll
        self.set_lines(out[:height])


# --------------------------------------------------------------------------------------------
# Details and filter


def rule_parameters(alert: Alert, config: Any, policy: Any = None) -> list[tuple[str, str]]:
    """(name, value) of the settings that made ``alert`` fire, from the running config, and the
    delivery policy (``policy.AlertGate.policy_for`` of its key) when given."""
    rules = config.rules
    rows: list[tuple[str, str]] = []
    rule = alert.rule
    if rule == "level_cross":
        rows += [("level", f"{alert.extra.get('level', '–'):,} {alert.extra.get('label', '')}".rstrip())]
        rows += [("hysteresis", f"{rules.hysteresis_pct:g} % either side of the level")]
    elif rule in ("new_high", "new_low"):
        rows += [("window", f"{rules.high_low_window} sessions")]
    elif rule == "ma_cross":
        rows += [("averages", f"SMA{rules.ma_fast} and SMA{rules.ma_slow} of daily closes")]
    elif rule in ("rsi_overbought", "rsi_oversold"):
        threshold = rules.rsi_overbought if rule == "rsi_overbought" else rules.rsi_oversold
        rows += [("RSI", f"{rules.rsi_period} sessions, threshold {threshold:g}")]
    elif rule == "rsi_macd_divergence":
        fast, slow, signal = rules.macd
        rows += [("RSI", f"{rules.rsi_period} sessions"), ("MACD", f"{fast}, {slow}, {signal}")]
    elif rule == "relative_divergence":
        div = config.divergence
        rows += [("lead", div.lead), ("peers", ", ".join(div.peers)), ("min spread", f"{div.min_spread_pct:g} percentage points")]
    if policy is not None:
        frequency = policy.frequency or "the rule's own"
        rows.append(("frequency", frequency.replace("_", " ")))
        rows.append(("cooldown", f"{policy.cooldown:g} s" if policy.cooldown else "none"))
        rows.append(("expires", policy.expires.isoformat() if policy.expires else "never"))
    return rows


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value == value else "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_value, value))
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items())
    return str(value)


def _table(rows: Iterable[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="dim")
    table.add_column()
    for name, value in rows:
        table.add_row(name, value)
    return table


class AlertDetails(ModalScreen[None]):
    """Everything about one alert: the full message, when and from which source, whether the
    data was stale, the values that triggered it and the rule's parameters."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, alert: Alert, parameters: list[tuple[str, str]], badge: str = "") -> None:
        super().__init__()
        self.alert = alert
        self.parameters = parameters
        self.badge = badge

    def compose(self) -> ComposeResult:
        alert = self.alert
        with VerticalScroll(id="dialog"):
            yield Static(badged(f"{alert.symbol} · {alert.rule} {'▲ up' if alert.direction == 'up' else '▼ down'}", self.badge), id="dialog-title")
            yield Static(Text(alert.message))
            when = datetime.fromtimestamp(alert.time, NEW_YORK).strftime("%Y-%m-%d %H:%M:%S ET")
            facts = [("time", when), ("price", _value(float(alert.price))), ("source", alert.source)]
            facts.append(("stale", "yes: the data was old when it fired" if alert.stale else "no"))
            yield Static(_table(facts), classes="gap")
            yield Static("Values that triggered it", classes="section gap")
            yield Static(_table((name, _value(value)) for name, value in alert.extra.items()) if alert.extra else Text("none", style="dim"))
            yield Static("Rule parameters", classes="section gap")
            yield Static(_table(self.parameters))
            yield Static(Text("Esc or Enter closes this screen.", style="dim"), classes="gap")

    def action_close(self) -> None:
        self.dismiss(None)


class AlertFilter(ModalScreen[LogFilter | None]):
    """Choose a symbol or a rule; the log then shows only those alerts (both can be set one
    after the other). "All alerts" clears the filter."""

    AUTO_FOCUS = "#filter-options"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, current: LogFilter, symbols: list[str], rules: list[str], badge: str = "") -> None:
        super().__init__()
        self.current = current
        self.symbols = symbols
        self.rules = rules
        self.badge = badge

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(badged("Filter the alert log", self.badge), id="dialog-title")
            options = [Option("All alerts", id="all")]
            options += [Option(f"Symbol {s}" + ("  [shown]" if s == self.current.symbol else ""), id=f"symbol:{s}") for s in self.symbols]
            options += [Option(f"Rule {r}" + ("  [shown]" if r == self.current.rule else ""), id=f"rule:{r}") for r in self.rules]
            yield OptionList(*options, id="filter-options", markup=False)
            yield Static(Text("Enter: choose · Esc: close", style="dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        kind, _, value = (event.option.id or "").partition(":")
        if kind == "symbol":
            self.dismiss(self.current._replace(symbol=value))
        elif kind == "rule":
            self.dismiss(self.current._replace(rule=value))
        else:
            self.dismiss(LogFilter())

    def action_close(self) -> None:
        self.dismiss(None)
