"""monitor.view against the state itself: the values the widgets show, from a MarketState fed
real history (tests/data), checked against independent numpy / TA-Lib computations over the same
closes. The view reads the state's attributes by name, so a renamed core attribute fails here."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pytest
import talib

from monitor.config import Config, Level
from monitor.market_hours import MarketClock, ny_epoch
from monitor.model import NEW_YORK
from monitor.series import load_all, replay_batches
from monitor.state import MarketState
from monitor import view

DATA = Path(__file__).parent / "data" / "daily"
FILES = {"^RUT": "rut_last400.csv", "^GSPC": "spx_last400.csv", "^NDX": "ndx_last400.csv"}
CONFIG = Config()


def read(name: str) -> dict[str, np.ndarray]:
    """The file's columns (date as text, the prices as float64)."""
    table = np.genfromtxt(DATA / name, delimiter=",", names=True, dtype=None, encoding="utf-8")
    return {key: table[key].astype(str if key == "date" else float) for key in ("date", "open", "high", "low", "close")}


def fed(config: Config = CONFIG, listener=None) -> MarketState:
    """A state fed the three files to their end (every bar committed); ``listener(state,
    symbol, bar)`` is called at each committed bar."""
    state = MarketState(config, "replay")
    if listener is not None:
        state.bar_listeners.append(lambda symbol, bar: listener(state, symbol, bar))
    for batch in replay_batches(load_all([f"{symbol}={DATA / name}" for symbol, name in FILES.items()])):
        state.apply(batch)
    state.finish()
    return state


@pytest.fixture(scope="module")
def state() -> MarketState:
    return fed()


@pytest.fixture(scope="module")
def rut() -> dict[str, np.ndarray]:
    return read(FILES["^RUT"])


REPLAY = view.Freshness("replay")


def test_a_row_is_the_state_of_its_symbol(state, rut):
    close, high = rut["close"], rut["high"]
    row = view.watch_row(state.symbols["^RUT"], CONFIG, "Russell 2000", REPLAY, 2)
    assert row.symbol == "^RUT" and row.name == "Russell 2000" and row.fresh == REPLAY
    assert row.last == close[-1]
    assert row.change == pytest.approx(close[-1] - close[-2])
    assert row.change_pct == pytest.approx((close[-1] / close[-2] - 1) * 100)
    assert row.sma_fast == pytest.approx(close[-50:].mean()) and row.sma_slow == pytest.approx(close[-200:].mean())
    assert row.rsi == pytest.approx(talib.RSI(close, 14)[-1])
    macd, signal, _ = talib.MACD(close, 12, 26, 9)
    assert row.macd == pytest.approx(macd[-1]) and row.macd_signal == pytest.approx(signal[-1])
    assert row.high_n == high[-252:].max()
    assert row.from_high_pct == pytest.approx((close[-1] / high[-252:].max() - 1) * 100)
    assert (row.day_low, row.day_high) == (rut["low"][-1], high[-1])
    assert row.levels == ((2500.0, "support"), (2600.0, "resistance"))
    assert (row.rsi_overbought, row.rsi_oversold) == (70.0, 30.0)


def test_the_nearest_level_is_the_closest_by_price_with_its_signed_distance(state, rut):
    last = rut["close"][-1]
    row = view.watch_row(state.symbols["^RUT"], CONFIG, "", REPLAY)
    expected = min((2500.0, 2600.0), key=lambda level: abs(level - last))
    assert row.nearest.price == expected
    assert row.nearest.distance_pct == pytest.approx((last / expected - 1) * 100)
    assert view.nearest_level(2549.0, [(2500.0, "s"), (2600.0, "r")]).label == "s"
    assert view.nearest_level(2551.0, [(2500.0, "s"), (2600.0, "r")]) == view.Nearest(2600.0, "r", pytest.approx((2551 / 2600 - 1) * 100))
    assert view.nearest_level(math.nan, [(2500.0, "s")]) is None and view.nearest_level(2500.0, []) is None
    other = view.watch_row(state.symbols["^GSPC"], CONFIG, "", REPLAY)
    assert other.levels == () and other.nearest is None


