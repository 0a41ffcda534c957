"""Audit verdicts for every simulated persona, from Facts read off the real simulator.

Each persona is started once per module on its own loopback address, read with the real
client (``OnvifCamera`` + ``read_facts``) and stopped; the tests then judge copies of those
Facts, so they stay fast and pure.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from kitchencam.models import Attestation, Facts, ReadError, SiteFacts, Verdict
from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts
from kitchencam.profile import Catalogue, load_catalogue, load_profile, parse_attestations
from kitchencam.rules.engine import audit, credential_facts, has_failures, summarise
from kitchencam.sim.camera import SimCamera
from kitchencam.sim.personas import get_persona

NOW = datetime(2024, 11, 12, 2, 30, tzinfo=timezone.utc)
PERSONAS = ("dahua-wizsense2", "dahua-wizsense2-ready", "dahua-lite-s2", "hikvision-ds2cd1023g0e-i",
            "hikvision-ds2cd2023g2-i", "generic-720p")
PROVISION_FIXABLE = {"codec", "main-stream", "ntp", "clock", "timezone"}
CATALOGUE_ONLY = {"lens", "ip67", "platform", "series", "starlight"}
# The security family (issue 16) judges logins, probes and vendor facts these unit reads do not
# make (the personas' factory passwords are weak on purpose): tests/integration/test_security_cli.py.
SECURITY = {"password-strength", "login-lockout", "anonymous-access", "extra-admins", "https",
            "known-vulnerabilities", "cloud-exposure", "privacy-notice"}


@pytest.fixture(scope="module")
def read_personas() -> dict[str, tuple[Facts, str, str]]:
    """Facts of each persona, read once over real sockets (127.0.97.x, ports picked by the kernel)."""
    out = {}
    for i, name in enumerate(PERSONAS, start=1):
        persona = get_persona(name)
        admin = persona.users[0]
        cam = SimCamera(persona, f"127.0.97.{i}", http_port=0)
        try:
            cam.start()
            with OnvifCamera(f"{cam.ip}:{cam.http_port}", user=admin.username, password=admin.password,
                             timeouts=Timeouts(connect=1.0, read=3.0)) as client:
                out[name] = (read_facts(client), admin.username, admin.password)
        finally:
            cam.stop()
    return out


@pytest.fixture(scope="module")
def profile():
    return load_profile("thanhtri-2024")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def judge(read_personas, profile, catalogue, name, *, facts: Facts | None = None, attestations=(),
          site: SiteFacts | None = None, cat: Catalogue | None = None) -> dict[str, Verdict]:
    read, user, password = read_personas[name]
    facts = facts or read.model_copy(deep=True)
    # The personas refuse a wrong password (what check's one probe finds; tests/integration/test_logins.py).
    creds = credential_facts(user, password, facts.device_info.manufacturer if facts.device_info else None, profile,
                             accepts_any_password=False)
    verdicts = audit(facts, profile, cat or catalogue, list(attestations), site=site, now=NOW, credentials=creds)
    assert [v.rule for v in verdicts] == [r.id for r in profile.rules]
    return {v.rule: v for v in verdicts}


def failing(verdicts: dict[str, Verdict]) -> set[str]:
    return {rule for rule, v in verdicts.items() if v.status == "FAIL" and rule not in SECURITY}


def test_ready_dahua_has_no_failure(read_personas, profile, catalogue):
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready")
    verdicts = {r: v for r, v in verdicts.items() if r not in SECURITY}
    assert not has_failures(verdicts.values())
    device_side = {r: v.status for r, v in verdicts.items() if v.kind in ("device", "catalogue")}
    assert set(device_side.values()) == {"PASS"}, device_side
    assert verdicts["lens"].seen == "3.6 mm (SKU -0360B)"
    assert verdicts["lens"].evidence == "catalogue"
    assert "Dahua DH-IPC-HFW2241S-S datasheet" in (verdicts["lens"].source or "")
    assert verdicts["timezone"].seen == "GMT+07:00 = UTC+07:00"
    assert verdicts["main-stream"].seen == "H265 1920x1080 25 fps 2048 kbit/s"
    # The site stages have not run: they wait, they do not fail.
    assert verdicts["power"].status == "MANUAL"
    assert {verdicts[r].status for r in ("uplink", "centre-registration", "installed-by-deadline")} == {"UNKNOWN"}
    counts, overall = summarise(verdicts.values(), kinds={"device", "catalogue"})
    assert overall == "PASS"
    assert counts["PASS"] == len(device_side)


def test_factory_dahua_fails_only_what_provisioning_fixes(read_personas, profile, catalogue):
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2")
    assert failing(verdicts) == PROVISION_FIXABLE
    for rule in PROVISION_FIXABLE:
        assert verdicts[rule].fixable_by_provision, rule
        assert "kitchencam provision fixes this" in verdicts[rule].detail
    seen = verdicts["clock"].seen or ""
    assert seen.startswith("2 h 0 min")  # -7200 s, plus the ONVIF whole-second rounding
    assert seen.endswith(" behind")
    assert "behind true time" in verdicts["clock"].detail
    assert verdicts["codec"].seen == "runs H264; offers H264, H265, JPEG"
    assert verdicts["timezone"].seen == "GMT+08:00 = UTC+08:00"
    assert verdicts["wdr"].status == "PASS"
    assert "switches it on" in verdicts["wdr"].detail
    assert summarise(verdicts.values())[1] == "FAIL"


def test_hikvision_value_fails_lens_and_wdr(read_personas, profile, catalogue):
    verdicts = judge(read_personas, profile, catalogue, "hikvision-ds2cd1023g0e-i")
    fails = failing(verdicts)
    assert {"lens", "wdr"} <= fails
    assert not verdicts["lens"].fixable_by_provision
    assert not verdicts["wdr"].fixable_by_provision
    assert fails - {"lens", "wdr"} <= PROVISION_FIXABLE
    assert "2.8 mm / 4 mm" in (verdicts["lens"].seen or "")
    assert "DWDR" in verdicts["wdr"].detail
    assert verdicts["timezone"].seen == "CST-8:00:00 = UTC+08:00"
    assert verdicts["series"].status == "WARN"  # advisory


def test_hikvision_pro_fails_lens_only_beyond_provisioning(read_personas, profile, catalogue):
    verdicts = judge(read_personas, profile, catalogue, "hikvision-ds2cd2023g2-i")
    assert failing(verdicts) - PROVISION_FIXABLE == {"lens"}
    assert verdicts["wdr"].status == "PASS"
    assert "4096 kbit/s (cap 2048)" in verdicts["main-stream"].detail


def test_generic_720p_fails_resolution_and_codec(read_personas, profile, catalogue):
    verdicts = judge(read_personas, profile, catalogue, "generic-720p")
    assert {"resolution", "codec"} <= failing(verdicts)
    assert verdicts["resolution"].seen == "up to 1280x720 (0.9 MP)"
    assert not verdicts["codec"].fixable_by_provision
    assert not verdicts["main-stream"].fixable_by_provision  # 1080p H.265 is not on offer
    assert verdicts["default-credentials"].status == "FAIL"  # admin / 123456


def test_lite_series_is_an_equivalent_and_its_lens_needs_the_label(read_personas, profile, catalogue):
    verdicts = judge(read_personas, profile, catalogue, "dahua-lite-s2")
    assert verdicts["series"].status == "WARN"
    assert verdicts["lens"].status == "MANUAL"
    attested = judge(read_personas, profile, catalogue, "dahua-lite-s2",
                     attestations=parse_attestations(["lens=yes"], "Nguyễn Văn An", NOW))
    assert attested["lens"].status == "PASS"
    assert attested["lens"].evidence == "technician"
    assert attested["lens"].attested_by == "Nguyễn Văn An"
    assert attested["lens"].attested_at == NOW


def test_unknown_model_gets_unknown_for_catalogue_only_rules(read_personas, profile, catalogue):
    facts = read_personas["dahua-wizsense2-ready"][0].model_copy(deep=True)
    assert facts.device_info is not None
    assert facts.scopes is not None
    facts.device_info.model = "XYZ-CAM-9000"
    facts.scopes.hardware = "XYZ-CAM-9000"
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", facts=facts)
    for rule in CATALOGUE_ONLY:
        assert verdicts[rule].status == "UNKNOWN", rule
        assert "XYZ-CAM-9000 is not in the model catalogue" in verdicts[rule].detail
    # What the device shows is still judged from the device.
    assert verdicts["resolution"].status == "PASS"
    assert verdicts["main-stream"].status == "PASS"
    assert verdicts["codec"].status == "WARN"  # H.265 seen; "+" only a datasheet can confirm
    assert verdicts["ir"].status == "UNKNOWN"
    assert verdicts["wdr"].status == "UNKNOWN"
    # The technician can answer a catalogue-only rule for an unknown model...
    attested = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", facts=facts,
                     attestations=parse_attestations(["lens=yes", "ip67=no"], "Trần Thị Bình", NOW))
    assert attested["lens"].status == "PASS"
    assert attested["lens"].evidence == "technician"
    assert attested["ip67"].status == "FAIL"
    assert attested["ip67"].attested_by == "Trần Thị Bình"


def test_model_absent_from_catalogue_via_an_empty_catalogue(read_personas, profile):
    verdicts = judge(read_personas, profile, Catalogue(), "generic-720p", cat=Catalogue())
    assert {verdicts[r].status for r in CATALOGUE_ONLY} == {"UNKNOWN"}
    assert verdicts["resolution"].status == "FAIL"  # the device alone shows 720p


def test_device_catalogue_contradiction_is_a_warn_naming_both(read_personas, profile, catalogue):
    facts = read_personas["dahua-wizsense2-ready"][0].model_copy(deep=True)
    options = facts.imaging[0].options
    assert options is not None
    options.wdr_modes = ["OFF"]  # as if the firmware hid WDR, while the datasheet says 120 dB
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", facts=facts)
    wdr = verdicts["wdr"]
    assert wdr.status == "WARN"
    assert "no WDR mode ON over ONVIF" in wdr.detail
    assert "true WDR 120 dB" in wdr.detail


def test_read_error_makes_the_affected_rules_unknown_with_the_reason(read_personas, profile, catalogue):
    facts = read_personas["dahua-wizsense2-ready"][0].model_copy(deep=True)
    facts.imaging = []
    facts.read_errors.append(ReadError(operation="timg:GetImagingSettings", code="DeviceFault",
                                       message="The camera refused GetImagingSettings: Action failed.",
                                       subcode="ter:Action"))
    facts.encoders = []
    facts.encoder_options = []
    facts.read_errors.append(ReadError(operation="tr2:GetVideoEncoderConfigurations", code="DeviceTimeout",
                                       message="No answer in 3 s: check the cable."))
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", facts=facts)
    for rule in ("ir", "wdr"):
        assert verdicts[rule].status == "UNKNOWN"
        assert "timg:GetImagingSettings" in verdicts[rule].detail
        assert "Action failed" in verdicts[rule].detail
    for rule in ("resolution", "codec", "main-stream"):
        assert verdicts[rule].status == "UNKNOWN"
        assert "No answer in 3 s" in verdicts[rule].detail
    assert verdicts["clock"].status == "PASS"  # the rest is still judged


OPTIONS_REFUSED = ReadError(operation="tr2:GetVideoEncoderConfigurationOptions", code="NotSupported",
                            message="The camera does not support GetVideoEncoderConfigurationOptions.",
                            subcode="ter:ActionNotSupported")


def without_options(read_personas, name: str) -> Facts:
    facts = read_personas[name][0].model_copy(deep=True)
    facts.encoder_options = []
    facts.read_errors.append(OPTIONS_REFUSED)
    return facts


def test_codec_running_h265_is_confirmed_without_the_options(read_personas, profile, catalogue):
    # A catalogued model: H.265 from what runs, the smart codec from the datasheet.
    facts = without_options(read_personas, "dahua-wizsense2-ready")
    codec = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", facts=facts)["codec"]
    assert (codec.status, codec.evidence) == ("PASS", "device")
    assert codec.seen is not None
    assert codec.seen.startswith("runs H265; offers ?; ")
    assert codec.source is not None
    assert codec.source.startswith("ONVIF Media2 GetVideoEncoderConfigurations; ")  # not the options
    # A model nobody catalogued: H.265 still confirmed, only the "+" waits for a datasheet.
    assert facts.device_info is not None
    facts.device_info.model = "XYZ-CAM-9000"
    assert facts.scopes is not None
    facts.scopes.hardware = "XYZ-CAM-9000"
    codec = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", facts=facts)["codec"]
    assert (codec.status, codec.evidence, codec.seen) == ("WARN", "device", "runs H265; offers ?")
    assert codec.source == "ONVIF Media2 GetVideoEncoderConfigurations"
    assert codec.detail.startswith("H265 is confirmed on the camera")


def test_codec_running_h264_without_the_options_is_unknown_with_the_reason(read_personas, profile, catalogue):
    # Not running H.265 and the options unread: "not switched on" and "cannot" look alike.
    facts = without_options(read_personas, "dahua-wizsense2")
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2", facts=facts)
    assert verdicts["codec"].status == "UNKNOWN"
    assert OPTIONS_REFUSED.message in verdicts["codec"].detail
    assert verdicts["main-stream"].status == "FAIL"  # what runs is still judged
    # A main stream running at the size asked for proves the sensor: no options needed.
    resolution = verdicts["resolution"]
    assert (resolution.status, resolution.evidence) == ("PASS", "device")
    assert resolution.seen is not None
    assert resolution.seen.startswith("runs ")


def test_encoders_from_the_profiles_are_named_as_the_source(read_personas, profile, catalogue):
    facts = read_personas["dahua-wizsense2-ready"][0].model_copy(deep=True)
    facts.read_errors.append(ReadError(operation="tr2:GetVideoEncoderConfigurations", code="DeviceFault",
                                       message="The camera refused GetVideoEncoderConfigurations: Action failed.",
                                       subcode="ter:Action"))
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", facts=facts)
    assert verdicts["main-stream"].status == "PASS"
    assert verdicts["main-stream"].source == "ONVIF Media2 GetProfiles"
    assert "ONVIF Media2 GetProfiles" in (verdicts["codec"].source or "")


def test_missing_time_read_is_unknown(read_personas, profile, catalogue):
    facts = read_personas["dahua-wizsense2"][0].model_copy(deep=True)
    facts.time = None
    facts.read_errors.append(ReadError(operation="tds:GetSystemDateAndTime", code="BadReply",
                                       message="The reply was not valid XML."))
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2", facts=facts)
    for rule in ("clock", "timezone", "ntp"):
        assert verdicts[rule].status == "UNKNOWN", rule
        assert "not valid XML" in verdicts[rule].detail


def test_device_evidence_outranks_an_attestation(read_personas, profile, catalogue):
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2",
                     attestations=parse_attestations(["codec=yes"], "An", NOW))
    assert verdicts["codec"].status == "FAIL"
    assert "takes precedence" in verdicts["codec"].detail


def test_attestation_against_catalogue_is_a_warn(read_personas, profile, catalogue):
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready",
                     attestations=parse_attestations(["ip67=no"], "An", NOW))
    assert verdicts["ip67"].status == "WARN"
    assert "An attested no" in verdicts["ip67"].detail


def test_site_rules_use_site_facts(read_personas, profile, catalogue):
    site = SiteFacts(upload_kbps=10_000, cameras_on_uplink=2, poe_seen=True, registered=True,
                     centre_device_id="MN-TTO-01", installed_on=date(2024, 11, 20))
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", site=site)
    assert verdicts["uplink"].status == "PASS"
    assert "carries 3 camera(s)" in (verdicts["uplink"].seen or "")  # 10 Mbit/s / 2.93 per camera
    assert verdicts["power"].status == "PASS"
    assert verdicts["power"].evidence == "site"
    assert verdicts["centre-registration"].status == "PASS"
    late = verdicts["installed-by-deadline"]
    assert late.status == "WARN"
    assert "5 day(s) after" in late.detail
    slow = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready",
                 site=SiteFacts(upload_kbps=4000, cameras_on_uplink=2))
    assert slow["uplink"].status == "FAIL"


def test_power_attested_by_the_technician(read_personas, profile, catalogue):
    atts = [Attestation(rule="power", answer=False, by="An", at=NOW, origin="file"),
            Attestation(rule="power", answer=True, by="Bình", at=NOW.replace(hour=5), origin="file")]
    verdicts = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", attestations=atts)
    power = verdicts["power"]
    assert power.status == "PASS"  # the latest answer counts
    assert power.attested_by == "Bình"
    assert power.evidence == "technician"


def test_summarise_and_has_failures():
    def v(status):
        return Verdict(rule="x", title="x", status=status)
    assert summarise([v("PASS"), v("WARN")]) == ({"PASS": 1, "FAIL": 0, "WARN": 1, "MANUAL": 0, "UNKNOWN": 0},
                                                 "WARN")
    assert summarise([v("PASS"), v("MANUAL")])[1] == "INCOMPLETE"
    assert summarise([v("UNKNOWN"), v("FAIL")])[1] == "FAIL"
    assert summarise([])[1] == "PASS"
    assert has_failures([v("PASS"), v("FAIL")])
    assert not has_failures([v("WARN")])


def test_credential_facts_never_keep_the_password(profile):
    creds = credential_facts("admin", "12345", "HIKVISION", profile)
    assert creds.vendor_default
    assert "12345" in (creds.matched or "")
    assert "password" not in creds.model_dump()
    assert not credential_facts("admin", "Hik12345", "HIKVISION", profile).vendor_default
    # A Dahua-only default does not match another vendor.
    assert not credential_facts("888888", "888888", "HIKVISION", profile).vendor_default


def test_verdict_words_are_kept_in_both_languages(read_personas, profile, catalogue):
    from kitchencam.i18n import current_language, set_language
    from kitchencam.rules.engine import verdict_texts

    set_language("en")
    facts = read_personas["dahua-wizsense2"][0].model_copy(deep=True)
    creds = credential_facts("admin", "x", "Dahua", profile)
    verdicts = audit(facts, profile, catalogue, [], now=NOW, credentials=creds)
    texts = verdict_texts(verdicts, facts, profile, catalogue, [], now=NOW, credentials=creds)
    assert current_language() == "en"  # the UI's language is untouched
    assert set(texts) == {"en", "vi"}
    assert len(texts["vi"]) == len(texts["en"]) == len(verdicts)
    by_rule = {v.rule: i for i, v in enumerate(verdicts)}
    clock = by_rule["clock"]
    assert texts["en"][clock]["seen"] == verdicts[clock].seen
    assert "behind" in (texts["en"][clock]["seen"] or "")
    assert texts["vi"][clock]["seen"] != texts["en"][clock]["seen"]
    assert "chậm" in (texts["vi"][clock]["seen"] or "") or "sau" in (texts["vi"][clock]["seen"] or "")
    ir = by_rule["ir"]
    assert "hồng ngoại" in (texts["vi"][ir]["required"] or "")


def test_datasheet_notes_are_quoted_in_each_language(read_personas, profile, catalogue):
    """The Vietnamese minutes quote the catalogue's Vietnamese note (issue 17), the English ones the English."""
    from kitchencam.rules.engine import verdict_texts

    facts = read_personas["dahua-wizsense2"][0].model_copy(deep=True)
    creds = credential_facts("admin", "x", "Dahua", profile)
    verdicts = audit(facts, profile, catalogue, [], now=NOW, credentials=creds)
    texts = verdict_texts(verdicts, facts, profile, catalogue, [], now=NOW, credentials=creds)
    starlight = next(i for i, v in enumerate(verdicts) if v.rule == "starlight")
    vi, en = texts["vi"][starlight]["source"] or "", texts["en"][starlight]["source"] or ""
    assert "Các nhà phân phối Dahua tại Việt Nam" in vi
    assert "Công văn 1115/GD&ĐT" in vi
    assert "Sold as" not in vi
    assert "whose spec line" not in vi
    assert "Sold as \"Starlight\" by Dahua distributors" in en


