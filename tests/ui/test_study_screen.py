"""The Study screen: opened with a key (and the palette), the study runs in a worker while the
screen stays responsive, progress is shown, then the table and the braille histograms."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from pathlib import Path

from monitor.config import Config
from monitor.series import demo_series, load_all
from monitor.study import study, replay_for_study
from monitor.tui.app import build_demo_app, make_app
from monitor.tui.study_job import study_job, study_loader
from monitor.tui.widgets.study import (
    StudyProgress,
    StudyScreen,
    braille_bars,
    histogram_counts,
    histograms,
)

from .conftest import QueueFeed, frozen_clock

DATA = Path(__file__).resolve().parents[2] / "monitor" / "data"
FILES = [f"^RUT={DATA / 'rut.csv'}", f"^GSPC={DATA / 'spx.csv'}", f"^NDX={DATA / 'ndx.csv'}"]
# Without the default zone and level_approach, so level_cross is the first (and a "few") row
LEVELS = replace(Config(), zones=(), rules=replace(Config().rules, approach_pct=0.0))


def plain(widget) -> str:
    return str(widget.render())


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one("#study-table")
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_study_runs_in_a_worker_while_the_screen_answers_keys(config):
    release = threading.Event()

    def load():
        assert release.wait(10), "the test never released the study"
        return load_all(FILES), LEVELS, "data: three test files"

    progress: list[str] = []

    def hook(message) -> None:
        if isinstance(message, StudyProgress):
            progress.append(message.text)

    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(60, 30), message_hook=hook) as pilot:  # the table scrolls sideways
        screen = StudyScreen("^RUT", study_job(load))
        await app.push_screen(screen)
        await pilot.pause()
        # The worker is blocked in load(): the screen still takes keys and repaints.
        assert screen.worker.is_running
        await pilot.press("right")
        assert screen.horizon == 126
        assert "126 sessions (← →): waiting for the study" in plain(screen.query_one("#study-histogram"))
        assert plain(screen.query_one("#study-progress")) == "starting"
        release.set()
        await screen.worker.wait()
        await pilot.pause()
        assert progress[0] == "data: three test files"
        assert any(text.endswith(" %") and text.startswith("replaying ^RUT") for text in progress)
        assert "done in" in plain(screen.query_one("#study-progress"))
        rows = table_rows(screen)
        expected = [r for r in study(replay_for_study(LEVELS, load_all(FILES))).rows if r.symbol == "^RUT"]
        assert len(rows) == 1 + len(expected)
        assert rows[0][:3] == ["baseline", "", "504"]
        assert [(row[0].split()[0], row[1]) for row in rows[1:]] == [(r.rule, r.direction) for r in expected]
        first = expected[0]
        assert first.rule == "level_cross" and first.few  # a handful of crosses of 2,500 in two years
        assert rows[1][2] == f"{first.count} few"
        # The cursor starts on the first rule; its histogram is drawn against the baseline.
        histogram = plain(screen.query_one("#study-histogram"))
        assert histogram.startswith("126 sessions after level_cross up 2,500 support")
        assert "too few to mean much" in histogram
        assert "alerts" in histogram and "baseline" in histogram
        assert any(0x2801 <= ord(ch) <= 0x28FF for ch in histogram)
        new_high = next(i for i, r in enumerate(expected) if r.rule == "new_high")
        await pilot.press(*["down"] * new_high)
        await pilot.press("right")  # the horizon, not the table's sideways scroll
        assert screen.horizon == 252
        await pilot.press("left", "left")
        histogram = plain(screen.query_one("#study-histogram"))
        assert histogram.startswith("63 sessions after new_high up")
        assert f"n {expected[new_high].horizons[63]['n']}  mean " in histogram
        await pilot.press("escape")
        assert not isinstance(app.screen, StudyScreen)


async def test_the_e_key_and_the_palette_open_the_study_of_the_selected_symbol(config, tmp_path, monkeypatch):
    monkeypatch.setenv("MARKET_MONITOR_CACHE", str(tmp_path))  # live, no cached history: the demo data
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Study" in {command.title for command in app.get_system_commands(app.screen)}
        await pilot.press("down")
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, StudyScreen) and screen.symbol == "^GSPC"
        await screen.worker.wait()
        await pilot.pause()
        assert screen.result.source.startswith("data: the shipped demo data")
        assert plain(screen.query_one("#study-title")).startswith("Study · ^GSPC")
        assert table_rows(screen)[0][0] == "baseline"
        await pilot.press("q")
        assert not isinstance(app.screen, StudyScreen)


def test_the_loader_studies_the_demo_data_a_replays_files_or_the_cache(config, tmp_path, monkeypatch):
    monkeypatch.setenv("MARKET_MONITOR_CACHE", str(tmp_path))
    demo = build_demo_app(Config(), clock=frozen_clock)
    series, _, source = study_loader(demo)()
    assert [s.rows for s in series] == [s.rows for s in demo_series()]  # all of it, not the played part
    assert source == "data: the shipped demo data"
    from monitor.feeds.replay import ReplayFeed

    files = load_all(FILES[:1])
    replay = make_app(config, ReplayFeed(files), clock=frozen_clock)
    assert study_loader(replay)() == (files, config, "data: ^RUT from rut.csv")
    live = make_app(config, QueueFeed(), clock=frozen_clock)
    assert study_loader(live)()[2].startswith("data: the shipped demo data")


def test_histogram_bins_and_braille_bars():
    assert histogram_counts([-5.0, -0.5, 0.5, 0.6, 9.0], -1.0, 1.0, 2) == [2, 3]  # outside: edge bins
    assert braille_bars([4, 2, 0, 1], 1, dots_per_bin=1) == ["\u28e7\u2880"]  # 4|2 dots (0x47+0xa0), 0|1 dot (0x80)
    top, bottom, axis = histograms([1.0, 2.0], [-1.0, 0.0, 3.0], width=20, height=2)
    assert len(top) == len(bottom) == 2 and all(len(line) == 20 for line in top + bottom)
    assert axis.startswith("-1.0%") and axis.endswith("+3.0%") and "0" in axis[5:15]


async def test_a_horizon_with_few_alerts_behind_it_is_in_whole_percents(config):
    """As in the CLI's table: 16 divergences, but only 5 with 400 later sessions."""
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 30)) as pilot:
        screen = StudyScreen("^RUT", study_job(lambda: (load_all(FILES), Config(), "data: three test files")), horizons=(5, 400))
        await app.push_screen(screen)
        await screen.worker.wait()
        await pilot.pause()
        row = next(r for r in table_rows(screen) if r[0] == "relative_divergence" and r[1] == "up")
        assert row[2] == "16"
        assert "." in row[3] and "." not in row[4] and row[4] != "-"


async def test_quitting_while_the_study_opens_leaves_no_traceback(config):
    """``e`` then ``q`` typed fast: the app exits before the screen's children are mounted, and
    its on_mount must not look for a table that will never come (was NoMatches on quit)."""
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_study()
        app.exit()
        await pilot.pause()
    assert app.return_code == 0  # an exception in a handler sets 1 (and run_test raises it)
