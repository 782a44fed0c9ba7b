"""Alert delivery: terminal bell, desktop notifications, a user command, apprise URLs.

A sink has a ``name`` and ``deliver(alert)``, which raises on failure. The ``Dispatcher`` runs
each sink on its own worker thread with a bounded queue, so a slow or broken sink never blocks
the caller (the UI or the feed loop) nor the other sinks; every failure is logged (secrets
redacted) and handed to ``on_error``.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shlex
import signal
import subprocess
import threading
import time
from typing import Callable, Iterable, Protocol

from monitor.config import NotifyConfig
from monitor.errors import UserError
from monitor.model import Alert
from monitor.redact import redact

log = logging.getLogger("monitor.sinks")

Write = Callable[[str], None]
OnError = Callable[[str, str], None]  # (sink name, one-line message), called on a worker thread

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


BELL_INTERVAL = 1.0  # seconds: a burst of alerts rings the bell once, not once per alert


class BellSink:
    """The terminal bell (BEL), at most once every ``interval`` seconds (``clock`` monotonic)."""

    name = "bell"
    once_per_moment = True  # one ring for a symbol's alerts of one batch (``Delivery.handle``)

    def __init__(self, write: Write, *, interval: float = BELL_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.write = write
        self.interval = interval
        self.clock = clock
        self._rang: float | None = None

    def deliver(self, alert: Alert) -> None:
        now = self.clock()
        if self._rang is not None and now - self._rang < self.interval:
            return
        self._rang = now
        self.write("\a")


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


class CommandSink:
    """Runs ``command`` for each alert with the alert as one JSON line on stdin.

    The command line is split with ``shlex`` when the sink is built and run without a shell;
    alert text only ever travels on stdin, never in the arguments. A command still running after
    ``timeout`` seconds is killed with its whole process group.
    """

    name = "command"

    def __init__(self, command: str, timeout: float = 10.0) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise UserError(f"notify.command: cannot split the command line: {exc}") from None
        if not self.argv:
            raise UserError("notify.command: empty command")
        self.argv[0] = os.path.expanduser(self.argv[0])  # "~/bin/x" works; no other shell features
        self.timeout = timeout

    def deliver(self, alert: Alert) -> None:
        program = self.argv[0]
        try:
            process = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: a timeout kills it all
            )
        except OSError as exc:
            raise SinkError(f"cannot run {program}: {exc.strerror or exc}") from None
        try:
            _, err = process.communicate((alert.to_json() + "\n").encode(), timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise SinkError(f"{program} did not finish within {self.timeout:g} s and was killed") from None
        if process.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            detail = f": {sanitize(lines[-1], 160)}" if lines else ""
            raise SinkError(f"{program} exited with status {process.returncode}{detail}")


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    try:
        process.communicate(timeout=2)
    except (subprocess.TimeoutExpired, OSError):
        pass


class AppriseSink:
    """Notifications through apprise URLs (``pip install 'market-monitor[notify]'``).

    Each URL is sent on its own, retried ``retries`` times with exponential backoff; only the
    URLs that failed are retried, so nobody gets a message twice."""

    name = "apprise"

    def __init__(
        self,
        urls: Iterable[str],
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            import apprise
        except ImportError:
            raise UserError("notify.urls needs apprise: pip install 'market-monitor[notify]'") from None
        from monitor.redact import install_log_redaction

        install_log_redaction("apprise")
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.targets: list[tuple[str, object]] = []
        for url in urls:
            target = apprise.Apprise()
            if not target.add(url):
                raise UserError(redact(f"notify.urls: apprise does not understand {url}"))
            self.targets.append((redact(url), target))

    def deliver(self, alert: Alert) -> None:
        title, body = "market-monitor: " + alert_title(alert), alert_body(alert)
        pending = list(self.targets)
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            pending = [(shown, target) for shown, target in pending if not _notify(target, title, body)]
            if not pending:
                return
        names = ", ".join(shown for shown, _ in pending)
        raise SinkError(f"could not deliver to {names} after {self.retries + 1} attempts")


def _notify(target, title: str, body: str) -> bool:
    try:
        return bool(target.notify(title=title, body=body))
    except Exception as exc:  # a plugin bug must not kill the worker
        log.warning(redact(f"apprise raised {type(exc).__name__}: {exc}"))
        return False


# --------------------------------------------------------------------------------------------


OVERFLOW_REPORT_EVERY = 60.0  # seconds between two reports of alerts dropped by a full queue


class _Worker:
    _STOP = object()

    def __init__(self, sink: Sink, report: Callable[[Sink, str], None], size: int) -> None:
        self.sink = sink
        self.report = report
        self.queue: queue.Queue = queue.Queue(maxsize=size)
        self.dropped = 0  # alerts dropped by a full queue since the last report
        self.dropped_reported: float | None = None  # when the last report was made
        self.stopping = False  # set by close(): end once the queue is empty, even without _STOP
        self.thread = threading.Thread(target=self._run, name=f"sink-{sink.name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            if self.stopping and self.queue.empty():
                return
            alert = self.queue.get()
            if alert is self._STOP:
                return
            try:
                self.sink.deliver(alert)
            except Exception as exc:
                self.report(self.sink, str(exc) if isinstance(exc, SinkError) else f"{type(exc).__name__}: {exc}")


class Dispatcher:
    """Delivers each submitted alert to every sink, off the caller's thread.

    One worker thread and one bounded queue per sink: a sink that hangs or fails never delays
    or stops the others, and ``submit`` never blocks (a full queue drops that alert for that
    sink). Drops are reported with a count: the first at once, then at most once every
    ``OVERFLOW_REPORT_EVERY`` seconds of ``clock`` (and what is left at ``close``), so a storm of
    alerts makes a few lines, not one per alert. ``on_error(sink_name, message)`` runs on a worker
    thread (or the submitting one, for drops); messages are one line with secrets redacted.
    """

    def __init__(
        self,
        sinks: Iterable[Sink],
        on_error: OnError | None = None,
        *,
        queue_size: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_error = on_error
        self.clock = clock
        self.errors = 0  # failures reported so far
        self._lock = threading.Lock()
        self._workers = [_Worker(sink, self._report, queue_size) for sink in sinks]
        self._closed = False

    @property
    def sinks(self) -> list[Sink]:
        return [worker.sink for worker in self._workers]

    def submit(self, alert: Alert, repeat: bool = False) -> None:
        """``repeat``: not the first alert of its moment; sinks that notify once per moment skip it."""
        if self._closed:
            return
        for worker in self._workers:
            if repeat and getattr(worker.sink, "once_per_moment", False):
                continue
            try:
                worker.queue.put_nowait(alert)
            except queue.Full:
                worker.dropped += 1
            if worker.dropped:
                self._report_drops(worker)

    deliver = submit  # the name the engine's replay --notify uses

    def _report_drops(self, worker: _Worker, final: bool = False) -> None:
        now = self.clock()
        last = worker.dropped_reported
        if not final and last is not None and now - last < OVERFLOW_REPORT_EVERY:
            return
        count = f"{worker.dropped:,}"
        if last is None:
            text = f"{count} dropped; further drops are counted and reported once every {OVERFLOW_REPORT_EVERY:g} s"
        elif final:
            text = f"{count} more dropped"
        else:
            text = f"{count} dropped in the last {now - last:.0f} s"
        self._report(worker.sink, f"too many alerts waiting: {text}")
        worker.dropped, worker.dropped_reported = 0, now

    def _report(self, sink: Sink, message: str) -> None:
        message = redact(" ".join(message.split()))
        with self._lock:
            self.errors += 1
        log.warning("%s sink: %s", sink.name, message)
        if self.on_error is not None:
            try:
                self.on_error(sink.name, message)
            except Exception:
                log.exception("on_error callback failed")

    def close(self, timeout: float = 5.0) -> bool:
        """Deliver what is queued (within ``timeout`` seconds in all) and stop the workers.
        Returns False if some sink was still busy when the time ran out."""
        self._closed = True
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            if worker.dropped:
                self._report_drops(worker, final=True)
        for worker in self._workers:
            worker.stopping = True  # a full queue has no room for _STOP: the worker ends when it is drained
            try:
                worker.queue.put(_Worker._STOP, timeout=max(0.0, deadline - time.monotonic()))
            except queue.Full:
                pass
        for worker in self._workers:
            worker.thread.join(max(0.0, deadline - time.monotonic()))
        return not any(worker.thread.is_alive() for worker in self._workers)


def build_sinks(notify: NotifyConfig, terminal_write: Write | None = None) -> list[Sink]:
    """The sinks ``[notify]`` asks for. Bell and desktop need ``terminal_write`` (a function that
    writes straight to the user's terminal; None when there is none, e.g. under systemd).
    Raises UserError for an unusable command line or apprise URL."""
    sinks: list[Sink] = []
    if terminal_write is not None and notify.bell:
        sinks.append(BellSink(terminal_write))
    if terminal_write is not None and notify.desktop:
        sinks.append(DesktopSink(terminal_write, notify.desktop_format))
    if notify.command.strip():
        sinks.append(CommandSink(notify.command, notify.command_timeout))
    if notify.urls:
        sinks.append(AppriseSink(notify.urls))
    return sinks


def terminal_writer() -> Write | None:
    """A thread-safe writer to the controlling terminal (``/dev/tty``), or None without one.
    For headless runs: stdout carries JSON, so bell and escapes go to the terminal directly."""
    try:
        tty = open("/dev/tty", "w", encoding="utf-8", errors="replace")
    except OSError:
        return None
    lock = threading.Lock()

    def write(text: str) -> None:
        with lock:
            tty.write(text)
            tty.flush()

    return write


REMEMBERED_ALERTS = 10_000  # newest history entries the policy gate is told about at start


class Delivery:
    """What the live runner, the app and ``replay --notify`` do with fired alerts, in one place:
    the policy gate decides, the history records (live runs only: pass ``history=None`` for
    replays), the dispatcher delivers to the ``[notify]`` sinks off the caller's thread."""

    def __init__(
        self,
        config,
        *,
        terminal_write: Write | None = None,
        history=None,
        on_error: OnError | None = None,
        clock: Callable[[], float] = time.time,
        sinks: Iterable[Sink] | None = None,
    ) -> None:
        from monitor.policy import AlertGate

        self.gate = AlertGate(config, clock)
        self.history = history
        if history is not None:  # what earlier runs delivered still counts for once / cooldown
            self.gate.remember(history.recent(REMEMBERED_ALERTS))
        self.on_error = on_error
        self.terminal_write = terminal_write
        self._history_error: str | None = None  # reported once, until the history works again
        self._notify = config.notify
        self.dispatcher = Dispatcher(build_sinks(config.notify, terminal_write) if sinks is None else sinks, on_error)

    def handle(self, alerts: Iterable[Alert]) -> list[Alert]:
        """Deliver the alerts the policy lets through; returns those. The alerts are one moment
        (one batch): each is recorded and sent on its own, but a symbol's alerts ring the bell once."""
        delivered = [alert for alert in alerts if self.gate.allow(alert)]
        symbols: set[str] = set()
        for alert in delivered:
            if self.history is not None:
                self._record(alert)
            self.dispatcher.submit(alert, repeat=alert.symbol in symbols)
            symbols.add(alert.symbol)
        return delivered

    def _record(self, alert: Alert) -> None:
        """Append to the history; a failure is reported once (not per alert) until it works again."""
        if self.history.append(alert):
            self._history_error = None
            return
        error = self.history.last_error or "cannot record the alert"
        if error != self._history_error:
            self._history_error = error
            if self.on_error is not None:
                self.on_error("history", redact(error))

    def reconfigure(self, config) -> None:
        """New policies; new sinks if ``[notify]`` changed (the old ones finish in the background)."""
        self.gate.reconfigure(config)
        if config.notify != self._notify:
            sinks = build_sinks(config.notify, self.terminal_write)  # may raise UserError: keep the old ones
            old, self.dispatcher = self.dispatcher, Dispatcher(sinks, self.on_error)
            self._notify = config.notify
            old.close(timeout=0)

    def close(self, timeout: float = 5.0) -> bool:
        return self.dispatcher.close(timeout)
