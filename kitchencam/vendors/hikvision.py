"""Hikvision's ISAPI (XML over HTTP, Digest): what a Hikvision camera tells and sets beyond ONVIF.

Every call goes through :class:`kitchencam.vendors.http.VendorHttp` (bounded, Digest, logins in
the run's budget). Replies are parsed here, at the edge, into the models of
:mod:`kitchencam.vendors.base`; nothing else in kitchencam sees an ISAPI path or element.

Sources for each path and element (cited again beside each call below):

- [HN] maciej-or/hikvision_next (Home Assistant integration), its recorded replies:
  tests/fixtures/ISAPI/System.deviceInfo/ipc.xml (DeviceInfo), tests/fixtures/devices/
  DS-2CD2386G2-IU.json ("Streaming/channels/101": Video/videoCodecType "H.264",
  Video/SmartCodec/enabled; System/capabilities SecurityCap maxIllegalLoginTimes min 3 max 20
  def 7, maxIllegalLoginLockTime min 1 max 120 def 30), tests/fixtures/ISAPI/
  Streaming.channels.x0y.picture/badXmlContent.xml (ResponseStatus statusCode 6).
- [PN] public ISAPI probe notes of a Hikvision terminal ("System Platform Services" and the
  security page; namespace http://www.isapi.org/ver20/XMLSchema): GET/PUT System/Network/EZVIZ
  (enabled, registerStatus, serverAddress/hostName, verificationCode), System/Network/Ehome
  (enabled, addressingFormatType, hostName, ipAddress, portNo, deviceID, registerStatus,
  protocolVersion; "key is accepted on write but is not returned by GET"), Security/
  illegalLoginLock (enabled, maxIllegalLoginTimes 5, maxIllegalLoginLockTime 1800), Security/
  adminAccesses (AdminAccessProtocol id/enabled/protocol/portNo), 404 "notSupport".
- [WS] Hikvision's WebSDK URL table (webVideoCtrl.js, copied in many public repositories):
  System/Network/DDNS/1 (ddnsInfo), Security/adminAccesses, System/Network/telnetd,
  System/Network/SIP (cfg28181), System/Network/Ehome, System/Network/EZVIZ.
- [ND] an NVR how-to: PUT System/Network/DDNS/1 with <DDNS><id>1</id><enabled>, <provider>,
  <serverAddress><hostName>, <deviceDomainName>; a .NET client reads <domainName> instead.
- [RS] ISAPI ResponseStatus (appendix A.3 of the ISAPI guide, as quoted by public clients):
  statusCode 1 OK, 2 Device Busy, 3 Device Error, 4 Invalid Operation, 5 Invalid XML Format,
  6 Invalid XML Content, 7 Reboot Required; subStatusCode notSupport, methodNotAllowed,
  badXmlFormat, badParameters, badXmlContent.

Replies come with the namespace http://www.hikvision.com/ver20/XMLSchema (ver10 on old firmware,
isapi.org/ver20 or std-cgi.org on others), so elements are matched by local name.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from lxml import etree

from kitchencam.errors import AuthFailed, BadReply, ConfigError, DeviceFault, KitchencamError, NotSupported, Unreachable
from kitchencam.i18n import _
from kitchencam.vendors.base import (
    CloudP2p,
    Ddns,
    ExposedService,
    LoginLock,
    Probe,
    ReadError,
    Registration,
    RegistrationKind,
    RegistrationTarget,
    SettingName,
    Told,
    VendorAdapter,
    VendorCamera,
    VendorChange,
    VendorFacts,
    VendorWanted,
    plan_changes,
)
from kitchencam.vendors.http import HttpReply, VendorHttp
from kitchencam.vendors.registration import (
    check_domain,
    check_gb_id,
    check_host,
    check_port,
    check_secret,
    check_token,
    is_ip,
)

PREFIX = "/ISAPI/"
API = "Hikvision ISAPI"
#: Longest text value kept from a reply; a longer one is a BadReply.
MAX_TEXT = 256
XML_CONTENT_TYPE = 'application/xml; charset="UTF-8"'

# The resources read, as the call names show them ("Hikvision ISAPI <resource>").
DEVICE_INFO = "System/deviceInfo"  # [HN] ipc.xml, [WS]
MAIN_CHANNEL = "Streaming/channels/101"  # [HN] DS-2CD2386G2-IU.json: channel 1, stream 01 = main
DDNS = "System/Network/DDNS"  # [WS] DDNS/1, [ND]: the list, one <DDNS> per provider slot
EZVIZ = "System/Network/EZVIZ"  # [PN], [WS]: Hik-Connect (the EZVIZ cloud)
EHOME = "System/Network/Ehome"  # [PN], [WS]: ISUP (formerly EHome)
SIP = "System/Network/SIP"  # [WS] cfg28181: GB/T 28181 on firmwares that have it
LOGIN_LOCK = "Security/illegalLoginLock"  # [PN]; [HN] capabilities issupIllegalLoginLock
ADMIN_ACCESSES = "Security/adminAccesses"  # [PN], [WS] portInfo
TELNETD = "System/Network/telnetd"  # [WS] telnet

READS = (DEVICE_INFO, MAIN_CHANNEL, DDNS, EZVIZ, EHOME, SIP, LOGIN_LOCK, ADMIN_ACCESSES, TELNETD)

#: ResponseStatus statusCode values a PUT may answer with ([RS]): 1 OK, 7 Reboot Required.
STATUS_OK = 1
STATUS_REBOOT_REQUIRED = 7

_DECL = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_ID = re.compile(r"^[0-9]{1,4}$")


def call_name(resource: str, method: str = "GET") -> str:
    """How a call is named in verdicts and read errors: "Hikvision ISAPI Streaming/channels/101"."""
    return f"{API} {resource}" if method == "GET" else f"{API} {method} {resource}"


# --- parsing: untrusted XML into typed values -------------------------------------------------------


def _bad(call: str, reason: str, target: str | None = None) -> BadReply:
    return BadReply(_("{target}: the {api} answered {call} with a reply kitchencam cannot use ({reason}). "
                      "Update the camera's firmware, or check the setting on its web page.").format(
        target=target or "?", api=API, call=call, reason=reason), target=target, detail=reason)


def parse_xml(body: bytes, call: str, target: str | None = None) -> etree._Element:
    """The reply's root element: no DTD or entities, no network, no huge trees."""
    if not body.strip():
        raise _bad(call, "empty reply", target)
    if _DECL.search(body.replace(b"\x00", b"")):
        raise _bad(call, "DTD or entity declaration", target)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             dtd_validation=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        raise _bad(call, "not well-formed XML", target) from None
    if root is None or not isinstance(root.tag, str):
        raise _bad(call, "no XML document", target)
    return root


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def child(parent: etree._Element | None, name: str) -> etree._Element | None:
    """The first child element called ``name`` (any namespace)."""
    if parent is None:
        return None
    return next((c for c in parent if isinstance(c.tag, str) and local(c) == name), None)


