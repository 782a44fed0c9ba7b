"""The watchlist: one DataTable row per symbol, updated cell by cell, never rebuilt per tick.

Columns are chosen by the table's width (``rows.columns_for_width``): at 80 columns the less
important ones are dropped. Only a resize that changes the column set rebuilds the table; a new
order of the rows (symbols added, removed, moved, or a sort) rebuilds the rows alone.

Sorting is a view: ``order`` is the user's order (the config's), ``symbols`` the rows as shown.
A sorted column is marked in its header (▼ high to low, ▲ low to high); ``resort`` keeps the
rows in order as values change.
"""

from __future__ import annotations

from rich.text import Text
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from monitor.tui.widgets.rows import COLUMNS, Column, columns_for_width, sort_value

TEXT_COLUMNS = ("symbol", "name")  # sorted A to Z at first; every other column high to low


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

    def __init__(self, symbols: list[str], *, columns: tuple[Column, ...] = COLUMNS, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_cursor=True)
        self.columns_known = columns  # every column it may show (``rows.watch_columns``)
        self.order = list(symbols)  # the user's order
        self.symbols = list(symbols)  # the rows as shown (sorted or not)
        self.sort: tuple[str, bool] | None = None  # (column key, descending)
        self._cells: dict[str, dict[str, Text]] = {s: {} for s in self.symbols}
        self._flash: set[str] = set()
        self._shown: list[Column] = []
        # DataTable's caches have the layout ``update_cell``'s fast path relies on (read-only)
        self.fast_updates = all(isinstance(getattr(self, name, None), LRUCache) for name in _CACHES) and isinstance(
            getattr(self, "_data", None), dict
        )
        self.flashes = 0

    def on_mount(self) -> None:
        self._layout_columns(self.size.width or 80)

    def on_resize(self) -> None:
        self._layout_columns(self.size.width)

    def _layout_columns(self, width: int) -> None:
        wanted = columns_for_width(width - 1, self.columns_known)  # leave room for a scrollbar
        if [c.key for c in wanted] == [c.key for c in self._shown]:
            return
        selected = self.selected_symbol
        self.clear(columns=True)
        self._shown = wanted
        for column in wanted:
            self.add_column(self._header(column), width=column.width, key=column.key)
        self._fill_rows(selected)

    def _header(self, column: Column) -> str:
        if self.sort is None or self.sort[0] != column.key:
            return column.label
        return ("▼" if self.sort[1] else "▲") + column.label

    def _fill_rows(self, selected: str | None) -> None:
        """(Re)write every row in ``symbols`` order; the cursor stays on ``selected``."""
        self.clear()
        for symbol in self.symbols:
            cells = self._cells[symbol]
            self.add_row(*(self._styled(symbol, c.key, cells.get(c.key, Text(""))) for c in self._shown), key=symbol)
        if self.symbols:
            row = self.symbols.index(selected) if selected in self.symbols else min(max(self.cursor_row, 0), len(self.symbols) - 1)
            self.move_cursor(row=row)

    # --- the rows' order ---------------------------------------------------------------------

    def set_order(self, symbols: list[str], selected: str | None = None) -> None:
        """A new user order (symbols added, removed or moved); the cursor goes to ``selected``
        (default: the symbol it is on)."""
        selected = selected or self.selected_symbol
        self.order = list(symbols)
        self._cells = {s: self._cells.get(s, {}) for s in self.order}
        self._flash &= set(self.order)
        self._show(self._sorted(), selected)

    def sort_by(self, key: str | None, descending: bool | None = None) -> None:
        """Sort the rows by column ``key`` (None: the user's order); the direction defaults to
        A to Z for the text columns and high to low for the others."""
        if key is None:
            self.sort = None
        else:
            self.sort = (key, key not in TEXT_COLUMNS if descending is None else descending)
        for column in self._shown:
            self.columns[ColumnKey(column.key)].label = Text(self._header(column))
        self._show(self._sorted(), self.selected_symbol, force=True)

    def next_sort(self) -> None:
        """The next column to sort by, left to right over the shown columns, then none."""
        keys = self.shown_columns
        if self.sort is None:
            self.sort_by(keys[0])
        elif self.sort[0] in keys and keys.index(self.sort[0]) + 1 < len(keys):
            self.sort_by(keys[keys.index(self.sort[0]) + 1])
        else:
            self.sort_by(None)

    def sort_label(self) -> str:
        """"sorted by Chg% ▼ (high to low)" or "your order"."""
        if self.sort is None:
            return "your order"
        key, descending = self.sort
        label = next((c.label for c in self.columns_known if c.key == key), key)
        return f"sorted by {label} " + ("▼ (high to low)" if descending else "▲ (low to high)")

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by it; a second click reverses; a third goes back to the
        user's order."""
        event.stop()
        key = event.column_key.value
        if self.sort is None or self.sort[0] != key:
            self.sort_by(key)
        elif self.sort[1] == (key not in TEXT_COLUMNS):
            self.sort_by(key, not self.sort[1])
        else:
            self.sort_by(None)

    def resort(self) -> None:
        """Put the rows back in sort order after values changed (cheap when nothing moved)."""
        if self.sort is not None:
            self._show(self._sorted(), self.selected_symbol)

    def _sorted(self) -> list[str]:
        if self.sort is None:
            return list(self.order)
        key, descending = self.sort
        values = {s: sort_value(self.cell_text(s, key)) for s in self.order}
        known = sorted((s for s in self.order if values[s] is not None), key=values.__getitem__, reverse=descending)
        return known + [s for s in self.order if values[s] is None]  # unknown values last

    def _show(self, symbols: list[str], selected: str | None, force: bool = False) -> None:
        if symbols == self.symbols and not force:
            return
        self.symbols = symbols
        self._fill_rows(selected)

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
        known = self._cells.get(symbol)
        if known is None:  # removed from the watchlist meanwhile
            return
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
        if update_width or not self.fast_updates:
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

    @property
    def flashing(self) -> frozenset[str]:
        """The symbols whose rows are lit by a flash now."""
        return frozenset(self._flash)

    def flash(self, symbol: str, on: bool) -> None:
        """Highlight (or restore) a row: used to flash the row of a symbol that alerted."""
        if symbol not in self._cells:
            return
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

