"""The Hikvision ISAPI of a simulated Hikvision camera (XML over HTTP, Digest checked by the camera).

Serves the resources kitchencam/vendors/hikvision.py reads and sets, in the form real firmware
answers (the sources are cited there): ``System/deviceInfo``, ``Streaming/channels/101`` (the main
stream's ``videoCodecType`` is ``camera.encoders[0].encoding``, shared with ONVIF both ways, and
``Video/SmartCodec/enabled``), ``System/Network/DDNS`` (and ``DDNS/1``), ``System/Network/EZVIZ``
(Hik-Connect), ``System/Network/Ehome`` (ISUP; the key is accepted on PUT and never returned),
``System/Network/SIP`` (GB28181, when the persona's firmware has it), ``Security/illegalLoginLock``,
``Security/adminAccesses`` and ``System/Network/telnetd``.

GET answers the document (namespace ``http://www.hikvision.com/ver20/XMLSchema``); PUT replaces
the resource and answers a ``ResponseStatus`` (statusCode 1 OK, 7 Reboot Required when the camera
reboots after the change). Errors as firmware answers them: an unknown path 404 ``notSupport``,
a body that is not XML (or declares a DTD) 400 ``badXmlFormat``, a document of the wrong kind or
with a wrong value 400 ``badXmlContent`` / ``badParameters``, another method 400
``methodNotAllowed``, a PUT by an account that is not Administrator 403.

Faults name the resource after ``/ISAPI/``: ``fault-on=Streaming/channels/101`` answers that
resource with 500 ``deviceError``; ``malformed=Streaming/channels/101`` cuts its reply in half.
State lives in ``camera.vendor_state`` (factory values from ``Persona.vendor_defaults``), under
``camera._lock``.

Registrations (issue 15): PUT ``System/Network/Ehome`` (ISUP, ``isup_*``), ``EZVIZ`` (Hik-Connect,
``ezviz_*``) and ``SIP`` (the ``GB28181`` block, ``gb28181_*``) are checked like firmware and kept;
keys, passwords and verification codes are never in a GET. ``registerStatus`` is ``true`` when the
simulated dial-out (``vendorapi.dialout_status``) last said ``online`` for that kind.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from lxml import etree

from kitchencam.sim.vendorapi import DialOut, SimDevice, VendorReply, VendorRequest, dialout_status

PREFIX = "/ISAPI/"
NS = "http://www.hikvision.com/ver20/XMLSchema"
CONTENT_TYPE = 'application/xml; charset="UTF-8"'

DEVICE_INFO = "System/deviceInfo"
MAIN_CHANNEL = "Streaming/channels/101"
DDNS = "System/Network/DDNS"
DDNS_SLOT = "System/Network/DDNS/1"
EZVIZ = "System/Network/EZVIZ"
EHOME = "System/Network/Ehome"
SIP = "System/Network/SIP"
LOGIN_LOCK = "Security/illegalLoginLock"
ADMIN_ACCESSES = "Security/adminAccesses"
TELNETD = "System/Network/telnetd"

#: The resources a ``fault-on=`` / ``malformed=`` fault may name.
FAULT_NAMES = (DEVICE_INFO, MAIN_CHANNEL, DDNS, DDNS_SLOT, EZVIZ, EHOME, SIP, LOGIN_LOCK, ADMIN_ACCESSES, TELNETD)
#: Resources a PUT may change.
WRITABLE = frozenset((MAIN_CHANNEL, DDNS, DDNS_SLOT, EZVIZ, EHOME, SIP, LOGIN_LOCK))

#: The factory values every Hikvision persona starts from (Persona.vendor_defaults overrides).
FACTORY: dict[str, Any] = {
    "smart_codec": False,
    "ddns_enabled": False, "ddns_provider": "HiDDNS", "ddns_server": "www.hik-online.com", "ddns_domain": "",
    "ezviz_enabled": False, "ezviz_server": "litedev.hik-connect.com", "ezviz_code": "",
    "isup_enabled": False, "isup_address_type": "ipaddress", "isup_host": "", "isup_ip": "0.0.0.0",
    "isup_port": 7660, "isup_device_id": "", "isup_version": "v5.0", "isup_key": "",
    "login_lock_enabled": True, "login_lock_attempts": 7, "login_lock_minutes": 30,
    "telnet_enabled": False,
    # "gb28181": absent = the firmware has no GB28181 (SIP answers 404 notSupport); its settings:
    "gb28181_server": "", "gb28181_port": 5060, "gb28181_server_id": "", "gb28181_domain": "",
    "gb28181_device_id": "", "gb28181_password": "", "gb28181_expires": 3600, "gb28181_heartbeat": 60,
}

_ISAPI_CODEC = {"H264": "H.264", "H265": "H.265", "JPEG": "MJPEG"}
_ONVIF_CODEC = {v: k for k, v in _ISAPI_CODEC.items()}
_DECL = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_HOST = re.compile(r"^[A-Za-z0-9.:-]{0,64}$")


def initial_state(camera: SimDevice) -> dict[str, Any]:
    """The vendor-only settings at the persona's factory values (``Persona.vendor_defaults``)."""
    state = dict(FACTORY)
    state.update(camera.persona.vendor_defaults)
    return state


