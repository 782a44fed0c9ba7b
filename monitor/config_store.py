"""Writing the config file: the commented default, atomic edits that keep the user's comments.

Every write goes to a temporary file in the same folder, is fsynced, validated, and only then
renamed over the old file, so a crash or a full disk leaves the previous valid config in place.
Edits go through tomlkit so the user's comments, ordering and formatting survive.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Iterable

import tomlkit
from tomlkit.items import AoT, Table

from monitor.config import (
    AlertPolicy,
    Config,
    Level,
    Rules,
    Zone,
    SCHEMA,
    check_config_text,
    format_duration,
    read_config_text,
)
from monitor.errors import UserError
from monitor.redact import redact
from monitor.settings import default_file_text

CONFIG_MODE = 0o600

_HEADER = """market-monitor configuration.
Check it with `market-monitor config check`; see the effective values with `config show`.
Every key is optional: a missing key takes the default shown here."""

# Generated from the schema (monitor.config.SCHEMA): every key with its default and comment.
DEFAULT_CONFIG_TEXT = default_file_text(_HEADER, SCHEMA)

_write_lock = threading.Lock()


# --------------------------------------------------------------------------------------------
# Atomic writes


def atomic_write_text(path: str | Path, text: str, *, validate: bool = True, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` atomically: temp file in the same folder, fsync, rename.

    The new text must pass config validation first (``validate``). The file keeps its mode
    unless ``mode`` is given (0600 for a new one); a symlinked config (dotfile managers) stays a
    symlink: its target is replaced. On any failure the old file is untouched and ``UserError``
    says why.
    """
    path = Path(os.path.realpath(path))
    if validate:
        _, problems = check_config_text(text, str(path))
        if problems:
            raise UserError(f"not saved, the new config would be invalid: {problems[0]}")
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:  # no file yet (or no folder: the write below says so)
            mode = CONFIG_MODE
    with _write_lock:
        temp_name = None
        try:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):  # strerror would only say "File exists"
                raise UserError(f"{path}: config not saved: a file stands where its folder should be", exit_code=1) from None
            fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), mode)
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
            temp_name = None
            _fsync_dir(path.parent)
        except OSError as exc:
            raise UserError(redact(f"{path}: config not saved: {exc.strerror or exc}"), exit_code=1) from None
        finally:
            if temp_name is not None:
                try:
                    os.unlink(temp_name)
                except OSError:
                    pass


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every filesystem allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# Edits that keep comments


def load_document(path: str | Path) -> tomlkit.TOMLDocument:
    """The file as a tomlkit document (the commented default when it does not exist yet)."""
    path = Path(path)
    text = read_config_text(path) if path.exists() else DEFAULT_CONFIG_TEXT
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise UserError(f"{path}: not saved, the file has a TOML syntax error: {exc}") from None


def _edit(path: str | Path, change) -> None:
    document = load_document(path)
    change(document)
    atomic_write_text(path, tomlkit.dumps(document))


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _set_policy_fields(table: Any, policy: AlertPolicy) -> None:
    """Write the non-default fields of ``policy`` into a tomlkit table, removing the others."""
    values = {
        "frequency": policy.frequency,
        "cooldown": format_duration(policy.cooldown) if policy.cooldown is not None else None,
        "expires": policy.expires,
        "muted": True if policy.muted else None,
        "confirm": policy.confirm,
    }
    for name, value in values.items():
        if value is None:
            if name in table:
                del table[name]
        else:
            table[name] = value


def _level_table(level: Level, table: Table | None = None) -> Table:
    if table is None:
        table = tomlkit.table()
    table["symbol"] = level.symbol
    table["price"] = _number(level.price)
    if level.label or "label" in table:
        table["label"] = level.label
    _set_approach(table, level.approach_pct)
    _set_policy_fields(table, level.policy)
    return table


def _zone_table(zone: Zone, table: Table | None = None) -> Table:
    if table is None:
        table = tomlkit.table()
    table["symbol"] = zone.symbol
    table["low"] = _number(zone.low)
    table["high"] = _number(zone.high)
    if zone.label or "label" in table:
        table["label"] = zone.label
    _set_approach(table, zone.approach_pct)
    return table


