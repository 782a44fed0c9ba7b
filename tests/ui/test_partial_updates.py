"""Terminal bytes: a changed cell is sent from where the change starts, not from the widget's
left edge, and a readout line repaints only the cells that differ."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.geometry import Region
from textual.strip import Strip

from monitor.tui import partial_updates
from monitor.tui.widgets.lines import LinesView, changed_cells

BOLD = Style(bold=True)


def watchlist_row() -> Strip:
    """A non-cursor watchlist row as DataTable renders it: padding and text as their own segments."""
    return Strip([Segment(" "), Segment("^GSPC", BOLD), Segment("  "), Segment(" "), Segment("6,801.99", BOLD), Segment("  "), Segment(" " * 61)])


def test_a_partial_update_starts_at_the_change_not_at_the_widget_edge():
    assert partial_updates.install()
    from textual._compositor import ChopsUpdate

    console = Console(color_system="truecolor", force_terminal=True, width=80)
    update = ChopsUpdate([{0: watchlist_row()}, {0: watchlist_row()}], [(1, 8, 19)], [[80], [80]])
    sent = update.render_segments(console)
    assert sent.startswith("\x1b[2;9H")  # row 2, column 9: the Last cell
    assert "6,801.99" in sent and "^GSPC" not in sent
    assert Text.from_ansi(sent).plain.replace("\x1b", "").endswith("6,801.99  ")  # cropped at the end too
    whole = ChopsUpdate([{0: watchlist_row()}], [(0, 0, 80)], [[80]]).render_segments(console)
    assert whole.startswith("\x1b[1;1H") and "^GSPC" in whole and "6,801.99" in whole


def test_changed_cells_span_only_what_differs():
    def strip(text: str) -> Strip:
        return Strip(list(Text(text).render(Console(width=80))))

    assert changed_cells(strip(" 2,601.56 -0.74%   "), strip(" 2,601.62 -0.74%   ")) == (7, 9)
    assert changed_cells(strip("abc"), strip("abcdef")) == (3, 6)
    assert changed_cells(strip("▲ 日本 x"), strip("▲ 日本 y")) == (7, 8)  # wide characters count two cells
    assert changed_cells(strip("a日b"), strip("a本b")) == (1, 3)
    bold = Strip([Segment("2,601", BOLD)])
    assert changed_cells(Strip([Segment("2,601")]), bold) == (0, 5)  # a style change is a change


async def test_a_readout_line_repaints_only_its_changed_digits():
    class One(App):
        def compose(self):
            yield LinesView(id="view")

    app = One()
    async with app.run_test(size=(40, 3)) as pilot:
        view = app.query_one(LinesView)
        view.set_lines([Text(" 2,601.56 -0.74%")])
        await pilot.pause()
        view.set_lines([Text(" 2,601.62 -0.74%")])
        assert view._repaint_regions == {Region(7, 0, 2, 1)}
        await pilot.pause()
        lines = [Text("RSI 44"), Text("MACD ▼"), Text(" 2,601.62 -0.74%")]
        view.set_lines(lines)
        await pilot.pause()
        rendered = view.lines_rendered
        view.set_lines([*lines[:2], Text(" 2,601.70 -0.74%")])
        assert view.lines_rendered == rendered + 1  # the unchanged lines are not rendered again
        assert view._repaint_regions == {Region(7, 2, 2, 1)}
