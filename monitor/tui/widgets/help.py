"""The ``?`` help screen: every key of the app with what it does, and where to read more."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NOTES = (
    "Data badge per row: live, delay Nm (exchange delay), stale (nothing new while the market is "
    "open), closed, waiting (no price yet), replay. The status bar shows the data time of the last tick, never the "
    "screen's clock.",
    "Alerts: a toast, the bell ([notify] bell) and a flash of the row. Full history: "
    "`market-monitor alerts`.",
    "Colours: NO_COLOR=1 for none; TEXTUAL_COLOR_SYSTEM=standard for 16-colour terminals.",
)


def badged(title: str, badge: str) -> Text:
    """A dialog's bold title with the DEMO · REPLAY / REPLAY badge after it."""
    text = Text(title, style="bold")
    if badge:
        text.append("   ")
        text.append(f" {badge} ", style="reverse")
    return text


def keys_table(bindings: Iterable[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", padding=(0, 2, 0, 0))
    table.add_column("Key")
    table.add_column("Action")
    for key, description in bindings:
        table.add_row(key, description)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, bindings: list[tuple[str, str]], badge: str = "") -> None:
        super().__init__()
        self.bindings = bindings
        self.badge = badge

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(badged("market-monitor keys", self.badge), id="dialog-title")
            yield Static(keys_table(self.bindings))
            for note in NOTES:
                yield Static(Text(note, style="dim"), classes="note")
            yield Static(Text("Esc, q or ? closes this screen.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
