"""The thresholds dialog names config keys in its own words: each must be a key of the schema,
or the dialog's edit would be refused as an unknown key (or silently read nothing)."""

from __future__ import annotations

from monitor.config import AlertPolicy, Level, Rules, Zone
from monitor.settings import flat_settings
from monitor.tui.widgets.dialogs import LEVELS, POLICY_FIELDS, RULE_FIELDS, RULE_WORDS, ZONES


def _keys(cls: type) -> set[str]:
    return {setting.key for setting in flat_settings(cls.SETTINGS)}


def test_the_dialogs_rule_fields_and_words_are_rules_keys():
    assert {key for key, _ in RULE_FIELDS} <= _keys(Rules)
    assert set(RULE_WORDS) <= _keys(Rules)


def test_the_dialogs_level_and_zone_fields_are_keys_of_their_entries():
    assert {key for key, _ in POLICY_FIELDS} <= _keys(AlertPolicy)
    assert {field[0] for field in LEVELS.fields} <= _keys(Level)
    assert {field[0] for field in ZONES.fields} <= _keys(Zone)
