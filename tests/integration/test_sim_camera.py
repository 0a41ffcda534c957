"""The simulated camera as a network peer: real sockets on 127.0.0.x, raw zeep from the official WSDLs.

zeep runs in strict mode, so an element out of the schema's order or a type it does not know
fails the test. The kitchencam ONVIF client is not used here on purpose (it is written at the
same time); these tests pin what the simulator says on the wire.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.auth import HTTPDigestAuth

zeep = pytest.importorskip("zeep")
from zeep.exceptions import Fault, TransportError  # noqa: E402
from zeep.transports import Transport  # noqa: E402
from zeep.wsse.username import UsernameToken  # noqa: E402

import kitchencam  # noqa: E402
from kitchencam.sim.camera import SimCamera  # noqa: E402
from kitchencam.sim.personas import PERSONAS, CodecOptions, get_persona  # noqa: E402

# The official WSDLs ship inside the package (identical to ../shared/onvif-wsdl), so these tests
# never depend on a checkout next to this one; KITCHENCAM_ONVIF_WSDL points them at another copy.
WSDL_DIR = Path(os.environ.get("KITCHENCAM_ONVIF_WSDL")
                or Path(kitchencam.__file__).resolve().parent / "onvif" / "wsdl")
assert (WSDL_DIR / "ver10" / "device" / "wsdl" / "devicemgmt.wsdl").exists(), f"no ONVIF WSDLs in {WSDL_DIR}"

TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TR2 = "http://www.onvif.org/ver20/media/wsdl"
TIMG = "http://www.onvif.org/ver20/imaging/wsdl"
TER = "http://www.onvif.org/ver10/error"

SERVICES = {
    "device": ("ver10/device/wsdl/devicemgmt.wsdl", f"{{{TDS}}}DeviceBinding", TDS),
    "media": ("ver10/media/wsdl/media.wsdl", f"{{{TRT}}}MediaBinding", TRT),
    "media2": ("ver20/media/wsdl/media.wsdl", f"{{{TR2}}}Media2Binding", TR2),
    "imaging": ("ver20/imaging/wsdl/imaging.wsdl", f"{{{TIMG}}}ImagingBinding", TIMG),
}

# The remote schema locations the official files import, and their local copies (README there).
EXTERNAL = {
    "www.w3.org/2001/xml.xsd": "xml.xsd",
    "www.w3.org/2005/05/xmlmime": "xmlmime.xsd",
    "www.w3.org/2003/05/soap-envelope": "soap-envelope.xsd",
    "www.w3.org/2004/08/xop/include": "include.xsd",
    "www.w3.org/2005/08/addressing/ws-addr.xsd": "ws-addr.xsd",
    "docs.oasis-open.org/wsn/b-2.xsd": "b-2.xsd",
    "docs.oasis-open.org/wsn/t-1.xsd": "t-1.xsd",
    "docs.oasis-open.org/wsrf/bf-2.xsd": "bf-2.xsd",
}

ONVIF_PERSONAS = [n for n, p in PERSONAS.items() if p.onvif]
MEDIA2_PERSONAS = [n for n in ONVIF_PERSONAS if PERSONAS[n].media2]

_next_ip = iter(range(20, 250))


def fresh_ip() -> str:
    """A loopback address of its own for each camera, so nothing leaks between tests."""
    return f"127.0.0.{next(_next_ip)}"


class LocalTransport(Transport):
    """Never fetch a schema from the internet: map the remote locations to the bundled external/."""

    def load(self, url: str) -> bytes:
        if url.startswith(("http://", "https://")):
            key = url.split("://", 1)[1]
            if key in EXTERNAL:
                return (WSDL_DIR / "external" / EXTERNAL[key]).read_bytes()
            raise AssertionError(f"a schema tried to load {url} from the network")
        return super().load(url)


class SkewedToken(UsernameToken):
    """A UsernameToken whose Created follows the camera's clock (host time + offset)."""

    def __init__(self, username: str, password: str, offset: float = 0.0, digest: bool = True) -> None:
        super().__init__(username, password, use_digest=digest)
        self.offset = offset

    def apply(self, envelope: Any, headers: Any) -> Any:
        self.created = datetime.now(timezone.utc) + timedelta(seconds=self.offset)
        return super().apply(envelope, headers)


@pytest.fixture(scope="module")
def clients() -> dict[str, Any]:
    """One zeep Client per WSDL, parsed once (strict: replies must follow the schema)."""
    settings = zeep.Settings(strict=True, xml_huge_tree=False)
    out = {}
    for name, (path, _binding, _ns) in SERVICES.items():
        out[name] = zeep.Client(str(WSDL_DIR / path), transport=LocalTransport(timeout=10, operation_timeout=10),
                                settings=settings)
    return out


class Onvif:
    """Raw zeep bound to one camera, with the credentials and clock offset a client would use."""

    def __init__(self, clients: dict[str, Any], cam: SimCamera, user: str | None, password: str | None,
                 offset: float = 0.0, digest: bool = True) -> None:
        self.clients = clients
        self.cam = cam
        self.token = SkewedToken(user, password, offset, digest) if user is not None else None
        self.xaddrs = {"device": cam.device_xaddr}

    def discover_services(self) -> None:
        for s in self.call("device", "GetServices", IncludeCapability=False):
            for name, (_p, _b, ns) in SERVICES.items():
                if s.Namespace == ns:
                    self.xaddrs[name] = s.XAddr

    def call(self, service: str, op: str, **kw: Any) -> Any:
        client = self.clients[service]
        client.wsse = self.token
        xaddr = self.xaddrs.get(service, self.cam.device_xaddr)
        return getattr(client.create_service(SERVICES[service][1], xaddr), op)(**kw)


