"""The minutes as data (report/build.py): what each camera is missing, the verdict each rule shows,
the parties, times and numbers, where the files go; and the store's side of it (migration 7)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from kitchencam import store as store_module
from kitchencam.errors import KitchencamError
from kitchencam.profile import load_profile
from kitchencam.report import build_report, output_paths
from kitchencam.report.build import local_time, number
from kitchencam.store import CheckRecord, Store
from tests.report_store import CAMERAS, SECRET_PASSWORD, SECRET_TOKEN, fill, fixed_clock, report_input


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "store.db") as opened:
        fill(opened)
        yield opened


def test_each_camera_says_what_is_missing(store: Store):
    report = build_report(store, report_input("en"))
    missing = {m.serial: m.stages for m in report.missing}
    assert missing == {
        CAMERAS[0]["serial"]: [],
        CAMERAS[1]["serial"]: ["snapshot", "registration"],  # the picture failed, the centre refused it
        CAMERAS[2]["serial"]: ["inventory", "provision", "snapshot", "rtsp", "registration"],
    }
    assert report.site_missing == []
    third = report.cameras[2]
    texts = {part.heading: part for part in third.parts}
    assert texts["1. Settings applied"].missing
    assert texts["1. Settings applied"].paragraphs == ["Not provisioned: kitchencam provision has not run for this "
                                                       "camera."]
    assert texts["6. Connection to the district's operations centre"].paragraphs[0].startswith(
        "Not registered: no registration of this camera is recorded")
    assert texts["4. Picture taken from the camera at provisioning"].picture is None


def test_settings_before_come_from_the_backup(store: Store):
    report = build_report(store, report_input("en"))
    settings = report.cameras[0].parts[0]
    assert settings.table is not None
    rows = {row[0]: row for row in settings.table.rows}
    assert rows["Compression"][1:] == ["H264", "H265", "Applied"]
    assert rows["Wide dynamic range (WDR)"][1:] == ["OFF", "ON", "Applied"]
    assert rows["Time zone"][1:3] == ["UTC+08:00", "UTC+07:00"]  # never POSIX "<+07>-7"
    assert "15:04 12/11/2024" in settings.paragraphs[0]  # the backup's time, in Viet Nam time
    hik = report.cameras[1].parts[0]
    assert hik.table is not None
    assert hik.table.rows[0][3].startswith("Failed: ter:InvalidArgVal")
    assert any("hostname: IPCamera -> MN-TTO-cam-02" in note for note in hik.notes)


def test_each_rule_shows_its_latest_conclusive_verdict(store: Store):
    """Provisioning re-checks without attestations: power stays PASS from the check before it."""
    site = store.get_site("MN-TTO")
    assert site is not None
    verdict = {"rule": "power", "title": "Power", "title_vi": "Nguồn điện", "kind": "site", "status": "MANUAL",
               "seen": None, "required": "yes", "evidence": "none", "source": None}
    resolution = {"rule": "resolution", "title": "2.0 MP", "title_vi": "2.0 MP", "kind": "device",
                  "status": "PASS", "seen": "1920x1080", "required": ">= 1920x1080", "evidence": "device",
                  "source": "ONVIF"}
    record = CheckRecord(target=f"{CAMERAS[0]['address']}:80", serial=CAMERAS[0]["serial"], overall="INCOMPLETE",
                         checked_at="2024-11-12T09:00:00+00:00", verdicts=[resolution, verdict])
    with fixed_clock():
        store.record_check_run(site.id, "thanhtri-2024", "2024-11-12T09:00:00+00:00", [record], [],
                               command="provision")
    report = build_report(store, report_input("en"))
    table = report.cameras[0].parts[1].table
    assert table is not None
    rows = {row[0].split("\n")[0]: row for row in table.rows}
    assert rows["power"][1] == "PASS"
    assert "verdict of the check at 15:05 12/11/2024" in rows["power"][4]
    assert "by kitchencam provision" in report.cameras[0].parts[1].paragraphs[0]


def test_verdicts_show_both_words_in_vietnamese(store: Store):
    report = build_report(store, report_input("vi"))
    table = report.cameras[1].parts[1].table
    assert table is not None
    assert [row[1] for row in table.rows] == ["Không đạt (FAIL)", "Không đạt (FAIL)", "Cần xác nhận (MANUAL)",
                                              "Chưa xác định (UNKNOWN)"]
    assert table.rows[0][0] == "lens\nỐng kính cố định 3.6 mm"


def test_parties_letter_and_date(store: Store):
    vi = build_report(store, report_input("vi"))
    assert vi.place_date == "Hà Nội, ngày 12 tháng 11 năm 2024"
    assert vi.basis[0] == ("Căn cứ Công văn số 1115/GD&ĐT ngày 28/10/2024 của Phòng Giáo dục và Đào tạo huyện Thanh "
                           "Trì về việc lắp đặt hệ thống camera giám sát tại các bếp ăn tập thể trường học;")
    assert [p.representative for p in vi.parties] == ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Minh Tuấn"]
    assert [p.sign_title for p in vi.parties] == ["ĐẠI DIỆN BÊN GIAO", "ĐẠI DIỆN BÊN NHẬN", "ĐẠI DIỆN BÊN CHỨNG KIẾN"]
    assert vi.sign_hint == "(Ký, ghi rõ họ tên)"
    assert vi.site_lines[0] == ("Tốc độ tải lên ổn định đo lúc 15:17 12/11/2024: trung bình 24,6 Mbit/s, phân vị "
                                "10% 18,3 Mbit/s.")
    en = build_report(store, report_input("en"))
    assert en.place_date == "Hà Nội, November 12, 2024"
    assert en.site_lines[0].endswith("mean 24.6 Mbit/s, 10th percentile 18.3 Mbit/s.")
    # 18.3 Mbit/s at 2048 kbit/s x 1.1 x 1.3 per camera: 6 cameras.
    assert en.site_lines[1].startswith("It carries 6 camera(s)")


def test_without_site_config_the_gaps_are_named(store: Store):
    given = report_input("en")
    given.config = None
    report = build_report(store, given)
    assert report.site_missing == ["parties", "letter"]
    assert report.parties_note is not None
    assert "parties:" in report.parties_note
    assert [p.organisation for p in report.parties] == ["(not in the site config)"] * 3
    assert report.basis[0].startswith("Pursuant to the district's letter")
    assert "parties not in the site config" in report.missing_lines


def test_text_is_composed_and_holds_no_secret(store: Store):
    report = build_report(store, report_input("vi", nfd=True))
    dumped = report.model_dump_json()
    assert SECRET_PASSWORD not in dumped
    assert SECRET_TOKEN not in dumped
    for party in report.parties:
        assert party.representative == unicodedata.normalize("NFC", party.representative)
    assert report.parties[0].representative == "Nguyễn Văn An"
    assert report.at_school == "Tại: Trường Mầm non Tả Thanh Oai"


def test_unknown_site_is_an_error(tmp_path: Path):
    with Store(tmp_path / "empty.db") as empty, pytest.raises(KitchencamError, match="Nothing is recorded"):
        build_report(empty, report_input("vi"))


def test_times_and_numbers():
    assert local_time("2024-11-12T08:05:00+00:00") == "15:05 12/11/2024"
    assert local_time("2024-11-12T20:05:00Z") == "03:05 13/11/2024"
    assert local_time(None) == "-"
    assert number(24.56, "vi") == "24,6"
    assert number(24.56, "en") == "24.6"


def test_output_paths(tmp_path: Path):
    stem = "bien-ban-ban-giao-MN-TTO-20241112"
    assert output_paths(None, "pdf", stem, tmp_path) == {"pdf": tmp_path / f"{stem}.pdf"}
    assert output_paths(tmp_path, "both", stem, Path("/")) == {"pdf": tmp_path / f"{stem}.pdf",
                                                                "html": tmp_path / f"{stem}.html"}
    # A name without .pdf/.html is a folder, made if need be.
    assert output_paths(tmp_path / "reports", "html", stem, Path("/")) == {
        "html": tmp_path / "reports" / f"{stem}.html"}
    assert output_paths(tmp_path / "minutes.pdf", "pdf", stem, Path("/")) == {"pdf": tmp_path / "minutes.pdf"}
    assert output_paths(tmp_path / "minutes.pdf", "both", stem, Path("/")) == {
        "pdf": tmp_path / "minutes.pdf", "html": tmp_path / "minutes.html"}


# --- the store: migration 7 -------------------------------------------------------------------------

def test_snapshots_keep_the_newest_picture_and_say_why_none(tmp_path: Path):
    with Store(tmp_path / "s.db") as s:
        site = s.upsert_site("X", "x").id
        s.save_snapshot(site, camera_key="A", target="a", source="tr2", content_type="image/jpeg",
                        data=b"\xff\xd8\xff1", sha256="1")
        s.save_snapshot(site, camera_key="A", target="a", source="tr2", error="timeout")  # later, failed
        s.save_snapshot(site, camera_key="B", target="b", source="trt", error="HTTP 401")
        with pytest.raises(ValueError, match="either data or an error"):
            s.save_snapshot(site, camera_key="C", target="c", source="x")
        shots = {shot.camera_key: shot for shot in s.snapshots(site)}
        assert shots["A"].data == b"\xff\xd8\xff1"
        assert shots["B"].data is None
        assert shots["B"].error == "HTTP 401"
        assert "bytes" in repr(shots["A"])
        assert "\\xff" not in repr(shots["A"])


def test_migration_7_upgrades_a_store_of_version_6(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "old.db"
    monkeypatch.setattr(store_module, "MIGRATIONS", [m for m in store_module.MIGRATIONS if m[0] <= 6])
    with Store(path) as old:
        old.upsert_site("X", "x")
        assert max(v for v, _n, _t in old.migrations()) == 6
    monkeypatch.undo()
    with Store(path) as new:
        assert 7 in [v for v, _n, _t in new.migrations()]
        site = new.get_site("X")
        assert site is not None
        new.save_provision_result(site.id, camera_key="A", target="a", backup_id=None, state="no-op", steps=[],
                                  rtsp={"codec": "H265"}, verify_problems=[], timezone_used=None)
        [result] = new.provision_results(site.id)
        assert result.rtsp == {"codec": "H265"}
        assert new.integrity_check() == ["ok"]


def test_a_camera_provisioning_could_not_reach_is_said(store: Store):
    site = store.get_site("MN-TTO")
    assert site is not None
    with fixed_clock():
        store.save_provision_result(site.id, camera_key=CAMERAS[2]["address"], target=f"{CAMERAS[2]['address']}:80",
                                    backup_id=None, state="failed", steps=[], rtsp=None, verify_problems=[],
                                    timezone_used=None, error="No answer from 192.168.1.66:80: timed out.")
    report = build_report(store, report_input("en"))
    settings = report.cameras[2].parts[0]
    assert "Outcome: not fully provisioned." in settings.paragraphs
    assert settings.notes == ["Provisioning could not work on the camera: No answer from 192.168.1.66:80: timed out."]
    assert "provision" in report.missing[2].stages


def test_the_vendor_api_facts_show_with_their_calls_in_both_languages(store: Store):
    """What the camera's own API told, kept with the verdicts it decided (inspection.with_vendor)."""
    from datetime import datetime, timezone

    from kitchencam.inspection import VendorSeen, with_vendor
    from kitchencam.models import Ddns, Registration, Told, VendorFacts

    site = store.get_site("MN-TTO")
    assert site is not None
    facts = VendorFacts(
        vendor="dahua", api="Dahua HTTP API", target="192.168.1.64:80",
        read_at=datetime(2024, 11, 12, 9, 0, tzinfo=timezone.utc),
        smart_codec=Told[bool](value=True, call="Dahua HTTP API SmartEncode"),
        ddns=Told[Ddns](value=Ddns(enabled=False, provider="Dahua DDNS"), call="Dahua HTTP API DDNS"),
        registrations=[Told[Registration](value=Registration(kind="auto-register", enabled=True, server="10.1.1.1",
                                                             port=7000, status="online"),
                                          call="Dahua HTTP API DVRIP")])
    codec = {"rule": "codec", "title": "H.265+", "title_vi": "H.265+", "kind": "device", "status": "PASS",
             "seen": "runs H265; smart codec on", "required": "H265 + smart codec", "evidence": "device",
             "source": "ONVIF Media2 GetVideoEncoderConfigurations; Dahua HTTP API SmartEncode"}
    lens = {"rule": "lens", "title": "Lens", "kind": "catalogue", "status": "PASS", "evidence": "catalogue",
            "source": "datasheet"}
    stored = with_vendor([codec, lens], VendorSeen(vendor="dahua", api="Dahua HTTP API", how="manufacturer",
                                                   facts=facts))
    assert "vendor" in stored[0]
    assert "vendor" not in stored[1]  # only beside the verdicts the API decided
    record = CheckRecord(target=f"{CAMERAS[0]['address']}:80", serial=CAMERAS[0]["serial"], overall="PASS",
                         checked_at="2024-11-12T09:00:00+00:00", verdicts=stored)
    with fixed_clock():
        store.record_check_run(site.id, "thanhtri-2024", "2024-11-12T09:00:00+00:00", [record], [])
    for lang, heading, on, off in (("en", "2a. Settings read through the camera's own API (Dahua HTTP API)", "on",
                                    "off"),
                                   ("vi", "2a. Thiết lập đọc qua API riêng của camera (Dahua HTTP API)", "bật",
                                    "tắt")):
        report = build_report(store, report_input(lang))
        parts = {part.heading: part for part in report.cameras[0].parts}
        assert heading in parts, list(parts)
        table = parts[heading].table
        assert table is not None
        rows = {row[2]: row for row in table.rows}
        assert rows["Dahua HTTP API SmartEncode"][1] == on
        assert rows["Dahua HTTP API DDNS"][1] == f"{off}; Dahua DDNS"
        assert rows["Dahua HTTP API DVRIP"][1] == f"{on} (online); 10.1.1.1:7000"
        # A camera whose checks no vendor API decided has no such part.
        assert not any(p.heading.startswith("2a.") for p in report.cameras[2].parts)


