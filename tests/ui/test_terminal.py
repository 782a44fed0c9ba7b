"""The monitor leaves when its terminal goes away (a dropped SSH session), instead of spinning."""

from __future__ import annotations

import os
import pty
import select
import sys
import time


def test_demo_exits_cleanly_when_the_terminal_is_closed():
    pid, fd = pty.fork()
    if pid == 0:  # the child: the monitor on the pty
        os.environ["TERM"] = "xterm-256color"
        os.environ.pop("NO_COLOR", None)
        os.execv(sys.executable, [sys.executable, "-m", "monitor", "--demo"])
    seen = b""
    deadline = time.monotonic() + 20
    while b"DEMO" not in seen and time.monotonic() < deadline:  # wait for the first screen
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    assert b"DEMO" in seen
    os.close(fd)  # hang up
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError("the monitor kept running after its terminal closed")