# --- documents ----------------------------------------------------------------------------------


def dialouts(camera: SimDevice) -> list[DialOut]:
    """The outbound registrations configured now: ISUP (Ehome), and GB28181 where the firmware has it."""
    with camera._lock:
        s = camera.vendor_state
        host = s["isup_host"] if s["isup_address_type"] == "hostname" else s["isup_ip"]
        found = [DialOut(kind="isup", enabled=bool(s["isup_enabled"]), host=str(host), port=int(s["isup_port"]),
                         device_id=str(s["isup_device_id"]), secret=str(s["isup_key"]) or None)]
        if "gb28181" in s:
            found.append(DialOut(kind="gb28181", enabled=bool(s["gb28181"]), host=str(s.get("gb28181_server", "")),
                                 port=int(s.get("gb28181_port", 5060)),
                                 device_id=str(s.get("gb28181_device_id", "")),
                                 secret=str(s.get("gb28181_password", "")) or None,
                                 server_id=str(s.get("gb28181_server_id", "")) or None,
                                 domain=str(s.get("gb28181_domain", "")) or None))
        return found


def _el(parent: etree._Element | None, name: str, value: object = None) -> etree._Element:
    tag = f"{{{NS}}}{name}"
    element = etree.Element(tag, nsmap={None: NS}) if parent is None else etree.SubElement(parent, tag)
    if value is not None:
        element.text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return element


def _root(name: str) -> etree._Element:
    root = _el(None, name)
    root.set("version", "2.0")
    return root


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def status_document(url: str, code: int, string: str, sub: str) -> bytes:
    root = _root("ResponseStatus")
    _el(root, "requestURL", url)
    _el(root, "statusCode", code)
    _el(root, "statusString", string)
    _el(root, "subStatusCode", sub)
    return _bytes(root)


def _status(http: int, url: str, code: int, string: str, sub: str) -> VendorReply:
    return VendorReply(http, status_document(url, code, string, sub), CONTENT_TYPE)


def _not_supported(url: str) -> VendorReply:
    return _status(404, url, 4, "Invalid Operation", "notSupport")


def _device_info(camera: SimDevice) -> etree._Element:
    p = camera.persona
    version, _, build = p.firmware.partition(" ")
    root = _root("DeviceInfo")
    for name, value in (("deviceName", camera.state.hostname), ("deviceID", camera.serial[-12:]),
                        ("deviceDescription", "IPCamera"), ("model", p.model), ("serialNumber", camera.serial),
                        ("macAddress", camera.mac), ("firmwareVersion", version),
                        ("firmwareReleasedDate", build or version), ("deviceType", "IPCamera"),
                        ("telecontrolID", "88"), ("manufacturer", "hikvision")):
        _el(root, name, value)
    return root


