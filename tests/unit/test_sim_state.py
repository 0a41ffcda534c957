"""Camera state through SOAP, in-process (SimCamera.handle_soap), and the persona data itself."""

from __future__ import annotations

import pytest

from kitchencam.sim.camera import SimCamera, tz_display, tz_offset
from kitchencam.sim.personas import PERSONAS, get_persona
from kitchencam.sim.wsse import make_username_token_header

TDS = "http://www.onvif.org/ver10/device/wsdl"
TR2 = "http://www.onvif.org/ver20/media/wsdl"
TIMG = "http://www.onvif.org/ver20/imaging/wsdl"
TT = "http://www.onvif.org/ver10/schema"

CONTRACT_NAMES = {"dahua-wizsense2", "dahua-wizsense2-ready", "dahua-lite-s2", "hikvision-ds2cd1023g0e-i",
                  "hikvision-ds2cd2023g2-i", "generic-720p", "hikvision-onvif-off", "printer",
                  "amcrest-ip2m-841",  # a Dahua camera under Amcrest's name (issue 14's OEM path)
                  "insecure-anonymous-stream", "insecure-extra-admin", "insecure-http-only", "insecure-old-firmware",
                  "insecure-no-lockout"}


def call(cam: SimCamera, op_xml: str, auth: bool = True) -> tuple[int, str]:
    user, pw = next(iter(cam._passwords().items()))
    header = f"<s:Header>{make_username_token_header(user, pw, created=cam.now())}</s:Header>" if auth else ""
    body = (f'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="{TDS}" xmlns:tr2="{TR2}" '
            f'xmlns:timg="{TIMG}" xmlns:tt="{TT}">{header}<s:Body>{op_xml}</s:Body></s:Envelope>')
    status, data, _ = cam.handle_soap(body.encode())
    return status, data.decode()


def set_encoder(enc: str, w: int, h: int, fps: float, kbps: int, token: str = "VideoEncoder000",
                gov: int = 50, profile: str = "Main") -> str:
    return (f'<tr2:SetVideoEncoderConfiguration><tr2:Configuration token="{token}" GovLength="{gov}" '
            f'Profile="{profile}"><tt:Name>x</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>{enc}</tt:Encoding>'
            f"<tt:Resolution><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution>"
            f'<tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>{fps}</tt:FrameRateLimit>'
            f"<tt:BitrateLimit>{kbps}</tt:BitrateLimit></tt:RateControl><tt:Quality>4</tt:Quality>"
            "</tr2:Configuration></tr2:SetVideoEncoderConfiguration>")


def test_persona_names_are_the_contract() -> None:
    assert set(PERSONAS) == CONTRACT_NAMES
    with pytest.raises(ValueError, match="known personas: amcrest-ip2m-841, dahua-lite-s2"):
        get_persona("axis")


@pytest.mark.parametrize("name", sorted(n for n, p in PERSONAS.items() if p.streams))
def test_every_persona_default_lies_inside_its_own_options(name: str) -> None:
    p = PERSONAS[name]
    for s in p.streams:
        opts = next(o for o in s.options if o.encoding == s.encoding)
        assert (s.width, s.height) in opts.resolutions
        assert s.fps in opts.frame_rates
        assert opts.bitrate_range[0] <= s.bitrate <= opts.bitrate_range[1]
        assert opts.gov_range[0] <= s.gov <= opts.gov_range[1]
        assert not opts.profiles or s.profile in opts.profiles
    assert p.imaging.ir_cut in p.imaging.ir_cut_modes
    assert p.imaging.wdr_mode in p.imaging.wdr_modes
    assert tz_offset(p.timezone, p.tz_style) is not None


