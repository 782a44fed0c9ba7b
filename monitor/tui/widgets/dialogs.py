"""Dialogs: the thresholds editor (levels and zones of one symbol, the rule thresholds) and the
mute/snooze chooser.

Validation is the config file's own: the edited values go through ``monitor.view.validate``
(the config file's reader) as if they had been read from TOML, so the dialog accepts exactly
what the file accepts.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from monitor.view import RULES, Config, config_data, level_key, validate

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


def _sort_price(price: Any) -> float:
    return float(price) if isinstance(price, (int, float)) else float("-inf")


def _shown(price: Any) -> str:
    return f"{price:,.4f}".rstrip("0").rstrip(".") if isinstance(price, (int, float)) else repr(price)


def level_words(level: dict[str, Any]) -> str:
    """``^RUT 2,500 (support)``: a level as the user knows it."""
    label = level.get("label")
    return f"{level.get('symbol', '?')} {_shown(level.get('price'))}" + (f" ({label})" if label else "")


def zone_words(zone: dict[str, Any]) -> str:
    """``^RUT 2,580-2,600 (resistance zone)``: a zone as the user knows it."""
    label = zone.get("label")
    return f"{zone.get('symbol', '?')} {_shown(zone.get('low'))}-{_shown(zone.get('high'))}" + (f" ({label})" if label else "")


RULE_WORDS = dict(RULE_FIELDS) | {"rsi_period": "RSI period", "ma_fast": "fast average", "ma_slow": "slow average"}


def in_words(problem: str, levels: list[dict[str, Any]], zones: list[dict[str, Any]] = ()) -> str:
    """A validation problem with config paths said in words: ``levels[3].price: ...`` becomes
    ``^RUT 2,550 (pivot): price: ...``, ``zones[1].high`` ``^RUT 2,600-2,580 high``,
    ``rules.rsi_oversold`` ``RSI oversold``."""

    def entry(match: re.Match) -> str:
        entries, words = (levels, level_words) if match.group(1) == "levels" else (zones, zone_words)
        index = int(match.group(2)) - 1
        said = words(entries[index]) if 0 <= index < len(entries) else f"a {match.group(1)[:-1]}"
        return said + (f" {match.group(3)}" if match.group(3) else "")

    problem = re.sub(r"\b(levels|zones)\[(\d+)\](?:\.(\w+))?", entry, problem)
    return re.sub(r"\brules\.(\w+)|\b(rsi_overbought|rsi_oversold|hysteresis_pct)\b", lambda m: RULE_WORDS.get(m.group(1) or m.group(2), m.group(0)), problem)


class Editor(NamedTuple):
    """One list the thresholds dialog edits for its symbol: ``key`` is the config's [[key]]
    list; its widgets' ids are ``prefix`` + a field's name (inputs) or add/update/remove
    (buttons), its table's is ``key``. ``fields``: (name, placeholder, kind), kind "number"
    (as TOML reads it) or "text", "optional ..." when an empty field leaves the key out."""

    key: str
    prefix: str
    fields: tuple[tuple[str, str, str], ...]
    columns: tuple[tuple[str, int], ...]
    cells: Callable[[dict[str, Any]], tuple[str, ...]]
    order: Callable[[dict[str, Any]], float]  # the table lists the highest first, as the chart does
    words: Callable[[dict[str, Any]], str]


def _level_cells(level: dict[str, Any]) -> tuple[str, ...]:
    policy = " · ".join(f"{key} {level[key]}" for key, _ in POLICY_FIELDS if level.get(key) not in (None, ""))
    return f"{level['price']:,}", str(level.get("label", "")), policy or "the rule's policy"


LEVELS = Editor(
    "levels",
    "",
    (("price", "price", "number"), ("label", "label", "text"), *((key, hint, "optional text" if key == "frequency" else "optional number") for key, hint in POLICY_FIELDS)),
    (("Price", 12), ("Label", 18), ("Alerts", 32)),
    _level_cells,
    lambda level: _sort_price(level.get("price")),
    level_words,
)
ZONES = Editor(
    "zones",
    "zone-",
    (("low", "low", "number"), ("high", "high", "number"), ("label", "label", "text")),
    (("Low", 12), ("High", 12), ("Label", 38)),
    lambda zone: (f"{zone['low']:,}", f"{zone['high']:,}", str(zone.get("label", ""))),
    lambda zone: _sort_price(zone.get("high")),
    zone_words,
)
EDITORS = {editor.key: editor for editor in (LEVELS, ZONES)}


class ThresholdsDialog(ModalScreen[Config | None]):
    """Add, change and remove the levels and the zones of ``symbol`` (one tab each); change the
    RSI and hysteresis thresholds. Save (ctrl+s) returns the new config; Escape returns None."""

    AUTO_FOCUS = "#price"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+t", "other_list", "Levels/Zones"),
    ]

    def __init__(self, config: Config, symbol: str, badge: str = "") -> None:
        super().__init__()
        self.config = config
        self.symbol = symbol
        self.badge = badge
        data = config_data(config)
        self.entries: dict[str, list[dict[str, Any]]] = {key: list(data.get(key, [])) for key in EDITORS}

    @property
    def levels(self) -> list[dict[str, Any]]:
        return self.entries["levels"]

    @property
    def zones(self) -> list[dict[str, Any]]:
        return self.entries["zones"]

    def _inputs(self, editor: Editor, names: Sequence[str]) -> ComposeResult:
        hints = {name: hint for name, hint, _ in editor.fields}
        with Horizontal(classes="row"):
            for name in names:
                yield Input(placeholder=hints[name], id=f"{editor.prefix}{name}", compact=True)

    def _buttons(self, editor: Editor) -> ComposeResult:
        with Horizontal(classes="row gap"):
            for action in ("add", "update", "remove"):
                yield Button(action.capitalize(), id=f"{editor.prefix}{action}", compact=True)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = f"Thresholds · {self.symbol}"
            yield Label(f"{title}   [reverse] {self.badge} [/]" if self.badge else title, id="dialog-title")
            with TabbedContent(id="lists"):
                with TabPane("Levels", id="levels-tab"):
                    yield DataTable(id="levels", cursor_type="row")
                    yield from self._inputs(LEVELS, ("price", "label"))
                    yield from self._inputs(LEVELS, [key for key, _ in POLICY_FIELDS])
                    yield from self._buttons(LEVELS)
                with TabPane("Zones", id="zones-tab"):
                    yield DataTable(id="zones", cursor_type="row")
                    yield from self._inputs(ZONES, ("low", "high", "label"))
                    yield from self._buttons(ZONES)
            yield Label("Rules (all symbols)", classes="section gap")
            with Horizontal(classes="row"):
                for key, label in RULE_FIELDS:
                    yield Label(label, classes="field-label")
                    yield Input(f"{getattr(self.config.rules, key):g}", id=key, compact=True, classes="rule")
            yield Static("", id="problems")
            with Horizontal(classes="row gap"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
            yield Label("Tab: next field · Enter: press · ^t: levels/zones · ^s: save · Esc: cancel", classes="hint")

    def on_mount(self) -> None:
        for editor in EDITORS.values():
            table = self.query_one(f"#{editor.key}", DataTable)
            for (heading, width), name in zip(editor.columns, ("a", "b", "c")):
                table.add_column(heading, width=width, key=name)
            self._fill_table(editor)

    def _mine(self, editor: Editor) -> list[int]:
        """Indices of this symbol's entries, highest first (as on the chart)."""
        entries = self.entries[editor.key]
        mine = [i for i, entry in enumerate(entries) if entry.get("symbol") == self.symbol]
        return sorted(mine, key=lambda i: editor.order(entries[i]), reverse=True)

    def _fill_table(self, editor: Editor) -> None:
        table = self.query_one(f"#{editor.key}", DataTable)
        table.clear()
        mine = self._mine(editor)
        for i in mine:
            table.add_row(*editor.cells(self.entries[editor.key][i]), key=str(i))
        if not mine:
            table.add_row("–", "none yet: type one below", "", key="none")

    def _selected_index(self, editor: Editor) -> int | None:
        table = self.query_one(f"#{editor.key}", DataTable)
        mine = self._mine(editor)
        if not mine or table.cursor_row < 0 or table.cursor_row >= len(mine):
            return None
        return mine[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _load_row(self, event: DataTable.RowHighlighted) -> None:
        """Moving through a list (it has the focus) loads that entry into its fields."""
        editor = EDITORS.get(event.data_table.id or "")
        if editor is None or not event.data_table.has_focus:
            return  # the first row is highlighted on mount: keep the fields empty for Add
        index = self._selected_index(editor)
        if index is not None:
            entry = self.entries[editor.key][index]
            for name, _, _ in editor.fields:
                value = entry.get(name)
                self.query_one(f"#{editor.prefix}{name}", Input).value = "" if value is None else str(value)

    def _entry(self, editor: Editor, base: dict[str, Any] | None = None) -> dict[str, Any]:
        entry = dict(base or {})
        entry["symbol"] = self.symbol
        for name, _, kind in editor.fields:
            text = self.query_one(f"#{editor.prefix}{name}", Input).value.strip()
            if kind.startswith("optional") and not text:
                entry.pop(name, None)  # e.g. the rule's own policy
            else:
                entry[name] = text if kind.endswith("text") else raw_value(text)
        return entry

    def _try(self, editor: Editor, entries: list[dict[str, Any]]) -> bool:
        lists = {**self.entries, editor.key: entries}
        _, problems = validate(self.config, lists["levels"], self._rules(), lists["zones"])
        self._show(problems, lists)
        if not problems:
            self.entries = lists
            self._fill_table(editor)
        return not problems

    def _show(self, problems: list[str], lists: dict[str, list[dict[str, Any]]] | None = None) -> None:
        """``problems`` in words; ``lists`` are the entries they were found in (default: the current)."""
        lists = self.entries if lists is None else lists
        self.query_one("#problems", Static).update("\n".join(in_words(p, lists["levels"], lists["zones"]) for p in problems))

    def _rules(self) -> dict[str, Any]:
        return {key: raw_value(self.query_one(f"#{key}", Input).value) for key, _ in RULE_FIELDS}

    def _editor_of(self, widget_id: str | None) -> tuple[Editor, str]:
        """The editor a widget belongs to and the widget's name in it (``zone-low`` -> ZONES, low)."""
        name = widget_id or ""
        if name.startswith(ZONES.prefix):
            return ZONES, name.removeprefix(ZONES.prefix)
        return LEVELS, name

    @on(Button.Pressed, "#add,#update,#remove,#zone-add,#zone-update,#zone-remove")
    def _pressed(self, event: Button.Pressed) -> None:
        editor, action = self._editor_of(event.button.id)
        getattr(self, f"action_{action}")(editor.key)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in a level's or a zone's field adds it."""
        editor, name = self._editor_of(event.input.id)
        if name in {field for field, _, _ in editor.fields}:
            self.action_add(editor.key)

    def action_add(self, kind: str = "levels") -> None:
        """Add the level (``kind`` "zones": the zone) typed in the fields."""
        editor = EDITORS[kind]
        if self._try(editor, [*self.entries[kind], self._entry(editor)]):
            for name, _, _ in editor.fields:
                self.query_one(f"#{editor.prefix}{name}", Input).value = ""
            if isinstance(self.focused, Input):  # typed and Enter: ready for the next one
                self.query_one(f"#{editor.prefix}{editor.fields[0][0]}", Input).focus()

    def action_update(self, kind: str = "levels") -> None:
        """Replace the selected level (zone) with what is typed."""
        editor = EDITORS[kind]
        self._change_selected(editor, lambda entry: self._entry(editor, entry))

    def action_remove(self, kind: str = "levels") -> None:
        """Remove the selected level (zone)."""
        self._change_selected(EDITORS[kind], lambda entry: None)

    def _change_selected(self, editor: Editor, change) -> None:
        index = self._selected_index(editor)
        if index is None:
            self._show([f"select a {editor.key[:-1]} in the list first"])
            return
        entries = [change(entry) if i == index else entry for i, entry in enumerate(self.entries[editor.key])]
        self._try(editor, [entry for entry in entries if entry is not None])

    def action_other_list(self) -> None:
        """Show the zones when the levels are shown, and the other way round; focus its first field."""
        tabs = self.query_one("#lists", TabbedContent)
        editor = LEVELS if tabs.active == "zones-tab" else ZONES
        tabs.active = f"{editor.key}-tab"
        self.query_one(f"#{editor.prefix}{editor.fields[0][0]}", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        new, problems = validate(self.config, self.levels, self._rules(), self.zones)
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
    rules = [(rule, RULE_NAMES.get(rule, rule)) for rule in RULES]
    levels = sorted(config.levels_for(symbol), key=lambda level: level.price, reverse=True)
    words = [level_words({"symbol": lv.symbol, "price": lv.price, "label": lv.label}) for lv in levels]
    return [*rules, *((level_key(lv.symbol, lv.price), f"{said} level crossings") for lv, said in zip(levels, words))]
