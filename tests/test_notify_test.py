"""``market-monitor notify --test`` as a real process: a real command sink that succeeds or
fails, and the bell and desktop escapes read from a pseudo-terminal that is the process's
controlling terminal."""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
import termios
from pathlib import Path

PY = sys.executable


def config(tmp_path: Path, notify: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text("[notify]\n" + notify)
    return path


def notify_test(config_path: Path, *, tty: int | None = None) -> subprocess.CompletedProcess:
    """``market-monitor notify --test`` in a new session: without ``tty`` it has no terminal;
    with it, that pseudo-terminal is its controlling terminal (its /dev/tty)."""

    def take_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    return subprocess.run(
        [PY, "-m", "monitor", "notify", "--test", "--config", str(config_path)],
        stdin=tty if tty is not None else subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        start_new_session=True, preexec_fn=take_terminal if tty is not None else None,
    )


def command_line(code: str) -> str:
    """A TOML string holding ``python -c CODE`` as the notify command."""
    return json.dumps(f"{PY} -c {json.dumps(code)}")


def test_a_command_sink_gets_the_sample_alert_marked_as_a_test(tmp_path):
    received = tmp_path / "alert.json"
    code = f"import sys; open({str(received)!r}, 'w').write(sys.stdin.read())"
    done = notify_test(config(tmp_path, f"bell = false\ncommand = {command_line(code)}\n"))
    assert (done.returncode, done.stdout, done.stderr) == (0, "command: ok\n", "")
    alert = json.loads(received.read_text())
    assert alert["test"] is True and alert["symbol"] == "TEST" and alert["source"] == "test"
    assert alert["message"].startswith("TEST notification from market-monitor") and "not a market alert" in alert["message"]


def test_a_failing_command_prints_its_own_error_and_exits_1(tmp_path):
    code = "import sys; sys.stdin.read(); print('pager: no route to host', file=sys.stderr); sys.exit(3)"
    done = notify_test(config(tmp_path, f"bell = false\ncommand = {command_line(code)}\n"))
    assert done.returncode == 1
    assert done.stdout == f"command: FAILED: {PY} exited with status 3: pager: no route to host\n"


def test_bell_and_desktop_reach_the_terminal_even_when_another_sink_fails(tmp_path):
    master, slave = os.openpty()
    try:
        mode = termios.tcgetattr(slave)
        mode[1] &= ~termios.OPOST  # the bytes as written: no \n -> \r\n
        termios.tcsetattr(slave, termios.TCSANOW, mode)
        missing = tmp_path / "no-such-program"
        done = notify_test(config(tmp_path, f'bell = true\ndesktop = true\ndesktop_format = "both"\ncommand = "{missing}"\n'), tty=slave)
        written = b""
        while select.select([master], [], [], 0.5)[0]:
            written += os.read(master, 65536)
    finally:
        os.close(master)
        os.close(slave)
    assert done.returncode == 1
    note = " (written to the terminal; whether it shows is up to the terminal)"
    assert done.stdout.splitlines() == [
        f"bell: ok{note}",
        f"desktop: ok{note}",
        f"command: FAILED: cannot run {missing}: No such file or directory",
    ]
    title, body = "market-monitor: TEST test up", "TEST notification from market-monitor (notify --test): not a market alert"
    assert written == b"\a" + f"\x1b]777;notify;{title};{body}\x07\x1b]9;{body}\x07".encode()


def test_without_a_terminal_the_terminal_sinks_are_skipped_not_failed(tmp_path):
    done = notify_test(config(tmp_path, f"bell = true\ncommand = {command_line('import sys; sys.stdin.read()')}\n"))
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "bell: skipped: no terminal here (/dev/tty); run notify --test in the terminal the monitor uses",
        "command: ok",
    ]


def test_no_sink_configured_says_so_and_exits_1(tmp_path):
    path = config(tmp_path, "bell = false\n")
    done = notify_test(path)
    assert (done.returncode, done.stdout) == (1, f"no notification sinks are configured ([notify] in {path}): nothing to test\n")


def test_an_apprise_url_gets_the_test_alert(tmp_path):
    """apprise's json:// posts to a real HTTP server on 127.0.0.1."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    posted: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        done = notify_test(config(tmp_path, f'bell = false\nurls = ["json://127.0.0.1:{server.server_port}/hook"]\n'))
    finally:
        server.shutdown()
        server.server_close()
    assert (done.returncode, done.stdout) == (0, "apprise: ok\n"), done.stderr
    assert len(posted) == 1
    assert posted[0]["title"] == "market-monitor: TEST test up" and "not a market alert" in posted[0]["message"]
