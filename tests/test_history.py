"""Alert history: append, rotation, reading across files, corrupt lines, `market-monitor alerts`."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

import pytest

from monitor.cli import main
from monitor.history import AlertHistory, default_history_path
from monitor.model import NEW_YORK, Alert
from monitor.paths import state_dir


def alert(i: int, day: int = 2) -> Alert:
    when = datetime(2026, 3, day, 10, 0, tzinfo=NEW_YORK).timestamp() + i * 60
    return Alert(when, "^RUT", "level_cross", "down", 2499.0 - i, f"^RUT broke below 2,500 support #{i}", {"level": 2500.0, "label": "support"}, "stream")


def test_default_path_is_in_the_state_dir_and_survives_a_new_instance():
    history = AlertHistory()
    assert history.path == state_dir() / "alerts.jsonl" == default_history_path()
    history.append(alert(1))
    history.append(alert(2))
    again = AlertHistory()
    assert [a.message for a in again.read()] == [alert(1).message, alert(2).message]
    assert again.read()[0] == alert(1)  # round trip keeps every field
    assert [a.message for a in again.recent(1)] == [alert(2).message]


def test_rotation_keeps_a_few_files_and_recent_reads_across_them(tmp_path):
    history = AlertHistory(tmp_path / "alerts.jsonl", max_bytes=1000, backups=2)
    for i in range(40):
        history.append(alert(i))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["alerts.jsonl", "alerts.jsonl.1", "alerts.jsonl.2"]
    assert all(p.stat().st_size <= 1000 for p in tmp_path.iterdir())
    kept = history.read()
    numbers = [int(a.message.rsplit("#", 1)[1]) for a in kept]
    assert numbers == list(range(numbers[0], 40)) and numbers[0] > 0  # oldest rotated away, order kept
    recent = history.recent(len(kept) + 5)
    assert [a.message for a in recent] == [a.message for a in reversed(kept)]
    assert [a.message for a in history.recent(3)] == [alert(i).message for i in (39, 38, 37)]


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
    assert out.splitlines()[1].endswith("x ]0;pwned [2J y")


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
