"""The rule registry (kitchencam/rules/): every check a profile may name is registered once, in
its family module, documented, and loaded only when an audit needs it.

The registry, the profile schema (``kitchencam.profile.CHECKS`` and the ``CheckName`` a rule's
``check:`` must be) and the reference pages (docs/reference/rules.md, profile-format.md) name
the same checks; a new check missing from one of them fails here, naming it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from kitchencam.profile import CHECKS, CheckName, validate_profile
from kitchencam.rules import registry
from kitchencam.rules.registry import FAMILIES, check_for, checks, register

ROOT = Path(__file__).resolve().parents[2]
RULES_MD = ROOT / "docs" / "reference" / "rules.md"
PROFILE_FORMAT_MD = ROOT / "docs" / "reference" / "profile-format.md"
BROKEN = ROOT / "tests" / "data" / "profiles" / "broken"


def _table_rows(text: str) -> list[list[str]]:
    """The cells of every markdown table row (header and separator rows included)."""
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|")]


def _documented_in_rules_md() -> set[str]:
    """The `check` column of the rule tables in rules.md (rows whose second cell is `name`)."""
    rows = _table_rows(RULES_MD.read_text(encoding="utf-8"))
    header = next(r for r in rows if r[:2] == ["id", "check"])
    assert header, "rules.md has no rule table with columns id | check"
    return {m.group(1) for r in rows if len(r) >= 2 and (m := re.fullmatch(r"`([a-z_]+)`", r[1]))
            and r[0] != "status"}


def _documented_in_profile_format_md() -> set[str]:
    """The first column of the parameters-by-check table in profile-format.md."""
    text = PROFILE_FORMAT_MD.read_text(encoding="utf-8")
    table = text.split("| `check` | kinds |", 1)[1].split("\n\n", 1)[0]
    return {m.group(1) for r in _table_rows(table) if (m := re.fullmatch(r"`([a-z_]+)`", r[0]))}


def test_every_check_name_of_the_profile_schema_is_registered_and_nothing_else():
    registered = set(checks())
    assert registered == set(CHECKS), (
        f"registered but not in profile.CHECKS: {sorted(registered - set(CHECKS))}; "
        f"in profile.CHECKS but not registered: {sorted(set(CHECKS) - registered)}")
    assert registered == set(typing.get_args(CheckName))


def test_every_registered_check_has_a_row_in_rules_md_and_every_row_a_check():
    documented = _documented_in_rules_md()
    registered = set(checks())
    assert not registered - documented, f"add a row to docs/reference/rules.md for {sorted(registered - documented)}"
    stale = sorted(documented - registered)
    assert not stale, f"rules.md names checks that are not registered: {stale}"


def test_every_registered_check_has_its_parameters_in_profile_format_md():
    documented = _documented_in_profile_format_md()
    registered = set(checks())
    assert documented == registered, (sorted(registered - documented), sorted(documented - registered))


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_check_lives_in_a_family_and_says_what_it_finds_why_and_an_example(name):
    func = check_for(name)
    family = func.__module__.rpartition(".")[2]
    assert family in FAMILIES, func.__module__
    assert func.__name__ == f"check_{name}"
    doc = func.__doc__ or ""
    assert doc.strip(), f"check {name} has no docstring"
    assert "Why:" in doc, f"check {name}: say why it matters (the letter's words or the regulation)"
    assert "Example:" in doc, f"check {name}: give an example"


def test_a_check_name_registered_twice_is_refused():
    first = check_for("ntp")

    def impostor(ctx, rule):  # pragma: no cover - never called
        raise AssertionError

    with pytest.raises(ValueError, match="'ntp' is registered twice"):
        register("ntp")(impostor)
    assert check_for("ntp") is first
    # registering the same function again (a module imported twice) is harmless
    assert register("ntp")(first) is first


def test_an_unknown_check_in_a_profile_names_the_file_the_rule_and_every_known_check():
    path = BROKEN / "10-unknown-check.yaml"
    [problem] = validate_profile(path)
    assert problem.startswith(f"{path}:10: rules.0.check:"), problem
    for name in checks():
        assert f"'{name}'" in problem, f"{name} missing from: {problem}"


def test_the_families_load_only_when_an_audit_needs_them():
    families = [f"kitchencam.rules.{f}" for f in FAMILIES]
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from kitchencam.cli import app\n"
        "import kitchencam.rules\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        f"families = {families!r}\n"
        "loaded = [m for m in families if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "from kitchencam.rules.registry import checks\n"
        "assert len(checks()) >= 20\n"
        "missing = [m for m in families if m not in sys.modules]\n"
        "assert not missing, missing\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_registry_module_imports_no_family():
    # the families import the registry; the registry finds them by name (no import cycle)
    source = Path(registry.__file__).read_text(encoding="utf-8")
    for family in FAMILIES:
        assert not re.search(rf"^\s*(from|import) kitchencam\.rules\.{family}\b", source, flags=re.M), family
