"""Personas: what each simulated device is, as plain data.

A persona copies the shape of a real device (see ``../shared/onvif-captures``): the envelope
prefix and the vendor namespaces it declares, its service paths, tokens, encoder options,
imaging options, factory settings, clock and what it says on WS-Discovery. The behaviour lives
in :mod:`kitchencam.sim.camera`; nothing here does I/O.

Names of personas are a contract (``kitchencam sim --persona NAME``, tests, docs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NS = {
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tr2": "http://www.onvif.org/ver20/media/wsdl",
    "timg": "http://www.onvif.org/ver20/imaging/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "tmd": "http://www.onvif.org/ver10/deviceIO/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "ter": "http://www.onvif.org/ver10/error",
    "dn": "http://www.onvif.org/ver10/network/wsdl",
}

# Namespaces a Dahua (and Dahua-OEM: Lorex, Amcrest) firmware declares on every envelope.
_DAHUA_NS = (
    ("sc", "http://www.w3.org/2003/05/soap-encoding"),
    ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ("xsd", "http://www.w3.org/2001/XMLSchema"),
    ("tt", NS["tt"]),
    ("tds", NS["tds"]),
    ("trt", NS["trt"]),
    ("tr2", NS["tr2"]),
    ("timg", NS["timg"]),
    ("tev", NS["tev"]),
    ("tmd", NS["tmd"]),
    ("ter", NS["ter"]),
    ("dn", NS["dn"]),
    ("wsnt", "http://docs.oasis-open.org/wsn/b-2"),
    ("tns1", "http://www.onvif.org/ver10/topics"),
)

# Hikvision declares a long list, its own extension namespaces among them (see the captured
# get_media2_video_encoder_configuration_options.xml).
_HIKVISION_NS = (
    ("soapenc", "http://www.w3.org/2003/05/soap-encoding"),
    ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ("xs", "http://www.w3.org/2001/XMLSchema"),
    ("tt", NS["tt"]),
    ("tds", NS["tds"]),
    ("trt", NS["trt"]),
    ("timg", NS["timg"]),
    ("tev", NS["tev"]),
    ("ter", NS["ter"]),
    ("dn", NS["dn"]),
    ("tns1", "http://www.onvif.org/ver10/topics"),
    ("tmd", NS["tmd"]),
    ("wsnt", "http://docs.oasis-open.org/wsn/b-2"),
    ("wsa", "http://www.w3.org/2005/08/addressing"),
    ("tnshik", "http://www.hikvision.com/2011/event/topics"),
    ("hikwsd", "http://www.onvifext.com/onvif/ext/ver10/wsdl"),
    ("hikxsd", "http://www.onvifext.com/onvif/ext/ver10/schema"),
    ("tr2", NS["tr2"]),
)

# gSOAP-built firmwares (the cheap generic cameras) use SOAP-ENV and declare WS-Security too.
_GSOAP_NS = (
    ("SOAP-ENC", "http://www.w3.org/2003/05/soap-encoding"),
    ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ("xsd", "http://www.w3.org/2001/XMLSchema"),
    ("wsa5", "http://www.w3.org/2005/08/addressing"),
    ("wsse", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"),
    ("wsu", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"),
    ("tt", NS["tt"]),
    ("tds", NS["tds"]),
    ("trt", NS["trt"]),
    ("timg", NS["timg"]),
    ("tev", NS["tev"]),
    ("ter", NS["ter"]),
    ("dn", NS["dn"]),
)


@dataclass(frozen=True)
class EnvelopeStyle:
    """How a firmware writes its SOAP envelopes."""

    prefix: str  # prefix bound to http://www.w3.org/2003/05/soap-envelope
    namespaces: tuple[tuple[str, str], ...]  # declared on the Envelope, in this order
    xml_declaration: str = '<?xml version="1.0" encoding="UTF-8"?>\n'
    empty_header: bool = False  # gSOAP writes <SOAP-ENV:Header></SOAP-ENV:Header>


DAHUA_STYLE = EnvelopeStyle(
    prefix="s", namespaces=_DAHUA_NS,
    xml_declaration='<?xml version="1.0" encoding="utf-8" standalone="yes" ?>\n')
HIKVISION_STYLE = EnvelopeStyle(prefix="env", namespaces=_HIKVISION_NS)
GSOAP_STYLE = EnvelopeStyle(prefix="SOAP-ENV", namespaces=_GSOAP_NS, empty_header=True)


@dataclass(frozen=True)
class ServicePaths:
    """HTTP paths of the ONVIF services, as the vendor's firmware names them."""

    device: str = "/onvif/device_service"
    media: str = "/onvif/media_service"
    media2: str | None = "/onvif/media2_service"
    imaging: str = "/onvif/imaging_service"
    events: str = "/onvif/event_service"
    deviceio: str | None = "/onvif/deviceIO_service"


