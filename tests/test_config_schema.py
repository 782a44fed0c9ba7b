"""The config schema (monitor.config.SCHEMA) is the one statement of the config's keys: validation,
the typed values, the commented default file and the README's reference all follow it."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from monitor.config import FEED_KEYS, POLICY_KEYS, RULES, RULES_KEYS, SCHEMA, Config, Level, check_config_text, load_config
from monitor.config_store import DEFAULT_CONFIG_TEXT, config_to_toml, save_levels, save_zones
from monitor.settings import NamedTables, Pairs, Table, Tables, flat_settings, reference_table, toml_value
from monitor.source_catalog import SOURCE_NAMES


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


# --------------------------------------------------------------------------------------------
# The commented default file and the README, generated from the schema

README = Path(__file__).resolve().parent.parent / "README.md"
_KEY_LINE = re.compile(r"^(?:# )?([A-Za-z_]+) = ", re.M)


def _block_of(section) -> str:
    """The paragraph of the default file that shows ``section`` (its comment, header and keys)."""
    if isinstance(section, Table) and not section.name:
        mark = f"{section.settings[0].key} = "
    elif isinstance(section, Tables):
        mark = f"[[{section.name}]]\n"
    elif isinstance(section, NamedTables):
        mark = f"# [{section.name}.{section.example}]\n"
    else:
        mark = f"[{section.name}]\n"
    return next(block for block in DEFAULT_CONFIG_TEXT.split("\n\n") if mark in block)


@pytest.mark.parametrize("section", SCHEMA, ids=lambda section: section.name or "top")
def test_the_default_file_shows_every_key_of_a_table_in_its_paragraph_and_no_other(section):
    shown = _KEY_LINE.findall(_block_of(section))
    keys = [s.key for s in flat_settings(section.settings)]
    if isinstance(section, Pairs):
        assert tomllib.loads(DEFAULT_CONFIG_TEXT)[section.name] == section.default()
        return
    assert sorted(set(shown)) == sorted(keys)


def test_the_default_file_shows_each_key_with_its_default_and_comment():
    lines = DEFAULT_CONFIG_TEXT.splitlines()
    assert 'hysteresis_pct = 0.25     # a level re-arms only after the price moves this % past it' in lines
    assert '# muted = true            # nothing at all' in lines  # a level's key off by default
    assert '# [alerts.level_cross]' in lines
    assert all(len(line) <= 100 for line in lines if not line.startswith(("urls", "desktop_format")))
    for setting in flat_settings(RULES_KEYS + FEED_KEYS):
        assert setting.default_line() in lines


def test_an_entry_key_the_default_entries_do_not_set_is_shown_commented_out_and_one_unset_needs_an_example():
    from monitor.settings import Setting, settings_class, string

    def entries(*extra):
        keys = (Setting("symbol", None, string, "a symbol", required=True), *extra)
        cls = settings_class("Probe", keys, "", __name__)
        return Tables("probes", cls, lambda: (cls("X"),), "symbol", lambda e: (e.symbol,), lambda e: e.symbol)

    lines = entries(Setting("note", "", string, "text", "a note")).default_lines()
    assert lines == ['# note = ""               # a note', "[[probes]]", 'symbol = "X"']
    with pytest.raises(TypeError, match="needs an example"):
        entries(Setting("when", None, string, "text")).default_lines()


def test_the_default_file_parses_to_the_defaults_and_each_key_shown_commented_out_is_valid_there():
    """Uncommented inside its table, a key shown commented out takes the value shown (its example)."""
    assert check_config_text(DEFAULT_CONFIG_TEXT, "c.toml")[1] == []
    entry = '[[levels]]\nsymbol = "^RUT"\nprice = 2500\n'
    for section, head, read in (
        (SCHEMA[1], entry, lambda config: config.levels[0].policy),
        (SCHEMA[-1], "", lambda config: config.alerts["level_cross"]),
    ):
        commented = re.findall(r"^# (\[alerts\.\w+\]|\w+ = .*)$", _block_of(section), re.M)
        config, problems = check_config_text(head + "\n".join(commented) + "\n", "c.toml")
        assert problems == [] and len(commented) >= 5
        assert read(config).muted and read(config).cooldown == 900.0 and read(config).confirm == "close"


def regenerated_readme(readme: str) -> str:
    """``readme`` with its two generated config blocks (the whole default file, the key
    reference) replaced by what the schema generates now."""
    start = readme.index("```toml\n", readme.index("### The whole file, with its defaults")) + len("```toml\n")
    readme = readme[:start] + DEFAULT_CONFIG_TEXT + readme[readme.index("```", start):]
    start = readme.index("| key | accepts |", readme.index("### Every key: what it accepts"))
    return readme[:start] + reference_table(SCHEMA) + readme[readme.index("\n\n", start) + 1:]


UPDATE = "run `python tests/test_config_schema.py` to regenerate it"


def test_the_readme_shows_the_whole_default_file_as_generated():
    readme = README.read_text(encoding="utf-8")
    shown = readme.split("### The whole file, with its defaults", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    diff = "\n".join(difflib.unified_diff(shown.splitlines(), DEFAULT_CONFIG_TEXT.splitlines(), "README", "generated", lineterm=""))
    assert shown == DEFAULT_CONFIG_TEXT, f"the README's copy is not the generated default file ({UPDATE}):\n{diff}"


def test_the_readmes_key_reference_is_the_schemas():
    readme = README.read_text(encoding="utf-8")
    section = readme.split("### Every key: what it accepts", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|")) + "\n"
    assert table == reference_table(SCHEMA), f"the README's key reference is not the generated one ({UPDATE})"
    assert "| `[rules] rsi_overbought` | a number from 0 to 100 | `70` |" in table  # the converter's range
    assert "| `[[levels]] price` | a number above 0 | required |" in table
    assert '| `[feed] source` | one of "yahoo-stream", "yahoo-poll"' in table  # from the source catalog
    names = ", ".join(f'"{name}"' for name in SOURCE_NAMES)
    assert f"| `[feed] source` | one of {names} |" in table


def test_the_readme_names_only_keys_and_tables_the_schema_has_with_their_defaults():
    readme = README.read_text(encoding="utf-8")
    sections = {section.name: section for section in SCHEMA}
    named = re.findall(r"`\[(\w+)\] (\w+)(?: = ([^`]+))?`", readme)
    assert len(named) >= 5
    for table_name, key, value in named:
        setting = {s.key: s for s in flat_settings(sections[table_name].settings)}[key]
        if value:
            assert value == toml_value(setting.default), f"README says [{table_name}] {key} = {value}"
    for table_name in re.findall(r"`\[(\w+)\]`", readme):
        assert table_name in sections and isinstance(sections[table_name], (Table, Pairs, NamedTables))
    for table_name in re.findall(r"`\[\[(\w+)\]\]`", readme):
        assert isinstance(sections[table_name], Tables)
    for rule in re.findall(r"\[alerts\.(\w+)\]", readme):
        assert rule in RULES
    for start, block in ((m.start(), m.group(1)) for m in re.finditer(r"```toml\n(.*?)```", readme, re.S)):
        assert check_config_text(block, f"README.md:{readme[:start].count(chr(10)) + 2}")[1] == []


def test_the_readme_policy_table_has_a_row_per_policy_key():
    section = README.read_text(encoding="utf-8").split("## How often alerts reach you", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \|", section, re.M)
    assert rows == [s.key for s in POLICY_KEYS]


# --------------------------------------------------------------------------------------------
# Writing: the app's saves and `config show` write every key the schema has


def _config_with_every_example() -> Config:
    """The default file with every key shown commented out set (in the first level and zone,
    and in [alerts.level_cross]), every other default changed where a value is easy to give."""
    text = DEFAULT_CONFIG_TEXT
    for section in (SCHEMA[1], SCHEMA[2]):
        examples = re.findall(r"^# (\w+ = .*)$", _block_of(section), re.M)
        header = f"[[{section.name}]]\n"
        text = text.replace(header, header + "\n".join(examples) + "\n", 1)
    head, alerts = text.split("\n# [alerts.", 1)
    text = head + "\n" + re.sub(r"^# (\w+ = .*)$", r"\1", "[alerts." + alerts, flags=re.M)
    text = text.replace("macd = [12, 26, 9]", "macd = [5, 35, 5]").replace('command = ""', 'command = "notify-send"')
    config, problems = check_config_text(text, "c.toml")
    assert problems == [], problems
    return config


def test_config_show_writes_every_key_back_as_the_file_reads_it():
    config = _config_with_every_example()
    assert config.levels[0].policy.cooldown == 900.0 and config.zones[0].approach_pct == 0.5
    assert config.alerts["level_cross"].confirm == "close" and config.rules.macd == (5, 35, 5)
    shown = config_to_toml(config, hide_secrets=False)
    again, problems = check_config_text(shown, "shown.toml")
    assert problems == [] and again == config
    assert 'cooldown = "15m"' in shown  # as the user writes it, not 900.0


def test_saved_levels_and_zones_keep_every_key_and_drop_those_back_at_their_default(tmp_path):
    config = _config_with_every_example()
    path = tmp_path / "config.toml"
    path.write_text("# mine\n", encoding="utf-8")
    save_levels(path, config.levels)
    save_zones(path, config.zones)
    saved = load_config(path)
    assert (saved.levels, saved.zones) == (config.levels, config.zones)
    plain = Level(config.levels[0].symbol, config.levels[0].price)  # its label and policy back at the defaults
    save_levels(path, [plain])
    text = path.read_text(encoding="utf-8")
    assert load_config(path).levels == (plain,)
    level = text.split("[[zones]]")[0]
    assert "cooldown" not in level and "label" not in level and "muted" not in level and "# mine" in level


if __name__ == "__main__":  # regenerate the README's config blocks from the schema
    README.write_text(regenerated_readme(README.read_text(encoding="utf-8")), encoding="utf-8")
