"""Snapshots of the demo (replayed to its end, frozen clock) at 80x24 and 120x40.

Update after an intended change: ``pytest tests/ui --snapshot-update``, then look at the SVGs.
"""

from __future__ import annotations

import pytest

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


def test_thresholds_dialog_at_80x24(snap_compare):
    app = build_demo_app(Config(), speed=None, clock=frozen_clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_played, press=["t"])