def children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in parent if isinstance(c.tag, str) and local(c) == name]


def text(parent: etree._Element | None, name: str, call: str) -> str | None:
    """The text of child ``name``, stripped (None when absent); capped at MAX_TEXT."""
    element = child(parent, name)
    if element is None:
        return None
    value = (element.text or "").strip()
    if len(value) > MAX_TEXT:
        raise _bad(call, f"<{name}> longer than {MAX_TEXT} characters")
    if any(ord(ch) < 32 for ch in value):
        raise _bad(call, f"<{name}> holds control characters")
    return value


def flag(parent: etree._Element | None, name: str, call: str) -> bool | None:
    """A boolean element: "true" or "false" only (ISAPI's xs:boolean form)."""
    value = text(parent, name, call)
    if value is None or value == "":
        return None
    if value == "true":
        return True
    if value == "false":
        return False
    raise _bad(call, f"<{name}> is {value[:20]!r}, not true/false")


def number(parent: etree._Element | None, name: str, call: str, low: int, high: int) -> int | None:
    value = text(parent, name, call)
    if value is None or value == "":
        return None
    if not re.fullmatch(r"-?[0-9]{1,9}", value):
        raise _bad(call, f"<{name}> is {value[:20]!r}, not a whole number")
    n = int(value)
    if not low <= n <= high:
        raise _bad(call, f"<{name}> {n} is outside {low}..{high}")
    return n


def expect_root(root: etree._Element, names: tuple[str, ...], call: str) -> None:
    if local(root) not in names:
        raise _bad(call, f"<{local(root)[:40]}> where <{names[0]}> was expected")


def parse_device_info(root: etree._Element) -> tuple[str, str, str]:
    """DeviceInfo ([HN] ipc.xml): (model, serialNumber, firmwareVersion), each required."""
    call = call_name(DEVICE_INFO)
    expect_root(root, ("DeviceInfo",), call)
    values = [text(root, name, call) for name in ("model", "serialNumber", "firmwareVersion")]
    if any(not v for v in values):
        raise _bad(call, "DeviceInfo without model, serialNumber or firmwareVersion")
    return values[0] or "", values[1] or "", values[2] or ""


