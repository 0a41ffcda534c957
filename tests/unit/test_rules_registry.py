"""The rule registry (kitchencam/rules/): every check a profile may name is registered once, in
its family module, documented, and loaded only when an audit needs it.

A check's registration (``@register(name, evidence=..., needs=..., allows=...)``) is its one
declaration: the profile validation reads it. Every field it declares must exist on
``kitchencam.profile.Rule`` (the profile's YAML schema), and the reference pages
(docs/reference/rules.md, profile-format.md) must name the same checks with the same kinds and
parameters; a new check missing from one of them fails here, naming it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kitchencam.profile import Rule, validate_profile
from kitchencam.rules import registry
from kitchencam.rules.registry import FAMILIES, check_for, checks, register, spec_for, specs

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


def _profile_format_rows() -> dict[str, tuple[set[str], set[str], set[str]]]:
    """The parameters-by-check table in profile-format.md: check -> (kinds, required, optional),
    the parameters being the backticked words of a cell that are Rule fields (the others are
    example values: `H265`, `main`)."""
    text = PROFILE_FORMAT_MD.read_text(encoding="utf-8")
    table = text.split("| `check` | kinds |", 1)[1].split("\n\n", 1)[0]
    fields = set(Rule.model_fields)

    def params(cell: str) -> set[str]:
        return {word for word in re.findall(r"`([a-z_]+)`", cell) if word in fields}

    rows = {}
    for row in _table_rows(table):
        if len(row) >= 4 and (m := re.fullmatch(r"`([a-z_]+)`", row[0])):
            kinds = {k.strip() for k in row[1].split(",") if k.strip()}
            rows[m.group(1)] = (kinds, params(row[2]), params(row[3]))
    return rows


def test_every_field_a_registration_declares_is_a_parameter_field_of_rule():
    common = {"id", "check", "title", "title_vi", "short", "short_vi", "letter", "why", "severity", "kind", "clause",
              "clause_vi"}
    parameters = set(Rule.model_fields) - common
    kinds = {"device", "catalogue", "manual", "site"}
    for name, spec in specs().items():
        assert spec.parameters <= parameters, f"check {name}: no field {sorted(spec.parameters - parameters)} on Rule"
        assert spec.evidence <= kinds, f"check {name}: unknown evidence kinds {sorted(spec.evidence - kinds)}"
    used: set[str] = set().union(*(spec.parameters for spec in specs().values()))
    assert parameters <= used, f"Rule fields no check takes: {sorted(parameters - used)}"


def test_profile_validation_reads_the_registration(tmp_path):
    """A kind or a parameter the registration does not name is refused; one it names is taken."""
    head = ("id: t\ntitle: T\ntitle_vi: T\nsource: {number: '1/X', date: 2024-10-28, issuer: Test}\n"
            "deadline: 2024-11-15\nstreams:\n  main: {codec: H265, width: 1920, height: 1080, fps: 25, "
            "bitrate_kbps_max: 2048}\nrules:\n  - {id: tz, check: timezone, title: x, title_vi: x, ")
    good = tmp_path / "good.yaml"
    good.write_text(head + "kind: device, timezone_offset_minutes: 420, allow_dst: false}\n", encoding="utf-8")
    assert validate_profile(good) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(head + "kind: site, allow_dst: false, ir_range_m: 30}\n", encoding="utf-8")
    problems = "\n".join(validate_profile(bad))
    assert "check timezone takes its evidence from device, not site." in problems
    assert "check timezone needs the parameter timezone_offset_minutes." in problems
    assert "check timezone does not use ir_range_m (it takes: allow_dst, timezone_offset_minutes)." in problems
    spec = spec_for("timezone")
    assert spec is not None
    assert spec.needs == {"timezone_offset_minutes"}
    assert spec_for("fog_lamp") is None


def test_every_registered_check_has_a_row_in_rules_md_and_every_row_a_check():
    documented = _documented_in_rules_md()
    registered = set(checks())
    assert not registered - documented, f"add a row to docs/reference/rules.md for {sorted(registered - documented)}"
    stale = sorted(documented - registered)
    assert not stale, f"rules.md names checks that are not registered: {stale}"


def test_every_registered_check_has_its_kinds_and_parameters_in_profile_format_md():
    documented = _profile_format_rows()
    registered = specs()
    assert set(documented) == set(registered), (sorted(set(registered) - set(documented)),
                                                sorted(set(documented) - set(registered)))
    for name, spec in registered.items():
        kinds, required, optional = documented[name]
        assert (kinds, required, optional) == (set(spec.evidence), set(spec.needs), set(spec.allows)), (
            f"profile-format.md's row for {name} says kinds {sorted(kinds)}, required {sorted(required)}, "
            f"optional {sorted(optional)}; the registration says {sorted(spec.evidence)}, "
            f"{sorted(spec.needs)}, {sorted(spec.allows)}")


@pytest.mark.parametrize("name", sorted(checks()))
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
        register("ntp", evidence={"device"})(impostor)
    assert check_for("ntp") is first
    # registering the same function again (a module imported twice) is harmless
    assert register("ntp", evidence={"device"})(first) is first


def test_a_registration_without_evidence_or_with_a_field_both_needed_and_allowed_is_refused():
    with pytest.raises(ValueError, match="names no evidence kind"):
        register("fog_lamp", evidence=())
    with pytest.raises(ValueError, match="both needed and allowed"):
        register("fog_lamp", evidence={"device"}, needs={"stream"}, allows={"stream"})


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
        "import kitchencam.rules.engine\n"
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
