"""``market-monitor study``: what each alert has been worth, measured on the engine that raises it.

The files are replayed by ``monitor.replay_run.run_headless_replay`` (the same config, the same
alerts in the same order as ``replay --headless``), which also hands over every committed daily
bar. Each alert is placed in its New York session; for every (symbol, rule, direction), and every
level or zone separately, the returns from the close of that session to the close h sessions
later are compared with the symbol's baseline: the same return from every session of the range.

Plain arithmetic, no annualising unless asked (``--annualised``), honest about sample size: a
row of fewer than ``FEW_ALERTS`` alerts is flagged ``few``, and ``overlapping`` counts the alerts
that came less than h sessions after the previous one (their windows share the same future).

Nothing heavy is imported: a study of the full histories is timed as a whole process.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from operator import truediv
from statistics import median
from typing import Any, TextIO

from monitor.bars import DailyBar, SessionDays
from monitor.config import Config, load_effective_config
from monitor.errors import UserError
from monitor.model import Alert
from monitor.text import clean_text

DEFAULT_HORIZONS = (5, 21, 63, 126, 252)
FEW_ALERTS = 10  # a row with fewer alerts is flagged: too few to mean much
SESSIONS_A_YEAR = 252  # only for --annualised
HORIZON_FIELDS = (
    "n", "mean_pct", "median_pct", "positive_pct", "mae_median_pct",
    "baseline_mean_pct", "baseline_positive_pct", "edge_pct", "overlapping",
)
ANNUALISED_FIELDS = ("annualised_mean_pct", "annualised_baseline_mean_pct")
SUBJECT_FIELDS = ("level", "low", "high", "label")  # what tells one level or zone from another


# --------------------------------------------------------------------------------------------
# Arguments


def parse_horizons(text: str | None) -> tuple[int, ...]:
    """``--horizons 5,21,63`` -> (5, 21, 63): whole numbers of sessions above 0, sorted, unique."""
    if text is None:
        return DEFAULT_HORIZONS
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise UserError(f"--horizons: expected whole numbers of sessions above 0 such as 5,21,63, got {text!r}")
    return tuple(sorted(set(values)))


def parse_day(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option}: expected a date such as 2026-01-02, got {text!r}") from None


# --------------------------------------------------------------------------------------------
# Replay


@dataclass
class Sessions:
    """One symbol's committed daily bars as the engine saw them, oldest first."""

    days: list[date] = field(default_factory=list)
    closes: list[float] = field(default_factory=list)
    lows: list[float] = field(default_factory=list)

    def index(self) -> dict[date, int]:
        return {day: i for i, day in enumerate(self.days)}


@dataclass
class Replayed:
    """What the replay produced: the alerts in ``replay --headless`` order and every symbol's bars."""

    alerts: list[Alert]
    sessions: dict[str, Sessions]


PROGRESS_EVERY = 1024  # bars between two progress reports


def replay_for_study(config: Config, series: Sequence, progress: Callable[[float], None] | None = None) -> Replayed:
    """Replay ``series`` through ``run_headless_replay``, keeping the alerts and the bars.
    ``progress`` is told now and then how far the data time has come (0 .. 1)."""
    from monitor.replay_run import run_headless_replay

    alerts: list[Alert] = []
    sessions: dict[str, Sessions] = {}
    first = min((s.rows[0][0] for s in series if s.rows), default=0.0)
    span = max((s.rows[-1][0] for s in series if s.rows), default=0.0) - first
    bars = 0

    def on_bar(symbol: str, bar: DailyBar) -> None:
        nonlocal bars
        s = sessions.get(symbol)
        if s is None:
            s = sessions[symbol] = Sessions()
        s.days.append(bar.day)
        s.closes.append(bar.close)
        s.lows.append(bar.low)
        bars += 1
        if progress is not None and not bars % PROGRESS_EVERY and span > 0:
            progress(min(1.0, (bar.close_time - first) / span))

    run_headless_replay(config, series, on_alert=alerts.append, on_bar=on_bar, err=io.StringIO())
    return Replayed(alerts, sessions)


# --------------------------------------------------------------------------------------------
# Statistics


@dataclass
class SymbolRange:
    """The studied sessions of one symbol: indices ``first`` .. ``last`` of its bars."""

    symbol: str
    first: int
    last: int
    start: date
    end: date

    @property
    def sessions(self) -> int:
        return self.last - self.first + 1

    @property
    def years(self) -> float:
        return (self.end - self.start).days / 365.25


