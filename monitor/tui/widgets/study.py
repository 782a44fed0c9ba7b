"""The Study screen (key ``e``): what each alert of the selected symbol has been worth.

The study (``monitor.study.run_study``, the same as ``market-monitor study``) runs in a thread
worker: the live screen keeps updating underneath, and its progress is posted here as messages.
The table has one row per rule and direction (and level or zone), the mean % return h sessions
after the alert per horizon; below it, braille histograms of the h-session returns after the
selected row's alerts and of the baseline (every session), on one shared x axis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from monitor.view import DEFAULT_HORIZONS, FEW_ALERTS, Study, StudyRow, rate_text, shown_decimals, subject_text

# The study itself: (horizons, a progress callback) -> the finished Study. It loads history
# and replays it (I/O, seconds of work), so the app builds it (``monitor.tui.study_job``) and
# the screen runs it in a thread worker.
StudyJob = Callable[[Sequence[int], Callable[[str], None]], Study]
DEFAULT_HORIZON = 63
RULE_WIDTH = 22  # the table's rule column (a level's label is cut): 80 columns hold 5 horizons
HIST_HEIGHT = 3  # text rows per histogram (12 braille dots)
# Braille dots filled from the bottom: left column (dots 7, 3, 2, 1), right column (8, 6, 5, 4).
LEFT_DOTS = (0x40, 0x04, 0x02, 0x01)
RIGHT_DOTS = (0x80, 0x20, 0x10, 0x08)


# --------------------------------------------------------------------------------------------
# Braille histogram


def histogram_counts(values: Sequence[float], low: float, high: float, bins: int) -> list[int]:
    """How many ``values`` fall in each of ``bins`` equal bins over low .. high (the values
    outside go to the edge bins)."""
    counts = [0] * bins
    width = (high - low) / bins if high > low else 1.0
    for value in values:
        counts[min(bins - 1, max(0, int((value - low) / width)))] += 1
    return counts


def braille_bars(counts: Sequence[int], height: int, dots_per_bin: int = 4) -> list[str]:
    """Bars of braille dots, each bin ``dots_per_bin`` dot columns wide (two per character) and
    as tall as its count against the highest (``height`` text rows, top row first). A bin that
    holds anything shows at least one dot."""
    dots = height * 4
    peak = max(counts, default=0)
    tall = []
    for count in counts:
        tall += [0 if not count else max(1, round(count / peak * dots))] * dots_per_bin
    if len(tall) % 2:
        tall.append(0)
    rows = []
    for row in range(height - 1, -1, -1):  # top first
        base = row * 4
        chars = []
        for left, right in zip(tall[0::2], tall[1::2]):
            bits = sum(LEFT_DOTS[: max(0, min(4, left - base))]) + sum(RIGHT_DOTS[: max(0, min(4, right - base))])
            chars.append(chr(0x2800 + bits))
        rows.append("".join(chars))
    return rows


def percentile(sorted_values: Sequence[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def histograms(after: Sequence[float], baseline: Sequence[float], width: int, height: int = HIST_HEIGHT) -> tuple[list[str], list[str], str]:
    """Two histograms on one x axis ``width`` characters wide (a bin per two characters): the
    returns ``after`` the alerts and the ``baseline`` returns, each scaled to its own peak (the
    shapes and where they sit compare; the counts differ by hundreds), and the axis line with
    the range and 0 marked. The range holds every alert return and the baseline's 1st .. 99th
    percentile (its tails pile up in the edge bins)."""
    bins = max(1, width // 2)
    base_sorted = sorted(baseline)
    lows = [min(after)] if after else []
    highs = [max(after)] if after else []
    if base_sorted:
        lows.append(percentile(base_sorted, 0.01))
        highs.append(percentile(base_sorted, 0.99))
    low, high = (min(lows), max(highs)) if lows else (-1.0, 1.0)
    if high <= low:
        low, high = low - 1.0, high + 1.0
    top = braille_bars(histogram_counts(after, low, high, bins), height)
    bottom = braille_bars(histogram_counts(baseline, low, high, bins), height)
    width = bins * 2
    axis = [" "] * width
    if low < 0 < high:
        axis[min(width - 1, int((0 - low) / (high - low) * width))] = "0"
    left, right = f"{low:+.1f}%", f"{high:+.1f}%"
    line = "".join(axis)
    if width > len(left) + len(right) + 1:
        line = left + line[len(left) : width - len(right)] + right
    return top, bottom, line


# --------------------------------------------------------------------------------------------
# The screen


class StudyProgress(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def _pct(value: float | None, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:+.{decimals}f}"


class StudyScreen(Screen[None]):
    """The study of ``symbol`` on the data ``load`` returns (called in the worker thread)."""

    DEFAULT_CSS = """
    StudyScreen { layout: vertical; }
    StudyScreen #study-title { text-style: bold; }
    StudyScreen #study-progress { color: $text-muted; }
    StudyScreen #study-table { height: 1fr; min-height: 4; }
    StudyScreen #study-histogram { height: auto; border-top: solid $primary-darken-2; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("left", "horizon(-1)", "Shorter h", priority=True),
        Binding("right", "horizon(1)", "Longer h", priority=True),
    ]

    def __init__(self, symbol: str, job: StudyJob, horizons: Sequence[int] = DEFAULT_HORIZONS) -> None:
        super().__init__()
        self.symbol = symbol
        self.job = job
        self.horizons = tuple(horizons)
        self.horizon = DEFAULT_HORIZON if DEFAULT_HORIZON in self.horizons else self.horizons[len(self.horizons) // 2]
        self.result: Study | None = None
        self.rows: list[StudyRow] = []
        self.worker: Worker | None = None
        self.started = 0.0

    def compose(self) -> ComposeResult:
        yield Static(f"Study · {self.symbol} · what each alert has been worth", id="study-title")
        yield Static("starting", id="study-progress")
        table: DataTable = DataTable(id="study-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="study-histogram")
        yield Footer()

    def on_mount(self) -> None:
        tables = self.query(DataTable)
        if not tables:  # the app quit as the screen opened: its children never came
            return
        table = tables.first()
        table.add_columns("rule", "dir", "count", *(f"{h}" for h in self.horizons))
        self.started = time.perf_counter()
        self.worker = self.run_worker(self._job, name="study", group="study", thread=True, exit_on_error=False)

    def _job(self) -> Study:
        """In the worker thread: load the data and run the study, posting progress."""
        return self.job(self.horizons, lambda text: self.post_message(StudyProgress(text)))

    def on_study_progress(self, message: StudyProgress) -> None:
        if self.result is None:
            self.query_one("#study-progress", Static).update(message.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.worker:
            return
        progress = self.query_one("#study-progress", Static)
        if event.state is WorkerState.SUCCESS:
            self.show(event.worker.result)
            elapsed = time.perf_counter() - self.started
            progress.update(f"{self.result.source} · done in {elapsed:.1f} s · ← → horizon, ↑ ↓ rule")
        elif event.state is WorkerState.ERROR:
            progress.update(Text(f"study failed: {event.worker.error}", style="bold red"))

    def show(self, result: Study) -> None:
        """Fill the table with ``symbol``'s rows of ``result``."""
        self.result = result
        self.rows = [row for row in result.rows if row.symbol == self.symbol]
        table = self.query_one(DataTable)
        table.clear()
        base = result.baselines.get(self.symbol)
        if base is None:
            self.query_one("#study-histogram", Static).update(f"{self.symbol}: not in the studied data")
            return
        span = result.ranges[self.symbol]
        table.add_row("baseline", "", f"{span.sessions:,}", *(_pct(base[h]["mean_pct"]) for h in self.horizons), key="baseline")
        for n, row in enumerate(self.rows):
            rule = " ".join(part for part in (row.rule, subject_text(row.subject)) if part)[:RULE_WIDTH]
            count = f"{row.count:,}" + (" few" if row.few else "")
            cells = []
            for h in self.horizons:
                stats = row.horizons[h]
                overlap = "~" if stats["n"] and stats["overlapping"] * 2 >= stats["n"] else ""
                cells.append(_pct(stats["mean_pct"], shown_decimals(row, stats, 1)) + overlap)
            table.add_row(rule, row.direction, count, *cells, key=str(n))
        if self.rows:
            table.move_cursor(row=1)
        self.draw_histogram()

    def selected_row(self) -> StudyRow | None:
        table = self.query_one(DataTable)
        index = table.cursor_row - 1  # row 0 is the baseline
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.draw_histogram()

    def on_resize(self) -> None:
        self.draw_histogram()

    def action_horizon(self, step: int) -> None:
        """Show the histogram at the next shorter (-1) or longer (+1) horizon."""
        index = self.horizons.index(self.horizon) + step
        self.horizon = self.horizons[max(0, min(len(self.horizons) - 1, index))]
        self.draw_histogram()

    def action_close(self) -> None:
        self.dismiss(None)

    def draw_histogram(self) -> None:
        """The histogram of the selected row at the selected horizon against the baseline."""
        panel = self.query_one("#study-histogram", Static)
        result, h = self.result, self.horizon
        if result is None or self.symbol not in result.ranges:
            panel.update(f"h = {h} sessions (← →): waiting for the study")
            return
        row = self.selected_row()
        base = result.baseline_returns(self.symbol, h)
        after = result.returns(row, h) if row else []
        width = max(20, self.size.width - 12)
        top, bottom, axis = histograms(after, base, width)
        text = Text()
        if row is None:
            text.append(f"{h} sessions after every session: select a rule (↑ ↓) to compare\n", style="bold")
        else:
            stats = row.horizons[h]
            text.append(f"{h} sessions after {row.rule} {row.direction} {subject_text(row.subject)}".rstrip(), style="bold")
            rate = "" if row.per_year is None else f" ({rate_text(row.per_year)} a year)"
            text.append(
                f"{rate}  n {stats['n']}  mean {_pct(stats['mean_pct'], 2)}  median {_pct(stats['median_pct'], 2)}"
                f"  pos {'-' if stats['positive_pct'] is None else format(stats['positive_pct'], '.0f')}%"
                f"  mae {_pct(stats['mae_median_pct'], 2)}  edge {_pct(stats['edge_pct'], 2)}\n"
            )
            if row.few:
                text.append(f"fewer than {FEW_ALERTS} alerts: too few to mean much\n", style="italic")
        label = "alerts" if row else ""
        for n, line in enumerate(top):
            text.append(f"{label if n == len(top) - 1 else '':>10}  ")
            text.append(line + "\n", style="bold green")
        for n, line in enumerate(bottom):
            text.append(f"{'baseline' if n == len(bottom) - 1 else '':>10}  ")
            text.append(line + "\n", style="dim")
        text.append(f"{'':>10}  {axis}")
        panel.update(text)