_CODECS = {"H.264": "H264", "H264": "H264", "H.265": "H265", "H265": "H265", "MJPEG": "JPEG"}


def smart_codec_element(root: etree._Element) -> etree._Element | None:
    """<SmartCodec><enabled> of a StreamingChannel: under <Video> ([HN]), or a child of the root."""
    holder = child(child(root, "Video"), "SmartCodec")
    if holder is None:
        holder = child(root, "SmartCodec")
    return child(holder, "enabled")


def parse_channel(root: etree._Element) -> tuple[str | None, bool | None]:
    """StreamingChannel ([HN] "Streaming/channels/101"): (main codec "H264"/"H265", SmartCodec on?)."""
    call = call_name(MAIN_CHANNEL)
    expect_root(root, ("StreamingChannel",), call)
    video = child(root, "Video")
    if video is None:
        raise _bad(call, "StreamingChannel without <Video>")
    raw = text(video, "videoCodecType", call)
    codec = _CODECS.get(raw or "", raw or None)
    switch = smart_codec_element(root)
    return codec, flag(switch.getparent(), "enabled", call) if switch is not None else None


def parse_ddns(root: etree._Element) -> Ddns:
    """DDNSList/DDNS ([ND], [WS]): the first slot's enabled, provider and the camera's domain name."""
    call = call_name(DDNS)
    expect_root(root, ("DDNSList", "DDNS"), call)
    entries = children(root, "DDNS") if local(root) == "DDNSList" else [root]
    if not entries:
        return Ddns(enabled=False)
    entry = next((e for e in entries if flag(e, "enabled", call)), entries[0])
    name = text(entry, "deviceDomainName", call) or text(entry, "domainName", call) or None
    return Ddns(enabled=flag(entry, "enabled", call), provider=text(entry, "provider", call) or None,
                hostname=name)


_ONLINE = frozenset({"true", "online", "registered", "1"})
_OFFLINE = frozenset({"false", "offline", "unregistered", "notregistered", "0"})


def _status(value: str | None) -> str | None:
    """registerStatus: "true"/"false" on the cameras seen ([PN]), "online"/"offline" in Hikvision's
    SDK (deviceStatus); both are "online"/"offline" here; another word is kept as said."""
    if value is None or value == "":
        return None
    word = value.lower()
    return "online" if word in _ONLINE else "offline" if word in _OFFLINE else value


def _server(parent: etree._Element | None, call: str) -> str | None:
    """hostName or ipAddress, as addressingFormatType says (both tried: sources differ)."""
    if parent is None:
        return None
    form = (text(parent, "addressingFormatType", call) or "").lower()
    host = text(parent, "hostName", call) or None
    ip = text(parent, "ipAddress", call) or None
    return (ip or host) if form == "ipaddress" else (host or ip)


def parse_ezviz(root: etree._Element) -> tuple[CloudP2p, Registration]:
    """EZVIZ ([PN]): Hik-Connect on/off and registerStatus; the verificationCode is never read."""
    call = call_name(EZVIZ)
    expect_root(root, ("EZVIZ",), call)
    enabled = flag(root, "enabled", call)
    status = _status(text(root, "registerStatus", call))
    server = _server(child(root, "serverAddress"), call)
    return (CloudP2p(name="Hik-Connect", enabled=enabled, status=status),
            Registration(kind="hik-connect", enabled=enabled, server=server, status=status))


def parse_ehome(root: etree._Element) -> Registration:
    """Ehome ([PN]): ISUP's server, port, device ID and version; the key is write-only, never read."""
    call = call_name(EHOME)
    expect_root(root, ("Ehome", "EHome"), call)
    port = number(root, "portNo", call, 0, 65535)
    return Registration(kind="isup", enabled=flag(root, "enabled", call), server=_server(root, call),
                        port=port or None, device_id=text(root, "deviceID", call) or None,
                        protocol_version=text(root, "protocolVersion", call) or None,
                        status=_status(text(root, "registerStatus", call)))