@dataclass
class StudyRow:
    """One (symbol, rule, direction[, level or zone]): its alerts and, per horizon, the numbers
    named in ``HORIZON_FIELDS`` (None where no alert has that many later sessions)."""

    symbol: str
    rule: str
    direction: str
    subject: dict[str, Any]
    count: int
    per_year: float | None
    horizons: dict[int, dict[str, Any]]
    entries: list[int] = field(default_factory=list, repr=False)  # the alerts' session indices

    @property
    def few(self) -> bool:
        return self.count < FEW_ALERTS

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"symbol": self.symbol, "rule": self.rule, "direction": self.direction}
        data.update(self.subject)
        data.update(count=self.count, per_year=self.per_year, few=self.few)
        data["horizons"] = {str(h): stats for h, stats in self.horizons.items()}
        return data


@dataclass
class Study:
    rows: list[StudyRow]
    ranges: dict[str, SymbolRange]
    horizons: tuple[int, ...]
    baselines: dict[str, dict[int, dict[str, Any]]]  # symbol -> horizon -> n, mean_pct, positive_pct
    sessions: dict[str, Sessions] = field(default_factory=dict, repr=False)
    source: str = ""

    def returns(self, row: StudyRow, h: int) -> list[float]:
        """The h-session % returns after ``row``'s alerts (those with h later sessions)."""
        return forward_returns(row.entries, self.sessions[row.symbol], h)

    def baseline_returns(self, symbol: str, h: int) -> list[float]:
        """The h-session % returns from every session of ``symbol``'s range."""
        ratios = baseline_ratios(self.sessions[symbol], self.ranges[symbol], h)
        return [(r - 1.0) * 100.0 for r in ratios]


def subject_of(alert: Alert) -> dict[str, Any]:
    """The level or zone an alert is about (empty for rules without one), from its fields."""
    extra = alert.extra
    if "level" in extra or ("low" in extra and "high" in extra):
        return {name: extra[name] for name in SUBJECT_FIELDS if name in extra}
    return {}


def symbol_range(symbol: str, sessions: Sessions, start: date | None, end: date | None) -> SymbolRange | None:
    """The sessions of ``sessions`` on or after ``start`` and on or before ``end``; None if none."""
    from bisect import bisect_left, bisect_right

    days = sessions.days
    first = bisect_left(days, start) if start else 0
    last = (bisect_right(days, end) if end else len(days)) - 1
    if first > last:
        return None
    return SymbolRange(symbol, first, last, days[first], days[last])


def baseline_ratios(sessions: Sessions, span: SymbolRange, h: int) -> list[float]:
    """close[i+h] / close[i] for every session i of ``span`` that has h later sessions."""
    closes = sessions.closes
    stop = min(span.last, len(closes) - 1 - h) + 1  # entries first .. stop-1
    return list(map(truediv, closes[span.first + h : stop + h], closes[span.first : stop]))


def usable_entries(entries: list[int], sessions: Sessions, h: int) -> list[int]:
    """The entries (session indices) that have h later sessions."""
    count = len(sessions.closes)
    return [i for i in entries if i + h < count]


def forward_returns(entries: list[int], sessions: Sessions, h: int) -> list[float]:
    """% return from the close of each session in ``entries`` to the close h sessions later."""
    closes = sessions.closes
    return [(closes[i + h] / closes[i] - 1.0) * 100.0 for i in usable_entries(entries, sessions, h)]


def baseline(sessions: Sessions, span: SymbolRange, h: int) -> dict[str, Any]:
    """The h-session return from every session of ``span`` that has h later sessions."""
    ratios = baseline_ratios(sessions, span, h)
    n = len(ratios)
    if not n:
        return {"n": 0, "mean_pct": None, "positive_pct": None}
    return {
        "n": n,
        "mean_pct": (sum(ratios) / n - 1.0) * 100.0,
        "positive_pct": sum(1 for r in ratios if r > 1.0) * 100.0 / n,
    }


