"""market-monitor: a terminal market monitor. The core (everything but ``monitor.tui``) runs
headless and never imports textual."""

__version__ = "0.1.0"
