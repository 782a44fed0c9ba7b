"""Heavy work in a child process, so the monitor itself never imports yfinance or pandas.

Imported once, yfinance and pandas (also behind exchange-calendars) stay resident, about 70 MB,
for the whole live run. Here they live in a child (``python -m monitor.isolate``) that hands
back plain data (lists of tuples, dicts, strings):

- ``run_isolated(fn, *args)``: one call in a short-lived child (the backfill, once at start);
  with ``timeout``, a child that has not answered by then is killed (``ChildTimeout``);
- ``ChildCalls(fn)``: a long-lived child serving repeated calls (the poll's download), started at
  the first call and ended by ``close()``, or by the monitor's exit (its pipe closes).

``fn`` and its arguments are pickled (``fn`` a module-level function or a ``functools.partial``
of one). An exception raised in the child comes back as an exception of the same class name
and text, so the reasons built from it (rate limited, network unreachable, ...) read as they
did in-process. Messages on the pipes: a 4-byte length, then a pickle.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any


class ChildFailed(Exception):
    """The child process died or could not be started."""


class ChildTimeout(ChildFailed):
    """The child gave no answer within its timeout: it was killed."""


def run_isolated(
    fn: Callable[..., Any], *args: Any, setup: Callable[[], None] | None = None, timeout: float | None = None
) -> Any:
    """``fn(*args)`` in a fresh child process, killed after ``timeout`` seconds without an
    answer (``ChildTimeout``). Blocking: call it from a worker thread."""
    calls = ChildCalls(fn, setup=setup, timeout=timeout)
    try:
        return calls(*args)
    finally:
        calls.close()


class ChildCalls:
    """Calls of ``fn`` served by one long-lived child process, one call at a time; ``setup()``
    runs once in the child first. A call not answered within ``timeout`` seconds kills the
    child and raises ``ChildTimeout`` (the next call starts a new one)."""

    def __init__(
        self, fn: Callable[..., Any], *, setup: Callable[[], None] | None = None, timeout: float | None = None
    ) -> None:
        self.fn = fn
        self.setup = setup
        self.timeout = timeout
        self.starts = 0  # child processes started so far
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            process = self._process
            expired = threading.Event()
            watchdog = None
            if self.timeout is not None:  # a blocked read ends when the child is killed
                watchdog = threading.Timer(self.timeout, _kill, (process, expired))
                watchdog.daemon = True
                watchdog.start()
            try:
                _send(process.stdin, args)
                outcome = _receive(process.stdout)
            except (OSError, EOFError, pickle.UnpicklingError, ValueError):
                outcome = None
            finally:
                if watchdog is not None:
                    watchdog.cancel()
            if outcome is None:
                self._stop()
                if expired.is_set():
                    raise ChildTimeout(f"the yfinance process gave no answer in {self.timeout:g} s and was stopped")
                raise ChildFailed(f"the yfinance process ended without an answer (exit code {process.poll()})")
        return _unpack(outcome)

    def _start(self) -> None:
        self._stop()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # yfinance's chatter must not reach the screen
            )
        except OSError as exc:
            raise ChildFailed(f"cannot start the yfinance process: {exc.strerror or exc}") from None
        self._process = process
        self.starts += 1
        try:
            _send(process.stdin, list(sys.path))  # first: the child imports what we can...
            _send(process.stdin, (self.fn, self.setup))  # ...then the functions, which may need it
        except OSError:
            pass  # it died at once: the first call says so
        except (pickle.PicklingError, AttributeError, TypeError) as exc:  # a lambda, a local function
            self._stop()
            raise ChildFailed(f"cannot hand {self.fn!r} to a child process: {exc}") from None

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()  # the child's next read sees the end and it exits
            except OSError:
                pass
        try:
            process.wait(1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """End the child, even in the middle of a call (that call then fails)."""
        process = self._process
        if process is not None and process.poll() is None and self._lock.locked():
            process.kill()  # busy with a download nobody will wait for
        if self._lock.acquire(timeout=5):
            try:
                self._stop()
            finally:
                self._lock.release()


def _kill(process: subprocess.Popen, expired: threading.Event) -> None:
    expired.set()
    process.kill()


def _send(pipe: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(len(data).to_bytes(4, "big") + data)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> Any:
    """The next message, or None at the end of the pipe."""
    head = pipe.read(4)
    if len(head) < 4:
        return None
    size = int.from_bytes(head, "big")
    data = pipe.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def _outcome(fn: Callable[..., Any], args: tuple) -> tuple:
    try:
        return ("ok", fn(*args))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc), list(getattr(exc, "yf_messages", [])))


def _unpack(outcome: tuple) -> Any:
    if outcome[0] == "ok":
        return outcome[1]
    _, name, text, messages = outcome
    error = type(name, (Exception,), {"__module__": __name__})(text)  # same name, same text
    error.yf_messages = messages
    raise error


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The child: take the parent's import path and functions, then answer calls until the
    parent closes the pipe (or dies)."""
    path = _receive(stdin)
    if path is None:
        return
    sys.path[:] = path
    fn, setup = _receive(stdin)
    if setup is not None:
        setup()
    while True:
        args = _receive(stdin)
        if args is None:
            return
        try:
            _send(stdout, _outcome(fn, args))
        except OSError:
            return


if __name__ == "__main__":
    import os

    out = os.fdopen(os.dup(1), "wb")  # the answers' own descriptor: fd 1 becomes stderr's, so
    os.dup2(2, 1)  # a stray write to it (a print, a C library's chatter) cannot break the protocol
    sys.stdout = sys.stderr
    try:
        serve(sys.stdin.buffer, out)
    except KeyboardInterrupt:
        pass
