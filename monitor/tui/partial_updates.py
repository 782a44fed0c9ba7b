"""Partial screen updates that start where the change starts.

Textual sends a partial update line by line: for each changed span it writes the chop (the part
of the line one widget covers) from the chop's left edge and crops only its end
(``ChopsUpdate.render_segments``). A new price in the watchlist's Last column therefore re-sent
the Symbol cell before it, each cell with its own colour codes: about half of the terminal bytes
of a live run. ``install()`` replaces that method with one that also skips the segments that end
before the change (it starts on a segment boundary, so no wide character is ever split). What
reaches the screen is the same; only unchanged cells are no longer re-sent.

Textual internals: ``install`` checks the shape it relies on and leaves Textual alone otherwise.
"""

from __future__ import annotations

from rich.control import Control

try:
    from textual._compositor import ChopsUpdate
except ImportError:  # pragma: no cover - another Textual layout: keep its own method
    ChopsUpdate = None


def render_segments(self, console) -> str:
    """``ChopsUpdate.render_segments``, cropped at both ends of each changed span."""
    sequences: list[str] = []
    append = sequences.append
    chops = self.chops
    chop_ends = self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(chop_ends[y], chops[y].items()):
            if strip is None or x > x2 or end <= x1:
                continue
            start = x
            if x < x1:  # skip whole segments left of the change
                for segment in strip:
                    width = segment.cell_length
                    if start + width > x1:
                        break
                    start += width
            stop = min(end, x2)
            if stop <= start:
                continue
            if start != x or stop != end:
                strip = strip.crop(start - x, stop - x)
            append(Control.move_to(start, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def install() -> bool:
    """Use ``render_segments`` for Textual's partial updates (once); False if Textual's
    ``ChopsUpdate`` is not the shape this was written for."""
    if ChopsUpdate is None or not hasattr(ChopsUpdate, "render_segments"):
        return False
    if ChopsUpdate.render_segments is render_segments:
        return True
    if not {"chops", "spans", "chop_ends"} <= set(getattr(ChopsUpdate.__init__, "__code__").co_varnames):
        return False
    ChopsUpdate.render_segments = render_segments
    return True
