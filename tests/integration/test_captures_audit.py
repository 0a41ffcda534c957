"""Real camera captures through the readers AND the audit: the verdicts a person would give.

Each device below is a replay camera (tests/replay.py, real HTTP on 127.0.0.1) answering from
the capture files of ONE real device (tests/data/captures, MANIFEST.tsv); every operation the
captures do not cover gets the ONVIF ``ter:ActionNotSupported`` fault, as a camera without it
would. ``read_facts`` reads it with the real zeep client, and ``audit`` judges it against the
``thanhtri-2024`` profile and the packaged catalogue. None of these models is in the catalogue.

Where one device's files are too few to reach a rule, a composite is built from captures of
the same family and says so in its name (``*_composite``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache

import pytest
from lxml import etree

from kitchencam.models import Facts, Verdict
from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts
from kitchencam.profile import Catalogue, Profile, load_catalogue, load_profile
from kitchencam.rules.engine import audit, credential_facts, summarise
from tests.replay import CAPTURES, NS, Reply, Route, replay_camera

KOTLIN = "ONVIF-Camera-Kotlin/onvifcamera/src/commonTest/resources/"
EASY = "easy_onvif_workspace/"
EX = "ex_onvif/test/fixtures/"
NVT = "onvif-nvt/"

USER, PASSWORD = "kitchen-tech", "A-long-site-passw0rd"  # not a vendor default; strong (QĐ 724 classes)
FAST = Timeouts(connect=1.0, read=3.0)
CATALOGUE_ONLY = ("lens", "ip67", "starlight", "platform", "series")
SITE_RULES = ("uplink", "centre-registration", "installed-by-deadline")


def services_reply(*prefixes: str) -> Reply:
    """A GetServices reply for devices whose capture set has none (marked where used)."""
    items = "".join(
        f"<tds:Service><tds:Namespace>{NS[p]}</tds:Namespace><tds:XAddr>http://0.0.0.0/onvif/{p}</tds:XAddr>"
        f"<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
        for p in prefixes)
    return Reply.envelope(f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>")


def encoders_from_profiles(relpath: str) -> Reply:
    """trt:GetVideoEncoderConfigurations rebuilt from the encoder configurations that the same
    device's own trt:GetProfiles reply carries (only the complete ones), unchanged."""
    doc = etree.parse(str(CAPTURES / relpath))
    configs = [e for e in doc.iter("{http://www.onvif.org/ver10/schema}VideoEncoderConfiguration")
               if e.find("{http://www.onvif.org/ver10/schema}Encoding") is not None]
    body = etree.Element(f"{{{NS['trt']}}}GetVideoEncoderConfigurationsResponse", nsmap={"trt": NS["trt"]})
    for config in configs:
        config.tag = f"{{{NS['trt']}}}Configurations"
        body.append(config)
    return Reply.envelope(etree.tostring(body).decode())


# --- the devices -------------------------------------------------------------------------------------

def hikvision_ptz() -> dict[str, Route]:
    """Hikvision DS-2DF7276-AEL PTZ (fw V5.1.6): Media1 + Imaging, no clock capture."""
    return {
        "tds:GetServices": Reply.capture(NVT + "hikvision/core/GetServices.Response.xml"),
        "tds:GetDeviceInformation": Reply.capture(NVT + "hikvision/core/GetDeviceInformation.Response.xml"),
        "tds:GetScopes": Reply.capture(NVT + "hikvision/core/GetScopes.Response.xml"),
        "tds:GetNetworkInterfaces": Reply.capture(NVT + "hikvision/core/GetNetworkInterfaces.Response.xml"),
        "trt:GetProfiles": Reply.capture(NVT + "hikvision/media/GetProfiles.Response.xml"),
    }