@dataclass(frozen=True)
class CodecOptions:
    """One codec's options, as Media2 ``GetVideoEncoderConfigurationOptions`` advertises them."""

    encoding: str  # "H264" | "H265" | "JPEG" (Media2 spelling)
    resolutions: tuple[tuple[int, int], ...]
    frame_rates: tuple[float, ...]  # FrameRatesSupported, highest first as devices list them
    bitrate_range: tuple[int, int]  # kbit/s
    gov_range: tuple[int, int] = (1, 150)
    profiles: tuple[str, ...] = ()  # ProfilesSupported ("Main High" for H264, "Main" for H265)
    quality_range: tuple[float, float] = (1.0, 6.0)
    cbr_supported: bool = True


@dataclass(frozen=True)
class StreamDefaults:
    """A media profile with its video encoder configuration at factory (or persona) settings."""

    profile_token: str
    profile_name: str
    encoder_token: str
    encoder_name: str
    encoding: str
    width: int
    height: int
    fps: float
    bitrate: int
    gov: int
    profile: str  # H.264/H.265 profile: "Main", "High", ...
    cbr: bool
    quality: float
    options: tuple[CodecOptions, ...]
    rtsp_path: str  # path and query of the RTSP URI; "{ip}"-free, the camera adds rtsp://ip:port


@dataclass(frozen=True)
class ImagingDefaults:
    brightness: float = 50.0
    color_saturation: float = 50.0
    contrast: float = 50.0
    sharpness: float = 50.0
    ir_cut: str = "AUTO"
    wdr_mode: str = "OFF"
    wdr_level: float = 50.0
    ir_cut_modes: tuple[str, ...] = ("ON", "OFF", "AUTO")
    wdr_modes: tuple[str, ...] = ("OFF", "ON")
    wdr_level_range: tuple[float, float] = (0.0, 100.0)
    range_0_100: tuple[float, float] = (0.0, 100.0)
    backlight_modes: tuple[str, ...] = ("OFF", "ON")


@dataclass(frozen=True)
class User:
    username: str
    password: str
    level: str  # Administrator | Operator | User
    fixed: bool = False  # the factory admin cannot be deleted (ter:FixedUser)


@dataclass(frozen=True)
class DiscoveryInfo:
    """What the WS-Discovery responder (sim/discovery.py) needs to answer for this device."""

    answers: bool = True
    types: tuple[str, ...] = ("dn:NetworkVideoTransmitter", "tds:Device")
    namespaces: tuple[tuple[str, str], ...] = (("dn", NS["dn"]), ("tds", NS["tds"]))
    # Scope templates; {model}, {name}, {location}, {index} are filled by the camera.
    scopes: tuple[str, ...] = ()
    # Paths advertised as XAddrs; {ip} and {port} are filled by the camera ("" port on 80).
    xaddr_paths: tuple[str, ...] = ("/onvif/device_service",)


