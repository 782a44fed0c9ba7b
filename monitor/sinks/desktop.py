"""Desktop notifications as terminal escape sequences (OSC 9, OSC 777)."""

from __future__ import annotations

import os

from monitor.model import Alert
from monitor.settings import Setting, boolean, choice
from monitor.sinks.base import SinkKind, Write, alert_body, alert_title, sanitize

DESKTOP_FORMATS = ("osc9", "osc777", "both")


class DesktopSink:
    """Desktop notifications as terminal escape sequences, so they reach the user's own
    terminal even over SSH: OSC 9 (iTerm2, kitty, WezTerm, Ghostty, ...) and/or OSC 777 (foot,
    urxvt, Ghostty, ...). Inside tmux (``$TMUX`` set) they are wrapped for passthrough, which
    needs ``set -g allow-passthrough on`` in tmux 3.3+."""

    name = "desktop"

    def __init__(self, write: Write, format: str = "osc9", tmux: bool | None = None) -> None:
        self.write = write
        self.format = format
        self.tmux = bool(os.environ.get("TMUX")) if tmux is None else tmux

    def sequences(self, alert: Alert) -> str:
        title = sanitize("market-monitor: " + alert_title(alert), 80).replace(";", ",")
        body = sanitize(alert_body(alert))
        out = []
        if self.format in ("osc777", "both"):
            out.append(f"\x1b]777;notify;{title};{body}\x07")
        if self.format in ("osc9", "both"):
            # "9;<digit>;" is a ConEmu sub-command (progress, ...): never start with a digit.
            text = body if not body[:1].isdigit() else f"{alert.symbol}: {body}"
            out.append(f"\x1b]9;{text}\x07")
        if self.tmux:
            out = [f"\x1bPtmux;{seq.replace(chr(27), chr(27) * 2)}\x1b\\" for seq in out]
        return "".join(out)

    def deliver(self, alert: Alert) -> None:
        self.write(self.sequences(alert))


KIND = SinkKind(
    "desktop",
    (
        Setting("desktop", False, boolean, "true or false", "desktop notification escape sequences (work over SSH and tmux)"),
        Setting("desktop_format", "osc9", choice(DESKTOP_FORMATS), "a format",
                '"osc9" (iTerm2, kitty, WezTerm, Ghostty), "osc777" (foot, urxvt) or "both"'),
    ),
    wanted=lambda notify: notify.desktop,
    build=lambda notify, write: DesktopSink(write, notify.desktop_format),
    needs_terminal=True,
)