def horizon_stats(entries: list[int], sessions: Sessions, h: int, base: dict[str, Any], annualised: bool) -> dict[str, Any]:
    """The numbers of ``HORIZON_FIELDS`` for alerts at session indices ``entries`` (sorted)."""
    closes, lows = sessions.closes, sessions.lows
    usable = usable_entries(entries, sessions, h)
    n = len(usable)
    stats: dict[str, Any] = dict.fromkeys(HORIZON_FIELDS)
    stats.update(n=n, baseline_mean_pct=base["mean_pct"], baseline_positive_pct=base["positive_pct"])
    stats["overlapping"] = sum(1 for a, b in zip(usable, usable[1:]) if b - a < h)
    if n:
        returns = forward_returns(usable, sessions, h)
        excursions = [(min(lows[i + 1 : i + h + 1]) / closes[i] - 1.0) * 100.0 for i in usable]
        mean = sum(returns) / n
        stats.update(
            mean_pct=mean,
            median_pct=median(returns),
            positive_pct=sum(1 for r in returns if r > 0.0) * 100.0 / n,
            mae_median_pct=median(excursions),
            edge_pct=None if base["mean_pct"] is None else mean - base["mean_pct"],
        )
    if annualised:
        stats["annualised_mean_pct"] = _annualise(stats["mean_pct"], h)
        stats["annualised_baseline_mean_pct"] = _annualise(base["mean_pct"], h)
    return stats


def _annualise(pct: float | None, h: int) -> float | None:
    """An h-session mean return compounded over ``SESSIONS_A_YEAR`` sessions."""
    if pct is None or pct <= -100.0:
        return None
    return ((1.0 + pct / 100.0) ** (SESSIONS_A_YEAR / h) - 1.0) * 100.0


def study(
    replayed: Replayed,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    start: date | None = None,
    end: date | None = None,
    *,
    symbols: Sequence[str] = (),
    annualised: bool = False,
) -> Study:
    """Group the alerts of sessions in ``start`` .. ``end`` and measure what followed them.

    Rows come per symbol (``symbols`` first, in that order, then the others as their bars came),
    then by rule, direction (up first) and level or zone."""
    horizons = tuple(horizons)
    order = list(dict.fromkeys([*symbols, *replayed.sessions]))
    ranges: dict[str, SymbolRange] = {}
    indices: dict[str, dict[date, int]] = {}
    for symbol in order:
        sessions = replayed.sessions.get(symbol)
        span = symbol_range(symbol, sessions, start, end) if sessions else None
        if span is not None:
            ranges[symbol] = span
            indices[symbol] = sessions.index()  # type: ignore[union-attr]
    days = SessionDays()
    groups: dict[tuple, list[int]] = {}
    subjects: dict[tuple, dict[str, Any]] = {}
    for alert in replayed.alerts:
        span = ranges.get(alert.symbol)
        if span is None:
            continue
        i = indices[alert.symbol].get(days.lookup(alert.time)[0])
        if i is None or not span.first <= i <= span.last:
            continue
        subject = subject_of(alert)
        key = (alert.symbol, alert.rule, alert.direction, tuple(sorted(subject.items())))
        groups.setdefault(key, []).append(i)
        subjects.setdefault(key, subject)
    baselines = {
        symbol: {h: baseline(replayed.sessions[symbol], span, h) for h in horizons} for symbol, span in ranges.items()
    }
    position = {symbol: n for n, symbol in enumerate(ranges)}
    rows = []
    for key in sorted(groups, key=lambda k: (position[k[0]], k[1], k[2] != "up", _subject_order(subjects[k]))):
        symbol, rule, direction, _ = key
        entries = sorted(groups[key])
        span = ranges[symbol]
        years = span.years
        rows.append(
            StudyRow(
                symbol, rule, direction, subjects[key], len(entries),
                len(entries) / years if years > 0 else None,
                {h: horizon_stats(entries, replayed.sessions[symbol], h, baselines[symbol][h], annualised) for h in horizons},
                entries,
            )
        )
    return Study(rows, ranges, horizons, baselines, replayed.sessions)


def _subject_order(subject: dict[str, Any]) -> tuple:
    return tuple(float(subject.get(name) or 0.0) for name in ("level", "low", "high"))


# --------------------------------------------------------------------------------------------
# Output


def subject_text(subject: dict[str, Any]) -> str:
    """'2,500 support' for a level, '2,580-2,600 resistance' for a zone, '' otherwise."""
    from monitor.alerts import fmt_level

    if "level" in subject:
        where = fmt_level(float(subject["level"]))
    elif "low" in subject:
        where = f"{fmt_level(float(subject['low']))}-{fmt_level(float(subject['high']))}"
    else:
        return ""
    label = subject.get("label") or ""
    return f"{where} {label}".strip()


