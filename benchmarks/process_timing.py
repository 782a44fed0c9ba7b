"""What the whole-process benchmarks share (bench_replay, bench_study): the three full daily
histories, their options, a monitor home of their own, and the time of one child process.

The child runs as an installed program does: with its modules' cached bytecode (the caller's
untimed first run writes it, and builds the calendar cache; ``PYTHONDONTWRITEBYTECODE`` is
dropped for the child, since otherwise every run would recompile the package from source).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILES = (("^RUT", "rut_daily.csv"), ("^GSPC", "spx_daily.csv"), ("^NDX", "ndx_daily.csv"))


def history_options(doc: str) -> argparse.Namespace:
    """``--runs`` (best of how many) and ``--data`` (the folder of ``FILES``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "daily")
    return parser.parse_args()


def history_args(data: Path) -> list[str]:
    """``SYMBOL=PATH`` of each of ``FILES`` in ``data``: the replay's and the study's arguments."""
    return [f"{symbol}={data / name}" for symbol, name in FILES]


@contextmanager
def monitor_env() -> Iterator[dict[str, str]]:
    """The child's environment: a temporary MARKET_MONITOR_HOME, bytecode written and kept."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, MARKET_MONITOR_HOME=home)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        yield env


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_process(command: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of one process, and its stdout."""
    cpu = child_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - started, child_cpu() - cpu, done.stdout
