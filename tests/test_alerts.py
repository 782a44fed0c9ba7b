"""The alert rules: every rule's firing and non-firing edges, and the alert JSON shape."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from monitor.alerts import DivergenceWatch, RsiArming, Snapshot, bar_close_alerts, fmt_level, fmt_price
from monitor.bars import DailyBar
from monitor.config import AlertPolicy, Config, Divergence, Level, Rules
from monitor.model import NEW_YORK, Alert, Tick, iso_time
from monitor.series import load_all, replay_batches
from monitor.state import MarketState

NAN = float("nan")


def ny(day: str, hhmm: str = "09:30", seconds: float = 0.0) -> float:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=NEW_YORK).timestamp() + seconds


def rut_state(hysteresis: float = 0.1, **rules) -> MarketState:
    """^RUT with the two default levels; no zone, and level_approach off (tests/test_signals.py)."""
    config = Config(
        symbols=("^RUT",),
        levels=(Level("^RUT", 2500.0, "support"), Level("^RUT", 2600.0, "resistance")),
        zones=(),
        rules=Rules(hysteresis_pct=hysteresis, **{"approach_pct": 0.0, **rules}),
    )
    return MarketState(config)


def feed(st: MarketState, prices, symbol: str = "^RUT", day: str = "2026-01-05") -> list[Alert]:
    """One tick per minute from 09:30 on ``day``; returns every alert."""
    out = []
    for i, price in enumerate(prices):
        out += st.apply([Tick(symbol, ny(day) + 60 * i, price)])
    return out


# --------------------------------------------------------------------------------------------
# level_cross


def test_first_price_sets_the_side_and_fires_nothing():
    st = rut_state()
    assert feed(st, [2400.0]) == []  # below both levels
    assert [lv.side for lv in st.symbols["^RUT"].levels] == [-1, -1]
    st = rut_state()
    assert feed(st, [2500.0]) == []  # exactly at a level counts as above
    assert [lv.side for lv in st.symbols["^RUT"].levels] == [1, -1]


def test_level_cross_needs_to_leave_the_hysteresis_band():
    st = rut_state(hysteresis=0.1)  # band 2497.5 .. 2502.5 around 2500
    alerts = feed(st, [2510.0, 2499.0, 2497.5, 2497.49, 2498.0, 2502.5, 2502.51, 2499.0])
    assert [(a.direction, a.price) for a in alerts] == [("down", 2497.49), ("up", 2502.51)]
    assert all(a.rule == "level_cross" and a.extra == {"level": 2500.0, "label": "support"} for a in alerts)


def test_zero_hysteresis_fires_on_any_cross_but_not_on_touching():
    st = rut_state(hysteresis=0.0)
    alerts = feed(st, [2501.0, 2500.0, 2499.99, 2500.0, 2500.01])
    assert [(a.direction, a.price) for a in alerts] == [("down", 2499.99), ("up", 2500.01)]


def test_a_gap_through_two_levels_fires_both():
    st = rut_state()
    alerts = feed(st, [2450.0, 2650.0])
    assert sorted(a.extra["level"] for a in alerts) == [2500.0, 2600.0]
    assert {a.direction for a in alerts} == {"up"}


def test_level_message_and_json_shape():
    st = rut_state()
    (alert,) = feed(st, [2510.0, 2497.12])
    assert alert.message == "^RUT fell below 2,500 (support) at 2,497.12"
    data = json.loads(alert.to_json())
    assert data == {
        "time": "2026-01-05T09:31:00-05:00",
        "symbol": "^RUT",
        "rule": "level_cross",
        "direction": "down",
        "price": 2497.12,
        "message": "^RUT fell below 2,500 (support) at 2,497.12",
        "level": 2500.0,
        "label": "support",
        "source": "replay",
        "stale": False,
    }


def test_number_formatting_in_messages():
    assert fmt_level(2500.0) == "2,500"
    assert fmt_level(2512.5) == "2,512.50"
    assert fmt_price(12345.678) == "12,345.68"
    assert fmt_price(0.123456) == "0.1235"


# --------------------------------------------------------------------------------------------
# new_high / new_low


def sessions(st: MarketState, bars, symbol: str = "X", start: str = "2026-01-05") -> list[Alert]:
    """Each (high, low) becomes a session: ticks at open=low, high, low, close=high; returns alerts."""
    out = []
    day = date.fromisoformat(start)
    for i, (high, low) in enumerate(bars):
        d = date.fromordinal(day.toordinal() + i).isoformat()
        for hhmm, price in (("09:30", low), ("11:00", high), ("14:00", low), ("16:00", high)):
            out += st.apply([Tick(symbol, ny(d, hhmm), price)])
    return out


def extremes_state(window: int = 3, gap: int = 1) -> MarketState:
    """``gap`` 1: any earlier session's extreme counts (the breakout gap has tests of its own)."""
    return MarketState(Config(symbols=("X",), levels=(), rules=Rules(high_low_window=window, breakout_gap=gap)))