@dataclass(frozen=True)
class Persona:
    name: str
    manufacturer: str
    model: str
    firmware: str
    hardware_id: str
    serial_prefix: str
    mac_prefix: str  # vendor OUI; the camera index fills the rest
    envelope: EnvelopeStyle
    paths: ServicePaths
    snapshot_path: str  # path (and query) of GetSnapshotUri's answer
    streams: tuple[StreamDefaults, ...]
    video_source_token: str
    video_source_config_token: str
    source_size: tuple[int, int]
    imaging: ImagingDefaults
    discovery: DiscoveryInfo
    onvif: bool = True  # False: ONVIF paths answer `onvif_off_status` whatever the credentials
    onvif_off_status: int = 404
    media2: bool = True
    soap_http_digest: bool = False  # Hikvision-like: 401 + Digest on SOAP auth failure, digest accepted
    server_header: str = "Webs"
    realm: str = "Login to camera"
    onvif_version: tuple[int, int] = (2, 60)
    clock_skew: float = 0.0  # seconds the camera's clock is ahead of host UTC
    ntp: bool = False  # DateTimeType NTP (True) or Manual
    ntp_from_dhcp: bool = False
    ntp_servers: tuple[str, ...] = ()
    timezone: str = "CST-8:00:00"
    tz_style: str = "posix"  # how the firmware writes a TZ back: "posix" | "dahua" | "hikvision"
    daylight_savings: bool = False
    hostname: str = "IPC"
    hostname_from_dhcp: bool = False
    dns_from_dhcp: bool = False
    dns_servers: tuple[str, ...] = ("8.8.8.8", "8.8.4.4")
    ddns_type: str = "NoUpdate"  # NoUpdate | ClientUpdates | ServerUpdates
    ddns_name: str | None = None
    users: tuple[User, ...] = (User("admin", "admin123", "Administrator", fixed=True),)
    auth_window: float = 5.0  # seconds either side of the camera's own clock for wsu:Created
    scope_name: str = "{model}"
    scope_location: str = "country/vietnam"
    extra_scopes: tuple[str, ...] = ()
    h265_in_media1: bool = False  # Media1's VideoEncoding cannot say H265; real firmwares hide it
    login_page: str = "camera"  # what GET / shows: "camera" | "hikvision" | "printer"
    capabilities_extra: dict[str, str] = field(default_factory=dict)
    #: The vendor's own HTTP API served beside ONVIF on the same port ("dahua": /cgi-bin/, Dahua
    #: HTTP API; "hikvision": /ISAPI/), or None (a no-name camera has none).
    vendor_api: str | None = None
    #: Factory values of the vendor-only settings (smart codec, P2P, registrations...), keyed as
    #: the vendor's simulator module (kitchencam/sim/dahua_api.py, hikvision_api.py) names them.
    vendor_defaults: dict[str, object] = field(default_factory=dict)
    #: The stream and the snapshot are served without credentials (an insecure factory state).
    anonymous_media: bool = False
    #: HTTPS offered beside HTTP (GetNetworkProtocols); False: HTTP only.
    https: bool = True

    def scope_templates(self) -> tuple[str, ...]:
        profiles = ["onvif://www.onvif.org/Profile/Streaming"]
        if self.media2:
            profiles.append("onvif://www.onvif.org/Profile/T")
        return (*profiles, *self.discovery.scopes, *self.extra_scopes)


# ---------------------------------------------------------------------------------------------
# Encoder options of the real models (datasheets; the attribute shapes from the captures).

_PAL_RATES = tuple(float(f) for f in range(25, 0, -1))
_RES_2MP = ((1920, 1080), (1280, 960), (1280, 720))
_RES_SUB = ((704, 576), (640, 480), (352, 288))


def _dahua_main_options(h265: bool = True) -> tuple[CodecOptions, ...]:
    h264 = CodecOptions("H264", _RES_2MP, _PAL_RATES, (32, 8192), (25, 150), ("Baseline", "Main", "High"))
    opts = [h264]
    if h265:
        opts.append(CodecOptions("H265", _RES_2MP, _PAL_RATES, (32, 8192), (25, 150), ("Main",)))
    opts.append(CodecOptions("JPEG", _RES_2MP, _PAL_RATES, (32, 8192), (1, 1), ()))
    return tuple(opts)


