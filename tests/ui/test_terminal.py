"""The monitor leaves when its terminal goes away (a dropped SSH session), instead of spinning;
SIGTERM and SIGHUP give the terminal back; under `textual serve` a client that leaves at any
moment leaves no process behind. Real processes on a pty or on pipes."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest


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


# --- signals: the terminal is given back -----------------------------------------------------

RESTORE = {
    "alternate screen off": b"\x1b[?1049l",
    "mouse reporting off": b"\x1b[?1000l",
    "cursor visible": b"\x1b[?25h",
}


def _demo_on_a_pty():
    pid, fd = pty.fork()
    if pid == 0:  # the child: the monitor on the pty
        os.environ["TERM"] = "xterm-256color"
        os.environ.pop("NO_COLOR", None)
        os.execv(sys.executable, [sys.executable, "-m", "monitor", "--demo"])
    return pid, fd


def _read(fd: int, seconds: float, until: bytes | None = None) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until in seen):
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            seen += data
    return seen


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_restore_the_terminal_and_exit_0(sig):
    pid, fd = _demo_on_a_pty()
    try:
        assert b"DEMO" in _read(fd, 20, until=b"DEMO")
        os.kill(pid, sig)
        after, code = b"", None
        deadline = time.monotonic() + 10
        while code is None and time.monotonic() < deadline:
            after += _read(fd, 0.1)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
        after += _read(fd, 0.3)
    finally:
        if code is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert code == 0
    missing = [what for what, sequence in RESTORE.items() if sequence not in after]
    assert not missing, f"not restored: {missing}"


# --- `textual serve`: the app on pipes ---------------------------------------------------------


def _demo_on_pipes():
    env = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", COLUMNS="80", ROWS="24")
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--demo"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )


def _ended(process: subprocess.Popen, seconds: float):
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def _wait_until_blocked(fd: int, seconds: float = 15.0) -> None:
    """Until the app's output waiting in the pipe ``fd`` stops growing: its writer is blocked."""
    import fcntl
    import termios

    def pending() -> int:
        buffer = bytearray(4)
        fcntl.ioctl(fd, termios.FIONREAD, buffer)
        return int.from_bytes(buffer, "little")

    deadline = time.monotonic() + seconds
    last = -1
    while time.monotonic() < deadline:
        now = pending()
        if now == last and now > 0:
            return
        last = now
        time.sleep(1.0)
    raise AssertionError("the app's output never filled the pipe")


@pytest.mark.parametrize("when", ["during start-up", "after start-up"])
@pytest.mark.parametrize("how", ["closes the output", "closes the input", "stops reading, then SIGTERM"])
def test_a_web_client_that_leaves_leaves_no_process_behind(how, when):
    process = _demo_on_pipes()
    if when == "after start-up":
        assert b"__GANGLION__" in _read(process.stdout.fileno(), 20, until=b"__GANGLION__")
    if how == "closes the output":
        process.stdout.close()
    elif how == "closes the input":
        process.stdin.close()
    else:  # the pipe fills up and the app's loop blocks on its next write
        if when == "after start-up":
            _wait_until_blocked(process.stdout.fileno())
        else:
            time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
    code = _ended(process, 15)
    assert code is not None, f"still running 15 s after the client {how} {when}"
    # a SIGTERM while Python still starts up ends it the default way (-15); else it leaves with 0
    assert code == 0 or (code == -signal.SIGTERM and when == "during start-up")


def test_client_watch_sees_a_pipe_nobody_reads():
    from monitor.tui.client_watch import ClientWatch

    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    watch = ClientWatch(lambda reason: None, stdin=stdin_r, stdout=out_w, stall=30)
    try:
        assert watch.check(0.0) == ""
        os.set_blocking(out_w, False)
        try:
            while True:
                os.write(out_w, b"x" * 4096)
        except BlockingIOError:
            pass
        assert watch.check(100.0) == ""  # waiting output: the clock starts
        assert watch.check(129.0) == ""
        assert watch.check(130.0) == "output not read for 30 s"
        os.read(out_r, 4096)
        assert watch.check(131.0) == ""  # something was read: the clock stops...
        assert watch.check(132.0) == ""  # ...and starts again at the next look
        assert watch.check(161.0) == ""
        assert watch.check(162.0) == "output not read for 30 s"
        os.close(out_r)
        assert watch.check(132.0) == "nobody reads the output any more"
        gone = ClientWatch(lambda reason: None, stdin=stdin_r, stdout=os.open(os.devnull, os.O_WRONLY))
        assert gone.check(0.0) == ""
        os.close(stdin_w)
        assert gone.check(1.0) == "the input was closed"
        os.close(gone.stdout)
    finally:
        for fd in (stdin_r, out_w, out_r):
            try:
                os.close(fd)
            except OSError:
                pass