def test_the_rows_cross_markers_are_the_indicators_crossings(rut):
    """ma_cross / macd_cross on the row at each committed bar are the sign changes of SMA50 -
    SMA200 and MACD - signal computed with TA-Lib: renaming them in the core fails here."""
    seen: dict[str, list[tuple[int, int]]] = {"ma": [], "macd": []}

    def listener(symbol, bar):
        if symbol == "^RUT":
            row = view.watch_row(states[0].symbols["^RUT"], CONFIG, "", REPLAY)
            seen["ma"].append(row.ma_cross)
            seen["macd"].append(row.macd_cross)

    states: list[MarketState] = []
    state = MarketState(CONFIG, "replay")
    states.append(state)
    state.bar_listeners.append(listener)
    for batch in replay_batches(load_all([f"^RUT={DATA / FILES['^RUT']}"])):
        state.apply(batch)
    state.finish()
    close = rut["close"]

    def crossings(d: np.ndarray) -> list[int]:
        out = [0]
        for now, before in zip(d[1:], d[:-1]):
            out.append(1 if now > 0 and before <= 0 else -1 if now < 0 and before >= 0 else 0)
        return out

    ma = crossings(talib.SMA(close, 50) - talib.SMA(close, 200))
    macd, signal, _ = talib.MACD(close, 12, 26, 9)
    assert seen["ma"] == ma and seen["macd"] == crossings(macd - signal)
    assert 1 in seen["macd"] and -1 in seen["macd"] and any(seen["ma"])  # the data has crossings


def test_the_readout_measures_the_last_price_against_each_reference(state, rut):
    close, high, low = rut["close"], rut["high"], rut["low"]
    out = view.readout(state.symbols["^RUT"], CONFIG, "Russell 2000")
    last = close[-1]

    def pct(ref):
        return (last / ref - 1) * 100

    assert (out.symbol, out.name, out.last) == ("^RUT", "Russell 2000", last)
    assert out.change_pct == pytest.approx(pct(close[-2]))
    assert (out.rsi_period, out.ma_fast, out.ma_slow) == (14, 50, 200)
    assert out.rsi == pytest.approx(talib.RSI(close, 14)[-1])
    macd, signal, hist = talib.MACD(close, 12, 26, 9)
    assert (out.macd, out.macd_signal, out.macd_hist) == pytest.approx((macd[-1], signal[-1], hist[-1]))
    assert out.sma_fast.value == pytest.approx(close[-50:].mean()) and out.sma_fast.pct == pytest.approx(pct(close[-50:].mean()))
    assert out.sma_slow.pct == pytest.approx(pct(close[-200:].mean()))
    assert out.high_n == view.Ref(high[-252:].max(), pytest.approx(pct(high[-252:].max())))
    assert out.low_n == view.Ref(low[-252:].min(), pytest.approx(pct(low[-252:].min())))
    assert [(lv.value, lv.label) for lv in out.levels] == [(2600.0, "resistance"), (2500.0, "support")]  # highest first
    assert out.levels[1].pct == pytest.approx(pct(2500.0))


def test_the_daily_chart_is_the_closes_and_their_averages_over_the_range(state, rut):
    close = rut["close"]
    chart = view.chart_view(state.symbols["^RUT"], CONFIG, "1Y")
    price, fast, slow = chart.series
    assert (price.kind, fast.kind, slow.kind) == ("price", "sma_fast", "sma_slow")
    assert (fast.name, slow.name) == ("SMA50", "SMA200")
    assert price.values == list(close[-252:])
    np.testing.assert_allclose(fast.values, talib.SMA(close, 50)[-252:])
    np.testing.assert_allclose(slow.values, talib.SMA(close, 200)[-252:])
    days = [datetime.fromtimestamp(t, NEW_YORK).date().isoformat() for t in chart.times]
    assert days == list(rut["date"][-252:])
    assert chart.levels == ((2500.0, "support"), (2600.0, "resistance")) and chart.chart_range == "1Y"
    everything = view.chart_view(state.symbols["^RUT"], CONFIG, "max")
    assert len(everything.series[0].values) == len(close)  # 400 sessions, all kept


