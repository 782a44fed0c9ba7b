"""The alert history: every delivered alert as one JSON line, kept across restarts.

``alerts.jsonl`` in the state folder. When it passes ``max_bytes`` it becomes ``alerts.jsonl.1``
(the older files move up one number). The oldest file is deleted only when every alert in it is
older than ``keep_days`` AND the newer files still hold ``keep_alerts`` alerts: an alert storm
never pushes recent alerts out. Appends are single ``O_APPEND`` writes, so the app and a headless
run can share the file; a write the disk refuses half-way (full disk) is rolled back, so no torn
line is left behind. A line that cannot be read (a crash mid-write, a hand edit) is skipped with
one warning naming the file and line. Replays never write here: only live runs do.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import re
import sys
import threading
import time
from datetime import date, datetime, time as dtime
from pathlib import Path
from typing import Callable, Iterator

from monitor.errors import UserError
from monitor.model import NEW_YORK, Alert

log = logging.getLogger("monitor.history")

FILE_NAME = "alerts.jsonl"
MAX_BYTES = 5 * 1024 * 1024
KEEP_DAYS = 30
KEEP_ALERTS = 10_000


def default_history_path() -> Path:
    from monitor.paths import state_dir

    return state_dir() / FILE_NAME


class AlertHistory:
    """Append-only alert log with size rotation and age/count retention. Thread-safe within one
    process. ``clock`` (epoch seconds) decides what is old; ``write`` is ``os.write``'s seam."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        max_bytes: int = MAX_BYTES,
        keep_days: float = KEEP_DAYS,
        keep_alerts: int = KEEP_ALERTS,
        clock: Callable[[], float] = time.time,
        write: Callable[[int, bytes], int] = os.write,
    ) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self.max_bytes = max_bytes
        self.keep_days = keep_days
        self.keep_alerts = keep_alerts
        self.clock = clock
        self._write = write
        self.problems: list[str] = []  # each corrupt line or unreadable file met (shown by the app)
        self.last_error: str | None = None  # why the last append failed, None after a success
        self._warned: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    # --- writing -----------------------------------------------------------------------------

    def append(self, alert: Alert) -> bool:
        """Add one alert. Never raises: if the disk refuses (full, read-only), the error is
        logged once, kept in ``last_error`` and False returned, and the monitor goes on."""
        try:
            self._append(alert)
        except OSError as exc:
            message = f"{self.path}: cannot record the alert: {exc.strerror or exc}"
            if message != self.last_error:
                log.warning(message)
            self.last_error = message
            return False
        self.last_error = None
        return True

    def _append(self, alert: Alert) -> None:
        line = (alert.to_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self._size()
            if size and size + len(line) > self.max_bytes:
                self._rotate()
                size = 0
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size and not self._ends_with_newline(fd, size):
                    line = b"\n" + line  # a torn last line stays one bad line, not two
                self._write_all(fd, line, size)
            finally:
                os.close(fd)

    def _write_all(self, fd: int, data: bytes, size: int) -> None:
        """Write ``data`` whole or not at all: a write refused part-way (ENOSPC) is cut back to
        ``size``, the file's length before it, so no torn line is left behind."""
        try:
            written = self._write(fd, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)")
        except OSError:
            try:
                os.ftruncate(fd, size)
            except OSError:  # cannot even cut it back: the reader skips the torn line
                pass
            raise

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    @staticmethod
    def _ends_with_newline(fd: int, size: int) -> bool:
        return os.pread(fd, 1, size - 1) == b"\n"

    def _rotate(self) -> None:
        """``alerts.jsonl`` becomes ``.1``, ``.1`` becomes ``.2``, ...; then the oldest files go
        while they are past retention."""
        for index in sorted(self._backup_indexes(), reverse=True):
            os.replace(self._file(index), self._file(index + 1))
        os.replace(self.path, self._file(1))
        self._prune()

    def _prune(self) -> None:
        """Delete the oldest backups whose newest alert is older than ``keep_days`` while the
        files after them still hold at least ``keep_alerts`` alerts."""
        cutoff = self.clock() - self.keep_days * 86400.0
        indexes = sorted(self._backup_indexes())  # newest first
        counts = [_count_lines(self._file(i)) for i in indexes]
        for position in range(len(indexes) - 1, 0, -1):  # the oldest file first; .1 always stays
            newer = sum(counts[:position])
            newest = _newest_time(self._file(indexes[position]))
            if newer < self.keep_alerts or newest is None or newest >= cutoff:
                return
            self._file(indexes[position]).unlink(missing_ok=True)

    def _backup_indexes(self) -> list[int]:
        pattern = re.compile(re.escape(self.path.name) + r"\.([1-9][0-9]*)")
        try:
            names = os.listdir(self.path.parent)
        except OSError:
            return []
        return [int(found.group(1)) for name in names if (found := pattern.fullmatch(name))]

    def _file(self, index: int) -> Path:
        return self.path if index == 0 else self.path.with_name(f"{self.path.name}.{index}")

    # --- reading -----------------------------------------------------------------------------

    def files(self) -> list[Path]:
        """Existing history files, oldest first."""
        indexes = sorted(self._backup_indexes(), reverse=True) + [0]
        return [f for f in (self._file(i) for i in indexes) if f.exists()]

    def _lines(self, path: Path) -> list[tuple[int, str]]:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return [(number, text) for number, text in enumerate(handle, start=1) if text.strip()]
        except FileNotFoundError:  # rotated away meanwhile
            return []
        except OSError as exc:  # a folder in its place, no permission: warn, do not crash the app
            message = _cannot_read(path, exc)
            if message not in self.problems:
                self.problems.append(message)
                log.warning(message)
            return []

    def check_readable(self) -> None:
        """Raise UserError naming the first history file that cannot be opened (for the CLI,
        where reading is the whole job; the app only warns)."""
        for path in self.files():
            try:
                with open(path, "rb"):
                    pass
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise UserError(_cannot_read(path, exc)) from None

    def _parse(self, path: Path, number: int, text: str) -> Alert | None:
        try:
            return Alert.from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self._warn(path, number, exc)
            return None

    def _warn(self, path: Path, number: int, exc: Exception) -> None:
        if (str(path), number) in self._warned:
            return
        self._warned.add((str(path), number))
        message = f"{path}:{number}: unreadable alert history line skipped ({type(exc).__name__})"
        self.problems.append(message)
        log.warning(message)

    def entries(self, since: float | None = None) -> Iterator[tuple[Alert, str]]:
        """(alert, its JSON line) oldest first, from ``since`` (epoch) on."""
        for path in self.files():
            for number, text in self._lines(path):
                alert = self._parse(path, number, text)
                if alert is not None and (since is None or alert.time >= since):
                    yield alert, text.strip()

    def read(self, since: float | date | datetime | None = None) -> list[Alert]:
        """Alerts oldest first; ``since`` an epoch, a datetime, or a date (New York midnight)."""
        return [alert for alert, _ in self.entries(to_epoch(since))]

    def recent(self, n: int) -> list[Alert]:
        """The ``n`` newest alerts, newest first, across rotated files."""
        found: list[Alert] = []
        for path in reversed(self.files()):
            for number, text in reversed(self._lines(path)):
                if len(found) >= n:
                    return found
                alert = self._parse(path, number, text)
                if alert is not None:
                    found.append(alert)
        return found


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 16), b""))
    except OSError:
        return 0


