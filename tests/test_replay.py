"""Replay: CSV loading and its errors, tick generation and merging, the CLI end to end,
--indicators-csv against TA-Lib, ReplayFeed pacing."""

from __future__ import annotations

import csv
import gc
import json
import math
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from monitor.cli import main
from monitor.config import Config
from monitor.errors import UserError
from monitor.model import NEW_YORK, Alert, BarExtremes, FeedState, FeedStatus, SymbolInfo, Tick
from monitor.feeds.replay import MAX_SPEED, MAX_WAIT, ReplayFeed, parse_speed
from monitor.replay_run import INDICATOR_COLUMNS, TimeOrderedOutput, indicator_columns, run_headless_replay
from monitor import series as series_module
from monitor.series import bar_tick_prices, load_all, load_series, parse_file_arg, replay_batches


def ny(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).timestamp()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


DAILY = "date,open,high,low,close,volume\n2026-01-05,100,110,95,105,1000\n2026-01-06,105,106,90,92,2000\n"


def slice_of(data_dir: Path, tmp_path: Path, name: str, rows: int) -> Path:
    """The header and the last ``rows`` rows of a file in tests/data."""
    lines = (data_dir / name).read_text().splitlines()
    path = tmp_path / Path(name).name
    path.write_text("\n".join([lines[0]] + lines[-rows:]) + "\n")
    return path


# --------------------------------------------------------------------------------------------
# Loading


def test_load_daily_file(tmp_path):
    series = load_series(write(tmp_path, "rut_daily.csv", DAILY))
    assert series.symbol == "RUT_DAILY" and series.kind == "daily"
    assert series.rows == [
        (ny("2026-01-05T09:30"), 100.0, 110.0, 95.0, 105.0, 1000.0),
        (ny("2026-01-06T09:30"), 105.0, 106.0, 90.0, 92.0, 2000.0),
    ]
    assert series.ticks == 8


def test_load_without_volume_column_and_with_blank_lines(tmp_path):
    series = load_series(write(tmp_path, "x.csv", "date,open,high,low,close\n\n2026-01-05,1,2,0.5,1.5\n\n"), "^X")
    assert series.symbol == "^X"
    assert series.rows == [(ny("2026-01-05T09:30"), 1.0, 2.0, 0.5, 1.5, None)]


def test_empty_volume_cells_are_no_volume_and_stay_on_the_column_parser(tmp_path):
    """The backfill's cache writes an index's missing volumes as empty cells, and a whole
    history is read at every start: such a file must not fall back to the row-by-row parser."""
    from monitor import series as series_module

    body = ["2026-01-05,1,2,0.5,1.5,", "2026-01-06,1.5,2.5,1,2,300", "2026-01-07,2,3,1.5,2.5, "]
    path = write(tmp_path, "x.csv", "date,open,high,low,close,volume\n" + "\n".join(body) + "\n")
    header, picks = ("date", "open", "high", "low", "close", "volume"), (1, 2, 3, 4, 5)
    fast = series_module._fast_rows(body, 6, series_module._open_epoch, picks)
    assert fast == series_module._checked_rows(path, header, body, series_module._open_epoch, picks)
    assert [row[5] for row in fast] == [None, 300.0, None]
    assert load_series(path).rows == fast


def test_load_intraday_file_takes_the_bar_length_from_the_spacing(data_dir):
    series = load_series(data_dir / "intraday" / "spx_5m_2025-12-24.csv", "^GSPC")
    assert series.kind == "intraday"
    assert series.offsets == (0.0, 75.0, 150.0, 225.0)
    assert series.rows[0][0] == ny("2025-12-24T09:30")
    assert series.rows[-1][0] == ny("2025-12-24T13:00")  # the closing-print bar


