"""monitor.view against the state itself: the values the widgets show, from a MarketState fed
real history (tests/data), checked against independent numpy / TA-Lib computations over the same
closes. The view reads the state's attributes by name, so a renamed core attribute fails here."""

from __future__ import annotations

import math
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
    """A state fed the three files to their end (every bar committed)."""
    state = MarketState(config, "replay")
    if listener is not None:
        state.bar_listeners.append(listener)
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
