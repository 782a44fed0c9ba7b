"""``market-monitor study``: the alerts it studies are ``replay --headless``'s, its arithmetic
matches an independent pandas computation from those alerts and the CSV, bad input gets replay's
one-line errors, and the table is honest (few alerts, overlapping windows, 80 columns).

Data: the shipped demo files (two years of ^RUT, ^GSPC and ^NDX, in the repository)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.cli import main
from monitor.config import Config, Rules
from monitor.errors import UserError
from monitor.series import load_all
from monitor.study import (
    FEW_ALERTS,
    HORIZON_FIELDS,
    default_series,
    format_table,
    parse_horizons,
    replay_for_study,
    run_study,
    study,
)

DATA = Path(__file__).resolve().parent.parent / "monitor" / "data"
FILES = [f"^RUT={DATA / 'rut.csv'}", f"^GSPC={DATA / 'spx.csv'}", f"^NDX={DATA / 'ndx.csv'}"]
CSV_OF = {"^RUT": DATA / "rut.csv", "^GSPC": DATA / "spx.csv", "^NDX": DATA / "ndx.csv"}
HORIZONS = (5, 21, 63, 126, 252)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------------------------
# The same engine


def test_the_alerts_studied_are_replay_headless_alerts_in_the_same_order(capsys):
    code, out, _ = run(["replay", "--headless", *FILES], capsys)
    assert code == 0
    replayed = replay_for_study(Config(), load_all(FILES))
    assert [alert.to_json() for alert in replayed.alerts] == out.splitlines()
    rules = {alert.rule for alert in replayed.alerts}
    assert {"level_cross", "ma_cross", "new_high", "relative_divergence"} <= rules
    # every alert lands in exactly one row
    result = study(replayed, HORIZONS)
    assert sum(row.count for row in result.rows) == len(replayed.alerts)


def test_the_bars_studied_are_the_files_sessions():
    replayed = replay_for_study(Config(), load_all(FILES))
    frame = pd.read_csv(DATA / "rut.csv")
    sessions = replayed.sessions["^RUT"]
    assert [d.isoformat() for d in sessions.days] == list(frame["date"])
    assert sessions.closes == list(frame["close"]) and sessions.lows == list(frame["low"])


# --------------------------------------------------------------------------------------------
# The arithmetic, against pandas


def expected_rows(alert_lines: list[str], start: str | None, end: str | None) -> dict[tuple, dict]:
    """Every row's numbers computed with pandas from the alert JSON and the CSV files."""
    alerts = pd.DataFrame([json.loads(line) for line in alert_lines])
    alerts["day"] = [pd.Timestamp(t).date().isoformat() for t in alerts["time"]]  # New York offsets
    if "level" not in alerts:
        alerts["level"] = np.nan
    rows = {}
    for symbol, path in CSV_OF.items():
        bars = pd.read_csv(path)
        in_range = pd.Series(True, index=bars.index)
        if start:
            in_range &= bars["date"] >= start
        if end:
            in_range &= bars["date"] <= end
        span = bars[in_range]
        years = (date.fromisoformat(span["date"].iloc[-1]) - date.fromisoformat(span["date"].iloc[0])).days / 365.25
        position = pd.Series(bars.index, index=bars["date"])
        mine = alerts[(alerts["symbol"] == symbol) & alerts["day"].isin(span["date"])]
        for (rule, direction, level), group in mine.groupby(["rule", "direction", "level"], dropna=False):
            entries = np.sort(position[group["day"]].to_numpy())
            horizons = {}
            for h in HORIZONS:
                forward = bars["close"].shift(-h) / bars["close"] * 100 - 100
                lowest = bars["low"][::-1].rolling(h).min()[::-1].shift(-1)  # lows of sessions i+1 .. i+h
                excursion = lowest / bars["close"] * 100 - 100
                base = forward[in_range].dropna()
                usable = entries[entries + h < len(bars)]
                returns = forward.iloc[usable]
                stats = {
                    "n": len(usable),
                    "baseline_mean_pct": base.mean(),
                    "baseline_positive_pct": (base > 0).mean() * 100,
                    "overlapping": int((np.diff(usable) < h).sum()),
                }
                if len(usable):
                    stats.update(
                        mean_pct=returns.mean(),
                        median_pct=returns.median(),
                        positive_pct=(returns > 0).mean() * 100,
                        mae_median_pct=excursion.iloc[usable].median(),
                        edge_pct=returns.mean() - base.mean(),
                    )
                horizons[str(h)] = stats
            key = (symbol, rule, direction, None if pd.isna(level) else float(level))
            rows[key] = {"count": len(group), "per_year": len(group) / years, "horizons": horizons}
    return rows