def test_new_high_is_silent_until_the_window_has_committed_bars():
    st = extremes_state(3)
    alerts = sessions(st, [(10, 9), (11, 10), (12, 11)])  # each bar a new high, but < 3 committed
    assert [a for a in alerts if a.rule in ("new_high", "new_low")] == []
    assert math.isnan(st.symbols["X"].prev_high_n)


def test_new_high_fires_once_per_session_above_the_previous_window():
    st = extremes_state(3)
    sessions(st, [(10, 9), (11, 10), (12, 11)])
    sessions(st, [(12.5, 11.5)], start="2026-01-08")  # commits bar 3; 12.5 > 12 fires once
    s = st.symbols["X"]
    assert s.prev_high_n == 12.0
    out = st.apply([Tick("X", ny("2026-01-09"), 12.4)])  # commits bar 4 (high 12.5): reference 12.5
    assert out == [] and s.prev_high_n == 12.5
    out = st.apply([Tick("X", ny("2026-01-09", "10:00"), 12.6)])
    out += st.apply([Tick("X", ny("2026-01-09", "10:01"), 13.0)])  # higher again, same session
    assert [(a.rule, a.direction, a.price) for a in out] == [("new_high", "up", 12.6)]
    assert out[0].extra == {"previous_high": 12.5, "previous_date": "2026-01-08", "window_high": 12.5,
                            "window_date": "2026-01-08", "sessions_back": 1, "window": 3, "all_time": True}
    assert out[0].message == "X made a new all-time high at 12.60, above the 12.50 of 2026-01-08"  # all the loaded history


def test_new_high_reference_is_the_window_only():
    st = extremes_state(3)
    sessions(st, [(50, 9), (11, 10), (12, 11), (11.5, 10.5)])  # the 50 drops out after bar 4
    s = st.symbols["X"]
    out = st.apply([Tick("X", ny("2026-01-09"), 13.0)])
    assert s.prev_high_n == 12.0
    assert [a.rule for a in out] == ["new_high"]


def test_equal_to_the_previous_high_is_not_new():
    st = extremes_state(3)
    sessions(st, [(10, 9), (11, 10), (12, 11)])
    assert st.apply([Tick("X", ny("2026-01-08"), 12.0)]) == []


def test_new_low_fires_once_per_session_and_again_next_session():
    st = extremes_state(2)
    sessions(st, [(10, 9), (11, 8)])
    out = st.apply([Tick("X", ny("2026-01-07"), 7.5)])
    out += st.apply([Tick("X", ny("2026-01-07", "10:00"), 7.0)])
    assert [(a.rule, a.direction, a.price, a.extra["previous_low"]) for a in out] == [("new_low", "down", 7.5, 8.0)]
    out = st.apply([Tick("X", ny("2026-01-08"), 6.9)])  # next session, below the window's low 7.0
    assert [(a.rule, a.price, a.extra["previous_low"]) for a in out] == [("new_low", 6.9, 7.0)]


# --------------------------------------------------------------------------------------------
# Bar-close rules (unit level: the committed bar's values vs the previous committed bar's)

