"""market-monitor: a terminal market monitor. The core (everything but ``monitor.app`` and the
``widgets`` package) runs headless and never imports textual."""

__version__ = "0.1.0"