def axis_q6045() -> dict[str, Route]:
    """Axis Q6045-E (fw 5.55.1.2): GetServices faults, GetCapabilities answers; clock of 2018."""
    return {
        "tds:GetServices": Reply.capture(NVT + "axis/core/GetServices.Error.xml", status=500),
        "tds:GetCapabilities": Reply.capture(NVT + "axis/core/GetCapabilities.Response.xml"),
        "tds:GetSystemDateAndTime": Reply.capture(NVT + "axis/core/GetSystemDateAndTime.Response.xml"),
        "tds:GetDeviceInformation": Reply.capture(NVT + "axis/core/GetDeviceInformation.Response.xml"),
        "tds:GetScopes": Reply.capture(NVT + "axis/core/GetScopes.Response.xml"),
        "tds:GetNetworkInterfaces": Reply.capture(NVT + "axis/core/GetNetworkInterfaces.Response.xml"),
        "trt:GetVideoEncoderConfigurations": Reply.capture(
            NVT + "axis/media/GetVideoEncoderConfigurations.Response.xml"),
    }


def pelco_d6230l() -> dict[str, Route]:
    """Pelco D6230L: Media1, main stream H.264 1080p30 at 6 Mbit/s, Profiles S, G, Q."""
    return {
        "tds:GetServices": Reply.capture(NVT + "pelco/core/GetServices.Response.xml"),
        "tds:GetDeviceInformation": Reply.capture(NVT + "pelco/core/GetDeviceInformation.Response.xml"),
        "tds:GetScopes": Reply.capture(NVT + "pelco/core/GetScopes.Response.xml"),
        "trt:GetVideoEncoderConfigurations": Reply.capture(
            NVT + "pelco/media/GetVideoEncoderConfigurations.Response.xml"),
    }


def enp1a14() -> dict[str, Route]:
    """ENP1A14-IR/25X, Manufacturer "ONVIF" (Hikvision-style fw): Media2, profiles without configs."""
    return {
        "tds:GetServices": Reply.capture(EASY + "ENP1A14-IR_25X/device_management/GetServicesResponse.xml"),
        "tds:GetDeviceInformation": Reply.capture(
            EASY + "ENP1A14-IR_25X/device_management/GetDeviceInformationResponse.xml"),
        "tr2:GetProfiles": Reply.capture(EASY + "ENP1A14-IR_25X/media2/GetProfilesResponse.xml"),
    }


def sunba_405() -> dict[str, Route]:
    """SUNBA 405 = XiongMai XM530, Manufacturer "H264": device information and services only."""
    return {
        "tds:GetServices": Reply.capture(EASY + "SUNBA.405/device_management/GetServicesResponse.xml"),
        "tds:GetDeviceInformation": Reply.capture(EASY + "SUNBA.405/device_management/"
                                                  "GetDeviceInformationResponse.xml"),
    }


def dlink_dcs6511() -> dict[str, Route]:
    """D-Link DCS-6511: no GetServices/GetCapabilities capture, so its media service is not found."""
    return {
        "tds:GetSystemDateAndTime": Reply.capture(EASY + "DCS-6511/device_management/"
                                                  "GetSystemDateAndTimeResponse.xml"),
        "tds:GetDeviceInformation": Reply.capture(EASY + "DCS-6511/device_management/"
                                                  "GetDeviceInformationResponse.xml"),
        "trt:GetProfiles": Reply.capture(EASY + "DCS-6511/media1/GetProfilesResponse.xml"),
    }


def hikvision_media2_composite() -> dict[str, Route]:
    """A Hikvision-family Media2 camera: the ENP1A14's identity, services and profiles, the SUNBA
    Performance-Series' encoders (H.264 running), Hikvision-style options offering H.264 and H.265."""
    return enp1a14() | {
        "tds:GetSystemDateAndTime": Reply.capture(EX + "get_system_date_and_time.xml"),
        "tr2:GetVideoEncoderConfigurations": Reply.capture(
            EASY + "SUNBA/media2/GetVideoEncoderConfigurationsResponse.xml"),
        "tr2:GetVideoEncoderConfigurationOptions": Reply.capture(
            EX + "get_media2_video_encoder_configuration_options.xml"),
        "tr2:GetVideoSourceConfigurations": Reply.capture(EX + "get_media2_video_source_configurations.xml"),
    }


