"""The replay benchmark's peer workload: talipp gets exactly the replay's ticks (a quick run on
a few bars, so that a change to the tick makers cannot leave the benchmark broken unnoticed)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_talipp_gets_every_replay_tick_and_a_new_bar_at_each_session(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_replay

    head = "date,open,high,low,close\n"
    for i, (_, name) in enumerate(bench_replay.FILES):
        rows = [f"2026-01-0{5 + d},{10 + i},{12 + i},{9 + i},{11 + i - 2 * d}" for d in range(2)]
        (tmp_path / name).write_text(head + "\n".join(rows) + "\n")
    ticks = bench_replay.talipp_ticks(tmp_path)
    assert len(ticks) == 3 * 2 * 4
    files = len(bench_replay.FILES)
    # per date: the opens of every file (new bars), then each file's three later ticks
    assert [(i, new) for i, new, _ in ticks[:files]] == [(i, True) for i in range(files)]
    assert all(not new for _, new, _ in ticks[files:4 * files])
    assert [price for i, _, price in ticks if i == 0] == [10, 9, 12, 11, 10, 12, 9, 9]
    sys.modules.pop("bench_replay", None)
