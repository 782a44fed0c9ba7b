"""Keyboard flows of the monitor with Pilot: select, edit thresholds, alerts, mute, help."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from monitor.tui.app import FLASH_TIMES, build_demo_app, make_app
from monitor.config import Config, load_config
from monitor.history import AlertHistory
from monitor.feeds.backfill import BackfillResult
from monitor.model import Alert, FeedState, FeedStatus
from monitor.tui.widgets.alert_log import AlertLog
from monitor.tui.widgets.detail import DetailPane
from monitor.tui.widgets.dialogs import MuteDialog, ThresholdsDialog
from monitor.tui.widgets.help import HelpScreen
from monitor.tui.widgets.lines import LinesView
from monitor.tui.widgets.status_bar import StatusBar

from .conftest import FROZEN, QueueFeed, drain, frozen_clock


def chart_title(app) -> str:
    return app.query_one(DetailPane).query_one("#chart-title", LinesView).plain_lines[0]


def status(app) -> str:
    return app.query_one(StatusBar).plain_lines[0]


def toasts(app) -> list[tuple[str, str]]:
    """(title, message) of the notifications shown since the last clear."""
    return list(app.toasts)


async def test_arrow_keys_select_a_symbol_and_the_detail_follows(config):
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.tick("^RUT", 2440.0)
        feed.tick("^GSPC", 6800.0)
        await drain(pilot, app)
        assert app.watchlist.selected_symbol == "^RUT"
        assert chart_title(app).startswith("^RUT")
        await pilot.press("down")
        await drain(pilot, app)
        assert app.watchlist.selected_symbol == "^GSPC"
        assert chart_title(app).startswith("^GSPC")
        assert "6,800.00" in app.watchlist.cell_text("^GSPC", "last")
        await pilot.press("c")
        await drain(pilot, app)
        assert "daily" in chart_title(app)


async def test_add_a_level_in_the_dialog_then_its_alert_fires_and_it_is_saved(config, config_file):
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.tick("^RUT", 2440.0)  # below 2450: arms the new level on its side
        await drain(pilot, app)
        await pilot.press("t")
        assert isinstance(app.screen, ThresholdsDialog)
        await pilot.press(*"2,450", "tab", *"pivot", "enter")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ThresholdsDialog)
        saved = load_config(config_file)
        assert ("^RUT", 2450.0, "pivot") in [(lv.symbol, lv.price, lv.label) for lv in saved.levels]
        assert len(saved.levels) == 3  # the two defaults stay
        assert app.state.symbols["^RUT"].levels  # applied to the running state

        feed.tick("^RUT", 2470.0)  # above 2450 by more than the 0.25 % band (and its 0.5 % approach band)
        await drain(pilot, app)
        fired = [a for a in app.delivered if a.rule == "level_cross"]
        assert [(a.direction, a.extra.get("level")) for a in fired] == [("up", 2450.0)]
        log = app.query_one(AlertLog)
        assert "2,450" in log.plain_lines[0] and "▲" in log.plain_lines[0]
        assert [title for title, message in toasts(app) if "2,450" in message] == ["^RUT · level_cross"]
        for _ in range(100):  # the bell sink runs on its own thread
            if "\a" in app.terminal_output:
                break
            await pilot.pause(0.01)
        assert app.terminal_output.count("\a") == 1
        await pilot.pause(0.1)
        assert app.watchlist.flashes >= 1  # the row flashed
        assert "2,450" in app.watchlist.cell_text("^RUT", "level")


async def test_invalid_level_is_refused_with_the_config_message(config, config_file):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    before = config_file.read_text()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        await pilot.press(*"-5", "enter")
        dialog = app.screen
        assert isinstance(dialog, ThresholdsDialog)
        problems = str(dialog.query_one("#problems").render())
        assert "price" in problems and "above 0" in problems
        await pilot.press("escape")
        assert not isinstance(app.screen, ThresholdsDialog)
    assert config_file.read_text() == before


async def test_rule_thresholds_are_validated_and_applied(config, config_file):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t")
        dialog = app.screen
        dialog.query_one("#rsi_oversold").value = "80"  # above overbought: refused
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ThresholdsDialog)
        assert "RSI oversold: must be below RSI overbought" in str(dialog.query_one("#problems").render())  # in words, not rules.rsi_oversold
        dialog.query_one("#rsi_oversold").value = "25"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ThresholdsDialog)
    assert app.config.rules.rsi_oversold == 25
    assert load_config(config_file).rules.rsi_oversold == 25


async def test_mute_a_level_from_the_app(config):
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.tick("^RUT", 2490.0)
        await drain(pilot, app)
        await pilot.press("m")
        assert isinstance(app.screen, MuteDialog)
        options = app.screen.query_one("#mute-keys")
        keys = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = keys.index("level_cross:^RUT:2500")
        await pilot.press("m")
        await pilot.pause()
        assert app.delivery.gate.is_muted("level_cross:^RUT:2500")
        assert isinstance(app.screen, MuteDialog)  # stays open for the next choice, in words:
        shown = [str(option.prompt) for option in app.screen.query_one("#mute-keys").options]
        assert "^RUT 2,500 (support) level crossings  [muted]" in shown
        options.highlighted = keys.index("new_high")
        await pilot.press("s")
        shown = [str(option.prompt) for option in app.screen.query_one("#mute-keys").options]
        assert "new 52-week highs  [snoozed until 11:00 ET]" in shown  # the frozen clock is 10:00 New York
        await pilot.press("u")
        assert not app.delivery.gate.is_muted("new_high")
        await pilot.press("escape")
        await pilot.press("m")  # opened again: the states are kept
        shown = [str(option.prompt) for option in app.screen.query_one("#mute-keys").options]
        assert "^RUT 2,500 (support) level crossings  [muted]" in shown and "new 52-week highs" in shown
        await pilot.press("escape")
        feed.tick("^RUT", 2510.0)
        await drain(pilot, app)
        assert app.state.alert_count >= 1  # the rule fired ...
        assert not [a for a in app.delivered if a.rule == "level_cross"]  # ... and was muted


def test_the_mute_dialog_names_every_rule_in_words():
    """A rule added to config.RULES must be named in words in the mute dialog, not by its key
    (the issue 10 rules showed as "relative_strength", "zone_cross", ...)."""
    from monitor.config import RULES
    from monitor.tui.widgets.dialogs import mute_entries

    shown = dict(mute_entries("^RUT", Config()))
    unnamed = [rule for rule in RULES if "_" in shown[rule] or shown[rule] == rule]
    assert unnamed == [], f"name {unnamed} in words in RULE_NAMES (monitor/tui/widgets/dialogs.py)"
    assert shown["zone_cross"] == "zone entries and exits"


async def test_help_screen_and_a_palette_command_for_every_key(config):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("a")
        assert isinstance(app.focused, AlertLog)
        await pilot.press("w")
        assert app.focused is app.watchlist
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for binding in app.BINDINGS:
            assert binding.description in titles or binding.action == "quit"
        assert "Quit" in titles
        await pilot.press("q")
    assert app.return_code == 0


async def test_history_is_shown_at_start_but_not_in_replays(config):
    history = AlertHistory()
    old = Alert(FROZEN - 86400, "^RUT", "level_cross", "down", 2497.0, "^RUT fell below 2,500 (support) at 2,497.00")
    history.append(old)
    app = make_app(config, QueueFeed(), clock=frozen_clock, history=history)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "fell below 2,500" in app.query_one(AlertLog).plain_lines[0]
    demo = build_demo_app(Config(), speed=None, clock=frozen_clock)
    assert demo.history is None


async def test_a_feed_error_shows_in_the_status_bar_instead_of_crashing(config):
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.tick("^RUT", 2440.0)
        feed.put(ConnectionError("server went away"))
        for _ in range(100):
            await pilot.pause(0.01)
            if app.feed_error:
                break
        await drain(pilot, app)
        assert "feed error" in status(app) and "server went away" in status(app)
        assert app.is_running
        assert "2,440.00" in app.watchlist.cell_text("^RUT", "last")  # data kept


class ProblemBackfill:
    """A backfill that found nothing and says why, as Backfill.load does without a network."""

    def load(self) -> BackfillResult:
        return BackfillResult(problems=["network unreachable: cannot resolve query2.example; history from the cache only"])


async def test_offline_feed_and_missing_history_say_why_without_crowding_the_status_bar(config):
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock, backfill=ProblemBackfill())
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):  # the backfill worker runs load() in a thread
            if app.history_first.done:
                break
            await pilot.pause(0.01)
        await drain(pilot, app)
        assert "history incomplete" in status(app) and "query2" not in status(app)
        assert any("cannot resolve query2.example" in message for _, message in toasts(app))
        feed.put(FeedStatus(FeedState.OFFLINE, "stream", FROZEN, "connect failed: network unreachable"))
        feed.put(FeedStatus(FeedState.OFFLINE, "stream", FROZEN, "connect failed: network unreachable"))
        await drain(pilot, app)
        assert status(app).startswith("stream: offline")
        offline = [message for title, message in toasts(app) if title == "stream: offline"]
        assert offline == ["connect failed: network unreachable"]  # once, not at every status
        # The feed's reason comes before the backfill's note: it is what a wide terminal shows.
        line = status(app)
        assert line.index("network unreachable") < line.index("history incomplete")
        # The tick part takes only what its text needs: the rest of 80 columns is for the reason.
        await pilot.pause()
        assert app.query_one("#status-tick").size.width == len(" │ no tick yet")


async def test_demo_plays_to_the_end_with_badge_and_replay_ended(tmp_path):
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        app.settle()
        await pilot.pause()
        line = status(app)
        assert "DEMO · REPLAY" in line and "replay ended" in line
        assert app.feed_status.state is FeedState.ENDED
        assert "2,620.99" in app.watchlist.cell_text("^RUT", "last")  # the last close shipped
        assert app.delivered  # the played part fired alerts
        assert all(a.time >= app.delivered[0].time for a in app.delivered)
        await pilot.press("question_mark")
        assert "DEMO · REPLAY" in str(app.screen.query_one("#dialog-title").render())


async def test_a_burst_of_ten_thousand_ticks_repaints_a_bounded_number_of_times(config):
    from monitor.model import Tick

    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    painted = 0
    async with app.run_test(size=(80, 24)) as pilot:
        watchlist = app.watchlist
        original = watchlist.render_lines

        def counting(crop):
            nonlocal painted
            painted += 1
            return original(crop)

        watchlist.render_lines = counting
        loop = asyncio.get_running_loop()
        started, flushes_before = loop.time(), app.flushes  # start-up flushes are not the burst's
        for chunk in range(50):  # 10,000 ticks in 50 chunks over about half a second
            for i in range(chunk * 200, chunk * 200 + 200):
                symbol = ("^RUT", "^GSPC", "^NDX")[i % 3]
                feed.put([Tick(symbol, FROZEN + i * 0.01, 2000.0 + (i % 500) * 0.25, None, FROZEN)])
            await asyncio.sleep(0.01)
        await drain(pilot, app)
        elapsed = loop.time() - started
        cells = len(watchlist.shown_columns) * len(watchlist.symbols)
    assert app.state.symbols["^NDX"].last == 2000.0 + (9_998 % 500) * 0.25
    frames = elapsed * app.config.ui.max_fps + 3  # timer ticks, a late tick and the final flush
    assert app.flushes - flushes_before <= frames, (app.flushes, flushes_before, elapsed)
    # A frame paints the table once per changed cell at most, never once per tick.
    assert 1 <= painted <= cells * frames < 10_000 / 10, (painted, elapsed)


async def test_no_color_still_renders(monkeypatch, config):
    monkeypatch.setenv("NO_COLOR", "1")
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.tick("^RUT", 2440.0)
        await drain(pilot, app)
        assert app.no_color
        # Textual's default NO_COLOR filter greys red and green out to near the background;
        # the terminal's own colours (ANSI, NoColor filter) stay readable.
        assert app.native_ansi_color
        # With no background colours the cursor row must stand out by reverse video.
        assert app.watchlist.get_component_rich_style("datatable--cursor").reverse
        svg = app.export_screenshot()
    assert "2,440.00" in svg.replace("&#160;", " ")
    assert "^RUT" in svg


async def test_update_and_remove_a_level_in_the_dialog(config, config_file):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        dialog = app.screen
        assert dialog.query_one("#price").value == ""  # empty for a new level
        table = dialog.query_one("#levels")
        table.focus()
        assert [table.get_row_at(i)[0] for i in range(2)] == ["2,600", "2,500"]  # by price, highest first
        table.move_cursor(row=1)
        table.move_cursor(row=0)  # 2,600 resistance
        await pilot.pause()
        assert dialog.query_one("#price").value == "2600"
        dialog.query_one("#price").value = "2650"
        dialog.action_update()
        table.move_cursor(row=1)  # 2,500 support
        await pilot.pause()
        dialog.action_remove()
        await pilot.press("ctrl+s")
        await pilot.pause()
    levels = [(lv.symbol, lv.price, lv.label) for lv in load_config(config_file).levels]
    assert levels == [("^RUT", 2650.0, "resistance")]


async def test_the_table_on_screen_shows_each_new_price(config):
    """The watchlist drops only the changed cell's render caches (DataTable internals): what
    is painted must still be the latest value, price after price."""
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        watchlist = app.watchlist
        assert watchlist.fast_updates  # the cache layout this Textual version has
        for price in (2440.0, 2441.5, 2439.25):
            feed.tick("^GSPC", price)
            await drain(pilot, app)
            painted = "".join(segment.text for segment in watchlist.render_line(2))  # header, ^RUT, ^GSPC
            assert f"{price:,.2f}" in painted, painted
        await pilot.press("down")  # the cursor row is painted from other cache entries
        await pilot.pause()
        feed.tick("^GSPC", 2450.0)
        await drain(pilot, app)
        assert "2,450.00" in "".join(segment.text for segment in watchlist.render_line(2))


async def test_space_pauses_and_resumes_the_replay():
    app = build_demo_app(Config(), clock=frozen_clock)  # played at the demo's lively speed
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            if app.last_tick is not None:
                break
            await pilot.pause(0.01)
        await pilot.press("space")
        app.flush()
        assert app.feed.paused and "replay paused" in status(app)
        held = app.last_tick
        await pilot.pause(1.6)  # four batches' time at the demo speed (0.375 s apart)
        assert app.last_tick == held  # not even the batch the feed was already waiting for
        await pilot.press("space")
        for _ in range(200):
            if app.last_tick != held:
                break
            await pilot.pause(0.01)
        app.flush()
        assert app.last_tick > held and "replay playing" in status(app)


async def test_one_batch_of_a_symbols_alerts_is_one_toast_one_bell_one_flash(config):
    config = replace(config, zones=())  # the default 2,580-2,600 zone would be a third alert
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.tick("^RUT", 2450.0)  # below both levels
        await drain(pilot, app)
        flashes = app.watchlist.flashes
        assert app.flash_steps == 0
        feed.tick("^RUT", 2650.0)  # one tick through both: two alerts, one moment
        await drain(pilot, app)
        assert [a.extra["level"] for a in app.delivered] == [2500.0, 2600.0]
        (toast,) = toasts(app)
        assert toast == ("^RUT · level_cross", "^RUT rose above 2,500 (support) at 2,650.00\n"
                                               "^RUT rose above 2,600 (resistance) at 2,650.00")
        for _ in range(100):  # the bell sink runs on its own thread
            if "\a" in app.terminal_output:
                break
            await pilot.pause(0.01)
        await pilot.pause(0.1)
        assert app.terminal_output.count("\a") == 1
        assert app.watchlist.flashes - flashes == 1  # the first step of the flash
        assert app.flash_steps == len(FLASH_TIMES)  # one flash sequence, not one per alert


async def test_the_demo_rings_no_bell():
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert app.delivered, "the demo fires alerts"
        assert "\a" not in app.terminal_output
        assert app.delivery.dispatcher.sinks == []


async def test_a_level_s_frequency_cooldown_and_expiry_are_edited_in_the_dialog(config, config_file):
    from datetime import date

    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("t")
        dialog = app.screen
        for key, value in (("price", "2,450"), ("label", "pivot"), ("frequency", "once_per_session"), ("cooldown", "15m"), ("expires", "2026-12-31")):
            dialog.query_one(f"#{key}").value = value
        dialog.action_add()
        assert str(dialog.query_one("#problems").render()) == ""
        dialog.query_one("#price").value = "2,460"
        dialog.query_one("#cooldown").value = "soon"
        dialog.action_add()  # refused, in words
        problems = str(dialog.query_one("#problems").render())
        assert problems.startswith("^RUT 2,460 cooldown:") and "levels[" not in problems
        await pilot.press("ctrl+s")
        await pilot.pause()
    level = next(lv for lv in load_config(config_file).levels if lv.price == 2450.0)
    assert (level.policy.frequency, level.policy.cooldown, level.policy.expires) == ("once_per_session", 900.0, date(2026, 12, 31))


async def test_add_update_and_remove_zones_in_the_dialog(config, config_file):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        dialog = app.screen
        await pilot.press("ctrl+t")  # the Zones tab, its first field focused
        assert dialog.query_one("#lists").active == "zones-tab" and dialog.focused.id == "zone-low"
        zones = dialog.query_one("#zones")
        assert zones.get_row_at(0) == ["2,580", "2,600", "resistance zone"]  # the default zone
        await pilot.press(*"2,400", "tab", *"2,450", "tab", *"support zone", "enter")
        assert str(dialog.query_one("#problems").render()) == ""
        assert [zones.get_row_at(i)[0] for i in range(2)] == ["2,580", "2,400"]  # highest first
        assert dialog.query_one("#zone-low").value == ""  # cleared for the next one
        # The config file's own checks, said in words: a zone whose high is not above its low.
        await pilot.press(*"2,700", "tab", *"2,650", "enter")
        problems = str(dialog.query_one("#problems").render())
        assert problems == "^RUT 2,700-2,650 high: must be above low (2700)"
        assert zones.row_count == 2  # refused
        # Update the selected zone, then remove the other.
        zones.focus()
        zones.move_cursor(row=1)
        zones.move_cursor(row=0)  # 2,580-2,600: loaded into the fields
        await pilot.pause()
        assert (dialog.query_one("#zone-low").value, dialog.query_one("#zone-high").value) == ("2580", "2600")
        dialog.query_one("#zone-high").value = "2,610"
        await pilot.click("#zone-update")
        zones.move_cursor(row=1)
        await pilot.pause()
        await pilot.click("#zone-remove")
        assert zones.row_count == 1
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ThresholdsDialog)
        assert [(z.low, z.high, z.label) for z in app.state.symbols["^RUT"].zones] == [(2580.0, 2610.0, "resistance zone")]
    saved = load_config(config_file)
    assert [(z.symbol, z.low, z.high, z.label) for z in saved.zones] == [("^RUT", 2580.0, 2610.0, "resistance zone")]
    assert len(saved.levels) == 2  # the levels are saved as they were


async def test_a_zone_added_in_the_dialog_is_saved(config, config_file):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t", "ctrl+t", *"2,400", "tab", *"2,450", "tab", *"floor", "enter", "ctrl+s")
        await pilot.pause()
    saved = load_config(config_file)
    assert ("^RUT", 2400.0, 2450.0, "floor") in [(z.symbol, z.low, z.high, z.label) for z in saved.zones]
    assert len(saved.zones) == 2


async def test_the_chart_title_drops_its_key_hint_whole_when_the_pane_is_narrow(config):
    """At 80 columns the title and " · 1-7: range" do not fit: the hint goes, never cut to a
    meaningless "1-7: r…"; a wide window shows it, and resizing brings it back."""
    feed = QueueFeed()
    app = make_app(config, feed, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.tick("^RUT", 2440.0)
        await drain(pilot, app)
        await pilot.press("c")  # the daily chart: the longest title (three legends)
        await drain(pilot, app)
        title = app.query_one(DetailPane).query_one("#chart-title", LinesView)
        shown = title.render_line(0).text.rstrip()
        assert "daily" in shown and "SMA200" in shown
        assert "…" not in shown and "1-7" not in shown
        await pilot.resize_terminal(140, 30)
        await drain(pilot, app)
        assert title.render_line(0).text.rstrip().endswith(" · 1-7: range")


def test_the_demo_knows_the_records_set_before_its_data():
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    records = app.state.symbols["^RUT"].records
    assert (records.low, records.low_day.isoformat()) == (105.46, "1987-10-28")  # from monitor/data/records.csv
    assert records.high >= 2458.86