def _dahua_sub_options(h265: bool = True) -> tuple[CodecOptions, ...]:
    opts = [CodecOptions("H264", _RES_SUB, _PAL_RATES, (32, 1024), (25, 150), ("Baseline", "Main", "High"))]
    if h265:
        opts.append(CodecOptions("H265", _RES_SUB, _PAL_RATES, (32, 1024), (25, 150), ("Main",)))
    opts.append(CodecOptions("JPEG", _RES_SUB, _PAL_RATES, (32, 1024), (1, 1), ()))
    return tuple(opts)


_DAHUA_RTSP = "/cam/realmonitor?channel=1&subtype={sub}&unicast=true&proto=Onvif"


def _dahua_streams(main_enc: str, main_bitrate: int, main_gov: int, cbr: bool, h265: bool = True,
                   main_profile: str | None = None) -> tuple[StreamDefaults, ...]:
    return (
        StreamDefaults("MediaProfile00000", "MediaProfile_Channel1_MainStream", "VideoEncoder000",
                       "VideoEncoder000", main_enc, 1920, 1080, 25.0, main_bitrate, main_gov,
                       main_profile or ("Main" if main_enc == "H265" else "High"), cbr, 4.0,
                       _dahua_main_options(h265), _DAHUA_RTSP.format(sub=0)),
        StreamDefaults("MediaProfile00001", "MediaProfile_Channel1_SubStream1", "VideoEncoder001",
                       "VideoEncoder001", "H264", 704, 576, 25.0, 512, 50, "Main", False, 4.0,
                       _dahua_sub_options(h265), _DAHUA_RTSP.format(sub=1)),
    )


_DAHUA_DISCOVERY = DiscoveryInfo(
    scopes=("onvif://www.onvif.org/type/Network_Video_Transmitter",
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/hardware/{model}",
            "onvif://www.onvif.org/name/Dahua",
            "onvif://www.onvif.org/location/{location}"),
    xaddr_paths=("/onvif/device_service",))

_DAHUA_USERS = (User("admin", "admin123", "Administrator", fixed=True),)