def ipg8150_h265() -> dict[str, Route]:
    """IPG-8150PSS (Manufacturer "ONVIF_IPNC"): its Media2 main stream runs H.265 2560x1920.
    Its capture set has no GetServices: a Media2 one is given (marked)."""
    return {
        "tds:GetServices": services_reply("tds", "tr2"),  # not captured
        "tds:GetDeviceInformation": Reply.capture(EASY + "IPG-8150PSS/device_management/"
                                                  "GetDeviceInformationResponse.xml"),
        "tr2:GetVideoEncoderConfigurations": Reply.capture(
            EASY + "IPG-8150PSS/media2/GetVideoEncoderConfigurationsResponse.xml"),
    }


def dahua_d1_composite() -> dict[str, Route]:
    """A Dahua-OEM Media1 D1 camera: the Lorex's profiles and its own 704x480 encoder configuration
    (from those profiles), Dahua-style encoder options topping out at 704x576. No device info."""
    return {
        "tds:GetServices": services_reply("tds", "trt"),  # not captured
        "trt:GetProfiles": Reply.capture(KOTLIN + "lorex.xml"),
        "trt:GetVideoEncoderConfigurations": encoders_from_profiles(KOTLIN + "lorex.xml"),
        "trt:GetVideoEncoderConfigurationOptions": Reply.capture(EX + "get_video_encoder_configuration_options.xml"),
    }


# --- running one device through the readers and the audit -------------------------------------------

@dataclass
class Audited:
    facts: Facts
    verdicts: dict[str, Verdict]
    overall: str
    requests: list[str]

    def status(self, rule: str) -> str:
        return self.verdicts[rule].status


@cache
def _profile() -> Profile:
    return load_profile("thanhtri-2024")


@cache
def _catalogue() -> Catalogue:
    return load_catalogue()


NOW = datetime.now(timezone.utc)


def audit_device(routes: dict[str, Route], *, user: str = USER, password: str = PASSWORD) -> Audited:
    with replay_camera(routes) as cam, OnvifCamera(cam.target, user=user, password=password,
                                                   timeouts=FAST) as camera:
        facts = read_facts(camera)
        requests = [r.operation for r in cam.requests]
    info = facts.device_info
    creds = credential_facts(user, password, info.manufacturer if info else None, _profile())
    verdicts = audit(facts, _profile(), _catalogue(), [], now=NOW, credentials=creds)
    assert [v.rule for v in verdicts] == [r.id for r in _profile().rules]
    _counts, overall = summarise(verdicts)
    return Audited(facts, {v.rule: v for v in verdicts}, overall, requests)


DEVICES: dict[str, Callable[[], dict[str, Route]]] = {
    "hikvision_ptz": hikvision_ptz, "axis_q6045": axis_q6045, "pelco_d6230l": pelco_d6230l,
    "enp1a14": enp1a14, "sunba_405": sunba_405, "dlink_dcs6511": dlink_dcs6511,
    "hikvision_media2_composite": hikvision_media2_composite, "ipg8150_h265": ipg8150_h265,
    "dahua_d1_composite": dahua_d1_composite,
}


@cache
def audited(name: str) -> Audited:
    """Each device is read and audited once per test session (the verdicts are pure)."""
    return audit_device(DEVICES[name]())


def read_error_reason(verdict: Verdict) -> str | None:
    """The operation an UNKNOWN verdict blames ("The camera could not be asked (OP): ..."), if any."""
    prefix = "The camera could not be asked ("
    return verdict.detail[len(prefix):].split(")", 1)[0] if verdict.detail.startswith(prefix) else None


# --- every device: judged, never an exception, gaps are UNKNOWN with their reason -------------------

