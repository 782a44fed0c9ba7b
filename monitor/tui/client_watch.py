"""Under ``textual serve`` the app talks to the web server over pipes, not a terminal: notice
when the server stopped listening, so a browser tab that left never leaves a process behind.

The app's own loop cannot be trusted to notice: when nobody reads its stdout, its next write
blocks the loop (and with it every timer and asyncio signal handler). A daemon thread polls the
pipes instead and says the client is gone when

- stdout has no reader any more (``POLLERR`` on the pipe's write end),
- stdin has no writer any more (``POLLHUP``: the server closed it or died), or
- output waited in stdout and not one byte of it was read for ``stall`` seconds.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable

STALL_SECONDS = 30.0
CHECK_SECONDS = 0.5


def _pending_bytes(fd: int) -> int | None:
    """Bytes written to the pipe ``fd`` and not read yet (None where the system cannot say)."""
    try:
        import fcntl
        import termios

        buffer = bytearray(4)
        fcntl.ioctl(fd, termios.FIONREAD, buffer)
        return int.from_bytes(buffer, "little")
    except (ImportError, OSError, AttributeError):
        return None


def is_pipe(fd: int) -> bool:
    import stat

    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


class ClientWatch:
    """Calls ``on_gone(reason)`` once, from its own thread, when the client left."""

    def __init__(
        self,
        on_gone: Callable[[str], None],
        *,
        stdin: int = 0,
        stdout: int = 1,
        stall: float = STALL_SECONDS,
        every: float = CHECK_SECONDS,
    ) -> None:
        self.on_gone = on_gone
        self.stdin, self.stdout = stdin, stdout
        self.stall = stall
        self.every = every
        self._unread_since: float | None = None  # output waiting and not one byte read since
        self._last_pending: int | None = None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="client-watch", daemon=True)

    def start(self) -> "ClientWatch":
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            reason = self.check(time.monotonic())
            if reason:
                self.on_gone(reason)
                return

    def check(self, now: float) -> str:
        """Why the client is gone, or "" while it is there."""
        poller = select.poll()
        poller.register(self.stdin, select.POLLIN)
        poller.register(self.stdout, 0)  # errors and hang-ups are always reported
        for fd, events in poller.poll(0):
            if fd == self.stdout and events & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                return "nobody reads the output any more"
            if fd == self.stdin and events & (select.POLLHUP | select.POLLNVAL) and not events & select.POLLIN:
                return "the input was closed"
        pending = _pending_bytes(self.stdout)
        last, self._last_pending = self._last_pending, pending
        if not pending or (last is not None and pending < last):  # empty, or something was read
            self._unread_since = None
        elif self._unread_since is None:
            self._unread_since = now
        elif now - self._unread_since >= self.stall:
            return f"output not read for {self.stall:g} s"
        return ""