def _dahua(name: str, model: str, hwid: str, firmware: str, **kw: object) -> Persona:
    base: dict[str, object] = {
        "name": name, "manufacturer": "Dahua", "model": model, "firmware": firmware,
        "hardware_id": hwid, "serial_prefix": "8H0A", "mac_prefix": "3c:ef:8c",
        "envelope": DAHUA_STYLE, "paths": ServicePaths(),
        "snapshot_path": "/onvif/snapshot?channel=1&subtype=0",
        "video_source_token": "VideoSource000", "video_source_config_token": "VideoSourceConfig000",
        "source_size": (1920, 1080),
        "discovery": _DAHUA_DISCOVERY, "server_header": "Webs",
        "realm": "Login to {serial}", "timezone": "GMT+08:00", "tz_style": "dahua",
        "hostname": "IPC", "users": _DAHUA_USERS, "auth_window": 5.0, "vendor_api": "dahua",
    }
    base.update(kw)
    return Persona(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Hikvision

_HIK_RES_MAIN = ((1920, 1080), (1280, 720))
_HIK_RES_SUB = ((640, 480), (640, 360), (320, 240))
_HIK_RATES = (25.0, 20.0, 16.0, 15.0, 12.5, 12.0, 10.0, 8.0, 6.0, 4.0, 2.0, 1.0, 0.5)
_HIK_RTSP = "/Streaming/Channels/{ch}?transportmode=unicast&profile=Profile_{n}"


def _hik_streams(main_enc: str, h265: bool = True) -> tuple[StreamDefaults, ...]:
    def opts(res: tuple[tuple[int, int], ...], br: tuple[int, int]) -> tuple[CodecOptions, ...]:
        o = [CodecOptions("H264", res, _HIK_RATES, br, (1, 400), ("Baseline", "Main", "High"), (0.0, 5.0))]
        if h265:
            o.append(CodecOptions("H265", res, _HIK_RATES, br, (1, 400), ("Main",), (0.0, 5.0)))
        return tuple(o)

    return (
        StreamDefaults("Profile_1", "mainStream", "VideoEncoderToken_1", "VideoEncoder_1", main_enc,
                       1920, 1080, 25.0, 4096, 50, "Main" if main_enc == "H265" else "High", False, 3.0,
                       opts(_HIK_RES_MAIN, (32, 8192)), _HIK_RTSP.format(ch=101, n=1)),
        StreamDefaults("Profile_2", "subStream", "VideoEncoderToken_2", "VideoEncoder_2", "H264",
                       640, 480, 25.0, 256, 50, "Main", False, 3.0,
                       opts(_HIK_RES_SUB, (32, 2048)), _HIK_RTSP.format(ch=102, n=2)),
    )


_HIK_PATHS = ServicePaths(device="/onvif/device_service", media="/onvif/Media", media2="/onvif/Media2",
                          imaging="/onvif/Imaging", events="/onvif/Events", deviceio="/onvif/DeviceIO")
_HIK_DISCOVERY = DiscoveryInfo(
    scopes=("onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/type/audio_encoder",
            "onvif://www.onvif.org/hardware/{model}",
            "onvif://www.onvif.org/name/HIKVISION%20{model}",
            "onvif://www.onvif.org/location/{location}"),
    xaddr_paths=("/onvif/device_service",))


#: A Hikvision set up for the district: Smart Codec on, and the illegal-login lock as strict as
#: QĐ 724/QĐ-BTTTT asks (5 attempts, then locked; 30 minutes is Hikvision's own duration).
_HIK_READY_VENDOR: dict[str, object] = {}

#: Factory values of the ISAPI-only settings (keys as kitchencam/sim/hikvision_api.py names them):
#: Smart Codec (H.264+/H.265+) off, DDNS off, Hik-Connect off, ISUP off, GB28181 present but off, and
#: the illegal-login lock on with 7 attempts and 30 minutes (the SecurityCap defaults of a
#: DS-2CD2386G2-IU recorded in maciej-or/hikvision_next's test fixtures).
_HIK_VENDOR_DEFAULTS: dict[str, object] = {
    "smart_codec": False, "ddns_enabled": False, "ezviz_enabled": False, "isup_enabled": False,
    "gb28181": False, "login_lock_enabled": True, "login_lock_attempts": 7, "login_lock_minutes": 30,
}


_HIK_READY_VENDOR.update(_HIK_VENDOR_DEFAULTS, smart_codec=True, login_lock_attempts=5)


def _hik(name: str, model: str, firmware: str, **kw: object) -> Persona:
    base: dict[str, object] = {
        "name": name, "manufacturer": "HIKVISION", "model": model, "firmware": firmware,
        "hardware_id": "88", "serial_prefix": model, "mac_prefix": "bc:ad:28",
        "envelope": HIKVISION_STYLE, "paths": _HIK_PATHS, "snapshot_path": "/onvif-http/snapshot?Profile_1",
        "video_source_token": "VideoSource_1", "video_source_config_token": "VideoSourceToken",
        "source_size": (1920, 1080), "discovery": _HIK_DISCOVERY,
        "soap_http_digest": True, "server_header": "App-webs/", "realm": "IP Camera({serial_tail})",
        "timezone": "CST-8:00:00", "tz_style": "hikvision", "hostname": "HIKVISION",
        "users": (User("admin", "Hik12345", "Administrator", fixed=True),), "auth_window": 5.0,
        "onvif_version": (2, 10), "scope_name": "HIKVISION {model}", "vendor_api": "hikvision",
        "vendor_defaults": dict(_HIK_VENDOR_DEFAULTS),
    }
    base.update(kw)
    return Persona(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# The personas (names are contracts).

PERSONAS: dict[str, Persona] = {}


def _add(p: Persona) -> None:
    PERSONAS[p.name] = p


# Dahua WizSense 2 at factory defaults: H.264, WDR off, NTP off, clock 2 h behind, Beijing TZ.
_add(_dahua(
    "dahua-wizsense2", "IPC-HFW2241S-S-0360B", "1.0.1", "2.840.0000000.28.R, Build Date 2023-06-08",
    streams=_dahua_streams("H264", 4096, 50, cbr=True),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="OFF"),
    clock_skew=-7200.0, ntp=False, ntp_servers=("clock.isc.org",), timezone="GMT+08:00",
))

# The same model after provisioning to the district profile.
_add(_dahua(
    "dahua-wizsense2-ready", "IPC-HFW2241S-S-0360B", "1.0.1", "2.840.0000000.28.R, Build Date 2023-06-08",
    streams=_dahua_streams("H265", 2048, 50, cbr=False),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="ON", wdr_level=50.0),
    clock_skew=0.0, ntp=True, ntp_servers=("pool.ntp.org", "time.google.com"),
    timezone="GMT+07:00", hostname="IPC-BEPTRUONG", ddns_type="ClientUpdates",
    # Set up for the district: H.265+ on, Dahua's P2P cloud off (the profile's cloud-exposure choice).
    ddns_name="kitchen.dahuaddns.com", vendor_defaults={"SmartEncode": True, "P2P": False},
))

