"""The alert log: newest first, one line per alert (time, symbol, arrow, message), coloured by
direction. Focus it (Tab) and scroll with the arrow keys, Home and End."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.binding import Binding

from monitor.model import NEW_YORK, Alert
from monitor.tui.widgets.lines import LinesView

KEEP = 500


def alert_line(alert: Alert, *, old: bool = False) -> Text:
    """``11-03 11:00 ^RUT ▼ ^RUT broke below 2,500 support at 2,497.12``."""
    when = datetime.fromtimestamp(alert.time, NEW_YORK).strftime("%m-%d %H:%M")
    up = alert.direction == "up"
    colour = "green" if up else "red"
    text = Text(when + " ", style="dim")
    text.append("▲ " if up else "▼ ", style=f"bold {colour}")
    text.append(alert.message, style="dim" if old else colour)
    if alert.stale:
        text.append(" (stale)", style="yellow")
    return text


class AlertLog(LinesView):
    """Keeps the last ``KEEP`` alerts; shows as many as fit, newest at the top."""

    can_focus = True
    BINDINGS = [
        Binding("up,k", "scroll(-1)", "Newer", show=False),
        Binding("down,j", "scroll(1)", "Older", show=False),
        Binding("home", "scroll_to(0)", "Newest", show=False),
    ]
    DEFAULT_CSS = """
    AlertLog { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: deque[tuple[Alert, bool]] = deque(maxlen=KEEP)  # (alert, from history)
        self._offset = 0

    def add(self, alert: Alert) -> None:
        self._entries.appendleft((alert, False))
        self._draw()

    def add_history(self, alerts: Iterable[Alert]) -> None:
        """Alerts from earlier runs, oldest first; shown dimmed under the new ones."""
        for alert in alerts:
            self._entries.appendleft((alert, True))
        self._draw()

    @property
    def alerts(self) -> list[Alert]:
        return [alert for alert, _ in self._entries]

    def on_resize(self) -> None:
        self._draw()

    def action_scroll(self, step: int) -> None:
        self._offset = max(0, min(len(self._entries) - 1, self._offset + step))
        self._draw()

    def action_scroll_to(self, offset: int) -> None:
        self._offset = offset
        self._draw()

    def _draw(self) -> None:
        height = max(1, self.size.height)
        if not self._entries:
            self.set_lines([Text("no alerts yet", style="dim")])
            return
        shown = list(self._entries)[self._offset : self._offset + height]
        self.set_lines([alert_line(alert, old=old) for alert, old in shown])