RULES = Rules()
BAR = DailyBar(date(2026, 1, 5), 100.0, 105.0, 99.0, 104.0, None)


def fired(prev: Snapshot, now: Snapshot) -> list[tuple[str, str]]:
    """The rules that fire for a symbol whose RSI rules are all armed."""
    out: list[Alert] = []
    bar_close_alerts("X", BAR, prev, now, RULES, RsiArming(), out)
    return [(a.rule, a.direction) for a in out]


@pytest.mark.parametrize(
    "prev, now, expected",
    [
        ((1.0, 2.0), (3.0, 2.0), [("ma_cross", "up")]),
        ((2.0, 2.0), (2.1, 2.0), [("ma_cross", "up")]),  # fast <= slow before counts
        ((3.0, 2.0), (4.0, 2.0), []),  # already above
        ((1.0, 2.0), (2.0, 2.0), []),  # touching is not crossing
        ((3.0, 2.0), (1.0, 2.0), [("ma_cross", "down")]),
        ((2.0, 2.0), (1.9, 2.0), [("ma_cross", "down")]),
        ((NAN, 2.0), (3.0, 2.0), []),  # undefined at the previous close: silent
        ((1.0, NAN), (3.0, 2.0), []),
        ((1.0, 2.0), (3.0, NAN), []),
    ],
)
def test_ma_cross_edges(prev, now, expected):
    assert fired(Snapshot(*prev), Snapshot(*now)) == expected


@pytest.mark.parametrize(
    "prev, now, expected",
    [
        (69.9, 70.0, [("rsi_overbought", "up")]),
        (70.0, 75.0, []),  # already overbought
        (NAN, 75.0, []),
        (75.0, 69.0, []),
        (30.1, 30.0, [("rsi_oversold", "down")]),
        (30.0, 25.0, []),
        (NAN, 25.0, []),
        (25.0, 31.0, []),
    ],
)
def test_rsi_threshold_edges(prev, now, expected):
    assert fired(Snapshot(rsi=prev), Snapshot(rsi=now)) == expected


@pytest.mark.parametrize(
    "prev, now, expected",
    [
        ((65.0, 1.0, 0.5), (75.0, 1.0, 0.5), [("rsi_macd_divergence", "down")]),  # supersedes rsi_overbought
        ((65.0, 1.0, 0.5), (75.0, 0.4, 0.5), [("rsi_overbought", "up")]),  # MACD below: no divergence
        ((75.0, 0.4, 0.5), (76.0, 1.0, 0.5), [("rsi_macd_divergence", "down")]),  # MACD turned above
        ((75.0, 1.0, 0.5), (76.0, 1.1, 0.5), []),  # condition already true at the previous close
        ((75.0, 0.5, 0.5), (76.0, 0.5, 0.5), []),  # MACD == signal is not above
        ((NAN, NAN, NAN), (75.0, 1.0, 0.5), []),  # warm-up: silent
        ((75.0, NAN, NAN), (76.0, 1.0, 0.5), []),
        ((35.0, -1.0, -0.5), (25.0, -1.0, -0.5), [("rsi_macd_divergence", "up")]),  # supersedes rsi_oversold
        ((35.0, -1.0, -0.5), (25.0, -0.4, -0.5), [("rsi_oversold", "down")]),
        ((25.0, -0.4, -0.5), (24.0, -1.0, -0.5), [("rsi_macd_divergence", "up")]),
        ((25.0, -1.0, -0.5), (24.0, -1.0, -0.5), []),
        ((50.0, 1.0, 0.5), (60.0, 2.0, 0.5), []),  # neither overbought nor oversold
    ],
)
def test_rsi_macd_divergence_is_a_rising_edge(prev, now, expected):
    p, n = Snapshot(1, 1, *prev), Snapshot(1, 1, *now)
    assert fired(p, n) == expected