def rate_text(per_year: float) -> str:
    """Alerts a year, short: 24, 4.1, 0.73, 0.08."""
    return f"{per_year:.0f}" if per_year >= 10 else f"{per_year:.2g}" if per_year >= 0.1 else f"{per_year:.2f}"


def _pct(value: float | None, decimals: int, sign: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"


def shown_decimals(row: StudyRow, stats: dict[str, Any], decimals: int) -> int:
    """Whole percents (0 decimals) where fewer than ``FEW_ALERTS`` alerts stand behind the number:
    the whole row, or this horizon (``n``: the alerts with h later sessions)."""
    return 0 if row.few or stats["n"] < FEW_ALERTS else decimals


def _overlap_mark(stats: dict[str, Any]) -> str:
    """'~' when at least half of the windows overlap the previous alert's."""
    return "~" if stats["n"] and stats["overlapping"] * 2 >= stats["n"] else ""


def format_table(result: Study, wide: bool = False) -> str:
    """The table printed on stdout: 80 columns (three lines per row), or one line per row."""
    lines = [result.source] if result.source else []
    for symbol, span in result.ranges.items():
        rows = [row for row in result.rows if row.symbol == symbol]
        lines.append("")
        lines.append(
            f"{symbol}: {span.start} .. {span.end}, {span.sessions:,} sessions ({span.years:.1f} years), "
            f"{sum(row.count for row in rows):,} alerts"
        )
        lines += (_wide_block if wide else _narrow_block)(result, symbol, rows)
    lines.append("")
    lines += _notes(result, wide)
    return "\n".join(lines) + "\n"


LABEL, COUNT, MEASURE, CELL = 28, 7, 8, 7


def _narrow_block(result: Study, symbol: str, rows: list[StudyRow]) -> list[str]:
    horizons = result.horizons
    base = result.baselines[symbol]
    head = f"{'% from the close, h sessions later':<{LABEL + COUNT}}{'h =':>{MEASURE}}"
    out = [head + "".join(f"{h:>{CELL}}" for h in horizons)]

    def line(label: str, count: str, measure: str, cells: Iterable[str]) -> str:
        return f"{label[:LABEL]:<{LABEL}}{count:>{COUNT}}{measure:>{MEASURE}}" + "".join(f"{c:>{CELL}}" for c in cells)

    sessions = result.ranges[symbol].sessions
    out.append(line("baseline: every session", f"{sessions:,}", "mean", (_pct(base[h]["mean_pct"], 1) for h in horizons)))
    out.append(line("", "", "pos %", (_pct(base[h]["positive_pct"], 0, False) for h in horizons)))
    if rows and ANNUALISED_FIELDS[0] in rows[0].horizons[horizons[0]]:
        annualised = (_pct(rows[0].horizons[h]["annualised_baseline_mean_pct"], 1) for h in horizons)
        out.append(line("", "", "ann.", annualised))
    for row in rows:
        stats = row.horizons
        decimals = {h: shown_decimals(row, stats[h], 1) for h in horizons}
        rate = "" if row.per_year is None else f"{rate_text(row.per_year)}/yr"
        second = ", ".join(part for part in (subject_text(row.subject), rate) if part)
        out.append(line(f"{row.rule} {row.direction}", f"{row.count:,}", "mean",
                        (_pct(stats[h]["mean_pct"], decimals[h]) + _overlap_mark(stats[h]) for h in horizons)))
        out.append(line(f"  {second}", "", "edge", (_pct(stats[h]["edge_pct"], decimals[h]) for h in horizons)))
        out.append(line("  few alerts" if row.few else "", "", "pos %", (_pct(stats[h]["positive_pct"], 0, False) for h in horizons)))
        if ANNUALISED_FIELDS[0] in stats[horizons[0]]:
            out.append(line("", "", "ann.", (_pct(stats[h]["annualised_mean_pct"], decimals[h]) for h in horizons)))
    return out


WIDE_LABEL = 40
# (heading, field, decimals; None: a count) of each wide column, per horizon
WIDE_COLUMNS = (("n", "n", None), ("mean", "mean_pct", 2), ("med", "median_pct", 2), ("pos%", "positive_pct", 0),
                ("mae", "mae_median_pct", 2), ("edge", "edge_pct", 2))
WIDE_ANNUALISED = (("ann", "annualised_mean_pct", 2),)
BASELINE_OF = {"n": "n", "mean_pct": "mean_pct", "positive_pct": "positive_pct", "annualised_mean_pct": "annualised_baseline_mean_pct"}


def _wide_block(result: Study, symbol: str, rows: list[StudyRow]) -> list[str]:
    horizons = result.horizons
    annualised = bool(rows) and ANNUALISED_FIELDS[0] in rows[0].horizons[horizons[0]]
    columns = WIDE_COLUMNS + (WIDE_ANNUALISED if annualised else ())
    group = len(columns) * CELL
    out = [f"{'':<{WIDE_LABEL + 2 * COUNT}}" + "".join(f"{f'── {h} sessions ──':>{group}}" for h in horizons)]
    out.append(f"{'rule':<{WIDE_LABEL}}{'count':>{COUNT}}{'/yr':>{COUNT}}"
               + "".join(f"{heading:>{CELL}}" for _ in horizons for heading, _, _ in columns))

    def cell(stats: dict[str, Any], name: str, decimals: int | None, mark: str = "") -> str:
        value = stats.get(name)
        if decimals is None:
            return "" if value is None else f"{value:,}" + mark
        return _pct(value, decimals, sign=name != "positive_pct") if name in stats else ""

    cells = []
    for h in horizons:
        b = dict(result.baselines[symbol][h])
        if annualised:
            b["annualised_mean_pct"] = rows[0].horizons[h]["annualised_baseline_mean_pct"]
        cells += [cell(b, name, decimals) if name in BASELINE_OF else "" for _, name, decimals in columns]
    sessions = result.ranges[symbol].sessions
    out.append(f"{'baseline: every session':<{WIDE_LABEL}}{sessions:>{COUNT},}{'':>{COUNT}}" + "".join(f"{c:>{CELL}}" for c in cells))
    for row in rows:
        label = " ".join(part for part in (row.rule, row.direction, subject_text(row.subject)) if part)
        rate = "-" if row.per_year is None else rate_text(row.per_year)
        cells = []
        for h in horizons:
            s = row.horizons[h]
            cells += [cell(s, name, decimals and shown_decimals(row, s, decimals), _overlap_mark(s)) for _, name, decimals in columns]
        count = f"{row.count:,}" + ("*" if row.few else "")
        out.append(f"{label[:WIDE_LABEL]:<{WIDE_LABEL}}{count:>{COUNT}}{rate:>{COUNT}}" + "".join(f"{c:>{CELL}}" for c in cells))
    return out


def _notes(result: Study, wide: bool) -> list[str]:
    notes = [
        "Returns: the symbol's, in %, from the close of the alert's session to the close",
        "h sessions later. baseline: the same from every session of the range.",
        "edge = mean - baseline mean. pos %: the share of returns above 0.",
    ]
    if any(ANNUALISED_FIELDS[0] in s for row in result.rows for s in row.horizons.values()):
        notes.append(f"ann.: the mean compounded over {SESSIONS_A_YEAR} sessions; nothing else is annualised.")
    else:
        notes.append("Nothing is annualised (--annualised adds the means compounded to a year).")
    if wide:
        notes.append("mae: median of the lowest low within the h sessions vs the entry close.")
        notes.append("n: the alerts with h later sessions in the data.")
    if any(row.few for row in result.rows):
        notes.append(f"{'*' if wide else 'few alerts'}: fewer than {FEW_ALERTS}: too few to mean much (whole percents only).")
    if any(not row.few and 0 < s["n"] < FEW_ALERTS for row in result.rows for s in row.horizons.values()):
        notes.append(f"Whole percents also where fewer than {FEW_ALERTS} of a row's alerts have h later sessions.")
    if any(_overlap_mark(s) for row in result.rows for s in row.horizons.values()):
        notes.append("~: at least half of these alerts came less than h sessions after the previous")
        notes.append("   one: their windows overlap and share one future (not independent samples).")
    return notes


def write_json(result: Study, out: TextIO) -> None:
    """One JSON object per row and line."""
    for row in result.rows:
        out.write(json.dumps(row.to_dict(), separators=(",", ":")) + "\n")


CSV_COLUMNS = ("symbol", "rule", "direction", "level", "low", "high", "label", "count", "per_year", "few", "horizon")


def write_csv(result: Study, out: TextIO, annualised: bool = False) -> None:
    """Flat: one line per row and horizon."""
    import csv

    fields = HORIZON_FIELDS + (ANNUALISED_FIELDS if annualised else ())
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + fields)
    for row in result.rows:
        head = [row.symbol, row.rule, row.direction] + [row.subject.get(name, "") for name in ("level", "low", "high", "label")]
        head += [row.count, "" if row.per_year is None else repr(row.per_year), str(row.few).lower()]
        for h, stats in row.horizons.items():
            writer.writerow(head + [h] + ["" if stats[name] is None else stats[name] for name in fields])