@pytest.mark.parametrize("name", list(DEVICES))
def test_every_rule_is_judged_and_gaps_are_unknown_with_the_read_error(name: str) -> None:
    a = audited(name)
    assert a.facts.read_errors, "every capture set has gaps: they must show as read errors"
    for v in a.verdicts.values():
        assert v.status in ("PASS", "FAIL", "WARN", "MANUAL", "UNKNOWN")
        if v.status in ("UNKNOWN", "FAIL", "MANUAL"):
            assert v.detail, f"{v.rule}: a {v.status} must say why"
        operation = read_error_reason(v)
        if operation is not None:
            assert v.status == "UNKNOWN"
            error = a.facts.error_for(operation)
            assert error is not None, f"{v.rule} blames {operation}, which did not fail"
            assert error.message in v.detail  # the read error's own words, which say what to try
    # the audit never invents a device fact it was not given
    for rule in ("resolution", "codec", "main-stream", "ir", "wdr", "clock", "ntp", "timezone", "onvif"):
        v = a.verdicts[rule]
        if v.status in ("PASS", "FAIL") and v.evidence == "device":
            assert v.seen, f"{rule}: a device verdict shows what it saw"
    assert all(a.verdicts[r].status == "UNKNOWN" for r in SITE_RULES)
    assert a.verdicts["power"].status == "MANUAL"


@pytest.mark.parametrize("name", list(DEVICES))
def test_unknown_model_gets_unknown_on_catalogue_only_rules(name: str) -> None:
    a = audited(name)
    model = a.facts.device_info.model if a.facts.device_info else None
    for rule in CATALOGUE_ONLY:
        v = a.verdicts[rule]
        assert v.status == "UNKNOWN", f"{rule} of {model}: {v.status}"
        if model:
            assert f"Model {model} is not in the model catalogue" in v.detail
            assert f"--attest {rule}=yes" in v.detail
        else:
            assert v.detail.startswith("The model is not known")
    # no datasheet, no datasheet evidence
    assert not any(v.evidence == "catalogue" for v in a.verdicts.values())
    # The login is no vendor default, but nothing here asked whether the camera refuses a wrong
    # password (audit_device makes no probe): the camera is not judged on that half, so UNKNOWN.
    creds = a.verdicts["default-credentials"]
    assert creds.status == "UNKNOWN"
    assert "not a known default" in (creds.seen or "")
    assert creds.detail.startswith("Not tested whether the camera refuses a wrong password")


# --- per device: what a person would say ------------------------------------------------------------

def test_hikvision_ptz_media1_without_clock() -> None:
    a = audited("hikvision_ptz")
    assert a.facts.device_info is not None
    assert (a.facts.device_info.manufacturer, a.facts.device_info.model) == ("HIKVISION", "DS-2DF7276-AEL")
    assert a.facts.media2 is False
    assert not any(op.startswith("tr2:") for op in a.requests)  # no Media2 on a Media1 camera
    onvif = a.verdicts["onvif"]
    assert (onvif.status, onvif.evidence) == ("PASS", "device")
    assert "Profile G, S (scopes)" in (onvif.seen or "")  # "Streaming" is Profile S
    for rule in ("clock", "ntp", "timezone"):
        assert read_error_reason(a.verdicts[rule]) == "tds:GetSystemDateAndTime"
    # GetVideoEncoderConfigurations fails, but its profiles carry the encoders: what is missing
    # for size and codec is then the options, which it refuses too.
    assert a.facts.error_for("trt:GetVideoEncoderConfigurations") is not None
    for rule in ("resolution", "codec"):
        assert read_error_reason(a.verdicts[rule]) == "trt:GetVideoEncoderConfigurationOptions"
    for rule in ("ir", "wdr"):
        assert read_error_reason(a.verdicts[rule]) == "timg:GetImagingSettings"
    assert a.overall == "FAIL"  # its main stream, read from its profiles (below)


def test_hikvision_ptz_vendor_default_login_fails() -> None:
    # Firmware V5.1.6 predates V5.3.0, which ended Hikvision's admin/12345.
    a = audit_device(hikvision_ptz(), user="admin", password="12345")
    v = a.verdicts["default-credentials"]
    assert v.status == "FAIL"
    assert "HIKVISION" in (v.seen or "")
    assert a.overall == "FAIL"