def _channel(camera: SimDevice, state: dict[str, Any]) -> etree._Element:
    enc = camera.encoders[0]
    root = _root("StreamingChannel")
    _el(root, "id", 101)
    _el(root, "channelName", camera.state.hostname)
    _el(root, "enabled", True)
    video = _el(root, "Video")
    _el(video, "enabled", True)
    _el(video, "videoInputChannelID", 1)
    _el(video, "videoCodecType", _ISAPI_CODEC.get(enc.encoding, enc.encoding))
    _el(video, "videoScanType", "progressive")
    _el(video, "videoResolutionWidth", enc.width)
    _el(video, "videoResolutionHeight", enc.height)
    _el(video, "videoQualityControlType", "CBR" if enc.cbr else "VBR")
    _el(video, "constantBitRate", enc.bitrate)
    _el(video, "vbrUpperCap", enc.bitrate)
    _el(video, "maxFrameRate", round(enc.fps * 100))
    _el(video, "GovLength", enc.gov)
    smart = _el(video, "SmartCodec")
    _el(smart, "enabled", bool(state["smart_codec"]))
    return root


def _ddns_slot(state: dict[str, Any], parent: etree._Element | None = None) -> etree._Element:
    slot = _el(parent, "DDNS")
    if parent is None:
        slot.set("version", "2.0")
    _el(slot, "id", 1)
    _el(slot, "enabled", bool(state["ddns_enabled"]))
    _el(slot, "provider", state["ddns_provider"])
    server = _el(slot, "serverAddress")
    _el(server, "addressingFormatType", "hostname")
    _el(server, "hostName", state["ddns_server"])
    _el(slot, "portNo", 0)
    _el(slot, "deviceDomainName", state["ddns_domain"])
    return slot


def _ddns_list(state: dict[str, Any]) -> etree._Element:
    root = _root("DDNSList")
    _ddns_slot(state, root)
    return root


def _registered(camera: SimDevice, kind: str) -> bool:
    """registerStatus as firmware says it (true/false), from the simulated dial-out's last word."""
    return dialout_status(camera, kind) == "online"


def _ezviz(camera: SimDevice, state: dict[str, Any]) -> etree._Element:
    root = _root("EZVIZ")
    _el(root, "enabled", bool(state["ezviz_enabled"]))
    _el(root, "registerStatus", _registered(camera, "hik-connect"))  # no cloud on loopback: false
    server = _el(root, "serverAddress")
    _el(server, "addressingFormatType", "hostname")
    _el(server, "hostName", state["ezviz_server"])
    _el(root, "verificationCode", "")  # never given out in clear
    _el(root, "bindStatus", "unbind")
    return root


def _ehome(camera: SimDevice, state: dict[str, Any]) -> etree._Element:
    root = _root("Ehome")
    _el(root, "enabled", bool(state["isup_enabled"]))
    _el(root, "addressingFormatType", state["isup_address_type"])
    _el(root, "hostName", state["isup_host"])
    _el(root, "ipAddress", state["isup_ip"])
    _el(root, "portNo", state["isup_port"])
    _el(root, "deviceID", state["isup_device_id"])
    _el(root, "registerStatus", _registered(camera, "isup"))
    _el(root, "protocolVersion", state["isup_version"])
    return root  # the key is write-only: never in a reply


def _sip(camera: SimDevice, state: dict[str, Any]) -> etree._Element:
    root = _root("SIPServerList")
    server = _el(root, "SIPServer")
    _el(server, "id", 1)
    _el(server, "localPort", 5060)
    block = _el(server, "GB28181")
    _el(block, "enabled", bool(state["gb28181"]))
    _el(block, "registrar", state.get("gb28181_server", ""))
    _el(block, "registrarPort", state.get("gb28181_port", 5060))
    _el(block, "serverId", state.get("gb28181_server_id", ""))
    _el(block, "serverDomain", state.get("gb28181_domain", ""))
    _el(block, "deviceID", state.get("gb28181_device_id", ""))
    _el(block, "expires", state.get("gb28181_expires", 3600))
    _el(block, "heartbeatInterval", state.get("gb28181_heartbeat", 60))
    _el(block, "registerStatus", _registered(camera, "gb28181"))
    return root  # the password is write-only: never in a reply


