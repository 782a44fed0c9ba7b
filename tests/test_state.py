"""MarketState: batches, alert stamping and order, symbol state, reconfigure."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from monitor.alerts import Snapshot
from monitor.config import Config, Level, Rules, Zone
from monitor.model import NEW_YORK, Tick
from monitor.state import MarketState


def ny(day: str, hhmm: str = "09:30") -> float:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=NEW_YORK).timestamp()


def closes(st: MarketState, symbol: str, values, start: int = 5):
    out = []
    for i, value in enumerate(values):
        out += st.apply([Tick(symbol, ny(f"2026-01-{start + i:02d}", "16:00"), value)])
    return out


def test_a_fresh_symbol_state_is_empty():
    st = MarketState(Config())
    s = st.symbols["^RUT"]
    assert set(st.symbols) == {"^RUT", "^GSPC", "^NDX"}
    assert math.isnan(s.last) and s.last_time is None and s.session is None
    assert math.isnan(s.prev_close) and math.isnan(s.change_pct)
    assert math.isnan(s.prev_high_n) and math.isnan(s.prev_low_n)
    assert len(s.daily) == 0 and s.daily.maxlen >= 400  # a ring of bars: bounded
    assert [lv.price for lv in s.levels] == [2500.0, 2600.0]


def test_unknown_symbols_are_added_on_their_first_tick_and_marked_dirty():
    st = MarketState(Config())
    st.apply([Tick("IWM", ny("2026-01-05"), 250.0, None, 1767625800.5)])
    assert st.symbols["IWM"].last == 250.0
    assert st.symbols["IWM"].last_received == 1767625800.5
    assert st.dirty == {"IWM"}
    st.dirty.clear()
    st.apply([Tick("^RUT", ny("2026-01-05"), 2550.0)])
    assert st.dirty == {"^RUT"}


def test_alerts_of_a_batch_come_in_time_order_with_source_and_stale():
    config = Config(symbols=("^RUT", "Y"), levels=(Level("^RUT", 2500.0, "support"),), rules=Rules(ma_fast=1, ma_slow=2))
    st = MarketState(config, source="stream")
    st.apply([Tick("^RUT", ny("2026-01-05"), 2520.0)])  # outside the 0.5 % approach band
    closes(st, "Y", [10.0, 9.0, 12.0])  # fast crosses above slow at the 01-07 close
    batch = [Tick("^RUT", ny("2026-01-08"), 2480.0), Tick("Y", ny("2026-01-08"), 12.5)]
    out = st.apply(batch, stale=True)
    assert [(a.rule, a.symbol) for a in out] == [("ma_cross", "Y"), ("level_cross", "^RUT")]
    assert [a.time for a in out] == [ny("2026-01-07", "16:00"), ny("2026-01-08")]
    assert all(a.source == "stream" and a.stale for a in out)
    assert st.alert_count == 2


def test_commit_due_and_finish_return_the_bar_close_alerts():
    st = MarketState(Config(symbols=("Y",), levels=(), rules=Rules(ma_fast=1, ma_slow=2)))
    closes(st, "Y", [10.0, 9.0])
    st.apply([Tick("Y", ny("2026-01-07", "15:00"), 12.0)])
    assert st.commit_due(ny("2026-01-07", "16:01")) == []
    (alert,) = st.commit_due(ny("2026-01-07", "16:02"))
    assert (alert.rule, alert.direction, alert.source, alert.stale) == ("ma_cross", "up", "replay", False)
    assert st.finish() == []


def test_change_is_against_the_previous_session_close_even_after_the_commit():
    st = MarketState(Config(symbols=("Y",), levels=()))
    closes(st, "Y", [100.0])
    st.apply([Tick("Y", ny("2026-01-06", "15:00"), 103.0)])
    s = st.symbols["Y"]
    assert (s.prev_close, s.change, s.change_pct) == (100.0, 3.0, 3.0)
    st.commit_due(ny("2026-01-06", "16:05"))  # evening: the day's change still shows
    assert s.session is None and s.change_pct == 3.0


def test_reconfigure_keeps_sides_of_kept_levels_and_arms_new_ones_with_the_last_price():
    st = MarketState(Config(symbols=("^RUT",), levels=(Level("^RUT", 2500.0, "support"),)))
    st.apply([Tick("^RUT", ny("2026-01-05"), 2480.0)])  # below 2500
    new = Config(symbols=("^RUT",), levels=(Level("^RUT", 2500.0, "support"), Level("^RUT", 2450.0, "floor")), zones=(), rules=Rules(approach_pct=0.0))
    st.reconfigure(new)
    assert [lv.side for lv in st.symbols["^RUT"].levels] == [-1, 1]  # 2450 armed above by 2480
    out = st.apply([Tick("^RUT", ny("2026-01-05", "10:00"), 2440.0)])
    assert [(a.extra["level"], a.direction) for a in out] == [(2450.0, "down")]
    out = st.apply([Tick("^RUT", ny("2026-01-05", "11:00"), 2510.0)])
    assert sorted((a.extra["level"], a.direction) for a in out) == [(2450.0, "up"), (2500.0, "up")]


def test_reconfigure_before_any_price_leaves_new_levels_unarmed():
    st = MarketState(Config(symbols=("^RUT",), levels=()))
    st.reconfigure(Config(symbols=("^RUT",), levels=(Level("^RUT", 2500.0),)))
    assert st.symbols["^RUT"].levels[0].side == 0
    assert st.apply([Tick("^RUT", ny("2026-01-05"), 2400.0)]) == []
    assert st.symbols["^RUT"].levels[0].side == -1


def test_a_symbol_given_its_first_zone_by_reconfigure_gets_zone_and_approach_alerts():
    st = MarketState(Config(symbols=("X",), levels=(), zones=()))
    st.apply([Tick("X", ny("2026-01-05"), 90.0)])
    assert len(st.symbols["X"].on_tick) == 1  # nothing to watch but new_high/new_low
    st.reconfigure(Config(symbols=("X",), levels=(), zones=(Zone("X", 100.0, 110.0),), rules=Rules(approach_pct=2.0)))
    out = st.apply([Tick("X", ny("2026-01-05", "10:00"), 99.0)])
    assert [(a.rule, a.direction) for a in out] == [("level_approach", "up")]
    out = st.apply([Tick("X", ny("2026-01-05", "11:00"), 105.0)])
    assert [(a.rule, a.extra["event"]) for a in out] == [("zone_cross", "entered")]


def test_reconfigure_hysteresis_rebuilds_bands_but_not_indicators():
    st = MarketState(Config(symbols=("^RUT",)))
    closes(st, "^RUT", [2480.0, 2490.0])
    ind = st.symbols["^RUT"].ind
    st.reconfigure(Config(symbols=("^RUT",), rules=Rules(hysteresis_pct=1.0, rsi_overbought=80.0)))
    assert st.symbols["^RUT"].ind is ind
    assert st.symbols["^RUT"].levels[0].above == 2525.0
    out = st.apply([Tick("^RUT", ny("2026-01-07", "10:00"), 2520.0)])  # inside the wider band
    assert out == []


def test_reconfigure_new_periods_recompute_indicators_from_kept_bars():
    values = [100.0 + (i * 7) % 11 - i * 0.1 for i in range(60)]
    st = MarketState(Config(symbols=("Y",), levels=()))
    for i, v in enumerate(values):
        st.apply([Tick("Y", ny(date.fromordinal(date(2025, 1, 1).toordinal() + i).isoformat(), "16:00"), v)])
    small = Rules(ma_fast=3, ma_slow=5, rsi_period=4, macd=(3, 6, 2), high_low_window=5)
    st.reconfigure(Config(symbols=("Y",), levels=(), rules=small))
    fresh = MarketState(Config(symbols=("Y",), levels=(), rules=small))
    for i, v in enumerate(values):
        fresh.apply([Tick("Y", ny(date.fromordinal(date(2025, 1, 1).toordinal() + i).isoformat(), "16:00"), v)])
    a, b = st.symbols["Y"], fresh.symbols["Y"]
    for name in ("sma_fast", "sma_slow", "macd", "macd_signal", "rsi", "high_n", "low_n"):
        assert getattr(a.ind, name) == getattr(b.ind, name), name
    assert a.snapshot == b.snapshot
    assert (a.prev_high_n, a.prev_low_n) == (b.prev_high_n, b.prev_low_n)


def test_the_snapshot_holds_the_committed_bars_indicators_in_snapshot_field_order():
    """The engine hands the bar-close rules plain tuples (cheaper than ``Snapshot`` instances
    at every commit): their order must be ``Snapshot``'s, which the rules unpack."""
    rules = Rules(ma_fast=3, ma_slow=5, rsi_period=4, macd=(3, 6, 2), high_low_window=5)
    st = MarketState(Config(symbols=("Y",), levels=(), rules=rules))
    s = st.symbols["Y"]
    assert len(s.snapshot) == 5 and all(map(math.isnan, s.snapshot))  # before any bar
    for i in range(30):
        day = date.fromordinal(date(2025, 1, 1).toordinal() + i).isoformat()
        st.apply([Tick("Y", ny(day, "16:00"), 100.0 + (i * 7) % 11 - i * 0.3)])
    st.finish()
    snap, ind = Snapshot(*s.snapshot), s.ind
    assert len(s.snapshot) == len(Snapshot._fields)
    assert snap == Snapshot(sma_fast=ind.sma_fast, sma_slow=ind.sma_slow, rsi=ind.rsi, macd=ind.macd, signal=ind.macd_signal)
    assert len(set(snap)) == 5  # five different values: a swapped pair would show


