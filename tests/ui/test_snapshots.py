"""Snapshots of the demo (replayed to its end, frozen clock) at 80x24 and 120x40.

Update after an intended change: ``pytest tests/ui --snapshot-update``, then look at the SVGs.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from monitor.tui.app import build_demo_app
from monitor.config import Config

from .conftest import frozen_clock


async def _played(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    pilot.app.settle()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_demo_at_the_end_of_the_replay(snap_compare, size):
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    assert snap_compare(app, terminal_size=size, run_before=_played)


def test_daily_and_intraday_toggle_and_second_symbol(snap_compare):
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_played, press=["down", "c"])


async def _thresholds_open(pilot) -> None:
    """The dialog open with its text cursors held still: an Input blinks every 0.5 s, and a
    loaded machine took the picture in the cursor's off phase now and then."""
    await _played(pilot)
    await pilot.press("t")
    await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_thresholds_dialog_at_80x24(snap_compare):
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_thresholds_open)
