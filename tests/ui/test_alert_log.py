"""The alert log as a trader reads it: details on Enter, an unread count until marked read,
filters, whole lines under the cursor, and toasts that never cover the log."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import OptionList, Static

from monitor.model import Alert
from monitor.tui.app import make_app
from monitor.tui.widgets.alert_log import AlertDetails, AlertFilter, AlertLog

from .conftest import FROZEN, QueueFeed, drain, frozen_clock

LONG = "^RUT is up 1.58% while ^GSPC down 0.14% and ^NDX down 0.72%, a spread of 2.01 percentage points"


def _alerts() -> list[Alert]:
    return [
        Alert(FROZEN - 300, "^RUT", "level_cross", "down", 2497.0, "^RUT fell below 2,500 (support) at 2,497.00", {"level": 2500.0, "label": "support"}, "stream"),
        Alert(FROZEN - 200, "^GSPC", "new_high", "up", 6800.0, "^GSPC made a new 52-week high at 6,800.00", {"previous_high": 6790.5, "window": 252}, "stream"),
        Alert(FROZEN - 100, "^RUT", "relative_divergence", "up", 2510.0, LONG, {"spread": 2.01}, "stream", stale=True),
    ]


def status(app) -> str:
    return app.query_one("#status").plain_lines[0]


def texts(screen) -> str:
    """What the screen's texts and tables say, as plain text."""
    console = Console(width=100, record=True, file=io.StringIO())
    for widget in screen.query(Static):
        console.print(widget.content)
    return console.export_text()


async def test_enter_opens_the_details_with_values_and_rule_parameters(config):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.handle_alerts(_alerts())
        await drain(pilot, app)
        await pilot.press("a", "down", "down", "enter")  # the oldest: the level cross
        assert isinstance(app.screen, AlertDetails)
        shown = texts(app.screen)
        assert "^RUT fell below 2,500 (support) at 2,497.00" in shown
        assert "level" in shown and "2,500" in shown and "support" in shown  # alert.extra
        assert f"{config.rules.hysteresis_pct:g} % either side" in shown  # the rule's hysteresis
        assert "frequency" in shown and "cooldown" in shown and "expires" in shown
        assert "stream" in shown and "2026-02-24 09:55:00 ET" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, AlertDetails)
        await pilot.press("up", "up", "enter")  # the divergence: stale, with its peers
        shown = texts(app.screen)
        assert "yes" in shown and "spread" in shown and "^GSPC, ^NDX" in shown


async def test_unread_count_until_marked_read_and_the_flash_stops(config):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot, app)
        assert "unread" not in status(app)
        app.handle_alerts(_alerts())
        await drain(pilot, app)
        assert "3 unread" in status(app)
        assert app.flash_steps  # the rows flash
        await pilot.press("r")
        await drain(pilot, app)
        assert "unread" not in status(app)
        assert not app.flash_steps and not app.watchlist.flashing


async def test_filter_by_symbol_then_rule_and_clear(config):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        app.handle_alerts(_alerts())
        await drain(pilot, app)
        log = app.query_one(AlertLog)
        await pilot.press("a", "f")
        assert isinstance(app.screen, AlertFilter)
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        options.highlighted = labels.index("Symbol ^RUT")
        await pilot.press("enter")
        await pilot.pause()
        assert [a.symbol for a, _ in log.shown] == ["^RUT", "^RUT"]
        assert "only ^RUT" in log.border_title
        await pilot.press("f")
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        options.highlighted = labels.index("Rule level_cross")
        await pilot.press("enter")
        await pilot.pause()
        assert [a.rule for a, _ in log.shown] == ["level_cross"]
        assert all("2,500" in line for line in log.plain_lines)
        await pilot.press("f", "home", "enter")  # "All alerts"
        await pilot.pause()
        assert len(log.shown) == 3 and log.border_title == AlertLog.TITLE


async def test_the_alert_under_the_cursor_is_shown_whole(config):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.handle_alerts(_alerts())
        await drain(pilot, app)
        log = app.query_one(AlertLog)
        assert len(log.plain_lines) == 3 and LONG in log.plain_lines[0]  # not focused: one line each, cut at 80
        await pilot.press("a")
        await pilot.pause()
        assert len(log.plain_lines) == 4  # the cursor's alert takes two lines
        assert LONG.startswith(log.plain_lines[0][14:]) and len(log.plain_lines[0]) <= 80


async def test_toasts_sit_above_the_log(config):
    app = make_app(config, QueueFeed(), clock=frozen_clock)
    for size in ((80, 24), (120, 40)):
        async with app.run_test(size=size, notifications=True) as pilot:
            app.handle_alerts(_alerts()[:1])
            await drain(pilot, app)
            await pilot.pause(0.1)
            toasts = list(app.screen.query("Toast"))
            assert toasts
            log_top = app.query_one(AlertLog).region.y
            for toast in toasts:
                assert toast.region.bottom <= log_top and toast.region.x == 0
        app = make_app(app.config, QueueFeed(), clock=frozen_clock)