def parse_sip(root: etree._Element) -> Registration:
    """SIPServerList/SIPServer ([WS] cfg28181): the GB28181 block where the firmware has one.

    Sources differ on the inner names: GB28181 cameras nest <GB28181> (registrar, registrarPort,
    serverId, deviceID), intercoms <Standard> (proxy, proxyPort, authID); both are read."""
    call = call_name(SIP)
    expect_root(root, ("SIPServerList", "SIPServer"), call)
    servers = children(root, "SIPServer") if local(root) == "SIPServerList" else [root]
    if not servers:
        return Registration(kind="gb28181", enabled=False)
    server = servers[0]
    block = child(server, "GB28181")
    if block is None:
        block = child(server, "Standard")
    if block is None:
        block = server
    host = text(block, "registrar", call) or text(block, "serverSipAddress", call) or text(block, "proxy", call) \
        or _server(block, call)
    port = number(block, "registrarPort", call, 0, 65535) or number(block, "serverSipPort", call, 0, 65535) \
        or number(block, "proxyPort", call, 0, 65535) or number(block, "portNo", call, 0, 65535)
    device = text(block, "deviceID", call) or text(block, "deviceId", call) or text(block, "userName", call) \
        or text(block, "authID", call)
    status = text(block, "registerStatus", call) or text(server, "registerStatus", call) \
        or text(block, "deviceStatus", call)
    server_id = text(block, "serverId", call) or text(block, "serverID", call)
    return Registration(kind="gb28181", enabled=flag(block, "enabled", call), server=host or None,
                        port=port or None, device_id=device or None,
                        protocol_version=server_id or None, status=_status(status))


def parse_login_lock(root: etree._Element) -> LoginLock:
    """IllegalLoginLock ([PN]): on/off, attempts, lock time.

    The lock time is minutes on IP cameras ([HN] capabilities: 1..120, default 30) and seconds on
    the access-control firmware of [PN] (1800): a value over 120 is read as seconds."""
    call = call_name(LOGIN_LOCK)
    expect_root(root, ("IllegalLoginLock",), call)
    attempts = number(root, "maxIllegalLoginTimes", call, 1, 100)
    lock = number(root, "maxIllegalLoginLockTime", call, 0, 86400)
    if lock is None:
        lock = number(root, "lockDuration", call, 0, 86400)
    minutes = None if lock is None else float(lock) if lock <= 120 else round(lock / 60.0, 2)
    return LoginLock(enabled=flag(root, "enabled", call), max_attempts=attempts, lock_minutes=minutes)


def parse_admin_accesses(root: etree._Element) -> list[ExposedService]:
    """AdminAccessProtocolList ([PN], [WS]): each protocol, its port, on/off where said."""
    call = call_name(ADMIN_ACCESSES)
    expect_root(root, ("AdminAccessProtocolList",), call)
    found = []
    for entry in children(root, "AdminAccessProtocol")[:32]:
        name = text(entry, "protocol", call)
        if not name:
            continue
        found.append(ExposedService(name=name.upper(), enabled=flag(entry, "enabled", call),
                                    port=number(entry, "portNo", call, 0, 65535)))
    return found


def parse_telnetd(root: etree._Element) -> ExposedService:
    """Telnetd ([WS] telnet path): on/off as <enabled> (some clients read <enable>)."""
    call = call_name(TELNETD)
    expect_root(root, ("Telnetd", "telnetd", "TelnetServer"), call)
    enabled = flag(root, "enabled", call)
    if enabled is None:
        enabled = flag(root, "enable", call)
    return ExposedService(name="TELNET", enabled=enabled, port=number(root, "portNo", call, 0, 65535))


def response_status(root: etree._Element) -> tuple[int | None, str | None, str | None]:
    """(statusCode, statusString, subStatusCode) of a ResponseStatus document ([RS])."""
    call = "ResponseStatus"
    code = number(root, "statusCode", call, 0, 99)
    return code, text(root, "statusString", call) or None, text(root, "subStatusCode", call) or None


#: Each settable setting: the resource its switch lives in.
_RESOURCE: dict[tuple[SettingName, RegistrationKind | None], str] = {
    ("smart_codec", None): MAIN_CHANNEL, ("ddns", None): DDNS, ("p2p", None): EZVIZ,
    ("registration", "hik-connect"): EZVIZ, ("registration", "isup"): EHOME, ("login_lock", None): LOGIN_LOCK,
}


# --- the adapter -------------------------------------------------------------------------------------