# Dahua Lite (an "equivalent" model): ships with H.265 on, WDR off, NTP off, clock 40 s ahead.
_add(_dahua(
    "dahua-lite-s2", "IPC-HFW2231S-S-S2", "1.0.0", "2.800.0000000.16.R, Build Date 2021-03-22",
    streams=_dahua_streams("H265", 2048, 50, cbr=True),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="OFF"),
    clock_skew=40.0, ntp=False, ntp_servers=("clock.isc.org",), timezone="GMT+08:00",
    onvif_version=(2, 42),
))

# Amcrest IP2M-841: a Dahua camera resold under Amcrest's name (ONVIF says "Amcrest"); only the
# Dahua HTTP API answering tells what it is (issue 14's OEM path).
_add(_dahua(
    "amcrest-ip2m-841", "IP2M-841", "1.0.0", "2.420.AC00.18.R, Build Date 2019-03-18",
    manufacturer="Amcrest", serial_prefix="AMC0", mac_prefix="9c:8e:cd", realm="Login to {serial}",
    media2=False, paths=ServicePaths(media2=None),  # Profile S only: no Media2, no H.265 (2016 model)
    streams=_dahua_streams("H264", 4096, 50, cbr=False, h265=False),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="OFF"),
    clock_skew=0.0, ntp=True, ntp_servers=("time.nist.gov",), timezone="GMT-05:00", hostname="AMC",
    discovery=DiscoveryInfo(scopes=tuple(s.replace("/name/Dahua", "/name/Amcrest") for s in _DAHUA_DISCOVERY.scopes),
                            xaddr_paths=_DAHUA_DISCOVERY.xaddr_paths),
))

# Hikvision DS-2CD1023G0E-I (2.8 mm): H.265 yes, but WDR is digital (DWDR) only, which the
# firmware does not expose over ONVIF: imaging WideDynamicRange options offer only OFF.
_add(_hik(
    "hikvision-ds2cd1023g0e-i", "DS-2CD1023G0E-I", "V5.5.800 build 210628",
    streams=_hik_streams("H264"),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="OFF", wdr_modes=("OFF",)),
    clock_skew=95.0, ntp=False, ntp_servers=("time.windows.com",),
))

# Hikvision DS-2CD2023G2-I: true 120 dB WDR and H.265, but no 3.6 mm lens (2.8/4/6 mm).
_add(_hik(
    "hikvision-ds2cd2023g2-i", "DS-2CD2023G2-I", "V5.7.3 build 220112",
    streams=_hik_streams("H265"),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="OFF", wdr_modes=("OFF", "ON")),
    clock_skew=0.0, ntp=True, ntp_servers=("time.windows.com",),
))