def test_bar_close_alerts_carry_the_session_close_time_and_the_close():
    alerts: list[Alert] = []
    bar_close_alerts("^GSPC", BAR, Snapshot(1.0, 2.0, 69.0, 0.4, 0.5), Snapshot(3.0, 2.0, 71.0, 1.0, 0.5), RULES, RsiArming(), alerts)
    bar_close_alerts("^GSPC", BAR, Snapshot(rsi=69.0), Snapshot(rsi=71.0), RULES, RsiArming(), alerts)
    assert [a.rule for a in alerts] == ["ma_cross", "rsi_macd_divergence", "rsi_overbought"]
    for alert in alerts:
        assert alert.time == ny("2026-01-05", "16:00")
        assert alert.price == 104.0
        assert alert.symbol == "^GSPC"
    ma, div, rsi = (a.to_dict() for a in alerts)
    assert ma["message"] == "^GSPC golden cross: SMA50 3.00 crossed above SMA200 2.00 at the 2026-01-05 close of 104.00"
    assert {k: ma[k] for k in ("fast", "slow", "fast_period", "slow_period")} == {"fast": 3.0, "slow": 2.0, "fast_period": 50, "slow_period": 200}
    assert rsi["message"] == "^GSPC RSI(14) rose to 71.0, at or above the overbought 70, at the 2026-01-05 close of 104.00"
    assert {k: rsi[k] for k in ("rsi", "threshold", "period")} == {"rsi": 71.0, "threshold": 70.0, "period": 14}
    assert {k: div[k] for k in ("rsi", "macd", "signal")} == {"rsi": 71.0, "macd": 1.0, "signal": 0.5}
    assert div["message"] == "^GSPC RSI 71.0 is overbought while MACD stays above its signal: stretched, momentum intact"
    assert div["time"] == "2026-01-05T16:00:00-05:00"


def test_ma_cross_compares_closes_not_intraday_values():
    """Through the engine: an intraday excursion crosses the averages and comes back: nothing
    fires during the bar; the close decides, stamped with the session close."""
    st = MarketState(Config(symbols=("X",), levels=(), rules=Rules(ma_fast=2, ma_slow=3)))
    out = []
    for day, close in (("2026-01-05", 10.0), ("2026-01-06", 12.0), ("2026-01-07", 11.0)):
        out += st.apply([Tick("X", ny(day, "16:00"), close)])
    assert [a for a in out if a.rule == "ma_cross"] == []
    intraday = st.apply([Tick("X", ny("2026-01-08", "09:30"), 5.0)])  # fast 8 < slow 9.33 intraday
    intraday += st.apply([Tick("X", ny("2026-01-08", "12:00"), 30.0)])
    intraday += st.apply([Tick("X", ny("2026-01-08", "16:00"), 11.5)])  # fast 11.25 < slow 11.5
    assert [a for a in intraday if a.rule == "ma_cross"] == []
    (cross,) = [a for a in st.finish() if a.rule == "ma_cross"]
    assert (cross.direction, cross.price, cross.time) == ("down", 11.5, ny("2026-01-08", "16:00"))
    assert cross.extra["fast"] == pytest.approx(11.25) and cross.extra["slow"] == pytest.approx(11.5)


# --------------------------------------------------------------------------------------------
# relative_divergence

DIV = Divergence("L", ("P1", "P2"), 1.0)


def sym(last: float, prev_close: float = 100.0, session=date(2026, 1, 5)):
    return SimpleNamespace(last=last, prev_close=prev_close, session=session)


def check(watch: DivergenceWatch, lead, p1, p2, t: float = 1.0):
    return watch.check({"L": lead, "P1": p1, "P2": p2}, [Tick("L", t, lead.last)])


def test_divergence_fires_when_the_lead_opposes_every_peer_by_the_spread():
    watch = DivergenceWatch(DIV)
    alert = check(watch, sym(101.5), sym(99.8), sym(99.7), t=123.0)
    assert (alert.rule, alert.symbol, alert.direction, alert.price, alert.time) == ("relative_divergence", "L", "up", 101.5, 123.0)
    assert alert.extra["change_pct"] == pytest.approx(1.5)
    assert alert.extra["peers"] == {"P1": pytest.approx(-0.2), "P2": pytest.approx(-0.3)}
    assert alert.extra["spread_pct"] == pytest.approx(1.75)
    assert alert.message == "L is up 1.50% while P1 down 0.20% and P2 down 0.30%, a spread of 1.75 percentage points"