class HikvisionAdapter(VendorAdapter):
    vendor = "hikvision"
    api = API
    manufacturers = ("hikvision",)
    model_prefixes = ("DS-",)
    # Many no-name cameras are Hikvision inside: no name tells, only the API answering does.
    oem_names = ()

    def __init__(self, camera: VendorCamera) -> None:
        super().__init__(camera)
        self.http = VendorHttp(camera, self.api)

    # -- one call -----------------------------------------------------------------------------------

    def _refused(self, reply: HttpReply, call: str) -> KitchencamError:
        """The error a non-200 or ResponseStatus reply stands for ([RS])."""
        target = self.camera.target
        sub = string = None
        code: int | None = None
        if reply.body.strip().startswith(b"<"):
            try:
                root = parse_xml(reply.body, call, target)
                if local(root) == "ResponseStatus":
                    code, string, sub = response_status(root)
            except BadReply:
                pass  # an HTML error page: the HTTP status says enough
        if reply.status == 404 or sub in ("notSupport", "notSupported", "invalidID"):
            return NotSupported(_("{target}: the camera's {api} has no {call} (HTTP {status}{sub}): this firmware "
                                  "does not offer it, so the rules use the model catalogue for it.").format(
                target=target, api=self.api, call=call, status=reply.status, sub=f", {sub}" if sub else ""),
                target=target)
        detail = ", ".join(str(x) for x in (code, string, sub) if x is not None) or "no ResponseStatus"
        return DeviceFault(_("{target}: the camera's {api} refused {call} (HTTP {status}: {detail}). Check the "
                              "setting on the camera's web page; changes need an Administrator account.").format(
            target=target, api=self.api, call=call, status=reply.status, detail=detail), subcode=sub, target=target)

    def _get(self, resource: str) -> etree._Element:
        call = call_name(resource)
        reply = self.http.request("GET", PREFIX + resource, call=call)
        if reply.status != 200:
            raise self._refused(reply, call)
        root = parse_xml(reply.body, call, self.camera.target)
        if local(root) == "ResponseStatus":
            raise self._refused(reply, call)
        return root

    def _put(self, resource: str, root: etree._Element, call: str) -> int:
        """PUT the whole document back (ISAPI's PUT replaces the resource); the statusCode it got."""
        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        reply = self.http.request("PUT", PREFIX + resource, call=call, body=body, content_type=XML_CONTENT_TYPE)
        if reply.status != 200:
            raise self._refused(reply, call)
        if not reply.body.strip():
            return STATUS_OK  # some firmwares answer an empty 200: read_back tells whether it took
        answer = parse_xml(reply.body, call, self.camera.target)
        if local(answer) != "ResponseStatus":
            raise _bad(call, f"<{local(answer)[:40]}> where <ResponseStatus> was expected", self.camera.target)
        code, _string, _sub = response_status(answer)
        if code not in (STATUS_OK, STATUS_REBOOT_REQUIRED):
            raise self._refused(reply, call)
        return code

    # -- the interface -------------------------------------------------------------------------------

    def probe(self) -> Probe:
        """GET System/deviceInfo, first without credentials: a camera that is not Hikvision costs no
        login unless it demands one for every path; at most one login (VendorHttp stops at a refusal)."""
        call = call_name(DEVICE_INFO)
        reply = self.http.request("GET", PREFIX + DEVICE_INFO, call=call)
        try:
            if reply.status != 200:
                raise self._refused(reply, call)
            model, _serial, _firmware = parse_device_info(parse_xml(reply.body, call, self.camera.target))
        except (NotSupported, DeviceFault, BadReply) as exc:
            return Probe(vendor=self.vendor, api=self.api, answered=True, confirmed=False, call=call,
                         logins=self.http.logins,
                         error=ReadError(operation=call, code=exc.code, message=str(exc),
                                         subcode=getattr(exc, "subcode", None)))
        return Probe(vendor=self.vendor, api=self.api, answered=True, confirmed=True, call=call,
                     logins=self.http.logins, model=model)

    def read(self) -> VendorFacts:
        facts = VendorFacts(vendor=self.vendor, api=self.api, target=self.camera.target,
                            read_at=datetime.now(timezone.utc))
        for resource in READS:
            call = call_name(resource)
            try:
                self._read_one(facts, resource, self._get(resource), call)
            except (AuthFailed, Unreachable):
                raise
            except KitchencamError as exc:
                facts.read_errors.append(ReadError(operation=call, code=exc.code, message=str(exc),
                                                   subcode=getattr(exc, "subcode", None)))
        return facts

    @staticmethod
    def _read_one(facts: VendorFacts, resource: str, root: etree._Element, call: str) -> None:
        if resource == DEVICE_INFO:
            model, serial, firmware = parse_device_info(root)
            facts.model = Told[str](value=model, call=call)
            facts.serial = Told[str](value=serial, call=call)
            facts.firmware = Told[str](value=firmware, call=call)
        elif resource == MAIN_CHANNEL:
            codec, smart = parse_channel(root)
            if codec is not None:
                facts.main_codec = Told[str](value=codec, call=call)
            if smart is not None:
                facts.smart_codec = Told[bool](value=smart, call=call)
        elif resource == DDNS:
            facts.ddns = Told[Ddns](value=parse_ddns(root), call=call)
        elif resource == EZVIZ:
            cloud, registration = parse_ezviz(root)
            facts.p2p = Told[CloudP2p](value=cloud, call=call)
            facts.registrations.append(Told[Registration](value=registration, call=call))
        elif resource == EHOME:
            facts.registrations.append(Told[Registration](value=parse_ehome(root), call=call))
        elif resource == SIP:
            facts.registrations.append(Told[Registration](value=parse_sip(root), call=call))
        elif resource == LOGIN_LOCK:
            facts.login_lock = Told[LoginLock](value=parse_login_lock(root), call=call)
        elif resource == ADMIN_ACCESSES:
            facts.services += [Told[ExposedService](value=s, call=call) for s in parse_admin_accesses(root)]
        elif resource == TELNETD:
            facts.services.append(Told[ExposedService](value=parse_telnetd(root), call=call))

    # -- setting -------------------------------------------------------------------------------------

    def set_calls(self) -> dict[SettingName, str]:
        return {"smart_codec": call_name(MAIN_CHANNEL, "PUT"), "ddns": call_name(DDNS + "/1", "PUT"),
                "p2p": call_name(EZVIZ, "PUT"), "registration": call_name(EHOME, "PUT"),
                "login_lock": call_name(LOGIN_LOCK, "PUT")}

    def plan(self, facts: VendorFacts, wanted: VendorWanted) -> list[VendorChange]:
        """As the interface plans, with each registration's own call; GB28181 is read, not set, and
        Hik-Connect is the EZVIZ switch that ``p2p`` already sets (one change per switch)."""
        planned = []
        for planned_change in plan_changes(facts, wanted, self.set_calls()):
            change = planned_change
            if change.setting == "registration":
                if (change.setting, change.kind) not in _RESOURCE:
                    continue
                if change.kind == "hik-connect" and wanted.p2p is not None and facts.p2p is not None:
                    continue
                change = change.model_copy(update={"call": call_name(_RESOURCE[(change.setting, change.kind)],
                                                                     "PUT")})
            planned.append(change)
        return planned

    def apply(self, changes: list[VendorChange]) -> list[VendorChange]:
        """For each change: GET the resource (its value now is the backup), change the one switch in
        the document, PUT it back whole, check the ResponseStatus."""
        self.applied = []
        for wanted_change in changes:
            change = wanted_change
            resource = _RESOURCE.get((change.setting, change.kind))
            if resource is None or not isinstance(change.after, bool):
                message = _("{target}: kitchencam cannot set {setting} through the {api}; set it on the camera's "
                            "web page.")
                raise NotSupported(message.format(target=self.camera.target, setting=change.setting, api=self.api),
                                   target=self.camera.target)
            root = self._get(resource)
            call = call_name(resource)
            if resource == MAIN_CHANNEL:
                switch = smart_codec_element(root)
                if switch is None:
                    message = _("{target}: the camera's main stream has no smart codec (H.264+/H.265+) switch in "
                                "the {api}; set the main stream to H.264 or H.265 on the camera's web page, then "
                                "retry.")
                    raise NotSupported(message.format(target=self.camera.target, api=self.api),
                                       target=self.camera.target)
                before: bool | None = flag(switch.getparent(), "enabled", call)
                document, put_to = root, MAIN_CHANNEL
            elif resource == DDNS:
                entries = children(root, "DDNS") if local(root) == "DDNSList" else [root]
                if not entries:
                    raise NotSupported(_("{target}: the camera's {api} lists no DDNS slot to switch; set DDNS on the "
                                      "camera's web page.").format(
                        target=self.camera.target, api=self.api), target=self.camera.target)
                document = entries[0]
                slot = text(document, "id", call) or "1"
                if not _ID.match(slot):
                    raise _bad(call, f"DDNS <id> {slot[:20]!r}", self.camera.target)
                switch = child(document, "enabled")
                before = flag(document, "enabled", call)
                put_to = f"{DDNS}/{slot}"
            else:
                document, put_to = root, resource
                switch = child(root, "enabled")
                before = flag(root, "enabled", call)
            if switch is None:
                raise _bad(call, "no <enabled> switch", self.camera.target)
            change = change.model_copy(update={"before": before})
            if before != change.after:
                switch.text = "true" if change.after else "false"
                if document is not root:  # a DDNS slot goes back on its own, with the namespace it came in
                    document = etree.fromstring(etree.tostring(document))
                self._put(put_to, document, call_name(put_to, "PUT"))
            self.applied.append(change)
        return list(self.applied)

    # -- outbound registration (issue 15) ----------------------------------------------------------
    #
    # Each registration is one resource: GET it (the value found is the backup), change the
    # elements of the document it came in (the firmware's own names and namespace), PUT it back
    # whole, read the ResponseStatus. Elements and sources (docs/reference/vendor-hikvision.md):
    # - ISUP, System/Network/Ehome: enabled, addressingFormatType (ipaddress|hostname), ipAddress
    #   or hostName, portNo, deviceID, protocolVersion ("v5.0"), key. [PN]; and a public ISUP
    #   integration note (an access-control deployment's PUT of <Ehome> with exactly these
    #   elements, noting the key element is <key>, not <encryptionKey>); another public client
    #   sends <key> too. The key is write-only: sent here, never read back.
    # - Hik-Connect, System/Network/EZVIZ: enabled, serverAddress/hostName, verificationCode
    #   (the device's Hik-Connect code, write-only) [PN], [WS].
    # - GB28181, System/Network/SIP ([WS] cfg28181, whose security list names userName and
    #   password as the document's secret elements): the <GB28181> block of the first SIPServer.
    #   Hikvision's SDK manual (open.hikvision.com, NET_DVR_GBT28181_ACCESS_CFG and the
    #   GBT28181AccessAbility capability) gives the fields: server id, server domain, SIP server
    #   address and port, the device's auth id and password, register validity, heartbeat
    #   interval, device status offline/online. The ISAPI element names are not in a public
    #   document, so each field is written to the element the document already has, from a
    #   list of the names sources use (registrar|serverSipAddress, registrarPort|serverSipPort,
    #   serverId|serverID, serverDomain|domain, deviceID, password), and added under the first
    #   name when the document has none of them.

    registration_kinds = ("isup", "hik-connect", "gb28181")

    def set_registration(self, target: RegistrationTarget) -> Registration:
        if target.kind not in self.registration_kinds:
            return super().set_registration(target)
        secret = target.secret.get_secret_value() if target.secret is not None else None
        values = _registration_values(target.kind, self.camera.target, enabled=target.enabled, server=target.server,
                                      port=target.port, device_id=target.device_id, server_id=target.server_id,
                                      domain=target.domain, version=target.protocol_version, secret=secret)
        return self._write_registration(target.kind, values)

    def restore_registration(self, before: Registration) -> None:
        if before.kind not in self.registration_kinds:
            return super().restore_registration(before)
        # GB28181 keeps its SIP server id in ``protocol_version`` (models.Registration).
        server_id = before.protocol_version if before.kind == "gb28181" else None
        version = before.protocol_version if before.kind == "isup" else None
        values = _registration_values(before.kind, self.camera.target, enabled=before.enabled, server=before.server,
                                      port=before.port, device_id=before.device_id, server_id=server_id,
                                      domain=None, version=version, secret=None)
        # A field the backup has empty (None: read() makes "" None) was empty on the camera: it is
        # cleared again where the element that holds it is known (not ISUP's address, whose
        # element depends on addressingFormatType; the GB28181 domain is not in the backup).
        if before.device_id is None and before.kind != "hik-connect":
            values["device_id"] = ""
        if before.kind == "gb28181":
            if before.server is None:
                values["server"] = ""
            if server_id is None:
                values["server_id"] = ""
        self._write_registration(before.kind, values)
        return None

    def _write_registration(self, kind: RegistrationKind, values: dict[str, str]) -> Registration:
        """GET the kind's resource, keep what it says as the backup, PUT it back with ``values``."""
        resource = _REGISTRATION_RESOURCE[kind]
        root = self._get(resource)
        call = call_name(resource)
        if kind == "isup":
            before = parse_ehome(root)
            _edit_ehome(root, values)
        elif kind == "hik-connect":
            before = parse_ezviz(root)[1]
            _edit_ezviz(root, values)
        else:
            before = parse_sip(root)
            block = _gb28181_block(root)
            if block is None:
                raise NotSupported(_("{target}: the camera's {api} has no GB28181 block in {call} (its SIP is for "
                                     "intercom calls); set GB28181 on the camera's web page, or use another "
                                     "connection method.").format(target=self.camera.target, api=self.api,
                                                                  call=call), target=self.camera.target)
            _edit_gb28181(block, values)
        self._put(resource, root, call_name(resource, "PUT"))
        return before