def test_persona_facts_the_audit_relies_on() -> None:
    factory, ready = PERSONAS["dahua-wizsense2"], PERSONAS["dahua-wizsense2-ready"]
    assert factory.streams[0].encoding == "H264"
    assert factory.imaging.wdr_mode == "OFF"
    assert factory.clock_skew == -7200
    assert not factory.ntp
    assert "H265" in [o.encoding for o in factory.streams[0].options]
    assert "ON" in factory.imaging.wdr_modes
    assert (ready.streams[0].encoding, ready.streams[0].width, ready.streams[0].height,
            ready.streams[0].fps, ready.streams[0].bitrate, ready.streams[0].cbr) == ("H265", 1920, 1080, 25.0,
                                                                                      2048, False)
    assert ready.imaging.wdr_mode == "ON"
    assert ready.ntp
    assert ready.ntp_servers
    assert ready.clock_skew == 0
    assert PERSONAS["hikvision-ds2cd1023g0e-i"].imaging.wdr_modes == ("OFF",)
    assert not PERSONAS["generic-720p"].media2
    assert [o.encoding for o in PERSONAS["generic-720p"].streams[0].options] == ["H264", "JPEG"]
    assert not PERSONAS["hikvision-onvif-off"].discovery.answers
    assert not PERSONAS["printer"].onvif
    assert PERSONAS["printer"].discovery.answers


@pytest.mark.parametrize(("tz", "style", "east"), [
    ("<+07>-7", "posix", 7 * 3600), ("ICT-7", "posix", 7 * 3600), ("CST-7:00:00", "posix", 7 * 3600),
    ("KRAT-07:00", "posix", 7 * 3600), ("UTC+0", "posix", 0), ("EST+5", "posix", -5 * 3600),
    ("GMT+07:00", "dahua", 7 * 3600), ("GMT+07:00", "posix", -7 * 3600), ("<+0530>-5:30", "posix", 19800),
])
def test_tz_offset_reads_posix_and_dahua_zone_names(tz: str, style: str, east: int) -> None:
    assert tz_offset(tz, style) == east


def test_tz_offset_rejects_garbage() -> None:
    assert tz_offset("not a zone") is None
    assert tz_offset("ABC+99") is None


def test_tz_display_per_vendor() -> None:
    assert tz_display("<+07>-7", 25200, "dahua") == "GMT+07:00"
    assert tz_display("<+07>-7", 25200, "hikvision") == "CST-7:00:00"
    assert tz_display("<+07>-7", 25200, "posix") == "<+07>-7"


def test_media2_set_changes_state_and_main_stream() -> None:
    cam = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.2")
    status, text = call(cam, set_encoder("H265", 1920, 1080, 25, 2048))
    assert status == 200, text
    assert cam.main_stream() == ("H265", 1920, 1080, 25.0)
    assert cam.stream(0).cbr is False
    assert cam.stream(0).bitrate == 2048
    status, text = call(cam, '<tr2:GetVideoEncoderConfigurations><tr2:ConfigurationToken>VideoEncoder000'
                             "</tr2:ConfigurationToken></tr2:GetVideoEncoderConfigurations>")
    assert "<tt:Encoding>H265</tt:Encoding>" in text
    assert "<tt:BitrateLimit>2048</tt:BitrateLimit>" in text


@pytest.mark.parametrize(("xml", "why"), [
    (set_encoder("H265", 1600, 900, 25, 2048), "resolution"),
    (set_encoder("H265", 1920, 1080, 60, 2048), "frame rate"),
    (set_encoder("H265", 1920, 1080, 25, 9000), "bitrate"),
    (set_encoder("MPEG4", 1920, 1080, 25, 2048), "encoding"),
    (set_encoder("H265", 1920, 1080, 25, 2048, token="nope"), "does not exist"),
])
def test_invalid_encoder_values_are_config_modify_faults(xml: str, why: str) -> None:
    cam = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.2")
    before = cam.stream(0)
    status, text = call(cam, xml)
    assert status == 400
    assert "ter:InvalidArgVal" in text
    assert why in text
    assert cam.stream(0) == before


def test_imaging_set_and_invalid_ir_mode() -> None:
    cam = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.2")
    ok = ('<timg:SetImagingSettings><timg:VideoSourceToken>VideoSource000</timg:VideoSourceToken>'
          "<timg:ImagingSettings><tt:IrCutFilter>OFF</tt:IrCutFilter><tt:WideDynamicRange><tt:Mode>ON</tt:Mode>"
          "<tt:Level>80</tt:Level></tt:WideDynamicRange></timg:ImagingSettings></timg:SetImagingSettings>")
    assert call(cam, ok)[0] == 200
    assert (cam.imaging.ir_cut, cam.imaging.wdr_mode, cam.imaging.wdr_level) == ("OFF", "ON", 80.0)
    bad = ok.replace("<tt:IrCutFilter>OFF", "<tt:IrCutFilter>SOMETIMES")
    status, text = call(cam, bad)
    assert status == 400
    assert "ter:SettingsInvalid" in text
    assert cam.imaging.ir_cut == "OFF"