def test_divergence_once_per_session_per_direction():
    watch = DivergenceWatch(DIV)
    assert check(watch, sym(101.5), sym(99.8), sym(99.7)) is not None
    assert check(watch, sym(102.0), sym(99.0), sym(99.0)) is None  # same session, same direction
    down = check(watch, sym(98.5), sym(100.2), sym(100.3))
    assert down is not None and down.direction == "down"
    assert check(watch, sym(98.0), sym(100.5), sym(100.5)) is None
    nxt = date(2026, 1, 6)
    assert check(watch, sym(101.5, session=nxt), sym(99.8, session=nxt), sym(99.7, session=nxt)) is not None


@pytest.mark.parametrize(
    "lead, p1, p2",
    [
        (sym(101.5), sym(99.8), sym(100.1)),  # one peer has the lead's sign
        (sym(101.5), sym(99.8), sym(100.0)),  # a flat peer has no sign
        (sym(100.0), sym(98.0), sym(98.0)),  # a flat lead has no sign
        (sym(100.6), sym(99.7), sym(99.7)),  # spread 0.9 < 1.0
        (sym(101.5), sym(99.8, session=date(2026, 1, 2)), sym(99.7)),  # a peer in another session
        (sym(101.5), sym(99.8, prev_close=NAN), sym(99.7)),  # a peer without a previous close
        (sym(101.5, prev_close=NAN), sym(99.8), sym(99.7)),
        (sym(101.5, session=None), sym(99.8), sym(99.7)),  # lead's bar committed
    ],
)
def test_divergence_does_not_fire(lead, p1, p2):
    assert check(DivergenceWatch(DIV), lead, p1, p2) is None


@pytest.mark.parametrize(
    "lead, p1, p2",
    [
        # changes measured from a close not above 0 would fire here (+1.5 % against -1 % and
        # -0.3 %; 1.5 % against +1 % and -0.3 %): the sign read from the prices must not count them
        (sym(-98.5, prev_close=-100.0), sym(99.8), sym(99.7)),
        (sym(101.5), sym(-101.0, prev_close=-100.0), sym(99.7)),
        (sym(101.5), sym(-1.0, prev_close=0.0), sym(99.7)),
    ],
)
def test_divergence_needs_previous_closes_above_zero(lead, p1, p2):
    assert check(DivergenceWatch(DIV), lead, p1, p2) is None


def test_divergence_flat_lead_has_no_sign_whichever_way_the_peers_move():
    assert check(DivergenceWatch(DIV), sym(100.0), sym(98.0), sym(98.0)) is None
    assert check(DivergenceWatch(DIV), sym(100.0), sym(102.0), sym(102.0)) is None


def test_divergence_without_peers_never_fires():
    assert DivergenceWatch(Divergence("L", (), 1.0)).check({"L": sym(103.0)}, [Tick("L", 1.0, 103.0)]) is None


def test_divergence_spread_equal_to_the_minimum_fires():
    alert = check(DivergenceWatch(DIV), sym(100.5), sym(99.5), sym(99.5))
    assert alert is not None and alert.extra["spread_pct"] == pytest.approx(1.0)


def test_divergence_needs_every_peer_present():
    watch = DivergenceWatch(DIV)
    assert watch.check({"L": sym(101.5), "P1": sym(99.0)}, [Tick("L", 1.0, 101.5)]) is None


def test_a_peer_listed_twice_counts_once_in_the_mean():
    """The peers' mean is over the alert's ``peers`` (one entry per symbol), however the
    ``Divergence`` lists them (the config refuses a repeat; a hand-made one may not)."""
    watch = DivergenceWatch(Divergence("L", ("P1", "P1", "P2"), 1.0))
    alert = check(watch, sym(101.0), sym(99.5), sym(98.0))
    assert alert.extra["peers"] == {"P1": pytest.approx(-0.5), "P2": pytest.approx(-2.0)}
    assert alert.extra["spread_pct"] == pytest.approx(2.25)  # 1 - (-0.5 - 2) / 2, not 1 - (-0.5 - 0.5 - 2) / 3

