"""The watchlist: one DataTable row per symbol, updated cell by cell, never rebuilt per tick.

Columns are chosen by the table's width (``rows.columns_for_width``): at 80 columns the less
important ones are dropped. Only a resize that changes the column set rebuilds the table.
"""

from __future__ import annotations

from rich.text import Text
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from monitor.tui.widgets.rows import Column, columns_for_width


# DataTable's render caches, keyed (among others) by its update counter; see update_cell.
_CACHES = ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache", "_line_cache")


def _discard(cache: LRUCache, stale) -> None:
    for key in [key for key in cache.keys() if stale(key)]:
        cache.discard(key)


class Watchlist(DataTable):
    """``set_row(symbol, cells)`` writes only the cells whose text or style changed."""

    DEFAULT_CSS = """
    Watchlist { height: auto; max-height: 12; scrollbar-size-vertical: 1; }
    """

    def __init__(self, symbols: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_cursor=True)
        self.symbols = list(symbols)
        self._cells: dict[str, dict[str, Text]] = {s: {} for s in self.symbols}
        self._flash: set[str] = set()
        self._shown: list[Column] = []
        self._fast_updates = all(isinstance(getattr(self, name, None), LRUCache) for name in _CACHES) and isinstance(
            getattr(self, "_data", None), dict
        )
        self.flashes = 0

    def on_mount(self) -> None:
        self._layout_columns(self.size.width or 80)

    def on_resize(self) -> None:
        self._layout_columns(self.size.width)

    def _layout_columns(self, width: int) -> None:
        wanted = columns_for_width(width - 1)  # leave room for a scrollbar
        if [c.key for c in wanted] == [c.key for c in self._shown]:
            return
        selected = self.cursor_row
        self.clear(columns=True)
        self._shown = wanted
        for column in wanted:
            self.add_column(column.label, width=column.width, key=column.key)
        for symbol in self.symbols:
            cells = self._cells[symbol]
            self.add_row(*(self._styled(symbol, c.key, cells.get(c.key, Text(""))) for c in wanted), key=symbol)
        if self.symbols:
            self.move_cursor(row=min(max(selected, 0), len(self.symbols) - 1))

    @property
    def shown_columns(self) -> list[str]:
        return [c.key for c in self._shown]

    @property
    def selected_symbol(self) -> str | None:
        if not self.symbols or self.cursor_row < 0:
            return None
        return self.symbols[min(self.cursor_row, len(self.symbols) - 1)]

    def set_row(self, symbol: str, cells: dict[str, Text]) -> None:
        """Store the row's cells and update those on screen that changed."""
        known = self._cells[symbol]
        shown = self.shown_columns
        for key, text in cells.items():
            old = known.get(key)
            if old is not None and old.plain == text.plain and old.spans == text.spans and old.style == text.style:
                continue
            known[key] = text
            if key in shown:
                self.update_cell(symbol, key, self._styled(symbol, key, text))

    def update_cell(self, row_key, column_key, value, *, update_width: bool = False) -> None:
        """Repaint one cell only. ``DataTable.update_cell`` repaints the whole table and, by
        bumping its update counter, re-renders every cell of every row on the next frame: at
        4 repaints a second that was most of the app's CPU. Here only the caches holding this
        cell are dropped (DataTable internals, checked at mount; the public path otherwise)."""
        if update_width or not self._fast_updates:
            super().update_cell(row_key, column_key, value, update_width=update_width)
            return
        row_key = RowKey(row_key) if isinstance(row_key, str) else row_key
        column_key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        self._data[row_key][column_key] = value
        row_index = self.get_row_index(row_key)
        _discard(self._cell_render_cache, lambda key: key[0] == row_key and key[1] == column_key)
        _discard(self._row_render_cache, lambda key: key[0] == row_key)
        _discard(self._row_renderable_cache, lambda key: key[1] == row_index)
        self._line_cache.clear()
        self.refresh_coordinate(Coordinate(row_index, self.get_column_index(column_key)))

    def flash(self, symbol: str, on: bool) -> None:
        """Highlight (or restore) a row: used to flash the row of a symbol that alerted."""
        if on:
            self.flashes += 1
            self._flash.add(symbol)
        else:
            self._flash.discard(symbol)
        for key in self.shown_columns:
            self.update_cell(symbol, key, self._styled(symbol, key, self._cells[symbol].get(key, Text(""))))

    def _styled(self, symbol: str, key: str, text: Text) -> Text:
        if symbol in self._flash:
            text = text.copy()
            text.stylize("reverse")
        return text

    def cell_text(self, symbol: str, key: str) -> str:
        """Plain text of a cell as last set (for tests)."""
        cell = self._cells.get(symbol, {}).get(key)
        return cell.plain if cell is not None else ""

