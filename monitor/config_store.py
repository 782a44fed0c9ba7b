"""Writing the config file: the commented default, atomic edits that keep the user's comments.

Every write goes to a temporary file in the same folder, is fsynced, validated, and only then
renamed over the old file, so a crash or a full disk leaves the previous valid config in place.
Edits go through tomlkit so the user's comments, ordering and formatting survive.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterable

import tomlkit
from tomlkit.items import AoT, Table

from monitor.config import SCHEMA, SECTIONS, Config, Level, Rules, Zone, check_config_text, read_config_text
from monitor.errors import UserError
from monitor.redact import redact
from monitor import settings
from monitor.settings import Setting, default_file_text, entry_value, flat_settings

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


def _written(setting: Setting, value: Any) -> Any:
    """A typed value as the file writes it: a cooldown's seconds as "15m", a whole float as an
    int, a tuple as a list."""
    if setting.to_toml is not None and value is not None:
        value = setting.to_toml(value)
    if isinstance(value, tuple):
        return list(value)
    return _number(value) if isinstance(value, float) else value


def _set_keys(table: Any, value: Any) -> Any:
    """Write ``value`` (a ``settings_class`` instance: an entry, a policy) into a tomlkit table:
    its required keys, and every other key whose value is not the default; a key back at its
    default is removed. The table's other keys and its comments stay."""
    for setting in flat_settings(value.SETTINGS):
        current = entry_value(value, setting)
        if setting.required or current != setting.default:
            table[setting.key] = _written(setting, current)
        elif setting.key in table:
            del table[setting.key]
    return table


def _tables(tables: list[Table]) -> AoT:
    """An array of tables laid out like a hand-written one: one blank line after each entry."""
    for table in tables:
        if not table.as_string().endswith("\n\n"):
            table.add(tomlkit.nl())
    return AoT(tables, parsed=True)


def _same(section: settings.Tables, table: Any, entry: Any) -> bool:
    """Whether the file's ``table`` is ``entry`` (same identity: a level's symbol and price)."""
    try:
        required = {s.key: s.convert(table.get(s.key)) for s in flat_settings(section.settings) if s.required}
        return section.identity(section.cls(**required)) == section.identity(entry)
    except (TypeError, ValueError):
        return False


def _save_entries(path: str | Path, name: str, entries: list) -> None:
    """Replace the ``[[name]]`` list by ``entries``, keeping the comments of entries that stay
    (an old table is reused for the entry it is the same as)."""
    section = SECTIONS[name]

    def change(document: tomlkit.TOMLDocument) -> None:
        old = list(document.get(name, []))
        tables = []
        for entry in entries:
            match = next((t for t in old if isinstance(t, Table) and _same(section, t, entry)), None)
            if match is not None:
                old.remove(match)
            tables.append(_set_keys(tomlkit.table() if match is None else match, entry))
        # An empty list means "none" (an absent key would mean the defaults).
        document[name] = _tables(tables) if tables else []

    _edit(path, change)


def save_levels(path: str | Path, levels: Iterable[Level]) -> None:
    """Replace the ``[[levels]]`` list, keeping the comments of entries that stay."""
    _save_entries(path, "levels", list(levels))


def save_zones(path: str | Path, zones: Iterable[Zone]) -> None:
    """Replace the ``[[zones]]`` list, keeping the comments of entries that stay."""
    _save_entries(path, "zones", list(zones))


def save_rules(path: str | Path, rules: Rules) -> None:
    """Write ``[rules]``: keys already in the file are updated in place, others are added only
    when they differ from the default."""

    def change(document: tomlkit.TOMLDocument) -> None:
        if "rules" not in document:
            document["rules"] = tomlkit.table()
        table = document["rules"]
        for setting in flat_settings(Rules.SETTINGS):
            value = getattr(rules, setting.key)
            if setting.key in table or value != setting.default:
                table[setting.key] = _written(setting, value)

    _edit(path, change)


def save_symbols(path: str | Path, symbols: Iterable[str]) -> None:
    """Replace the watchlist."""

    def change(document: tomlkit.TOMLDocument) -> None:
        document["symbols"] = list(symbols)

    _edit(path, change)


# --------------------------------------------------------------------------------------------
# The effective config as TOML (config show)


def config_to_toml(config: Config, *, hide_secrets: bool = True) -> str:
    """Every setting of ``config`` as TOML, in the schema's order (defaults included; an entry
    or a policy shows the keys it sets); secrets redacted."""
    document = tomlkit.document()
    for section in SCHEMA:
        if isinstance(section, settings.Table):
            table = document if not section.name else tomlkit.table()
            value = config if not section.name else getattr(config, section.name)
            for setting in flat_settings(section.settings):
                shown = _written(setting, getattr(value, setting.key))
                if hide_secrets and isinstance(shown, str):
                    shown = redact(shown)  # notify.command, feed.stream_url
                elif hide_secrets and isinstance(shown, list):
                    shown = [redact(v) if isinstance(v, str) else v for v in shown]  # notify.urls
                table[setting.key] = shown
            if section.name:
                document[section.name] = table
        elif isinstance(section, settings.Tables):
            entries = getattr(config, section.name)
            document[section.name] = _tables([_set_keys(tomlkit.table(), entry) for entry in entries]) if entries else []
        elif isinstance(section, settings.NamedTables):
            tables = tomlkit.table(is_super_table=True)
            for name, value in getattr(config, section.name).items():
                tables[name] = _set_keys(tomlkit.table(), value)
            document[section.name] = tables
        else:
            document[section.name] = dict(getattr(config, section.name))
    return tomlkit.dumps(document)
