"""Rotation, zones, records, price/RSI divergence and nearness on hand-made sequences: every edge."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from monitor.bars import DailyBar
from monitor.config import Config, Divergence, Level, RelativeStrength, Rules, Zone, check_config_text
from monitor.model import NEW_YORK, Alert, Tick
from monitor.nearness import ma_gap
from monitor.price_rsi import PriceRsiDivergence
from monitor.records import Records, shipped_records
from monitor.rotation import StrengthWatch, change_pct, spread_bp, ytd_pct
from monitor.state import MarketState
from monitor.zones import ABOVE, BELOW, INSIDE

NAN = float("nan")


def ny(day: str, hhmm: str = "09:30", minutes: int = 0) -> float:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=NEW_YORK).timestamp() + 60 * minutes


def feed(st: MarketState, prices, symbol: str = "^RUT", day: str = "2026-01-05") -> list[Alert]:
    out = []
    for i, price in enumerate(prices):
        out += st.apply([Tick(symbol, ny(day, minutes=i), price)])
    return out


SESSIONS = [d.isoformat() for d in (date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31))] + [
    f"2026-01-{d:02d}" for d in (2, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 20, 21, 22, 23, 26, 27, 28, 29, 30)
]


def daily(st: MarketState, symbol: str, closes, first: int = 0) -> list[Alert]:
    """One tick per session (at 16:00) per close, from ``SESSIONS[first]``."""
    out = []
    for i, close in enumerate(closes):
        out += st.apply([Tick(symbol, ny(SESSIONS[first + i], "16:00"), close)])
    return out


# --------------------------------------------------------------------------------------------
# zone_cross


def zone_state(hysteresis: float = 0.1) -> MarketState:
    config = Config(symbols=("^RUT",), levels=(), zones=(Zone("^RUT", 2580.0, 2600.0, "resistance zone"),),
                    rules=Rules(hysteresis_pct=hysteresis, approach_pct=0.0))
    return MarketState(config)


def events(alerts):
    return [(a.direction, a.extra["event"], a.price) for a in alerts if a.rule == "zone_cross"]


@pytest.mark.parametrize("first, region", [(2500.0, BELOW), (2579.99, BELOW), (2580.0, INSIDE), (2600.0, INSIDE),
                                           (2600.01, ABOVE)])
def test_the_first_price_sets_the_region_without_firing(first, region):
    st = zone_state()
    assert feed(st, [first]) == []
    assert st.symbols["^RUT"].zones[0].region == region


def test_from_below_entering_needs_low_plus_the_band():
    st = zone_state()  # low*(1+h) = 2582.58, high*(1+h) = 2602.6
    assert events(feed(st, [2570.0, 2582.58, 2582.59])) == [("up", "entered", 2582.59)]


def test_from_below_straight_through_is_one_broke_above():
    st = zone_state()
    assert events(feed(st, [2570.0, 2602.6])) == [("up", "entered", 2602.6)]  # on high*(1+h): inside
    st = zone_state()
    assert events(feed(st, [2570.0, 2602.61])) == [("up", "broke_above", 2602.61)]
    assert st.symbols["^RUT"].zones[0].region == ABOVE


def test_from_above_entering_and_breaking_below():
    st = zone_state()  # high*(1-h) = 2597.4, low*(1-h) = 2577.42
    assert events(feed(st, [2620.0, 2597.4, 2597.39])) == [("down", "entered", 2597.39)]
    st = zone_state()
    assert events(feed(st, [2620.0, 2577.42])) == [("down", "entered", 2577.42)]
    st = zone_state()
    assert events(feed(st, [2620.0, 2577.41])) == [("down", "broke_below", 2577.41)]


def test_from_inside_only_leaving_past_the_band_fires():
    st = zone_state()
    alerts = feed(st, [2590.0, 2602.6, 2577.42, 2602.61, 2597.0, 2577.41])
    assert events(alerts) == [("up", "broke_above", 2602.61), ("down", "entered", 2597.0), ("down", "broke_below", 2577.41)]


def test_zero_hysteresis_zone_edges_are_the_prices():
    st = zone_state(hysteresis=0.0)
    assert events(feed(st, [2570.0, 2580.0, 2580.01, 2600.0, 2600.01])) == [
        ("up", "entered", 2580.01), ("up", "broke_above", 2600.01)]


def test_zone_alert_message_and_fields():
    st = zone_state()
    (alert,) = feed(st, [2570.0, 2593.89])
    assert alert.message == "^RUT entered the 2,580-2,600 resistance zone from below at 2,593.89"
    assert alert.extra == {"low": 2580.0, "high": 2600.0, "label": "resistance zone", "event": "entered"}
    (alert,) = feed(st, [2610.0], day="2026-01-06")
    assert alert.message == "^RUT broke above the 2,580-2,600 resistance zone at 2,610.00"


def test_reconfigure_keeps_a_zones_region_and_arms_a_new_one():
    st = zone_state()
    feed(st, [2590.0])
    config = Config(symbols=("^RUT",), levels=(), rules=Rules(approach_pct=0.0),
                    zones=(Zone("^RUT", 2580.0, 2600.0), Zone("^RUT", 2400.0, 2450.0)))
    st.reconfigure(config)
    assert [z.region for z in st.symbols["^RUT"].zones] == [INSIDE, ABOVE]


# --------------------------------------------------------------------------------------------
# relative_strength


def watch(threshold: float = 300.0) -> StrengthWatch:
    return StrengthWatch(Divergence("L", ("P",)), RelativeStrength(sessions=2, threshold_bp=threshold))


def steps(w: StrengthWatch, values) -> list:
    return [w.step("P", v) for v in values]


def test_the_first_defined_value_sets_the_side_without_firing():
    for first, side in ((300.0, 1), (299.99, 0), (-300.0, -1), (-299.99, 0)):
        w = watch()
        assert steps(w, [NAN, first]) == [None, None]
        assert w.sides["P"] == side


def test_fires_at_the_threshold_and_not_again_until_back_under_half():
    w = watch()
    assert steps(w, [0.0, 300.0, 400.0, 150.0, 300.0, 149.99, 299.99, 300.0]) == [
        None, "up", None, None, None, None, None, "up"]


def test_down_mirrors_up_with_its_own_half_threshold():
    w = watch()
    assert steps(w, [0.0, -300.0, -150.0, -300.0, -149.99, -300.0]) == [None, "down", None, None, None, "down"]


def test_a_swing_from_above_to_below_fires_down_at_once():
    w = watch()
    assert steps(w, [300.0, -300.0, 300.0]) == [None, "down", "up"]


def test_relative_strength_through_the_engine():
    config = Config(symbols=("L", "P"), levels=(), zones=(), divergence=Divergence("L", ("P",)),
                    relative_strength=RelativeStrength(sessions=2, threshold_bp=300.0))
    st = MarketState(config)
    out = []
    # P flat; L: +1 % over 2 sessions (100 bp, neutral), then +4 % (400 bp: up)
    for i, (lead, peer) in enumerate([(100.0, 50.0), (100.0, 50.0), (101.0, 50.0), (101.0, 50.0), (105.04, 50.0), (105.0, 50.0)]):
        out += st.apply([Tick("L", ny(SESSIONS[i], "16:00"), lead), Tick("P", ny(SESSIONS[i], "16:00"), peer)])
    out += st.finish()
    fired = [a for a in out if a.rule == "relative_strength"]
    assert [(a.direction, a.extra["peer"], a.extra["sessions"], a.price) for a in fired] == [("up", "P", 2, 105.04)]
    assert fired[0].extra["spread_bp"] == pytest.approx(400.0)
    assert fired[0].time == ny(SESSIONS[4], "16:00")
    assert fired[0].message == "L outperformed P by 400 bp over 2 sessions (+4.00% vs +0.00%) at the 2026-01-05 close of 105.04"


def test_spread_and_changes_use_the_forming_session_live():
    config = Config(symbols=("L", "P"), levels=(), zones=(), divergence=Divergence("L", ("P",)))
    st = MarketState(config)
    for i in range(6):
        st.apply([Tick("L", ny(SESSIONS[i], "16:00"), 100.0 + i), Tick("P", ny(SESSIONS[i], "16:00"), 200.0)])
    lead, peer = st.symbols["L"], st.symbols["P"]
    # forming session 5 (105): 5 sessions back is session 0 (100)
    assert change_pct(lead, 5) == pytest.approx(5.0)
    assert spread_bp(lead, peer, 5) == pytest.approx(500.0)
    assert math.isnan(change_pct(lead, 6))
    st.finish()  # committed: the same numbers
    assert change_pct(lead, 5) == pytest.approx(5.0)
    assert math.isnan(change_pct(lead, 6))


def test_year_to_date_starts_from_the_previous_years_last_close():
    st = MarketState(Config(symbols=("X",), levels=(), zones=()))
    daily(st, "X", [100.0, 110.0, 120.0])  # 2025-12-29 .. 31
    s = st.symbols["X"]
    assert math.isnan(ytd_pct(s))  # no close of 2024 known
    daily(st, "X", [132.0], first=3)  # 2026-01-02, forming
    assert ytd_pct(s) == pytest.approx(10.0)
    daily(st, "X", [126.0], first=4)  # 01-02 committed, 01-05 forming
    assert s.year_base == 120.0 and ytd_pct(s) == pytest.approx(5.0)


# --------------------------------------------------------------------------------------------
# price_rsi_divergence


def bars(closes, start: int = 0):
    return [DailyBar(date.fromisoformat(SESSIONS[start + i]), c, c, c, c, None) for i, c in enumerate(closes)]


def run(closes, rsis, lookback: int = 3, gap: float = 5.0) -> list[Alert]:
    d = PriceRsiDivergence(lookback, gap)
    out: list[Alert] = []
    for bar, rsi in zip(bars(closes), rsis):
        d.on_close("X", bar, rsi, out)
    return out


def test_bearish_fires_at_a_gap_of_exactly_min_gap():
    (alert,) = run([10.0, 12.0, 11.0, 13.0], [50.0, 60.0, 55.0, 55.0])
    assert (alert.rule, alert.direction, alert.price) == ("price_rsi_divergence", "down", 13.0)
    assert alert.extra == {"rsi": 55.0, "previous_close": 12.0, "previous_rsi": 60.0, "previous_date": SESSIONS[1]}
    assert run([10.0, 12.0, 11.0, 13.0], [50.0, 60.0, 55.0, 55.01]) == []


def test_a_close_equal_to_the_high_is_not_higher():
    assert run([10.0, 12.0, 11.0, 12.0], [50.0, 60.0, 55.0, 40.0]) == []


def test_ties_take_the_latest_session():
    # highest close 12 on sessions 0 and 2: j is session 2 (RSI 60), not session 0 (RSI 70)
    assert run([12.0, 11.0, 12.0, 13.0], [70.0, 50.0, 60.0, 62.0]) == []
    (alert,) = run([12.0, 11.0, 12.0, 13.0], [70.0, 50.0, 60.0, 55.0])
    assert alert.extra["previous_date"] == SESSIONS[2]


def test_only_the_last_lookback_sessions_count():
    # the 20 (RSI 90) is 4 sessions back with lookback 3: j is the 12 (RSI 50)
    assert run([20.0, 11.0, 12.0, 10.0, 13.0], [90.0, 40.0, 50.0, 44.0, 48.0]) == []
    assert run([20.0, 11.0, 12.0, 10.0, 13.0], [90.0, 40.0, 50.0, 44.0, 48.0], lookback=4) == []  # 13 < 20
    (alert,) = run([20.0, 11.0, 12.0, 10.0, 21.0], [90.0, 40.0, 50.0, 44.0, 48.0], lookback=4)
    assert alert.extra["previous_close"] == 20.0


def test_silent_until_lookback_sessions_exist_and_with_undefined_rsi():
    assert run([12.0, 11.0, 13.0], [60.0, 50.0, 40.0]) == []  # two earlier sessions, lookback 3
    assert run([10.0, 12.0, 11.0, 13.0], [50.0, NAN, 55.0, 40.0]) == []
    assert run([10.0, 12.0, 11.0, 13.0], [50.0, 60.0, 55.0, NAN]) == []


def test_each_fires_on_the_rising_edge_only():
    closes = [10.0, 12.0, 11.0, 13.0, 14.0, 12.5, 15.0]
    rsis = [50.0, 60.0, 55.0, 50.0, 45.0, 80.0, 60.0]
    # 13 (50 <= 60-5) fires; 14 vs j=13 (RSI 50): 45 <= 45 still true, no alert; 12.5 breaks it;
    # 15 vs j=14 (RSI 45): 60 > 40, false
    assert [(a.direction, a.price) for a in run(closes, rsis)] == [("down", 13.0)]
    rsis[6] = 40.0  # 15 vs 14 (45): true again after a false close
    assert [(a.direction, a.price) for a in run(closes, rsis)] == [("down", 13.0), ("down", 15.0)]


def test_bullish_mirrors_bearish():
    (alert,) = run([12.0, 10.0, 11.0, 9.0], [50.0, 40.0, 45.0, 45.0])
    assert (alert.direction, alert.extra["previous_close"], alert.extra["previous_rsi"]) == ("up", 10.0, 40.0)
    assert run([12.0, 10.0, 11.0, 9.0], [50.0, 40.0, 45.0, 44.99]) == []
    assert alert.message == (
        "X price/RSI divergence, bullish: close below the 2025-12-30 close of 10.00 while RSI 45.0 is above "
        "its 40.0 then, at the 2026-01-02 close of 9.00")


def test_price_rsi_divergence_through_the_engine_uses_the_committed_rsi():
    # RSI(2) (talib): nan nan 66.7 75 85.3 35.4 71.5; at 12.3 the window's high is 12.2 (RSI 85.3)
    rules = Rules(rsi_period=2, divergence_lookback=3, divergence_min_gap=5.0)
    st = MarketState(Config(symbols=("X",), levels=(), zones=(), rules=rules))
    out = daily(st, "X", [10.0, 12.0, 11.0, 11.5, 12.2, 11.0, 12.3]) + st.finish()
    fired = [a for a in out if a.rule == "price_rsi_divergence"]
    assert [(a.direction, a.price, a.extra["previous_close"]) for a in fired] == [("down", 12.3, 12.2)]
    assert fired[0].extra["rsi"] == pytest.approx(71.50537634) and fired[0].time == ny(SESSIONS[6], "16:00")


# --------------------------------------------------------------------------------------------
# level_approach and the SMA gap


def near_state(**level) -> MarketState:
    config = Config(symbols=("^RUT",), levels=(Level("^RUT", 2500.0, "support", **level),),
                    zones=(Zone("^RUT", 2580.0, 2600.0, "resistance zone"),), rules=Rules(approach_pct=0.5))
    return MarketState(config)


def approaches(alerts):
    return [(a.extra["level"], a.extra["side"], a.direction, a.price) for a in alerts if a.rule == "level_approach"]


def test_approach_band_edges_above_and_below_a_level():
    assert approaches(feed(near_state(), [2512.51, 2500.0, 2512.5])) == [(2500.0, "above", "down", 2512.5)]
    assert approaches(feed(near_state(), [2487.49, 2487.5])) == [(2500.0, "below", "up", 2487.5)]


def test_approach_once_per_session_per_level_and_side():
    st = near_state()
    assert approaches(feed(st, [2510.0, 2505.0, 2495.0, 2490.0, 2505.0])) == [
        (2500.0, "above", "down", 2510.0), (2500.0, "below", "up", 2495.0)]
    assert approaches(feed(st, [2505.0], day="2026-01-06")) == [(2500.0, "above", "down", 2505.0)]


def test_per_level_approach_pct_overrides_the_rule_and_zero_turns_it_off():
    assert approaches(feed(near_state(approach_pct=1.0), [2525.0])) == [(2500.0, "above", "down", 2525.0)]
    assert approaches(feed(near_state(approach_pct=0.0), [2501.0, 2499.0])) == []


def test_zone_edges_are_approached_from_outside_only():
    st = near_state()
    alerts = feed(st, [2567.1, 2590.0, 2613.0, 2605.0])
    assert approaches(alerts) == [(2580.0, "below", "up", 2567.1), (2600.0, "above", "down", 2613.0)]
    assert alerts[0].message == "^RUT is 0.5 % below 2,580 (low edge of the resistance zone)"


def test_approach_message():
    (alert,) = [a for a in feed(near_state(), [2510.0]) if a.rule == "level_approach"]
    assert alert.message == "^RUT is 0.4 % above 2,500 (support)"
    assert alert.extra["distance_pct"] == pytest.approx(0.4) and alert.extra["approach_pct"] == 0.5


def test_ma_gap_and_its_change_over_five_sessions():
    st = MarketState(Config(symbols=("X",), levels=(), zones=(), rules=Rules(ma_fast=1, ma_slow=2)))
    closes = [100.0, 100.0, 102.0, 100.0, 100.0, 100.0, 100.0, 104.0]
    daily(st, "X", closes)
    s = st.symbols["X"]
    # forming 104: SMA1 104, SMA2 102 -> gap 1.96 %; five sessions before (committed 01-02 close
    # 100 after 100... index 2's gap: SMA1 102, SMA2 101 -> 0.990 %)
    gap, change = ma_gap(s)
    assert gap == pytest.approx(2 / 102 * 100)
    assert change == pytest.approx(2 / 102 * 100 - 1 / 101 * 100)
    st.finish()
    assert ma_gap(s) == pytest.approx((2 / 102 * 100, 2 / 102 * 100 - 1 / 101 * 100))


# --------------------------------------------------------------------------------------------
# records


def test_records_keep_the_extremes_and_the_first_date_of_a_tie():
    r = Records()
    for bar in (DailyBar(date(2026, 1, 5), 10, 12, 9, 11, None), DailyBar(date(2026, 1, 6), 11, 12, 8, 10, None),
                DailyBar(date(2026, 1, 7), 10, 11, 8.5, 11.5, None)):
        r.update(bar)
    assert (r.high, r.high_day, r.low, r.low_day, r.close, r.close_day) == (
        12, date(2026, 1, 5), 8, date(2026, 1, 6), 11.5, date(2026, 1, 7))


def test_state_records_are_numbers_whatever_the_history():
    st = MarketState(Config(symbols=("X",), levels=(), zones=()))
    daily(st, "X", [float(10 + i % 7) for i in range(23)])
    st.finish()
    r = st.symbols["X"].records
    assert (r.high, r.low, r.close) == (16.0, 10.0, 16.0) and r.high_day == date.fromisoformat(SESSIONS[6])
    assert not hasattr(r, "__dict__")  # three numbers and three dates, no kept bars


def test_shipped_records_lie_before_the_demo_data():
    records = shipped_records()
    assert set(records) == {"^RUT", "^GSPC", "^NDX"}
    rut = records["^RUT"]
    assert (rut.high, rut.high_day, rut.close, rut.close_day) == (2458.86, date(2021, 11, 8), 2442.74, date(2021, 11, 8))
    assert all(r.high_day < date(2024, 2, 20) and r.close <= r.high for r in records.values())


# --------------------------------------------------------------------------------------------
# config


def problems(text: str) -> list[str]:
    return check_config_text(text, "c.toml")[1]


def test_the_default_config_has_the_resistance_zone_and_the_new_settings():
    config = Config()
    assert config.zones == (Zone("^RUT", 2580.0, 2600.0, "resistance zone"),)
    assert (config.relative_strength.sessions, config.relative_strength.threshold_bp) == (21, 300.0)
    assert (config.rules.divergence_lookback, config.rules.divergence_min_gap, config.rules.approach_pct) == (20, 5.0, 0.5)


def test_zones_and_settings_are_read_and_validated_with_lines():
    config, found = check_config_text(
        '[[zones]]\nsymbol = "^GSPC"\nlow = 6800\nhigh = 6900\nlabel = "range"\napproach_pct = 0.2\n'
        '[relative_strength]\nsessions = 10\nthreshold_bp = 150\n'
        '[rules]\ndivergence_lookback = 30\ndivergence_min_gap = 3\napproach_pct = 0.25\n'
        '[[levels]]\nsymbol = "^RUT"\nprice = 2500\napproach_pct = 1\n', "c.toml")
    assert found == []
    assert config.zones == (Zone("^GSPC", 6800.0, 6900.0, "range", 0.2),)
    assert config.relative_strength == RelativeStrength(10, 150.0)
    assert (config.rules.divergence_lookback, config.rules.divergence_min_gap, config.rules.approach_pct) == (30, 3.0, 0.25)
    assert config.levels[0].approach_pct == 1.0
    assert check_config_text("zones = []\n", "c.toml")[0].zones == ()


@pytest.mark.parametrize("text, problem", [
    ('[[zones]]\nsymbol = "^RUT"\nlow = 2600\nhigh = 2580\n', "c.toml:4: zones[1].high: must be above low (2600)"),
    ('[[zones]]\nsymbol = "^RUT"\nlow = 2580\n', "c.toml:1: zones[1].high: missing"),
    ('[[zones]]\nsymbol = "^RUT"\nlow = 2580\nhigh = 2600\nmuted = true\n', "c.toml:5: zones[1].muted: unknown key"),
    ('[[zones]]\nsymbol = "^RUT"\nlow = 2580\nhigh = 2600\n[[zones]]\nsymbol = "^RUT"\nlow = 2580\nhigh = 2600\n',
     "c.toml:5: zones[2]: ^RUT 2580-2600 is already zones[1]"),
    ('zones = 3\n', "c.toml:1: zones: expected [[zones]] tables"),
    ('[relative_strength]\nsessions = 0\n', "c.toml:2: relative_strength.sessions: expected a whole number of 1 or more, got 0"),
    ('[relative_strength]\nthreshold_bp = 0\n', "c.toml:2: relative_strength.threshold_bp: expected a number above 0, got 0"),
    ('[relative_strength]\nspan = 3\n', "c.toml:2: relative_strength.span: unknown key"),
    ('[rules]\ndivergence_lookback = 1.5\n', "c.toml:2: rules.divergence_lookback: expected a whole number, got 1.5"),
    ('[rules]\napproach_pct = -1\n', "c.toml:2: rules.approach_pct: expected a number of 0 or more, got -1"),
    ('[[levels]]\nsymbol = "^RUT"\nprice = 2500\napproach_pct = "near"\n', "c.toml:4: levels[1].approach_pct: expected a percentage, got 'near'"),
])
def test_bad_zone_and_setting_values_are_one_line_problems(text, problem):
    assert problems(text) == [problem]


def test_the_new_rules_take_alert_policies():
    config, found = check_config_text('[alerts.zone_cross]\nmuted = true\n[alerts.level_approach]\nfrequency = "once"\n'
                                      '[alerts.relative_strength]\ncooldown = "1d"\n[alerts.price_rsi_divergence]\nmuted = true\n', "c.toml")
    assert found == [] and config.policy_for("zone_cross").muted and config.policy_for("level_approach").frequency == "once"


def test_the_zone_quiet_band_is_the_edges_the_region_would_cross():
    st = zone_state()  # low*(1-h) 2577.42, low*(1+h) 2582.58, high*(1-h) 2597.4, high*(1+h) 2602.6
    s = st.symbols["^RUT"]
    assert (s.quiet_low, s.quiet_high) == (math.inf, -math.inf)  # no region yet: the next tick is looked at
    feed(st, [2570.0])
    assert (s.quiet_low, s.quiet_high) == (-math.inf, 2582.58)
    feed(st, [2590.0], day="2026-01-06")
    assert (s.quiet_low, s.quiet_high) == (2577.42, 2602.6)
    feed(st, [2610.0], day="2026-01-07")
    assert (s.quiet_low, s.quiet_high) == (2597.4, math.inf)


def test_a_zone_added_inside_the_quiet_band_fires_on_the_next_tick_into_it():
    st = zone_state()
    feed(st, [2570.0])
    config = Config(symbols=("^RUT",), levels=(), rules=Rules(hysteresis_pct=0.1, approach_pct=0.0),
                    zones=(Zone("^RUT", 2580.0, 2600.0), Zone("^RUT", 2540.0, 2560.0)))
    st.reconfigure(config)
    assert events(feed(st, [2550.0], day="2026-01-06")) == [("down", "entered", 2550.0)]
