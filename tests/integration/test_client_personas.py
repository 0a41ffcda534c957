"""The real client (OnvifCamera + read_facts) against every simulated persona, over real sockets.

Each ONVIF persona is read into the same typed ``Facts``; the expected values below are written
out by hand from the persona table in docs/reference/simulator.md, so a wrong converter in
``onvif/read.py`` or a wrong reply from ``sim/camera.py`` fails here. The Set methods of the
client are round-tripped: set, read again with ``read_facts``, compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from kitchencam.errors import AuthFailed, InvalidArgument, NotSupported, OnvifDisabled, Unreachable
from kitchencam.models import Facts
from kitchencam.onvif.read import read_facts

if TYPE_CHECKING:  # tests/integration is no package: the fixture's class is for readers and type checkers
    from conftest import Sim

TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TR2 = "http://www.onvif.org/ver20/media/wsdl"
TIMG = "http://www.onvif.org/ver20/imaging/wsdl"
TEV = "http://www.onvif.org/ver10/events/wsdl"
TMD = "http://www.onvif.org/ver10/deviceIO/wsdl"


@dataclass(frozen=True)
class Expected:
    manufacturer: str
    model: str
    firmware: str
    mac_prefix: str
    hostname: str
    tz: str  # as the firmware writes it back
    skew: float  # seconds the camera's clock is ahead of ours
    date_time_type: str
    ntp_servers: list[str]
    media2: bool
    main: tuple[str, int, int, float, int]  # codec, width, height, fps, kbit/s
    sub: tuple[str, int, int, float, int]
    main_profile: str
    cbr: bool | None
    h265_offered: bool
    main_resolutions: list[tuple[int, int]]
    wdr_mode: str
    wdr_modes: list[str]
    profile_tokens: list[str]
    encoder_tokens: list[str]
    video_source: str
    rtsp_path: str


EXPECTED: dict[str, Expected] = {
    "dahua-wizsense2": Expected(
        "Dahua", "IPC-HFW2241S-S-0360B", "2.840.0000000.28.R, Build Date 2023-06-08", "3c:ef:8c:", "IPC",
        "GMT+08:00", -7200, "Manual", ["clock.isc.org"], True,
        ("H264", 1920, 1080, 25.0, 4096), ("H264", 704, 576, 25.0, 512), "High", True, True,
        [(1920, 1080), (1280, 960), (1280, 720)], "OFF", ["OFF", "ON"],
        ["MediaProfile00000", "MediaProfile00001"], ["VideoEncoder000", "VideoEncoder001"], "VideoSource000",
        "/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif"),
    "dahua-wizsense2-ready": Expected(
        "Dahua", "IPC-HFW2241S-S-0360B", "2.840.0000000.28.R, Build Date 2023-06-08", "3c:ef:8c:",
        "IPC-BEPTRUONG", "GMT+07:00", 0, "NTP", ["pool.ntp.org", "time.google.com"], True,
        ("H265", 1920, 1080, 25.0, 2048), ("H264", 704, 576, 25.0, 512), "Main", False, True,
        [(1920, 1080), (1280, 960), (1280, 720)], "ON", ["OFF", "ON"],
        ["MediaProfile00000", "MediaProfile00001"], ["VideoEncoder000", "VideoEncoder001"], "VideoSource000",
        "/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif"),
    "dahua-lite-s2": Expected(
        "Dahua", "IPC-HFW2231S-S-S2", "2.800.0000000.16.R, Build Date 2021-03-22", "3c:ef:8c:", "IPC",
        "GMT+08:00", 40, "Manual", ["clock.isc.org"], True,
        ("H265", 1920, 1080, 25.0, 2048), ("H264", 704, 576, 25.0, 512), "Main", True, True,
        [(1920, 1080), (1280, 960), (1280, 720)], "OFF", ["OFF", "ON"],
        ["MediaProfile00000", "MediaProfile00001"], ["VideoEncoder000", "VideoEncoder001"], "VideoSource000",
        "/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif"),
    "hikvision-ds2cd1023g0e-i": Expected(
        "HIKVISION", "DS-2CD1023G0E-I", "V5.5.800 build 210628", "bc:ad:28:", "HIKVISION",
        "CST-8:00:00", 95, "Manual", ["time.windows.com"], True,
        ("H264", 1920, 1080, 25.0, 4096), ("H264", 640, 480, 25.0, 256), "High", False, True,
        [(1920, 1080), (1280, 720)], "OFF", ["OFF"],
        ["Profile_1", "Profile_2"], ["VideoEncoderToken_1", "VideoEncoderToken_2"], "VideoSource_1",
        "/Streaming/Channels/101?transportmode=unicast&profile=Profile_1"),
    "hikvision-ds2cd2023g2-i": Expected(
        "HIKVISION", "DS-2CD2023G2-I", "V5.7.3 build 220112", "bc:ad:28:", "HIKVISION",
        "CST-8:00:00", 0, "NTP", ["time.windows.com"], True,
        ("H265", 1920, 1080, 25.0, 4096), ("H264", 640, 480, 25.0, 256), "Main", False, True,
        [(1920, 1080), (1280, 720)], "OFF", ["OFF", "ON"],
        ["Profile_1", "Profile_2"], ["VideoEncoderToken_1", "VideoEncoderToken_2"], "VideoSource_1",
        "/Streaming/Channels/101?transportmode=unicast&profile=Profile_1"),
    # Media1 only: no H.265, no CBR flag (Media1 has none), Media1's EncodingInterval instead.
    "generic-720p": Expected(
        "IPCAM", "IPC-720P-H264", "V4.02.R11.20190812", "00:12:41:", "IPCAM",
        "UTC+0", 0, "Manual", ["time.nist.gov"], False,
        ("H264", 1280, 720, 25.0, 2048), ("H264", 640, 360, 25.0, 512), "Main", None, False,
        [(1280, 720), (640, 360)], "OFF", ["OFF"],
        ["PROFILE_000", "PROFILE_001"], ["V_ENC_000", "V_ENC_001"], "V_SRC_000", "/stream0"),
}
PERSONAS = list(EXPECTED)


@pytest.fixture(scope="module")
def school_facts(module_sim: Sim) -> dict[str, tuple[Any, Facts, bool]]:
    """One simulated school with every ONVIF persona, each read once: name -> (sim camera, facts, digest)."""
    school = module_sim.school(PERSONAS)
    out = {}
    for member in school.members:
        cam = member.camera
        with module_sim.client(cam) as client:
            out[cam.persona.name] = (member, read_facts(client), client.uses_http_digest)
    return out


@pytest.mark.parametrize("name", PERSONAS)
def test_device_identity(school_facts: dict[str, Any], name: str) -> None:
    member, facts, _digest = school_facts[name]
    cam, want = member.camera, EXPECTED[name]
    assert facts.read_errors == []
    assert facts.target == f"{cam.ip}:{cam.http_port}"
    info = facts.device_info
    assert info is not None
    assert (info.manufacturer, info.model, info.firmware) == (want.manufacturer, want.model, want.firmware)
    assert info.serial == cam.serial
    assert info.serial.startswith({"Dahua": "8H0A", "HIKVISION": want.model, "IPCAM": "IPC"}[want.manufacturer])
    assert [n.mac for n in facts.network_interfaces] == [cam.mac]
    assert cam.mac.startswith(want.mac_prefix)
    assert facts.network_interfaces[0].ipv4 == [f"{cam.ip}/24"]
    assert facts.hostname is not None
    assert facts.hostname.name == want.hostname


@pytest.mark.parametrize("name", PERSONAS)
def test_scopes_and_services(school_facts: dict[str, Any], name: str) -> None:
    member, facts, _digest = school_facts[name]
    cam, want = member.camera, EXPECTED[name]
    assert facts.scopes is not None
    assert facts.scopes.profiles == (["Streaming", "T"] if want.media2 else ["Streaming"])
    assert facts.scopes.hardware == want.model
    assert facts.scopes.location == "country/vietnam"
    assert facts.media2 is want.media2
    expected_ns = {TDS, TRT, TIMG, TEV} | ({TR2, TMD} if want.media2 else set())
    assert set(facts.services) == expected_ns
    paths = cam.persona.paths
    assert facts.services[TDS].xaddr == cam.device_xaddr
    assert facts.services[TIMG].xaddr == cam.xaddr(paths.imaging)
    if want.media2:
        assert facts.services[TR2].xaddr == cam.xaddr(paths.media2)
    major, minor = cam.persona.onvif_version
    assert facts.services[TRT].version == f"{major}.{minor:02d}"


@pytest.mark.parametrize("name", PERSONAS)
def test_time_and_ntp(school_facts: dict[str, Any], name: str) -> None:
    _member, facts, _digest = school_facts[name]
    want = EXPECTED[name]
    assert facts.time is not None
    assert facts.time.timezone == want.tz
    assert facts.time.date_time_type == want.date_time_type
    assert facts.time.dst is False
    # The camera reports whole seconds: the measured offset is within a second or so of its skew.
    assert facts.time.clock_offset_s is not None
    assert abs(facts.time.clock_offset_s - want.skew) < 2.0
    assert facts.ntp is not None
    assert facts.ntp.servers == want.ntp_servers
    assert facts.ntp.from_dhcp is False


@pytest.mark.parametrize("name", PERSONAS)
def test_profiles_and_encoders(school_facts: dict[str, Any], name: str) -> None:
    member, facts, _digest = school_facts[name]
    cam, want = member.camera, EXPECTED[name]
    assert [p.token for p in facts.profiles] == want.profile_tokens
    assert [p.encoder_token for p in facts.profiles] == want.encoder_tokens
    assert {p.video_source_token for p in facts.profiles} == {want.video_source}
    # Stream URIs carry the school's RTSP server port: the orchestrator wired it into the camera.
    assert member.rtsp.port not in (0, 554)
    assert facts.profiles[0].stream_uri == f"rtsp://{cam.ip}:{member.rtsp.port}{want.rtsp_path}"
    assert facts.profiles[0].snapshot_uri == cam.snapshot_uri
    assert [e.token for e in facts.encoders] == want.encoder_tokens
    main, sub = facts.encoders
    assert (main.encoding, main.width, main.height, main.fps, main.bitrate_kbps) == want.main
    assert (sub.encoding, sub.width, sub.height, sub.fps, sub.bitrate_kbps) == want.sub
    assert main.profile == want.main_profile
    assert main.gop == 50
    assert main.constant_bitrate is want.cbr
    assert [v.source_token for v in facts.video_sources] == [want.video_source]


@pytest.mark.parametrize("name", PERSONAS)
def test_encoder_options(school_facts: dict[str, Any], name: str) -> None:
    _member, facts, _digest = school_facts[name]
    want = EXPECTED[name]
    assert [o.encoder_token for o in facts.encoder_options] == want.encoder_tokens
    main = {o.encoding: o for o in facts.encoder_options[0].options}
    assert ("H265" in main) is want.h265_offered
    assert "H264" in main
    h264 = main["H264"]
    assert [(r.width, r.height) for r in h264.resolutions] == want.main_resolutions
    assert h264.fps_max == 25.0
    if want.h265_offered:
        assert main["H265"].profiles == ["Main"]
        assert (1920, 1080) in [(r.width, r.height) for r in main["H265"].resolutions]
    every_resolution = {(r.width, r.height) for o in facts.encoder_options[0].options for r in o.resolutions}
    if name == "generic-720p":
        assert max(every_resolution) == (1280, 720)
        assert (1920, 1080) not in every_resolution
    else:
        assert (1920, 1080) in every_resolution
    # Media1 puts BitrateRange in the options' Extension, after an xs:any that zeep fills greedily.
    assert (h264.bitrate_min_kbps, h264.bitrate_max_kbps) == ((64, 4096) if name == "generic-720p" else (32, 8192))


@pytest.mark.parametrize("name", PERSONAS)
def test_imaging(school_facts: dict[str, Any], name: str) -> None:
    _member, facts, _digest = school_facts[name]
    want = EXPECTED[name]
    assert [i.video_source_token for i in facts.imaging] == [want.video_source]
    imaging = facts.imaging[0]
    assert imaging.wdr_mode == want.wdr_mode
    assert imaging.wdr_level == (50.0 if want.wdr_mode == "ON" else None)
    assert imaging.ir_cut_filter == "AUTO"
    assert imaging.brightness == 50.0
    assert imaging.options is not None
    assert imaging.options.wdr_modes == want.wdr_modes
    assert imaging.options.ir_cut_modes == ["ON", "OFF", "AUTO"]
    if "ON" in want.wdr_modes:
        assert (imaging.options.wdr_level_min, imaging.options.wdr_level_max) == (0.0, 100.0)


@pytest.mark.parametrize("name", PERSONAS)
def test_users_are_read_without_passwords(school_facts: dict[str, Any], name: str) -> None:
    member, facts, digest = school_facts[name]
    cam = member.camera
    assert [(u.name, u.level) for u in facts.users] == [("admin", "Administrator")]
    dumped = facts.model_dump_json()
    assert cam.password
    assert cam.password not in dumped
    assert "password" not in dumped.lower()
    # WS-UsernameToken with the measured offset works for every persona: no digest fallback needed.
    assert digest is False
    assert facts.auth == "ws-usernametoken"


def test_hikvision_with_onvif_off_is_onvif_disabled(sim: Sim) -> None:
    cam = sim.camera("hikvision-onvif-off")
    client = sim.client(cam)
    with pytest.raises(OnvifDisabled) as err:
        read_facts(client)
    assert err.value.exit_code == 4
    assert f"{cam.ip}:{cam.http_port}" in err.value.message
    assert "Integration Protocol" in err.value.message  # where to switch ONVIF on


def test_printer_is_onvif_disabled_not_a_crash(sim: Sim) -> None:
    """HTTP 404 on the device service: the classifier says OnvifDisabled (no ONVIF service here)."""
    cam = sim.camera("printer")
    client = sim.client(cam)
    with pytest.raises(OnvifDisabled) as err:
        read_facts(client)
    assert not isinstance(err.value, NotSupported)
    assert err.value.message.startswith(f"No ONVIF service at {cam.ip}:{cam.http_port}.")
    assert "then retry" in err.value.message
    # A Media call to a service the device never advertised is NotSupported, not OnvifDisabled.
    with pytest.raises(NotSupported):
        client.media2.get_profiles()


# --- writes round-trip through the client's Set methods -------------------------------------------

def test_media2_encoder_set_to_h265_reads_back(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    client.connect()
    config = client.media2.get_video_encoder_configurations(configuration_token="VideoEncoder000")[0]
    assert config.Encoding == "H264"
    config.Encoding = "H265"
    config.Profile = "Main"
    config.Resolution.Width, config.Resolution.Height = 1920, 1080
    config.RateControl.BitrateLimit = 2048
    config.RateControl.ConstantBitRate = False
    client.media2.set_video_encoder_configuration(config)

    facts = read_facts(client)
    assert facts.read_errors == []
    main = facts.encoders[0]
    assert (main.encoding, main.width, main.height, main.fps, main.bitrate_kbps) == ("H265", 1920, 1080, 25.0, 2048)
    assert (main.profile, main.constant_bitrate) == ("Main", False)
    assert facts.encoders[1].encoding == "H264"  # the sub stream was not touched
    assert cam.main_stream() == ("H265", 1920, 1080, 25.0)
    # Media1 cannot say H265: the same encoder shows as H264 there (as real firmwares do).
    assert client.media.get_video_encoder_configurations()[0].Encoding == "H264"


def test_out_of_range_encoder_value_is_invalid_argument_and_changes_nothing(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    client.connect()
    config = client.media2.get_video_encoder_configurations(configuration_token="VideoEncoder000")[0]
    config.RateControl.BitrateLimit = 20000  # the camera offers 32..8192
    with pytest.raises(InvalidArgument) as err:
        client.media2.set_video_encoder_configuration(config)
    assert err.value.subcode == "ter:InvalidArgVal/ter:ConfigModify"
    assert "20000" in err.value.message
    assert err.value.exit_code == 1
    assert cam.stream(0).bitrate == 4096

    # H.265 with the H.264-only profile "High" is outside the options too.
    config = client.media2.get_video_encoder_configurations(configuration_token="VideoEncoder000")[0]
    config.Encoding = "H265"
    with pytest.raises(InvalidArgument) as err:
        client.media2.set_video_encoder_configuration(config)
    assert "profile High" in err.value.message
    assert cam.main_stream()[0] == "H264"


def test_imaging_wdr_on_reads_back(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    client.connect()
    client.imaging.set_imaging_settings("VideoSource000", {"WideDynamicRange": {"Mode": "ON", "Level": 70}})
    facts = read_facts(client)
    assert facts.read_errors == []
    imaging = facts.imaging[0]
    assert (imaging.wdr_mode, imaging.wdr_level) == ("ON", 70.0)
    assert imaging.ir_cut_filter == "AUTO"  # untouched


def test_imaging_wdr_on_where_not_offered_is_invalid_argument(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd1023g0e-i")
    client = sim.client(cam)
    client.connect()
    with pytest.raises(InvalidArgument) as err:
        client.imaging.set_imaging_settings("VideoSource_1", {"WideDynamicRange": {"Mode": "ON"}})
    assert err.value.subcode == "ter:InvalidArgVal/ter:SettingsInvalid"
    assert cam.imaging.wdr_mode == "OFF"


@pytest.mark.parametrize(("name", "shown"), [
    ("dahua-wizsense2", "GMT+07:00"),  # Dahua writes its own zone name, east-positive
    ("hikvision-ds2cd1023g0e-i", "CST-7:00:00"),  # Hikvision: POSIX sign
    ("generic-720p", "<+07>-7"),  # kept as written
])
def test_ntp_and_time_zone_read_back(sim: Sim, name: str, shown: str) -> None:
    cam = sim.camera(name)
    client = sim.client(cam)
    client.connect()
    client.device.set_ntp(from_dhcp=False, servers=["pool.ntp.org", "192.0.2.123"])
    client.device.set_system_date_and_time(ntp=True, daylight_savings=False, tz="<+07>-7")
    facts = read_facts(client)
    assert facts.read_errors == []
    assert facts.ntp is not None
    assert facts.ntp.servers == ["pool.ntp.org", "192.0.2.123"]
    assert facts.time is not None
    assert (facts.time.timezone, facts.time.date_time_type) == (shown, "NTP")
    # Switching to NTP sets the camera's clock right.
    assert facts.time.clock_offset_s is not None
    assert abs(facts.time.clock_offset_s) < 2.0


def test_unreadable_time_zone_is_invalid_argument(sim: Sim) -> None:
    cam = sim.camera("dahua-lite-s2")
    client = sim.client(cam)
    client.connect()
    with pytest.raises(InvalidArgument) as err:
        client.device.set_system_date_and_time(ntp=False, daylight_savings=False, tz="Hanoi please",
                                               utc=None)
    # Manual without UTCDateTime and an unreadable TZ: the zone is checked first.
    assert err.value.subcode == "ter:InvalidArgVal/ter:InvalidTimeZone"


def test_hostname_round_trip_and_invalid_hostname(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i")
    client = sim.client(cam)
    client.connect()
    client.device.set_hostname("bep-mn-tto-01")
    facts = read_facts(client)
    assert facts.hostname is not None
    assert (facts.hostname.name, facts.hostname.from_dhcp) == ("bep-mn-tto-01", False)
    with pytest.raises(InvalidArgument) as err:
        client.device.set_hostname("bếp_1")
    assert err.value.subcode == "ter:InvalidArgVal/ter:InvalidHostname"
    assert cam.state.hostname == "bep-mn-tto-01"


def test_created_user_reads_but_may_not_set(sim: Sim) -> None:
    """A `User`-level account: reads work, Set is refused with ter:NotAuthorized -> AuthFailed.

    The camera answers a permission refusal with the same ter:NotAuthorized as a wrong password
    (ONVIF Core 5.9.4 has no separate code), so the client cannot tell them apart: AuthFailed.
    """
    cam = sim.camera("dahua-wizsense2-ready")
    admin = sim.client(cam)
    admin.connect()
    admin.device.create_users([("kitchen", "Bep2024ok", "User")])
    users = read_facts(admin).users
    assert [(u.name, u.level) for u in users] == [("admin", "Administrator"), ("kitchen", "User")]

    viewer = sim.client(cam, user="kitchen", password="Bep2024ok")
    facts = read_facts(viewer)
    assert facts.encoders[0].encoding == "H265"
    assert facts.device_info is not None
    assert facts.device_info.model == "IPC-HFW2241S-S-0360B"
    # GetUsers is for administrators: that one read fails, the rest is there.
    assert [(e.operation, e.code) for e in facts.read_errors] == [("tds:GetUsers", "AuthFailed")]
    assert "Bep2024ok" not in facts.model_dump_json()

    with pytest.raises(AuthFailed) as err:
        viewer.imaging.set_imaging_settings("VideoSource000", {"WideDynamicRange": {"Mode": "OFF"}})
    assert err.value.exit_code == 5
    with pytest.raises(AuthFailed):
        viewer.device.set_hostname("not-allowed")
    assert cam.imaging.wdr_mode == "ON"
    assert cam.state.hostname == "IPC-BEPTRUONG"

    # The same name again is refused with its own subcode.
    with pytest.raises(InvalidArgument) as clash:
        admin.device.create_users([("kitchen", "other1234", "User")])
    assert clash.value.subcode == "ter:OperationProhibited/ter:UsernameClash"


def test_unknown_target_port_is_unreachable(sim: Sim) -> None:
    cam = sim.camera("generic-720p")
    port = cam.http_port
    cam.stop()
    client = sim.client(cam)
    with pytest.raises(Unreachable) as err:
        read_facts(client)
    assert type(err.value) is Unreachable
    assert f"{cam.ip}:{port}" in err.value.message