def camera_offset(clients: dict[str, Any], cam: SimCamera) -> float:
    """What a client does first: read the camera clock without credentials."""
    t = Onvif(clients, cam, None, None).call("device", "GetSystemDateAndTime").UTCDateTime
    cam_now = datetime(t.Date.Year, t.Date.Month, t.Date.Day, t.Time.Hour, t.Time.Minute, t.Time.Second,
                       tzinfo=timezone.utc)
    return (cam_now - datetime.now(timezone.utc)).total_seconds()


def subcodes(fault: Fault) -> list[tuple[str, str]]:
    return [(q.namespace, q.localname) for q in (fault.subcodes or [])]


@pytest.fixture
def start() -> Iterator[Any]:
    """start(persona_name, **kw) -> a running SimCamera on its own 127.0.0.x; all stopped afterwards."""
    cams: list[SimCamera] = []

    def _start(persona: Any, **kw: Any) -> SimCamera:
        p = get_persona(persona) if isinstance(persona, str) else persona
        cam = SimCamera(p, kw.pop("ip", None) or fresh_ip(), **kw)
        cams.append(cam)
        cam.rtsp_port = 8554
        return cam.start()

    try:
        yield _start
    finally:
        for cam in cams:
            cam.stop()


def admin(cam: SimCamera) -> tuple[str, str]:
    name = next(u for u, level in cam.users().items() if level == "Administrator")
    return name, cam._passwords()[name]


def connect(clients: dict[str, Any], cam: SimCamera, user: str | None = None, password: str | None = None,
            digest: bool = True) -> Onvif:
    u, pw = admin(cam)
    o = Onvif(clients, cam, user or u, password if password is not None else pw, camera_offset(clients, cam),
              digest)
    o.discover_services()
    return o


def wait_until(predicate: Any, timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def port_open(ip: str, port: int) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=0.2):
            return True
    except OSError:
        return False


def raw_envelope(op_xml: str, security: str = "") -> bytes:
    header = f"<s:Header>{security}</s:Header>" if security else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            f'xmlns:tds="{TDS}" xmlns:trt="{TRT}" xmlns:tr2="{TR2}" xmlns:timg="{TIMG}" '
            f'xmlns:tt="http://www.onvif.org/ver10/schema">{header}<s:Body>{op_xml}</s:Body></s:Envelope>').encode()


def wsse_header(user: str, password: str, created: datetime, nonce: bytes) -> str:
    created_text = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(hashlib.sha1(nonce + created_text.encode() + password.encode()).digest()).decode()
    return ('<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-'
            'secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-'
            'utility-1.0.xsd"><wsse:UsernameToken>'
            f"<wsse:Username>{user}</wsse:Username>"
            '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-'
            f'profile-1.0#PasswordDigest">{digest}</wsse:Password>'
            f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
            f"<wsu:Created>{created_text}</wsu:Created></wsse:UsernameToken></wsse:Security>")


def post(url: str, body: bytes, **kw: Any) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": "application/soap+xml; charset=utf-8"},
                         timeout=5, **kw)


# ---------------------------------------------------------------------------------------------
# Every operation, every ONVIF persona.