def test_the_session_chart_holds_the_last_price_between_minutes_and_a_daily_replay_has_none(state):
    sym = state.symbols["^RUT"]
    chart = view.chart_view(sym, CONFIG, "1D", intraday=False)
    assert chart.series[0].values == [] and chart.empty == view.NO_INTRADAY and chart.times is None
    fresh = MarketState(Config(symbols=("X",)), "replay")
    open_ = ny_epoch(date(2025, 3, 3), time(9, 30))
    fresh.apply([("X", open_ + 60, 10.0, None, None)])
    fresh.apply([("X", open_ + 185, 12.0, None, None)])
    chart = view.chart_view(fresh.symbols["X"], CONFIG, "1D")
    values = chart.series[0].values
    assert len(values) == view.SESSION_MINUTES and chart.session == date(2025, 3, 3)
    assert math.isnan(values[0]) and values[1:3] == [10.0, 10.0] and values[3] == 12.0
    assert all(math.isnan(v) for v in values[4:])
    assert chart.times[0] == open_ and chart.times[1] - chart.times[0] == 60


def test_the_market_view_says_the_phase_and_its_next_change():
    clock = MarketClock(lambda: 0.0)
    monday_noon = ny_epoch(date(2025, 3, 3), time(12, 0))
    status = view.market_view(clock.status(monday_noon))
    assert status == view.MarketView(True, "open", ny_epoch(date(2025, 3, 3), time(16, 0)))
    saturday = ny_epoch(date(2025, 3, 1), time(12, 0))
    assert view.market_view(clock.status(saturday)) == view.MarketView(False, "closed", ny_epoch(date(2025, 3, 3), time(9, 30)))
    early = view.market_view(clock.status(ny_epoch(date(2025, 3, 3), time(8, 0))))
    assert early.phase == "pre-market" and not early.is_open


def test_freshness_states():
    now = 1_000_000.0
    base = dict(now=now, last_time=now - 5, delay_minutes=None, stale_after=60.0)
    assert view.freshness("stream", last_received=now - 90, market_open=True, **base) == view.Freshness("stale", 90.0)
    assert view.freshness("poll", last_received=now - 5, market_open=True, **dict(base, delay_minutes=15)) == view.Freshness("delayed", 0.0, 15)
    assert view.freshness("stream", last_received=now - 90, market_open=False, **base).state == "closed"


def test_a_dialog_edit_goes_through_the_config_files_validation():
    new, problems = view.validate(CONFIG, [{"symbol": "^RUT", "price": 2550, "label": "x"}], {"rsi_overbought": 75})
    assert problems == [] and [lv.price for lv in new.levels] == [2550.0] and new.rules.rsi_overbought == 75
    assert view.config_data(CONFIG)["levels"] == [{"symbol": "^RUT", "price": 2500, "label": "support"}, {"symbol": "^RUT", "price": 2600, "label": "resistance"}]
    new, problems = view.validate(CONFIG, [{"symbol": "^RUT", "price": "abc"}], {})
    assert new is None and problems[0].startswith("levels[1].price")


# ------------------------------------------------------------------------------------------
# Relative performance, records and the SMA gap (issue 10)


def _at(dates: np.ndarray, day: str) -> int:
    return int(np.flatnonzero(dates == day)[0])


def test_the_row_and_readout_changes_are_the_closes_n_sessions_back_and_the_years_last(state, rut):
    close, dates = rut["close"], rut["date"]
    year_end = close[max(i for i, d in enumerate(dates) if d < "2026")]  # the last close of 2025
    expected = ((close[-1] / close[-6] - 1) * 100, (close[-1] / close[-22] - 1) * 100, (close[-1] / year_end - 1) * 100)
    row = view.watch_row(state.symbols["^RUT"], CONFIG, "", REPLAY, 2, state.symbols)
    out = view.readout(state.symbols["^RUT"], CONFIG, "", state.symbols)
    assert (row.chg_1w, row.chg_1m, row.chg_ytd) == pytest.approx(expected)
    assert (out.chg_1w, out.chg_1m, out.chg_ytd) == pytest.approx(expected)


