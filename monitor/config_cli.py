"""``market-monitor config init|check|show|path``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.config import check_config_text, load_effective_config, read_config_text
from monitor.config_store import CONFIG_MODE, DEFAULT_CONFIG_TEXT, atomic_write_text, config_to_toml
from monitor.errors import UserError
from monitor.paths import config_path, missing_config_error


def run_config_command(args: argparse.Namespace) -> int:
    action = args.config_command
    if action == "init":
        return config_init(_target(args), force=bool(getattr(args, "force", False)))
    if action == "check":
        path = _target(args)
        if not getattr(args, "path", None) and not path.exists():
            if config_path(args.config)[1]:  # named by --config or the environment: a typo
                raise missing_config_error(args.config)
            print(f"{path}: no such file; the defaults are in use, and they are valid ('config init' writes them there)")
            return 0
        return config_check(path)
    if action == "show":
        config = load_effective_config(args.config)
        source = config.path or f"defaults ({config_path(args.config)[0]} does not exist)"
        print(f"# effective config: {source}; secrets shown as ***")
        print(config_to_toml(config), end="")
        return 0
    if action == "path":
        path, explicit = config_path(args.config)
        print(path)
        if not path.exists():
            note = "does not exist" if explicit else "does not exist; the defaults are in use ('config init' creates it)"
            print(f"({note})", file=sys.stderr)
        return 0
    raise UserError(f"unknown config action {action!r}")


def _target(args: argparse.Namespace) -> Path:
    given = getattr(args, "path", None)
    return Path(given).expanduser() if given else config_path(args.config)[0]


def config_init(path: Path, *, force: bool = False) -> int:
    """Write the commented default config (mode 0600); never overwrite without ``force``."""
    if path.exists() and not force:
        raise UserError(f"{path}: already exists (use --force to overwrite it)")
    if path.exists() and path.is_dir():
        raise UserError(f"{path}: is a folder")
    atomic_write_text(path, DEFAULT_CONFIG_TEXT, mode=CONFIG_MODE)
    print(f"wrote {path}")
    return 0


def config_check(path: Path) -> int:
    """Print every problem (``file:line: key: what``) and exit 2; else every warning (a valid
    rule that can never fire) and exit 1; else ``file: ok``."""
    warnings: list[str] = []
    _, problems = check_config_text(read_config_text(path), str(path), warnings)
    for line in problems or warnings:
        print(line)
    if problems:
        return 2
    if warnings:
        return 1
    print(f"{path}: ok")
    return 0
