"""Profiles, the model catalogue and attestations: loading, validation messages, matching."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kitchencam.errors import ConfigError, UsageError
from kitchencam.profile import (
    CATALOGUE_FACTS,
    PROFILES_DIR,
    list_profiles,
    load_attestations,
    load_catalogue,
    load_profile,
    parse_attestations,
    validate_profile,
)
from kitchencam.rules.registry import checks

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "data" / "profiles" / "broken"
NOW = datetime(2024, 11, 12, 2, 30, tzinfo=timezone.utc)

# file -> every problem expected, as (line, words that must appear). Line None: the file as a whole.
EXPECTED: dict[str, list[tuple[int | None, str]]] = {
    "01-misspelt-param.yaml": [(14, "rules.0.min_resolutoin: unknown key (misspelt?)")],
    "02-unknown-kind.yaml": [(11, "rules.0.kind: Input should be 'device', 'catalogue', 'manual' or 'site'")],
    "03-duplicate-id.yaml": [(10, "rules.1.id: duplicate rule id 'clock' (first used by rules.0)")],
    "04-unknown-fact.yaml": [(14, "rules.0.fact: the model catalogue has no fact 'starlite'")],
    "05-missing-param.yaml": [(9, "rules.0: check lens needs the parameter lens_mm.")],
    "06-wrong-kind.yaml": [(11, "rules.0.kind: check lens takes its evidence from catalogue, not device.")],
    "07-bad-yaml.yaml": [(11, "not valid YAML (mapping values are not allowed here)")],
    "08-missing-title-vi.yaml": [(9, "rules.0.title_vi: required, but missing")],
    "09-bad-resolution.yaml": [(14, "rules.0.min_resolution: expected WIDTHxHEIGHT such as 1920x1080, got")],
    "10-unknown-check.yaml": [(10, "rules.0.check: Input should be 'resolution', 'codec'")],
    "11-bad-rule-id.yaml": [(9, "rules.0.id: rule ids are lowercase words joined by hyphens")],
    "12-bad-capability-and-stray-param.yaml": [
        (16, "rules.0.lens_mm: check platform does not use lens_mm (it takes: platform_features)."),
        (15, "rules.0.platform_features.0.capability: expected one of ddns, p2p-cloud, outbound-registration, vms"),
    ],
    "13-bad-date.yaml": [(4, "source.date: Input should be a valid date"), (1, "deadline: required, but missing")],
    "14-no-rules.yaml": [(8, "rules: List should have at least 1 item")],
    "15-deadline-and-stream.yaml": [
        (5, "deadline: the deadline 2024-10-01 is before the letter's date 2024-10-28."),
        (6, "streams: expected a `main` stream target."),
        (9, "rules.0.stream: no stream target called 'main'"),
    ],
    "16-not-a-mapping.yaml": [(None, "expected a mapping of keys at the top level.")],
    # The quote opened on line 2 runs to line 4's first quote, where PyYAML stops: line 2 is named.
    "17-unclosed-quote.yaml": [(2, "a quote opened on this line is never closed; noticed on line 4")],
}


def test_every_broken_profile_is_covered():
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_profile_messages(name):
    path = BROKEN / name
    problems = validate_profile(path)
    assert len(problems) == len(EXPECTED[name]), problems
    for (line, words), problem in zip(EXPECTED[name], problems, strict=True):
        where = f"{path}:{line}:" if line else f"{path}:"
        assert problem.startswith(where), problem
        assert words in problem, problem
    # Loading it raises one ConfigError carrying the same lines: never a traceback.
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    assert info.value.message.splitlines() == problems


def test_packaged_profile_is_valid_and_complete():
    assert validate_profile("thanhtri-2024") == []
    profile = load_profile("thanhtri-2024")
    ids = [r.id for r in profile.rules]
    assert ids == ["resolution", "codec", "lens", "ir", "starlight", "wdr", "onvif", "ip67", "platform", "series",
                   "main-stream", "clock", "ntp", "timezone", "default-credentials", "password-strength",
                   "login-lockout", "anonymous-access", "extra-admins", "https", "known-vulnerabilities",
                   "cloud-exposure", "privacy-notice", "uplink", "power",
                   "centre-registration", "installed-by-deadline"]
    assert profile.source.number == "1115/GD&ĐT"
    assert str(profile.deadline) == "2024-11-15"
    assert profile.main_stream.describe() == "H265 1920x1080 25 fps 1024-2048 kbit/s"
    letter = (ROOT.parent / "shared" / "seed").glob("000_*.txt")
    text = next(letter, None)
    if text is not None:  # the letter's words are kept verbatim
        seed = " ".join(text.read_text(encoding="utf-8").replace("**", "").split())
        for rule in profile.rules:
            if rule.letter:
                assert " ".join(rule.letter.split()) in seed, rule.id
    # Every rule id is documented.
    rules_doc = (ROOT / "docs" / "reference" / "rules.md").read_text(encoding="utf-8")
    for rule_id in ids:
        assert f"`{rule_id}`" in rules_doc, rule_id
    for check in checks():
        assert f"`{check}`" in (ROOT / "docs" / "reference" / "profile-format.md").read_text(encoding="utf-8")


def test_load_profile_by_path_and_unknown_name(tmp_path):
    copy = tmp_path / "mine.yaml"
    shutil.copy(PROFILES_DIR / "thanhtri-2024.yaml", copy)
    assert load_profile(copy).id == "thanhtri-2024"
    assert load_profile(str(copy)).id == "thanhtri-2024"
    with pytest.raises(ConfigError, match=r"No profile 'classroom-2030'.*thanhtri-2024"):
        load_profile("classroom-2030")


def test_list_profiles():
    (summary,) = [p for p in list_profiles() if p.id == "thanhtri-2024"]
    assert summary.letter == "1115/GD&ĐT, 2024-10-28"
    assert summary.rules == 27
    assert summary.packaged
    assert (summary.source, summary.overrides) == ("packaged", False)
    assert Path(summary.path) == PROFILES_DIR / "thanhtri-2024.yaml"


def test_packaged_profiles_are_the_top_level_folder():
    # profiles/ at the repository's top level is what the (editable) install maps into the package.
    assert PROFILES_DIR.resolve() == (ROOT / "profiles").resolve()
    assert (PROFILES_DIR / "models").is_dir()
    assert not (ROOT / "kitchencam" / "profiles").exists()


def _user_profile(folder: Path, file_id: str, profile_id: str, title: str) -> Path:
    """A copy of the packaged profile, re-titled and re-numbered, saved as ``folder/<file_id>.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (PROFILES_DIR / "thanhtri-2024.yaml").read_text(encoding="utf-8")
    assert text.count("id: thanhtri-2024\n") == 1
    assert "\ntitle: " in text
    text = text.replace("id: thanhtri-2024\n", f"id: {profile_id}\n", 1)
    text = re.sub(r"(?m)^title: .*$", f"title: {title}", text, count=1)
    path = folder / f"{file_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_folder_profile_is_listed_with_its_source_and_found_by_id(isolated, run):
    user_dir = isolated / "config" / "profiles"  # KITCHENCAM_CONFIG_DIR (tests/conftest.py) + profiles
    path = _user_profile(user_dir, "classroom-2030", "classroom-2030", "Classrooms 2030")

    by_id = {p.id: p for p in list_profiles()}
    assert (by_id["classroom-2030"].source, by_id["classroom-2030"].packaged) == ("user", False)
    assert by_id["classroom-2030"].path == str(path)
    assert not by_id["classroom-2030"].overrides
    assert by_id["thanhtri-2024"].source == "packaged"
    assert load_profile("classroom-2030").title == "Classrooms 2030"

    code, doc = run.json("profile", "list")
    assert code == 0
    rows = {p["id"]: p for p in doc["data"]["profiles"]}
    assert (rows["classroom-2030"]["source"], rows["classroom-2030"]["overrides"]) == ("user", False)
    assert (rows["thanhtri-2024"]["source"], rows["thanhtri-2024"]["packaged"]) == ("packaged", True)

    text = run("profile", "list", env={"COLUMNS": "200"}).stdout
    line = next(row for row in text.splitlines() if "classroom-2030" in row)
    assert "user folder" in line
    assert "overrides" not in line
    assert "packaged" in next(row for row in text.splitlines() if "thanhtri-2024" in row)


