"""RingBuffer and BarRing: bounded, O(1) append / replace_last, zero-copy oldest-to-newest views."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.bars import DailyBar, MinuteBar, daily_ring, minute_ring
from monitor.ringbuffer import RingBuffer


def test_empty():
    buf = RingBuffer(4)
    assert len(buf) == 0 and buf.capacity == 4 and not buf.full
    assert math.isnan(buf.last)
    assert buf.values() == [] and len(buf.column()) == 0
    with pytest.raises(IndexError):
        buf.replace_last(1.0)
    with pytest.raises(IndexError):
        buf[0]


def test_fill_and_wrap_around():
    buf = RingBuffer(3)
    for x in (1.0, 2.0):
        buf.append(x)
    assert buf.values() == [1.0, 2.0] and not buf.full
    for x in (3.0, 4.0, 5.0):
        buf.append(x)
    assert buf.full and len(buf) == 3
    assert buf.values() == [3.0, 4.0, 5.0]
    assert (buf[0], buf[-1], buf.last) == (3.0, 5.0, 5.0)
    assert type(buf.last) is float and type(buf[1]) is float


def test_replace_last_at_every_position_of_the_cycle():
    buf = RingBuffer(3)
    for i in range(7):  # the newest slot visits 0, 1, 2 (the wrap from slot 0 back to 2)
        buf.append(float(i))
        buf.replace_last(10.0 + i)
        assert buf.last == 10.0 + i
        assert buf.values()[-1] == 10.0 + i
    assert buf.values() == [14.0, 15.0, 16.0]


def test_column_is_a_read_only_view_without_copy_and_memory_is_constant():
    buf = RingBuffer(5, ("a", "b"))
    size = buf.nbytes
    for i in range(1000):
        buf.append(float(i), -float(i))
    view = buf.column("a")
    assert view.readonly and view.tolist() == [995.0, 996.0, 997.0, 998.0, 999.0]
    with pytest.raises(TypeError):
        view[0] = 1.0
    # No copy: numpy reads the very same memory, and a later write shows through the view.
    arr = np.frombuffer(view, dtype=np.float64)
    buf.replace_last(42.0, 0.0)
    assert arr[-1] == 42.0 and buf.column("b").tolist()[-1] == 0.0
    assert buf.nbytes == size == 2 * 2 * 5 * 8  # two fields, mirrored slots


def test_rows_fields_and_get():
    buf = RingBuffer(2, ("x", "y"))
    for i in range(3):
        buf.append(i, 10 * i)
    assert list(buf.rows()) == [(1.0, 10.0), (2.0, 20.0)]
    assert buf.row(0) == (1.0, 10.0) and buf.row(-1) == (2.0, 20.0)
    assert buf.get(-1, "y") == 20.0 and buf.get(0, "x") == 1.0
    with pytest.raises(ValueError):
        buf.append(1.0)  # a row has one value per field


def test_clear_and_bad_capacity():
    buf = RingBuffer(2)
    buf.append(1.0)
    buf.clear()
    assert len(buf) == 0
    buf.append(2.0)
    assert buf.values() == [2.0]
    with pytest.raises(ValueError):
        RingBuffer(0)
    with pytest.raises(ValueError):
        RingBuffer(2, ())


@given(
    capacity=st.integers(1, 8),
    ops=st.lists(st.tuples(st.booleans(), st.floats(-1e6, 1e6)), max_size=60),
)
def test_matches_a_plain_list(capacity, ops):
    buf, ref = RingBuffer(capacity, ("v", "twice")), []
    for replace, x in ops:
        if replace and ref:
            ref[-1] = x
            buf.replace_last(x, 2 * x)
        else:
            ref.append(x)
            buf.append(x, 2 * x)
        ref = ref[-capacity:]
        assert buf.values() == ref and buf.column("twice").tolist() == [2 * x for x in ref]
        assert len(buf) == len(ref) and buf.full == (len(ref) == capacity)
        assert buf.last == ref[-1] and buf[0] == ref[0]


def test_daily_ring_round_trips_bars_and_keeps_the_newest():
    ring = daily_ring(3)
    bars = [DailyBar(date(2026, 1, d), 1.0 + d, 2.0 + d, 0.5 + d, 1.5 + d, None if d % 2 else 100.0 * d) for d in range(5, 10)]
    for bar in bars:
        ring.append(bar)
    assert list(ring) == bars[-3:] and ring[-1] == bars[-1] and ring[0] == bars[2]
    assert ring[-1].volume is None and ring[-2].volume == 800.0
    assert ring.maxlen == 3 and len(ring) == 3 and ring
    assert ring.column("close").tolist() == [bar.close for bar in bars[-3:]]
    assert ring.column("day").tolist() == [bar.day.toordinal() for bar in bars[-3:]]
    ring[-1] = bars[0]
    assert ring[-1] == bars[0]
    with pytest.raises(IndexError):
        ring[0] = bars[0]  # only the forming (newest) bar is ever replaced
    bulk = daily_ring(3)  # written in bulk (column by column), as SessionBars.daily does
    bulk.extend(bars[:1])
    bulk.extend(bars[1:])
    assert list(bulk) == bars[-3:] and bulk[-1].volume is None and bulk[-2].volume == 800.0
    assert bulk.column("day").tolist() == [bar.day.toordinal() for bar in bars[-3:]]


def test_minute_ring():
    ring = minute_ring(2)
    assert not ring
    for i in range(3):
        ring.append(MinuteBar(60.0 * i, 1.0, 2.0, 0.5, 1.5 + i))
    assert [bar.start for bar in ring] == [60.0, 120.0]
    assert ring.column("close").tolist() == [2.5, 3.5]


@given(st.integers(1, 6), st.integers(0, 8), st.lists(st.integers(0, 9), max_size=6))
def test_extend_is_append_row_by_row(capacity, before, batches):
    """Batches of any size, from any position of the cycle (wrapping, longer than the buffer)."""
    one, bulk = RingBuffer(capacity, ("a", "b")), RingBuffer(capacity, ("a", "b"))
    n = 0
    for _ in range(before):
        one.append(float(n), -float(n))
        bulk.append(float(n), -float(n))
        n += 1
    for size in batches:
        rows = [(float(n + i), -float(n + i)) for i in range(size)]
        n += size
        for row in rows:
            one.append(*row)
        bulk.extend(rows)
        assert len(bulk) == len(one)
        assert list(bulk.rows()) == list(one.rows())
        assert bulk.column("b").tolist() == one.column("b").tolist()
    one.append(0.5, 0.5)  # the write position carries on from where the batches left it
    bulk.append(0.5, 0.5)
    assert list(bulk.rows()) == list(one.rows())
    with pytest.raises(ValueError):
        bulk.extend([(1.0,)])
    with pytest.raises(ValueError):
        bulk.extend_columns([(1.0,)])  # one column of two
    with pytest.raises(ValueError):
        bulk.extend_columns([(1.0, 2.0), (1.0,)])  # columns of different lengths
