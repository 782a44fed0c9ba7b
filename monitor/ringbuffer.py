"""Fixed-capacity ring buffers: the core's bounded histories (daily and minute bars).

A ``RingBuffer`` holds the newest ``capacity`` rows of a fixed set of float64 fields. Each field
is one ``array('d')`` of ``2 * capacity`` slots and every write goes to slot ``i`` and to its
mirror ``i + capacity``, so the held rows, oldest to newest, are always one contiguous run of
slots: ``column(name)`` returns a read-only ``memoryview`` of that run (zero-copy; numpy reads it
with ``numpy.frombuffer``), and ``append`` / ``replace_last`` are O(1). Memory is fixed at
creation and never grows.

``array`` rather than numpy: the headless replay never imports numpy (it would cost more start-up
time than the whole replay of a year), and single-item writes to an ``array`` are several times
cheaper than to a numpy array. ``BarRing`` (in ``monitor.bars``) stores bars as rows of one.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence

NAN = float("nan")


class RingBuffer:
    """The newest ``capacity`` rows of ``fields`` (float64 each); older rows are overwritten."""

    __slots__ = ("fields", "_columns", "_index", "_width", "_capacity", "_next", "_size")

    def __init__(self, capacity: int, fields: Sequence[str] = ("value",)) -> None:
        capacity = int(capacity)
        if capacity < 1:
            raise ValueError(f"RingBuffer capacity must be >= 1, got {capacity}")
        if not fields:
            raise ValueError("RingBuffer needs at least one field")
        self.fields = tuple(fields)
        self._columns = tuple(array("d", bytes(16 * capacity)) for _ in self.fields)
        self._index = {name: i for i, name in enumerate(self.fields)}
        self._width = len(self.fields)
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

    def append(self, *row: float) -> None:
        """Add a row (one value per field) as the newest; drops the oldest when full."""
        if len(row) != self._width:
            raise ValueError(f"a row has {self._width} values, got {len(row)}")
        i = self._next
        mirror = i + self._capacity
        for column, x in zip(self._columns, row):
            column[i] = x
            column[mirror] = x
        i += 1
        self._next = 0 if i == self._capacity else i
        if self._size < self._capacity:
            self._size += 1

    def extend(self, rows: Sequence[Sequence[float]]) -> None:
        """``append`` each of ``rows`` in turn, written column by column: a slice assignment
        per column instead of two item writes per value (what a batch of bars costs)."""
        rows = rows[-self._capacity :]
        if rows:
            if set(map(len, rows)) != {self._width}:
                raise ValueError(f"a row has {self._width} values")
            self.extend_columns(list(zip(*rows)))

    def extend_columns(self, columns: Sequence[Sequence[float]]) -> None:
        """``extend`` with the rows given as columns (one sequence per field, equally long)."""
        if len(columns) != self._width or len(set(map(len, columns))) != 1:
            raise ValueError(f"expected {self._width} columns of one length")
        capacity = self._capacity
        k = len(columns[0])
        if k > capacity:
            columns = [column[-capacity:] for column in columns]
            k = capacity
        start = self._next
        first = min(k, capacity - start)  # rows before the write position wraps to slot 0
        for column, values in zip(self._columns, columns):
            values = array("d", values)
            column[start : start + first] = column[start + capacity : start + capacity + first] = values[:first]
            if first < k:
                column[: k - first] = column[capacity : capacity + k - first] = values[first:]
        self._next = (start + k) % capacity
        self._size = min(capacity, self._size + k)

    def replace_last(self, *row: float) -> None:
        """Overwrite the newest row (the bar still forming)."""
        if not self._size:
            raise IndexError("replace_last on an empty RingBuffer")
        if len(row) != self._width:
            raise ValueError(f"a row has {self._width} values, got {len(row)}")
        i = self._next - 1 if self._next else self._capacity - 1
        mirror = i + self._capacity
        for column, x in zip(self._columns, row):
            column[i] = x
            column[mirror] = x

    def _slot(self, i: int) -> int:
        if i < 0:
            i += self._size
        if not 0 <= i < self._size:
            raise IndexError("RingBuffer index out of range")
        return self._next - self._size + self._capacity + i  # within the mirrored run

    def row(self, i: int) -> tuple[float, ...]:
        """Row ``i`` (0 the oldest held, -1 the newest) as a tuple of floats."""
        slot = self._slot(i)
        return tuple(column[slot] for column in self._columns)

    def get(self, i: int, name: str) -> float:
        """Field ``name`` of row ``i``."""
        return self._columns[self._index[name]][self._slot(i)]

    def __getitem__(self, i: int) -> float:
        """The first field of row ``i`` (for one-field buffers: ``buf[-1]`` is the newest value)."""
        return self._columns[0][self._slot(i)]

    @property
    def last(self) -> float:
        """The first field of the newest row (NaN when empty)."""
        return self._columns[0][self._next - 1 + self._capacity] if self._size else NAN

    def column(self, name: str | None = None) -> memoryview:
        """One field of the held rows, oldest to newest: a read-only view, no copy. It shows
        the buffer as it is when read; take ``list(...)`` of it to keep values past a write."""
        column = self._columns[0 if name is None else self._index[name]]
        end = self._next + self._capacity
        return memoryview(column)[end - self._size : end].toreadonly()

    def values(self) -> list[float]:
        """A copy of the first field's held values, oldest to newest."""
        return self.column().tolist()

    def rows(self) -> Iterator[tuple[float, ...]]:
        """The held rows, oldest to newest."""
        end = self._next + self._capacity
        return zip(*(column[end - self._size : end] for column in self._columns))

    def clear(self) -> None:
        self._next = 0
        self._size = 0

    @property
    def nbytes(self) -> int:
        """Bytes of storage: fixed at creation."""
        return sum(column.itemsize * len(column) for column in self._columns)

    def __repr__(self) -> str:
        return f"RingBuffer(capacity={self._capacity}, fields={self.fields}, len={self._size})"