@pytest.mark.parametrize("name", ONVIF_PERSONAS)
def test_every_read_operation_parses_with_the_official_wsdls(clients: dict[str, Any], start: Any,
                                                             name: str) -> None:
    cam = start(name, index=3)
    p = cam.persona
    o = connect(clients, cam)

    info = o.call("device", "GetDeviceInformation")
    assert (info.Manufacturer, info.Model, info.FirmwareVersion) == (p.manufacturer, p.model, p.firmware)
    assert info.SerialNumber == cam.serial

    caps = o.call("device", "GetCapabilities", Category=["All"])
    assert caps.Device.XAddr == cam.device_xaddr
    assert caps.Media.XAddr == cam.xaddr(p.paths.media)
    assert caps.Imaging.XAddr == cam.xaddr(p.paths.imaging)
    assert caps.Media.StreamingCapabilities.RTP_RTSP_TCP is True

    with_caps = o.call("device", "GetServices", IncludeCapability=True)
    without = o.call("device", "GetServices", IncludeCapability=False)
    assert [s.Namespace for s in with_caps] == [s.Namespace for s in without]
    assert all(s.Capabilities is None for s in without)
    assert all(s.Capabilities is not None for s in with_caps)
    namespaces = {s.Namespace: s.XAddr for s in without}
    assert namespaces[TDS] == cam.device_xaddr
    assert namespaces[TRT] == cam.xaddr(p.paths.media)
    assert namespaces[TIMG] == cam.xaddr(p.paths.imaging)
    assert (TR2 in namespaces) == p.media2
    if p.media2:
        assert namespaces[TR2] == cam.xaddr(p.paths.media2)

    scopes = [s.ScopeItem for s in o.call("device", "GetScopes")]
    assert scopes == cam.scopes
    assert "onvif://www.onvif.org/Profile/Streaming" in scopes
    assert ("onvif://www.onvif.org/Profile/T" in scopes) == p.media2
    assert f"onvif://www.onvif.org/hardware/{p.model}" in scopes

    nics = o.call("device", "GetNetworkInterfaces")
    assert nics[0].Info.HwAddress == cam.mac
    assert nics[0].IPv4.Config.Manual[0].Address == cam.ip

    assert o.call("device", "GetHostname").Name == p.hostname
    ntp = o.call("device", "GetNTP")
    assert [h.DNSname or h.IPv4Address for h in ntp.NTPManual] == list(p.ntp_servers)
    dns = o.call("device", "GetDNS")
    assert [a.IPv4Address for a in dns.DNSManual] == list(p.dns_servers)
    assert o.call("device", "GetDynamicDNS").Type == p.ddns_type
    users = o.call("device", "GetUsers")
    assert [(u.Username, u.UserLevel) for u in users] == [(u.username, u.level) for u in p.users]
    assert users[0].UserLevel == "Administrator"
    assert all(u.Password is None for u in users)  # never sent back

    # Media1 (Profile S): every ONVIF persona.
    profiles = o.call("media", "GetProfiles")
    assert [pr.token for pr in profiles] == [s.profile_token for s in p.streams]
    main = profiles[0].VideoEncoderConfiguration
    assert (main.Resolution.Width, main.Resolution.Height) == (p.streams[0].width, p.streams[0].height)
    assert main.Encoding == ("H264" if p.streams[0].encoding == "H265" else p.streams[0].encoding)
    assert [c.token for c in o.call("media", "GetVideoEncoderConfigurations")] == [s.encoder_token
                                                                                   for s in p.streams]
    assert o.call("media", "GetVideoSourceConfigurations")[0].SourceToken == p.video_source_token
    m1opts = o.call("media", "GetVideoEncoderConfigurationOptions", ConfigurationToken=p.streams[0].encoder_token)
    assert [(r.Width, r.Height) for r in m1opts.H264.ResolutionsAvailable] == list(
        p.streams[0].options[0].resolutions)
    uri = o.call("media", "GetStreamUri", ProfileToken=p.streams[0].profile_token,
                 StreamSetup={"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}})
    assert uri.Uri == f"rtsp://{cam.ip}:8554{p.streams[0].rtsp_path}"
    assert o.call("media", "GetSnapshotUri", ProfileToken=p.streams[0].profile_token).Uri == cam.snapshot_uri

    # Media2 (Profile T): where the persona has it.
    if p.media2:
        m2 = o.call("media2", "GetProfiles", Type=["All"])
        assert [pr.token for pr in m2] == [s.profile_token for s in p.streams]
        enc = m2[0].Configurations.VideoEncoder
        assert (enc.Encoding, enc.Resolution.Width, enc.Resolution.Height) == cam.main_stream()[:3]
        assert enc.RateControl.FrameRateLimit == cam.main_stream()[3]
        assert m2[0].Configurations.VideoSource.SourceToken == p.video_source_token
        bare = o.call("media2", "GetProfiles")
        # No Type: names and tokens only, as the spec says (an empty Configurations element).
        assert bare[0].Configurations is None or bare[0].Configurations.VideoEncoder is None
        confs = o.call("media2", "GetVideoEncoderConfigurations")
        assert confs[0].GovLength == p.streams[0].gov
        assert confs[0].RateControl.BitrateLimit == p.streams[0].bitrate
        assert o.call("media2", "GetVideoSourceConfigurations")[0].token == p.video_source_config_token
        opts = o.call("media2", "GetVideoEncoderConfigurationOptions", ConfigurationToken=p.streams[0].encoder_token)
        assert [x.Encoding for x in opts] == [c.encoding for c in p.streams[0].options]
        h265 = next(x for x in opts if x.Encoding == "H265")
        assert (1920, 1080) in [(r.Width, r.Height) for r in h265.ResolutionsAvailable]
        assert h265.GovLengthRange == list(p.streams[0].options[1].gov_range)
        assert h265.ProfilesSupported == ["Main"]
        assert 25.0 in h265.FrameRatesSupported
        assert h265.ConstantBitRateSupported is True
        assert o.call("media2", "GetStreamUri", Protocol="RtspUnicast",
                      ProfileToken=p.streams[1].profile_token) == f"rtsp://{cam.ip}:8554{p.streams[1].rtsp_path}"
        assert o.call("media2", "GetSnapshotUri", ProfileToken=p.streams[0].profile_token) == cam.snapshot_uri
    else:
        o.xaddrs["media2"] = cam.xaddr(p.paths.media)
        with pytest.raises(Fault) as exc:
            o.call("media2", "GetProfiles")
        assert (TER, "ActionNotSupported") in subcodes(exc.value)

    # Imaging.
    src = p.video_source_token
    settings = o.call("imaging", "GetImagingSettings", VideoSourceToken=src)
    assert settings.IrCutFilter == p.imaging.ir_cut
    assert settings.WideDynamicRange.Mode == p.imaging.wdr_mode
    options = o.call("imaging", "GetOptions", VideoSourceToken=src)
    assert options.IrCutFilterModes == list(p.imaging.ir_cut_modes)
    assert options.WideDynamicRange.Mode == list(p.imaging.wdr_modes)
    with pytest.raises(Fault) as exc:
        o.call("imaging", "GetMoveOptions", VideoSourceToken=src)
    assert (TER, "ActionNotSupported") in subcodes(exc.value)
    with pytest.raises(Fault) as exc:
        o.call("imaging", "GetImagingSettings", VideoSourceToken="NoSuchSource")
    assert subcodes(exc.value) == [(TER, "InvalidArgVal"), (TER, "NoSource")]


@pytest.mark.parametrize("name", ONVIF_PERSONAS)
def test_envelope_shape_follows_the_vendor(start: Any, name: str) -> None:
    cam = start(name)
    r = post(cam.device_xaddr, raw_envelope("<tds:GetSystemDateAndTime/>"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/soap+xml")
    prefix = cam.persona.envelope.prefix
    assert f"<{prefix}:Envelope" in r.text
    for p, uri in cam.persona.envelope.namespaces:
        assert f'xmlns:{p}="{uri}"' in r.text
    assert r.headers["Server"] == cam.persona.server_header


@pytest.mark.parametrize("name", ONVIF_PERSONAS)
def test_unknown_operation_is_action_not_supported(clients: dict[str, Any], start: Any, name: str) -> None:
    cam = start(name)
    o = connect(clients, cam)
    with pytest.raises(Fault) as exc:
        o.call("device", "GetSystemLog", LogType="System")
    assert (TER, "ActionNotSupported") in subcodes(exc.value)
    assert exc.value.code is not None
    assert exc.value.code.endswith("Receiver")


# ---------------------------------------------------------------------------------------------
# Authentication.

def test_clock_skew_makes_naive_clients_fail_and_offset_clients_pass(clients: dict[str, Any], start: Any) -> None:
    cam = start("dahua-wizsense2")  # 2 h behind at factory defaults
    offset = camera_offset(clients, cam)
    assert abs(offset - (-7200)) < 3
    user, pw = admin(cam)
    naive = Onvif(clients, cam, user, pw, offset=0.0)
    with pytest.raises(Fault) as exc:
        naive.call("device", "GetDeviceInformation")
    assert subcodes(exc.value) == [(TER, "NotAuthorized")]
    assert exc.value.message == "Sender not Authorized"
    info = Onvif(clients, cam, user, pw, offset=offset).call("device", "GetDeviceInformation")
    assert info.Model == cam.persona.model


def test_auth_window_edges(clients: dict[str, Any], start: Any) -> None:
    cam = start("dahua-wizsense2-ready")
    user, pw = admin(cam)
    assert cam.persona.auth_window == 5.0
    Onvif(clients, cam, user, pw, offset=3.0).call("device", "GetHostname")
    Onvif(clients, cam, user, pw, offset=-3.0).call("device", "GetHostname")
    for off in (8.0, -8.0):
        with pytest.raises(Fault):
            Onvif(clients, cam, user, pw, offset=off).call("device", "GetHostname")


def test_wrong_password_missing_token_and_password_text(clients: dict[str, Any], start: Any) -> None:
    cam = start("dahua-wizsense2-ready", user="tech", password="S3cret!x")
    assert cam.users() == {"tech": "Administrator"}
    with pytest.raises(Fault) as exc:
        Onvif(clients, cam, "tech", "wrong").call("device", "GetDeviceInformation")
    assert subcodes(exc.value) == [(TER, "NotAuthorized")]
    with pytest.raises(Fault):
        Onvif(clients, cam, None, None).call("device", "GetDeviceInformation")
    with pytest.raises(Fault):  # the persona's own default no longer works
        Onvif(clients, cam, "admin", "admin123").call("device", "GetDeviceInformation")
    assert Onvif(clients, cam, "tech", "S3cret!x", digest=False).call("device", "GetHostname").Name


def test_replayed_nonce_and_stale_created_over_http(start: Any) -> None:
    cam = start("dahua-lite-s2", user="admin", password="pw1")
    created = cam.now()
    body = raw_envelope("<tds:GetHostname/>", wsse_header("admin", "pw1", created, b"0123456789abcdef"))
    first = post(cam.device_xaddr, body)
    assert first.status_code == 200, first.text
    assert "IPC" in first.text
    replay = post(cam.device_xaddr, body)
    assert replay.status_code == 400
    assert "ter:NotAuthorized" in replay.text
    assert "Sender not Authorized" in replay.text
    stale = raw_envelope("<tds:GetHostname/>", wsse_header("admin", "pw1", cam.now() - timedelta(seconds=60),
                                                           b"fedcba9876543210"))
    assert post(cam.device_xaddr, stale).status_code == 400
    future = raw_envelope("<tds:GetHostname/>", wsse_header("admin", "pw1", cam.now() + timedelta(seconds=60),
                                                            b"fedcba9876543211"))
    assert post(cam.device_xaddr, future).status_code == 400


def test_get_system_date_and_time_needs_no_auth_but_everything_else_does(start: Any) -> None:
    cam = start("generic-720p")
    assert post(cam.device_xaddr, raw_envelope("<tds:GetSystemDateAndTime/>")).status_code == 200
    for op in ("<tds:GetDeviceInformation/>", "<tds:GetCapabilities/>", "<tds:GetServices>"
               "<tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>", "<tds:GetUsers/>"):
        r = post(cam.device_xaddr, raw_envelope(op))
        assert r.status_code == 400, op
        assert "NotAuthorized" in r.text


def test_hikvision_asks_for_http_digest_on_soap(clients: dict[str, Any], start: Any) -> None:
    cam = start("hikvision-ds2cd2023g2-i", user="admin", password="Hik12345")
    r = post(cam.device_xaddr, raw_envelope("<tds:GetDeviceInformation/>"))
    assert r.status_code == 401
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith("Digest ")
    assert 'qop="auth"' in challenge
    assert "NotAuthorized" in r.text  # a SOAP fault body comes with the 401
    ok = post(cam.device_xaddr, raw_envelope("<tds:GetDeviceInformation/>"),
              auth=HTTPDigestAuth("admin", "Hik12345"))
    assert ok.status_code == 200
    assert "DS-2CD2023G2-I" in ok.text
    bad = post(cam.device_xaddr, raw_envelope("<tds:GetDeviceInformation/>"), auth=HTTPDigestAuth("admin", "no"))
    assert bad.status_code == 401
    # zeep with HTTP digest on its session (no WS-Security at all) works as well.
    session = requests.Session()
    session.auth = HTTPDigestAuth("admin", "Hik12345")
    client = zeep.Client(str(WSDL_DIR / SERVICES["device"][0]),
                         transport=LocalTransport(session=session, timeout=5), settings=zeep.Settings(strict=True))
    info = client.create_service(SERVICES["device"][1], cam.device_xaddr).GetDeviceInformation()
    assert info.Manufacturer == "HIKVISION"


def test_user_levels_limit_what_an_account_may_do(clients: dict[str, Any], start: Any) -> None:
    cam = start("dahua-wizsense2-ready")
    o = connect(clients, cam)
    o.call("device", "CreateUsers", User=[{"Username": "viewer", "Password": "view1234", "UserLevel": "User"},
                                          {"Username": "oper", "Password": "oper1234", "UserLevel": "Operator"}])
    viewer = connect(clients, cam, "viewer", "view1234")
    assert viewer.call("device", "GetHostname").Name == cam.persona.hostname
    for who in (viewer, connect(clients, cam, "oper", "oper1234")):
        with pytest.raises(Fault) as exc:
            who.call("device", "GetUsers")
        assert subcodes(exc.value) == [(TER, "NotAuthorized")]
    with pytest.raises(Fault):
        viewer.call("imaging", "SetImagingSettings", VideoSourceToken=cam.persona.video_source_token,
                    ImagingSettings={"IrCutFilter": "ON"})
    oper = connect(clients, cam, "oper", "oper1234")
    oper.call("imaging", "SetImagingSettings", VideoSourceToken=cam.persona.video_source_token,
              ImagingSettings={"IrCutFilter": "ON"})
    assert cam.imaging.ir_cut == "ON"


# ---------------------------------------------------------------------------------------------
# State: Set changes what Get returns.

def _m2_config(o: Onvif, token: str) -> Any:
    return o.call("media2", "GetVideoEncoderConfigurations", ConfigurationToken=token)[0]


def test_provisioning_a_factory_dahua_to_the_district_profile(clients: dict[str, Any], start: Any) -> None:
    cam = start("dahua-wizsense2")
    o = connect(clients, cam)
    main = cam.persona.streams[0]
    assert cam.main_stream() == ("H264", 1920, 1080, 25.0)

    conf = _m2_config(o, main.encoder_token)
    conf.Encoding = "H265"
    conf.Profile = "Main"
    conf.RateControl.FrameRateLimit = 25
    conf.RateControl.BitrateLimit = 2048
    conf.RateControl.ConstantBitRate = False
    conf.GovLength = 50
    o.call("media2", "SetVideoEncoderConfiguration", Configuration=conf)
    after = _m2_config(o, main.encoder_token)
    assert (after.Encoding, after.Resolution.Width, after.Resolution.Height) == ("H265", 1920, 1080)
    assert (after.RateControl.BitrateLimit, after.RateControl.ConstantBitRate, after.GovLength) == (2048, False, 50)
    assert cam.main_stream() == ("H265", 1920, 1080, 25.0)
    # Media1 cannot say H265: the same encoder shows as H264 there, its numbers follow.
    m1 = o.call("media", "GetVideoEncoderConfigurations")[0]
    assert (m1.Encoding, m1.RateControl.BitrateLimit) == ("H264", 2048)

    src = cam.persona.video_source_token
    o.call("imaging", "SetImagingSettings", VideoSourceToken=src,
           ImagingSettings={"WideDynamicRange": {"Mode": "ON", "Level": 70}, "IrCutFilter": "AUTO",
                            "Brightness": 55})
    s = o.call("imaging", "GetImagingSettings", VideoSourceToken=src)
    assert (s.WideDynamicRange.Mode, s.WideDynamicRange.Level, s.IrCutFilter, s.Brightness) == ("ON", 70.0, "AUTO",
                                                                                                55.0)

    o.call("device", "SetNTP", FromDHCP=False, NTPManual=[{"Type": "DNS", "DNSname": "pool.ntp.org"},
                                                          {"Type": "IPv4", "IPv4Address": "10.0.0.1"}])
    ntp = o.call("device", "GetNTP")
    assert [(h.Type, h.DNSname or h.IPv4Address) for h in ntp.NTPManual] == [("DNS", "pool.ntp.org"),
                                                                             ("IPv4", "10.0.0.1")]
    o.call("device", "SetSystemDateAndTime", DateTimeType="NTP", DaylightSavings=False,
           TimeZone={"TZ": "<+07>-7"})
    # The clock is now right: the old offset is 2 h off, so the client must re-read the time.
    t = Onvif(clients, cam, None, None).call("device", "GetSystemDateAndTime")
    assert t.DateTimeType == "NTP"
    assert t.TimeZone.TZ == "GMT+07:00"  # Dahua writes its own zone name back
    assert abs(camera_offset(clients, cam)) < 3
    utc = datetime(t.UTCDateTime.Date.Year, t.UTCDateTime.Date.Month, t.UTCDateTime.Date.Day,
                   t.UTCDateTime.Time.Hour, t.UTCDateTime.Time.Minute, t.UTCDateTime.Time.Second)
    local = datetime(t.LocalDateTime.Date.Year, t.LocalDateTime.Date.Month, t.LocalDateTime.Date.Day,
                     t.LocalDateTime.Time.Hour, t.LocalDateTime.Time.Minute, t.LocalDateTime.Time.Second)
    assert local - utc == timedelta(hours=7)

    o = connect(clients, cam)
    o.call("device", "SetHostname", Name="kitchen-cam-01")
    assert o.call("device", "GetHostname").Name == "kitchen-cam-01"
    assert "pool.ntp.org" in [h.DNSname for h in o.call("device", "GetNTP").NTPManual]


def test_manual_time_moves_the_camera_clock(clients: dict[str, Any], start: Any) -> None:
    cam = start("generic-720p")
    o = connect(clients, cam)
    target = datetime.now(timezone.utc) + timedelta(hours=3)
    o.call("device", "SetSystemDateAndTime", DateTimeType="Manual", DaylightSavings=False,
           TimeZone={"TZ": "ICT-7"},
           UTCDateTime={"Date": {"Year": target.year, "Month": target.month, "Day": target.day},
                        "Time": {"Hour": target.hour, "Minute": target.minute, "Second": target.second}})
    assert abs(camera_offset(clients, cam) - 3 * 3600) < 3
    t = Onvif(clients, cam, None, None).call("device", "GetSystemDateAndTime")
    assert (t.DateTimeType, t.TimeZone.TZ) == ("Manual", "ICT-7")  # generic firmware keeps the string
    with pytest.raises(Fault) as exc:  # the old offset is now 3 h off
        o.call("device", "GetHostname")
    assert subcodes(exc.value) == [(TER, "NotAuthorized")]


def test_hikvision_writes_tz_as_cst(clients: dict[str, Any], start: Any) -> None:
    cam = start("hikvision-ds2cd2023g2-i")
    o = connect(clients, cam)
    o.call("device", "SetSystemDateAndTime", DateTimeType="NTP", DaylightSavings=False, TimeZone={"TZ": "<+07>-7"})
    assert Onvif(clients, cam, None, None).call("device", "GetSystemDateAndTime").TimeZone.TZ == "CST-7:00:00"
    with pytest.raises(Fault) as exc:
        o.call("device", "SetSystemDateAndTime", DateTimeType="NTP", DaylightSavings=False,
               TimeZone={"TZ": "not a zone"})
    assert subcodes(exc.value) == [(TER, "InvalidArgVal"), (TER, "InvalidTimeZone")]


def test_users_create_clash_authenticate_delete(clients: dict[str, Any], start: Any) -> None:
    cam = start("hikvision-ds2cd1023g0e-i")
    o = connect(clients, cam)
    o.call("device", "CreateUsers", User=[{"Username": "kitchencam", "Password": "Kc-2024!", "UserLevel":
                                           "Administrator"}])
    assert ("kitchencam", "Administrator") in [(u.Username, u.UserLevel) for u in o.call("device", "GetUsers")]
    with pytest.raises(Fault) as exc:
        o.call("device", "CreateUsers", User=[{"Username": "kitchencam", "Password": "x1234567",
                                               "UserLevel": "User"}])
    assert subcodes(exc.value) == [(TER, "OperationProhibited"), (TER, "UsernameClash")]
    new = connect(clients, cam, "kitchencam", "Kc-2024!")
    assert new.call("device", "GetDeviceInformation").Model == "DS-2CD1023G0E-I"
    with pytest.raises(Fault) as exc:
        new.call("device", "DeleteUsers", Username=["admin"])
    assert subcodes(exc.value) == [(TER, "InvalidArgVal"), (TER, "FixedUser")]
    o.call("device", "DeleteUsers", Username=["kitchencam"])
    assert [u.Username for u in o.call("device", "GetUsers")] == ["admin"]
    with pytest.raises(Fault):
        new.call("device", "GetDeviceInformation")


def _h265_less_dahua() -> Any:
    p = get_persona("dahua-wizsense2")
    streams = tuple(dataclasses.replace(s, options=tuple(o for o in s.options if o.encoding != "H265"))
                    for s in p.streams)
    return dataclasses.replace(p, name="dahua-no-h265", streams=streams)


@pytest.mark.parametrize(("change", "why"), [
    ({"Resolution": {"Width": 1600, "Height": 900}}, "resolution"),
    ({"RateControl": {"FrameRateLimit": 30, "BitrateLimit": 2048, "ConstantBitRate": False}}, "frame rate"),
    ({"RateControl": {"FrameRateLimit": 25, "BitrateLimit": 20000, "ConstantBitRate": False}}, "bitrate"),
    ({"GovLength": 1000}, "GOV"),
    ({"Encoding": "H264", "Profile": "Extended"}, "profile"),
])
def test_media2_rejects_values_outside_its_own_options(clients: dict[str, Any], start: Any, change: dict[str, Any],
                                                       why: str) -> None:
    cam = start("dahua-wizsense2")
    o = connect(clients, cam)
    token = cam.persona.streams[0].encoder_token
    conf = _m2_config(o, token)
    for key, value in change.items():
        if isinstance(value, dict):
            for k, v in value.items():
                setattr(getattr(conf, key), k, v)
        else:
            setattr(conf, key, value)
    before = cam.stream(0)
    with pytest.raises(Fault) as exc:
        o.call("media2", "SetVideoEncoderConfiguration", Configuration=conf)
    assert subcodes(exc.value) == [(TER, "InvalidArgVal"), (TER, "ConfigModify")]
    assert why in exc.value.message
    assert cam.stream(0) == before


def test_h265_on_a_camera_without_h265_and_wdr_on_without_wdr(clients: dict[str, Any], start: Any) -> None:
    cam = start(_h265_less_dahua())
    o = connect(clients, cam)
    conf = _m2_config(o, cam.persona.streams[0].encoder_token)
    conf.Encoding, conf.Profile = "H265", "Main"
    with pytest.raises(Fault) as exc:
        o.call("media2", "SetVideoEncoderConfiguration", Configuration=conf)
    assert subcodes(exc.value) == [(TER, "InvalidArgVal"), (TER, "ConfigModify")]
    assert cam.main_stream()[0] == "H264"

    hik = start("hikvision-ds2cd1023g0e-i")
    h = connect(clients, hik)
    src = hik.persona.video_source_token
    assert h.call("imaging", "GetOptions", VideoSourceToken=src).WideDynamicRange.Mode == ["OFF"]
    with pytest.raises(Fault) as exc:
        h.call("imaging", "SetImagingSettings", VideoSourceToken=src,
               ImagingSettings={"WideDynamicRange": {"Mode": "ON"}})
    assert subcodes(exc.value) == [(TER, "InvalidArgVal"), (TER, "SettingsInvalid")]
    assert h.call("imaging", "GetImagingSettings", VideoSourceToken=src).WideDynamicRange.Mode == "OFF"


def test_generic_720p_is_media1_only_and_sets_through_media1(clients: dict[str, Any], start: Any) -> None:
    cam = start("generic-720p")
    o = connect(clients, cam)
    assert "media2" not in o.xaddrs
    opts = o.call("media", "GetVideoEncoderConfigurationOptions", ConfigurationToken="V_ENC_000")
    assert [(r.Width, r.Height) for r in opts.H264.ResolutionsAvailable] == [(1280, 720), (640, 360)]
    conf = o.call("media", "GetVideoEncoderConfigurations")[0]
    conf.Resolution.Width, conf.Resolution.Height = 640, 360
    conf.RateControl.FrameRateLimit = 15
    o.call("media", "SetVideoEncoderConfiguration", Configuration=conf, ForcePersistence=True)
    assert cam.main_stream() == ("H264", 640, 360, 15.0)
    assert o.call("media", "GetProfiles")[0].VideoEncoderConfiguration.Resolution.Width == 640
    conf.Resolution.Width, conf.Resolution.Height = 1920, 1080
    with pytest.raises(Fault) as exc:
        o.call("media", "SetVideoEncoderConfiguration", Configuration=conf, ForcePersistence=True)
    assert subcodes(exc.value) == [(TER, "InvalidArgVal"), (TER, "ConfigModify")]


# ---------------------------------------------------------------------------------------------
# Devices that are not (reachable) ONVIF cameras.

def test_hikvision_with_onvif_off_shows_a_login_page_and_401s_every_service(start: Any) -> None:
    cam = start("hikvision-onvif-off")
    assert cam.answers_discovery is False
    page = requests.get(f"http://{cam.ip}:{cam.http_port}/", timeout=5)
    assert page.status_code == 200
    assert "<title>Login</title>" in page.text
    for path in (cam.persona.paths.device, cam.persona.paths.media, cam.persona.paths.media2):
        for auth in (None, HTTPDigestAuth("admin", "Hik12345")):
            r = post(cam.xaddr(path), raw_envelope("<tds:GetSystemDateAndTime/>"), auth=auth)
            assert r.status_code == 401
            assert r.headers["Content-Type"].startswith("text/html")


def test_printer_has_no_onvif_but_discovery_metadata(start: Any) -> None:
    cam = start("printer")
    for path in ("/onvif/device_service", "/onvif/media_service", "/onvif/Media"):
        assert post(cam.xaddr(path), raw_envelope("<tds:GetSystemDateAndTime/>")).status_code == 404
    assert cam.types == ["wsdp:Device", "wprt:PrintDeviceType"]
    assert cam.discovery_namespaces["wprt"] == "http://schemas.microsoft.com/windows/2006/08/wdp/print"
    assert cam.answers_discovery is True
    assert cam.discovery_xaddrs == [cam.xaddr("/wsd/device")]


def test_discovery_identity_is_stable_per_index_and_persona() -> None:
    a1 = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.9", index=1)
    a2 = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.10", index=1)
    b = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.9", index=2)
    c = SimCamera(get_persona("dahua-lite-s2"), "127.0.0.9", index=1)
    assert a1.endpoint_reference == a2.endpoint_reference
    assert len({a1.endpoint_reference, b.endpoint_reference, c.endpoint_reference}) == 3
    assert a1.endpoint_reference.startswith("urn:uuid:")
    assert a1.types == ["dn:NetworkVideoTransmitter", "tds:Device"]
    assert "onvif://www.onvif.org/hardware/IPC-HFW2241S-S-0360B" in a1.scopes


# ---------------------------------------------------------------------------------------------
# Snapshot behind HTTP Digest.

@pytest.mark.parametrize("name", ["dahua-wizsense2", "hikvision-ds2cd2023g2-i", "generic-720p"])
def test_snapshot_needs_http_digest(start: Any, name: str) -> None:
    cam = start(name, user="admin", password="Snap-123")
    r = requests.get(cam.snapshot_uri, timeout=5)
    assert r.status_code == 401
    assert 'qop="auth"' in r.headers["WWW-Authenticate"]
    assert "algorithm=MD5" in r.headers["WWW-Authenticate"]
    assert requests.get(cam.snapshot_uri, auth=HTTPDigestAuth("admin", "wrong"), timeout=5).status_code == 401
    ok = requests.get(cam.snapshot_uri, auth=HTTPDigestAuth("admin", "Snap-123"), timeout=5)
    assert ok.status_code == 200
    assert ok.headers["Content-Type"] == "image/jpeg"
    assert ok.content[:3] == b"\xff\xd8\xff"
    assert ok.content[-2:] == b"\xff\xd9"
    # A session reuses the nonce with a growing nc, as RFC 7616 clients do.
    s = requests.Session()
    s.auth = HTTPDigestAuth("admin", "Snap-123")
    assert [s.get(cam.snapshot_uri, timeout=5).status_code for _ in range(3)] == [200, 200, 200]


# ---------------------------------------------------------------------------------------------
# Faults on demand.

def test_latency_delays_every_reply(start: Any) -> None:
    cam = start("generic-720p", faults=["latency=300"])
    t0 = time.monotonic()
    assert post(cam.device_xaddr, raw_envelope("<tds:GetSystemDateAndTime/>")).status_code == 200
    assert time.monotonic() - t0 >= 0.3


def test_drop_closes_connections_reproducibly(start: Any) -> None:
    def pattern(ip: str) -> list[bool]:
        cam = start("generic-720p", faults=["drop=0.5"], index=7, ip=ip)
        out = []
        for _ in range(16):
            try:
                post(cam.device_xaddr, raw_envelope("<tds:GetSystemDateAndTime/>"))
                out.append(True)
            except requests.ConnectionError:
                out.append(False)
        cam.stop()
        return out

    first, second = pattern(fresh_ip()), pattern(fresh_ip())
    assert first == second  # seeded per persona and index
    assert True in first
    assert False in first
    always = start("generic-720p", faults=["drop=1"])
    with pytest.raises(requests.ConnectionError):
        post(always.device_xaddr, raw_envelope("<tds:GetSystemDateAndTime/>"))


def test_fault_on_and_malformed(clients: dict[str, Any], start: Any) -> None:
    cam = start("dahua-wizsense2-ready", faults=["fault-on=GetProfiles", "malformed=GetDeviceInformation"])
    o = connect(clients, cam)
    with pytest.raises(Fault) as exc:
        o.call("media2", "GetProfiles", Type=["All"])
    assert subcodes(exc.value) == [(TER, "Action")]
    assert exc.value.message == "Action failed"
    with pytest.raises((TransportError, zeep.exceptions.XMLSyntaxError)):
        o.call("device", "GetDeviceInformation")
    assert o.call("device", "GetHostname").Name == "IPC-BEPTRUONG"  # others still work


def test_reboot_after_set_goes_away_and_comes_back_with_the_new_state(clients: dict[str, Any],
                                                                      start: Any) -> None:
    cam = start("dahua-wizsense2-ready", faults=["reboot-after-set=1.5"])
    o = connect(clients, cam)
    o.call("device", "SetHostname", Name="after-reboot")
    assert wait_until(lambda: not port_open(cam.ip, cam.http_port), timeout=3)
    down_at = time.monotonic()
    assert wait_until(lambda: port_open(cam.ip, cam.http_port), timeout=10)
    assert time.monotonic() - down_at >= 1.0
    assert cam.reboots == 1
    o = connect(clients, cam)
    assert o.call("device", "GetHostname").Name == "after-reboot"
    o.call("device", "SetHostname", Name="again")  # only the next Set reboots
    time.sleep(0.3)
    assert port_open(cam.ip, cam.http_port)


def test_system_reboot(clients: dict[str, Any], start: Any) -> None:
    cam = start("generic-720p", reboot_seconds=1.0)
    o = connect(clients, cam)
    assert "Rebooting" in o.call("device", "SystemReboot")
    assert wait_until(lambda: not port_open(cam.ip, cam.http_port), timeout=3)
    assert wait_until(lambda: port_open(cam.ip, cam.http_port), timeout=10)


def test_clock_skew_fault_overrides_the_persona(clients: dict[str, Any], start: Any) -> None:
    cam = start("dahua-wizsense2-ready", faults=["clock-skew=-3600"])
    assert abs(camera_offset(clients, cam) + 3600) < 3
    assert connect(clients, cam).call("device", "GetHostname").Name == "IPC-BEPTRUONG"


@pytest.mark.parametrize(("fault", "status"), [("html-401", 401), ("html-400", 400)])
def test_html_error_bodies(start: Any, fault: str, status: int) -> None:
    cam = start("dahua-wizsense2", faults=[fault])
    u, pw = admin(cam)
    r = post(cam.device_xaddr, raw_envelope("<tds:GetSystemDateAndTime/>"), auth=HTTPDigestAuth(u, pw))
    assert r.status_code == status
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text.lstrip().startswith("<!DOCTYPE html>")


def test_wrong_soap_version_and_garbage(start: Any) -> None:
    cam = start("generic-720p")
    soap11 = (b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
              b'<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></e:Body></e:Envelope>')
    r = post(cam.device_xaddr, soap11)
    assert r.status_code == 400
    assert "VersionMismatch" in r.text
    r = post(cam.device_xaddr, b"<not-closed")
    assert r.status_code == 400
    assert "ter:WellFormed" in r.text
    assert requests.get(cam.device_xaddr, timeout=5).status_code == 405


def test_codec_options_dataclass_is_what_media2_advertises(clients: dict[str, Any], start: Any) -> None:
    cam = start("hikvision-ds2cd2023g2-i")
    o = connect(clients, cam)
    wire = o.call("media2", "GetVideoEncoderConfigurationOptions", ProfileToken="Profile_1")
    mine: tuple[CodecOptions, ...] = cam.persona.streams[0].options
    assert [(w.Encoding, [(r.Width, r.Height) for r in w.ResolutionsAvailable], w.BitrateRange.Min,
             w.BitrateRange.Max, w.FrameRatesSupported) for w in wire] == [
        (m.encoding, list(m.resolutions), m.bitrate_range[0], m.bitrate_range[1], list(m.frame_rates))
        for m in mine]