def test_only_the_leads_row_has_spreads_against_each_peer_on_the_leads_last_session(state, rut):
    """^RUT's data ends on 2026-02-23, its peers' on 2026-02-27: the spread is taken on the
    lead's last session, with each peer's close of that day."""
    close, dates = rut["close"], rut["date"]
    lead = close[-1] / close[-22]
    expected = []
    for peer in ("^GSPC", "^NDX"):
        other = read(FILES[peer])
        at = _at(other["date"], dates[-1])
        expected.append(view.Spread(peer, 21, pytest.approx((lead - other["close"][at] / other["close"][at - 21]) * 10000)))
    row = view.watch_row(state.symbols["^RUT"], CONFIG, "", REPLAY, 2, state.symbols)
    assert list(row.rs) == expected
    assert list(view.readout(state.symbols["^RUT"], CONFIG, "", state.symbols).rs) == expected
    for peer in ("^GSPC", "^NDX"):
        assert view.watch_row(state.symbols[peer], CONFIG, "", REPLAY, 2, state.symbols).rs == ()
    alone = view.watch_row(state.symbols["^RUT"], CONFIG, "", REPLAY).rs  # without the peers' states
    assert [s.peer for s in alone] == ["^GSPC", "^NDX"] and all(math.isnan(s.bp) for s in alone)  # unknown, not 0


def test_the_month_the_russell_outperformed_the_nasdaq_by_312_bp():
    """The issue's measure: ^RUT against ^NDX from 2025-12-02 to 2026-01-02, at that close."""
    seen = {}

    def listener(state, symbol, bar):
        if symbol == "^RUT" and bar.day == date(2026, 1, 2):
            seen["rs"] = view.spreads(state.symbols["^RUT"], CONFIG, state.symbols)

    fed(listener=listener)
    ndx = {s.peer: s.bp for s in seen["rs"]}["^NDX"]
    assert ndx == pytest.approx((2508.22 / 2464.98 - 25206.17 / 25555.86) * 10000) and round(ndx) == 312


def test_the_all_time_high_and_its_day_are_the_highest_high_of_the_loaded_history():
    data = DATA / "rut_2016-2026.csv"
    rut = read("rut_2016-2026.csv")
    state = MarketState(Config(symbols=("^RUT",)), "replay")
    for batch in replay_batches(load_all([f"^RUT={data}"])):
        state.apply(batch)
    sym = state.symbols["^RUT"]
    out = view.readout(sym, state.config, "")
    top = int(np.argmax(rut["high"]))  # the first session that reached it
    assert out.record.value == rut["high"][top] and out.record_day == date.fromisoformat(rut["date"][top])
    assert out.record.pct == pytest.approx((rut["close"][-1] / rut["high"][top] - 1) * 100)
    # The forming session's own high counts once it is above the committed record.
    state.apply([("^RUT", ny_epoch(date(2026, 2, 24), time(10, 0)), rut["high"][top] + 10.0, None, None)])
    assert view.all_time_high(sym) == (rut["high"][top] + 10.0, date(2026, 2, 24))


def test_the_sma_gap_and_its_change_over_five_sessions(state, rut):
    close = rut["close"]
    fast, slow = talib.SMA(close, 50), talib.SMA(close, 200)
    gap = (fast - slow) / slow * 100
    out = view.readout(state.symbols["^RUT"], CONFIG, "")
    assert out.ma_gap == pytest.approx(gap[-1]) and out.ma_gap_change == pytest.approx(gap[-1] - gap[-6])
    assert out.gap_sessions == 5


def test_the_golden_cross_of_2025_08_06_was_on_the_verge_a_week_before():
    """The issue's reading: SMA50 0.6 % under SMA200 on 2025-07-30, crossing on 2025-08-06."""
    seen = {}

    def listener(state, symbol, bar):
        if symbol == "^RUT" and bar.day in (date(2025, 7, 30), date(2025, 8, 6)):
            seen[bar.day] = view.readout(state.symbols["^RUT"], CONFIG, "")

    fed(listener=listener)
    before, cross = seen[date(2025, 7, 30)], seen[date(2025, 8, 6)]
    assert -0.7 < before.ma_gap < -0.5 and before.ma_gap_change > 0  # closing in
    assert cross.ma_gap > 0