@pytest.mark.parametrize("window", [(None, None), ("2024-09-03", "2025-10-31")])
def test_study_json_matches_an_independent_pandas_computation(capsys, window):
    start, end = window
    code, alert_out, _ = run(["replay", "--headless", *FILES], capsys)
    assert code == 0
    argv = ["study", *FILES, "--json"] + (["--from", start, "--to", end] if start else [])
    code, out, err = run(argv, capsys)
    assert code == 0 and err.startswith("data: ^RUT from rut.csv")
    got = [json.loads(line) for line in out.splitlines()]
    expected = expected_rows(alert_out.splitlines(), start, end)
    assert {(r["symbol"], r["rule"], r["direction"], r.get("level")) for r in got} == set(expected)
    compared = 0
    for row in got:
        # a level's or a zone's fields (the default zone on ^RUT fires zone_cross too)
        assert set(row) - {"level", "low", "high", "label"} == {"symbol", "rule", "direction", "count", "per_year", "few", "horizons"}
        want = expected[(row["symbol"], row["rule"], row["direction"], row.get("level"))]
        assert row["count"] == want["count"] and row["few"] == (row["count"] < FEW_ALERTS)
        assert row["per_year"] == pytest.approx(want["per_year"], rel=1e-12)
        assert list(row["horizons"]) == [str(h) for h in HORIZONS]
        for h, stats in row["horizons"].items():
            assert set(stats) == set(HORIZON_FIELDS)
            for name, value in want["horizons"][h].items():
                assert stats[name] == pytest.approx(value, rel=1e-9, abs=1e-9), (row["rule"], h, name)
                compared += 1
            if not stats["n"]:
                assert stats["mean_pct"] is None and stats["edge_pct"] is None
    assert compared > 500