def test_table_sections_and_conclusion_agree_on_every_camera(store: Store):
    """Issue 17: a camera "meets the requirements" in the equipment table while its section shows
    power MANUAL (a site rule) and the conclusion counts no open item. Stores with MANUAL, UNKNOWN and
    FAIL mixed: each verdict table decides, and the three places say the same."""
    site = store.get_site("MN-TTO")
    assert site is not None
    power = {"rule": "power", "title": "Power", "title_vi": "Nguồn điện", "kind": "site", "status": "MANUAL",
             "seen": None, "required": "yes", "evidence": "none", "source": None}
    resolution = {"rule": "resolution", "title": "2.0 MP", "title_vi": "2.0 MP", "kind": "device",
                  "status": "PASS", "seen": "1920x1080", "required": ">= 1920x1080", "evidence": "device",
                  "source": "ONVIF"}
    record = CheckRecord(target="192.168.1.67:80", serial="4J0B1122334455", manufacturer="Dahua",
                         model="IPC-HDW1230T1", overall="INCOMPLETE", checked_at="2024-11-12T09:00:00+00:00",
                         verdicts=[resolution, power])
    with fixed_clock():
        store.record_check_run(site.id, "thanhtri-2024", "2024-11-12T09:00:00+00:00", [record], [])
    rules = load_profile("thanhtri-2024").rules
    short = {"vi": {r.id: r.short_vi for r in rules}, "en": {r.id: r.short for r in rules}}
    for lang in ("vi", "en"):
        report = build_report(store, report_input(lang))
        assert len(report.cameras) == 4
        conclusion = " ".join(report.conclusion)
        open_total, passed, failed = 0, 0, 0
        for row, section in zip(report.equipment.rows, report.cameras, strict=True):
            condition = row[-1]
            verdicts = section.parts[1]
            assert verdicts.table is not None
            statuses = {r[0].split("\n")[0]: r[1] for r in verdicts.table.rows}
            failing = [rule for rule, s in statuses.items() if "FAIL" in s]
            unsure = [rule for rule, s in statuses.items() if "MANUAL" in s or "UNKNOWN" in s]
            open_total += len(failing) + len(unsure)
            passed += not failing and not unsure
            failed += bool(failing)
            for rule in failing + unsure:
                assert short[lang][rule] in condition, (section.n, rule, condition)
            assert any(condition in p for p in verdicts.paragraphs), (condition, verdicts.paragraphs)
            if failing or unsure:
                assert condition in conclusion
        assert "4J0B1122334455" in report.cameras[3].heading
        assert short[lang]["power"] in report.equipment.rows[3][-1]
        if lang == "en":
            assert f"Meeting every requirement checked: {passed}; failing at least one: {failed}" in conclusion
            assert f"Items still open (to fix or to confirm): {open_total}." in conclusion
    assert open_total == 6  # camera 2: lens, wdr, ip67, centre-registration; camera 3: ip67; camera 4: power


