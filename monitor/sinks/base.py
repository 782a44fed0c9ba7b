"""What every sink shares: the Sink interface, its error, and alert text made safe to send."""

from __future__ import annotations

import re
from typing import Any, Callable, Protocol

from monitor.model import Alert
from monitor.settings import Frozen, Setting

Write = Callable[[str], None]  # writes straight to the user's terminal

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
MAX_TEXT = 240


class SinkError(Exception):
    """A sink could not deliver an alert (one line, secrets already redacted)."""


class Sink(Protocol):
    name: str

    def deliver(self, alert: Alert) -> None: ...


def sanitize(text: str, limit: int = MAX_TEXT) -> str:
    """Alert text made safe inside a terminal escape sequence: control characters (ESC, BEL,
    C1 controls, newlines) become spaces, and the length is bounded."""
    text = _CONTROL.sub(" ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alert_title(alert: Alert) -> str:
    return f"{alert.symbol} {alert.rule.replace('_', ' ')} {alert.direction}"


def alert_body(alert: Alert) -> str:
    return alert.message + (" (stale quote)" if alert.stale else "")


class SinkKind(Frozen):
    """One kind of sink as ``[notify]`` configures it: the keys it owns there (stated once: the
    config's schema, its defaults and the commented default file read them from here), whether
    those values turn it on, and how it is built from them. ``notify`` is the parsed ``[notify]``
    table (``config.NotifyConfig``); ``write`` writes to the user's terminal (None when there is
    none: a kind with ``needs_terminal`` is then left out)."""

    name: str
    settings: tuple[Setting, ...]
    wanted: Callable[[Any], bool]
    build: Callable[[Any, Write | None], Sink]
    needs_terminal: bool = False
