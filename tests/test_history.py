"""Alert history: append, rotation, reading across files, corrupt lines, `market-monitor alerts`."""

from __future__ import annotations

import errno
import json
import logging
import os
from dataclasses import replace
from datetime import date, datetime

import pytest

from monitor.cli import main
from monitor.history import AlertHistory, default_history_path
from monitor.model import NEW_YORK, Alert
from monitor.paths import state_dir


def alert(i: int, day: int = 2) -> Alert:
    when = datetime(2026, 3, day, 10, 0, tzinfo=NEW_YORK).timestamp() + i * 60
    return Alert(when, "^RUT", "level_cross", "down", 2499.0 - i, f"^RUT fell below 2,500 (support) #{i}", {"level": 2500.0, "label": "support"}, "stream")


def test_default_path_is_in_the_state_dir_and_survives_a_new_instance():
    history = AlertHistory()
    assert history.path == state_dir() / "alerts.jsonl" == default_history_path()
    history.append(alert(1))
    history.append(alert(2))
    again = AlertHistory()
    assert [a.message for a in again.read()] == [alert(1).message, alert(2).message]
    assert again.read()[0] == alert(1)  # round trip keeps every field
    assert [a.message for a in again.recent(1)] == [alert(2).message]


def test_read_since(tmp_path):
    history = AlertHistory(tmp_path / "a.jsonl")
    for day in (2, 3, 4):
        history.append(alert(0, day))
    assert [a.time for a in history.read(date(2026, 3, 3))] == [alert(0, 3).time, alert(0, 4).time]
    assert len(history.read(alert(0, 4).time)) == 1


def test_corrupt_lines_are_skipped_with_one_warning_naming_file_and_line(tmp_path, caplog):
    path = tmp_path / "a.jsonl"
    history = AlertHistory(path)
    history.append(alert(1))
    with open(path, "a") as handle:
        handle.write('{"time": "2026-03-02T10:05:00-05:00", "symbol": "^RUT"\n')  # torn
        handle.write("not json\n")
    history.append(alert(2))
    with caplog.at_level(logging.WARNING, logger="monitor.history"):
        assert [a.message for a in history.read()] == [alert(1).message, alert(2).message]
        history.read()
        history.recent(10)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{path}:2: ") and warnings[1].startswith(f"{path}:3: ")
    assert history.problems == warnings


def test_a_torn_last_line_does_not_swallow_the_next_alert(tmp_path):
    path = tmp_path / "a.jsonl"
    history = AlertHistory(path)
    history.append(alert(1))
    with open(path, "a") as handle:
        handle.write('{"time": "2026-03-0')  # crash mid-write, no newline
    history.append(alert(2))
    assert [a.message for a in history.read()] == [alert(1).message, alert(2).message]


