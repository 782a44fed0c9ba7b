"""The config schema (monitor.config.SCHEMA) is the one statement of the config's keys: validation,
the typed values, the commented default file and the README's reference all follow it."""

from __future__ import annotations

from dataclasses import fields

import pytest

from monitor.config import SCHEMA, Config, check_config_text
from monitor.settings import NamedTables, Pairs, Table, Tables, flat_settings


def _writable_keys():
    """(TOML text that sets one key to a value of no key's type, its dotted name, its line)."""
    for section in SCHEMA:
        for setting in flat_settings(section.settings):
            if isinstance(section, Table) and not section.name:
                yield f"{setting.key} = {{}}\n", setting.key, 1
            elif isinstance(section, Table):
                yield f"[{section.name}]\n{setting.key} = {{}}\n", f"{section.name}.{setting.key}", 2
            elif isinstance(section, Tables):
                entry = section.default()[0]
                required = "".join(
                    f"{s.key} = {getattr(entry, s.key)!r}\n".replace("'", '"')
                    for s in flat_settings(section.settings) if s.required and s.key != setting.key
                )
                yield f"[[{section.name}]]\n{required}{setting.key} = {{}}\n", f"{section.name}[1].{setting.key}", 2 + required.count("\n")
            elif isinstance(section, NamedTables):
                yield f"[{section.name}.{section.example}]\n{setting.key} = {{}}\n", f"{section.name}.{section.example}.{setting.key}", 2


@pytest.mark.parametrize("text, key, line", list(_writable_keys()), ids=lambda value: value if isinstance(value, str) and "\n" not in value else "")
def test_every_schema_key_is_checked_with_its_converter_at_its_line(text, key, line):
    _, problems = check_config_text(text, "c.toml")
    assert len(problems) == 1 and problems[0].startswith(f"c.toml:{line}: {key}: expected"), problems


def test_the_schema_has_every_kind_of_table_and_config_a_field_for_each():
    assert {type(section) for section in SCHEMA} == {Table, Tables, NamedTables, Pairs}
    names = [s.key for s in SCHEMA[0].settings] + [section.name for section in SCHEMA[1:]]
    assert sorted(names) == sorted(item.name for item in fields(Config) if item.name != "path")


def test_a_required_key_of_an_entry_has_no_default():
    from monitor.config import Level

    with pytest.raises(TypeError):
        Level(symbol="^RUT")  # price is required
    _, problems = check_config_text('[[zones]]\nsymbol = "^RUT"\nhigh = 2\n', "c.toml")
    assert problems == ["c.toml:1: zones[1].low: missing"]
