"""A braille line chart: price, moving averages and horizontal level lines in a few cells.

``render_chart`` is a pure function (values in, ``rich.text.Text`` lines out). ``BrailleChart``
shows those lines and repaints only the lines that changed, so a new tick that moves one dot
costs one line of terminal output, not the whole chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from monitor.tui.widgets.lines import LinesView

# Braille dot bits for (column 0/1, row 0..3) inside one character cell.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
_BLANK = 0x2800


class Line(NamedTuple):
    values: Sequence[float]  # oldest first; NaN = gap
    style: str
    name: str = ""


class HLine(NamedTuple):
    price: float
    style: str
    label: str = ""


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def _resample(values: Sequence[float], slots: int) -> list[tuple[float, float] | None]:
    """Map ``values`` onto ``slots`` x positions: (low, high) of the values in each slot."""
    count = len(values)
    if count == 0:
        return [None] * slots
    out: list[tuple[float, float] | None] = []
    if count <= slots:
        out = [None if math.isnan(v) else (v, v) for v in values]
        return out + [None] * (slots - count)
    for slot in range(slots):
        chunk = _finite(values[slot * count // slots : (slot + 1) * count // slots])
        out.append((min(chunk), max(chunk)) if chunk else None)
    return out


def render_chart(
    lines: Sequence[Line],
    hlines: Sequence[HLine],
    width: int,
    height: int,
    *,
    axis_width: int = 9,
    decimals: int = 0,
    tail: bool = False,
) -> list[Text]:
    """Draw ``lines`` (the first is the main series; all share its x positions, NaN for gaps)
    and the ``hlines`` near their range, with price labels on a right-hand axis. Returns
    ``height`` lines of ``width`` cells."""
    plot_w = max(1, width - axis_width)
    dots_x, dots_y = plot_w * 2, height * 4
    if tail:
        lines = [item._replace(values=list(item.values)[-dots_x:]) for item in lines]
    main = _finite(lines[0].values) if lines else []
    if not main or height < 1:
        blank = Text(" " * width)
        return [Text("no data yet", style="dim")] + [blank] * (height - 1)
    low, high = min(main), max(main)
    for extra in lines[1:]:
        visible = _finite(extra.values)
        if visible:
            low, high = min(low, min(visible)), max(high, max(visible))
    shown_levels = [h for h in hlines if low - (high - low) * 0.25 <= h.price <= high + (high - low) * 0.25]
    for level in shown_levels:
        low, high = min(low, level.price), max(high, level.price)
    if high - low < 1e-9:
        low, high = low - 1, high + 1

    def to_y(value: float) -> int:
        return min(dots_y - 1, max(0, round((high - value) / (high - low) * (dots_y - 1))))

    cells = [[0] * plot_w for _ in range(height)]
    owner: list[list[str | None]] = [[None] * plot_w for _ in range(height)]

    def dot(x: int, y: int, style: str) -> None:
        row, col = y // 4, x // 2
        cells[row][col] |= _DOTS[x % 2][y % 4]
        if owner[row][col] is None:
            owner[row][col] = style

    # A cell keeps the colour of the first item drawn in it: the main series wins.
    for item in lines:
        slots = _resample(item.values, dots_x)
        previous: int | None = None
        for x, span in enumerate(slots):
            if span is None:
                previous = None
                continue
            top, bottom = to_y(span[1]), to_y(span[0])
            if previous is not None:  # join to the previous point so the line is continuous
                top, bottom = min(top, previous), max(bottom, previous)
            for y in range(top, bottom + 1):
                dot(x, y, item.style)
            previous = to_y((span[0] + span[1]) / 2)
    for level in shown_levels:
        y = to_y(level.price)
        for x in range(0, dots_x, 3):
            dot(x, y, level.style)

    labels: dict[int, tuple[str, str]] = {0: (f"{high:,.{decimals}f}", "dim"), height - 1: (f"{low:,.{decimals}f}", "dim")}
    for level in shown_levels:
        labels[to_y(level.price) // 4] = (f"{level.price:,.{decimals}f}", level.style)

    out: list[Text] = []
    for row in range(height):
        text = Text()
        run_style: str | None = None
        run = []
        for col in range(plot_w):
            style = owner[row][col] or ""
            if style != run_style and run:
                text.append("".join(run), style=run_style or "")
                run = []
            run_style = style
            run.append(chr(_BLANK + cells[row][col]) if cells[row][col] else " ")
        if run:
            text.append("".join(run), style=run_style or "")
        label, style = labels.get(row, ("", ""))
        text.append(" " + label[: axis_width - 1].ljust(axis_width - 1), style=style)
        out.append(text)
    return out


class BrailleChart(LinesView):
    """Shows ``render_chart`` at the widget's size; only changed lines are repainted."""

    DEFAULT_CSS = """
    BrailleChart { height: 1fr; min-height: 3; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[Line] = []
        self._hlines: list[HLine] = []
        self._decimals = 0
        self._tail = False

    def set_data(self, lines: Sequence[Line], hlines: Sequence[HLine] = (), *, decimals: int = 0, tail: bool = False) -> None:
        """Plot ``lines``; with ``tail`` only the newest values that fit one per dot column."""
        self._lines, self._hlines, self._decimals, self._tail = list(lines), list(hlines), decimals, tail
        self._draw()

    def on_resize(self) -> None:
        self._draw()  # LinesView.on_resize then repaints the whole new size

    def _draw(self) -> None:
        width, height = self.size.width, self.size.height
        if width > 0 and height > 0:
            self.set_lines(render_chart(self._lines, self._hlines, width, height, decimals=self._decimals, tail=self._tail))