@pytest.mark.parametrize(
    "body, line, fragment",
    [
        ("2026-01-05,100,110,95,105,1000\n2026-01-06,105,abc,90,92,2000\n", 3, "high: expected a finite number, got 'abc'"),
        ("2026-01-05,100,110,95,inf,1000\n", 2, "close: expected a finite number, got 'inf'"),
        ("2026-01-05,nan,110,95,105,1000\n", 2, "open: expected a finite number, got 'nan'"),
        ("2026-01-05,100,110,95,105,1e999\n", 2, "volume: expected a finite number"),
        ("2026-01-05,100,90,95,92,1000\n", 2, "high: 90 is below low 95"),
        ("2026-01-05,100,110,95,105,1000\n2026-01-06,1,2,0,0,1000\n", 3, "low: expected a price above 0, got 0"),
        ("2026-01-05,-1,110,95,105,1000\n", 2, "open: expected a price above 0, got -1"),
        ("2026-01-05,100,110,95,105\n", 2, "expected 6 columns"),
        ("2026-01-05,100,110,95,105,1,2\n", 2, "expected 6 columns"),
        # a short line then a long one: as many fields in all, and a date where the short line's volume was
        ("2026-01-05,100,110,95,105\n2026-01-06,2026-01-07,105,110,95,105,\n", 2, "expected 6 columns"),
        ("2026-13-05,100,110,95,105,1000\n", 2, "date: expected a date such as 2026-01-02, got '2026-13-05'"),
        ("2026-01-06,100,110,95,105,1000\n2026-01-05,100,110,95,105,1000\n", 3, "date: 2026-01-05 is not after the previous row's"),
        ("2026-01-05,100,110,95,105,1000\n2026-01-05,100,110,95,105,1000\n", 3, "is not after the previous row's"),
    ],
)
def test_malformed_daily_rows_name_file_line_and_column(tmp_path, body, line, fragment):
    path = write(tmp_path, "bad.csv", "date,open,high,low,close,volume\n" + body)
    with pytest.raises(UserError) as info:
        load_series(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    assert fragment in message
    assert "\n" not in message


def test_intraday_timestamp_without_offset_is_malformed(tmp_path):
    path = write(tmp_path, "i.csv", "timestamp,open,high,low,close\n2026-01-05T09:30:00,1,2,0.5,1\n")
    with pytest.raises(UserError, match=r"i\.csv:2: timestamp: expected an ISO 8601 time with offset"):
        load_series(path)


@pytest.mark.parametrize(
    "text, fragment",
    [("", ":1: header: expected .* got an empty file$"), ("when,o,h,l,c\n", ":1: header: expected .* got 'when,o,h,l,c'$"),
     ("date,open,high,low,close,volume,extra\n", ":1: header: unexpected column\\(s\\) 'extra'$"),
     ("date,open,high,low,volume\n", ":1: header: no 'close' column$"),
     ("Date,Open,High,Low\n", ":1: header: no 'close' column$"),
     ("date,open,high,low,close,close\n", ":1: header: column 'close' appears twice$"),
     ("open,high,low,close,date\n", ":1: header: expected .* or Yahoo's 'Date,Open,High,Low,Close,Adj Close,Volume', got"),
     ("date,open,high,low,close\n", "no data rows")],
)
def test_bad_headers_and_empty_files(tmp_path, text, fragment):
    with pytest.raises(UserError, match=fragment):
        load_series(write(tmp_path, "h.csv", text))


YAHOO = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def test_yahoo_export_is_read_with_adj_close_ignored_and_null_days_skipped(tmp_path):
    path = write(tmp_path, "^GSPC.csv", YAHOO + "2026-01-05,100,110,95,105,99.5,1000\n"
                 "2026-01-06,null,null,null,null,null,null\n2026-01-07,105,106,90,92,87.1,2000\n")
    series = load_series(path, "^GSPC")
    assert series.kind == "daily"
    assert series.rows == [
        (ny("2026-01-05T09:30"), 100.0, 110.0, 95.0, 105.0, 1000.0),
        (ny("2026-01-07T09:30"), 105.0, 106.0, 90.0, 92.0, 2000.0),
    ]


def test_columns_after_the_time_are_found_by_name_in_any_order(tmp_path):
    path = write(tmp_path, "x.csv", "date,volume,close,low,high,open\n2026-01-05,1000,105,95,110,100\n")
    assert load_series(path).rows == [(ny("2026-01-05T09:30"), 100.0, 110.0, 95.0, 105.0, 1000.0)]


@pytest.mark.parametrize(
    "body, line, fragment",
    [
        ("2026-01-05,100,110,95,abc,99,1000\n", 2, "close: expected a finite number, got 'abc'"),
        ("2026-01-05,100,110,95,105,99,x\n", 2, "volume: expected a finite number, got 'x'"),
        ("2026-01-05,null,110,95,105,99,1000\n", 2, "open: expected a finite number, got 'null'"),  # only whole null days are skipped
        ("2026-01-05,100,90,95,92,91,1000\n", 2, "high: 90 is below low 95"),
    ],
)
def test_bad_rows_in_a_yahoo_export_name_the_right_column(tmp_path, body, line, fragment):
    path = write(tmp_path, "y.csv", YAHOO + body)
    with pytest.raises(UserError) as info:
        load_series(path)
    assert str(info.value) == f"{path}:{line}: {fragment}"


def test_bom_and_crlf_line_endings_are_read(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbfdate,open,high,low,close\r\n2026-01-05,1,2,0.5,1.5\r\n2026-01-06,1,2,0.5,1\r\n")
    assert [row[1:] for row in load_series(path).rows] == [(1.0, 2.0, 0.5, 1.5, None), (1.0, 2.0, 0.5, 1.0, None)]


@pytest.mark.parametrize("brk", ["\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_lines_end_wherever_str_splitlines_ends_them(tmp_path, brk):
    """As Python reads text lines: a bad row is named by the same line number, whatever ends it."""
    lines = ["date,open,high,low,close", "2026-01-05,1,2,0.5,1.5", "2026-01-06,1,2,0.5,1"]
    path = write(tmp_path, "x.csv", brk.join(lines) + brk)
    assert load_series(path).rows == load_series(write(tmp_path, "y.csv", "\n".join(lines) + "\n")).rows
    path.write_text(brk.join(lines + ["2026-01-07,1,2,0.5"]), encoding="utf-8", newline="")
    with pytest.raises(UserError, match=r"x\.csv:4: expected 5 columns"):
        load_series(path)


def test_a_sound_file_never_reaches_the_row_by_row_parser(tmp_path, monkeypatch):
    """Column parsing is the fast path of every start (the backfill reads its cache, replay its
    files): a trailing line break, CRLF or a missing last break must not send a file row by row."""
    def row_by_row(*args):
        raise AssertionError("parsed row by row")

    monkeypatch.setattr(series_module, "_checked_rows", row_by_row)
    for text in (DAILY, DAILY.replace("\n", "\r\n"), DAILY.rstrip("\n")):
        assert len(load_series(write(tmp_path, "x.csv", text)).rows) == 2
    with pytest.raises(AssertionError):
        load_series(write(tmp_path, "x.csv", DAILY + "\n"))  # a blank line: the careful path skips it


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"date,open,high,low,close\n2026-01-05,1,2,0.5,1.5\n2026-01-06,1,2,0.5,1.5 caf\xe9\n")
    with pytest.raises(UserError, match=r"latin1\.csv:3: not UTF-8 text \(byte 0xe9\)"):
        load_series(path)


def test_finite_values_whose_sum_overflows_are_named(tmp_path):
    path = write(tmp_path, "big.csv", "date,open,high,low,close\n2026-01-05,1e308,1e308,1e308,1e308\n")
    with pytest.raises(UserError, match=r"big\.csv:2: values too large"):
        load_series(path)


def test_a_directory_is_not_a_file(tmp_path):
    with pytest.raises(UserError, match="is a directory"):
        load_series(tmp_path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(UserError, match=r"nope\.csv: file not found"):
        load_series(tmp_path / "nope.csv")


def test_file_arguments():
    assert parse_file_arg("^RUT=data/rut.csv") == ("^RUT", "data/rut.csv")
    assert parse_file_arg("data/rut.csv") == (None, "data/rut.csv")
    assert parse_file_arg("dir=x/rut.csv") == ("dir", "x/rut.csv")
    assert parse_file_arg("./a=b/rut.csv") == (None, "./a=b/rut.csv")  # '=' inside a path


def test_speed_argument():
    assert parse_speed(None) is None and parse_speed("max") is None and parse_speed("MAX") is None
    assert parse_speed("60") == 60.0 and parse_speed("0.5") == 0.5
    for bad in ("0", "-1", "fast", "inf", "nan"):
        with pytest.raises(UserError, match="--speed"):
            parse_speed(bad)


# --------------------------------------------------------------------------------------------
# Ticks


def test_a_daily_bar_becomes_four_ticks_extremes_in_the_order_of_the_move(tmp_path):
    series = load_series(write(tmp_path, "x.csv", DAILY), "X")
    ticks = [tick for batch in replay_batches([series]) for tick in batch]
    assert ticks == [
        Tick("X", ny("2026-01-05T09:30"), 100.0),
        Tick("X", ny("2026-01-05T11:00"), 95.0),  # close >= open: low first
        Tick("X", ny("2026-01-05T14:00"), 110.0),
        Tick("X", ny("2026-01-05T16:00"), 105.0, 1000.0),
        Tick("X", ny("2026-01-06T09:30"), 105.0),
        Tick("X", ny("2026-01-06T11:00"), 106.0),  # close < open: high first
        Tick("X", ny("2026-01-06T14:00"), 90.0),
        Tick("X", ny("2026-01-06T16:00"), 92.0, 2000.0),
    ]


def test_daily_ticks_follow_new_york_time_across_dst(tmp_path):
    path = write(tmp_path, "x.csv", "date,open,high,low,close\n2025-03-07,1,1,1,1\n2025-03-10,1,1,1,1\n")
    times = [Tick(*batch[0]).time for batch in replay_batches([load_series(path)])]
    assert times[0] - ny("2025-03-07T09:30") == 0 and times[4] == ny("2025-03-10T09:30")
    assert times[4] - times[0] == 3 * 86400 - 3600  # the weekend lost an hour


def test_files_merge_in_time_order_and_equal_times_form_one_batch(tmp_path):
    a = load_series(write(tmp_path, "a.csv", DAILY), "A")
    b = load_series(write(tmp_path, "b.csv", "date,open,high,low,close\n2026-01-06,1,2,0.5,1.5\n2026-01-07,1,2,0.5,1.5\n"), "B")
    batches = list(replay_batches([a, b]))
    assert [len(batch) for batch in batches] == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1]
    assert [Tick(*t).symbol for t in batches[4]] == ["A", "B"]  # the order the files were given
    times = [Tick(*batch[0]).time for batch in batches]
    assert times == sorted(times)
    assert all(len({Tick(*t).time for t in batch}) == 1 for batch in batches)


def reference_batches(series_list) -> list[list[Tick]]:
    """The replay batches built the plain way: every bar's four ticks grouped by time, the files'
    order kept, the 11:00 and 14:00 groups of daily bars marked ``BarExtremes``."""
    at: dict[float, list[Tick]] = {}
    extremes = set()
    for s in series_list:
        session, total = None, None
        for t, o, h, l, c, v in s.rows:
            if s.kind == "intraday":  # the close tick carries the session's volume so far
                day = datetime.fromtimestamp(t, NEW_YORK).date()
                session, total = day, (None if day != session else total)
                v = total = v if total is None else (total if v is None else total + v)
            for lane, (offset, price) in enumerate(zip(s.offsets, bar_tick_prices(o, h, l, c))):
                at.setdefault(t + offset, []).append(Tick(s.symbol, t + offset, price, v if lane == 3 else None))
                if s.kind == "daily" and lane in (1, 2):
                    extremes.add(t + offset)
    return [BarExtremes(at[t]) if t in extremes else at[t] for t in sorted(at)]


def assert_same_batches(series_list) -> None:
    batches = list(replay_batches(series_list))
    expected = reference_batches(series_list)
    assert batches == expected
    assert [type(b) for b in batches] == [type(b) for b in expected]
    assert all(type(tick) is tuple for batch in batches for tick in batch)  # not ``Tick``s: see its docstring


def test_daily_batches_equal_the_plain_construction(data_dir, tmp_path, monkeypatch):
    """Daily files are merged column-wise over stretches of dates that the same files share:
    files starting, ending and skipping dates (holidays of one index only) cut those stretches."""
    daily = data_dir / "daily"
    assert_same_batches(load_all([f"^RUT={daily / 'rut_2016-2026.csv'}", f"^GSPC={daily / 'spx_2016-2026.csv'}",
                                  f"^NDX={daily / 'ndx_2016-2026.csv'}"]))
    assert_same_batches(load_all([f"^NDX={daily / 'ndx_1998-2002.csv'}", f"^RUT={daily / 'rut_1987-1992.csv'}",
                                  f"^GSPC={daily / 'spx_1960-1964.csv'}", f"^X={daily / 'rut_last400.csv'}",
                                  f"^X={daily / 'spx_1960-1964.csv'}"]))
    head = "date,open,high,low,close,volume\n"
    a = write(tmp_path, "a.csv", head + "2026-01-05,1,2,0.5,1.5,10\n2026-01-06,2,2,1,1,20\n2026-01-08,1,3,1,2,30\n2026-01-09,1,2,1,1,40\n")
    b = write(tmp_path, "b.csv", head + "2026-01-06,5,6,4,4,1\n2026-01-07,4,7,3,6,2\n2026-01-08,6,6,5,5,3\n2026-01-12,5,5,5,5,4\n")
    c = write(tmp_path, "c.csv", "date,open,high,low,close\n2026-01-09,9,9,8,8\n")
    d = write(tmp_path, "d.csv", head + "2026-01-05,3,4,2,3,5\n2026-01-06,3,4,2,2,6\n")  # A's first dates, then ends
    files = [f"A={a}", f"B={b}", f"C={c}"]
    assert_same_batches(load_all(files))
    assert_same_batches(load_all(files[::-1]))
    assert_same_batches(load_all([f"A={a}", f"D={d}"]))
    monkeypatch.setattr(series_module, "STRETCH_DATES", 2)  # long stretches are played in pieces
    assert_same_batches(load_all(files))
    assert_same_batches(load_all([f"^RUT={daily / 'rut_last400.csv'}", f"^GSPC={daily / 'spx_last400.csv'}"]))


def test_intraday_and_mixed_batches_equal_the_plain_construction(data_dir):
    intraday = data_dir / "intraday"
    assert_same_batches(load_all([f"IWM={intraday / 'iwm_5m_2025-12-29.csv'}"]))
    assert_same_batches(load_all([f"^RUT={data_dir / 'daily/rut_last400.csv'}", f"^GSPC={intraday / 'spx_5m_2025-12-24.csv'}",
                                  f"IWM={intraday / 'iwm_5m_2025-12-29.csv'}"]))


def test_intraday_bar_ticks_at_equal_steps_inside_the_bar(data_dir):
    series = load_series(data_dir / "intraday" / "iwm_5m_2025-12-29.csv", "IWM")
    first = [Tick(*batch[0]) for batch in list(replay_batches([series]))[:4]]
    start = ny("2025-12-29T09:30")
    assert [t.time - start for t in first] == [0.0, 75.0, 150.0, 225.0]
    o, h, l, c, v = series.rows[0][1:]
    assert [t.price for t in first] == ([o, l, h, c] if c >= o else [o, h, l, c])
    ticks = [Tick(*batch[0]) for batch in replay_batches([series])]
    # the close tick carries the session's volume so far, as a live tick does
    assert [t.volume for t in ticks[3:12:4]] == [v, v + series.rows[1][5], v + series.rows[1][5] + series.rows[2][5]]
    assert all(t.volume is None for i, t in enumerate(ticks) if i % 4 != 3)


# --------------------------------------------------------------------------------------------
# The command


def run_cli(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_replay_headless_prints_alert_json_lines_in_time_order(data_dir, tmp_path, capsys):
    files = [f"^RUT={data_dir / 'daily/rut_last400.csv'}",
             f"^GSPC={data_dir / 'daily/spx_last400.csv'}",
             f"^NDX={data_dir / 'daily/ndx_last400.csv'}"]
    code, lines, err = run_cli(capsys, "replay", "--headless", *files)
    assert code == 0
    alerts = [json.loads(line) for line in lines]
    assert alerts, "400 sessions of three indexes fire alerts"
    times = [datetime.fromisoformat(a["time"]).timestamp() for a in alerts]
    assert times == sorted(times)
    assert {a["rule"] for a in alerts} >= {"level_cross", "new_high", "relative_divergence"}
    assert all(a["source"] == "replay" and a["stale"] is False for a in alerts)
    # the last session's ^RUT crossings of the 2,600 resistance (real data, Feb 2026)
    rut = [a for a in alerts if a["rule"] == "level_cross"]
    assert rut[-1]["message"] == "^RUT rose above 2,600 (resistance) at 2,611.29"
    assert rut[-1]["time"] == "2026-02-06T09:30:00-05:00"
    assert err.startswith("replay: 4,800 ticks of 3 symbol(s)")


def test_time_order_holds_when_ticks_run_past_an_early_close(tmp_path, capsys):
    """The 13:00 closing-print bar of 2025-12-24 puts ticks after the early close; the 12-24 bar's
    close alerts (stamped 13:00, produced only by the next session's first tick) must still come
    before the level cross at 13:00:45 (one-minute bars: ticks every 15 s)."""
    rows = ["timestamp,open,high,low,close"]
    for i, day in enumerate(("2025-12-19", "2025-12-22", "2025-12-23")):
        rows.append(f"{day}T15:59:00-05:00,{100 - i},{100 - i},{100 - i},{100 - i}")
    rows.append("2025-12-24T12:59:00-05:00,110,110,110,110")
    rows.append("2025-12-24T13:00:00-05:00,110,111,109,125")  # the close tick crosses 120
    rows.append("2025-12-26T09:30:00-05:00,126,126,126,126")
    path = write(tmp_path, "x_1m.csv", "\n".join(rows) + "\n")
    config = write(tmp_path, "c.toml", '[[levels]]\nsymbol = "X"\nprice = 120\n[rules]\nma_fast = 1\nma_slow = 2\n')
    code, lines, _ = run_cli(capsys, "replay", "--headless", "--config", str(config), f"X={path}")
    assert code == 0
    alerts = [json.loads(line) for line in lines]
    assert [(a["rule"], a["time"]) for a in alerts] == [
        ("ma_cross", "2025-12-24T13:00:00-05:00"),
        ("level_cross", "2025-12-24T13:00:45-05:00"),
    ]


def test_time_ordered_output_holds_alerts_until_released():
    written = []
    out = TimeOrderedOutput(written.append)
    a, b, c = (Alert(t, "X", "r", "up", 1.0, "m") for t in (30.0, 10.0, 20.0))
    out.add([a, b])
    out.release(15.0)
    assert written == [b]
    out.add([c])
    out.release()
    assert written == [b, c, a] and out.count == 3


@pytest.mark.parametrize(
    "text, line",
    [("date,open,high,low,close\n2026-01-05,1,2,0.5,1.5\n2026-01-06,1,x,0.5,1\n", 3),
     ("date,open,high,low,close\n2026-01-05,1,0.4,0.5,1.5\n", 2)],
)
def test_corrupt_csv_is_a_one_line_error_with_exit_2(tmp_path, capsys, text, line):
    path = write(tmp_path, "corrupt.csv", text)
    code, lines, err = run_cli(capsys, "replay", "--headless", str(path))
    assert code == 2 and lines == []
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"market-monitor: error: {path}:{line}: ")


def test_missing_file_and_bad_speed_exit_2(tmp_path, capsys):
    code, _, err = run_cli(capsys, "replay", "--headless", str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv: file not found" in err
    good = write(tmp_path, "x.csv", DAILY)
    code, _, err = run_cli(capsys, "replay", "--headless", "--speed", "fast", str(good))
    assert code == 2 and "--speed: expected 'max' or a number above 0, got 'fast'" in err


def test_one_symbol_may_have_files_for_separate_periods_only(tmp_path, capsys):
    early = write(tmp_path, "early.csv", "date,open,high,low,close\n2026-01-05,1,2,0.5,1.5\n")
    late = write(tmp_path, "late.csv", "date,open,high,low,close\n2026-01-06,1,2,0.5,1.5\n")
    code, _, err = run_cli(capsys, "replay", "--headless", f"X={late}", f"X={early}")
    assert code == 0 and err.startswith("replay: 8 ticks of 1 symbol(s)")
    code, lines, err = run_cli(capsys, "replay", "--headless", f"X={early}", f"X={early}")
    assert code == 2 and lines == [] and err.count("\n") == 1
    assert f"error: X={early}: overlaps X={early} in time, both as X" in err
    intraday = write(tmp_path, "x_1m.csv", "timestamp,open,high,low,close\n2026-01-05T15:59:00-05:00,1,1,1,1\n")
    code, _, err = run_cli(capsys, "replay", "--headless", f"X={early}", f"X={intraday}")
    assert code == 2 and "overlaps" in err  # the same session as a daily bar and as minute bars


def test_the_indicators_csv_never_overwrites_a_replayed_file(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "x.csv", DAILY)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "replay", "--headless", "--indicators-csv", "./x.csv", str(path))
    assert code == 2 and "x.csv: is one of the replayed files" in err
    assert path.read_text() == DAILY


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_a_one_line_error(tmp_path, capsys):
    path = write(tmp_path, "x.csv", DAILY)
    code, _, err = run_cli(capsys, "replay", "--headless", "--indicators-csv", "/dev/full", str(path))
    assert code == 1 and err == "market-monitor: error: /dev/full: cannot write the indicators CSV: No space left on device\n"


class Unwritable:
    """A stdout whose writes fail with ``error``."""

    def __init__(self, error: OSError) -> None:
        self.error = error

    def write(self, text: str) -> int:
        raise self.error

    def flush(self) -> None:
        raise self.error


def crossing_series(tmp_path: Path):
    """^RUT crossing its 2,500 support up: one level_cross alert."""
    path = write(tmp_path, "x.csv", "date,open,high,low,close\n2026-01-05,2490,2490,2490,2490\n2026-01-06,2510,2510,2510,2510\n")
    return [load_series(path, "^RUT")]


def test_stdout_write_errors_are_one_line_errors(tmp_path):
    import errno
    import io

    from monitor.replay_run import run_headless_replay

    with pytest.raises(UserError, match="^stdout: cannot write the alerts: No space left on device$") as info:
        run_headless_replay(Config(), crossing_series(tmp_path), out=Unwritable(OSError(errno.ENOSPC, "No space left on device")), err=io.StringIO())
    assert info.value.exit_code == 1


def test_a_closed_pipe_stops_the_replay_but_the_indicators_csv_is_completed(tmp_path):
    import io

    from monitor.replay_run import run_headless_replay

    series = crossing_series(tmp_path)
    with pytest.raises(BrokenPipeError):  # the CLI exits 0 on it
        run_headless_replay(Config(), series, out=Unwritable(BrokenPipeError()), err=io.StringIO())
    csv_path, err = tmp_path / "ind.csv", io.StringIO()
    with pytest.raises(BrokenPipeError):
        run_headless_replay(Config(), series, indicators_csv=str(csv_path), out=Unwritable(BrokenPipeError()), err=err)
    assert len(csv_path.read_text().splitlines()) == 3  # the header and both bars
    assert "indicators written to" in err.getvalue()


def test_no_files_is_a_usage_message(capsys):
    with pytest.raises(SystemExit) as info:
        main(["replay"])
    assert info.value.code == 2
    assert "usage: market-monitor replay" in capsys.readouterr().err


def test_a_headless_replay_collects_no_garbage_from_the_load_to_the_last_alert(data_dir, capsys, monkeypatch):
    """One pause of the cyclic collector covers the load and the replay (a collection between
    them scanned every loaded row); the collector is on again once the command is done."""
    from monitor import replay_cli

    seen = []

    def replay(*args, **kwargs):
        seen.append(gc.isenabled())
        return run_headless_replay(*args, **kwargs)

    monkeypatch.setattr(replay_cli, "run_headless_replay", replay)
    code, lines, _ = run_cli(capsys, "replay", "--headless", f"^RUT={data_dir / 'daily/rut_last400.csv'}")
    assert code == 0 and lines and seen == [False]
    assert gc.isenabled()


def test_after_a_headless_replay_the_exit_scans_no_garbage(data_dir):
    """At its exit the interpreter collects garbage once more: after a headless replay, what is
    alive is frozen first (the exit's atexit functions run last-registered first, so this probe,
    registered before the replay, sees it)."""
    probe = (
        "import atexit, gc, io, sys\n"
        "from contextlib import redirect_stdout\n"
        "from monitor.cli import main\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count(), file=sys.stderr))\n"
        "with redirect_stdout(io.StringIO()):\n"
        f"    main(['replay', '--headless', '{data_dir / 'daily/rut_last400.csv'}'])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    frozen = [line for line in done.stderr.splitlines() if line.startswith("frozen")]
    assert done.returncode == 0 and len(frozen) == 1, done.stderr
    assert int(frozen[0].split()[1]) > 400  # the rows of the 400 sessions at least


def test_without_headless_the_app_opens_or_the_error_says_use_headless(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "monitor.tui.app", None)  # the app cannot be imported
    code, _, err = run_cli(capsys, "replay", str(write(tmp_path, "x.csv", DAILY)))
    assert code == 2 and "--headless" in err
    code, _, err = run_cli(capsys, "replay", "--indicators-csv", str(tmp_path / "i.csv"), str(tmp_path / "x.csv"))
    assert code == 2 and "--indicators-csv is written by a headless replay; add --headless" in err


def test_notify_passes_alerts_through_the_delivery(tmp_path, capsys, monkeypatch):
    import monitor.delivery as delivery_module

    seen, closed = [], []

    class FakeDelivery:
        def __init__(self, config, **kwargs):
            self.config = config

        def handle(self, alerts):
            seen.extend(alerts)
            return list(alerts)

        def close(self, timeout: float = 5.0) -> bool:
            closed.append(True)
            return True

    monkeypatch.setattr(delivery_module, "Delivery", FakeDelivery)
    # outside the 0.5 % approach bands of 2500, so level_cross is the only rule that fires
    path = write(tmp_path, "x.csv", "date,open,high,low,close\n2026-01-05,2480,2480,2480,2480\n2026-01-06,2520,2520,2520,2520\n")
    code, lines, _ = run_cli(capsys, "replay", "--headless", "--notify", f"^RUT={path}")
    assert code == 0 and len(lines) == 1
    assert [a.rule for a in seen] == ["level_cross"] and closed == [True]


def test_paced_headless_replay_gives_the_same_alerts(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "x.csv", "date,open,high,low,close\n2026-01-05,2480,2480,2480,2480\n2026-01-06,2520,2520,2520,2520\n")
    slept = []

    async def fake_sleep(seconds):
        slept.append(seconds)

    import asyncio

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    code, lines, _ = run_cli(capsys, "replay", "--headless", "--speed", "1e9", f"^RUT={path}")
    assert code == 0 and [json.loads(line)["rule"] for line in lines] == ["level_cross"]


# --------------------------------------------------------------------------------------------
# --indicators-csv against TA-Lib


def test_indicators_csv_matches_talib_on_real_data(data_dir, tmp_path, capsys):
    import talib  # the test extra installs it: a missing oracle is a failure, not a skip
    out = tmp_path / "ind.csv"
    source = data_dir / "daily" / "rut_1987-1992.csv"
    code, _, err = run_cli(capsys, "replay", "--headless", "--indicators-csv", str(out), f"^RUT={source}")
    assert code == 0 and "1,344 rows" in err
    with open(out, newline="") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == indicator_columns(Config())
        rows = list(reader)
    data = [line.split(",") for line in source.read_text().splitlines()[1:]]
    assert [r[0] for r in rows] == [d[0] for d in data] and {r[1] for r in rows} == {"^RUT"}
    column = {name: i for i, name in enumerate(INDICATOR_COLUMNS)}

    def values(name):
        return np.array([float(r[column[name]]) if r[column[name]] else math.nan for r in rows])

    high, low, close = (np.array([float(d[i]) for d in data]) for i in (2, 3, 4))
    assert np.array_equal(values("close"), close) and np.array_equal(values("high"), high)
    macd, signal, hist = talib.MACD(close, 12, 26, 9)
    expected = {
        "sma_fast": talib.SMA(close, 50), "sma_slow": talib.SMA(close, 200), "ema_slow": talib.EMA(close, 26),
        "macd": macd, "macd_signal": signal, "macd_hist": hist, "rsi": talib.RSI(close, 14),
        "high_n": talib.MAX(high, 252), "low_n": talib.MIN(low, 252),
    }
    for name, want in expected.items():
        got = values(name)
        defined = ~np.isnan(want)
        assert np.array_equal(np.isnan(got[defined]), np.zeros(defined.sum(), bool)), f"{name} undefined where TA-Lib is defined"
        assert np.allclose(got[defined], want[defined], rtol=1e-9, atol=1e-9), name
        assert np.isnan(got[: np.argmax(defined)]).all(), f"{name} defined during TA-Lib's warm-up"
    ema_fast = values("ema_fast")
    both = ~np.isnan(ema_fast) & ~np.isnan(macd)
    assert np.allclose(ema_fast[both] - values("ema_slow")[both], macd[both], rtol=1e-9, atol=1e-9)
    # full precision: repr round-trips
    assert rows[-1][column["close"]] == repr(float(close[-1]))


# --------------------------------------------------------------------------------------------
# ReplayFeed


async def test_replay_feed_paces_data_time_with_gaps_capped_at_an_hour(tmp_path):
    series = load_series(write(tmp_path, "x.csv", DAILY), "X")
    now = [0.0]
    slept = []

    async def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    feed = ReplayFeed([series], speed=3600.0, clock=lambda: now[0], sleep=sleep)
    events, yielded_at = [], []
    async for event in feed.events():
        events.append(event)
        yielded_at.append(now[0])
    assert isinstance(events[0], FeedStatus) and events[0].state is FeedState.REPLAY and feed.source == "replay"
    assert not any(isinstance(e, SymbolInfo) for e in events)  # a file name is no display name
    assert isinstance(events[-1], FeedStatus) and events[-1].state is FeedState.ENDED
    batches = [e for e in events if isinstance(e, list)]
    assert len(batches) == 8
    # 09:30->11:00 is 1.5 h of data (capped at 1 h), 11:00->14:00 3 h (1 h), 14:00->16:00 2 h (1 h),
    # overnight (1 h), ...: each one second at 3600x, slept in slices of at most MAX_WAIT (the
    # speed keys act at once)
    batch_times = [at for at, e in zip(yielded_at, events) if isinstance(e, list)]
    assert [b - a for a, b in zip(batch_times, batch_times[1:])] == pytest.approx([1.0] * 7)
    assert max(slept) <= MAX_WAIT


def _paced(series_list, now, slept, on_sleep=None, limit=400):
    """A ReplayFeed at 3600x on a fake clock that moves only when the feed sleeps; ``on_sleep(n)``
    is called at each sleep (the keys a user presses meanwhile); closed after ``limit`` sleeps."""

    async def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds
        if on_sleep:
            on_sleep(len(slept))
        if len(slept) >= limit:
            await feed.aclose()

    feed = ReplayFeed(series_list, speed=3600.0, clock=lambda: now[0], sleep=sleep)
    return feed


async def _drive(feed, now):
    """(clock time, batch) for each batch ``feed`` gives until it ends or is closed."""
    out = []
    async for event in feed.events():
        out.append((now[0], event))
    return [(at, e) for at, e in out if isinstance(e, list)]


async def test_replay_feed_speed_keys_act_in_the_middle_of_a_wait(tmp_path):
    series = load_series(write(tmp_path, "x.csv", DAILY), "X")
    now = [0.0]
    # Halfway through the first one-second wait: twice as fast, so the other half takes 0.25 s.
    feed = _paced([series], now, [], on_sleep=lambda n: n == 2 and feed.faster())
    batches = await _drive(feed, now)
    times = [at for at, _ in batches]
    assert times[1] - times[0] == pytest.approx(0.75) and times[2] - times[1] == pytest.approx(0.5)
    assert feed.speed == 7200.0
    feed.slower(), feed.slower()
    assert feed.speed == 1800.0
    feed.speed = MAX_SPEED
    feed.faster()
    assert feed.speed is None  # past MAX_SPEED: as fast as possible
    feed.slower()
    assert feed.speed == MAX_SPEED


async def test_replay_feed_steps_one_session_when_paused_and_plays_to_the_end(tmp_path):
    three = DAILY + "2026-01-07,92,93,91,92.5,1500\n"
    series = load_series(write(tmp_path, "x.csv", three), "X")
    now = [0.0]
    feed = _paced([series], now, [], limit=50)  # pauses after the session, until closed
    feed.paused = True
    feed.step_session()
    batches = await _drive(feed, now)
    assert [Tick(*b[0]).price for _, b in batches] == [100.0, 95.0, 110.0, 105.0]  # 2026-01-05 only
    assert feed.paused

    now, slept = [0.0], []
    feed = _paced([series], now, slept, on_sleep=lambda n: n == 1 and feed.play_to_end())
    batches = await _drive(feed, now)
    assert len(batches) == 12 and len(slept) == 1  # after the first slice: no more waits
    assert feed.speed is None and not feed.paused


async def test_replay_feed_unpaced_and_closed(tmp_path):
    series = load_series(write(tmp_path, "x.csv", DAILY), "X")
    slept = []

    async def sleep(seconds):
        slept.append(seconds)

    feed = ReplayFeed([series], speed=None, sleep=sleep)
    seen = 0
    async for event in feed.events():
        if isinstance(event, list):
            seen += 1
            if seen == 3:
                await feed.aclose()
    assert seen == 3 and slept == []


def test_intraday_volume_runs_per_session_and_bars_get_the_day_volume(tmp_path):
    path = write(tmp_path, "i.csv", "timestamp,open,high,low,close,volume\n"
                 "2026-01-05T15:58:00-05:00,1,1,1,1,10\n2026-01-05T15:59:00-05:00,1,1,1,1,5\n"
                 "2026-01-06T09:30:00-05:00,1,1,1,1,7\n2026-01-06T09:31:00-05:00,1,1,1,1,,\n".replace(",,\n", ",\n"))
    series = load_series(path, "X")
    closes = [Tick(*batch[0]).volume for i, batch in enumerate(replay_batches([series])) if i % 4 == 3]
    assert closes == [10.0, 15.0, 7.0, 7.0]
    from monitor.state import MarketState

    st = MarketState(Config(symbols=("X",), levels=()))
    for batch in replay_batches([series]):
        st.apply(batch)
    st.finish()
    assert [bar.volume for bar in st.symbols["X"].daily] == [15.0, 7.0]


def test_daily_fast_merge_equals_the_general_merge(data_dir, tmp_path):
    """Daily files are merged date by date; the general tick-by-tick merge must agree."""
    from dataclasses import replace

    series = [
        load_series(slice_of(data_dir, tmp_path, "daily/rut_last400.csv", 200), "^RUT"),
        load_series(slice_of(data_dir, tmp_path, "daily/spx_last400.csv", 300), "^GSPC"),
        load_series(slice_of(data_dir, tmp_path, "daily/ndx_last400.csv", 250), "^NDX"),
    ]
    fast = list(replay_batches(series))
    general = list(replay_batches([replace(s, kind="intraday") for s in series]))  # same offsets
    assert fast == general
    assert sum(len(batch) for batch in fast) == 4 * (200 + 300 + 250)


def test_a_file_that_ends_early_does_not_hold_back_the_other_files_alerts(tmp_path, monkeypatch):
    """A's data ends on 01-05 with its bar still forming; B's level cross on 01-07 must be written
    when it happens in a paced replay, not after the last sleep (and A's bar still commits)."""
    import asyncio
    import io

    from monitor.replay_run import run_headless_replay

    a = write(tmp_path, "a.csv", "date,open,high,low,close\n2026-01-05,1,1,1,1\n")
    b = write(tmp_path, "b.csv", "date,open,high,low,close\n" + "".join(
        f"2026-01-{day:02d},{p},{p},{p},{p}\n" for day, p in ((5, 2490), (6, 2490), (7, 2510), (8, 2510), (9, 2510))))
    log = []

    class Out(io.StringIO):
        def write(self, text):
            log.append(json.loads(text)["rule"])
            return len(text)

    async def fake_sleep(seconds):
        log.append("sleep")

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    config = Config(symbols=("A", "^RUT"))
    csv_path = tmp_path / "ind.csv"
    code = run_headless_replay(config, [load_series(a, "A"), load_series(b, "^RUT")], speed=1.0,
                               indicators_csv=str(csv_path), out=Out(), err=io.StringIO())
    assert code == 0
    cross = log.index("level_cross")
    assert log[cross + 1:].count("sleep") >= 8  # the 01-08 and 01-09 ticks were still to come
    bars = [line.split(",")[:2] for line in csv_path.read_text().splitlines()[1:]]
    assert ["2026-01-05", "A"] in bars and len(bars) == 6
