"""A braille line chart: series (price, moving averages), overlays (level lines) and axes.

``render_chart`` is a pure function (values in, ``rich.text.Text`` lines out): the plot, a
right-hand value axis (top and bottom values), and under the plot a time axis with date labels
when the series come with their times. Series and overlays draw themselves on a ``Canvas``: a
new kind of overlay (a zone, a band) is one more class with ``prices`` and ``draw``.

Without colour the series stay apart by their dash: solid, dotted (every second dot column),
sparse (every fourth); ``Line.legend`` is a sample of that pattern for the chart's title. A level
is a line of every third dot; a zone (``Band``) is its two edges drawn as levels are, with a
stipple between them.

``BrailleChart`` shows those lines and repaints only the lines that changed, so a new tick that
moves one dot costs one line of terminal output, not the whole chart.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from rich.text import Text

from monitor.model import NEW_YORK
from monitor.tui.widgets.lines import LinesView

# Braille dot bits for (column 0/1, row 0..3) inside one character cell.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
_BLANK = 0x2800
LEVEL_DASH = 3  # a level line: every third dot column
BAND_STIPPLE = 6  # a band's inside: one dot every sixth column, every other cell row


def _braille_sample(dash: int, cells: int = 2) -> str:
    """What ``cells`` cells of a flat line drawn every ``dash``-th dot column look like."""
    out = []
    for cell in range(cells):
        bits = sum(_DOTS[col][1] for col in (0, 1) if (2 * cell + col) % dash == 0)
        out.append(chr(_BLANK + bits))
    return "".join(out)


class Canvas:
    """Braille cells of ``plot_w`` x ``height`` for values from ``low`` (bottom) to ``high``
    (top); each cell keeps the style of the first thing drawn in it (the main series wins).
    ``labels`` are texts written over the plot at a row's left end (a level's price and name)."""

    def __init__(self, plot_w: int, height: int, low: float, high: float) -> None:
        self.plot_w, self.height, self.low, self.high = plot_w, height, low, high
        self.dots_x, self.dots_y = plot_w * 2, height * 4
        self.cells = [[0] * plot_w for _ in range(height)]
        self.owner: list[list[str | None]] = [[None] * plot_w for _ in range(height)]
        self.labels: dict[int, tuple[str, str]] = {}

    def to_y(self, value: float) -> int:
        return min(self.dots_y - 1, max(0, round((self.high - value) / (self.high - self.low) * (self.dots_y - 1))))

    def dot(self, x: int, y: int, style: str) -> None:
        row, col = y // 4, x // 2
        self.cells[row][col] |= _DOTS[x % 2][y % 4]
        if self.owner[row][col] is None:
            self.owner[row][col] = style

    def label(self, row: int, text: str, style: str) -> None:
        self.labels[row] = (text[: max(0, self.plot_w - 1)], style)

    def free_row(self, rows: Sequence[int]) -> int | None:
        """The first of ``rows`` on the plot with no label yet."""
        return next((row for row in rows if 0 <= row < self.height and row not in self.labels), None)

    def row_text(self, row: int) -> Text:
        label, label_style = self.labels.get(row, ("", ""))
        text = Text()
        if label:
            text.append(label + " ", style=label_style)
        start = len(label) + 1 if label else 0
        run_style: str | None = None
        run: list[str] = []
        for col in range(start, self.plot_w):
            style = self.owner[row][col] or ""
            if style != run_style and run:
                text.append("".join(run), style=run_style or "")
                run = []
            run_style = style
            bits = self.cells[row][col]
            run.append(chr(_BLANK + bits) if bits else " ")
        if run:
            text.append("".join(run), style=run_style or "")
        return text


class Line(NamedTuple):
    """A series: ``values`` oldest first (NaN = gap), all series of a chart on the same x
    positions. ``dash`` 1 is solid, N draws every N-th dot column."""

    values: Sequence[float]
    style: str
    name: str = ""
    dash: int = 1

    @property
    def legend(self) -> str:
        return _braille_sample(self.dash, 2 if self.dash < 4 else 3)

    def prices(self) -> list[float]:
        return _finite(self.values)

    def draw(self, canvas: Canvas) -> None:
        previous: int | None = None
        for x, span in enumerate(_resample(self.values, canvas.dots_x)):
            if span is None:
                previous = None
                continue
            if self.dash > 1:  # dotted: one dot per drawn column, no joins
                if x % self.dash == 0:
                    canvas.dot(x, canvas.to_y((span[0] + span[1]) / 2), self.style)
                continue
            top, bottom = canvas.to_y(span[1]), canvas.to_y(span[0])
            if previous is not None:  # join to the previous point so the line is continuous
                top, bottom = min(top, previous), max(bottom, previous)
            for y in range(top, bottom + 1):
                canvas.dot(x, y, self.style)
            previous = canvas.to_y((span[0] + span[1]) / 2)


class Overlay(Protocol):
    """Something drawn over the series (a level, a zone): the prices it needs in view when it
    is near the data, and how it draws itself."""

    def prices(self) -> Sequence[float]: ...

    def draw(self, canvas: Canvas, decimals: int) -> None: ...


class HLine(NamedTuple):
    """A level: a dashed horizontal line labelled with its price and name at its row."""

    price: float
    style: str
    label: str = ""

    def prices(self) -> list[float]:
        return [self.price]

    def draw(self, canvas: Canvas, decimals: int) -> None:
        y = canvas.to_y(self.price)
        for x in range(0, canvas.dots_x, LEVEL_DASH):
            canvas.dot(x, y, self.style)
        canvas.label(y // 4, f"{self.price:,.{decimals}f} {self.label}".rstrip(), self.style)


class Band(NamedTuple):
    """A zone: its two edges dashed as levels are, a stipple between them, and "low-high label"
    on the first row of the band that has no label yet (else just under or over it, else after
    the label already on its top row, without its label when both do not fit)."""

    low: float
    high: float
    style: str
    label: str = ""

    def prices(self) -> list[float]:
        return [self.low, self.high]

    def draw(self, canvas: Canvas, decimals: int) -> None:
        top, bottom = canvas.to_y(self.high), canvas.to_y(self.low)
        for y in (top, bottom):
            for x in range(0, canvas.dots_x, LEVEL_DASH):
                canvas.dot(x, y, self.style)
        for y in range(top + 2, bottom - 1, 4):  # the middle of each cell row between the edges
            for x in range((y - top) // 4 % 2 * BAND_STIPPLE // 2, canvas.dots_x, BAND_STIPPLE):
                canvas.dot(x, y, self.style)
        first, last = top // 4, bottom // 4
        span = f"{self.low:,.{decimals}f}-{self.high:,.{decimals}f}"
        row = canvas.free_row([*range(first, last + 1), last + 1, first - 1])
        if row is not None:
            canvas.label(row, f"{span} {self.label}".rstrip(), self.style)
        else:  # a short chart: after the level's label on the band's row, the span alone if need be
            said, style = canvas.labels[first]
            both = f"{said} · {span} {self.label}".rstrip()
            canvas.label(first, both if len(both) < canvas.plot_w else f"{said} · {span}", style)


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def _resample(values: Sequence[float], slots: int) -> list[tuple[float, float] | None]:
    """Spread ``values`` over ``slots`` x positions: (low, high) of the values in each slot when
    there are more values than slots, else linearly between neighbouring values (a five-day
    range spans the width as a one-year range does). None where there is no value."""
    count = len(values)
    if count == 0:
        return [None] * slots
    if count == 1 or slots == 1:
        first = values[-1]
        return [None if math.isnan(first) else (first, first)] + [None] * (slots - 1)
    out: list[tuple[float, float] | None] = []
    if count <= slots:
        for slot in range(slots):
            position = slot * (count - 1) / (slots - 1)
            i = min(count - 2, int(position))
            a, b = values[i], values[i + 1]
            frac = position - i
            value = a if frac == 0 else b if frac == 1 else a + (b - a) * frac
            out.append(None if math.isnan(value) else (value, value))
        return out
    for slot in range(slots):
        chunk = _finite(values[slot * count // slots : (slot + 1) * count // slots])
        out.append((min(chunk), max(chunk)) if chunk else None)
    return out


def _index_at(x: int, count: int, slots: int) -> int:
    """The value index drawn at dot column ``x`` (the inverse of ``_resample``'s spreading)."""
    if count > slots:
        return x * count // slots
    return min(count - 1, round(x * (count - 1) / max(1, slots - 1)))


def _month_label(when: datetime) -> str:
    return str(when.year) if when.month == 1 else when.strftime("%b")


def time_labeller(first: float, last: float) -> tuple[Callable[[datetime], tuple], Callable[[datetime], str]]:
    """(key, label) for the time axis over ``first``..``last`` (epoch seconds): a label where
    the key changes (a new hour, day, month, quarter or year); January says the year."""
    span_days = (last - first) / 86400
    if span_days <= 1.5:
        return (lambda d: (d.date(), d.hour)), (lambda d: f"{d.hour:02d}:00")
    if span_days <= 50:
        return (lambda d: d.date()), (lambda d: d.strftime("%b %d"))
    if span_days <= 420:
        return (lambda d: (d.year, d.month)), _month_label
    if span_days <= 1500:
        return (lambda d: (d.year, (d.month - 1) // 3)), (lambda d: _month_label(d.replace(month=(d.month - 1) // 3 * 3 + 1, day=1)))
    return (lambda d: d.year), (lambda d: str(d.year))


def time_axis(times: Sequence[float], plot_w: int) -> Text:
    """Date labels under the plot: each at the column where its hour, day, month or year
    starts, left out where it would touch the previous label."""
    count = len(times)
    text = [" "] * plot_w
    if count < 2:
        return Text("".join(text), style="dim")
    key_of, label_of = time_labeller(times[0], times[-1])
    previous = None
    free = 0  # first column a label may start at
    for col in range(plot_w):
        when = datetime.fromtimestamp(times[_index_at(2 * col, count, 2 * plot_w)], NEW_YORK)
        key = key_of(when)
        if previous is not None and key != previous and col >= free:
            label = label_of(when)
            if col + len(label) <= plot_w:
                text[col : col + len(label)] = label
                free = col + len(label) + 1
        previous = key
    return Text("".join(text), style="dim")


def render_chart(
    lines: Sequence[Line],
    overlays: Sequence[Overlay],
    width: int,
    height: int,
    *,
    times: Sequence[float] | None = None,
    axis_width: int = 9,
    decimals: int = 0,
    empty: str = "no data yet",
) -> list[Text]:
    """Draw ``lines`` (the first is the main series) and the ``overlays`` near their range, the
    top and bottom values on a right-hand axis and, given ``times`` (epoch seconds of the main
    series' values), a time axis as the last line. Returns ``height`` lines of ``width`` cells."""
    plot_w = max(1, width - axis_width)
    with_times = times is not None and height >= 3
    plot_h = height - 1 if with_times else height
    main = _finite(lines[0].values) if lines else []
    if not main or height < 1:
        said = [Text(line, style="dim") for line in textwrap.wrap(empty, max(10, width))][:height]
        return said + [Text(" " * width)] * (height - len(said))
    low, high = min(main), max(main)
    for extra in lines[1:]:
        visible = extra.prices()
        if visible:
            low, high = min(low, min(visible)), max(high, max(visible))
    margin = (high - low) * 0.25
    shown = [o for o in overlays if any(low - margin <= p <= high + margin for p in o.prices())]
    for overlay in shown:
        near = [p for p in overlay.prices() if low - margin <= p <= high + margin]
        low, high = min(low, *near), max(high, *near)
    if high - low < 1e-9:
        low, high = low - 1, high + 1

    canvas = Canvas(plot_w, plot_h, low, high)
    for line in lines:  # the series first: a cell keeps the colour of the first thing drawn
        line.draw(canvas)
    for overlay in shown:
        overlay.draw(canvas, decimals)
    axis = {0: f"{high:,.{decimals}f}", plot_h - 1: f"{low:,.{decimals}f}"}

    out: list[Text] = []
    for row in range(plot_h):
        text = canvas.row_text(row)
        text.append(" " + axis.get(row, "")[: axis_width - 1].ljust(axis_width - 1), style="dim")
        out.append(text)
    if with_times:
        out.append(time_axis(times, plot_w) + Text(" " * axis_width))
    return out


class BrailleChart(LinesView):
    """Shows ``render_chart`` at the widget's size; only changed lines are repainted."""

    DEFAULT_CSS = """
    BrailleChart { height: 1fr; min-height: 3; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[Line] = []
        self._overlays: list[Overlay] = []
        self._times: Sequence[float] | None = None
        self._decimals = 0
        self._empty = "no data yet"

    def set_data(
        self,
        lines: Sequence[Line],
        overlays: Sequence[Overlay] = (),
        *,
        times: Sequence[float] | None = None,
        decimals: int = 0,
        empty: str = "no data yet",
    ) -> None:
        """Plot ``lines`` over the whole width; ``empty`` is said when there is nothing to plot."""
        self._lines, self._overlays, self._times = list(lines), list(overlays), times
        self._decimals, self._empty = decimals, empty
        self._draw()

    def on_resize(self) -> None:
        self._draw()  # LinesView.on_resize then repaints the whole new size

    def _draw(self) -> None:
        width, height = self.size.width, self.size.height
        if width > 0 and height > 0:
            self.set_lines(
                render_chart(self._lines, self._overlays, width, height, times=self._times, decimals=self._decimals, empty=self._empty)
            )
