"""``market-monitor notify --test``: one sample alert, marked as a test, delivered to every
configured ``[notify]`` sink in turn, one result line per sink; exit 1 if any failed.

The sinks are the ones the monitor itself builds (``build_sinks``), each called directly rather
than through ``monitor.delivery``'s ``Dispatcher``, so every failure comes back here with the sink's own message.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

from monitor.config import Config, NotifyConfig, load_effective_config
from monitor.model import Alert
from monitor.redact import redact
from monitor.sinks import SINKS, Sink, SinkError, build_sinks, sanitize

TEST_MESSAGE = "TEST notification from market-monitor (notify --test): not a market alert"
TERMINAL_SINKS = tuple(kind.name for kind in SINKS if kind.needs_terminal)  # no terminal, no delivery


def sample_alert(now: float) -> Alert:
    """An alert of the usual shape that nobody can mistake for a market event: symbol TEST, rule
    ``test``, source ``test``, ``"test": true`` in its JSON, and a message that says so."""
    return Alert(time=now, symbol="TEST", rule="test", direction="up", price=0.0,
                 message=TEST_MESSAGE, extra={"test": True}, source="test")


def skipped_terminal_sinks(notify: NotifyConfig) -> list[str]:
    """The terminal sinks ``[notify]`` asks for (those ``build_sinks`` leaves out without one)."""
    return [kind.name for kind in SINKS if kind.needs_terminal and kind.wanted(notify)]


def send_test(sinks: list[Sink], alert: Alert, print_line: Callable[[str], None]) -> int:
    """Deliver ``alert`` to each sink in turn; one line per sink. Returns how many failed."""
    failed = 0
    for sink in sinks:
        try:
            sink.deliver(alert)
        except Exception as exc:  # any sink's failure is reported, the others still get the alert
            failed += 1
            detail = str(exc) if isinstance(exc, SinkError) else f"{type(exc).__name__}: {exc}"
            print_line(f"{sink.name}: FAILED: {sanitize(redact(detail), 400)}")
            continue
        note = " (written to the terminal; whether it shows is up to the terminal)" if sink.name in TERMINAL_SINKS else ""
        print_line(f"{sink.name}: ok{note}")
    return failed


def run_notify_test(config: Config, terminal_write, print_line: Callable[[str], None] = print,
                    clock: Callable[[], float] = time.time) -> int:
    """The command's work, given the config and the terminal (None without one). Exit code."""
    sinks = build_sinks(config.notify, terminal_write)
    skipped = skipped_terminal_sinks(config.notify) if terminal_write is None else []
    if not sinks and not skipped:
        where = config.path or "the defaults"
        print_line(f"no notification sinks are configured ([notify] in {where}): nothing to test")
        return 1
    for name in skipped:
        print_line(f"{name}: skipped: no terminal here (/dev/tty); run notify --test in the terminal the monitor uses")
    return 1 if send_test(sinks, sample_alert(clock()), print_line) else 0


def run_notify_command(args: argparse.Namespace) -> int:
    from monitor.delivery import terminal_writer

    return run_notify_test(load_effective_config(args.config), terminal_writer())