def test_a_user_profile_with_a_packaged_id_overrides_it(isolated, run):
    user_dir = isolated / "config" / "profiles"
    path = _user_profile(user_dir, "thanhtri-2024", "thanhtri-2024", "Our own Thanh Tri")

    (summary,) = [p for p in list_profiles() if p.id == "thanhtri-2024"]  # one row per id: the one used
    assert (summary.source, summary.overrides, summary.path) == ("user", True, str(path))
    assert load_profile("thanhtri-2024").title == "Our own Thanh Tri"
    assert run.json("profile", "show", "thanhtri-2024")[1]["data"]["title"] == "Our own Thanh Tri"

    text = run("profile", "list", env={"COLUMNS": "200"}).stdout
    assert "user folder, overrides the packaged one" in text


def test_a_user_profile_named_unlike_its_id_is_refused(isolated):
    _user_profile(isolated / "config" / "profiles", "mine", "classroom-2030", "Classrooms")
    with pytest.raises(ConfigError, match=r"mine\.yaml: the profile's id is 'classroom-2030'.*classroom-2030\.yaml"):
        list_profiles()


def test_an_unknown_name_says_where_profiles_are_looked_for(isolated):
    with pytest.raises(ConfigError) as info:
        load_profile("classroom-2030")
    assert str(isolated / "config" / "profiles") in info.value.message


