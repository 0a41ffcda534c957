"""Real replies read faithfully: elements in any order, vendor extras, refused GetProfiles.

Each reply is a real capture (tests/data/captures) served by the replay camera over real HTTP,
changed only the way real firmwares differ from the schema (an element moved, a vendor element
added), and read with the real zeep client by ``read_facts``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from lxml import etree

from kitchencam.models import Facts
from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts
from tests.integration.test_captures_audit import audit_device, services_reply
from tests.replay import CAPTURES, Reply, Request, Route, replay_camera, system_date_and_time

EASY = "easy_onvif_workspace/"
EX = "ex_onvif/test/fixtures/"
NVT = "onvif-nvt/"
TT = "http://www.onvif.org/ver10/schema"
FAST = Timeouts(connect=1.0, read=3.0)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _child(parent: etree._Element, local: str) -> etree._Element:
    return next(c for c in parent if isinstance(c.tag, str) and etree.QName(c).localname == local)


def mutated(relpath: str, change: Callable[[etree._Element], None]) -> Reply:
    """The capture at ``relpath`` with ``change`` applied to its parsed envelope."""
    doc = etree.fromstring((CAPTURES / relpath).read_bytes(), _PARSER)
    change(doc)
    return Reply(etree.tostring(doc, xml_declaration=True, encoding="UTF-8"))


def move_before(parent_local: str, moved: str, anchor: str) -> Callable[[etree._Element], None]:
    """In every ``parent_local`` element, move child ``moved`` just before child ``anchor``."""
    def change(doc: etree._Element) -> None:
        parents = [e for e in doc.iter() if isinstance(e.tag, str) and etree.QName(e).localname == parent_local]
        assert parents, parent_local
        for parent in parents:
            _child(parent, anchor).addprevious(_child(parent, moved))
    return change


def vendor_first(parent_local: str) -> Callable[[etree._Element], None]:
    """A vendor element (unknown namespace) as the first child of every ``parent_local``."""
    def change(doc: etree._Element) -> None:
        for parent in [e for e in doc.iter() if isinstance(e.tag, str) and etree.QName(e).localname == parent_local]:
            extra = etree.Element("{urn:example:vendor}SmartCodec")
            extra.text = "on"
            parent.insert(0, extra)
    return change


def read(routes: dict[str, Route]) -> tuple[Facts, list[str]]:
    with replay_camera(routes) as cam, OnvifCamera(cam.target, user="tech", password="site-pass",
                                                   timeouts=FAST) as camera:
        facts = read_facts(camera)
        return facts, [r.operation for r in cam.requests]


IPG_ENCODERS = EASY + "IPG-8150PSS/media2/GetVideoEncoderConfigurationsResponse.xml"


# --- 1. elements in another order, vendor extensions ------------------------------------------------

def test_media2_encoder_with_quality_before_rate_control_keeps_fps_and_bitrate() -> None:
    routes = {"tds:GetServices": services_reply("tds", "tr2"),
              "tr2:GetVideoEncoderConfigurations": mutated(
                  IPG_ENCODERS, move_before("Configurations", "Quality", "RateControl"))}
    facts, _ops = read(routes)
    main = facts.encoders[0]
    assert (main.encoding, main.width, main.height, main.fps, main.bitrate_kbps, main.quality,
            main.constant_bitrate) == ("H265", 2560, 1920, 20.0, 2048, 4.0, False)
    a = audit_device(routes)
    assert a.verdicts["main-stream"].seen == "H265 2560x1920 20 fps 2048 kbit/s"
    assert "? fps" not in a.verdicts["main-stream"].detail


def test_media2_encoder_with_vendor_element_first_and_rate_children_swapped() -> None:
    def change(doc: etree._Element) -> None:
        vendor_first("Configurations")(doc)
        move_before("RateControl", "BitrateLimit", "FrameRateLimit")(doc)
        move_before("Configurations", "Resolution", "Encoding")(doc)

    facts, _ops = read({"tds:GetServices": services_reply("tds", "tr2"),
                        "tr2:GetVideoEncoderConfigurations": mutated(IPG_ENCODERS, change)})
    assert [(e.token, e.encoding, e.width, e.height, e.fps, e.bitrate_kbps, e.gop, e.profile)
            for e in facts.encoders][:2] == [("VEToken_1", "H265", 2560, 1920, 20.0, 2048, 100, "Main"),
                                             ("VEToken_2", "H265", 800, 448, 20.0, 512, 100, "Main")]


def test_media1_encoder_reordered_keeps_every_field() -> None:
    capture = NVT + "pelco/media/GetVideoEncoderConfigurations.Response.xml"

    def change(doc: etree._Element) -> None:
        move_before("Configurations", "RateControl", "Encoding")(doc)
        move_before("Configurations", "Quality", "Name")(doc)

    facts, _ops = read({"tds:GetServices": services_reply("tds", "trt"),
                        "trt:GetVideoEncoderConfigurations": mutated(capture, change)})
    assert [(e.name, e.encoding, e.width, e.height, e.fps, e.bitrate_kbps, e.gop, e.profile)
            for e in facts.encoders] == [("Primary", "H264", 1920, 1080, 30.0, 6000, 30, "High"),
                                         ("Secondary", "JPEG", 1920, 1080, 5.0, 5000, None, None)]


def test_media2_options_reordered_keep_resolutions_and_ranges() -> None:
    capture = EX + "get_media2_video_encoder_configuration_options.xml"

    def change(doc: etree._Element) -> None:
        vendor_first("Options")(doc)
        move_before("Options", "BitrateRange", "Encoding")(doc)
        move_before("Options", "QualityRange", "Encoding")(doc)

    routes = {"tds:GetServices": services_reply("tds", "tr2"),
              "tr2:GetVideoEncoderConfigurations": Reply.capture(IPG_ENCODERS),
              "tr2:GetVideoEncoderConfigurationOptions": mutated(capture, change)}
    facts, _ops = read(routes)
    by_enc = {o.encoding: o for o in facts.encoder_options[0].options}
    assert set(by_enc) == {"H264", "H265"}
    h265 = by_enc["H265"]
    assert [(r.width, r.height) for r in h265.resolutions] == [(1920, 1080), (2560, 1440), (3072, 1728)]
    assert (h265.bitrate_min_kbps, h265.bitrate_max_kbps, h265.fps_max, h265.gov_max) == (32, 16384, 12.5, 250)


def test_media1_options_reordered_keep_resolutions() -> None:
    capture = EX + "get_video_encoder_configuration_options.xml"

    def change(doc: etree._Element) -> None:
        move_before("H264", "GovLengthRange", "ResolutionsAvailable")(doc)
        move_before("Options", "H264", "QualityRange")(doc)

    routes = {"tds:GetServices": services_reply("tds", "trt"),
              "trt:GetVideoEncoderConfigurations": Reply.capture(
                  NVT + "pelco/media/GetVideoEncoderConfigurations.Response.xml"),
              "trt:GetVideoEncoderConfigurationOptions": mutated(capture, change)}
    facts, _ops = read(routes)
    h264 = {o.encoding: o for o in facts.encoder_options[0].options}["H264"]
    assert [(r.width, r.height) for r in h264.resolutions] == [(704, 576), (640, 480), (352, 288)]
    assert (h264.fps_min, h264.fps_max, h264.gov_min, h264.gov_max) == (1.0, 25.0, 25, 150)
    assert (h264.quality_min, h264.quality_max) == (1.0, 6.0)


IMAGING_OPTIONS = (
    "<timg:GetOptionsResponse><timg:ImagingOptions>"
    "<tt:Brightness><tt:Min>0</tt:Min><tt:Max>100</tt:Max></tt:Brightness>"
    "<hik:DayNight xmlns:hik='urn:example:vendor'>auto</hik:DayNight>"
    "<tt:WideDynamicRange><tt:Level><tt:Min>0</tt:Min><tt:Max>100</tt:Max></tt:Level>"
    "<tt:Mode>OFF</tt:Mode><tt:Mode>ON</tt:Mode></tt:WideDynamicRange>"
    "<tt:IrCutFilterModes>ON</tt:IrCutFilterModes><tt:IrCutFilterModes>OFF</tt:IrCutFilterModes>"
    "<tt:IrCutFilterModes>AUTO</tt:IrCutFilterModes>"
    "</timg:ImagingOptions></timg:GetOptionsResponse>")
IMAGING_SETTINGS = (
    "<timg:GetImagingSettingsResponse><timg:ImagingSettings>"
    "<tt:IrCutFilter>AUTO</tt:IrCutFilter><tt:Brightness>50</tt:Brightness>"
    "<tt:WideDynamicRange><tt:Level>50</tt:Level><tt:Mode>ON</tt:Mode></tt:WideDynamicRange>"
    "</timg:ImagingSettings></timg:GetImagingSettingsResponse>")
VIDEO_SOURCES = (
    "<tr2:GetVideoSourceConfigurationsResponse><tr2:Configurations token='vsc0'><tt:Name>src</tt:Name>"
    "<tt:UseCount>1</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken>"
    "<tt:Bounds x='0' y='0' width='1920' height='1080'/></tr2:Configurations>"
    "</tr2:GetVideoSourceConfigurationsResponse>")


def test_imaging_read_by_name_in_any_order() -> None:
    facts, _ops = read({"tds:GetServices": services_reply("tds", "tr2", "timg"),
                        "tr2:GetVideoSourceConfigurations": Reply.envelope(VIDEO_SOURCES),
                        "timg:GetImagingSettings": Reply.envelope(IMAGING_SETTINGS),
                        "timg:GetOptions": Reply.envelope(IMAGING_OPTIONS)})
    img = facts.imaging[0]
    assert (img.ir_cut_filter, img.wdr_mode, img.wdr_level, img.brightness) == ("AUTO", "ON", 50.0, 50.0)
    assert img.options is not None
    assert img.options.ir_cut_modes == ["ON", "OFF", "AUTO"]
    assert img.options.wdr_modes == ["OFF", "ON"]


def test_ntp_read_by_name_in_any_order() -> None:
    ntp = ("<tds:GetNTPResponse><tds:NTPInformation>"
           "<tt:NTPManual><tt:DNSname>pool.ntp.org</tt:DNSname><tt:Type>DNS</tt:Type></tt:NTPManual>"
           "<tt:FromDHCP>false</tt:FromDHCP></tds:NTPInformation></tds:GetNTPResponse>")
    facts, _ops = read({"tds:GetServices": services_reply("tds"), "tds:GetNTP": Reply.envelope(ntp)})
    assert facts.ntp is not None
    assert (facts.ntp.from_dhcp, facts.ntp.servers) == (False, ["pool.ntp.org"])


def test_time_reply_reordered_keeps_type_zone_and_dst() -> None:
    u = datetime.now(timezone.utc)
    when = (f"<tt:Time><tt:Hour>{u.hour}</tt:Hour><tt:Minute>{u.minute}</tt:Minute><tt:Second>{u.second}"
            f"</tt:Second></tt:Time><tt:Date><tt:Year>{u.year}</tt:Year><tt:Month>{u.month}</tt:Month>"
            f"<tt:Day>{u.day}</tt:Day></tt:Date>")
    body = ("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            f"<tt:UTCDateTime>{when}</tt:UTCDateTime><tt:TimeZone><tt:TZ>CST-7:00:00</tt:TZ></tt:TimeZone>"
            "<tt:DaylightSavings>false</tt:DaylightSavings><tt:DateTimeType>NTP</tt:DateTimeType>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")
    a = audit_device({"tds:GetServices": services_reply("tds"), "tds:GetSystemDateAndTime": Reply.envelope(body)})
    assert a.facts.time is not None
    assert (a.facts.time.date_time_type, a.facts.time.timezone, a.facts.time.dst) == ("NTP", "CST-7:00:00", False)
    assert a.verdicts["timezone"].status == "PASS"


# --- 2. GetProfiles refused with Type=All -----------------------------------------------------------

ENP_PROFILES = EASY + "ENP1A14-IR_25X/media2/GetProfilesResponse.xml"


def _refuse_type_all(ok: Reply) -> Callable[[Request], Reply]:
    def route(req: Request) -> Reply:
        return Reply.html(500, "Internal Server Error") if b">All<" in req.body else ok
    return route


def stream_uri(req: Request) -> Reply:
    name = "main" if b"Profile_1" in req.body else "sub"
    return Reply.envelope(f"<tr2:GetStreamUriResponse><tr2:Uri>rtsp://127.0.0.1:554/{name}</tr2:Uri>"
                          "</tr2:GetStreamUriResponse>")


def test_profiles_refused_with_type_all_are_asked_again_without_type() -> None:
    facts, ops = read({"tds:GetServices": services_reply("tds", "tr2"),
                       "tr2:GetProfiles": _refuse_type_all(Reply.capture(ENP_PROFILES)),
                       "tr2:GetStreamUri": stream_uri})
    assert ops.count("tr2:GetProfiles") == 2
    assert [p.token for p in facts.profiles] == ["Profile_1", "Profile_2", "Profile_3"]
    assert facts.profiles[0].stream_uri == "rtsp://127.0.0.1:554/main"
    assert facts.error_for("tr2:GetProfiles") is None
    assert facts.media2 is True


def test_profiles_refused_by_media2_are_read_over_media1() -> None:
    facts, ops = read({"tds:GetServices": services_reply("tds", "trt", "tr2"),
                       "tr2:GetProfiles": Reply.html(500, "Internal Server Error"),
                       "trt:GetProfiles": Reply.capture("onvif-nvt/hikvision/media/GetProfiles.Response.xml")})
    assert ops.count("tr2:GetProfiles") == 2
    assert "trt:GetProfiles" in ops
    assert facts.media2 is False
    assert facts.profiles
    assert facts.encoders
    error = facts.error_for("tr2:GetProfiles")
    assert error is not None
    assert "with Type=All and without it" in error.message
    assert "Media1" in error.message


def test_profiles_refused_everywhere_say_what_was_tried() -> None:
    facts, ops = read({"tds:GetServices": services_reply("tds", "tr2"),
                       "tr2:GetProfiles": Reply.fault("ter:InvalidArgVal", reason="Type not supported")})
    assert ops.count("tr2:GetProfiles") == 2
    assert facts.profiles == []
    error = facts.error_for("tr2:GetProfiles")
    assert error is not None
    assert "with Type=All and without it" in error.message
    assert "no stream address" in error.message


def test_an_empty_profile_list_is_said() -> None:
    empty = Reply.envelope("<tr2:GetProfilesResponse/>")
    facts, _ops = read({"tds:GetServices": services_reply("tds", "tr2"), "tr2:GetProfiles": empty})
    error = facts.error_for("tr2:GetProfiles")
    assert error is not None
    assert "listed no media profiles" in error.message


# --- 4. NTP servers "none" only when GetNTP answered --------------------------------------------------

def _clock(kind: str) -> Reply:
    return system_date_and_time(datetime.now(timezone.utc), tz="ICT-7", kind=kind)


def test_manual_time_with_getntp_refused_does_not_claim_no_servers() -> None:
    a = audit_device({"tds:GetServices": services_reply("tds"), "tds:GetSystemDateAndTime": _clock("Manual"),
                      "tds:GetNTP": Reply.fault("ter:ActionNotSupported", code="env:Receiver")})
    ntp = a.verdicts["ntp"]
    assert ntp.status == "FAIL"  # Manual time is the camera's own word
    assert ntp.seen == "time type Manual; NTP servers: not read"
    assert "could not be read (tds:GetNTP)" in ntp.detail


def test_ntp_time_with_getntp_refused_is_unknown_with_the_reason() -> None:
    a = audit_device({"tds:GetServices": services_reply("tds"), "tds:GetSystemDateAndTime": _clock("NTP"),
                      "tds:GetNTP": Reply.fault("ter:ActionNotSupported", code="env:Receiver")})
    ntp = a.verdicts["ntp"]
    assert ntp.status == "UNKNOWN"
    assert ntp.seen == "time type NTP; NTP servers: not read"
    assert "tds:GetNTP" in ntp.detail


def test_ntp_answered_without_servers_is_none() -> None:
    empty = Reply.envelope("<tds:GetNTPResponse><tds:NTPInformation><tt:FromDHCP>false</tt:FromDHCP>"
                           "</tds:NTPInformation></tds:GetNTPResponse>")
    a = audit_device({"tds:GetServices": services_reply("tds"), "tds:GetSystemDateAndTime": _clock("NTP"),
                      "tds:GetNTP": empty})
    assert (a.verdicts["ntp"].status, a.verdicts["ntp"].seen) == ("FAIL", "time type NTP; NTP servers: none")


# --- 5. a forced IR-cut fails; resolution from the running configuration -----------------------------

def _imaging_routes(modes: list[str], current: str) -> dict[str, Route]:
    options = IMAGING_OPTIONS.split("<tt:IrCutFilterModes>", maxsplit=1)[0] + "".join(
        f"<tt:IrCutFilterModes>{m}</tt:IrCutFilterModes>" for m in modes) + \
        "</timg:ImagingOptions></timg:GetOptionsResponse>"
    return {"tds:GetServices": services_reply("tds", "tr2", "timg"),
            "tr2:GetVideoSourceConfigurations": Reply.envelope(VIDEO_SOURCES),
            "timg:GetImagingSettings": Reply.envelope(IMAGING_SETTINGS.replace(">AUTO<", f">{current}<")),
            "timg:GetOptions": Reply.envelope(options)}


def test_ir_cut_offering_only_on_fails() -> None:
    ir = audit_device(_imaging_routes(["ON"], "ON")).verdicts["ir"]
    assert ir.status == "FAIL"
    assert ir.seen == "IR-cut ON (offers ON)"
    assert ir.fixable_by_provision is False


def test_ir_cut_forced_on_fails_even_for_a_model_nobody_catalogued() -> None:
    ir = audit_device(_imaging_routes(["ON", "OFF", "AUTO"], "ON")).verdicts["ir"]
    assert (ir.status, ir.evidence, ir.fixable_by_provision) == ("FAIL", "device", True)
    assert "forced ON" in ir.detail


def test_ir_cut_forced_with_options_unread_fails() -> None:
    routes = _imaging_routes(["AUTO"], "OFF")
    routes["timg:GetOptions"] = Reply.fault("ter:ActionNotSupported", code="env:Receiver")
    ir = audit_device(routes).verdicts["ir"]
    assert ir.status == "FAIL"
    assert "forced OFF" in ir.detail


def test_resolution_from_the_running_configuration_when_the_options_are_empty() -> None:
    routes = {"tds:GetServices": services_reply("tds", "tr2"),
              "tr2:GetVideoEncoderConfigurations": Reply.capture(IPG_ENCODERS),
              "tr2:GetVideoEncoderConfigurationOptions": Reply.envelope(
                  "<tr2:GetVideoEncoderConfigurationOptionsResponse/>")}
    res = audit_device(routes).verdicts["resolution"]
    assert (res.status, res.evidence) == ("PASS", "device")
    assert res.seen == "runs 2560x1920 (4.9 MP)"


def test_a_running_stream_below_the_size_asked_proves_nothing() -> None:
    def small(doc: etree._Element) -> None:
        for el in doc.iter(f"{{{TT}}}Width"):
            el.text = "1280"
        for el in doc.iter(f"{{{TT}}}Height"):
            el.text = "720"

    routes = {"tds:GetServices": services_reply("tds", "tr2"),
              "tr2:GetVideoEncoderConfigurations": mutated(IPG_ENCODERS, small),
              "tr2:GetVideoEncoderConfigurationOptions": Reply.envelope(
                  "<tr2:GetVideoEncoderConfigurationOptionsResponse/>")}
    res = audit_device(routes).verdicts["resolution"]
    assert res.status == "UNKNOWN"  # a 720p stream may run on a 2 MP sensor: only options or a datasheet tell