def test_divergence_through_the_engine_after_a_batch():
    config = Config(symbols=("^RUT", "^GSPC", "^NDX"), levels=())
    st = MarketState(config)
    names = ("^RUT", "^GSPC", "^NDX")
    st.apply([Tick(n, ny("2026-01-05", "16:00"), 100.0) for n in names])
    # next session: one batch where the lead is up 1.2% and both peers down
    out = st.apply([Tick("^RUT", ny("2026-01-06"), 101.2), Tick("^GSPC", ny("2026-01-06"), 99.5), Tick("^NDX", ny("2026-01-06"), 99.6)])
    (alert,) = [a for a in out if a.rule == "relative_divergence"]
    assert alert.time == ny("2026-01-06") and alert.symbol == "^RUT"
    assert set(alert.to_dict()) == {
        "time", "symbol", "rule", "direction", "price", "message", "change_pct", "peers", "spread_pct", "source", "stale",
    }
    # a later tick of the lead alone: evaluated again, but once per session per direction
    assert [a for a in st.apply([Tick("^RUT", ny("2026-01-06", "09:31"), 101.5)]) if a.rule == "relative_divergence"] == []


def test_every_alert_json_line_has_the_common_fields_and_iso_time():
    st = rut_state()
    (alert,) = feed(st, [2590.0, 2610.0], day="2025-07-01")
    data = json.loads(alert.to_json())
    assert list(data)[:6] == ["time", "symbol", "rule", "direction", "price", "message"]
    assert data["time"] == "2025-07-01T09:31:00-04:00"  # New York offset in summer
    assert data["direction"] in ("up", "down")


def test_the_alert_json_line_is_json_dumps_with_compact_separators():
    """``to_json`` keeps one C encoder for every line: the text must be what ``json.dumps``
    writes, for every kind of field a rule puts in ``extra``."""
    extra = {"nan": NAN, "inf": math.inf, "none": None, "flag": True, "peers": {"^GSPC": 0.1, "^NDX": -2e-7},
             "label": "caf\u00e9 \"zone\"\n", "n": 21, "list": [1, 2.5]}
    alert = Alert(ny("2026-03-09", "16:00"), "^RUT", "zone_cross", "up", 2593.89, "^RUT \u2192 2,600", extra)
    line = alert.to_json()
    assert line == json.dumps(alert.to_dict(), separators=(",", ":"))
    assert '"nan":NaN,"inf":Infinity,"none":null,"flag":true,"peers":{"^GSPC":0.1,"^NDX":-2e-07}' in line


@pytest.mark.parametrize(
    "fields",
    [
        {"price": NAN},  # a price json writes NaN, not repr's nan
        {"price": -math.inf, "extra": {"level": 2500}},
        {"price": 7, "stale": 0},  # an int price, a stale that is not a bool (json: 0)
        {"stale": None},
        {"extra": {"source": "mine", "level": 2500.0}},  # a field named like a fixed one: to_dict's order
        {"extra": {"time": 1.0}},
        {"extra": {1: "one", "level": 2500.0}},  # a key json converts
        {"extra": {"x": np.float64(0.1), "y": np.float64("nan")}},  # a float subclass: float.__repr__
        {"symbol": None},  # a field that is not a str
        {"message": "tab\there \\ \u007f \u2603 \ud83d\ude00", "extra": {"label": "\u00e9\"\u0001"}},
    ],
)
def test_the_alert_json_line_is_json_dumps_whatever_the_fields(fields):
    """``to_json`` writes the usual fields itself: whatever an alert holds, the text is still
    ``json.dumps``'s (the odd ones through the encoder)."""
    base = {"time": ny("2026-03-09", "16:00") + 0.25, "symbol": "^RUT", "rule": "level_cross", "direction": "up",
            "price": 2593.89, "message": "^RUT rose above 2,500", "extra": {"level": 2500.0, "label": "support"}}
    alert = Alert(**{**base, **fields})
    assert alert.to_json() == json.dumps(alert.to_dict(), separators=(",", ":"))


