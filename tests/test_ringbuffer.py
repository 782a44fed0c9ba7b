"""RingBuffer: bounded, O(1) append / replace_last, oldest-to-newest copies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.ringbuffer import RingBuffer


def test_empty():
    buf = RingBuffer(4)
    assert len(buf) == 0 and buf.capacity == 4 and not buf.full
    assert math.isnan(buf.last)
    assert buf.values().shape == (0,)
    with pytest.raises(IndexError):
        buf.replace_last(1.0)
    with pytest.raises(IndexError):
        buf[0]


def test_fill_and_wrap_around():
    buf = RingBuffer(3)
    for x in (1.0, 2.0):
        buf.append(x)
    assert list(buf.values()) == [1.0, 2.0] and not buf.full
    for x in (3.0, 4.0, 5.0):
        buf.append(x)
    assert buf.full and len(buf) == 3
    assert list(buf.values()) == [3.0, 4.0, 5.0]
    assert (buf[0], buf[-1], buf.last) == (3.0, 5.0, 5.0)
    assert type(buf.last) is float and type(buf[1]) is float


def test_replace_last_at_every_position_of_the_cycle():
    buf = RingBuffer(3)
    for i in range(7):  # the newest slot visits 0, 1, 2 (the wrap from slot 0 back to 2)
        buf.append(float(i))
        buf.replace_last(10.0 + i)
        assert buf.last == 10.0 + i
        assert buf.values()[-1] == 10.0 + i
    assert list(buf.values()) == [14.0, 15.0, 16.0]


def test_values_is_a_copy_and_memory_is_constant():
    buf = RingBuffer(5)
    data = buf._data
    for i in range(1000):
        buf.append(float(i))
    out = buf.values()
    out[:] = -1.0
    assert list(buf.values()) == [995.0, 996.0, 997.0, 998.0, 999.0]
    assert buf._data is data and data.nbytes == 5 * 8


def test_clear_and_bad_capacity():
    buf = RingBuffer(2)
    buf.append(1.0)
    buf.clear()
    assert len(buf) == 0
    buf.append(2.0)
    assert list(buf.values()) == [2.0]
    with pytest.raises(ValueError):
        RingBuffer(0)


@given(
    capacity=st.integers(1, 8),
    ops=st.lists(st.tuples(st.booleans(), st.floats(-1e6, 1e6)), max_size=60),
)
def test_matches_a_plain_list(capacity, ops):
    buf, ref = RingBuffer(capacity), []
    for replace, x in ops:
        if replace and ref:
            ref[-1] = x
            buf.replace_last(x)
        else:
            ref.append(x)
            buf.append(x)
        ref = ref[-capacity:]
        assert np.array_equal(buf.values(), np.array(ref, dtype=float))
        assert len(buf) == len(ref) and buf.full == (len(ref) == capacity)
        assert buf.last == ref[-1] and buf[0] == ref[0]
