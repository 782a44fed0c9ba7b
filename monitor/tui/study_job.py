"""What the Study screen runs, built by the app: the data to replay (the demo's, a replay's own
files, or live the cached history) and ``monitor.study.run_study`` over it.

The screen (``widgets/study.py``) reads the core only through ``monitor.view``; loading files and
replaying years of sessions are operations of the core, so they come to it as one callable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from monitor.config import Config
from monitor.study import Study, default_series, describe_series, run_study

Loader = Callable[[], tuple[list, Config, str]]  # -> (series, config, "data: ...")


def study_loader(app: Any) -> Loader:
    """What the Study screen replays: the demo's whole shipped data, a replay's own files, or
    live, the cached history of the configured symbols (never a download)."""
    config = app.config
    if app.badge.startswith("DEMO"):
        from monitor.series import demo_series

        return lambda: (demo_series(), config, "data: the shipped demo data")
    series = getattr(app.feed, "series", None)
    if app.replay and series:
        return lambda: (series, config, f"data: {describe_series(series)}")
    return lambda: default_series(config, mode="cache")


def study_job(load: Loader) -> Callable[[Sequence[int], Callable[[str], None]], Study]:
    """The study of what ``load`` returns, over the given horizons, telling ``progress`` what it
    does (first the data's source)."""

    def job(horizons: Sequence[int], progress: Callable[[str], None]) -> Study:
        series, config, source = load()
        progress(source)
        return run_study(config, series, horizons=horizons, source=source, progress=progress)

    return job
