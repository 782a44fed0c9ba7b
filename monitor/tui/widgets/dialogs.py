"""Dialogs: the thresholds editor (levels of one symbol and the rule thresholds) and the
mute/snooze chooser.

Validation is the config file's own: the edited values go through ``config_from_data`` as if
they had been read from TOML, so the dialog accepts exactly what the file accepts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from monitor.config import RULES, Config, Problems, config_from_data
from monitor.config_store import config_to_toml

RULE_FIELDS = (
    ("hysteresis_pct", "hysteresis %"),
    ("rsi_overbought", "RSI overbought"),
    ("rsi_oversold", "RSI oversold"),
)
SNOOZE_SECONDS = 3600.0
POLICY_FIELDS = (  # a level's own alert policy, as in its [[levels]] entry
    ("frequency", "frequency, e.g. once"),
    ("cooldown", "cooldown, e.g. 15m"),
    ("expires", "expires YYYY-MM-DD"),
)


def raw_value(text: str) -> Any:
    """What the TOML file would hold if the user had typed ``text`` there ("2,550" -> 2550)."""
    cleaned = text.strip().replace(",", "")
    try:
        return tomllib.loads(f"v = {cleaned}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def config_data(config: Config) -> dict[str, Any]:
    """The config as the parsed-TOML dict the validator reads (secrets kept: memory only)."""
    return tomllib.loads(config_to_toml(config, hide_secrets=False))


def validate(config: Config, levels: list[dict[str, Any]], rules: dict[str, Any]) -> tuple[Config | None, list[str]]:
    """``config`` with ``levels`` (the whole [[levels]] list) and ``rules`` (changed keys) as
    raw TOML values; returns (new config, []) or (None, problems as "key: what")."""
    data = config_data(config)
    data["levels"] = levels
    data.setdefault("rules", {}).update(rules)
    problems = Problems("thresholds", "")
    new = config_from_data(data, problems)
    if problems.items:
        return None, [item.removeprefix("thresholds: ") for item in problems.items]
    return replace(new, path=config.path), []


def _sort_price(price: Any) -> float:
    return float(price) if isinstance(price, (int, float)) else float("-inf")


def level_words(level: dict[str, Any]) -> str:
    """``^RUT 2,500 (support)``: a level as the user knows it."""
    price = level.get("price")
    shown = f"{price:,.4f}".rstrip("0").rstrip(".") if isinstance(price, (int, float)) else repr(price)
    label = level.get("label")
    return f"{level.get('symbol', '?')} {shown}" + (f" ({label})" if label else "")


RULE_WORDS = dict(RULE_FIELDS) | {"rsi_period": "RSI period", "ma_fast": "fast average", "ma_slow": "slow average"}


def in_words(problem: str, levels: list[dict[str, Any]]) -> str:
    """A validation problem with config paths said in words: ``levels[3].price: ...`` becomes
    ``^RUT 2,550 (pivot): price: ...``, ``rules.rsi_oversold`` becomes ``RSI oversold``."""

    def level(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        words = level_words(levels[index]) if 0 <= index < len(levels) else "a level"
        return words + (f" {match.group(2)}" if match.group(2) else "")

    problem = re.sub(r"levels\[(\d+)\](?:\.(\w+))?", level, problem)
    return re.sub(r"\brules\.(\w+)|\b(rsi_overbought|rsi_oversold|hysteresis_pct)\b", lambda m: RULE_WORDS.get(m.group(1) or m.group(2), m.group(0)), problem)


class ThresholdsDialog(ModalScreen[Config | None]):
    """Add, change and remove the levels of ``symbol``; change the RSI and hysteresis
    thresholds. Save (ctrl+s) returns the new config; Escape returns None."""

    AUTO_FOCUS = "#price"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, config: Config, symbol: str, badge: str = "") -> None:
        super().__init__()
        self.config = config
        self.symbol = symbol
        self.badge = badge
        self.levels: list[dict[str, Any]] = list(config_data(config).get("levels", []))

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = f"Thresholds · {self.symbol}"
            yield Label(f"{title}   [reverse] {self.badge} [/]" if self.badge else title, id="dialog-title")
            yield DataTable(id="levels", cursor_type="row")
            with Horizontal(classes="row"):
                yield Input(placeholder="price", id="price", compact=True)
                yield Input(placeholder="label", id="label", compact=True)
            with Horizontal(classes="row"):
                for key, hint in POLICY_FIELDS:
                    yield Input(placeholder=hint, id=key, compact=True)
            with Horizontal(classes="row gap"):
                yield Button("Add", id="add", compact=True)
                yield Button("Update", id="update", compact=True)
                yield Button("Remove", id="remove", compact=True)
            yield Label("Rules (all symbols)", classes="section gap")
            with Horizontal(classes="row"):
                for key, label in RULE_FIELDS:
                    yield Label(label, classes="field-label")
                    yield Input(f"{getattr(self.config.rules, key):g}", id=key, compact=True, classes="rule")
            yield Static("", id="problems")
            with Horizontal(classes="row gap"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
            yield Label("Tab: next field · Enter: press · ctrl+s: save · Esc: cancel", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one("#levels", DataTable)
        table.add_column("Price", width=12, key="price")
        table.add_column("Label", width=18, key="label")
        table.add_column("Alerts", width=32, key="policy")
        self._fill_table()

    def _mine(self) -> list[int]:
        """Indices of this symbol's levels, highest price first (as on the chart)."""
        mine = [i for i, lv in enumerate(self.levels) if lv.get("symbol") == self.symbol]
        return sorted(mine, key=lambda i: _sort_price(self.levels[i].get("price")), reverse=True)

    def _fill_table(self) -> None:
        table = self.query_one("#levels", DataTable)
        table.clear()
        for i in self._mine():
            level = self.levels[i]
            policy = " · ".join(f"{key} {level[key]}" for key, _ in POLICY_FIELDS if level.get(key) not in (None, ""))
            table.add_row(f"{level['price']:,}", str(level.get("label", "")), policy or "the rule's policy", key=str(i))
        if not self._mine():
            table.add_row("–", "none yet: type one below", "", key="none")

    def _selected_index(self) -> int | None:
        table = self.query_one("#levels", DataTable)
        mine = self._mine()
        if not mine or table.cursor_row < 0 or table.cursor_row >= len(mine):
            return None
        return mine[table.cursor_row]

    @on(DataTable.RowHighlighted, "#levels")
    def _load_row(self) -> None:
        """Moving through the list (it has the focus) loads that level into the fields."""
        if not self.query_one("#levels", DataTable).has_focus:
            return  # the first row is highlighted on mount: keep the fields empty for Add
        index = self._selected_index()
        if index is not None:
            self.query_one("#price", Input).value = f"{self.levels[index]['price']}"
            self.query_one("#label", Input).value = str(self.levels[index].get("label", ""))
            for key, _ in POLICY_FIELDS:
                value = self.levels[index].get(key)
                self.query_one(f"#{key}", Input).value = "" if value is None else str(value)

    def _entry(self, base: dict[str, Any] | None = None) -> dict[str, Any]:
        entry = dict(base or {})
        entry["symbol"] = self.symbol
        entry["price"] = raw_value(self.query_one("#price", Input).value)
        entry["label"] = self.query_one("#label", Input).value.strip()
        for key, _ in POLICY_FIELDS:
            text = self.query_one(f"#{key}", Input).value.strip()
            if not text:
                entry.pop(key, None)  # the rule's own policy
            else:
                entry[key] = raw_value(text) if key != "frequency" else text
        return entry

    def _try_levels(self, levels: list[dict[str, Any]]) -> bool:
        _, problems = validate(self.config, levels, self._rules())
        self._show(problems, levels)
        if not problems:
            self.levels = levels
            self._fill_table()
        return not problems

    def _show(self, problems: list[str], levels: list[dict[str, Any]] | None = None) -> None:
        """``problems`` in words; ``levels`` is the list they were found in (default: the current)."""
        levels = self.levels if levels is None else levels
        self.query_one("#problems", Static).update("\n".join(in_words(p, levels) for p in problems))

    def _rules(self) -> dict[str, Any]:
        return {key: raw_value(self.query_one(f"#{key}", Input).value) for key, _ in RULE_FIELDS}

    @on(Button.Pressed, "#add")
    @on(Input.Submitted, "#price,#label,#frequency,#cooldown,#expires")
    def action_add(self) -> None:
        if self._try_levels([*self.levels, self._entry()]):
            for key in ("price", "label", *(key for key, _ in POLICY_FIELDS)):
                self.query_one(f"#{key}", Input).value = ""

    @on(Button.Pressed, "#update")
    def action_update(self) -> None:
        """Replace the selected level with the price and label typed."""
        self._change_selected(lambda i, level: self._entry(level))

    @on(Button.Pressed, "#remove")
    def action_remove(self) -> None:
        """Remove the selected level."""
        self._change_selected(lambda i, level: None)

    def _change_selected(self, change) -> None:
        index = self._selected_index()
        if index is None:
            self._show(["select a level in the list first"])
            return
        levels = [change(i, lv) if i == index else lv for i, lv in enumerate(self.levels)]
        self._try_levels([lv for lv in levels if lv is not None])

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        new, problems = validate(self.config, self.levels, self._rules())
        self._show(problems)
        if new is not None:
            self.dismiss(new)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmSave(ModalScreen[bool]):
    """Asked before a demo or a replay saves thresholds: they go to the user's real config."""

    AUTO_FOCUS = "#no"
    BINDINGS = [Binding("y", "answer(True)", "Save"), Binding("n,escape", "answer(False)", "Don't save")]

    def __init__(self, path: Any, badge: str = "") -> None:
        super().__init__()
        self.path = path
        self.badge = badge

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = "Save to your config?"
            yield Label(f"{title}   [reverse] {self.badge} [/]" if self.badge else title, id="dialog-title")
            yield Static(f"This is a replay, but the levels and rules are saved to your real config, {self.path}, which the live monitor uses.")
            yield Static("Without saving they apply to this replay only.", classes="gap")
            with Horizontal(classes="row gap"):
                yield Button("Save (y)", id="yes", compact=True)
                yield Button("Don't save (n)", id="no", variant="primary", compact=True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, save: bool) -> None:
        self.dismiss(save)