def test_hikvision_ptz_main_stream_from_its_profiles() -> None:
    a = audited("hikvision_ptz")
    # its trt:GetProfiles embeds all three encoder configurations, in the profiles' order
    assert [(e.token, e.encoding, e.width, e.height, e.fps, e.bitrate_kbps, e.gop, e.profile)
            for e in a.facts.encoders] == [
        ("VideoEncoderToken_1", "H264", 1280, 720, 10.0, 4096, 5, "Baseline"),
        ("VideoEncoderToken_2", "H264", 704, 480, 30.0, 1024, 50, "Main"),
        ("VideoEncoderToken_3", "H264", 704, 480, 30.0, 1024, 50, "Main")]
    v = a.verdicts["main-stream"]
    assert (v.status, v.evidence, v.fixable_by_provision) == ("FAIL", "device", False)
    assert v.seen == "H264 1280x720 10 fps 4096 kbit/s"
    assert v.source == "ONVIF Media1 GetProfiles"  # not the call that failed
    assert "no ONVIF Media2" in v.detail  # H.265 cannot be set over Media1


def test_axis_clock_time_zone_and_ntp_fail_and_say_how_far() -> None:
    a = audited("axis_q6045")
    assert a.requests[:3] == ["tds:GetSystemDateAndTime", "tds:GetServices", "tds:GetCapabilities"]
    clock = a.verdicts["clock"]
    assert (clock.status, clock.fixable_by_provision) == ("FAIL", True)
    assert "behind" in (clock.seen or "")  # its clock still says 27 Feb 2018
    ntp = a.verdicts["ntp"]
    assert ntp.status == "FAIL"
    assert "Manual" in (ntp.seen or "")
    tz = a.verdicts["timezone"]
    assert tz.status == "FAIL"
    assert tz.seen == "MST7MDT,M3.2.0,M11.1.0 = UTC-07:00"
    assert a.verdicts["onvif"].status == "PASS"
    assert a.overall == "FAIL"


def test_axis_main_stream_is_a_video_encoder() -> None:
    seen = audited("axis_q6045").verdicts["main-stream"].seen or ""
    assert seen.startswith("H264")


def test_pelco_media1_h264_stream_fails_but_codec_is_not_failed() -> None:
    a = audited("pelco_d6230l")
    main = a.verdicts["main-stream"]
    assert main.status == "FAIL"
    assert main.seen == "H264 1920x1080 30 fps 6000 kbit/s"
    assert "size" not in main.detail  # 1920x1080 is right; codec, fps and bitrate are not
    # Media1 cannot show H.265 and the model is unknown: nobody can say it cannot encode it.
    assert a.verdicts["codec"].status == "UNKNOWN"
    assert "cannot encode" not in a.verdicts["codec"].detail
    assert "Profile G, Q, S" in (a.verdicts["onvif"].seen or "")


def test_pelco_media1_codec_change_is_not_promised_to_provision() -> None:
    assert audited("pelco_d6230l").verdicts["main-stream"].fixable_by_provision is False


def test_media2_camera_offering_h265_is_fixable_not_replaced() -> None:
    a = audited("hikvision_media2_composite")
    codec = a.verdicts["codec"]
    assert (codec.status, codec.evidence, codec.fixable_by_provision) == ("FAIL", "device", True)
    assert codec.seen == "runs H264; offers H264, H265"
    assert "cannot encode" not in codec.detail
    assert "Media2" in (codec.source or "")
    res = a.verdicts["resolution"]
    assert (res.status, res.evidence) == ("PASS", "device")
    main = a.verdicts["main-stream"]
    assert (main.status, main.fixable_by_provision) == ("FAIL", True)  # H.265 1920x1080 is offered
    assert a.verdicts["timezone"].seen == "BRT3 = UTC-03:00"


