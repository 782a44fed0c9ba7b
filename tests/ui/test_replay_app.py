"""A replay in the app: exactly the replayed symbols, history before --from (or the last year of a
long file), and the replay keys: faster, slower, step a session, to the end, pause; dialogs and
help hold the replay while they are open."""

from __future__ import annotations

import sys
from datetime import date, timedelta

import pytest

from monitor.cli import main
from monitor.config import Config, Level
from monitor.series import default_cut, load_series, parse_from, split_at
from monitor.tui.app import build_replay_app
from monitor.model import Alert
from monitor.tui.widgets.alert_log import AlertLog
from monitor.tui.widgets.help import HelpScreen
from monitor.tui.widgets.status_bar import StatusBar

from .conftest import frozen_clock


def daily_csv(tmp_path, name: str, start: date, sessions: int, base: float = 100.0):
    lines = ["date,open,high,low,close"]
    day = start
    for i in range(sessions):
        while day.weekday() >= 5:
            day += timedelta(days=1)
        price = base + i % 17
        lines.append(f"{day.isoformat()},{price},{price + 2},{price - 2},{price + 1}")
        day += timedelta(days=1)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def status(app) -> str:
    return app.query_one(StatusBar).plain_lines[0]


def test_a_long_replay_plays_its_last_year_and_from_sets_the_start(tmp_path):
    long = load_series(daily_csv(tmp_path, "spy.csv", date(2023, 1, 2), 700), "SPY")
    short = load_series(daily_csv(tmp_path, "qqq.csv", date(2025, 1, 2), 200), "QQQ")
    cut = default_cut([long])
    assert cut == pytest.approx(long.rows[-1][0] - 365 * 86400)
    assert default_cut([short]) is None  # under 400 days: all of it plays
    history, rest = split_at([long], parse_from("2024-06-03", [long]))
    assert history[0].rows[-1][0] < rest[0].rows[0][0]
    assert len(history[0].rows) + len(rest[0].rows) == 700
    assert date.fromtimestamp(rest[0].rows[0][0]) == date(2024, 6, 3)


async def test_the_watchlist_is_the_replayed_symbols_with_history_before_the_start(tmp_path):
    spy = load_series(daily_csv(tmp_path, "spy.csv", date(2024, 1, 2), 300), "SPY")
    qqq = load_series(daily_csv(tmp_path, "qqq.csv", date(2024, 1, 2), 300, 400.0), "QQQ")
    config = Config(levels=(Level("SPY", 110.0, "pivot"), Level("^RUT", 2500.0, "support")))
    cut = parse_from("2025-01-02", [spy, qqq])
    app = build_replay_app(config, [spy, qqq], speed=None, cut=cut, clock=frozen_clock)
    assert app.config.symbols == ("SPY", "QQQ")
    assert [level.price for level in app.state.symbols["SPY"].levels] == [110.0]  # the config's level on SPY
    history_sessions = len(app.state.symbols["SPY"].daily)
    assert 0 < history_sessions < 300
    assert all(row[0] >= cut for row in app.feed.series[0].rows)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.watchlist.symbols == ["SPY", "QQQ"]
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "replay ended" in status(app)


async def test_replay_keys_speed_step_end_pause_and_dialogs_hold_it(tmp_path):
    spy = load_series(daily_csv(tmp_path, "spy.csv", date(2024, 1, 2), 300), "SPY")
    app = build_replay_app(Config(), [spy], speed=9600.0, clock=frozen_clock)
    feed = app.feed
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("plus")
        assert feed.speed == 19200.0 and "×19,200" in status(app)
        await pilot.press("minus", "minus")
        assert feed.speed == 4800.0 and "×4,800" in status(app)
        await pilot.press("question_mark")  # help holds the replay...
        assert isinstance(app.screen, HelpScreen) and feed.paused
        await pilot.press("escape")  # ...and it plays on when help closes
        assert not feed.paused
        app.handle_alerts([Alert(spy.rows[0][0], "SPY", "new_high", "up", 1.0, "SPY " + "made a new high " * 10)])
        log = app.query_one(AlertLog)
        assert len(log.plain_lines) == 1  # playing: one line, cut at the width
        await pilot.press("space")
        assert feed.paused and "replay paused" in status(app)
        assert len(log.plain_lines) == 2  # paused: time to read, nothing cut
        await pilot.press("t", "escape")  # paused by the user: still paused after a dialog
        assert feed.paused
        await pilot.pause(0.3)
        before = app.state.symbols["SPY"].last_time
        await pilot.press("full_stop")
        for _ in range(50):
            await pilot.pause(0.05)
            if feed.paused and app.state.symbols["SPY"].last_time != before:
                break
        stepped = app.state.symbols["SPY"].last_time
        assert feed.paused and stepped != before
        await pilot.pause(0.3)
        assert app.state.symbols["SPY"].last_time == stepped  # one session, then it waits
        await pilot.press("greater_than_sign")
        await app.workers.wait_for_complete()
        app.flush()
        assert feed.speed is None and "replay ended" in status(app)
        assert app.state.symbols["SPY"].last == spy.rows[-1][4]


def test_from_is_checked_before_the_app_opens(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "monitor.tui.app", None)  # the app must not be needed to say so
    path = daily_csv(tmp_path, "spy.csv", date(2024, 1, 2), 30)
    for bad, said in (("2024-13-01", "--from: expected a date such as 2025-01-02, got '2024-13-01'"), ("2030-01-01", "nothing would be left to play")):
        assert main(["replay", "--from", bad, f"SPY={path}"]) == 2
        assert said in capsys.readouterr().err
    assert main(["replay", "--headless", "--from", "2024-01-10", f"SPY={path}"]) == 2
    assert "drop --from" in capsys.readouterr().err


async def test_saving_thresholds_from_a_replay_asks_first(tmp_path, config_file):
    from monitor.config import load_config
    from monitor.tui.widgets.dialogs import ConfirmSave

    spy = load_series(daily_csv(tmp_path, "spy.csv", date(2024, 1, 2), 30), "SPY")
    before = config_file.read_text()
    app = build_replay_app(load_config(config_file), [spy], speed=None, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("t", *"123", "enter", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSave)
        await pilot.press("n")
        await pilot.pause()
        assert config_file.read_text() == before  # not written ...
        assert [lv.price for lv in app.config.levels_for("SPY")] == [123.0]  # ... but applied
        await pilot.press("t", *"124", "enter", "ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert {lv.price for lv in load_config(config_file).levels_for("SPY")} == {123.0, 124.0}