# Hikvision with ONVIF disabled (the factory default): web login on /, ONVIF paths 401.
_add(_hik(
    "hikvision-onvif-off", "DS-2CD1023G0E-I", "V5.5.800 build 210628",
    streams=_hik_streams("H264"),
    imaging=ImagingDefaults(wdr_modes=("OFF",)),
    onvif=False, onvif_off_status=401, login_page="hikvision",
    discovery=DiscoveryInfo(answers=False, scopes=_HIK_DISCOVERY.scopes),
))

# A cheap no-name 720p camera: gSOAP, Media1 only, H.264 only.
_GENERIC_OPTS = (
    CodecOptions("H264", ((1280, 720), (640, 360)), _PAL_RATES, (64, 4096), (1, 100), ("Baseline", "Main")),
    CodecOptions("JPEG", ((1280, 720), (640, 360)), _PAL_RATES, (64, 4096), (1, 1), ()),
)
_GENERIC_SUB_OPTS = (
    CodecOptions("H264", ((640, 360), (320, 180)), _PAL_RATES, (64, 1024), (1, 100), ("Baseline", "Main")),
    CodecOptions("JPEG", ((640, 360), (320, 180)), _PAL_RATES, (64, 1024), (1, 1), ()),
)
_add(Persona(
    name="generic-720p", manufacturer="IPCAM", model="IPC-720P-H264", firmware="V4.02.R11.20190812",
    hardware_id="IPC-HI3518EV200", serial_prefix="IPC", mac_prefix="00:12:41",
    envelope=GSOAP_STYLE,
    paths=ServicePaths(device="/onvif/device_service", media="/onvif/media_service", media2=None,
                       imaging="/onvif/imaging_service", events="/onvif/event_service", deviceio=None),
    snapshot_path="/onvif/snapshot.jpg",
    streams=(
        StreamDefaults("PROFILE_000", "mainStream", "V_ENC_000", "V_ENC_000", "H264", 1280, 720, 25.0,
                       2048, 50, "Main", True, 4.0, _GENERIC_OPTS, "/stream0"),
        StreamDefaults("PROFILE_001", "subStream", "V_ENC_001", "V_ENC_001", "H264", 640, 360, 25.0,
                       512, 50, "Main", True, 4.0, _GENERIC_SUB_OPTS, "/stream1"),
    ),
    video_source_token="V_SRC_000", video_source_config_token="V_SRC_CFG_000",  # noqa: S106 (ONVIF tokens)
    source_size=(1280, 720),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="OFF", wdr_modes=("OFF",), ir_cut_modes=("ON", "OFF", "AUTO")),
    discovery=DiscoveryInfo(
        scopes=("onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/hardware/{model}",
                "onvif://www.onvif.org/name/IPCAM", "onvif://www.onvif.org/location/{location}")),
    media2=False, server_header="gSOAP/2.8", realm="IPCAM", onvif_version=(2, 40),
    clock_skew=0.0, ntp=False, ntp_servers=("time.nist.gov",), timezone="UTC+0", tz_style="posix",
    hostname="IPCAM", users=(User("admin", "123456", "Administrator", fixed=True),), auth_window=5.0,
))