# --------------------------------------------------------------------------------------------
# Data and the command


def describe_series(series: Sequence) -> str:
    return ", ".join(f"{s.symbol} from {s.path.name}" for s in series)


STUDY_LOAD_TIMEOUT = 120.0  # a first start fetches whole histories; nothing live waits meanwhile


def default_series(config: Config, mode: str | None = None, **seams) -> tuple[list, Config, str]:
    """No files: the whole cached daily history of the configured symbols (fetched or topped up
    by the backfill unless ``mode``, default ``MARKET_MONITOR_BACKFILL``, says "cache" or "off"),
    else the shipped demo data on the demo's symbols. Returns the series, the config to replay
    with and a sentence saying which. ``seams``: the ``Backfill``'s (tests: session, fetch, clock)."""
    import os

    from monitor.feeds.backfill import Backfill

    mode = (mode or os.environ.get("MARKET_MONITOR_BACKFILL", "on")).strip().lower()
    series, problems = [], []
    if mode != "off":
        backfill = Backfill(config.symbols, offline=mode == "cache", daily_sessions=None, timeout=STUDY_LOAD_TIMEOUT, **seams)
        result = backfill.load()
        series = [s for s in result.series if s.kind == "daily"]
        problems = result.problems
    if series:
        return series, config, f"data: the cached history of {describe_series(series)}"
    from monitor.series import DEMO_FILES, demo_series

    series = demo_series()
    why = "; ".join([*problems, "no cached history of " + ", ".join(config.symbols)])
    config = replace(config, symbols=tuple(symbol for symbol, _ in DEMO_FILES))
    return series, config, f"data: the shipped demo data ({describe_series(series)}): {clean_text(why, 400)}"