def test_zones_count_in_the_nearest_level():
    levels, zones = [(2500.0, "support")], [(2580.0, 2600.0, "resistance zone")]
    near_edge = view.nearest_level(2570.0, levels, zones)
    assert near_edge == view.Nearest(2580.0, "resistance zone", pytest.approx((2570 / 2580 - 1) * 100), (2580.0, 2600.0))
    assert view.nearest_level(2520.0, levels, zones).price == 2500.0 and view.nearest_level(2520.0, levels, zones).zone is None
    above = view.nearest_level(2610.0, levels, zones)
    assert above.price == 2600.0 and above.distance_pct == pytest.approx((2610 / 2600 - 1) * 100)
    inside = view.nearest_level(2595.0, levels, zones)
    assert inside.inside and inside.zone == (2580.0, 2600.0) and inside.price == 2600.0
    assert view.nearest_level(2580.0, levels, zones).inside  # an edge is in the zone


def test_the_row_carries_the_configured_zones(state):
    row = view.watch_row(state.symbols["^RUT"], CONFIG, "", REPLAY)
    assert row.zones == ((2580.0, 2600.0, "resistance zone"),)  # the default config's zone


# ------------------------------------------------------------------------------------------
# What the view takes from the config and from the forming session


def test_the_spread_window_and_the_rsi_bands_come_from_the_config(state, rut):
    close, dates = rut["close"], rut["date"]
    config = replace(CONFIG, relative_strength=replace(CONFIG.relative_strength, sessions=5),
                     rules=replace(CONFIG.rules, rsi_overbought=75.0, rsi_oversold=25.0))
    row = view.watch_row(state.symbols["^RUT"], config, "", REPLAY, 2, state.symbols)
    ndx = read(FILES["^NDX"])
    at = _at(ndx["date"], dates[-1])
    expected = (close[-1] / close[-6] - ndx["close"][at] / ndx["close"][at - 5]) * 10000
    assert row.rs[1] == view.Spread("^NDX", 5, pytest.approx(expected))
    assert (row.rsi_overbought, row.rsi_oversold) == (75.0, 25.0)


def test_a_forming_session_counts_in_the_chart_and_in_the_all_time_high():
    state = fed()
    sym = state.symbols["^RUT"]
    before = len(view.chart_view(sym, CONFIG, "max").series[0].values)
    moment = ny_epoch(date(2026, 2, 24), time(10, 0))
    state.apply([("^RUT", moment, 2400.0, None, None)])
    chart = view.chart_view(sym, CONFIG, "max")
    assert len(chart.series[0].values) == before + 1 and chart.series[0].values[-1] == 2400.0
    assert chart.times[-1] == moment
    # A symbol's first session: no committed record yet, the forming high is the record.
    first = MarketState(Config(symbols=("X",)), "replay")
    first.apply([("X", ny_epoch(date(2025, 3, 3), time(10, 0)), 10.0, None, None)])
    assert view.all_time_high(first.symbols["X"]) == (10.0, date(2025, 3, 3))


def test_the_rotation_session_chart_leaves_a_peer_without_minutes_in_the_leads_session_empty():
    config = Config(symbols=("^RUT", "^NDX"))
    state = MarketState(config, "stream")
    state.apply([("^NDX", ny_epoch(date(2025, 3, 3), time(10, 0)), 20000.0, None, None)])
    state.apply([("^RUT", ny_epoch(date(2025, 3, 4), time(10, 0)), 2000.0, None, None)])
    state.apply([("^RUT", ny_epoch(date(2025, 3, 4), time(10, 5)), 2010.0, None, None)])
    chart = view.rotation_view(state.symbols, config, "1D")
    (line,) = chart.series
    assert line.name == "^NDX" and len(line.values) == view.SESSION_MINUTES
    assert all(math.isnan(v) for v in line.values)  # its minutes are of 2025-03-03


def test_a_dialog_can_clear_the_zones_and_the_file_stays_the_same():
    config = replace(CONFIG, path=Path("monitor.toml"))
    new, problems = view.validate(config, [], {}, zones=[])
    assert problems == [] and new.zones == () and new.path == Path("monitor.toml")
    kept, _ = view.validate(config, [], {})
    assert kept.zones == CONFIG.zones


def test_a_feeds_name_for_a_symbol_comes_before_the_known_one():
    assert view.display_name("^RUT", "Russell 2000 Index") == "Russell 2000 Index"
    assert view.display_name("^RUT") == "Russell 2000" and view.display_name("XYZ") == ""