def test_media2_camera_running_h265_is_only_off_in_size_and_rate() -> None:
    a = audited("ipg8150_h265")
    main = a.verdicts["main-stream"]
    assert main.status == "FAIL"
    assert main.seen == "H265 2560x1920 20 fps 2048 kbit/s"
    assert "size 2560x1920" in main.detail
    assert "20 fps" in main.detail
    assert "codec" not in main.detail
    assert "kbit/s" not in main.detail
    assert a.verdicts["codec"].status != "FAIL"


def test_media2_camera_running_h265_has_h265_confirmed() -> None:
    a = audited("ipg8150_h265")
    assert a.facts.error_for("tr2:GetVideoEncoderConfigurationOptions") is not None
    codec = a.verdicts["codec"]
    # the running H.265 confirms the codec without the options; the "+" needs the datasheet
    assert (codec.status, codec.evidence, codec.fixable_by_provision) == ("WARN", "device", False)
    assert codec.seen == "runs H265; offers ?"
    assert codec.source == "ONVIF Media2 GetVideoEncoderConfigurations"  # the options were never read
    assert codec.detail.startswith("H265 is confirmed on the camera")
    assert "smart codec" in codec.detail


def test_d1_camera_fails_resolution_and_must_be_replaced() -> None:
    a = audited("dahua_d1_composite")
    res = a.verdicts["resolution"]
    assert (res.status, res.evidence, res.fixable_by_provision) == ("FAIL", "device", False)
    assert res.seen == "up to 704x576 (0.4 MP)"
    assert "replace the camera" in res.detail
    main = a.verdicts["main-stream"]
    assert (main.status, main.fixable_by_provision) == ("FAIL", False)
    assert main.seen == "H264 704x480 30 fps 1024 kbit/s"
    # Media1 with H.264 and JPEG only, model unknown: the codec verdict waits for a datasheet.
    codec = a.verdicts["codec"]
    assert codec.status == "UNKNOWN"
    assert codec.seen == "runs H264; offers H264, JPEG"


def test_dlink_clock_and_time_zone_from_its_own_reply() -> None:
    a = audited("dlink_dcs6511")
    clock = a.verdicts["clock"]
    assert clock.status == "FAIL"
    assert "NTP is on but not working" in clock.detail  # DateTimeType NTP, clock of March 2023
    assert a.verdicts["timezone"].seen == "COT5 = UTC-05:00"
    assert read_error_reason(a.verdicts["ntp"]) == "tds:GetNTP"
    for rule in ("resolution", "codec", "main-stream"):
        assert a.verdicts[rule].status == "UNKNOWN"


@pytest.mark.parametrize(("name", "manufacturer", "model"), [
    ("enp1a14", "ONVIF", "ENP1A14-IR/25X"),
    ("sunba_405", "H264", "XM530_50X50-WG_8M"),
])
def test_odd_manufacturer_strings_are_kept_and_nothing_is_failed(name: str, manufacturer: str, model: str) -> None:
    a = audited(name)
    assert a.facts.device_info is not None
    assert (a.facts.device_info.manufacturer, a.facts.device_info.model) == (manufacturer, model)
    assert a.facts.media2 is True
    assert not [v.rule for v in a.verdicts.values() if v.status == "FAIL"]
    assert a.overall == "INCOMPLETE"


def test_check_one_on_a_replayed_capture() -> None:
    """The same path ``kitchencam check`` takes, end to end, on the Axis."""
    from kitchencam.check import CheckOptions, check_one

    with replay_camera(axis_q6045()) as cam:
        device = check_one(cam.xaddr, _profile(), _catalogue(),
                           CheckOptions(targets=[cam.xaddr], user=USER, password=PASSWORD,
                                        connect_timeout_s=1.0, read_timeout_s=3.0))
    assert device.error is None
    assert (device.manufacturer, device.model, device.serial) == ("AXIS", "AXIS Q6045-E", "00408CFAB754")
    assert device.mac == "00:40:8C:FA:B7:54"
    assert device.overall == "FAIL"
    assert {v.rule: v.status for v in device.verdicts}["timezone"] == "FAIL"
