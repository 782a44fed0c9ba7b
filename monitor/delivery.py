"""Alert delivery: the policy gate, the alert history and the ``[notify]`` sinks, in one place.

The ``Dispatcher`` runs each sink (``monitor.sinks``) on its own worker thread with a bounded
queue, so a slow or broken sink never blocks the caller (the UI or the feed loop) nor the other
sinks; every failure is logged (secrets redacted) and handed to ``on_error``. ``Delivery`` puts
the gate, the history and the dispatcher together for the live runner, the app and
``replay --notify``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable, Iterable

from monitor.model import Alert
from monitor.redact import redact
from monitor.sinks import Sink, SinkError, Write, build_sinks

log = logging.getLogger("monitor.sinks")

OnError = Callable[[str, str], None]  # (sink name, one-line message), called on a worker thread


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

    def waiting(self) -> list[int]:
        """Per sink, in order: alerts queued and not yet taken by its worker."""
        return [worker.queue.qsize() for worker in self._workers]

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the workers to end (after ``close``); True if all did."""
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.thread.join(max(0.0, deadline - time.monotonic()))
        return not any(worker.thread.is_alive() for worker in self._workers)

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