RULE_NAMES = {
    "level_cross": "level crossings (every level)",
    "new_high": "new 52-week highs",
    "new_low": "new 52-week lows",
    "ma_cross": "moving-average crosses",
    "rsi_overbought": "RSI overbought",
    "rsi_oversold": "RSI oversold",
    "rsi_macd_divergence": "RSI/MACD divergences",
    "relative_divergence": "divergences between the indexes",
    "relative_strength": "relative strength against the peers",
    "zone_cross": "zone entries and exits",
    "price_rsi_divergence": "price/RSI divergences",
    "level_approach": "approaches to a level or zone",
}


class MuteDialog(ModalScreen[None]):
    """Choose a rule (or a level of the symbol) and mute, snooze for an hour, or unmute it. The
    dialog stays open: ``act(action, key)`` applies the choice and returns the new state of
    every key ("muted", "snoozed until 11:00 ET"), shown beside each entry."""

    AUTO_FOCUS = "#mute-keys"
    BINDINGS = [
        Binding("m", "choose('mute')", "Mute"),
        Binding("s", "choose('snooze')", "Snooze 1 h"),
        Binding("u", "choose('unmute')", "Unmute"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, entries: list[tuple[str, str]], muted: dict[str, str], act: Callable[[str, str], dict[str, str]], badge: str = "") -> None:
        super().__init__()
        self.entries = entries  # (key, in words)
        self.muted = muted  # key -> "muted" / "snoozed until 15:30 ET"
        self.act = act
        self.badge = badge

    def _prompt(self, key: str, words: str) -> str:
        return f"{words}  [{self.muted[key]}]" if key in self.muted else words

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = "Mute or snooze alerts"
            yield Label(f"{title}   [reverse] {self.badge} [/]" if self.badge else title, id="dialog-title")
            options = [Option(self._prompt(key, words), id=key) for key, words in self.entries]
            yield OptionList(*options, id="mute-keys", markup=False)
            yield Static("", id="mute-done")
            yield Label("m: mute · s: snooze 1 h · u: unmute · Esc: close", classes="hint")

    def action_choose(self, action: str) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        key, words = self.entries[options.highlighted]
        self.muted = self.act(action, key)
        for index, (other, other_words) in enumerate(self.entries):
            options.replace_option_prompt_at_index(index, self._prompt(other, other_words))
        said = {"mute": "muted", "snooze": "snoozed for 1 h", "unmute": "unmuted"}[action]
        self.query_one("#mute-done", Static).update(f"{words}: {said}")

    def action_close(self) -> None:
        self.dismiss(None)


def mute_entries(symbol: str, config: Config) -> list[tuple[str, str]]:
    """(policy key, in words) of the rules, then of the levels of ``symbol`` (as AlertGate keys
    them): ``("level_cross:^RUT:2500", "^RUT 2,500 (support) level crossings")``."""
    from monitor.policy import level_key

    rules = [(rule, RULE_NAMES.get(rule, rule)) for rule in RULES]
    levels = sorted(config.levels_for(symbol), key=lambda level: level.price, reverse=True)
    words = [level_words({"symbol": lv.symbol, "price": lv.price, "label": lv.label}) for lv in levels]
    return [*rules, *((level_key(lv.symbol, lv.price), f"{said} level crossings") for lv, said in zip(levels, words))]
