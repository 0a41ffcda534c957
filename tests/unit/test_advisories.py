"""The advisory catalogue (profiles/advisories/): validated on load, firmware strings compared
robustly, an unreadable one never guessed; and the minutes' security section built from verdicts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kitchencam.advisories import Advisory, load_advisories, parse_firmware
from kitchencam.errors import ConfigError
from kitchencam.report.security import SECURITY_RULES, security_section


def test_the_packaged_catalogue_loads_with_the_kev_entries_and_their_sources():
    catalogue = load_advisories()
    ids = {a.id for a in catalogue.advisories}
    assert {"CVE-2021-36260", "CVE-2021-33044", "CVE-2021-33045"} <= ids
    for adv in catalogue.advisories:
        assert adv.kev
        assert adv.sources
        assert all(s.url.startswith("https://") for s in adv.sources)
        assert adv.verification.strip()
        assert adv.title_vi
        assert adv.fixed_vi


@pytest.mark.parametrize(("text", "version", "build"), [
    ("V5.5.800 build 210628", (5, 5, 800), date(2021, 6, 28)),
    ("V5.7.3 build 220112", (5, 7, 3), date(2022, 1, 12)),
    ("2.840.0000000.28.R, Build Date 2023-06-08", (2, 840, 0, 28), date(2023, 6, 8)),
    ("V2.800.0000000.16.R.210630", (2, 800, 0, 16), date(2021, 6, 30)),
    ("DH_IPC-HX4X2X-Themis_Eng_P_Stream3_V2.620.0000002.0.R.20170830", (2, 620, 2, 0), date(2017, 8, 30)),
    ("build 219999", None, None),  # no such date: not a build date
    ("", None, None),
    ("firmware", None, None),
])
def test_firmware_strings_of_each_vendor_are_read(text, version, build):
    fw = parse_firmware(text)
    assert (fw.version, fw.build) == (version, build)


def test_a_huge_firmware_string_is_cut_before_it_is_read():
    fw = parse_firmware("V" + "9." * 100_000 + "1")
    assert len(fw.text) <= 256


def test_hikvision_36260_affected_review_clear_and_unknown():
    [hik] = [a for a in load_advisories().advisories if a.id == "CVE-2021-36260"]
    assert hik.applies_to("HIKVISION", "DS-2CD2023G2-I")
    assert hik.applies_to("hikvision", "ds-2cd1023g0e-i")
    assert not hik.applies_to("Dahua", "DS-2CD2023G2-I")
    assert not hik.applies_to("HIKVISION", "DS-7608NI-K2")  # a recorder: not in the patterns
    assert hik.judge("V5.5.113 build 210317") == ("affected", None)  # the researcher's tested IPC_G5 firmware
    # Inside the 2016..210628 range nobody could verify against the vendor's table: cannot confirm.
    state, reason = hik.judge("V5.6.3 build 200827")
    assert state == "unconfirmed"
    assert "not verified" in (reason or "")
    assert hik.judge("V5.5.800 build 210628")[0] == "review"
    assert hik.judge("V5.7.3 build 220112") == ("clear", None)
    state, reason = hik.judge("V5.7.3")
    assert state == "unknown"
    assert "build date" in (reason or "")


def test_version_ranges_compare_numbers_not_text():
    adv = Advisory.model_validate({
        "id": "CVE-2099-0001", "vendor": "X", "title": "t", "title_vi": "t", "models": ["*"],
        "affected": [{"version_from": "5.4", "version_before": "5.10.2", "verified": True, "basis": "test"}],
        "fixed": "5.10.2", "fixed_vi": "5.10.2",
        "verification": "test", "sources": [{"title": "s", "url": "https://example.org/a"}]})
    assert adv.judge("V5.9.99 build 200101")[0] == "affected"  # 9 < 10 as numbers, not as text
    assert adv.judge("V5.10.2")[0] == "clear"
    assert adv.judge("V5.4 build 190101")[0] == "affected"  # 5.4 == 5.4.0
    assert adv.judge("V5.3.9")[0] == "clear"
    assert adv.judge("no version here")[0] == "unknown"


def test_a_broken_advisory_file_names_the_file_and_key(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text(
        "id: CVE-2021-36260\nvendor: HIKVISION\ntitle: t\ntitle_vi: t\nmodels: ['DS-*']\n"
        "affected:\n  - {build_before: 2021-06-28, build_from: 2022-01-01}\nfixed: f\nfixed_vi: f\n"
        "verification: v\nsources: [{title: s, url: 'http://not-https.example'}]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_advisories(tmp_path)
    assert "bad.yaml" in err.value.message


def test_an_advisory_without_bounds_is_refused(tmp_path: Path):
    (tmp_path / "open.yaml").write_text(
        "id: CVE-2021-36260\nvendor: HIKVISION\ntitle: t\ntitle_vi: t\nmodels: ['DS-*']\naffected: [{}]\n"
        "fixed: f\nfixed_vi: f\nverification: v\nsources: [{title: s, url: 'https://a.example'}]\n",
        encoding="utf-8")
    with pytest.raises(ConfigError):
        load_advisories(tmp_path)


def _verdict(rule: str, status: str, seen: str, detail: str) -> dict:
    return {"rule": rule, "title": rule, "title_vi": rule, "status": status, "seen": seen, "detail": detail,
            "texts": {"vi": {"seen": seen, "detail": f"vi: {detail}", "required": "r", "source": None},
                      "en": {"seen": seen, "detail": detail, "required": "r", "source": None}}}


def test_the_minutes_security_section_lists_what_was_found_and_what_is_left_in_each_language():
    verdicts = [_verdict("codec", "FAIL", "H264", "not a security rule"),
                _verdict("anonymous-access", "FAIL", "RTSP stream: SERVED (200)", "Turn on authentication."),
                _verdict("https", "PASS", "HTTPS 443 on", ""),
                _verdict("login-lockout", "UNKNOWN", "", "no vendor API answered")]
    en = security_section("en", verdicts)
    assert "QĐ 724" in en.heading
    assert en.table is not None
    rules = [row[0].split("\n")[0] for row in en.table.rows]
    assert rules == ["anonymous-access", "login-lockout"]  # PASS and non-security rules left out
    assert "Turn on authentication." in en.table.rows[0][2]
    assert "Not known yet" in en.table.rows[1][2]
    vi = security_section("vi", verdicts)
    assert vi.heading != en.heading
    assert vi.table is not None
    assert vi.table.rows[0][2] == "vi: Turn on authentication."
    assert set(SECURITY_RULES) >= {"anonymous-access", "https", "login-lockout"}


def test_the_security_section_lists_the_rules_checked_by_their_names_in_each_language():
    """Issue 17: "Đã kiểm tra: password-strength, login-lockout, ..." was rule ids in the Vietnamese minutes."""
    from kitchencam.profile import load_profile
    from kitchencam.report.build import rule_names

    verdicts = [_verdict("anonymous-access", "PASS", "", ""), _verdict("https", "PASS", "HTTPS 443 on", ""),
                _verdict("login-lockout", "UNKNOWN", "", "no vendor API answered")]
    profile = load_profile("thanhtri-2024")
    vi = security_section("vi", verdicts, names=rule_names(verdicts, profile, "vi"))
    assert vi.paragraphs[0] == "Đã kiểm tra: truy cập không mật khẩu, HTTPS/telnet, khóa đăng nhập."
    en = security_section("en", verdicts, names=rule_names(verdicts, profile, "en"))
    assert en.paragraphs[0] == "Checked: access without password, HTTPS/telnet, login lockout."


def test_a_check_without_security_rules_says_so():
    part = security_section("en", [_verdict("codec", "PASS", "H265", "")])
    assert part.table is None
    assert "did not include the security rules" in part.paragraphs[0]


def test_every_packaged_range_says_whether_it_is_verified_and_a_verified_one_names_its_basis():
    for adv in load_advisories().advisories:
        for r in adv.affected:
            assert r.verified is False or (r.basis or "").strip()


def test_dahua_ranges_follow_the_cve_records_build_times_and_lines():
    by_id = {a.id: a for a in load_advisories().advisories}
    d44, d45 = by_id["CVE-2021-33044"], by_id["CVE-2021-33045"]
    assert d44.applies_to("Dahua", "IPC-HFW3441E-AS")
    assert d44.applies_to("Dahua", "IPC-HDBW5442R-ASE")
    assert d44.applies_to("Dahua", "SD49225XA-HNR")  # a PTZ line the record names
    assert not d44.applies_to("Dahua", "IPC-HFW2241S-S-0360B")  # the 2-series is not in the record
    assert not d45.applies_to("Dahua", "SD49225XA-HNR")  # 33045 names no PTZ
    assert d44.judge("V2.800.0000000.16.R.210530")[0] == "affected"  # built May 2021: before June 2021
    assert d44.judge("V2.800.0000000.16.R.210601")[0] == "clear"
    assert d45.judge("2.800.0000000.8.R, Build Date 2020-04-30")[0] == "affected"
    assert d45.judge("2.800.0000000.8.R, Build Date 2020-05-01")[0] == "clear"


def test_an_unverified_range_never_fails(tmp_path: Path):
    (tmp_path / "guess.yaml").write_text(
        "id: CVE-2099-0002\nvendor: X\ntitle: t\ntitle_vi: t\nmodels: ['*']\n"
        "affected: [{build_before: 2021-06-28}]\nfixed: f\nfixed_vi: f\nverification: v\n"
        "sources: [{title: s, url: 'https://a.example'}]\n", encoding="utf-8")
    [adv] = load_advisories(tmp_path).advisories
    assert adv.judge("V1.0 build 200101")[0] == "unconfirmed"


def test_a_verified_range_without_its_basis_is_refused(tmp_path: Path):
    (tmp_path / "bare.yaml").write_text(
        "id: CVE-2099-0003\nvendor: X\ntitle: t\ntitle_vi: t\nmodels: ['*']\n"
        "affected: [{build_before: 2021-06-28, verified: true}]\nfixed: f\nfixed_vi: f\nverification: v\n"
        "sources: [{title: s, url: 'https://a.example'}]\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_advisories(tmp_path)