def test_ntp_mode_needs_a_server_and_fixes_the_clock() -> None:
    cam = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.2")
    assert call(cam, "<tds:SetNTP><tds:FromDHCP>false</tds:FromDHCP></tds:SetNTP>")[0] == 200
    to_ntp = ("<tds:SetSystemDateAndTime><tds:DateTimeType>NTP</tds:DateTimeType>"
              "<tds:DaylightSavings>false</tds:DaylightSavings></tds:SetSystemDateAndTime>")
    status, text = call(cam, to_ntp)
    assert status == 400
    assert "NtpServerUndefined" in text
    assert call(cam, "<tds:SetNTP><tds:FromDHCP>false</tds:FromDHCP><tds:NTPManual><tt:Type>DNS</tt:Type>"
                     "<tt:DNSname>pool.ntp.org</tt:DNSname></tds:NTPManual></tds:SetNTP>")[0] == 200
    assert call(cam, to_ntp)[0] == 200
    assert cam.state.ntp
    assert cam.state.skew == 0.0


def test_unauthenticated_and_unknown_operations() -> None:
    cam = SimCamera(get_persona("dahua-lite-s2"), "127.0.0.2")
    status, text = call(cam, "<tds:GetDeviceInformation/>", auth=False)
    assert status == 400
    assert "ter:NotAuthorized" in text
    assert "Sender not Authorized" in text
    assert call(cam, "<tds:GetSystemDateAndTime/>", auth=False)[0] == 200
    status, text = call(cam, "<tds:GetZeroConfiguration/>")
    assert status == 500
    assert "ter:ActionNotSupported" in text


def test_rtsp_paths_map_back_to_streams() -> None:
    cam = SimCamera(get_persona("hikvision-ds2cd2023g2-i"), "127.0.0.2")
    cam.rtsp_port = 8554
    assert cam.rtsp_uri(1) == "rtsp://127.0.0.2:8554/Streaming/Channels/102?transportmode=unicast&profile=Profile_2"
    assert cam.stream_index_for_rtsp(cam.rtsp_uri(0)) == 0
    assert cam.stream_index_for_rtsp("/Streaming/Channels/102") == 1
    dahua = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.3")
    assert dahua.stream_index_for_rtsp("/cam/realmonitor?channel=1&subtype=1") == 1
    assert dahua.stream_index_for_rtsp("/cam/realmonitor") is None  # ambiguous
    assert dahua.stream_index_for_rtsp("/nothing") is None


def test_orchestrator_hooks_follow_the_encoder() -> None:
    cam = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.2", user="tech", password="pw")
    assert cam.stream_info("/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif") == ("H264", 1920,
                                                                                                 1080, 25.0)
    assert call(cam, set_encoder("H265", 1280, 720, 20, 1024))[0] == 200
    assert cam.stream_info("/cam/realmonitor?channel=1&subtype=0") == ("H265", 1280, 720, 20.0)
    assert cam.stream_info("/nope") is None
    assert cam.rtsp_credentials() == {"tech": "pw"}
    assert cam.xaddrs == cam.discovery_xaddrs
    assert [x.rsplit("/", 2)[-2:] for x in cam.xaddrs] == [["onvif", "device_service"]]


def test_endpoint_facts_for_the_orchestrator() -> None:
    cam = SimCamera(get_persona("hikvision-ds2cd1023g0e-i"), "127.0.0.2", faults=[" latency=5 "])
    assert (cam.user, cam.password, cam.fault_specs) == ("admin", "Hik12345", ["latency=5"])
    assert cam.stream_uri_for(0) == "rtsp://127.0.0.2:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1"
    printer = SimCamera(get_persona("printer"), "127.0.0.3", user="x", password="y")
    assert printer.stream_uri_for(0) is None
    assert (printer.user, printer.password) == ("x", "y")