@pytest.mark.parametrize(("written", "lang", "shown"), [
    ("ttgd-centre (User), password in the keyring", "vi", "ttgd-centre (người dùng), mật khẩu lưu trong kho khóa"),
    ("ttgd-centre (người dùng), mật khẩu lưu trong kho khóa", "en", "ttgd-centre (User), password in the keyring"),
    ("ttgd-centre (Administrator), password in the keyring", "vi",
     "ttgd-centre (quản trị), mật khẩu lưu trong kho khóa"),
    ("ttgd-centre (Custom), password in the keyring", "vi", "ttgd-centre (Custom), mật khẩu lưu trong kho khóa"),
])
def test_the_centre_account_level_is_said_in_the_minutes_language(written: str, lang: str, shown: str):
    """Issue 17: "ttgd-centre (User)" in the Vietnamese minutes; provisioning wrote the line in its own
    language, with ONVIF's level word."""
    from kitchencam.report.build import _shown_value
    from kitchencam.report.texts import texts

    assert _shown_value(texts(lang), "centre_account", written, lang) == shown


def test_conditions_name_the_rules_in_the_minutes_language_never_by_id(store: Store):
    """Issue 17: the equipment table's condition, the camera's condition and the conclusion said
    "login-lockout, privacy-notice" in the Vietnamese minutes: now the rules' names in each language."""
    ids = [r.id for r in load_profile("thanhtri-2024").rules]
    vi, en = build_report(store, report_input("vi")), build_report(store, report_input("en"))
    condition = vi.equipment.rows[1][-1]  # camera 2 fails lens and wdr, and has rules to confirm
    assert condition == "Hoạt động, không đạt: ống kính, chống ngược sáng; còn cần xác nhận: IP67, kết nối Trung tâm"
    assert en.equipment.rows[1][-1] == "Working, fails: lens, WDR; still to confirm: IP67, centre connection"
    shown = [row[-1] for row in vi.equipment.rows] + vi.conclusion + [
        p for cam in vi.cameras for part in cam.parts[1:4] for p in part.paragraphs if ":" in p]
    for text in shown:
        words = set(re.findall(r"[a-z][a-z0-9-]+", text))
        assert not words & set(ids) - {"https"}, text  # "HTTPS/telnet" only upper-case


def test_no_english_in_the_vietnamese_minutes(store: Store):
    """The centre account line (written in the technician's language at provisioning), the stand-in
    for a missing site config (recorded by discover) and the time zones, in the minutes' words."""
    import dataclasses

    report = build_report(store, report_input("vi"))
    rows = {row[0]: row for row in report.cameras[0].parts[0].table.rows}  # type: ignore[union-attr]
    assert rows["Múi giờ"][1:3] == ["UTC+08:00", "UTC+07:00"]
    account = rows["Tài khoản kết nối Trung tâm"][2]
    assert account.startswith("kitchencam-centre (vận hành), ")  # ONVIF's "Operator" in the minutes' words
    assert "password" not in account
    assert "keyring" not in account
    dump = report.model_dump_json()
    assert "<+07>-7" not in dump
    assert "password in the keyring" not in dump

    site = store.get_site("MN-TTO")
    assert site is not None
    store.upsert_site("MN-TTO", "(no site config)")  # what discover records without a site config
    bare = build_report(store, dataclasses.replace(report_input("vi"), config=None))
    assert "(no site config)" not in bare.model_dump_json()
    english = build_report(store, dataclasses.replace(report_input("en"), config=None))
    assert english.at_school == "At: (no site config)"