def test_to_ends_the_entries_not_the_returns(tmp_path, capsys):
    """Alerts up to --to are measured with the sessions after it; cutting the files there would
    leave the last alerts without their 5 later sessions."""
    code, out, _ = run(["study", *FILES, "--json", "--to", "2026-02-06", "--horizons", "5"], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert all(r["horizons"]["5"]["n"] == r["count"] for r in rows)
    cut = []
    for arg in FILES:
        symbol, _, path = arg.partition("=")
        lines = Path(path).read_text().splitlines()
        short = tmp_path / Path(path).name
        short.write_text("\n".join(lines[:1] + [line for line in lines[1:] if line[:10] <= "2026-02-06"]) + "\n")
        cut.append(f"{symbol}={short}")
    code, out, _ = run(["study", *cut, "--json", "--horizons", "5"], capsys)
    short_rows = [json.loads(line) for line in out.splitlines()]
    assert [r["count"] for r in short_rows] == [r["count"] for r in rows]
    assert any(r["horizons"]["5"]["n"] < r["count"] for r in short_rows)


def test_annualised_only_when_asked(capsys):
    code, out, _ = run(["study", FILES[0], "--json", "--horizons", "63"], capsys)
    row = json.loads(out.splitlines()[0])
    assert "annualised_mean_pct" not in row["horizons"]["63"]
    code, out, _ = run(["study", FILES[0], "--json", "--horizons", "63", "--annualised"], capsys)
    stats = json.loads(out.splitlines()[0])["horizons"]["63"]
    assert stats["annualised_mean_pct"] == pytest.approx(((1 + stats["mean_pct"] / 100) ** 4 - 1) * 100)
    assert stats["annualised_baseline_mean_pct"] == pytest.approx(((1 + stats["baseline_mean_pct"] / 100) ** 4 - 1) * 100)


def test_csv_is_flat_one_line_per_row_and_horizon(capsys):
    code, out, _ = run(["study", *FILES, "--csv", "--horizons", "5,21"], capsys)
    assert code == 0
    lines = list(csv.DictReader(io.StringIO(out)))
    code, json_out, _ = run(["study", *FILES, "--json", "--horizons", "5,21"], capsys)
    rows = [json.loads(line) for line in json_out.splitlines()]
    assert len(lines) == 2 * len(rows)
    first = lines[0]
    assert first["horizon"] == "5" and first["symbol"] == rows[0]["symbol"] and first["level"] == "2500.0"
    assert float(first["mean_pct"]) == rows[0]["horizons"]["5"]["mean_pct"]
    empty = [line for line in lines if line["n"] == "0"]
    assert all(line["mean_pct"] == "" for line in empty)


# --------------------------------------------------------------------------------------------
# The table


def test_table_fits_80_columns_and_flags_few_alerts_and_overlaps(capsys):
    code, out, _ = run(["study", *FILES], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "data: ^RUT from rut.csv, ^GSPC from spx.csv, ^NDX from ndx.csv"
    assert max(map(len, lines)) <= 80
    assert any(line.startswith("^RUT: 2024-02-20 .. 2026-02-23, 504 sessions (2.0 years)") for line in lines)
    ma_up = lines.index(next(line for line in lines if line.startswith("ma_cross up")))
    assert lines[ma_up + 2].startswith("  few alerts")  # one golden cross per index in two years
    assert "+5 " in lines[ma_up] + " "  # few: whole percents, no false precision
    divergence = next(line for line in lines if line.startswith("relative_divergence down"))
    assert "~" in divergence and "." in divergence
    assert any(line.startswith("few alerts: fewer than 10") for line in lines)
    assert any(line.startswith("~: at least half") for line in lines)
    assert "Nothing is annualised" in out


def test_wide_table_has_every_statistic_on_one_line(capsys):
    code, out, _ = run(["study", FILES[0], "--wide", "--horizons", "5,21"], capsys)
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("rule"))
    assert header.split() == ["rule", "count", "/yr"] + ["n", "mean", "med", "pos%", "mae", "edge"] * 2
    row = next(line for line in lines if line.startswith("new_high up"))
    assert len(row.split()) == 4 + 12  # rule, direction, count, /yr, 6 per horizon


def test_a_horizon_with_few_alerts_behind_it_is_in_whole_percents_too(capsys):
    """A row of 10 alerts or more, but fewer than 10 with 400 later sessions: that horizon's
    numbers rest on a handful of samples and get no decimals (the other horizon keeps them)."""
    result = study(replay_for_study(Config(), load_all(FILES)), (5, 400))
    row = next(r for r in result.rows if r.rule == "relative_divergence" and r.direction == "up")
    assert not row.few and row.horizons[5]["n"] >= FEW_ALERTS and 0 < row.horizons[400]["n"] < FEW_ALERTS
    lines = format_table(result).splitlines()
    i = lines.index(next(line for line in lines if line.startswith("relative_divergence up")))
    for line in lines[i : i + 2]:  # mean, edge
        five, four_hundred = line.split()[-2:]
        assert "." in five and "." not in four_hundred, line
    assert any(line.startswith("Whole percents also where fewer than 10") for line in lines)
    wide = format_table(result, wide=True).splitlines()
    cells = next(line for line in wide if line.startswith("relative_divergence up")).split()[5:]
    assert "." in cells[1] and "." not in cells[7]  # mean at 5 and at 400 sessions


def test_few_threshold_and_overlap_count():
    # breakout_gap 1: every new 52-week high alerts, enough of them not to be "few"
    replayed = replay_for_study(Config(rules=Rules(breakout_gap=1)), load_all(FILES[:1]))
    result = study(replayed, (5,))
    rows = {(r.rule, r.direction, r.subject.get("level")): r for r in result.rows}
    assert rows[("new_high", "up", None)].count >= FEW_ALERTS and not rows[("new_high", "up", None)].few
    assert rows[("ma_cross", "up", None)].few
    text = format_table(result)
    assert "few alerts" in text


# --------------------------------------------------------------------------------------------
# Bad input: replay's errors


@pytest.mark.parametrize(
    "text",
    [
        "date,open,high,low,close\n2026-01-05,1,2,0.5,1.5\n2026-01-06,1,x,0.5,1.5\n",
        "date,open,high,low,close\n2026-01-05,1,2,3,1.5\n",
        "date,open,high,low,close\n2026-01-05,1,2,0.5,1.5\n2026-01-06,1,2,0.5,0\n2026-01-07,1,2,0.5,1.5\n",  # a close of 0
        "nonsense\n",
        "",
    ],
)
def test_bad_csv_gets_the_same_one_line_error_as_replay(tmp_path, capsys, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    replay = run(["replay", "--headless", f"^RUT={path}"], capsys)
    studied = run(["study", f"^RUT={path}"], capsys)
    assert studied[0] == replay[0] == 2
    assert studied[2] == replay[2] and studied[2].count("\n") == 1 and str(path) in studied[2]


def test_missing_file_and_missing_config_as_replay(tmp_path, capsys):
    for extra in ([str(tmp_path / "nope.csv")], ["--config", str(tmp_path / "nope.toml"), FILES[0]]):
        replay = run(["replay", "--headless", *extra], capsys)
        studied = run(["study", *extra], capsys)
        assert studied[0] == replay[0] == 2 and studied[2] == replay[2]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--horizons", "5,x"], "--horizons: expected whole numbers of sessions above 0 such as 5,21,63, got '5,x'"),
        (["--horizons", "0"], "--horizons: expected whole numbers"),
        (["--from", "2025-13-01"], "--from: expected a date such as 2026-01-02, got '2025-13-01'"),
        (["--from", "2025-06-01", "--to", "2025-01-01"], "--from 2025-06-01 is after --to 2025-01-01"),
        (["--from", "2030-01-01"], "no sessions between 2030-01-01 and the end of the data"),
    ],
)
def test_bad_options_are_one_line_errors(capsys, argv, message):
    code, out, err = run(["study", FILES[0], *argv], capsys)
    assert code in (1, 2) and out == ""
    assert err.startswith(f"market-monitor: error: {message}") and err.count("\n") == 1


