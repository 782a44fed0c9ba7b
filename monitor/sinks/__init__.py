"""The alert sinks and their registry.

A sink has a ``name`` and ``deliver(alert)``, which raises on failure (``monitor.delivery`` runs
each one on its own worker thread). Each kind of sink lives in its own module with its ``KIND``:
the ``[notify]`` keys it owns and how it is built from them. ``SINKS`` below is the one list the
config schema (``[notify]``'s keys, defaults and checks), the commented default config file,
``build_sinks`` and the README's tests read: adding a sink is its module, one line here, and its
tests (plus its paragraph in the README's "Notifications", which a test asks for).
"""

from __future__ import annotations

from typing import Any

from monitor.settings import Setting
from monitor.sinks import apprise_urls, bell, command, desktop
from monitor.sinks.apprise_urls import AppriseSink
from monitor.sinks.base import Sink, SinkError, SinkKind, Write, sanitize
from monitor.sinks.bell import BellSink
from monitor.sinks.command import CommandSink
from monitor.sinks.desktop import DESKTOP_FORMATS, DesktopSink

SINKS: tuple[SinkKind, ...] = (bell.KIND, desktop.KIND, command.KIND, apprise_urls.KIND)

__all__ = [
    "AppriseSink", "BellSink", "CommandSink", "DESKTOP_FORMATS", "DesktopSink", "SINKS", "Sink", "SinkError",
    "SinkKind", "Write", "build_sinks", "notify_settings", "sanitize",
]


def notify_settings() -> tuple[Setting, ...]:
    """Every ``[notify]`` key, in the registry's order."""
    return tuple(setting for kind in SINKS for setting in kind.settings)


def build_sinks(notify: Any, terminal_write: Write | None = None) -> list[Sink]:
    """The sinks ``[notify]`` (a ``config.NotifyConfig``) asks for, in the registry's order. Bell
    and desktop need ``terminal_write`` (a function that writes straight to the user's terminal;
    None when there is none, e.g. under systemd). Raises UserError for an unusable command line
    or apprise URL."""
    return [
        kind.build(notify, terminal_write)
        for kind in SINKS
        if kind.wanted(notify) and (terminal_write is not None or not kind.needs_terminal)
    ]
