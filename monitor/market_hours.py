"""NYSE session times from exchange-calendars (XNYS), cheap enough for the replay hot path.

``session_close(day)`` is called for every committed daily bar. Building the XNYS calendar costs
about a second (pandas plus the calendar itself), so the few dates whose close is not 16:00 New
York time (early closes) are computed once with exchange-calendars and kept in the cache dir,
keyed by the exchange-calendars version; every other session closes at 16:00.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from monitor.model import NEW_YORK

REGULAR_OPEN = time(9, 30)
REGULAR_CLOSE = time(16, 0)
CALENDAR_START = "1885-01-01"
YEARS_AHEAD = 2

_lock = threading.Lock()
_early: dict[date, float] | None = None
_early_until: date | None = None


def ny_epoch(day: date, at: time) -> float:
    """Epoch seconds of ``at`` New York time on ``day``."""
    return datetime.combine(day, at, NEW_YORK).timestamp()


def build_calendar(end: date | None = None):
    """The XNYS calendar from 1885 to ``end`` (default: two years from today)."""
    import exchange_calendars

    end = end or date.today() + timedelta(days=365 * YEARS_AHEAD)
    return exchange_calendars.get_calendar("XNYS", start=CALENDAR_START, end=end.isoformat())


def _calendar_version() -> str:
    try:
        return version("exchange-calendars")
    except PackageNotFoundError:  # pragma: no cover - it is a declared dependency
        return "unknown"


def _cache_file():
    from monitor.paths import cache_dir

    return cache_dir() / f"xnys-early-closes-{_calendar_version()}.json"


def _compute_early_closes() -> tuple[dict[date, float], date]:
    calendar = build_calendar()
    closes = calendar.closes
    early = {}
    for session in calendar.early_closes:
        stamp = closes.loc[session]
        early[session.date()] = stamp.timestamp()
    return early, calendar.last_session.date()


def _load_early_closes(needed: date) -> dict[date, float]:
    global _early, _early_until
    with _lock:
        if _early is not None and _early_until is not None and needed <= _early_until:
            return _early
        path = _cache_file()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            until = date.fromisoformat(data["until"])
            if needed <= until:
                _early = {date.fromisoformat(k): float(v) for k, v in data["early_closes"].items()}
                _early_until = until
                return _early
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing, corrupt or too short: rebuild below
        early, until = _compute_early_closes()
        _early, _early_until = early, until
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(
                json.dumps({"until": until.isoformat(), "early_closes": {k.isoformat(): v for k, v in early.items()}}),
                encoding="utf-8",
            )
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache dir only costs speed
        return early


@lru_cache(maxsize=4096)
def session_close(day: date) -> float:
    """Epoch seconds of the close of the NYSE session on ``day`` (early closes included)."""
    early = _load_early_closes(day)
    if day in early:
        return early[day]
    return ny_epoch(day, REGULAR_CLOSE)