def run_study(
    config: Config,
    series: Sequence,
    *,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    start: date | None = None,
    end: date | None = None,
    annualised: bool = False,
    source: str = "",
    progress: Callable[[str], None] | None = None,
) -> Study:
    """Replay ``series`` and study the alerts: the whole job, for the CLI and the app's worker.
    ``progress`` is told what is being done, in words ("replaying ...: 40 %")."""
    told = None
    if progress is not None:
        what = f"replaying {describe_series(series)}"
        progress(what)

        def told(fraction: float) -> None:
            progress(f"{what}: {fraction * 100:.0f} %")

    replayed = replay_for_study(config, series, told)
    if progress is not None:
        progress(f"measuring {len(replayed.alerts):,} alerts")
    result = study(replayed, horizons, start, end, symbols=config.symbols, annualised=annualised)
    result.source = source or f"data: {describe_series(series)}"
    return result


def run_study_command(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from monitor.series import gc_paused, load_all

    out = out or sys.stdout
    err = err or sys.stderr
    horizons = parse_horizons(args.horizons)
    start, end = parse_day("--from", args.start), parse_day("--to", args.end)
    if start and end and start > end:
        raise UserError(f"--from {start} is after --to {end}")
    config = load_effective_config(args.config)
    if args.files:
        with gc_paused():
            series = load_all(args.files)
        source = f"data: {describe_series(series)}"
    else:
        series, config, source = default_series(config)
    result = run_study(config, series, horizons=horizons, start=start, end=end, annualised=args.annualised, source=source)
    if not result.ranges:
        raise UserError(f"no sessions between {start or 'the start'} and {end or 'the end'} of the data", exit_code=1)
    if args.json or args.csv:
        err.write(source + "\n")
        write_json(result, out) if args.json else write_csv(result, out, args.annualised)
    else:
        out.write(format_table(result, wide=args.wide))
    return 0
