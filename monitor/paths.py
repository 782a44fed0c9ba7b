"""Where the monitor keeps its files. The one module that knows locations.

Tests redirect everything with the environment: ``MARKET_MONITOR_CONFIG`` (the config file),
``MARKET_MONITOR_HOME`` (a folder holding ``config/``, ``state/`` and ``cache/`` instead of the
platformdirs locations), ``MARKET_MONITOR_CACHE`` (the cache folder alone).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "market-monitor"


def _home_override() -> Path | None:
    home = os.environ.get("MARKET_MONITOR_HOME")
    return Path(home) if home else None


def config_dir() -> Path:
    home = _home_override()
    if home:
        return home / "config"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    home = _home_override()
    if home:
        return home / "state"
    from platformdirs import user_state_path

    return user_state_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    explicit = os.environ.get("MARKET_MONITOR_CACHE")
    if explicit:
        return Path(explicit)
    home = _home_override()
    if home:
        return home / "cache"
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def default_config_path() -> Path:
    return config_dir() / "config.toml"


def config_path(cli_value: str | None = None) -> tuple[Path, bool]:
    """The config file in use and whether the user named it explicitly (``--config`` or
    ``MARKET_MONITOR_CONFIG``). An explicit path must exist; the default one may not."""
    if cli_value:
        return Path(cli_value).expanduser(), True
    env = os.environ.get("MARKET_MONITOR_CONFIG")
    if env:
        return Path(env).expanduser(), True
    return default_config_path(), False


def missing_config_error(cli_value: str | None = None):
    """The UserError for a config path in use that does not exist, saying where it came from."""
    from monitor.errors import UserError

    path, _ = config_path(cli_value)
    if cli_value:
        why = "given with --config"
    elif os.environ.get("MARKET_MONITOR_CONFIG"):
        why = "named by MARKET_MONITOR_CONFIG"
    else:
        why = "the defaults are in use; 'market-monitor config init' writes it"
    return UserError(f"{path}: config file not found ({why})")

