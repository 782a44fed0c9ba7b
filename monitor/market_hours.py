"""NYSE session times from exchange-calendars (XNYS), cheap enough for the replay hot path, and
the market clock that the live feeds follow (phases, next open and next close).

Building the XNYS calendar costs about a second (pandas plus the calendar itself), so the few
facts the monitor needs (early closes and weekday holidays) are computed once with
exchange-calendars and kept in the cache dir, keyed by the exchange-calendars version. Every
other weekday is a session from 09:30 to 16:00 New York time.

``session_close(day)`` is called for every committed daily bar; a date beyond the calendar's
end rebuilds the table at most once per process and then counts as a regular session.
"""

from __future__ import annotations

import _thread
import json
import warnings
import time as _time
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from enum import Enum
from functools import lru_cache

from monitor.model import NEW_YORK
from monitor.settings import Frozen

REGULAR_OPEN = time(9, 30)
REGULAR_CLOSE = time(16, 0)
PRE_OPEN = time(4, 0)
POST_CLOSE = time(20, 0)
EARLY_POST_CLOSE = time(17, 0)  # extended hours end earlier on half days
CALENDAR_START = "1885-01-01"
HOLIDAYS_FROM = date(2000, 1, 1)  # the market clock only looks at recent and future days
YEARS_AHEAD = 2
_CACHE_FORMAT = 2


class _Table(Frozen):
    """What the monitor needs from the calendar: early closes, weekday holidays, coverage."""

    early: dict[date, float]
    holidays: dict[date, str]
    until: date


_lock = _thread.allocate_lock()  # threading.Lock itself; importing threading cost ~4 M instructions
_table: _Table | None = None
_rebuilt_in_process = False


def ny_epoch(day: date, at: time) -> float:
    """Epoch seconds of ``at`` New York time on ``day``."""
    return datetime.combine(day, at, NEW_YORK).timestamp()


def build_calendar(end: date | None = None):
    """The XNYS calendar from 1885 to ``end`` (default: two years from today)."""
    import exchange_calendars

    end = end or date.today() + timedelta(days=365 * YEARS_AHEAD)
    return exchange_calendars.get_calendar("XNYS", start=CALENDAR_START, end=end.isoformat())


def _calendar_version() -> str:
    """exchange-calendars' version, which names the cache file. Read from the name of its
    ``.dist-info`` folder beside the package when there is one: importing ``importlib.metadata``
    costs ~15 ms, a tenth of a short replay's whole process, and this runs in every one."""
    import os
    from importlib.util import find_spec

    spec = find_spec("exchange_calendars")  # finds the package without importing it
    if spec is not None and spec.origin:
        prefix, suffix = "exchange_calendars-", ".dist-info"
        with os.scandir(os.path.dirname(os.path.dirname(spec.origin))) as entries:
            for entry in entries:
                if entry.name.startswith(prefix) and entry.name.endswith(suffix):
                    return entry.name[len(prefix) : -len(suffix)]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("exchange-calendars")
    except PackageNotFoundError:  # pragma: no cover - it is a declared dependency
        return "unknown"


def _cache_file():
    from monitor.paths import cache_dir

    return cache_dir() / f"xnys-early-closes-{_calendar_version()}.json"


def _compute_table() -> _Table:
    with warnings.catch_warnings():  # exchange-calendars trips pandas deprecation warnings
        warnings.simplefilter("ignore")
        calendar = build_calendar()
    closes = calendar.closes
    early = {session.date(): closes.loc[session].timestamp() for session in calendar.early_closes}
    names = {}
    for stamp, name in calendar.regular_holidays.holidays(
        HOLIDAYS_FROM.isoformat(), calendar.last_session, return_name=True
    ).items():
        names[stamp.date()] = str(name)
    sessions = {stamp.date() for stamp in calendar.sessions if stamp.date() >= HOLIDAYS_FROM}
    last = calendar.last_session.date()
    holidays = {}
    day = HOLIDAYS_FROM
    while day <= last:
        if day.weekday() < 5 and day not in sessions:
            holidays[day] = names.get(day, "market holiday")
        day += timedelta(days=1)
    return _Table(early, holidays, last)


def _compute_table_apart() -> _Table:
    """``_compute_table`` in a child process: the pandas that exchange-calendars loads would
    stay resident for the rest of a live run. In this process if no child can run."""
    from monitor.isolate import ChildFailed, run_isolated

    try:
        return run_isolated(_compute_table)
    except ChildFailed:
        return _compute_table()


def _read_cache(path) -> _Table:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != _CACHE_FORMAT:
        raise ValueError("old cache format")
    return _Table(
        early={date.fromisoformat(k): float(v) for k, v in data["early_closes"].items()},
        holidays={date.fromisoformat(k): str(v) for k, v in data["holidays"].items()},
        until=date.fromisoformat(data["until"]),
    )


def _write_cache(path, table: _Table) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "format": _CACHE_FORMAT,
                    "until": table.until.isoformat(),
                    "early_closes": {k.isoformat(): v for k, v in table.early.items()},
                    "holidays": {k.isoformat(): v for k, v in table.holidays.items()},
                }
            ),
            encoding="utf-8",
        )
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache dir only costs speed


