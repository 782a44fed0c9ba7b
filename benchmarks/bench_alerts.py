"""Alert noise: alerts per symbol per month, by rule, before and after issue 9's rules.

Replays daily history with the default config as ``market-monitor replay --headless`` twice, in
this one run: with the code of ``--before`` (default: main just before the rules of "When alerts
fire" took their present form; extracted with ``git archive`` into a temporary folder) and with
this checkout's code. Both run as child processes from a neutral folder with an empty config
file, so only the code differs. Alerts are counted over the last ``--months`` months of the data
(all warm-ups done when the data is long enough) and divided by that span.

    python benchmarks/bench_alerts.py                         # the shipped demo data (monitor/data)
    python benchmarks/bench_alerts.py --data ../shared/data/daily --months 18
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BEFORE = "8407f1d34327d25f92f694807a238516222445c5"  # main before issue 9's rules landed
SYMBOLS = ("^RUT", "^GSPC", "^NDX")
FILE_NAMES = {  # symbol -> file name in the shipped data, in ../shared/data/daily
    "^RUT": ("rut.csv", "rut_daily.csv"),
    "^GSPC": ("spx.csv", "spx_daily.csv"),
    "^NDX": ("ndx.csv", "ndx_daily.csv"),
}
RULE_ORDER = (
    "level_cross", "new_high", "new_low", "ma_cross", "rsi_overbought", "rsi_oversold",
    "rsi_macd_divergence", "relative_divergence",
)
DAYS_PER_MONTH = 365.25 / 12


def data_files(folder: Path) -> dict[str, Path]:
    out = {}
    for symbol, names in FILE_NAMES.items():
        found = [folder / name for name in names if (folder / name).is_file()]
        if not found:
            sys.exit(f"{folder}: no {' or '.join(names)}")
        out[symbol] = found[0]
    return out


def old_tree(rev: str, into: Path) -> Path:
    """The ``monitor`` package of ``rev``, unpacked under ``into``."""
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "monitor"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.decode(errors="replace").strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
        sys.exit(f"cannot read revision {rev} with git ({detail}); pass --before REV of this repository")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def replay(code: Path, files: dict[str, Path], workdir: Path) -> list[dict]:
    """The alerts of ``market-monitor replay --headless`` run with the package in ``code``."""
    config = workdir / "empty.toml"
    config.write_text("")
    env = dict(os.environ, PYTHONPATH=str(code))
    args = [sys.executable, "-m", "monitor", "replay", "--headless", "--config", str(config)]
    args += [f"{symbol}={path.resolve()}" for symbol, path in files.items()]
    done = subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"replay with {code} failed: {done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def last_date(files: dict[str, Path]) -> date:
    return max(date.fromisoformat(path.read_text().rstrip().rsplit("\n", 1)[-1].split(",", 1)[0]) for path in files.values())


def counts(alerts: list[dict], start: date) -> Counter:
    """(rule, symbol) -> alerts on or after ``start``."""
    return Counter((a["rule"], a["symbol"]) for a in alerts if date.fromisoformat(a["time"][:10]) >= start)


def table(before: Counter, after: Counter, months: float) -> list[str]:
    rules = [r for r in RULE_ORDER if any((r, s) in before or (r, s) in after for s in SYMBOLS)]
    rules += sorted({r for r, _ in before | after} - set(rules))
    head = f"{'per symbol per month':<21}" + "".join(f"{s:>13}" for s in SYMBOLS) + f"{'mean':>13}"
    lines = [head, f"{'':<21}" + f"{'before after':>13}" * (len(SYMBOLS) + 1)]

    def cells(get) -> str:
        values = [(get(before, s) / months, get(after, s) / months) for s in SYMBOLS]
        values.append((sum(b for b, _ in values) / len(SYMBOLS), sum(a for _, a in values) / len(SYMBOLS)))
        return "".join(f"{b:>7.2f}{a:>6.2f}" for b, a in values)

    for rule in rules:
        lines.append(f"{rule:<21}" + cells(lambda c, s: c[rule, s]))
    lines.append(f"{'all rules':<21}" + cells(lambda c, s: sum(n for (_, sym), n in c.items() if sym == s)))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "monitor" / "data", help="folder with the three daily files")
    parser.add_argument("--months", type=float, default=None, help="count the last N months (default: all the data)")
    parser.add_argument("--before", default=BEFORE, help="git revision whose rules are 'before'")
    args = parser.parse_args()
    files = data_files(args.data)
    end = last_date(files)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        old = replay(old_tree(args.before, work / "before"), files, work)
        new = replay(REPO, files, work)
    if args.months:
        start = end - timedelta(days=round(args.months * DAYS_PER_MONTH))
    else:
        start = min(date.fromisoformat(path.read_text().split("\n", 2)[1].split(",", 1)[0]) for path in files.values())
    months = ((end - start).days + 1) / DAYS_PER_MONTH
    print(f"alerts of the default config, {', '.join(f'{s} {p.name}' for s, p in files.items())}")
    print(f"counted {start} .. {end} ({months:.1f} months); before = {args.before[:12]}, after = this checkout")
    print(f"all alerts of the replay: before {len(old):,}, after {len(new):,}")
    print()
    for line in table(counts(old, start), counts(new, start), months):
        print(line)
    b, a = sum(counts(old, start).values()), sum(counts(new, start).values())
    print(f"\nafter/before: {a / b:.2f} ({b:,} -> {a:,} alerts in the counted span)" if b else "")


if __name__ == "__main__":
    main()
