"""All-time records of one symbol: the highest high, the lowest low and the highest close of the
loaded history, with their dates. Three numbers and three dates, however long the history
(the bars themselves are not kept).

``new_high``/``new_low`` say "all-time" when the price is beyond ``high``/``low`` (the committed
bars' records, so the forming session's own earlier prints do not count). The demo seeds the
records from before its shipped window (``shipped_records``, ``monitor/data/records.csv``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from monitor.bars import DailyBar

NAN = float("nan")


class Records:
    """Updated with every committed bar (``update``); NaN and None until the first one."""

    __slots__ = ("high", "high_day", "low", "low_day", "close", "close_day")

    def __init__(self) -> None:
        self.high = self.low = self.close = NAN
        self.high_day: date | None = None
        self.low_day: date | None = None
        self.close_day: date | None = None

    def update(self, bar: "DailyBar") -> None:
        """Fold a committed bar in (a tie keeps the earlier date: the record was set then)."""
        if not bar.high <= self.high:  # also when ``high`` is NaN
            self.high, self.high_day = bar.high, bar.day
        if not bar.low >= self.low:
            self.low, self.low_day = bar.low, bar.day
        if not bar.close <= self.close:
            self.close, self.close_day = bar.close, bar.day

    def seed(self, other: "Records") -> None:
        """Take ``other``'s records where they are beyond these (history from elsewhere)."""
        if not other.high <= self.high:
            self.high, self.high_day = other.high, other.high_day
        if not other.low >= self.low:
            self.low, self.low_day = other.low, other.low_day
        if not other.close <= self.close:
            self.close, self.close_day = other.close, other.close_day


def shipped_records() -> dict[str, Records]:
    """The records the demo data's symbols set before its first session (package data
    ``monitor/data/records.csv``: ``symbol,high,high_date,low,low_date,close,close_date``).
    ``csv`` and ``importlib.resources`` are imported here, not at the top: only the demo calls
    this, and a headless replay is timed as a whole process (``importlib.resources`` pulls in
    ``tempfile`` and ``random``: ~11 M instructions, 3 % of the replay's start-up)."""
    import csv
    from importlib import resources

    out: dict[str, Records] = {}
    text = resources.files("monitor").joinpath("data", "records.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        r = Records()
        r.high, r.high_day = float(row["high"]), date.fromisoformat(row["high_date"])
        r.low, r.low_day = float(row["low"]), date.fromisoformat(row["low_date"])
        r.close, r.close_day = float(row["close"]), date.fromisoformat(row["close_date"])
        out[row["symbol"]] = r
    return out