def test_catalogue_has_the_real_models_each_fact_sourced():
    catalogue = load_catalogue()
    models = {m.model for m in catalogue.models}
    assert {"IPC-HFW2241S-S", "IPC-HFW2231S-S-S2", "DS-2CD1023G0E-I", "DS-2CD2023G2-I", "IPC-720P-H264"} <= models
    for entry in catalogue.models:
        for name in CATALOGUE_FACTS:
            fact = getattr(entry.facts, name)
            if fact is not None:
                assert fact.source in entry.sources, (entry.model, name)
    assert load_catalogue() is catalogue  # read once per process


def test_catalogue_notes_and_titles_are_given_in_vietnamese_and_english():
    """The minutes quote datasheet notes and source titles in their own language (issue 17)."""
    from kitchencam.profile import Localized

    texts = []
    for entry in load_catalogue().models:
        texts += [t for src in entry.sources.values() for t in (src.title, src.note) if t is not None]
        texts += [s.note for s in entry.skus if s.note is not None]
        texts += [f.note for name in CATALOGUE_FACTS if (f := getattr(entry.facts, name)) is not None and f.note]
    assert len(texts) > 20
    for text in texts:
        assert isinstance(text, Localized), text
        assert text.vi != text.en
    defaults = [k for rule in load_profile("thanhtri-2024").rules for k in rule.known_defaults or []]
    assert defaults
    for known in defaults:
        assert known.note_vi
        assert known.note_vi != known.note


def test_a_plain_string_note_still_loads_and_says_itself_in_any_language(tmp_path):
    from kitchencam.i18n import speaking
    from kitchencam.profile import said

    (tmp_path / "x.yaml").write_text(
        "model: X-1\nmanufacturer: X\nsources:\n  ds: {title: X datasheet}\nfacts:\n"
        "  ir_range_m: {value: 30, source: ds, note: label says 30 m}\n"
        "  ip_rating: {value: IP67, source: ds, note: {vi: theo nhãn, en: from the label}}\n", encoding="utf-8")
    entry = load_catalogue(tmp_path).models[0]
    assert entry.facts.ir_range_m is not None
    assert entry.facts.ip_rating is not None
    for lang in ("vi", "en"):
        with speaking(lang):
            assert said(entry.facts.ir_range_m.note) == "label says 30 m"
            assert entry.source_text("ds") == "X datasheet"
            assert said(entry.facts.ip_rating.note) == ("theo nhãn" if lang == "vi" else "from the label")


@pytest.mark.parametrize(("device_model", "model", "how", "lens"), [
    ("IPC-HFW2241S-S-0360B", "IPC-HFW2241S-S", "sku", [3.6]),
    ("IPC-HFW2241S-S-0280B", "IPC-HFW2241S-S", "sku", [2.8]),
    ("DH-IPC-HFW2241S-S-0360B", "IPC-HFW2241S-S", "sku", [3.6]),
    ("IPC-HFW2241S-S", "IPC-HFW2241S-S", "exact", [2.8, 3.6]),
    ("ipc-hfw2241s-s-0600b", "IPC-HFW2241S-S", "prefix", [2.8, 3.6]),
    ("IPC-HFW2231S-S-0360B-S2", "IPC-HFW2231S-S-S2", "sku", [3.6]),
    ("DS-2CD1023G0E-I", "DS-2CD1023G0E-I", "exact", [2.8, 4.0]),
    ("DS-2CD1023G0E-I(2.8mm)", "DS-2CD1023G0E-I", "sku", [2.8]),
    ("DS-2CD2023G2-I", "DS-2CD2023G2-I", "exact", [2.8, 4.0, 6.0]),
])
def test_model_matching(device_model, model, how, lens):
    match = load_catalogue().match(device_model)
    assert match is not None
    assert (match.entry.model, match.how, match.lens_options) == (model, how, lens)