def test_horizons_are_sorted_and_unique():
    assert parse_horizons("21,5,21") == (5, 21)
    assert parse_horizons(None) == HORIZONS
    with pytest.raises(UserError):
        parse_horizons("")


def test_json_and_csv_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        main(["study", FILES[0], "--json", "--csv"])
    assert "not allowed with argument" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# No files: the cached history, else the demo data


def test_no_files_and_no_cache_studies_the_demo_data_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MARKET_MONITOR_CACHE", str(tmp_path))
    monkeypatch.setenv("MARKET_MONITOR_BACKFILL", "cache")
    code, out, err = run(["study", "--json", "--horizons", "5"], capsys)
    assert code == 0
    assert err.startswith("data: the shipped demo data (^RUT from rut.csv, ^GSPC from spx.csv, ^NDX from ndx.csv): ")
    assert "no cached history of ^RUT, ^GSPC, ^NDX" in err
    code, files_out, _ = run(["study", *FILES, "--json", "--horizons", "5"], capsys)
    assert out == files_out


def test_no_files_studies_the_cached_history_of_the_configured_symbols(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MARKET_MONITOR_CACHE", str(tmp_path))
    monkeypatch.setenv("MARKET_MONITOR_BACKFILL", "cache")
    config = tmp_path / "config.toml"
    config.write_text('symbols = ["^RUT"]\n')
    (tmp_path / "history").mkdir()
    shutil.copy(DATA / "rut.csv", tmp_path / "history" / "_RUT-1d-max.csv")
    code, out, err = run(["study", "--config", str(config), "--json", "--horizons", "5"], capsys)
    assert code == 0
    assert err == "data: the cached history of ^RUT from _RUT-1d-max.csv\n"
    code, files_out, _ = run(["study", "--config", str(config), FILES[0], "--json", "--horizons", "5"], capsys)
    assert out == files_out


RUT_SINCE_1987 = [Path(__file__).resolve().parent / "data" / "daily" / name for name in ("rut_1987-1992.csv", "rut_2016-2026.csv")]


def study_clock() -> float:
    from datetime import datetime, time

    from monitor.model import NEW_YORK

    return datetime.combine(date(2026, 2, 23), time(18, 0), NEW_YORK).timestamp()  # after the last session


def test_no_files_online_studies_the_whole_history_the_backfill_fetched(tmp_path, monkeypatch):
    from fakes.chart import HistoryYahoo, fake_session, standin_info

    monkeypatch.setenv("MARKET_MONITOR_CACHE", str(tmp_path))
    session, _ = fake_session(HistoryYahoo({"^RUT": RUT_SINCE_1987}))
    config = Config(symbols=("^RUT",))
    series, studied, source = default_series(config, "on", session=session, clock=study_clock, fetch_info=standin_info)
    expected = [row for path in RUT_SINCE_1987 for row in load_all([f"^RUT={path}"])[0].rows]
    [rut] = series
    # every session from 1987-09-10 (3,893), not the live window (the stand-in serves no volumes)
    assert [r[:5] for r in rut.rows] == [r[:5] for r in expected]
    assert source == "data: the cached history of ^RUT from _RUT-1d-max.csv" and studied == config


def test_no_files_offline_and_no_cache_says_so_in_one_line(tmp_path, monkeypatch):
    import requests
    from fakes.chart import standin_info

    def no_dns(symbol, **kwargs):
        raise requests.exceptions.ConnectionError("curl: (6) Could not resolve host: query2.finance.yahoo.com")

    monkeypatch.setenv("MARKET_MONITOR_CACHE", str(tmp_path))
    series, _, source = default_series(Config(symbols=("^RUT",)), "on", fetch=no_dns, clock=study_clock, fetch_info=standin_info)
    assert source == (
        "data: the shipped demo data (^RUT from rut.csv, ^GSPC from spx.csv, ^NDX from ndx.csv): network unreachable: "
        "cannot resolve query2.finance.yahoo.com; history from the cache only; no cached history of ^RUT"
    )
    assert [s.path.name for s in series] == ["rut.csv", "spx.csv", "ndx.csv"]


def test_run_study_reports_progress():
    seen: list[str] = []
    result = run_study(Config(), load_all(FILES), horizons=(5,), progress=seen.append)
    what = "replaying ^RUT from rut.csv, ^GSPC from spx.csv, ^NDX from ndx.csv"
    assert seen[0] == what
    assert seen[1].startswith(what + ": ") and seen[1].endswith(" %")  # 1,024 of 1,512 bars
    assert 60 <= float(seen[1].split(": ")[1][:-2]) <= 75
    assert seen[2].startswith("measuring ") and len(seen) == 3
    assert result.source == "data: ^RUT from rut.csv, ^GSPC from spx.csv, ^NDX from ndx.csv"


def test_the_returns_behind_a_row_are_its_mean():
    result = study(replay_for_study(Config(), load_all(FILES)), (21,))
    row = next(r for r in result.rows if r.rule == "new_high")
    returns = result.returns(row, 21)
    assert len(returns) == row.horizons[21]["n"] and np.mean(returns) == pytest.approx(row.horizons[21]["mean_pct"])
    base = result.baseline_returns(row.symbol, 21)
    assert np.mean(base) == pytest.approx(result.baselines[row.symbol][21]["mean_pct"])
    assert len(base) == result.ranges[row.symbol].sessions - 21


def test_each_level_and_zone_is_its_own_row_read_from_the_alert_fields():
    """Rules only need to put their level or zone in the alert's fields to be studied apart."""
    from monitor.bars import SessionDays
    from monitor.market_hours import session_close
    from monitor.model import Alert
    from monitor.study import Replayed, Sessions, subject_text

    days = [date(2026, 1, d) for d in (5, 6, 7, 8, 9, 12, 13, 14)]
    sessions = Sessions(days, [100.0, 101, 102, 103, 104, 105, 106, 107], [99.0, 100, 95, 102, 103, 104, 105, 106])
    zone = {"low": 2580.0, "high": 2600.0, "label": "resistance", "event": "entered"}
    alerts = [
        Alert(session_close(days[0]), "^RUT", "zone_cross", "up", 1.0, "", dict(zone)),
        Alert(session_close(days[1]), "^RUT", "zone_cross", "up", 1.0, "", dict(zone, event="broke_above")),
        Alert(session_close(days[1]), "^RUT", "zone_cross", "up", 1.0, "", {"low": 2400.0, "high": 2420.0, "label": ""}),
        Alert(session_close(days[2]), "^RUT", "level_cross", "up", 1.0, "", {"level": 2500.0, "label": "support"}),
        Alert(session_close(days[3]), "^RUT", "level_cross", "up", 1.0, "", {"level": 2600.0, "label": "resistance"}),
    ]
    assert SessionDays().lookup(alerts[0].time)[0] == days[0]
    result = study(Replayed(alerts, {"^RUT": sessions}), (1, 2))
    rows = [(r.rule, subject_text(r.subject), r.count) for r in result.rows]
    assert rows == [
        ("level_cross", "2,500 support", 1),
        ("level_cross", "2,600 resistance", 1),
        ("zone_cross", "2,400-2,420", 1),
        ("zone_cross", "2,580-2,600 resistance", 2),  # the zone, whatever the event
    ]
    zone_row = result.rows[3]
    assert zone_row.to_dict()["low"] == 2580.0 and "event" not in zone_row.to_dict()
    # entries on days 0 and 1: 2-session returns 102/100 and 103/101; lowest lows 95 and 95
    stats = zone_row.horizons[2]
    assert stats["mean_pct"] == pytest.approx((2.0 + (103 / 101 - 1) * 100) / 2)
    assert stats["mae_median_pct"] == pytest.approx(((95 / 100 - 1) * 100 + (95 / 101 - 1) * 100) / 2)
    assert stats["overlapping"] == 1  # one session apart, two-session windows
    assert zone_row.per_year == pytest.approx(2 / (9 / 365.25))