#: The resource each registration kind is written to.
_REGISTRATION_RESOURCE: dict[RegistrationKind, str] = {"isup": EHOME, "hik-connect": EZVIZ, "gb28181": SIP}
_VERSION = re.compile(r"^v?[0-9]{1,2}(?:\.[0-9]{1,2})?$")


def _registration_values(kind: RegistrationKind, target: str, *, enabled: bool | None, server: str | None,
                         port: int | None, device_id: str | None, server_id: str | None, domain: str | None,
                         version: str | None, secret: str | None) -> dict[str, str]:
    """The values to write, each checked before anything is sent (``ConfigError`` names the field)."""
    values: dict[str, str] = {}
    if enabled is not None:
        values["enabled"] = "true" if enabled else "false"
    if server is not None:
        values["server"] = check_host(server, target)
    if port is not None and kind != "hik-connect":
        values["port"] = str(check_port(port, target))
    if device_id is not None and kind != "hik-connect":
        values["device_id"] = (check_gb_id(device_id, target, _("GB28181 device ID")) if kind == "gb28181"
                               else check_token(device_id, target))
    if kind == "gb28181":
        if server_id is not None:
            values["server_id"] = check_gb_id(server_id, target, _("SIP server ID"))
        if domain is not None:
            values["domain"] = check_domain(domain, target)
    if kind == "isup" and version is not None:
        if not _VERSION.match(version):
            raise ConfigError(_("{target}: the ISUP protocol version is not like \"v5.0\"; nothing was sent to the "
                                "camera. Correct centre.connection in the site config, then retry.").format(
                target=target), target=target)
        values["version"] = version
    if secret is not None:
        field = {"isup": _("ISUP key"), "hik-connect": _("Hik-Connect verification code"),
                 "gb28181": _("GB28181 password")}[kind]
        values["secret"] = check_secret(secret, target, field)
    return values