def test_every_alert_of_a_replay_is_json_dumps():
    data = Path(__file__).parent / "data" / "daily"
    series = load_all([f"{s}={data / f}" for s, f in (("^RUT", "rut_last400.csv"), ("^GSPC", "spx_last400.csv"), ("^NDX", "ndx_last400.csv"))])
    st = MarketState(Config())
    alerts = [a for batch in replay_batches(series) for a in st.apply(batch)] + st.finish()
    assert len({a.rule for a in alerts}) >= 8
    for alert in alerts:
        assert alert.to_json() == json.dumps(alert.to_dict(), separators=(",", ":"))


def test_iso_time_is_to_the_second_as_isoformat_says():
    """Fractions of a second are dropped after the rounding to microseconds (x.9999999 is the
    next second), as ``isoformat(timespec="seconds")`` does."""
    close = ny("2026-03-06", "16:00")
    for epoch in (close + 0.5, close + 59.9999999, close - 0.0000001, close + 3 * 86400 + 0.999999):
        assert iso_time(epoch) == datetime.fromtimestamp(epoch, NEW_YORK).isoformat(timespec="seconds")
    assert iso_time(close + 59.9999999) == "2026-03-06T16:01:00-05:00"
    assert iso_time(close + 0.5) == "2026-03-06T16:00:00-05:00"


def test_iso_time_answers_each_epoch_and_zone_anew_after_a_repeat():
    """``iso_time`` keeps its last answer: a repeat, another epoch, then another zone."""
    close = ny("2026-03-06", "16:00")  # Friday before the change to daylight time
    assert iso_time(close) == iso_time(close) == "2026-03-06T16:00:00-05:00"
    assert iso_time(close + 3 * 86400) == "2026-03-09T17:00:00-04:00"
    assert iso_time(close, ZoneInfo("UTC")) == "2026-03-06T21:00:00+00:00"
    assert iso_time(close) == "2026-03-06T16:00:00-05:00"


def test_the_level_quiet_band_is_the_edges_the_sides_would_cross():
    st = rut_state()  # 2500 support, 2600 resistance, hysteresis 0.1 %
    s = st.symbols["^RUT"]
    assert (s.quiet_low, s.quiet_high) == (math.inf, -math.inf)  # not armed: the next tick is looked at
    feed(st, [2550.0])
    assert (s.quiet_low, s.quiet_high) == (2497.5, 2602.6)  # above 2500 until below 2497.5; below 2600 until above 2602.6
    (alert,) = feed(st, [2550.0, 2602.6, 2602.61], day="2026-01-06")
    assert (alert.direction, alert.extra["level"]) == ("up", 2600.0)
    assert (s.quiet_low, s.quiet_high) == (2597.4, math.inf)  # above both now
    st.reconfigure(Config(symbols=("^RUT",), levels=(Level("^RUT", 2500.0, "support", AlertPolicy(confirm="close")),), zones=(),
                          rules=Rules(hysteresis_pct=0.1, approach_pct=0.0)))
    assert (s.quiet_low, s.quiet_high) == (-math.inf, math.inf)  # a level waiting for the close never fires on a tick


def test_a_level_added_inside_the_quiet_band_fires_on_the_next_tick_across_it():
    st = rut_state()
    feed(st, [2550.0])
    st.reconfigure(Config(symbols=("^RUT",), levels=(Level("^RUT", 2500.0), Level("^RUT", 2560.0), Level("^RUT", 2600.0)),
                          zones=(), rules=Rules(hysteresis_pct=0.1, approach_pct=0.0)))
    (alert,) = feed(st, [2570.0], day="2026-01-06")
    assert (alert.direction, alert.extra["level"]) == ("up", 2560.0)
