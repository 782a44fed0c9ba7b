"""The rotation chart's series: the lead's close over each peer's, rebased to 100 at the start of
the range, on hand-made closes and on the shipped real history against a pandas computation."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from datetime import datetime

from monitor.config import Config, Divergence
from monitor.model import NEW_YORK, Tick
from monitor.rotation import on_days, rebased_ratio, rotation, session_closes
from monitor.series import load_all, replay_batches
from monitor.state import MarketState
from monitor.view import NO_INTRADAY, rotation_view

DATA = Path(__file__).parent / "data" / "daily"
FILES = {"^RUT": "rut_2016-2026.csv", "^GSPC": "spx_2016-2026.csv", "^NDX": "ndx_2016-2026.csv"}
NAN = math.nan


def test_ratio_is_rebased_to_100_at_the_first_session_both_define():
    out = rebased_ratio([NAN, 10.0, 11.0, 12.0, 0.0], [5.0, 5.0, 5.0, NAN, 4.0])
    assert math.isnan(out[0]) and math.isnan(out[3]) and math.isnan(out[4])  # unknown or not above 0
    assert out[1] == 100.0 and out[2] == pytest.approx(110.0)


def test_a_peer_falling_behind_lifts_the_line_above_100():
    assert rebased_ratio([100.0, 100.0], [50.0, 40.0]) == [100.0, 125.0]


def test_peer_closes_are_placed_on_the_leads_days():
    assert on_days([1, 2, 3], [1, 3, 4], [10.0, 30.0, 40.0])[::2] == [10.0, 30.0]
    assert math.isnan(on_days([1, 2, 3], [1, 3, 4], [10.0, 30.0, 40.0])[1])


@pytest.fixture(scope="module")
def state() -> MarketState:
    """The three indexes' shipped 2016-2026 history, applied to the engine as a replay does."""
    config = Config(symbols=tuple(FILES))
    st = MarketState(config, "replay")
    for batch in replay_batches(load_all([f"{symbol}={DATA / name}" for symbol, name in FILES.items()])):
        st.apply(batch)
    return st


def frame(symbol: str) -> pd.Series:
    return pd.read_csv(DATA / FILES[symbol], parse_dates=["date"]).set_index("date")["close"]


@pytest.mark.parametrize("sessions", [21, 252])
def test_real_history_matches_pandas(state, sessions):
    lead, peers = state.symbols["^RUT"], [state.symbols["^GSPC"], state.symbols["^NDX"]]
    days, lines = rotation(lead, peers, sessions)
    assert len(days) == sessions and set(lines) == {"^GSPC", "^NDX"}
    rut = frame("^RUT")
    lead_days, lead_closes = session_closes(lead)
    assert lead_closes[-1] == rut.iloc[-1]  # the whole file went in, its last session forming
    for peer in ("^GSPC", "^NDX"):
        ratio = (rut / frame(peer).reindex(rut.index)).iloc[-sessions:]
        expected = ratio / ratio.iloc[0] * 100
        assert lines[peer][0] == 100.0
        for i in (1, sessions // 2, sessions - 1):
            day = expected.index[i].date()
            assert days[i] == day.toordinal()
            assert lines[peer][i] == pytest.approx(expected.iloc[i], rel=1e-12), (peer, day)


def test_rut_over_ndx_on_the_month_the_issue_quotes(state):
    """^RUT outperformed ^NDX by about 312 bp from 2025-12-02 to 2026-01-02: the ratio rebased
    at 2025-12-02 reads that much above 100 (in ratio terms) on 2026-01-02."""
    rut, ndx = frame("^RUT"), frame("^NDX")
    ratio = (rut / ndx).loc["2025-12-02":"2026-01-02"]
    lead = state.symbols["^RUT"]
    days, closes = session_closes(lead)
    start, end = days.index(pd.Timestamp("2025-12-02").toordinal()), days.index(pd.Timestamp("2026-01-02").toordinal())
    ndx_days, ndx_closes = session_closes(state.symbols["^NDX"])
    line = rebased_ratio(closes[start : end + 1], on_days(days[start : end + 1], ndx_days, ndx_closes))
    assert line[-1] == pytest.approx(ratio.iloc[-1] / ratio.iloc[0] * 100, rel=1e-12)
    assert 102.5 < line[-1] < 104.5


def test_the_rotation_view_is_one_ratio_series_per_peer_on_the_leads_times(state):
    view = rotation_view(state.symbols, state.config, "6M")
    assert [(s.kind, s.name) for s in view.series] == [("ratio", "^GSPC"), ("ratio", "^NDX")]
    assert view.baseline == 100.0 and view.levels == () and view.zones == ()
    days, lines = rotation(state.symbols["^RUT"], [state.symbols["^GSPC"], state.symbols["^NDX"]], 126)
    assert [s.values for s in view.series] == [lines["^GSPC"], lines["^NDX"]]
    assert len(view.times) == 126 and view.times[0] == state.symbols["^RUT"].daily[-125].close_time
    assert rotation_view(state.symbols, state.config, "1D", intraday=False).empty == NO_INTRADAY


def test_the_rotation_view_follows_the_divergence_setting(state):
    config = Config(symbols=tuple(FILES), divergence=Divergence(lead="^NDX", peers=("^RUT",)))
    view = rotation_view(state.symbols, config, "1M")
    assert view.symbol == "^NDX" and [s.name for s in view.series] == ["^RUT"]
    nothing = rotation_view({"^RUT": state.symbols["^RUT"]}, state.config, "1M")
    assert nothing.empty.startswith("rotation: ^RUT and a peer (^GSPC, ^NDX) must be on the watchlist")


def at(minute: int) -> float:
    return datetime(2026, 1, 5, 9, 30, tzinfo=NEW_YORK).timestamp() + 60 * minute


def test_the_session_rotation_is_rebased_at_its_first_minute():
    st = MarketState(Config(symbols=("^RUT", "^GSPC", "^NDX")), "stream")  # ^GSPC: no price yet
    for minute, rut, ndx in ((0, 2500.0, 25000.0), (1, 2525.0, 25000.0), (3, 2525.0, 24750.0)):
        st.apply([Tick("^RUT", at(minute), rut), Tick("^NDX", at(minute), ndx)])
    view = rotation_view(st.symbols, st.config, "1D")
    gspc, ndx = view.series
    assert len(gspc.values) == 390 and all(math.isnan(v) for v in gspc.values)  # a gap, on the same axis
    assert len(ndx.values) == 390 and view.times[0] == at(0) and view.times[3] == at(3)
    assert ndx.values[:4] == [100.0, 101.0, 101.0, pytest.approx(102.0202, abs=1e-4)]  # minute 2 held
    assert all(math.isnan(v) for v in ndx.values[4:])  # not yet