def _set_child(parent: etree._Element, names: tuple[str, ...], value: str) -> None:
    """Write ``value`` to the first of ``names`` the element has, or add ``names[0]`` (same namespace)."""
    element = next((found for name in names if (found := child(parent, name)) is not None), None)
    if element is None:
        namespace = etree.QName(parent).namespace
        element = etree.SubElement(parent, f"{{{namespace}}}{names[0]}" if namespace else names[0])
    element.text = value


def _drop(parent: etree._Element, *names: str) -> None:
    """Remove read-only elements (registerStatus) from a document about to be PUT."""
    for name in names:
        for element in children(parent, name):
            parent.remove(element)


def _edit_ehome(root: etree._Element, values: dict[str, str]) -> None:
    if "enabled" in values:
        _set_child(root, ("enabled",), values["enabled"])
    if "server" in values:
        ip = is_ip(values["server"])
        _set_child(root, ("addressingFormatType",), "ipaddress" if ip else "hostname")
        _set_child(root, ("ipAddress",) if ip else ("hostName",), values["server"])
    if "port" in values:
        _set_child(root, ("portNo",), values["port"])
    if "device_id" in values:
        _set_child(root, ("deviceID",), values["device_id"])
    if "version" in values:
        _set_child(root, ("protocolVersion",), values["version"])
    if "secret" in values:
        _set_child(root, ("key",), values["secret"])
    _drop(root, "registerStatus")