def _set_approach(table: Any, approach_pct: float | None) -> None:
    if approach_pct is not None:
        table["approach_pct"] = _number(approach_pct)
    elif "approach_pct" in table:
        del table["approach_pct"]


def _tables(tables: list[Table]) -> AoT:
    """An array of tables laid out like a hand-written one: one blank line after each entry."""
    for table in tables:
        if not table.as_string().endswith("\n\n"):
            table.add(tomlkit.nl())
    return AoT(tables, parsed=True)


def _same_level(table: Any, level: Level) -> bool:
    try:
        return table.get("symbol") == level.symbol and float(table.get("price")) == level.price
    except (TypeError, ValueError):
        return False


def _same_zone(table: Any, zone: Zone) -> bool:
    try:
        return table.get("symbol") == zone.symbol and (float(table.get("low")), float(table.get("high"))) == (zone.low, zone.high)
    except (TypeError, ValueError):
        return False


def _save_entries(path: str | Path, key: str, entries: list, same: Callable[[Any, Any], bool], to_table: Callable[[Any, Table | None], Table]) -> None:
    """Replace the ``[[key]]`` list by ``entries``, keeping the comments of entries that stay
    (an old table is reused for the entry it is ``same`` as)."""

    def change(document: tomlkit.TOMLDocument) -> None:
        old = list(document.get(key, []))
        tables = []
        for entry in entries:
            match = next((t for t in old if isinstance(t, Table) and same(t, entry)), None)
            if match is not None:
                old.remove(match)
            tables.append(to_table(entry, match))
        # An empty list means "none" (an absent key would mean the defaults).
        document[key] = _tables(tables) if tables else []

    _edit(path, change)


def save_levels(path: str | Path, levels: Iterable[Level]) -> None:
    """Replace the ``[[levels]]`` list, keeping the comments of entries that stay."""
    _save_entries(path, "levels", list(levels), _same_level, _level_table)


def save_zones(path: str | Path, zones: Iterable[Zone]) -> None:
    """Replace the ``[[zones]]`` list, keeping the comments of entries that stay."""
    _save_entries(path, "zones", list(zones), _same_zone, _zone_table)


def save_rules(path: str | Path, rules: Rules) -> None:
    """Write ``[rules]``: keys already in the file are updated in place, others are added only
    when they differ from the default."""
    defaults = Rules()

    def change(document: tomlkit.TOMLDocument) -> None:
        if "rules" not in document:
            document["rules"] = tomlkit.table()
        table = document["rules"]
        for item in fields(Rules):
            value = getattr(rules, item.name)
            if item.name in table or value != getattr(defaults, item.name):
                table[item.name] = list(value) if isinstance(value, tuple) else _number(value) if isinstance(value, float) else value

    _edit(path, change)


def save_symbols(path: str | Path, symbols: Iterable[str]) -> None:
    """Replace the watchlist."""

    def change(document: tomlkit.TOMLDocument) -> None:
        document["symbols"] = list(symbols)

    _edit(path, change)


# --------------------------------------------------------------------------------------------
# The effective config as TOML (config show)


def config_to_toml(config: Config, *, hide_secrets: bool = True) -> str:
    """Every setting of ``config`` as TOML (defaults included); secrets redacted."""
    document = tomlkit.document()
    document["symbols"] = list(config.symbols)
    document["levels"] = _tables([_level_table(level) for level in config.levels]) if config.levels else []
    document["zones"] = _tables([_zone_table(zone) for zone in config.zones]) if config.zones else []
    for name in ("rules", "divergence", "relative_strength", "feed", "notify", "ui"):
        section = getattr(config, name)
        table = tomlkit.table()
        for item in fields(section):
            value = getattr(section, item.name)
            if isinstance(value, tuple):
                value = list(value)
            if hide_secrets and isinstance(value, str):
                value = redact(value)  # notify.command, feed.stream_url
            elif hide_secrets and isinstance(value, list):
                value = [redact(v) if isinstance(v, str) else v for v in value]  # notify.urls
            table[item.name] = value
        document[name] = table
    alerts = tomlkit.table(is_super_table=True)
    for rule, policy in config.alerts.items():
        table = tomlkit.table()
        _set_policy_fields(table, policy)
        table["muted"] = policy.muted
        alerts[rule] = table
    document["alerts"] = alerts
    document["futures"] = dict(config.futures)
    return tomlkit.dumps(document)