def test_alerts_command_table_json_and_since(capsys):
    history = AlertHistory()
    history.append(alert(1, day=2))
    history.append(alert(2, day=5))
    assert main(["alerts"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["TIME", "(NEW", "YORK)", "SYMBOL"]
    assert out[1].startswith("2026-03-02 10:01:00  ^RUT") and out[1].endswith("#1")
    assert "level_cross" in out[1] and "down" in out[1]
    assert main(["alerts", "--json", "--since", "2026-03-03"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["message"].endswith("#2")


def test_alerts_table_never_prints_escape_sequences(capsys):
    history = AlertHistory()
    history.path.parent.mkdir(parents=True)
    evil = alert(1).to_dict() | {"message": "x\u001b]0;pwned\u0007\u001b[2J y", "symbol": "^R\u009bUT"}
    history.path.write_text(json.dumps(evil) + "\n")
    assert main(["alerts"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    # Whole sequences go (monitor.text.clean_text, applied when a history line is read), not
    # just their escape byte: no "]0;pwned" left to read as a message.
    assert out.splitlines()[1].endswith(" x y") and "pwned" not in out


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01"])
def test_alerts_command_bad_since_is_a_one_line_error(capsys, bad):
    assert main(["alerts", "--since", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--since" in err and bad in err


def test_alerts_command_with_no_history(capsys):
    assert main(["alerts"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no alerts recorded" in captured.err


def test_alerts_command_says_when_only_the_since_filter_left_nothing(capsys):
    AlertHistory().append(alert(1, day=2))
    assert main(["alerts", "--since", "2026-03-03"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no alerts recorded since 2026-03-03" in captured.err


def test_an_unreadable_history_is_a_warning_for_the_app_and_a_one_line_error_for_the_command(capsys, caplog):
    history = AlertHistory()
    history.path.mkdir(parents=True)  # a folder where the file should be
    with caplog.at_level(logging.WARNING, logger="monitor.history"):
        assert history.recent(5) == [] and history.read() == []
    assert history.problems == [f"{history.path}: cannot read the alert history: Is a directory"]
    assert len(caplog.records) == 1
    assert main(["alerts"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read the alert history" in err and "Traceback" not in err


def test_a_refused_write_is_reported_not_raised(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    history = AlertHistory(blocker / "alerts.jsonl")  # its folder cannot be created
    with caplog.at_level(logging.WARNING, logger="monitor.history"):
        assert history.append(alert(1)) is False
        assert history.append(alert(2)) is False
    assert len(caplog.records) == 1 and "cannot record the alert" in history.last_error
    good = AlertHistory(tmp_path / "ok.jsonl")
    assert good.append(alert(1)) is True and good.last_error is None


# --- retention and a full disk -----------------------------------------------------------------

DAY = 86400.0


def numbers_of(alerts) -> list[int]:
    return [int(a.message.rsplit("#", 1)[1]) for a in alerts]


def test_a_storm_of_alerts_never_rotates_recent_alerts_out(tmp_path):
    start = alert(0).time
    history = AlertHistory(tmp_path / "alerts.jsonl", max_bytes=1000, keep_alerts=10, clock=lambda: start + 3600)
    for i in range(60):  # an hour's storm: many files, every alert younger than 30 days
        history.append(alert(i))
    assert len(history.files()) > 10
    assert all(p.stat().st_size <= 1000 for p in tmp_path.iterdir())
    assert numbers_of(history.read()) == list(range(60))
    assert numbers_of(history.recent(3)) == [59, 58, 57]


def test_alerts_older_than_30_days_go_once_10000_newer_ones_are_kept(tmp_path):
    now = [alert(0).time]
    history = AlertHistory(tmp_path / "alerts.jsonl", max_bytes=1000, keep_alerts=20, clock=lambda: now[0])
    for i in range(40):
        history.append(alert(i))
    now[0] += 31 * DAY  # all of them are old now: only the count keeps them
    for i in range(40, 80):
        history.append(replace(alert(i), time=alert(i).time + 31 * DAY))  # a month later
    kept = numbers_of(history.read())
    assert kept == list(range(kept[0], 80))  # the oldest went, in order, nothing in between
    assert 0 < kept[0] <= 40  # the month-old ones went...
    assert len(kept) >= 20  # ...but never below the count kept
    assert all(p.stat().st_size <= 1000 for p in tmp_path.iterdir())


def test_old_alerts_are_kept_while_fewer_than_the_count_are_newer(tmp_path):
    now = [alert(0).time + 365 * DAY]  # every alert is a year old
    history = AlertHistory(tmp_path / "alerts.jsonl", max_bytes=1000, keep_alerts=20, clock=lambda: now[0])
    for i in range(60):
        history.append(alert(i))
    kept = numbers_of(history.read())
    assert kept == list(range(kept[0], 60)) and kept[0] > 0  # old files pruned, oldest first
    assert 20 <= len(kept) < 60
    recent = history.recent(len(kept) + 5)
    assert numbers_of(recent) == list(reversed(kept))


class FullDisk:
    """An ``os.write`` stand-in for a disk that fills up: writes part of the data, then fails
    (``short=True``: returns a short count instead, as write(2) may)."""

    def __init__(self, short: bool = False) -> None:
        self.full = False
        self.short = short

    def __call__(self, fd: int, data: bytes) -> int:
        if not self.full:
            return os.write(fd, data)
        written = os.write(fd, data[: len(data) // 2])
        if self.short:
            return written
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("short", [False, True])
def test_a_write_refused_by_a_full_disk_leaves_no_torn_line_and_is_reported(tmp_path, caplog, short):
    disk = FullDisk(short)
    path = tmp_path / "alerts.jsonl"
    history = AlertHistory(path, write=disk)
    assert history.append(alert(1)) is True
    before = path.read_bytes()
    disk.full = True
    with caplog.at_level(logging.WARNING, logger="monitor.history"):
        assert history.append(alert(2)) is False
        assert history.append(alert(3)) is False
    assert path.read_bytes() == before  # rolled back: no half line
    assert "cannot record the alert" in history.last_error and len(caplog.records) == 1
    disk.full = False
    assert history.append(alert(4)) is True and history.last_error is None
    assert numbers_of(history.read()) == [1, 4] and history.problems == []