def _edit_ezviz(root: etree._Element, values: dict[str, str]) -> None:
    if "enabled" in values:
        _set_child(root, ("enabled",), values["enabled"])
    if "server" in values:
        address = child(root, "serverAddress")
        if address is None:
            _set_child(root, ("serverAddress",), "")
            address = child(root, "serverAddress")
        assert address is not None
        ip = is_ip(values["server"])
        _set_child(address, ("addressingFormatType",), "ipaddress" if ip else "hostname")
        _set_child(address, ("ipAddress",) if ip else ("hostName",), values["server"])
    if "secret" in values:
        _set_child(root, ("verificationCode",), values["secret"])
    _drop(root, "registerStatus")


def _gb28181_block(root: etree._Element) -> etree._Element | None:
    servers = children(root, "SIPServer") if local(root) == "SIPServerList" else [root]
    return child(servers[0], "GB28181") if servers else None


def _edit_gb28181(block: etree._Element, values: dict[str, str]) -> None:
    fields = (("enabled", ("enabled",)), ("server", ("registrar", "serverSipAddress")),
              ("port", ("registrarPort", "serverSipPort")), ("server_id", ("serverId", "serverID")),
              ("domain", ("serverDomain", "domain")), ("device_id", ("deviceID", "deviceId")),
              ("secret", ("password", "authPasswd")))
    for key, names in fields:
        if key in values:
            _set_child(block, names, values[key])
    if "device_id" in values:  # the SIP user a GB28181 device registers as is its own code
        for name in ("userName", "authID"):
            if child(block, name) is not None:
                _set_child(block, (name,), values["device_id"])
    _drop(block, "registerStatus")
    parent = block.getparent()
    if parent is not None:
        _drop(parent, "registerStatus")
