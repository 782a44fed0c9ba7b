"""Incremental indicators agree with TA-Lib, and revising a forming bar is exact.

Tolerance: 1e-9 relative after warm-up. Values that are differences of prices (MACD line,
signal, histogram) can sit near zero, so their tolerance is 1e-9 relative to the price level of
the series; RSI's to its 0..100 scale.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config import Rules
from monitor.series import bar_ticks_with_range
from monitor.indicators import (
    ANCHOR_EVERY,
    EMA,
    MACD,
    RSI,
    SMA,
    Crossover,
    IndicatorSet,
    RollingMax,
    RollingMin,
)

RTOL = 1e-9
# Real eras that stress the indicators: ^RUT from its first session through the 1987 crash,
# ^GSPC across 1962 when close-only bars (O=H=L=C) turn into full OHLC, ^NDX through the
# dot-com bubble and crash. Each is longer than ANCHOR_EVERY, so a re-anchoring happens inside.
DAILY_FILES = ("rut_1987-1992.csv", "spx_1960-1964.csv", "ndx_1998-2002.csv")


def load_daily(path) -> dict[str, np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("open", "high", "low", "close")}


def synthetic(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    """A random walk with flat stretches (constant closes, and O=H=L=C bars)."""
    rng = np.random.default_rng(seed)
    close = 1000.0 + np.cumsum(rng.normal(0.0, 5.0, n))
    for start in rng.integers(0, n - 400, 30):
        close[start : start + rng.integers(20, 300)] = close[start]
    close = np.abs(close) + 1.0
    open_ = np.concatenate(([close[0]], close[:-1])) + rng.normal(0.0, 1.0, n)
    open_[close == np.roll(close, 1)] = close[close == np.roll(close, 1)]
    spread = rng.exponential(3.0, n) * (close != np.roll(close, 1))
    high = np.maximum(open_, close) + spread * rng.random(n)
    low = np.minimum(open_, close) - spread * rng.random(n)
    return {"open": open_, "high": high, "low": low, "close": close}


@pytest.fixture(scope="module", params=DAILY_FILES)
def real(request, data_dir):
    data = load_daily(data_dir / "daily" / request.param)
    assert len(data["close"]) > ANCHOR_EVERY  # running sums are re-anchored inside real data
    return data


@pytest.fixture(scope="module")
def synth():
    return synthetic(100_000)



def run_single(ind, values, bars=None) -> np.ndarray:
    """Feed a value stream (or, with ``bars``, per-bar tick lists revised in place)."""
    out = np.empty(len(values))
    if bars is None:
        for i, v in enumerate(values.tolist()):
            ind.update(v)
            out[i] = ind.value
    else:
        for i, ticks in enumerate(bars):
            ind.update(ticks[0])
            for v in ticks[1:]:
                ind.revise(v)
            out[i] = ind.value
    return out


def assert_close(ours: np.ndarray, ref: np.ndarray, scale: float = 0.0, what: str = "") -> None:
    nan_ours, nan_ref = np.isnan(ours), np.isnan(ref)
    bad = np.flatnonzero(nan_ours != nan_ref)
    assert not bad.size, f"{what}: NaN where TA-Lib is not (or vice versa) at bars {bad[:5]}"
    a, b = ours[~nan_ref], ref[~nan_ref]
    err = np.abs(a - b) - RTOL * np.maximum(np.abs(b), scale)
    worst = int(np.argmax(err)) if err.size else 0
    assert not err.size or err[worst] <= 0, f"{what}: {a[worst]!r} vs TA-Lib {b[worst]!r}"


def tick_streams(data):
    """Per bar: the close-price ticks, the running-high ticks, the running-low ticks."""
    ticks = [bar_ticks_with_range(*bar) for bar in zip(*(data[k].tolist() for k in
                                                  ("open", "high", "low", "close")))]
    return ([[t[0] for t in b] for b in ticks], [[t[1] for t in b] for b in ticks],
            [[t[2] for t in b] for b in ticks])


def check_singles(data, revised: bool) -> None:
    close, high, low = data["close"], data["high"], data["low"]
    scale = float(np.mean(np.abs(close)))
    cb, hb, lb = tick_streams(data) if revised else (None, None, None)
    checks = [
        (SMA(50), close, cb, talib.SMA(close, 50), 0.0),
        (SMA(200), close, cb, talib.SMA(close, 200), 0.0),
        (EMA(12), close, cb, talib.EMA(close, 12), 0.0),
        (EMA(26), close, cb, talib.EMA(close, 26), 0.0),
        (RSI(14), close, cb, talib.RSI(close, 14), 100.0),
        (RollingMax(252), high, hb, talib.MAX(high, 252), 0.0),
        (RollingMin(252), low, lb, talib.MIN(low, 252), 0.0),
    ]
    for ind, values, bars, ref, sc in checks:
        assert_close(run_single(ind, values, bars), ref, sc, type(ind).__name__)
    macd_ref = talib.MACD(close, 12, 26, 9)
    m = MACD(12, 26, 9)
    out = np.empty((3, len(close)))
    for i, v in enumerate(close.tolist()):
        if revised:
            m.update(cb[i][0])
            for p in cb[i][1:]:
                m.revise(p)
        else:
            m.update(v)
        out[:, i] = m.macd, m.signal, m.hist
    for ours, ref, what in zip(out, macd_ref, ("macd", "signal", "hist")):
        assert_close(ours, ref, scale, what)


@pytest.mark.parametrize("revised", [False, True], ids=["updates", "revised"])
def test_single_indicators_match_talib_on_real_files(real, revised):
    check_singles(real, revised)


@pytest.mark.parametrize("revised", [False, True], ids=["updates", "revised"])
def test_single_indicators_match_talib_on_100k_synthetic_bars(synth, revised):
    check_singles(synth, revised)


def reference_set(data, rules: Rules) -> dict[str, np.ndarray]:
    """What every IndicatorSet attribute must be, from TA-Lib over the final bar values."""
    c, h, l = data["close"], data["high"], data["low"]
    fast, slow, signal = rules.macd
    ema_fast = np.full(len(c), np.nan)
    ema_fast[slow - fast :] = talib.EMA(c[slow - fast :], fast)  # talib.MACD's later seeding
    macd, sig, hist = talib.MACD(c, fast, slow, signal)
    ref = {
        "sma_fast": talib.SMA(c, rules.ma_fast),
        "sma_slow": talib.SMA(c, rules.ma_slow),
        "ema_fast": ema_fast,
        "ema_slow": talib.EMA(c, slow),
        "macd": macd,
        "macd_signal": sig,
        "macd_hist": hist,
        "rsi": talib.RSI(c, rules.rsi_period),
        "high_n": talib.MAX(h, rules.high_low_window),
        "low_n": talib.MIN(l, rules.high_low_window),
    }
    for name, diff in (("ma_cross", ref["sma_fast"] - ref["sma_slow"]), ("macd_cross", hist)):
        prev = np.concatenate(([np.nan], diff[:-1]))
        with np.errstate(invalid="ignore"):
            ref[name] = np.where((diff > 0) & (prev <= 0), 1, np.where((diff < 0) & (prev >= 0),
                                                                        -1, 0))
    return ref


def run_set(data, rules: Rules, revised: bool) -> dict[str, np.ndarray]:
    s = IndicatorSet(rules)
    names = IndicatorSet.FIELDS + ("ma_cross", "macd_cross")
    n = len(data["close"])
    out = {k: np.empty(n) for k in names}
    if revised:
        streams = tick_streams(data)
        bars = [list(zip(*b)) for b in zip(*streams)]
    else:
        bars = [[t] for t in zip(*(data[k].tolist() for k in ("close", "high", "low")))]
    for i, ticks in enumerate(bars):
        s.update(*ticks[0])
        for t in ticks[1:]:
            s.revise(*t)
        assert s.count == i + 1
        for k in names:
            out[k][i] = getattr(s, k)
    assert all(type(getattr(s, k)) is float for k in IndicatorSet.FIELDS)
    assert type(s.ma_cross) is int and type(s.macd_cross) is int
    return out


def check_set(data, rules: Rules, revised: bool) -> None:
    ours, ref = run_set(data, rules, revised), reference_set(data, rules)
    scale = float(np.mean(np.abs(data["close"])))
    for k in IndicatorSet.FIELDS:
        sc = 100.0 if k == "rsi" else scale if k.startswith("macd") else 0.0
        assert_close(ours[k], ref[k], sc, k)
    for k in ("ma_cross", "macd_cross"):
        # A cross decided by a last-bit difference is not a disagreement worth failing on.
        diff = np.flatnonzero(ours[k] != ref[k])
        for i in diff:
            a, b = ("sma_fast", "sma_slow") if k == "ma_cross" else ("macd", "macd_signal")
            near = [abs(ref[a][j] - ref[b][j]) <= RTOL * scale for j in (i - 1, i)]
            assert any(near), f"{k} at bar {i}: {ours[k][i]} vs {ref[k][i]}"
        assert np.count_nonzero(ref[k]) > 0 or len(data["close"]) < 1000


@pytest.mark.parametrize("revised", [False, True], ids=["updates", "revised"])
def test_indicator_set_matches_talib_on_real_files(real, revised):
    check_set(real, Rules(), revised)


@pytest.mark.parametrize("revised", [False, True], ids=["updates", "revised"])
def test_indicator_set_matches_talib_on_100k_synthetic_bars(synth, revised):
    check_set(synth, Rules(), revised)


def test_indicator_set_with_other_periods(synth):
    small = {k: v[:5000] for k, v in synth.items()}
    rules = Rules(ma_fast=5, ma_slow=20, macd=(5, 13, 4), rsi_period=7, high_low_window=10)
    check_set(small, rules, revised=True)
    swapped = Rules(ma_fast=30, ma_slow=10, macd=(3, 40, 2), rsi_period=2, high_low_window=2)
    check_set(small, swapped, revised=True)


@pytest.mark.parametrize("first_move", [0.5, -0.5])
def test_indicator_set_after_a_long_flat_start(first_move):
    """300 identical bars: RSI 0.0 (TA-Lib's flat-window value) well past warm-up, SMAs exactly
    equal; then the first move is a cross from a tie ("fast <= slow at the previous close")."""
    data = {k: np.concatenate((np.full(300, 100.0), v[:700])) for k, v in
            synthetic(700, seed=3).items()}
    data["close"][300:] += 100.0 - data["close"][300] + first_move
    data["high"][300:] = np.maximum(data["high"][300:] + 100.0, data["close"][300:])
    data["low"][300:] = np.minimum(data["low"][300:], data["close"][300:])
    ours, ref = run_set(data, Rules(), revised=True), reference_set(data, Rules())
    assert ours["rsi"][299] == 0.0 == ref["rsi"][299]
    assert ours["sma_fast"][299] == ours["sma_slow"][299] == 100.0
    assert ours["ma_cross"][300] == (1 if first_move > 0 else -1)
    for k in ("ma_cross", "macd_cross"):
        assert np.array_equal(ours[k], ref[k]), k
    check_set(data, Rules(), revised=True)


def test_flat_window_rsi_is_zero_like_talib():
    values = np.array([10.0] * 40 + [10.5, 10.0] + [10.0] * 5)
    ours = run_single(RSI(14), values)
    ref = talib.RSI(values, 14)
    assert ours[20] == 0.0 == ref[20]
    assert_close(ours, ref, 100.0, "rsi")


def test_sma_running_sum_is_reanchored():
    """A huge value entering and leaving the window wipes small ones out of a running sum;
    the periodic exact re-summation repairs the damage."""
    sma = SMA(3)
    sma.update(1e17)
    for _ in range(5):
        sma.update(1.0)
    assert sma.value != 1.0  # the running sum lost the small values
    for _ in range(ANCHOR_EVERY):
        sma.update(1.0)
    assert sma.value == 1.0


def test_macd_line_and_warmup_positions():
    values = np.linspace(100.0, 140.0, 60) + np.sin(np.arange(60))
    m = MACD(12, 26, 9)
    for i, v in enumerate(values.tolist()):
        m.update(v)
        assert math.isnan(m.line) == (i < 25)
        assert math.isnan(m.macd) == (i < 33) == math.isnan(m.signal) == math.isnan(m.hist)


def test_crossover():
    x = Crossover()
    seen = []
    nan = float("nan")
    for a, b in [(1, 2), (2, 2), (3, 2), (3, 2), (1, 2), (nan, 2), (3, 2)]:
        x.update(a, b)
        seen.append(x.value)
    assert seen == [0, 0, 1, 0, -1, 0, 0]
    x = Crossover()
    x.update(1.0, 2.0)
    x.update(3.0, 2.0)  # crossed up at this bar...
    assert x.value == 1
    x.revise(1.5, 2.0)  # ...until a revision takes it back
    assert x.value == 0
    x.revise(1.0, 0.0)
    assert x.value == 1


def test_revise_before_any_update_starts_the_first_bar():
    for ind in (SMA(2), EMA(2), RSI(2), MACD(2, 3, 2), RollingMax(2), RollingMin(2)):
        ind.revise(5.0)
        assert ind.count == 1
    s = IndicatorSet()
    s.revise(5.0, 6.0, 4.0)
    assert s.count == 1


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_periods_are_rejected(bad):
    with pytest.raises(ValueError):
        SMA(bad)


# ---- property tests --------------------------------------------------------------------------

prices = st.one_of(
    st.floats(min_value=1.0, max_value=1e5, allow_nan=False, allow_infinity=False),
    st.sampled_from([100.0, 100.5, 99.5]),  # repeats make flat stretches and exact ties
)
bars_st = st.lists(st.lists(prices, min_size=1, max_size=5), min_size=1, max_size=80)
SMALL = Rules(ma_fast=3, ma_slow=6, macd=(3, 5, 3), rsi_period=4, high_low_window=5)


def state(ind):
    if isinstance(ind, IndicatorSet):
        names = IndicatorSet.FIELDS + ("ma_cross", "macd_cross", "count")
    elif isinstance(ind, MACD):
        names = ("line", "macd", "signal", "hist", "count")
    else:
        names = ("value", "count")
    return tuple(repr(getattr(ind, k)) for k in names)  # repr: NaN == NaN, exact bits


def singles():
    return [SMA(4), EMA(4), RSI(3), MACD(3, 5, 2), RollingMax(4), RollingMin(4)]


@settings(max_examples=150, deadline=None)
@given(bars=bars_st)
def test_revises_then_update_equals_single_update(bars):
    revised, direct = singles() + [IndicatorSet(SMALL)], singles() + [IndicatorSet(SMALL)]
    for ticks in bars:
        for a, b in zip(revised, direct):
            if isinstance(a, IndicatorSet):
                a.update(ticks[0], ticks[0] + 1.0, ticks[0] - 1.0)
                for p in ticks[1:]:
                    a.revise(p, p + 1.0, p - 1.0)
                b.update(ticks[-1], ticks[-1] + 1.0, ticks[-1] - 1.0)
            else:
                a.update(ticks[0])
                for p in ticks[1:]:
                    a.revise(p)
                b.update(ticks[-1])
            assert state(a) == state(b), type(a).__name__


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(prices, min_size=1, max_size=60),
    n=st.integers(2, 12),
    fast=st.integers(2, 8),
    slow=st.integers(2, 15),
    signal=st.integers(1, 6),
)
def test_warmup_is_nan_exactly_where_talib_is(values, n, fast, slow, signal):
    x = np.array(values)
    cases = [(SMA(n), talib.SMA(x, n)), (EMA(n), talib.EMA(x, n)), (RSI(n), talib.RSI(x, n)),
             (RollingMax(n), talib.MAX(x, n)), (RollingMin(n), talib.MIN(x, n))]
    for ind, ref in cases:
        ours = run_single(ind, x)
        assert np.array_equal(np.isnan(ours), np.isnan(ref)), type(ind).__name__
        assert_close(ours, ref, 100.0 if isinstance(ind, RSI) else 0.0, type(ind).__name__)
    m = MACD(fast, slow, signal)
    macd = np.array([(m.update(v), m.macd)[1] for v in values])
    assert np.array_equal(np.isnan(macd), np.isnan(talib.MACD(x, fast, slow, signal)[0]))