def _login_lock(state: dict[str, Any]) -> etree._Element:
    root = _root("IllegalLoginLock")
    _el(root, "enabled", bool(state["login_lock_enabled"]))
    _el(root, "maxIllegalLoginTimes", state["login_lock_attempts"])
    _el(root, "maxIllegalLoginLockTime", state["login_lock_minutes"])
    return root


def _admin_accesses() -> etree._Element:
    root = _root("AdminAccessProtocolList")
    for i, (proto, enabled, port) in enumerate((("HTTP", True, 80), ("HTTPS", False, 443), ("DEV_MANAGE", True, 8000),
                                                ("RTSP", True, 554)), 1):
        entry = _el(root, "AdminAccessProtocol")
        _el(entry, "id", i)
        _el(entry, "enabled", enabled)
        _el(entry, "protocol", proto)
        _el(entry, "portNo", port)
    return root


def _telnetd(state: dict[str, Any]) -> etree._Element:
    root = _root("Telnetd")
    _el(root, "enabled", bool(state["telnet_enabled"]))
    return root


def _document(camera: SimDevice, resource: str) -> etree._Element | None:
    state = camera.vendor_state
    if resource == DEVICE_INFO:
        return _device_info(camera)
    if resource == MAIN_CHANNEL:
        return _channel(camera, state)
    if resource == DDNS:
        return _ddns_list(state)
    if resource == DDNS_SLOT:
        return _ddns_slot(state)
    if resource == EZVIZ:
        return _ezviz(camera, state)
    if resource == EHOME:
        return _ehome(camera, state)
    if resource == SIP:
        return _sip(camera, state) if "gb28181" in state else None
    if resource == LOGIN_LOCK:
        return _login_lock(state)
    if resource == ADMIN_ACCESSES:
        return _admin_accesses()
    if resource == TELNETD:
        return _telnetd(state)
    return None


# --- PUT: parse the client's document like firmware does ------------------------------------------


class _Refused(Exception):
    def __init__(self, reply: VendorReply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _content(url: str, sub: str = "badXmlContent") -> _Refused:
    return _Refused(_status(400, url, 6, "Invalid XML Content", sub))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _find(parent: etree._Element | None, *path: str) -> etree._Element | None:
    for name in path:
        if parent is None:
            return None
        parent = next((c for c in parent if isinstance(c.tag, str) and _local(c) == name), None)
    return parent


def _text(parent: etree._Element | None, *path: str) -> str | None:
    element = _find(parent, *path)
    return None if element is None else (element.text or "").strip()


def _bool(url: str, parent: etree._Element | None, *path: str) -> bool | None:
    value = _text(parent, *path)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise _content(url, "badParameters")
    return value == "true"


def _int(url: str, parent: etree._Element | None, name: str, low: int, high: int) -> int | None:
    value = _text(parent, name)
    if value is None or value == "":
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise _content(url, "badParameters")
    return int(value)


def _str(url: str, parent: etree._Element | None, name: str, pattern: re.Pattern[str] = _HOST) -> str | None:
    value = _text(parent, name)
    if value is not None and not pattern.match(value):
        raise _content(url, "badParameters")
    return value


# Issue 15's registration settings, checked as firmware checks them (bad value: 400 badParameters).
_FORM = re.compile(r"^(?:ipaddress|hostname)$")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._-]{0,64}$")
_VERSION = re.compile(r"^v?[0-9]{1,2}(?:\.[0-9]{1,2})?$")
_SECRET = re.compile(r"^[\x21-\x7e]{0,64}$")
_CODE = re.compile(r"^[A-Za-z0-9]{0,12}$")  # Hik-Connect verification code: letters and digits
_GB_ID = re.compile(r"^(?:[0-9]{20})?$")
_GB_DOMAIN = re.compile(r"^[A-Za-z0-9.-]{0,64}$")