def _newest_time(path: Path) -> float | None:
    """The time of the last readable alert in ``path`` (None if there is none)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 65536))
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            return Alert.from_dict(json.loads(line)).time
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return None


def _cannot_read(path: Path, exc: OSError) -> str:
    return f"{path}: cannot read the alert history: {exc.strerror or exc}"


def to_epoch(since: float | date | datetime | None) -> float | None:
    if since is None or isinstance(since, (int, float)):
        return since
    if isinstance(since, datetime):
        return (since if since.tzinfo else since.replace(tzinfo=NEW_YORK)).timestamp()
    return datetime.combine(since, dtime(0, 0), NEW_YORK).timestamp()


def parse_since(text: str) -> float:
    """``--since``: a date (New York midnight) or an ISO 8601 date and time."""
    try:
        if len(text.strip()) == 10:
            return to_epoch(date.fromisoformat(text.strip()))
        return to_epoch(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise UserError(f"--since: expected a date such as 2026-11-20, got {text!r}") from None


def format_table(alerts: list[Alert]) -> str:
    """Columns time (New York), symbol, rule, direction, message. Control characters from a
    hand-edited file become spaces: no escape sequence reaches the terminal."""
    from monitor.sinks.base import sanitize

    rows = [
        (
            datetime.fromtimestamp(a.time, NEW_YORK).strftime("%Y-%m-%d %H:%M:%S"),
            *(sanitize(cell, 1000) for cell in (a.symbol, a.rule, a.direction, a.message)),
        )
        for a in alerts
    ]
    header = ("TIME (NEW YORK)", "SYMBOL", "RULE", "DIR", "MESSAGE")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths)) + "  " + row[4])
    return "\n".join(lines)


def run_alerts_command(args: argparse.Namespace) -> int:
    """``market-monitor alerts [--since DATE] [--json]``."""
    since = parse_since(args.since) if getattr(args, "since", None) else None
    history = AlertHistory()
    history.check_readable()
    entries = list(history.entries(since))  # corrupt lines are logged as warnings (stderr)
    if not entries:
        when = f" since {args.since}" if since is not None else ""
        print(f"no alerts recorded{when} (history: {history.path})", file=sys.stderr)
        return 0
    if getattr(args, "json", False):
        sys.stdout.write("".join(text + "\n" for _, text in entries))
    else:
        print(format_table([alert for alert, _ in entries]))
    return 0
