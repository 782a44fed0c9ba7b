"""A widget that shows a list of text lines and repaints only the lines that changed.

Over SSH every repainted cell costs bytes: a readout whose one number changed should send that
number, not the whole panel. ``set_lines`` compares the new lines with those on screen and
repaints only the cells that differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


def _cells(strip: Strip) -> list[tuple[str, Style | None]]:
    """One (character, style) per cell; a wide character's second cell is ("", style)."""
    cells: list[tuple[str, Style | None]] = []
    for segment in strip:
        for char in segment.text:
            cells.append((char, segment.style))
            cells.extend([("", segment.style)] * (cell_len(char) - 1))
    return cells


def changed_cells(old: Strip, new: Strip) -> tuple[int, int]:
    """The cells [start, stop) that differ between two renders of one line (a new price in a
    readout repaints its digits, not the whole line)."""
    a, b = _cells(old), _cells(new)
    size = max(len(a), len(b))
    a += [("", None)] * (size - len(a))
    b += [("", None)] * (size - len(b))
    start = next((i for i in range(size) if a[i] != b[i]), size)
    stop = next((i + 1 for i in range(size - 1, -1, -1) if a[i] != b[i]), start)
    while start > 0 and start < size and b[start][0] == "":  # never cut a wide character
        start -= 1
    while stop < size and b[stop][0] == "":
        stop += 1
    return start, stop


def _same(a: Text, b: Text) -> bool:
    return a.plain == b.plain and a.spans == b.spans and a.style == b.style


class LinesView(Widget):
    """Shows ``Text`` lines, one per row, cropped or padded to the widget's width."""

    DEFAULT_CSS = """
    LinesView { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._texts: list[Text] = []
        self._strips: list[Strip] = []
        self._width = -1
        self.lines_refreshed = 0  # counted for tests and benchmarks
        self.lines_rendered = 0

    def set_lines(self, texts: Sequence[Text]) -> None:
        old = self._texts
        self._texts = list(texts)
        if len(old) == len(self._texts) and all(map(_same, old, self._texts)):
            return  # nothing to render or send
        self._sync(partial=True, previous=old)

    @property
    def plain_lines(self) -> list[str]:
        return [text.plain for text in self._texts]

    def on_resize(self) -> None:
        self._sync(partial=False)

    def _sync(self, partial: bool, previous: Sequence[Text] = ()) -> None:
        width = self.size.width
        if width <= 0:
            return
        if partial and width == self._width:
            # Only the lines whose text changed are rendered again (a readout changes one or two).
            kept = self._strips
            strips = [
                kept[y] if y < len(previous) and y < len(kept) and _same(previous[y], text) else self._to_strip(text, width)
                for y, text in enumerate(self._texts)
            ]
            count = max(len(strips), len(self._strips))
            for y in range(count):
                old = self._strips[y] if y < len(self._strips) else None
                new = strips[y] if y < len(strips) else None
                if old is None or new is None:
                    self.refresh(Region(0, y, width, 1))
                    self.lines_refreshed += 1
                elif old is not new and list(old) != list(new):
                    start, stop = changed_cells(old, new)
                    self.refresh(Region(start, y, stop - start, 1))
                    self.lines_refreshed += 1
            self._strips = strips
            return
        strips = [self._to_strip(text, width) for text in self._texts]
        self._strips, self._width = strips, width
        self.lines_refreshed += len(strips)
        self.refresh()

    def _to_strip(self, text: Text, width: int) -> Strip:
        self.lines_rendered += 1
        text = text.copy()
        text.no_wrap = True
        text.truncate(width, overflow="ellipsis")
        return Strip(list(text.render(self.app.console))).adjust_cell_length(width)

    def render_line(self, y: int) -> Strip:
        strip = self._strips[y] if y < len(self._strips) else Strip([Segment(" " * self.size.width, Style())])
        return strip.apply_style(self.rich_style)
