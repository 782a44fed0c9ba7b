"""The add-symbol dialog: one input; the app checks the symbol with Yahoo while the dialog
stays open, and a symbol Yahoo does not know is refused there with the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class SymbolDialog(ModalScreen[str | None]):
    """Type a symbol, Enter adds it. ``add(text)`` (the app's) returns "" once the symbol is on
    the watchlist, else why not; the dialog closes with the text only on success."""

    AUTO_FOCUS = "#symbol"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, add: Callable[[str], Awaitable[str]], badge: str = "") -> None:
        super().__init__()
        self.add = add
        self.badge = badge
        self.message = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = "Add a symbol"
            yield Label(f"{title}   [reverse] {self.badge} [/]" if self.badge else title, id="dialog-title")
            yield Input(placeholder="Yahoo ticker: ^DJI, AAPL, ES=F", id="symbol", compact=True)
            yield Static("", id="problems")
            yield Label("Enter: add · Esc: cancel", classes="hint")

    def say(self, text: str) -> None:
        self.message = text  # what the dialog says under the input (tests read it)
        self.query_one("#problems", Static).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value)

    @work(exclusive=True, group="add-symbol")
    async def submit(self, text: str) -> None:
        field = self.query_one("#symbol", Input)
        field.disabled = True
        self.say(f"checking {text.strip().upper()} with Yahoo…")
        try:
            error = await self.add(text)
        finally:
            field.disabled = False
        if error:
            self.say(error)
            field.focus()
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