def test_settled_until_bounds_alert_times_still_to_come():
    st = MarketState(Config(symbols=("X", "Y"), levels=()))
    st.apply([Tick("X", ny("2026-01-05", "10:00"), 1.0)])
    assert st.settled_until(ny("2026-01-05", "10:00")) == ny("2026-01-05", "10:00")
    st.apply([Tick("X", ny("2026-01-05", "16:30"), 1.0)])  # after the close, bar still forming
    assert st.settled_until(ny("2026-01-05", "16:30")) == ny("2026-01-05", "16:00")
    # the early close: a session that opens after 13:00 can still report a bar close at 13:00
    st.apply([Tick("Y", ny("2025-12-24", "13:05"), 1.0)])
    assert st.settled_until(ny("2025-12-24", "13:05")) == ny("2025-12-24", "13:00")


def test_indicators_read_mid_session_include_the_forming_bars_latest_tick():
    """The state revises its indicators when they are read, not on every tick: a read between
    ticks (the screen) must still see the forming bar as it is now."""
    from monitor.indicators import IndicatorSet

    rules = Rules(ma_fast=3, ma_slow=5, rsi_period=4, macd=(3, 6, 2), high_low_window=5)
    st = MarketState(Config(symbols=("Y",), levels=(), rules=rules))
    eager = IndicatorSet(rules)
    values = [100.0 + (i * 7) % 11 - i * 0.3 for i in range(30)]
    fields = ("sma_fast", "sma_slow", "macd", "macd_signal", "rsi", "high_n", "low_n")
    for i, v in enumerate(values):
        day = date.fromordinal(date(2025, 1, 6).toordinal() + i).isoformat()
        st.apply([Tick("Y", ny(day, "09:30"), v)])
        eager.update(v, v, v)
        high = low = v
        if i % 2:  # a read right after the open, on every other bar
            got = st.symbols["Y"].ind
            assert [getattr(got, f) for f in fields] == [getattr(eager, f) for f in fields], (day, "09:30")
        for hhmm, price in (("11:00", v + 2.5), ("14:00", v - 1.5)):
            st.apply([Tick("Y", ny(day, hhmm), price)])
            high, low = max(high, price), min(low, price)
            eager.revise(price, high, low)
            got = st.symbols["Y"].ind
            assert [getattr(got, f) for f in fields] == [getattr(eager, f) for f in fields], (day, hhmm)


