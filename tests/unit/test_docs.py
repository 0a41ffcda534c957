"""Every command is documented (docs/reference/cli.md), like sqlite-utils' test_docs.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from kitchencam.cli import app

ROOT = Path(__file__).resolve().parents[2]


def command_paths(cmd: Any, prefix: str = "kitchencam") -> list[str]:
    # Typer vendors its own click: test for a group by shape, not by class.
    if hasattr(cmd, "commands"):
        out = []
        for name, sub in cmd.commands.items():
            out += command_paths(sub, f"{prefix} {name}")
        return out
    return [prefix]


def test_every_command_has_a_section_in_cli_reference():
    doc = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^## `([^`]+)`", doc, flags=re.M))
    paths = command_paths(typer.main.get_command(app))
    assert paths, "no commands found"
    missing = [p for p in paths if p not in headings]
    assert not missing, f"undocumented commands: {missing}"
    stale = [h for h in headings if h not in paths and h != "kitchencam"]
    assert not stale, f"documented commands that do not exist: {stale}"


def test_every_option_is_mentioned():
    doc = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## `([^`]+)`\n(.*?)(?=^## `|\Z)", doc, flags=re.M | re.S))

    def walk(cmd: Any, prefix: str) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, f"{prefix} {name}")
            return
        body = sections.get(prefix, "")
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in body, f"{prefix}: option {opt} is not in docs/reference/cli.md"

    walk(typer.main.get_command(app), "kitchencam")
