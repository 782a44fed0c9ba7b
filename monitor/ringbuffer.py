"""A fixed-capacity ring buffer of float64 values (bounded history for charts and exports).

Storage is one numpy array of ``capacity`` slots written in place: ``append`` and
``replace_last`` are O(1) and memory never grows. ``values()`` returns an oldest-to-newest copy,
so callers can never see a half-rotated view. Reads of single values (``last``, ``[i]``) return
plain Python floats.
"""

from __future__ import annotations

import numpy as np


class RingBuffer:
    """The newest ``capacity`` values appended; older ones are overwritten."""

    __slots__ = ("_data", "_capacity", "_next", "_size")

    def __init__(self, capacity: int) -> None:
        capacity = int(capacity)
        if capacity < 1:
            raise ValueError(f"RingBuffer capacity must be >= 1, got {capacity}")
        self._data = np.full(capacity, np.nan, dtype=np.float64)
        self._capacity = capacity
        self._next = 0  # slot the next append writes
        self._size = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def full(self) -> bool:
        return self._size == self._capacity

    def __len__(self) -> int:
        return self._size

    def append(self, x: float) -> None:
        """Add a value as the newest; drops the oldest when full."""
        i = self._next
        self._data[i] = x
        i += 1
        self._next = 0 if i == self._capacity else i
        if self._size < self._capacity:
            self._size += 1

    def replace_last(self, x: float) -> None:
        """Overwrite the newest value (the bar still forming)."""
        if not self._size:
            raise IndexError("replace_last on an empty RingBuffer")
        self._data[self._next - 1] = x  # index -1 wraps to the last slot

    @property
    def last(self) -> float:
        """The newest value (NaN when empty)."""
        if not self._size:
            return float("nan")
        return float(self._data[self._next - 1])

    def __getitem__(self, i: int) -> float:
        """``buf[0]`` is the oldest value held, ``buf[-1]`` the newest."""
        if i < 0:
            i += self._size
        if not 0 <= i < self._size:
            raise IndexError("RingBuffer index out of range")
        return float(self._data[(self._next - self._size + i) % self._capacity])

    def values(self) -> np.ndarray:
        """A copy of the held values, oldest to newest."""
        if self._size < self._capacity:
            return self._data[self._next - self._size : self._next].copy()
        return np.concatenate((self._data[self._next :], self._data[: self._next]))

    def clear(self) -> None:
        self._next = 0
        self._size = 0

    def __repr__(self) -> str:
        return f"RingBuffer(capacity={self._capacity}, len={self._size})"