@pytest.mark.parametrize("approach", [True, False], ids=["with approach bands", "levels and zones alone"])
def test_the_quiet_ranges_change_no_alert_on_ten_years_of_three_indexes(monkeypatch, approach):
    """The engine skips tick hooks inside their detectors' quiet ranges; with levels, zones and
    approach bands all over the 2016-2026 prices (some waiting for the close) it fires exactly
    what it fires when it calls every hook on every tick. Without approach bands (whose range
    spans every level) the levels' and zones' own ranges decide."""
    from pathlib import Path

    from monitor.config import AlertPolicy, Divergence
    from monitor.detector import Detector
    from monitor.rules import ENGINE_ORDER
    from monitor.series import load_all, replay_batches

    data = Path(__file__).parent / "data" / "daily"
    series = load_all([f"{s}={data / f}" for s, f in (("^RUT", "rut_2016-2026.csv"), ("^GSPC", "spx_2016-2026.csv"), ("^NDX", "ndx_2016-2026.csv"))])
    grids = {"^RUT": range(1100, 2700, 100), "^GSPC": range(2000, 7000, 250), "^NDX": range(4000, 26000, 1000)}
    levels = tuple(
        Level(symbol=symbol, price=float(price), approach_pct=(1.0 if i % 3 else None) if approach else 0.0,
              policy=AlertPolicy(confirm="close") if i % 4 == 0 else AlertPolicy())
        for symbol, prices in grids.items() for i, price in enumerate(prices)
    )
    zones = tuple(Zone(symbol, float(p), float(p) * 1.02) for symbol, prices in grids.items() for p in list(prices)[1::3])
    rules = Rules(hysteresis_pct=0.5, high_low_window=60, breakout_gap=2, approach_pct=0.5 if approach else 0.0)
    config = Config(levels=levels, zones=zones, rules=rules,
                    divergence=Divergence("^RUT", ("^GSPC", "^NDX"), 0.5), alerts={"new_low": AlertPolicy(confirm="close")})

    def alerts() -> list:
        st = MarketState(config)
        out = []
        for batch in replay_batches(series):
            out += st.apply(batch)
        return [a.to_json() for a in out + st.finish()]

    gated = alerts()
    for detector in ENGINE_ORDER:
        monkeypatch.setattr(detector, "quiet", Detector.quiet)  # every hook on every tick
    every = alerts()
    fired = {line.split('"rule":"')[1].split('"')[0] for line in every}
    assert {"level_cross", "zone_cross", "new_high", "new_low"} <= fired and ("level_approach" in fired) == approach
    assert len(every) > 2000 and gated == every
