"""A user command run per alert, the alert as one JSON line on stdin."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from monitor.errors import UserError
from monitor.model import Alert
from monitor.settings import Setting, command_line, positive_number
from monitor.sinks.base import SinkError, SinkKind, sanitize

if TYPE_CHECKING:
    import subprocess


class CommandSink:
    """Runs ``command`` for each alert with the alert as one JSON line on stdin.

    The command line is split with ``shlex`` when the sink is built and run without a shell;
    alert text only ever travels on stdin, never in the arguments. A command still running after
    ``timeout`` seconds is killed with its whole process group.
    """

    name = "command"

    def __init__(self, command: str, timeout: float = 10.0) -> None:
        try:
            import shlex  # here: imported only when a command sink is built

            self.argv = shlex.split(command)
        except ValueError as exc:
            raise UserError(f"notify.command: cannot split the command line: {exc}") from None
        if not self.argv:
            raise UserError("notify.command: empty command")
        self.argv[0] = os.path.expanduser(self.argv[0])  # "~/bin/x" works; no other shell features
        self.timeout = timeout

    def deliver(self, alert: Alert) -> None:
        import subprocess  # here, not at the top: the config reads this module's KIND on every run

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
    import signal
    import subprocess

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    try:
        process.communicate(timeout=2)
    except (subprocess.TimeoutExpired, OSError):
        pass


KIND = SinkKind(
    "command",
    (
        Setting("command", "", command_line, "a command line", "run for each alert, the alert as one JSON line on stdin"),
        Setting("command_timeout", 10.0, positive_number, "seconds", "seconds before the command is killed"),
    ),
    wanted=lambda notify: bool(notify.command.strip()),
    build=lambda notify, write: CommandSink(notify.command, notify.command_timeout),
)