def test_user_levels_are_said_in_each_language(read_personas, profile, catalogue):
    """extra-admins lists the accounts with their ONVIF level: "admin (Administrator)" in the
    Vietnamese minutes was English (issue 17)."""
    from kitchencam.rules.engine import verdict_texts

    facts = read_personas["dahua-wizsense2"][0].model_copy(deep=True)
    creds = credential_facts("admin", "x", "Dahua", profile)
    verdicts = audit(facts, profile, catalogue, [], now=NOW, credentials=creds)
    texts = verdict_texts(verdicts, facts, profile, catalogue, [], now=NOW, credentials=creds)
    admins = next(i for i, v in enumerate(verdicts) if v.rule == "extra-admins")
    assert "(Administrator)" in (texts["en"][admins]["seen"] or "")
    assert "(quản trị)" in (texts["vi"][admins]["seen"] or "")
    assert "Administrator" not in (texts["vi"][admins]["seen"] or "")


def test_default_credentials_judges_the_camera(read_personas, profile, catalogue):
    """A refused/unproven login proves nothing; a camera taking any password fails; an unasked one is UNKNOWN."""
    read, user, password = read_personas["dahua-wizsense2-ready"]
    cases = {
        (True, False): "PASS",
        (True, True): "FAIL",
        (True, None): "UNKNOWN",
        (False, None): "UNKNOWN",
    }
    for (proven, any_password), status in cases.items():
        creds = credential_facts(user, password, "Dahua", profile, login_proven=proven,
                                 accepts_any_password=any_password, probe_note="budget spent")
        [verdict] = [v for v in audit(read, profile, catalogue, [], now=NOW, credentials=creds)
                     if v.rule == "default-credentials"]
        assert verdict.status == status, (proven, any_password, verdict)
        if status == "FAIL":
            assert "accepts any password" in verdict.detail
    # A factory login the camera refused proves nothing about the camera either.
    refused_default = credential_facts("admin", "admin", "Dahua", profile, login_proven=False)
    [verdict] = [v for v in audit(read, profile, catalogue, [], now=NOW, credentials=refused_default)
                 if v.rule == "default-credentials"]
    assert verdict.status == "UNKNOWN"