def _load_table(needed: date) -> _Table:
    """The calendar table covering ``needed`` if any can: memory, then disk, then one rebuild.

    A date beyond what a fresh rebuild covers does not rebuild again in this process (the
    caller treats it as a regular weekday session)."""
    global _table, _rebuilt_in_process
    with _lock:
        if _table is not None and (needed <= _table.until or _rebuilt_in_process):
            return _table
        path = _cache_file()
        try:
            table = _read_cache(path)
            if needed <= table.until or _table is None:
                _table = table
            if needed <= table.until:
                return table
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # missing, corrupt, old or too short: rebuild below
        _table = _compute_table_apart()
        _rebuilt_in_process = True
        _write_cache(path, _table)
        return _table


def _reset_for_tests() -> None:
    """Forget the in-memory table (tests that count rebuilds)."""
    global _table, _rebuilt_in_process
    with _lock:
        _table = None
        _rebuilt_in_process = False
    session_close.cache_clear()


@lru_cache(maxsize=4096)
def session_close(day: date) -> float:
    """Epoch seconds of the close of the NYSE session on ``day`` (early closes included)."""
    early = _load_table(day).early
    if day in early:
        return early[day]
    return ny_epoch(day, REGULAR_CLOSE)


# --------------------------------------------------------------------------------------------
# The market clock


class Phase(str, Enum):
    """Where the US cash market stands at a moment."""

    PRE = "pre"  # 04:00 to the open, on a session day
    OPEN = "open"  # regular hours
    POST = "post"  # close to 20:00 (17:00 after an early close)
    CLOSED = "closed"  # nights and weekends
    HOLIDAY = "holiday"  # a weekday without a session


class MarketStatus(Frozen):
    """The market at one moment. ``early_close`` is true on a half day (13:00 close)."""

    phase: Phase
    now: float
    day: date  # New York date of ``now``
    next_open: float
    next_close: float
    early_close: bool = False
    holiday: str = ""  # the holiday's name on a holiday

    @property
    def is_open(self) -> bool:
        return self.phase is Phase.OPEN

    def describe(self) -> str:
        """One line for a status bar: "open (early close 13:00)", "closed, opens Mon 09:30"."""
        if self.phase is Phase.OPEN:
            text = "market open"
            if self.early_close:
                text += f" (early close {_hhmm(self.next_close)})"
            return text
        opens = datetime.fromtimestamp(self.next_open, NEW_YORK)
        when = opens.strftime("%H:%M") if opens.date() == self.day else opens.strftime("%a %H:%M")
        label = {Phase.PRE: "pre-market", Phase.POST: "post-market", Phase.CLOSED: "market closed"}
        text = label.get(self.phase, f"holiday: {self.holiday}")
        return f"{text}, opens {when} ET"


def _hhmm(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, NEW_YORK).strftime("%H:%M")


class MarketClock:
    """NYSE phases at the time given by ``clock`` (epoch seconds; inject a fixed one in tests)."""

    def __init__(self, clock: Callable[[], float] = _time.time) -> None:
        self.clock = clock

    def is_session(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _load_table(day).holidays

    def session_open(self, day: date) -> float:
        return ny_epoch(day, REGULAR_OPEN)

    def next_session(self, day: date) -> date:
        """The first session on or after ``day``."""
        while not self.is_session(day):
            day += timedelta(days=1)
        return day

    def last_closed_session(self, now: float) -> date:
        """The most recent session whose close has passed at ``now`` (Friday's on a Monday
        morning, Friday's on the Tuesday morning after a Monday holiday)."""
        day = datetime.fromtimestamp(now, NEW_YORK).date()
        while not (self.is_session(day) and session_close(day) <= now):
            day -= timedelta(days=1)
        return day

    def status(self, now: float | None = None) -> MarketStatus:
        now = self.clock() if now is None else now
        day = datetime.fromtimestamp(now, NEW_YORK).date()
        if self.is_session(day):
            opens, closes = self.session_open(day), session_close(day)
            early = closes < ny_epoch(day, REGULAR_CLOSE)
            if now < closes:
                next_open = opens if now < opens else self.session_open(self.next_session(day + timedelta(days=1)))
                phase = Phase.OPEN if now >= opens else (Phase.PRE if now >= ny_epoch(day, PRE_OPEN) else Phase.CLOSED)
                return MarketStatus(phase, now, day, next_open, closes, early)
            post_end = ny_epoch(day, EARLY_POST_CLOSE if early else POST_CLOSE)
            phase = Phase.POST if now < post_end else Phase.CLOSED
        else:
            phase = Phase.HOLIDAY if day.weekday() < 5 else Phase.CLOSED
        following = self.next_session(day + timedelta(days=1))
        holiday = _load_table(day).holidays.get(day, "") if phase is Phase.HOLIDAY else ""
        return MarketStatus(
            phase,
            now,
            day,
            self.session_open(following),
            session_close(following),
            holiday=holiday,
        )

    def is_open(self, now: float | None = None) -> bool:
        return self.status(now).is_open