def _ip(url: str, parent: etree._Element | None, name: str) -> str | None:
    value = _text(parent, name)
    if value is None:
        return None
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise _content(url, "badParameters") from None
    return value


def _put_sip(url: str, root: etree._Element) -> tuple[tuple[str, object], ...]:
    """SIPServerList/SIPServer/GB28181 as _sip() serves it; another block (intercom SIP) is refused."""
    _expect(url, root, "SIPServerList", "SIPServer")
    server = _find(root, "SIPServer") if _local(root) == "SIPServerList" else root
    block = _find(server, "GB28181")
    if block is None:
        raise _content(url)
    return (("gb28181", _bool(url, block, "enabled")),
            ("gb28181_server", _str(url, block, "registrar")),
            ("gb28181_port", _int(url, block, "registrarPort", 1024, 65535)),
            ("gb28181_server_id", _str(url, block, "serverId", _GB_ID)),
            ("gb28181_domain", _str(url, block, "serverDomain", _GB_DOMAIN)),
            ("gb28181_device_id", _str(url, block, "deviceID", _GB_ID)),
            ("gb28181_password", _str(url, block, "password", _SECRET)),
            ("gb28181_expires", _int(url, block, "expires", 1, 86400)),
            ("gb28181_heartbeat", _int(url, block, "heartbeatInterval", 1, 3600)))


def _parse(url: str, body: bytes) -> etree._Element:
    if not body.strip() or _DECL.search(body):
        raise _Refused(_status(400, url, 5, "Invalid XML Format", "badXmlFormat"))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        raise _Refused(_status(400, url, 5, "Invalid XML Format", "badXmlFormat")) from None
    if root is None:
        raise _Refused(_status(400, url, 5, "Invalid XML Format", "badXmlFormat"))
    return root


def _expect(url: str, root: etree._Element, *names: str) -> None:
    if _local(root) not in names:
        raise _content(url)


def _merge(updates: dict[str, Any], values: tuple[tuple[str, object], ...]) -> None:
    """The values the document gave (an element left out leaves its setting as it is)."""
    updates.update({key: value for key, value in values if value is not None})


