"""The new rules on real history (tests/data, 2016-2026) against independent numpy / TA-Lib
computations: the engine's alerts and --indicators-csv columns must be exactly what a direct
calculation over the same closes gives."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import talib

from monitor.config import Config
from monitor.replay_run import run_headless_replay
from monitor.series import load_all

DATA = Path(__file__).parent / "data" / "daily"
FILES = {"^RUT": "rut_2016-2026.csv", "^GSPC": "spx_2016-2026.csv", "^NDX": "ndx_2016-2026.csv"}


def read(name: str) -> dict[str, np.ndarray]:
    with open(DATA / name, newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = {key: np.array([float(r[key]) for r in rows]) for key in ("open", "high", "low", "close")}
    out["date"] = np.array([r["date"] for r in rows])
    return out


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    """(alerts as dicts, indicators CSV rows) of the default config over the three files."""
    csv_path = tmp_path_factory.mktemp("signals") / "ind.csv"
    out, err = io.StringIO(), io.StringIO()
    series = load_all([f"{symbol}={DATA / name}" for symbol, name in FILES.items()])
    assert run_headless_replay(Config(), series, indicators_csv=str(csv_path), out=out, err=err) == 0
    alerts = [json.loads(line) for line in out.getvalue().splitlines()]
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return alerts, rows


@pytest.fixture(scope="module")
def bars():
    return {symbol: read(name) for symbol, name in FILES.items()}


def of(alerts, rule, symbol="^RUT"):
    return [a for a in alerts if a["rule"] == rule and a["symbol"] == symbol]


def test_relative_strength_matches_a_direct_computation(replay, bars):
    alerts, _ = replay
    lead = bars["^RUT"]
    expected = []
    for peer_name in ("^GSPC", "^NDX"):
        peer = bars[peer_name]
        n = len(lead["close"])  # ^RUT's file ends first; the dates agree up to there
        assert (peer["date"][:n] == lead["date"]).all()
        lc, pc = lead["close"], peer["close"][:n]
        rs = np.full(n, np.nan)
        rs[21:] = (lc[21:] / lc[:-21] - pc[21:] / pc[:-21]) * 10000.0
        side = None
        for t in range(21, n):
            v = rs[t]
            if side is None:
                side = "above" if v >= 300 else "below" if v <= -300 else "neutral"
            elif v >= 300 and side != "above":
                side = "above"
                expected.append((str(lead["date"][t]), peer_name, "up", v))
            elif v <= -300 and side != "below":
                side = "below"
                expected.append((str(lead["date"][t]), peer_name, "down", v))
            elif (side == "above" and v < 150) or (side == "below" and v > -150):
                side = "neutral"
    got = [(a["time"][:10], a["peer"], a["direction"], a["spread_bp"]) for a in of(alerts, "relative_strength")]
    assert sorted(got) == sorted(expected)
    assert ("2026-01-02", "^NDX", "up") in [g[:3] for g in got]  # +312 bp from 2025-12-02
    assert all(a["sessions"] == 21 for a in of(alerts, "relative_strength"))


def test_price_rsi_divergence_matches_talib_rsi_and_a_direct_search(replay, bars):
    alerts, _ = replay
    b = bars["^RUT"]
    close, rsi = b["close"], talib.RSI(b["close"], 14)
    expected = []
    bear_prev = bull_prev = False
    for t in range(20, len(close)):
        window = close[t - 20:t]
        j = t - 20 + (len(window) - 1 - int(np.argmax(window[::-1])))  # latest highest
        k = t - 20 + (len(window) - 1 - int(np.argmin(window[::-1])))  # latest lowest
        bear = bool(close[t] > close[j] and rsi[t] <= rsi[j] - 5)
        bull = bool(close[t] < close[k] and rsi[t] >= rsi[k] + 5)
        if bear and not bear_prev:
            expected.append((str(b["date"][t]), "down", str(b["date"][j])))
        if bull and not bull_prev:
            expected.append((str(b["date"][t]), "up", str(b["date"][k])))
        bear_prev, bull_prev = bear, bull
    got = [(a["time"][:10], a["direction"], a["previous_date"]) for a in of(alerts, "price_rsi_divergence")]
    assert got == expected
    years = (len(close) - 20) / 252
    assert 2.0 <= len(got) / years <= 4.0  # "about 3 a year on ^RUT"


def test_change_and_spread_columns_match_numpy(replay, bars):
    _, rows = replay
    for symbol, b in bars.items():
        close = b["close"]
        mine = [r for r in rows if r["symbol"] == symbol]
        assert [r["date"] for r in mine] == list(b["date"])
        for column, n in (("chg_1w", 5), ("chg_1m", 21)):
            got = np.array([float(r[column]) if r[column] else np.nan for r in mine])
            want = np.full(len(close), np.nan)
            want[n:] = (close[n:] / close[:-n] - 1.0) * 100.0
            np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
        years = np.array([d[:4] for d in b["date"]])
        want = np.full(len(close), np.nan)
        for t in range(len(close)):
            before = np.nonzero(years[:t] < years[t])[0]
            if len(before):
                want[t] = (close[t] / close[before[-1]] - 1.0) * 100.0
        got = np.array([float(r["chg_ytd"]) if r["chg_ytd"] else np.nan for r in mine])
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
        if symbol != "^RUT":
            assert all(r["rs_^GSPC"] == r["rs_^NDX"] == "" for r in mine)
    lead = bars["^RUT"]["close"]
    rut_rows = [r for r in rows if r["symbol"] == "^RUT"]
    for peer in ("^GSPC", "^NDX"):
        pc = bars[peer]["close"][: len(lead)]
        want = np.full(len(lead), np.nan)
        want[21:] = (lead[21:] / lead[:-21] - pc[21:] / pc[:-21]) * 10000.0
        got = np.array([float(r[f"rs_{peer}"]) if r[f"rs_{peer}"] else np.nan for r in rut_rows])
        np.testing.assert_allclose(got, want, rtol=1e-9, equal_nan=True)


def test_zone_cross_on_the_real_resistance_range(replay, bars):
    alerts, _ = replay
    b = bars["^RUT"]
    low, high = 2580.0, 2600.0
    h = Config().rules.hysteresis_pct / 100.0
    up_low, up_high, down_low, down_high = (float(f"{x:.12g}") for x in (low * (1 + h), high * (1 + h), low * (1 - h), high * (1 - h)))
    region, expected = None, []
    for day, o, h, l, c in zip(b["date"], b["open"], b["high"], b["low"], b["close"]):
        for p in ((o, l, h, c) if c >= o else (o, h, l, c)):  # the replay's four ticks of a bar
            if region is None:
                region = "below" if p < low else "above" if p > high else "inside"
            elif region != "above" and p > up_high:
                region = "above"
                expected.append((str(day), "broke_above", p))
            elif region != "below" and p < down_low:
                region = "below"
                expected.append((str(day), "broke_below", p))
            elif region == "below" and p > up_low or region == "above" and p < down_high:
                region = "inside"
                expected.append((str(day), "entered", p))
    got = [(a["time"][:10], a["event"], a["price"]) for a in of(alerts, "zone_cross")]
    assert got == expected
    assert ("2025-12-11", "entered", 2593.89) in got  # rejected inside the range
    assert [g for g in got if g[1] == "broke_above"][0][0] == "2026-01-08"  # the breakout


def test_new_high_all_time_flag_matches_the_running_maximum(replay, bars):
    alerts, _ = replay
    b = bars["^RUT"]
    highs = {str(d): float(np.max(b["high"][:i])) if i else -np.inf for i, d in enumerate(b["date"])}
    flagged = [a for a in of(alerts, "new_high")]
    assert flagged and all(a["all_time"] == (a["price"] > highs[a["time"][:10]]) for a in flagged)
    # an all-time alert's previous_high is the record it beat, not the 52-week high
    assert all(a["previous_high"] == highs[a["time"][:10]] for a in flagged if a["all_time"])
    assert any(a["all_time"] for a in flagged) and not all(a["all_time"] for a in flagged)
    first_2025 = next(a for a in flagged if a["time"].startswith("2025") and a["all_time"])
    assert first_2025["time"][:10] == "2025-09-18" and "all-time high" in first_2025["message"]
    assert first_2025["previous_date"] == str(b["date"][int(np.argmax(b["high"][: list(map(str, b["date"])).index("2025-09-18")]))])
