"""Study speed: `market-monitor study` against the plain `replay --headless` of the same files.

Goal (the study issue, item 6): the study of the three full daily histories in
../shared/data/daily (every alert rule, 5 horizons) takes at most 1.5x the time of the headless
replay of the same files, both as whole processes (interpreter start, imports, CSV parsing, the
replay itself; then the statistics and the table, or the JSON alert lines). Both run in this one
benchmark, interleaved; the best of ``--runs`` is compared.

The processes run as an installed program does (``process_timing``: cached bytecode, which an
untimed first run of each writes, as it builds the calendar cache).

    python benchmarks/bench_study.py [--runs 5] [--data ../shared/data/daily]
"""

from __future__ import annotations

import sys

from process_timing import FILES, history_args, history_options, monitor_env, time_process

GOAL = 1.5


def main() -> int:
    options = history_options(__doc__)

    files = history_args(options.data)
    base = [sys.executable, "-m", "monitor"]
    commands = {
        "market-monitor replay --headless (process)": base + ["replay", "--headless", *files],
        "market-monitor study, 5 horizons (process)": base + ["study", *files, "--horizons", "5,21,63,126,252"],
    }
    with monitor_env() as env:
        outputs = {name: time_process(command, env)[2] for name, command in commands.items()}  # untimed
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(options.runs):  # interleaved, so both see the same machine load
            for name, command in commands.items():
                wall, cpu, _ = time_process(command, env)
                results[name].append((wall, cpu))

    replay_name, study_name = commands
    alerts = outputs[replay_name].count(b"\n")
    # a row's first line: "rule direction  count  mean ..." (the notes below the table mention "mean" too)
    rows = sum(1 for line in outputs[study_name].decode().splitlines() if line[:1].isalpha() and line.split()[1:2] in (["up"], ["down"]))
    print(f"{', '.join(s for s, _ in FILES)} full daily histories: {alerts:,} alerts, {rows} study rows, best of {options.runs}")
    print(f"{'':46} {'wall s':>8} {'cpu s':>8}")
    best = {}
    for name, runs in results.items():
        best[name] = (min(r[0] for r in runs), min(r[1] for r in runs))
        print(f"{name:46} {best[name][0]:8.3f} {best[name][1]:8.3f}")
    wall = best[study_name][0] / best[replay_name][0]
    cpu = best[study_name][1] / best[replay_name][1]
    print(f"ratio study/replay: wall {wall:.2f}, cpu {cpu:.2f} (goal <= {GOAL:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
