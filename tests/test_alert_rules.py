"""The alert semantics of "Alerts worth acting on", pinned on hand-made sequences: cross-index
rules only on simultaneous prices, RSI re-arm, one divergence alert per cause, breakouts after a
gap, level bands, messages and ``confirm = "close"``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerts import RsiArming, Snapshot, bar_close_alerts
from monitor.bars import DailyBar, ny_day_epoch
from monitor.config import AlertPolicy, Config, Divergence, Level, Rules
from monitor.model import NEW_YORK, Alert, BarExtremes, Tick
from monitor.records import Records
from monitor.series import DAILY_OFFSETS, OPEN_SECONDS, Series, replay_batches
from monitor.state import MarketState


def ny(day: str, hhmm: str = "09:30") -> float:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=NEW_YORK).timestamp()


def day_after(start: str, i: int) -> str:
    return date.fromordinal(date.fromisoformat(start).toordinal() + i).isoformat()


def daily(symbol: str, rows, start: str = "2026-01-05") -> Series:
    """A daily series of (open, high, low, close) rows on consecutive days from ``start``."""
    out = [(ny_day_epoch(date.fromisoformat(day_after(start, i)), OPEN_SECONDS), o, h, l, c, None)
           for i, (o, h, l, c) in enumerate(rows)]
    return Series(symbol, Path(f"{symbol}.csv"), "daily", out, DAILY_OFFSETS)


def replay(state: MarketState, series: list[Series]) -> list[Alert]:
    out: list[Alert] = []
    for batch in replay_batches(series):
        out += state.apply(batch)
    return out + state.finish()


# --------------------------------------------------------------------------------------------
# 1. relative_divergence in a daily replay: only at the open and the close


DIVERGENCE = Config(symbols=("L", "P1", "P2"), levels=(), divergence=Divergence("L", ("P1", "P2"), 1.0))


def test_daily_replay_marks_the_extreme_batches_only():
    batches = list(replay_batches([daily("L", [(100, 102, 99, 101)] * 2), daily("P1", [(50, 51, 49, 50)] * 2)]))
    assert [type(b) is BarExtremes for b in batches] == [False, True, True, False] * 2
    assert [len(b) for b in batches] == [2] * 8  # both symbols in each batch
    single = list(replay_batches([daily("L", [(100, 102, 99, 101)])]))
    assert [type(b) is BarExtremes for b in single] == [False, True, True, False]


def test_daily_extremes_of_different_indexes_never_make_a_divergence():
    """Day 2: the lead's high (+3 %) is paired with the peers' lows (-2 %) at 11:00/14:00, but
    the closes are +0.2 / -0.1 / -0.2: no alert (the 2025-09-17 case of the issue)."""
    lead = daily("L", [(100, 100, 100, 100), (100, 103, 99.9, 100.2)])
    p1 = daily("P1", [(100, 100, 100, 100), (100, 100.1, 98, 99.9)])
    p2 = daily("P2", [(100, 100, 100, 100), (100, 100.1, 98, 99.8)])
    assert [a for a in replay(MarketState(DIVERGENCE), [lead, p1, p2]) if a.rule == "relative_divergence"] == []


def test_daily_closes_that_qualify_fire_at_the_close():
    lead = daily("L", [(100, 100, 100, 100), (100, 101.6, 99.9, 101.5)])
    p1 = daily("P1", [(100, 100, 100, 100), (100, 100.1, 99.5, 99.6)])
    p2 = daily("P2", [(100, 100, 100, 100), (100, 100.1, 99.5, 99.7)])
    (alert,) = [a for a in replay(MarketState(DIVERGENCE), [lead, p1, p2]) if a.rule == "relative_divergence"]
    assert (alert.direction, alert.time, alert.price) == ("up", ny("2026-01-06", "16:00"), 101.5)


def test_daily_opens_that_qualify_fire_at_the_open():
    lead = daily("L", [(100, 100, 100, 100), (101.5, 101.6, 99.9, 100.0)])
    p1 = daily("P1", [(100, 100, 100, 100), (99.6, 100.1, 99.5, 100.0)])
    p2 = daily("P2", [(100, 100, 100, 100), (99.7, 100.1, 99.5, 100.0)])
    (alert,) = [a for a in replay(MarketState(DIVERGENCE), [lead, p1, p2]) if a.rule == "relative_divergence"]
    assert alert.time == ny("2026-01-06", "09:30")


def test_extreme_batches_still_drive_each_symbols_own_rules():
    config = Config(symbols=("L", "P1", "P2"), levels=(Level("L", 102.0),), divergence=DIVERGENCE.divergence,
                    rules=Rules(high_low_window=1, breakout_gap=1))
    state = MarketState(config)
    for name in ("L", "P1", "P2"):
        state.apply([Tick(name, ny("2026-01-05", "16:00"), 100.0)])
    state.apply([Tick(n, ny("2026-01-06"), 100.0) for n in ("L", "P1", "P2")])
    extremes = BarExtremes([Tick("L", ny("2026-01-06", "11:00"), 103.0), Tick("P1", ny("2026-01-06", "11:00"), 98.0),
                            Tick("P2", ny("2026-01-06", "11:00"), 98.0)])
    assert sorted(a.rule for a in state.apply(extremes)) == ["level_cross", "new_high", "new_low", "new_low"]
    # the same prices as one live batch are simultaneous: the divergence is evaluated
    later = [Tick("L", ny("2026-01-06", "11:01"), 103.0), Tick("P1", ny("2026-01-06", "11:01"), 98.0),
             Tick("P2", ny("2026-01-06", "11:01"), 98.0)]
    assert [a.rule for a in state.apply(later)] == ["relative_divergence"]


def test_intraday_replays_evaluate_every_batch():
    def intraday(symbol: str, o: float, h: float, l: float, c: float) -> Series:
        start = ny("2026-01-06", "10:00")
        return Series(symbol, Path(f"{symbol}.csv"), "intraday", [(start, o, h, l, c, None)], (0.0, 15.0, 30.0, 45.0))

    state = MarketState(DIVERGENCE)
    for name in ("L", "P1", "P2"):
        state.apply([Tick(name, ny("2026-01-05", "16:00"), 100.0)])
    # at bar start + 15 s: the lead's high (close < open: high first), the peers' lows
    alerts = replay(state, [intraday("L", 100, 103, 99.9, 99.9), intraday("P1", 100, 100, 98, 100), intraday("P2", 100, 100, 98, 100)])
    (alert,) = [a for a in alerts if a.rule == "relative_divergence"]
    assert alert.time == ny("2026-01-06", "10:00") + 15.0  # the intraday bar's extreme ticks count


def test_a_daily_file_replayed_with_intraday_files_keeps_its_extremes_marked():
    intraday = Series("I", Path("i.csv"), "intraday", [(ny("2026-01-05", "10:00"), 1, 2, 0.5, 1, None)], (0.0, 15.0, 30.0, 45.0))
    batches = list(replay_batches([daily("L", [(100, 102, 99, 101)]), intraday]))
    marked = [Tick(*b[0]).time for b in batches if type(b) is BarExtremes]
    assert marked == [ny("2026-01-05", "11:00"), ny("2026-01-05", "14:00")]


# --------------------------------------------------------------------------------------------
# 2, 3. RSI re-arm and one rsi_macd_divergence alert per cause

BAR = DailyBar(date(2026, 1, 5), 100.0, 105.0, 99.0, 104.0, None)


def run_closes(values, rules: Rules = Rules()) -> list[tuple[int, str, str]]:
    """(index, rule, direction) of what fires over a sequence of (rsi, macd, signal) closes for one
    symbol (its RSI rules' arming carried along)."""
    armed = RsiArming()
    prev = Snapshot()
    fired = []
    for i, value in enumerate(values):
        now = Snapshot(1.0, 1.0, *value) if isinstance(value, tuple) else Snapshot(1.0, 1.0, value, 0.0, 1.0)
        out: list[Alert] = []
        bar_close_alerts("X", BAR, prev, now, rules, armed, out)
        fired += [(i, a.rule, a.direction) for a in out]
        prev = now
    return fired


def test_rsi_overbought_rearms_only_below_overbought_minus_rsi_rearm():
    # MACD stays below its signal here: only rsi_overbought is in play
    assert run_closes([60, 71, 66, 71, 65, 71, 64.99, 70]) == [(1, "rsi_overbought", "up"), (7, "rsi_overbought", "up")]


def test_rsi_oversold_rearms_only_above_oversold_plus_rsi_rearm():
    values = [(v, 1.0, 0.0) for v in (40, 29, 34, 30, 35, 29, 35.01, 30)]  # MACD above: no divergence
    assert run_closes(values) == [(1, "rsi_oversold", "down"), (7, "rsi_oversold", "down")]


def test_rsi_rearm_zero_is_the_plain_threshold_cross():
    assert [i for i, *_ in run_closes([60, 71, 69.9, 70, 72, 69, 75], Rules(rsi_rearm=0))] == [1, 3, 6]


def test_divergence_supersedes_rsi_overbought_at_the_same_close_and_disarms_it():
    fired = run_closes([
        (60, 1.0, 0.5),
        (72, 1.0, 0.5),  # RSI crosses 70 with MACD above: the divergence only
        (69, 0.4, 0.5),
        (71, 0.4, 0.5),  # rsi_overbought is disarmed as if it had fired: silent
        (64, 0.4, 0.5),  # re-arms both
        (71, 0.4, 0.5),  # MACD below: rsi_overbought
        (72, 1.0, 0.5),  # now the divergence's condition turns on: its own cause, it fires
    ])
    assert fired == [(1, "rsi_macd_divergence", "down"), (5, "rsi_overbought", "up"), (6, "rsi_macd_divergence", "down")]


def test_divergence_fires_once_per_cause_until_rsi_rearms():
    fired = run_closes([
        (60, 1.0, 0.5),
        (75, 1.0, 0.5),  # fires
        (74, 0.4, 0.5),  # MACD dips under its signal
        (74, 1.0, 0.5),  # and back above: the same stretch, silent
        (66, 1.0, 0.5),  # not re-armed (66 >= 65)
        (71, 1.0, 0.5),  # silent
        (60, 1.0, 0.5),  # re-armed
        (71, 1.0, 0.5),  # fires again
    ])
    assert fired == [(1, "rsi_macd_divergence", "down"), (7, "rsi_macd_divergence", "down")]


def test_oversold_divergence_mirrors_and_says_what_it_means():
    fired = run_closes([
        (40, -1.0, -0.5),
        (28, -1.0, -0.5),  # the divergence; rsi_oversold superseded
        (33, -1.0, -0.5),  # not re-armed (33 <= 35)
        (28, -0.4, -0.5),  # rsi_oversold still disarmed
        (36, -1.0, -0.5),  # re-armed
        (29, -0.4, -0.5),  # MACD above its signal: rsi_oversold
        (29, -1.0, -0.5),  # MACD turns below while oversold: the divergence, its own cause
    ])
    assert fired == [(1, "rsi_macd_divergence", "up"), (5, "rsi_oversold", "down"), (6, "rsi_macd_divergence", "up")]
    out: list[Alert] = []
    bar_close_alerts("^NDX", BAR, Snapshot(1, 1, 40, -1.0, -0.5), Snapshot(1, 1, 24.44, -1.0, -0.5), Rules(), RsiArming(), out)
    (alert,) = out
    assert alert.message == "^NDX RSI 24.4 is oversold while MACD stays below its signal: stretched, momentum intact"
    assert "divergence" not in alert.message and "bullish" not in alert.message


def test_rsi_arming_is_kept_per_symbol_by_the_engine():
    state = MarketState(Config(symbols=("A", "B"), levels=()))
    state.symbols["A"].rsi_armed.overbought = False
    assert state.symbols["B"].rsi_armed.overbought is True


# --------------------------------------------------------------------------------------------
# 4. new_high / new_low: breakouts, not repeats


def extremes(window: int = 10, gap: int = 5, **config) -> MarketState:
    return MarketState(Config(symbols=("X",), levels=(), rules=Rules(high_low_window=window, breakout_gap=gap), **config))


def sessions(state: MarketState, highs, start: str = "2026-01-05", low: float = 1.0) -> list[Alert]:
    """One session per high: ticks open=low+1, high, low, close=low+1."""
    series = daily("X", [(low + 1, h, low, low + 1) for h in highs], start)
    out: list[Alert] = []
    for batch in replay_batches([series]):
        out += state.apply(batch)
    return out


def new_highs(alerts) -> list[Alert]:
    return [a for a in alerts if a.rule == "new_high"]


@pytest.mark.parametrize("back, fires", [(5, True), (4, False), (6, True)])
def test_new_high_needs_the_old_high_set_at_least_gap_sessions_back(back, fires):
    state = extremes(window=10, gap=5)
    highs = [10.0] * 10
    highs[10 - back] = 20.0  # the window's high, ``back`` sessions before the next one
    assert new_highs(sessions(state, highs)) == []
    out = new_highs(sessions(state, [25.0], start=day_after("2026-01-05", 10)))
    assert [(a.price, a.extra["sessions_back"]) for a in out] == ([(25.0, back)] if fires else [])


def test_gap_one_is_every_new_high():
    state = extremes(window=3, gap=1)
    out = new_highs(sessions(state, [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]))
    assert [a.price for a in out] == [13.0, 14.0, 15.0]


def test_a_trend_fires_once_then_after_a_pause_of_gap_sessions():
    state = extremes(window=10, gap=3)
    highs = [10.0] * 10 + [11.0, 12.0, 13.0, 13.0, 13.0, 14.0, 13.5, 13.5, 13.5, 15.0]
    out = new_highs(sessions(state, highs))
    # day 10 breaks the flat 10s (set 10 back); 11, 12 follow yesterday's high; 13.0 equals;
    # 14 (day 15) is above the 13 first set on day 12, 3 back; 15 (day 19) above the 14 of day 15, 4 back
    assert [(a.price, a.extra["sessions_back"]) for a in out] == [(11.0, 10), (14.0, 3), (15.0, 4)]


def test_the_earliest_of_equal_highs_set_the_extreme():
    state = extremes(window=10, gap=5)
    highs = [10.0] * 10
    highs[2] = highs[8] = 20.0  # 8 back and again 2 back
    sessions(state, highs)
    (alert,) = new_highs(sessions(state, [21.0], start=day_after("2026-01-05", 10)))
    assert (alert.extra["sessions_back"], alert.extra["previous_date"]) == (8, "2026-01-07")


def test_a_too_recent_extreme_keeps_the_whole_session_silent():
    state = extremes(window=5, gap=5)
    sessions(state, [10.0, 10.0, 10.0, 10.0, 20.0])
    day = day_after("2026-01-05", 5)
    out = state.apply([Tick("X", ny(day), 21.0)])
    out += state.apply([Tick("X", ny(day, "10:00"), 30.0)])
    assert new_highs(out) == []


def test_new_low_mirrors_with_the_gap():
    state = extremes(window=5, gap=2)
    rows = [(10.0, 11.0, 5.0, 10.0), (10.0, 11.0, 6.0, 10.0), (10.0, 11.0, 7.0, 10.0), (10.0, 11.0, 7.0, 10.0),
            (10.0, 11.0, 4.0, 10.0)]
    out: list[Alert] = []
    for batch in replay_batches([daily("X", rows + [(10.0, 11.0, 3.0, 10.0), (10.0, 11.0, 3.5, 10.0)])]):
        out += state.apply(batch)
    lows = [(a.price, a.extra["previous_low"], a.extra["sessions_back"]) for a in out if a.rule == "new_low"]
    assert lows == []  # day 5: the 4.0 is 1 back; day 6: 3.0 is 1 back
    out = state.apply([Tick("X", ny(day_after("2026-01-05", 7)), 2.0)])
    assert [(a.price, a.extra["previous_low"], a.extra["sessions_back"]) for a in out] == [(2.0, 3.0, 2)]
    assert out[0].message == "X made a new all-time low at 2.00, below the 3.00 of 2026-01-10"  # nothing lower loaded


def test_new_high_message_names_52_weeks_and_the_date():
    state = extremes(window=252, gap=5)
    highs = [2400.0] * 252
    highs[100] = 2466.49
    record = Records()
    record.update(DailyBar(date(2021, 11, 8), 2400.0, 2500.0, 2300.0, 2450.0, None))  # an older, higher record
    state.seed_records({"X": record})
    sessions(state, highs, start="2024-01-01", low=2300.0)
    (alert,) = new_highs(sessions(state, [2480.0], start=day_after("2024-01-01", 252), low=2300.0))
    assert alert.message == "X made a new 52-week high at 2,480.00, above the 2,466.49 of 2024-04-10"
    assert alert.extra == {"previous_high": 2466.49, "previous_date": "2024-04-10", "window_high": 2466.49,
                           "window_date": "2024-04-10", "sessions_back": 152, "window": 252, "all_time": False}
    above_record = extremes(window=252, gap=5)  # the same history, then a breakout above the 2021 record
    above_record.seed_records({"X": record})
    sessions(above_record, highs, start="2024-01-01", low=2300.0)
    (alert,) = new_highs(sessions(above_record, [2510.0], start=day_after("2024-01-01", 252), low=2300.0))
    assert alert.message == "X made a new all-time high at 2,510.00, above the 2,500.00 of 2021-11-08"
    # previous_* name the record the message is about; window_* the 52-week reference
    assert alert.extra == {"previous_high": 2500.0, "previous_date": "2021-11-08", "window_high": 2466.49,
                           "window_date": "2024-04-10", "sessions_back": 152, "window": 252, "all_time": True}


# --------------------------------------------------------------------------------------------
# 5. Levels: the 0.25 % band, messages, confirm = "close"


def rut(levels=(Level("^RUT", 2500.0, "support"), Level("^RUT", 2600.0, "resistance")), **config) -> MarketState:
    """^RUT with levels only: no zone, and level_approach off (tests/test_signals.py has them)."""
    config.setdefault("rules", Rules())
    config["rules"] = replace(config["rules"], approach_pct=0.0)
    return MarketState(Config(symbols=("^RUT",), levels=tuple(levels), zones=(), **config))


def ticks(state: MarketState, prices, day: str = "2026-01-05") -> list[Alert]:
    out = []
    for i, price in enumerate(prices):
        out += state.apply([Tick("^RUT", ny(day) + 60 * i, price)])
    return out


def test_default_band_is_a_quarter_percent_and_its_edges_do_not_cross():
    assert Rules().hysteresis_pct == 0.25
    state = rut()  # 2500: 2493.75 .. 2506.25
    alerts = ticks(state, [2510.0, 2495.0, 2493.75, 2493.74, 2500.0, 2506.25, 2506.26])
    assert [(a.direction, a.price) for a in alerts] == [("down", 2493.74), ("up", 2506.26)]


def test_level_messages_take_the_verb_from_the_direction_and_the_label_as_a_name():
    state = rut()
    up = ticks(state, [2590.0, 2606.50, 2611.29])[0]
    assert up.message == "^RUT rose above 2,600 (resistance) at 2,611.29"
    assert "below" not in up.message
    state = rut(rules=Rules(hysteresis_pct=0.1))  # the example price is inside the 0.25 % band
    (down,) = ticks(state, [2510.0, 2497.12])
    assert down.message == "^RUT fell below 2,500 (support) at 2,497.12"
    assert "above" not in down.message
    state = rut(levels=[Level("^RUT", 2512.5)])
    (plain,) = ticks(state, [2520.0, 2400.0])
    assert plain.message == "^RUT fell below 2,512.50 at 2,400.00"


def test_a_level_confirmed_by_the_close_ignores_intraday_crossings():
    state = rut(levels=[Level("^RUT", 2500.0, "support", AlertPolicy(confirm="close"))])
    rows = [(2510.0, 2515.0, 2505.0, 2510.0),  # arms above
            (2510.0, 2512.0, 2480.0, 2495.0),  # dips through, closes inside the band: nothing
            (2495.0, 2500.0, 2485.0, 2493.0)]  # closes below 2,493.75: fires at the close
    alerts = replay(state, [daily("^RUT", rows)])
    (alert,) = [a for a in alerts if a.rule == "level_cross"]
    assert (alert.direction, alert.price, alert.time) == ("down", 2493.0, ny("2026-01-07", "16:00"))
    assert alert.message == "^RUT closed below 2,500 (support) at 2,493.00 on 2026-01-07"
    assert alert.extra == {"level": 2500.0, "label": "support", "confirm": "close"}


def test_confirm_per_rule_with_a_levels_own_setting_winning():
    levels = [Level("^RUT", 2500.0, "support"), Level("^RUT", 2600.0, "resistance", AlertPolicy(confirm="tick"))]
    state = rut(levels=levels, alerts={"level_cross": AlertPolicy(confirm="close")})
    rows = [(2550.0, 2551.0, 2549.0, 2550.0),
            (2550.0, 2610.0, 2480.0, 2550.0)]  # through both levels intraday, back inside at the close
    alerts = [a for a in replay(state, [daily("^RUT", rows)]) if a.rule == "level_cross"]
    assert [(a.extra["level"], a.direction) for a in alerts] == [(2600.0, "up"), (2600.0, "down")]


def test_new_high_confirmed_by_the_close():
    state = extremes(window=3, gap=1, alerts={"new_high": AlertPolicy(confirm="close")})
    sessions(state, [10.0, 10.0, 10.0])
    day = day_after("2026-01-05", 3)
    rows = [(2.0, 12.0, 1.0, 9.0), (9.0, 13.0, 8.0, 12.5)]  # above 10 intraday only; then at the close
    out: list[Alert] = []
    for batch in replay_batches([daily("X", rows, day)]):
        out += state.apply(batch)
    out += state.finish()
    (alert,) = new_highs(out)
    assert (alert.price, alert.time) == (12.5, ny(day_after(day, 1), "16:00"))
    assert alert.message == "X closed at a new all-time high of 12.50, above the 12.00 of " + day
    assert alert.extra["confirm"] == "close"


def test_new_high_waits_for_the_close_after_a_reconfigure_and_on_ticks_again_after_another():
    state = extremes(window=3, gap=1)
    sessions(state, [10.0, 10.0, 10.0])
    state.reconfigure(replace(state.config, alerts={"new_high": AlertPolicy(confirm="close")}))
    day = day_after("2026-01-05", 3)
    out: list[Alert] = []
    for batch in replay_batches([daily("X", [(2.0, 12.0, 1.0, 11.0)], day)]):
        out += state.apply(batch)
    assert new_highs(out) == []  # above 10 on a tick: it waits for the close
    (alert,) = new_highs(state.finish())
    assert (alert.price, alert.extra["confirm"]) == (11.0, "close")
    state.reconfigure(replace(state.config, alerts={}))
    out = []
    for batch in replay_batches([daily("X", [(2.0, 13.0, 1.0, 2.0)], day_after(day, 1))]):
        out += state.apply(batch)
    (alert,) = new_highs(out)  # on the tick again, and nothing more at the close
    assert alert.price == 13.0 and "confirm" not in alert.extra and new_highs(state.finish()) == []


def test_reconfigure_applies_confirm_and_keeps_the_side():
    state = rut()
    ticks(state, [2550.0])
    config = replace(state.config, alerts={"level_cross": AlertPolicy(confirm="close")})
    state.reconfigure(config)
    assert [(lv.side, lv.on_close) for lv in state.symbols["^RUT"].levels] == [(1, True), (-1, True)]
    assert ticks(state, [2400.0], day="2026-01-05") == []  # waits for the close
    (alert,) = [a for a in state.finish() if a.rule == "level_cross"]
    assert alert.extra["confirm"] == "close"


def test_extreme_origin_beyond_the_kept_bars_counts_as_the_whole_window():
    from monitor.bars import CLOSES_SLACK, DAILY_BARS_KEPT, SessionBars

    bars = SessionBars("^RUT")
    highs = [30.0] + [10.0] * (DAILY_BARS_KEPT + CLOSES_SLACK) + [12.0, 11.0, 12.0]  # the 30 has left the kept bars
    first = date(2020, 1, 1)
    for i, high in enumerate(highs):  # bar i: low 1 (its open), high ``high``
        bars.open_session(first + timedelta(days=i), 0.0, 1.0, 0.0, 1.0, None)
        bars.revise(0.5, high, None)
        bars.commit()
    n = len(highs)
    window = DAILY_BARS_KEPT + 10
    assert bars.extreme_origin(window, 12.0, True) == (3, first + timedelta(days=n - 3))  # the earliest 12
    assert bars.extreme_origin(2, 12.0, True) == (1, first + timedelta(days=n - 1))
    assert bars.extreme_origin(window, 30.0, True) == (window, None)
    assert bars.extreme_origin(window, 1.0, False) == (DAILY_BARS_KEPT, first + timedelta(days=n - DAILY_BARS_KEPT))
    assert bars.extreme_origin(window, 0.5, False) == (window, None)


def test_a_revised_close_beyond_the_bar_moves_its_extreme_origin_too():
    from monitor.bars import SessionBars

    bars = SessionBars("^RUT")
    for i, (low, high) in enumerate([(5.0, 10.0), (6.0, 9.0)]):
        bars.open_session(date(2026, 1, 5 + i), 0.0, 1.0, 0.0, low, None)
        bars.revise(0.5, high, None)
        bars.commit()
    bars.revise_close(2.0, 12.0)  # the official close of 2026-01-06, above its high
    assert bars.extreme_origin(5, 12.0, True) == (1, date(2026, 1, 6))
    bars.revise_close(2.0, 4.0)  # and below its low (the high stays 12)
    assert bars.extreme_origin(5, 4.0, False) == (1, date(2026, 1, 6))