@pytest.mark.parametrize("device_model", ["", None, "XYZ-CAM-9000", "IPC-HFW2241S-SX", "DS-2CD1023"])
def test_model_not_matched(device_model):
    assert load_catalogue().match(device_model) is None


def test_broken_catalogue_entry(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "model: X-1\nmanufacturer: X\nsources:\n  ds: {title: X datasheet}\nfacts:\n"
        "  ir_range_m: {value: 30, source: datsheet}\n  wdr: {value: maybe, source: ds}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalogue(tmp_path)
    assert f"{tmp_path / 'bad.yaml'}:7: facts.wdr.value: Input should be 'true', 'digital' or 'none'" \
        in info.value.message
    (tmp_path / "bad.yaml").write_text(
        "model: X-1\nmanufacturer: X\nsources:\n  ds: {title: X datasheet}\nfacts:\n"
        "  ir_range_m: {value: 30, source: datsheet}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml:6: facts.ir_range_m.source: source 'datsheet' is not listed"):
        load_catalogue(tmp_path)


# --- attestations ------------------------------------------------------------------------------------


def test_parse_attestations_records_name_and_time():
    profile = load_profile("thanhtri-2024")
    atts = parse_attestations(["power=yes", "lens=không"], "Nguyễn Văn An", NOW, profile=profile)
    assert [(a.rule, a.answer, a.by, a.at, a.origin) for a in atts] == [
        ("power", True, "Nguyễn Văn An", NOW, "command-line"), ("lens", False, "Nguyễn Văn An", NOW, "command-line")]
    assert parse_attestations([], None, NOW) == []


@pytest.mark.parametrize(("pairs", "by", "message"), [
    (["power=yes"], None, "--attest needs --by NAME"),
    (["power=yes"], "  ", "--attest needs --by NAME"),
    (["power"], "An", "expected RULE=yes or RULE=no"),
    (["power=maybe"], "An", "expected RULE=yes or RULE=no"),
    (["fog=yes"], "An", "the profile thanhtri-2024 has no such rule"),
])
def test_parse_attestations_errors(pairs, by, message):
    with pytest.raises(UsageError, match=message):
        parse_attestations(pairs, by, NOW, profile=load_profile("thanhtri-2024"))


def test_attestation_file(tmp_path):
    path = tmp_path / "attest.yaml"
    path.write_text(
        "by: Nguyễn Văn An\n"
        "at: 2024-11-12T09:30:00+07:00\n"
        "answers:\n"
        "  power: yes\n"
        "  lens:\n"
        "    answer: yes\n"
        "    note: label reads 3.6mm\n"
        "    by: Trần Thị Bình\n", encoding="utf-8")
    atts = load_attestations(path, now=NOW, profile=load_profile("thanhtri-2024"))
    by_rule = {a.rule: a for a in atts}
    assert by_rule["power"].by == "Nguyễn Văn An"
    assert by_rule["power"].answer is True
    assert by_rule["power"].at.isoformat() == "2024-11-12T09:30:00+07:00"
    assert by_rule["lens"].by == "Trần Thị Bình"
    assert by_rule["lens"].note == "label reads 3.6mm"
    assert {a.origin for a in atts} == {"file"}


def test_attestation_file_errors_name_the_line(tmp_path):
    path = tmp_path / "attest.yaml"
    path.write_text("answers:\n  power: yes\n  fog: no\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_attestations(path, now=NOW, profile=load_profile("thanhtri-2024"))
    lines = info.value.message.splitlines()
    assert lines[0].startswith(f"{path}:2: answers.power: who attested it?")
    assert lines[1].startswith(f"{path}:3: answers.fog: the profile thanhtri-2024 has no such rule")
    path.write_text("by: An\nanswers:\n  power: perhaps\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"attest.yaml:3: answers.power"):
        load_attestations(path, now=NOW)
