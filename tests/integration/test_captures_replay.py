"""Every real capture goes through the real zeep client over real HTTP into the typed models.

The replay camera (tests/replay.py) answers from the files in tests/data/captures; the values
asserted below are read off those files by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from kitchencam.errors import AuthFailed, NotSupported
from kitchencam.models import Facts
from kitchencam.onvif import read as R  # noqa: N812 (R for read, as in the fixtures)
from kitchencam.onvif.client import DEVICE, DEVICEIO, IMAGING, MEDIA, MEDIA2, OnvifCamera
from tests.replay import NS, ReplayCamera, Reply, replay_camera

KOTLIN = "ONVIF-Camera-Kotlin/onvifcamera/src/commonTest/resources/"
EASY = "easy_onvif_workspace/"
EX = "ex_onvif/test/fixtures/"
NVT = "onvif-nvt/"


def services_reply(host: str, prefixes: tuple[str, ...] = ("tds", "trt", "tr2", "timg")) -> Reply:
    """A GetServices reply that advertises 0.0.0.0, as bad firmwares do (repair must fix it)."""
    items = "".join(
        f"<tds:Service><tds:Namespace>{NS[p]}</tds:Namespace><tds:XAddr>http://{host}/onvif/{p}</tds:XAddr>"
        f"<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
        for p in prefixes)
    return Reply.envelope(f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>")


@pytest.fixture
def replay() -> Iterator[ReplayCamera]:
    with replay_camera({"tds:GetServices": services_reply("0.0.0.0")}) as cam:
        yield cam


def call(replay: ReplayCamera, route: str, capture: str, fetch: Callable[[OnvifCamera], Any]) -> Any:
    replay.routes[route] = Reply.capture(capture)
    with OnvifCamera(replay.target, user="admin", password="pw") as camera:
        camera.discover_services()
        result = fetch(camera)
    # the request really went to the repaired XAddr of the right service
    assert replay.requests[-1].operation == route
    return result


# --- GetDeviceInformation: every capture --------------------------------------------------------

DEVICE_INFO = [
    (KOTLIN + "deviceInfo.xml", "AXIS", "M2025-LE", "9.80.3.13", "B8A44F26437D"),
    (EASY + "DCS-6511/device_management/GetDeviceInformationResponse.xml",
     "D-Link Corporation", "DCS-6511", "1.16.00", "F07D68099FCA"),
    (EASY + "ENP1A14-IR_25X/device_management/GetDeviceInformationResponse.xml",
     "ONVIF", "ENP1A14-IR/25X", "V5.5.3 build 180822", "ENP1A14-IR/25X20190430AAWRD14878498W"),
    (EASY + "GX728MF-IR28/device_management/GetDeviceInformationResponse.xml",
     "NONE", "GX728MF-IR28", "IPC_G6106-B0005P11D1812C03", "210235T8HQ3197000191"),
    (EASY + "IPD-H4K8M05-BS/device_management/GetDeviceInformationResponse.xml",
     "", "IPD-H4K8M05-BS", "V1.04.10-190309", "071D3E36963F"),
    (EASY + "IPG-8150PSS/device_management/GetDeviceInformationResponse.xml",
     "ONVIF_IPNC", "IPG-8150PSS", "1.3.0-20210203CN-PT", "I207215E7840DFDA9877E8B"),
    (EASY + "SUNBA.405/device_management/GetDeviceInformationResponse.xml",
     "H264", "XM530_50X50-WG_8M", "V5.00.R02.L5330747.10010.349917..ONVIF 16.12", "f0d2d8a9c5380a0f"),
    (EASY + "SUNBA/device_management/GetDeviceInformationResponse.xml",
     "SUNBA", "Performance-Series", "QIPC-B2202.3.73.C06290.NB.230628", "210231T2H63235000045"),
    (EX + "get_device_information.xml",
     "Milesight Technology Co.,Ltd.", "MS-C8165-PE", "61.8.0.3-r8", "EM82V102329001403"),
    (NVT + "axis/core/GetDeviceInformation.Response.xml", "AXIS", "AXIS Q6045-E", "5.55.1.2", "00408CFAB754"),
    (NVT + "hikvision-fixed/core/GetDeviceInformation.Response.xml",
     "HIKVISION", "DS-2CD2012-I", "V5.2.0 build 140721", "DS-2CD2012-I20150201CCWR501088621"),
    (NVT + "hikvision/core/GetDeviceInformation.Response.xml",
     "HIKVISION", "DS-2DF7276-AEL", "V5.1.6 build 140401", "DS-2DF7276-AEL20140613CCWR468714298B"),
    (NVT + "pelco/core/GetDeviceInformation.Response.xml", "Pelco", "D6230L", "2.9.0.4.9340-A0.0", "J250117"),
    (NVT + "trendnet/core/GetDeviceInformation.Response.xml",
     "TRENDnet", "TV-IP320PI", "V5.3.4 build 160830", "TV-IP320PI20161206AAWR863642784"),
]


@pytest.mark.parametrize(("capture", "manufacturer", "model", "firmware", "serial"), DEVICE_INFO,
                         ids=[c[0].split("/")[1] if c[0].startswith("easy") else c[0] for c in DEVICE_INFO])
def test_device_information(replay: ReplayCamera, capture: str, manufacturer: str, model: str,
                            firmware: str, serial: str) -> None:
    info = R.device_info_from(call(replay, "tds:GetDeviceInformation", capture,
                                   lambda c: c.device.get_device_information()))
    assert (info.manufacturer, info.model, info.firmware, info.serial) == (manufacturer, model, firmware, serial)


# --- GetSystemDateAndTime ---------------------------------------------------------------------------

@pytest.mark.parametrize(("capture", "utc", "tz", "kind", "dst"), [
    (EASY + "DCS-6511/device_management/GetSystemDateAndTimeResponse.xml",
     datetime(2023, 3, 7, 16, 14, 53, tzinfo=timezone.utc), "COT5", "NTP", True),
    (EX + "get_system_date_and_time.xml", datetime(2024, 7, 9, 19, 49, 6, tzinfo=timezone.utc), "BRT3", "Manual", True),
    (NVT + "axis/core/GetSystemDateAndTime.Response.xml",
     datetime(2018, 2, 27, 23, 9, 59, tzinfo=timezone.utc), "MST7MDT,M3.2.0,M11.1.0", "Manual", True),
    (NVT + "trendnet/core/GetSystemDateAndTime.Response.xml",
     datetime(2018, 2, 27, 18, 36, 51, tzinfo=timezone.utc),
     "CST+7:00:00DST01:00:00,M3.2.0/02:00:00,M11.1.0/02:00:00", "NTP", True),
])
def test_system_date_and_time_and_offset(replay: ReplayCamera, capture: str, utc: datetime, tz: str,
                                         kind: str, dst: bool) -> None:
    replay.routes["tds:GetSystemDateAndTime"] = Reply.capture(capture)
    with OnvifCamera(replay.target, user="admin", password="pw") as camera:
        offset = camera.measure_clock()
        time = R.device_time_from(camera.camera_time, camera.clock_offset_s)
    assert (time.utc, time.timezone, time.date_time_type, time.dst) == (utc, tz, kind, dst)
    # these cameras' clocks are frozen in the past: the offset is large and negative
    assert offset is not None
    assert abs(offset - (utc - datetime.now(timezone.utc)).total_seconds()) < 5
    # ONVIF Core: GetSystemDateAndTime goes out without credentials
    assert replay.requests[-1].username is None


# --- GetScopes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("capture", "name", "hardware", "location", "profiles"), [
    (NVT + "axis/core/GetScopes.Response.xml", "AXIS Q6045-E", "Q6045-E", None, ["Streaming"]),
    (NVT + "hikvision/core/GetScopes.Response.xml", "DS-2DF7276-AEL", "DS-2DF7276-AEL", "city/hangzhou",
     ["Streaming", "G"]),
    (NVT + "pelco/core/GetScopes.Response.xml", "D6230L-J250117", "D6230L", "country/usa", ["G", "Q", "Streaming"]),
    (EX + "get_scopes.xml", "Camera", "Camera", None, ["Streaming", "G", "T", "Q"]),
])
def test_scopes(replay: ReplayCamera, capture: str, name: str, hardware: str, location: str | None,
                profiles: list[str]) -> None:
    scopes = R.scopes_from(call(replay, "tds:GetScopes", capture, lambda c: c.device.get_scopes()))
    assert (scopes.name, scopes.hardware, scopes.location, scopes.profiles) == (name, hardware, location, profiles)
    assert all(s.startswith(("onvif://", "urn:")) for s in scopes.raw)


# --- GetServices / GetCapabilities -> repaired XAddrs --------------------------------------------------

@pytest.mark.parametrize(("capture", "namespaces", "device_version"), [
    (NVT + "hikvision/core/GetServices.Response.xml", {DEVICE.namespace, MEDIA.namespace, IMAGING.namespace}, "2.10"),
    (NVT + "pelco/core/GetServices.Response.xml", {DEVICE.namespace, MEDIA.namespace, IMAGING.namespace}, None),
    (EASY + "ENP1A14-IR_25X/device_management/GetServicesResponse.xml",
     {DEVICE.namespace, MEDIA.namespace, MEDIA2.namespace, IMAGING.namespace}, None),
    (EASY + "SUNBA.405/device_management/GetServicesResponse.xml", {DEVICE.namespace, MEDIA.namespace}, None),
])
def test_get_services(replay: ReplayCamera, capture: str, namespaces: set[str], device_version: str | None) -> None:
    services = call(replay, "tds:GetServices", capture, lambda c: c.discover_services())
    assert namespaces <= set(services)
    for endpoint in services.values():
        # every advertised (foreign) address now points at the replay camera
        assert endpoint.xaddr.startswith(f"http://{replay.target}/"), endpoint
        assert endpoint.advertised
    if device_version:
        assert services[DEVICE.namespace].version == device_version


def test_get_services_hikvision_paths_and_versions(replay: ReplayCamera) -> None:
    services = call(replay, "tds:GetServices", NVT + "hikvision/core/GetServices.Response.xml",
                    lambda c: c.discover_services())
    assert services[MEDIA.namespace].advertised == "http://10.10.1.60/onvif/Media"
    assert services[MEDIA.namespace].xaddr == f"http://{replay.target}/onvif/Media"
    assert services[MEDIA.namespace].version == "2.10"


@pytest.mark.parametrize(("capture", "media_path", "has_imaging"), [
    (NVT + "axis/core/GetCapabilities.Response.xml", "/onvif/services", False),
    (NVT + "hikvision-fixed/core/GetCapabilities.Response.xml", "/onvif/Media", True),
    (EASY + "GX728MF-IR28/device_management/GetCapabilitiesResponse.xml", "/onvif/media", True),
])
def test_capabilities_fallback(capture: str, media_path: str, has_imaging: bool) -> None:
    # The Axis Q6045-E answers GetServices with a ter:Action fault (its real capture):
    routes = {"tds:GetServices": Reply.capture(NVT + "axis/core/GetServices.Error.xml", status=500),
              "tds:GetCapabilities": Reply.capture(capture)}
    with replay_camera(routes) as cam, OnvifCamera(cam.target, user="u", password="p") as camera:
        services = camera.discover_services()
    assert services[MEDIA.namespace].xaddr == f"http://{cam.target}{media_path}"
    assert (IMAGING.namespace in services) is has_imaging
    # DeviceIO sits under Capabilities/Extension where the device has it
    assert (DEVICEIO.namespace in services) is has_imaging
    assert [r.operation for r in cam.requests] == ["tds:GetServices", "tds:GetCapabilities"]


# --- GetNetworkInterfaces -----------------------------------------------------------------------------

def test_network_interfaces_axis(replay: ReplayCamera) -> None:
    nics = R.network_interfaces_from(call(replay, "tds:GetNetworkInterfaces",
                                          NVT + "axis/core/GetNetworkInterfaces.Response.xml",
                                          lambda c: c.device.get_network_interfaces()))
    assert len(nics) == 1
    assert (nics[0].name, nics[0].mac, nics[0].dhcp, nics[0].enabled) == ("eth0", "00:40:8C:FA:B7:54", True, True)
    assert nics[0].ipv4 == ["10.10.1.20/16", "192.168.0.19/24", "169.254.138.132/16"]


def test_network_interfaces_hikvision(replay: ReplayCamera) -> None:
    nics = R.network_interfaces_from(call(replay, "tds:GetNetworkInterfaces",
                                          NVT + "hikvision/core/GetNetworkInterfaces.Response.xml",
                                          lambda c: c.device.get_network_interfaces()))
    assert [(n.mac, n.ipv4) for n in nics] == [("44:19:b6:3e:ba:a1", ["10.10.1.60/16"])]


# --- Profiles -------------------------------------------------------------------------------------------

def test_media1_profiles_hikvision(replay: ReplayCamera) -> None:
    profiles = R.media1_profiles_from(call(replay, "trt:GetProfiles", NVT + "hikvision/media/GetProfiles.Response.xml",
                                           lambda c: c.media.get_profiles()))
    assert [(p.token, p.name, p.encoder_token) for p in profiles] == [
        ("Profile_1", "mainStream", "VideoEncoderToken_1"),
        ("Profile_2", "subStream", "VideoEncoderToken_2"),
        ("Profile_3", "thirdStream", "VideoEncoderToken_3")]
    assert {p.video_source_token for p in profiles} == {"VideoSource_1"}


def test_media1_profiles_dlink(replay: ReplayCamera) -> None:
    profiles = R.media1_profiles_from(call(replay, "trt:GetProfiles", EASY + "DCS-6511/media1/GetProfilesResponse.xml",
                                           lambda c: c.media.get_profiles()))
    assert [(p.token, p.video_source_config_token, p.video_source_token, p.encoder_token) for p in profiles] == [
        ("Profile1", "VideoSourceConfiguration0", "VideoSource0", "VideoEncoderConfiguration0"),
        ("Profile2", "VideoSourceConfiguration0", "VideoSource0", "VideoEncoderConfiguration1")]


def test_media1_profiles_lorex_s_envelope(replay: ReplayCamera) -> None:
    profiles = R.media1_profiles_from(call(replay, "trt:GetProfiles", KOTLIN + "lorex.xml",
                                           lambda c: c.media.get_profiles()))
    assert [(p.token, p.encoder_token, p.video_source_token) for p in profiles] == [
        ("Profile000", "VideoEncoder000", "VideoSource000"), ("Profile001", "VideoEncoder001", "VideoSource000")]


def test_media2_profiles(replay: ReplayCamera) -> None:
    profiles = R.media2_profiles_from(call(replay, "tr2:GetProfiles",
                                           EASY + "ENP1A14-IR_25X/media2/GetProfilesResponse.xml",
                                           lambda c: c.media2.get_profiles()))
    assert [(p.token, p.name, p.fixed) for p in profiles] == [
        ("Profile_1", "mainStream", True), ("Profile_2", "subStream", True), ("Profile_3", "thirdStream", True)]
    # tr2:GetProfiles without Type=All lists no configurations: nothing invented
    assert all(p.encoder_token is None for p in profiles)
    assert "All" in replay.requests[-1].body.decode()


# --- Video encoder configurations ------------------------------------------------------------------

def test_media2_encoders_ipg(replay: ReplayCamera) -> None:
    encoders = R.media2_encoders_from(call(replay, "tr2:GetVideoEncoderConfigurations",
                                           EASY + "IPG-8150PSS/media2/GetVideoEncoderConfigurationsResponse.xml",
                                           lambda c: c.media2.get_video_encoder_configurations()))
    first = encoders[0]
    assert (first.token, first.encoding, first.width, first.height, first.fps, first.bitrate_kbps, first.gop,
            first.profile, first.constant_bitrate) == ("VEToken_1", "H265", 2560, 1920, 20.0, 2048, 100, "Main", False)
    assert (encoders[1].width, encoders[1].height, encoders[1].bitrate_kbps) == (800, 448, 512)


def test_media2_encoders_sunba(replay: ReplayCamera) -> None:
    encoders = R.media2_encoders_from(call(replay, "tr2:GetVideoEncoderConfigurations",
                                           EASY + "SUNBA/media2/GetVideoEncoderConfigurationsResponse.xml",
                                           lambda c: c.media2.get_video_encoder_configurations()))
    assert [(e.encoding, e.width, e.height, e.fps, e.bitrate_kbps, e.constant_bitrate) for e in encoders] == [
        ("H264", 2592, 1944, 12.0, 6144, True), ("H264", 720, 576, 25.0, 1024, True),
        ("H264", 352, 288, 25.0, 128, False)]
    assert {e.profile for e in encoders} == {"High"}
    assert {e.gop for e in encoders} == {50}


def test_media1_encoders_pelco(replay: ReplayCamera) -> None:
    encoders = R.media1_encoders_from(call(replay, "trt:GetVideoEncoderConfigurations",
                                           NVT + "pelco/media/GetVideoEncoderConfigurations.Response.xml",
                                           lambda c: c.media.get_video_encoder_configurations()))
    assert [(e.name, e.encoding, e.width, e.height, e.fps, e.bitrate_kbps, e.gop, e.profile) for e in encoders] == [
        ("Primary", "H264", 1920, 1080, 30.0, 6000, 30, "High"),
        ("Secondary", "JPEG", 1920, 1080, 5.0, 5000, None, None)]


def test_media1_encoders_axis(replay: ReplayCamera) -> None:
    encoders = R.media1_encoders_from(call(replay, "trt:GetVideoEncoderConfigurations",
                                           NVT + "axis/media/GetVideoEncoderConfigurations.Response.xml",
                                           lambda c: c.media.get_video_encoder_configurations()))
    h264 = [e for e in encoders if e.encoding == "H264"]
    assert len(encoders) > 16
    assert h264[0].token == "default_1_h264"
    assert (h264[0].width, h264[0].height, h264[0].gop, h264[0].profile) == (1280, 720, 32, "Main")


# --- Video encoder configuration options ---------------------------------------------------------

def test_media2_encoder_options(replay: ReplayCamera) -> None:
    opts = R.media2_encoder_options_from(call(
        replay, "tr2:GetVideoEncoderConfigurationOptions", EX + "get_media2_video_encoder_configuration_options.xml",
        lambda c: c.media2.get_video_encoder_configuration_options(configuration_token="VE1")), encoder_token="VE1")
    by_enc = {o.encoding: o for o in opts.options}
    assert set(by_enc) == {"H264", "H265"}
    h265 = by_enc["H265"]
    assert [(r.width, r.height) for r in h265.resolutions] == [(1920, 1080), (2560, 1440), (3072, 1728)]
    assert (h265.gov_min, h265.gov_max, h265.profiles) == (1, 250, ["Main"])
    assert (h265.bitrate_min_kbps, h265.bitrate_max_kbps, h265.fps_max) == (32, 16384, 12.5)
    assert by_enc["H264"].profiles == ["Main", "High"]
    assert by_enc["H264"].constant_bitrate_supported is True
    assert "<tr2:ConfigurationToken>VE1" in replay.requests[-1].body.decode().replace("ns0:", "tr2:") or \
        "VE1" in replay.requests[-1].body.decode()


def test_media1_encoder_options(replay: ReplayCamera) -> None:
    opts = R.media1_encoder_options_from(call(
        replay, "trt:GetVideoEncoderConfigurationOptions", EX + "get_video_encoder_configuration_options.xml",
        lambda c: c.media.get_video_encoder_configuration_options(configuration_token="V0")))
    by_enc = {o.encoding: o for o in opts.options}
    assert set(by_enc) == {"JPEG", "H264"}
    h264 = by_enc["H264"]
    assert [(r.width, r.height) for r in h264.resolutions] == [(704, 576), (640, 480), (352, 288)]
    assert (h264.fps_min, h264.fps_max, h264.gov_min, h264.gov_max) == (1.0, 25.0, 25, 150)
    assert (h264.quality_min, h264.quality_max) == (1.0, 6.0)


def test_media2_video_source_configurations(replay: ReplayCamera) -> None:
    sources = R.video_source_configs_from(call(replay, "tr2:GetVideoSourceConfigurations",
                                               EX + "get_media2_video_source_configurations.xml",
                                               lambda c: c.media2.get_video_source_configurations()))
    assert [(s.token, s.name, s.source_token, s.width, s.height) for s in sources] == [("0", "user0", "0", 3840, 2160)]


# --- read_facts end to end ----------------------------------------------------------------------------

def _hikvision_routes() -> dict[str, Any]:
    return {
        "tds:GetSystemDateAndTime": Reply.capture(NVT + "trendnet/core/GetSystemDateAndTime.Response.xml"),
        "tds:GetServices": Reply.capture(NVT + "hikvision/core/GetServices.Response.xml"),
        "tds:GetDeviceInformation": Reply.capture(NVT + "hikvision/core/GetDeviceInformation.Response.xml"),
        "tds:GetScopes": Reply.capture(NVT + "hikvision/core/GetScopes.Response.xml"),
        "tds:GetNetworkInterfaces": Reply.capture(NVT + "hikvision/core/GetNetworkInterfaces.Response.xml"),
        "trt:GetProfiles": Reply.capture(NVT + "hikvision/media/GetProfiles.Response.xml"),
    }


def test_read_facts_media1_camera_records_every_gap() -> None:
    with replay_camera(_hikvision_routes()) as cam, OnvifCamera(cam.target, user="u", password="p") as camera:
        facts = R.read_facts(camera)
    assert isinstance(facts, Facts)
    assert facts.device_info is not None
    assert facts.device_info.serial == "DS-2DF7276-AEL20140613CCWR468714298B"
    assert facts.media2 is False
    assert [p.token for p in facts.profiles] == ["Profile_1", "Profile_2", "Profile_3"]
    assert facts.scopes is not None
    assert facts.scopes.profiles == ["Streaming", "G"]
    assert facts.time is not None
    assert facts.time.clock_offset_s is not None
    assert facts.time.clock_offset_s < -1e8  # the capture's clock is years behind
    # nothing the replay does not know is invented: each gap is a ReadError
    failed = {e.operation for e in facts.read_errors}
    assert {"tds:GetUsers", "tds:GetNTP", "trt:GetVideoEncoderConfigurations", "timg:GetImagingSettings"} <= failed
    assert all(e.code == "NotSupported" for e in facts.read_errors)
    # the Hikvision advertises 10.10.1.60: every call still went to the replay camera
    assert all(ep.xaddr.startswith(f"http://{cam.target}/") for ep in facts.services.values())
    # JSON-able for the --json renderer, and never a password in it
    assert "password" not in facts.model_dump_json().lower()


def test_read_facts_media2_camera() -> None:
    routes: dict[str, Any] = {
        "tds:GetSystemDateAndTime": Reply.capture(EX + "get_system_date_and_time.xml"),
        "tds:GetServices": Reply.capture(EASY + "ENP1A14-IR_25X/device_management/GetServicesResponse.xml"),
        "tds:GetDeviceInformation": Reply.capture(EASY + "ENP1A14-IR_25X/device_management/"
                                                  "GetDeviceInformationResponse.xml"),
        "tr2:GetProfiles": Reply.capture(EASY + "ENP1A14-IR_25X/media2/GetProfilesResponse.xml"),
        "tr2:GetVideoEncoderConfigurations": Reply.capture(
            EASY + "SUNBA/media2/GetVideoEncoderConfigurationsResponse.xml"),
        "tr2:GetVideoEncoderConfigurationOptions": Reply.capture(
            EX + "get_media2_video_encoder_configuration_options.xml"),
        "tr2:GetVideoSourceConfigurations": Reply.capture(EX + "get_media2_video_source_configurations.xml"),
    }
    with replay_camera(routes) as cam, OnvifCamera(cam.target, user="u", password="p") as camera:
        facts = R.read_facts(camera)
    assert facts.media2 is True
    assert [e.token for e in facts.encoders] == ["video_encoder_config", "video_encoder_config2",
                                                 "video_encoder_config3"]
    assert len(facts.encoder_options) == 3
    assert {o.encoding for o in facts.encoder_options[0].options} == {"H264", "H265"}
    assert [v.source_token for v in facts.video_sources] == ["0"]
    # no Media1 call was made on a Media2 device
    assert not any(r.operation.startswith("trt:") for r in cam.requests)
    assert facts.error_for("timg:GetImagingSettings") is not None


def test_read_facts_raises_when_login_refused() -> None:
    with replay_camera(_hikvision_routes(), ws_password="right") as cam, \
            OnvifCamera(cam.target, user="admin", password="wrong") as camera, pytest.raises(AuthFailed) as err:
        R.read_facts(camera)
    assert cam.target in str(err.value)


def test_read_time_is_unauthenticated() -> None:
    routes = {"tds:GetSystemDateAndTime": Reply.capture(NVT + "axis/core/GetSystemDateAndTime.Response.xml")}
    with replay_camera(routes, ws_password="secret") as cam:
        time = R.read_time("127.0.0.1", cam.port)
    assert time.utc == datetime(2018, 2, 27, 23, 9, 59, tzinfo=timezone.utc)
    assert cam.requests[0].username is None


def test_missing_service_is_not_supported() -> None:
    with replay_camera({"tds:GetServices": services_reply("0.0.0.0", ("tds", "trt"))}) as cam, \
            OnvifCamera(cam.target) as camera:
        camera.discover_services()
        with pytest.raises(NotSupported, match=cam.target):
            camera.media2.get_profiles()