def _put(camera: SimDevice, resource: str, url: str, root: etree._Element) -> None:
    """Check the whole document first, then change the state: a refused PUT changes nothing."""
    state = camera.vendor_state
    updates: dict[str, Any] = {}
    if resource == MAIN_CHANNEL:
        _expect(url, root, "StreamingChannel")
        video = _find(root, "Video")
        if video is None:
            raise _content(url)
        codec = _text(video, "videoCodecType")
        encoding = None
        if codec is not None:
            encoding = _ONVIF_CODEC.get(codec)
            if encoding is None or camera.encoders[0].codec_options(encoding) is None:
                raise _content(url, "badParameters")
        smart = _bool(url, video, "SmartCodec", "enabled")
        if smart is None:
            smart = _bool(url, root, "SmartCodec", "enabled")
        if smart is not None:
            updates["smart_codec"] = smart
        if encoding is not None:
            enc = camera.encoders[0]
            options = enc.codec_options(encoding)
            enc.encoding = encoding
            if options is not None and options.profiles and enc.profile not in options.profiles:
                enc.profile = options.profiles[0]
    elif resource in (DDNS, DDNS_SLOT):
        slot = root
        if _local(root) == "DDNSList":
            found = _find(root, "DDNS")
            if found is None:
                raise _content(url)
            slot = found
        _expect(url, slot, "DDNS")
        if _text(slot, "id") not in (None, "1"):
            raise _content(url, "invalidID")
        for key, value in (("ddns_enabled", _bool(url, slot, "enabled")),
                           ("ddns_provider", _str(url, slot, "provider")),
                           ("ddns_server", _str(url, _find(slot, "serverAddress"), "hostName")),
                           ("ddns_domain", _str(url, slot, "deviceDomainName"))):
            if value is not None:
                updates[key] = value
    elif resource == EZVIZ:
        _expect(url, root, "EZVIZ")
        address = _find(root, "serverAddress")
        server = _str(url, address, "hostName")
        if _text(address, "addressingFormatType") == "ipaddress":
            server = _ip(url, address, "ipAddress")
        for key, value in (("ezviz_enabled", _bool(url, root, "enabled")), ("ezviz_server", server),
                           ("ezviz_code", _str(url, root, "verificationCode", _CODE))):
            if value is not None:
                updates[key] = value
    elif resource == EHOME:
        _expect(url, root, "Ehome", "EHome")
        form = _str(url, root, "addressingFormatType", _FORM)
        values: tuple[tuple[str, object], ...] = (
            ("isup_enabled", _bool(url, root, "enabled")),
            ("isup_address_type", form),
            ("isup_host", _str(url, root, "hostName")),
            ("isup_ip", _ip(url, root, "ipAddress") if form != "hostname" else _str(url, root, "ipAddress")),
            ("isup_port", _int(url, root, "portNo", 1024, 65535)),
            ("isup_device_id", _str(url, root, "deviceID", _DEVICE_ID)),
            ("isup_version", _str(url, root, "protocolVersion", _VERSION)),
            ("isup_key", _str(url, root, "key", _SECRET)))
        _merge(updates, values)
    elif resource == SIP:
        if "gb28181" not in state:
            raise _Refused(_not_supported(url))
        _merge(updates, _put_sip(url, root))
    elif resource == LOGIN_LOCK:
        _expect(url, root, "IllegalLoginLock")
        # Ranges of the camera's SecurityCap (maxIllegalLoginTimes 3..20, lock time 1..120 min).
        lock: tuple[tuple[str, object], ...] = (
            ("login_lock_enabled", _bool(url, root, "enabled")),
            ("login_lock_attempts", _int(url, root, "maxIllegalLoginTimes", 3, 20)),
            ("login_lock_minutes", _int(url, root, "maxIllegalLoginLockTime", 1, 120)))
        _merge(updates, lock)
    state.update(updates)


# --- the responder --------------------------------------------------------------------------------


def respond(camera: SimDevice, request: VendorRequest) -> VendorReply:
    url = request.path
    resource = url[len(PREFIX):].rstrip("/")
    if camera.fault_on(resource):
        return _status(500, url, 3, "Device Error", "deviceError")
    if request.method in ("GET", "HEAD"):
        with camera._lock:
            document = _document(camera, resource)
        if document is None:
            return _not_supported(url)
        body = _bytes(document)
        if camera.malformed(resource):
            body = body[: len(body) // 2]
        return VendorReply(200, body, CONTENT_TYPE)
    if request.method != "PUT":
        return _status(400, url, 4, "Invalid Operation", "methodNotAllowed")
    if resource not in WRITABLE:
        return _not_supported(url) if resource not in FAULT_NAMES else \
            _status(400, url, 4, "Invalid Operation", "methodNotAllowed")
    if request.level != "Administrator":
        # HTTP 403 with a ResponseStatus "Invalid Operation", as firmware refuses what an account
        # may not do (the sub-status word is this simulator's).
        return _status(403, url, 4, "Invalid Operation", "lowPrivilege")
    try:
        root = _parse(url, request.body)
        with camera._lock:
            _put(camera, resource, url, root)
    except _Refused as refused:
        return refused.reply
    after = camera.reboot_after_change()
    if after is not None:
        return VendorReply(200, status_document(url, 7, "Reboot Required", "rebootRequired"), CONTENT_TYPE,
                           after=after)
    return _status(200, url, 1, "OK", "ok")