# A network printer: WS-Discovery only (Devices Profile), no ONVIF: HTTP 404 on ONVIF paths.
_add(Persona(
    name="printer", manufacturer="HP", model="LaserJet Pro M404dn", firmware="002.2219A",
    hardware_id="W1A53A", serial_prefix="PHBBK", mac_prefix="a0:d3:c1",
    envelope=GSOAP_STYLE, paths=ServicePaths(media2=None, deviceio=None), snapshot_path="/onvif/snapshot.jpg",
    streams=(), video_source_token="", video_source_config_token="", source_size=(0, 0),
    imaging=ImagingDefaults(),
    discovery=DiscoveryInfo(
        types=("wsdp:Device", "wprt:PrintDeviceType"),
        namespaces=(("wsdp", "http://schemas.xmlsoap.org/ws/2006/02/devprof"),
                    ("wprt", "http://schemas.microsoft.com/windows/2006/08/wdp/print")),
        scopes=(),
        xaddr_paths=("/wsd/device",)),
    onvif=False, onvif_off_status=404, media2=False, server_header="HP HTTP Server; HP LaserJet Pro M404dn",
    login_page="printer",
))


# --- insecure states (issue 16): each like a compliant camera but for its own security rule ----

def _dahua_ready(name: str, **kw: object) -> Persona:
    """dahua-wizsense2-ready with ``kw`` changed."""
    base: dict[str, object] = {
        "streams": _dahua_streams("H265", 2048, 50, cbr=False),
        "imaging": ImagingDefaults(ir_cut="AUTO", wdr_mode="ON", wdr_level=50.0),
        "clock_skew": 0.0, "ntp": True, "ntp_servers": ("pool.ntp.org", "time.google.com"),
        "timezone": "GMT+07:00", "hostname": "IPC-BEPTRUONG", "ddns_type": "ClientUpdates",
        "ddns_name": "kitchen.dahuaddns.com", "vendor_defaults": {"SmartEncode": True, "P2P": False},
    }
    base.update(kw)
    return _dahua(name, "IPC-HFW2241S-S-0360B", "1.0.1", "2.840.0000000.28.R, Build Date 2023-06-08", **base)


# Serves its RTSP stream and its snapshot to anyone, without a password.
_add(_dahua_ready("insecure-anonymous-stream", anonymous_media=True))
# A second administrator and a factory account besides the admin.
_add(_dahua_ready("insecure-extra-admin", users=(
    User("admin", "admin123", "Administrator", fixed=True),
    User("installer", "Install-2024!", "Administrator"),
    User("888888", "888888", "Operator"))))
# Web management over plain HTTP only (HTTPS off in GetNetworkProtocols).
_add(_dahua_ready("insecure-http-only", https=False))
# Hikvision DS-2CD2023G2-I set up for the district, on a firmware the researcher tested vulnerable
# to CVE-2021-36260 (IPC_G5 5.5.113 build 210317: a verified range of
# profiles/advisories/hikvision-cve-2021-36260.yaml; the model's own platform is not claimed).
_add(_hik(
    "insecure-old-firmware", "DS-2CD2023G2-I", "V5.5.113 build 210317",
    streams=_hik_streams("H265"),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="ON", wdr_level=50.0, wdr_modes=("OFF", "ON")),
    clock_skew=0.0, ntp=True, ntp_servers=("time.windows.com",), timezone="CST-7:00:00",
    vendor_defaults=dict(_HIK_READY_VENDOR),
))
# Hikvision DS-2CD2023G2-I set up for the district but with the illegal-login lock off (the
# simulator's ISAPI keys, kitchencam/sim/hikvision_api.py DEFAULTS); a fixed firmware (2022).
_add(_hik(
    "insecure-no-lockout", "DS-2CD2023G2-I", "V5.7.3 build 220112",
    streams=_hik_streams("H265"),
    imaging=ImagingDefaults(ir_cut="AUTO", wdr_mode="ON", wdr_level=50.0, wdr_modes=("OFF", "ON")),
    clock_skew=0.0, ntp=True, ntp_servers=("time.windows.com",), timezone="CST-7:00:00",
    vendor_defaults={**_HIK_READY_VENDOR, "login_lock_enabled": False},
))

def get_persona(name: str) -> Persona:
    """The persona called ``name``; ValueError naming the known ones otherwise."""
    try:
        return PERSONAS[name]
    except KeyError:
        known = ", ".join(sorted(PERSONAS))
        raise ValueError(f"unknown persona {name!r}; known personas: {known}") from None
