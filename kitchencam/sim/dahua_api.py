"""The Dahua HTTP API (CGI) of a simulated Dahua camera, beside ONVIF on the same port.

Serves what kitchencam/vendors/dahua.py reads and sets, in the forms that adapter cites:
``magicBox.cgi?action=getSystemInfo|getSoftwareVersion`` and
``configManager.cgi?action=getConfig&name=Encode|SmartEncode|DDNS|T2UServer|DVRIP|Telnet``,
``configManager.cgi?action=setConfig&KEY=VALUE[&...]``. Replies are ``key=value`` lines ending
``\\r\\n``; a set answers ``OK``; an unknown action, name or key answers
``Error\\r\\nBad Request!`` (HTTP 400), as Dahua firmware does.

State lives in ``camera.vendor_state`` under ``camera._lock`` and is shared with ONVIF where the
two overlap: ``Encode``'s MainFormat[0] compression *is* ``camera.encoders[0].encoding`` (read
and set both ways), DDNS starts from the persona's ONVIF dynamic DNS. Factory values of the
vendor-only settings come from ``Persona.vendor_defaults`` (keys in ``DEFAULTS``).

Faults: ``fault-on=NAME`` (HTTP 500) and ``malformed=NAME`` (the reply cut inside its first key)
where NAME is a config name (``SmartEncode``) or a magicBox action (``getSystemInfo``); a
``setConfig`` is also NAME ``setConfig``. ``reboot-after-set`` reboots after a setConfig.
Only an Administrator may setConfig; others get the error form (a 401 would look like a wrong
password to a client and spend its login budget).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import parse_qsl

from kitchencam.sim.vendorapi import DialOut, SimDevice, VendorReply, VendorRequest

PREFIX = "/cgi-bin/"

#: The factory values a persona may give (Persona.vendor_defaults), with the simulator's own.
DEFAULTS: dict[str, Any] = {
    "SmartEncode": False,
    "P2P": True,  # Dahua ships its P2P cloud on
    "DVRIP.RegisterServer": False,
    "DVRIP.Address": "0.0.0.0",
    "DVRIP.Port": 7000,
    "DVRIP.TCPPort": 37777,
    "Telnet": False,
}

#: Call names a fault may name.
CALLS = frozenset({"getSystemInfo", "getSoftwareVersion", "Encode", "SmartEncode", "DDNS", "T2UServer", "DVRIP",
                   "Telnet", "setConfig"})
FAULT_NAMES = CALLS

_ERROR = b"Error\r\nBad Request!\r\n"
_TEXT = "text/plain;charset=utf-8"
_COMPRESSION = {"H264": "H.264", "H265": "H.265", "JPEG": "MJPG"}
_ENCODING = {"H.264": "H264", "H.264H": "H264", "H.264B": "H264", "H.265": "H265", "MJPG": "JPEG"}


def initial_state(camera: SimDevice) -> dict[str, Any]:
    """The vendor-only settings at the persona's factory values (``Persona.vendor_defaults``)."""
    persona = camera.persona
    state = dict(DEFAULTS)
    state.update(persona.vendor_defaults)
    state.setdefault("DVRIP.DeviceID", camera.serial)
    # DDNS as ONVIF's GetDynamicDNS tells it (the persona's dynamic DNS).
    state.setdefault("DDNS", persona.ddns_type != "NoUpdate")
    state.setdefault("DDNS.HostName", persona.ddns_name or "")
    state.setdefault("DDNS.Protocol", "Dahua DDNS" if persona.ddns_name else "Dyndns DDNS")
    return state


def dialouts(camera: SimDevice) -> list[DialOut]:
    """The outbound registrations configured now: DVRIP's Auto Register (DSS)."""
    with camera._lock:
        s = camera.vendor_state
        return [DialOut(kind="auto-register", enabled=bool(s["DVRIP.RegisterServer"]), host=str(s["DVRIP.Address"]),
                        port=int(s["DVRIP.Port"]), device_id=str(s["DVRIP.DeviceID"]))]


def _lines(pairs: list[tuple[str, object]]) -> bytes:
    return "".join(f"{k}={_word(v)}\r\n" for k, v in pairs).encode("utf-8")


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error(status: int = 400) -> VendorReply:
    return VendorReply(status, _ERROR, _TEXT)


def _config(camera: SimDevice, name: str) -> bytes | None:
    s = camera.vendor_state
    if name == "Encode":
        pairs: list[tuple[str, object]] = []
        for i, fmt in ((0, "MainFormat"), (1, "ExtraFormat")):
            if i >= len(camera.encoders):
                continue
            e = camera.encoders[i]
            base = f"table.Encode[0].{fmt}[0]"
            pairs += [(f"{base}.Video.BitRate", e.bitrate),
                      (f"{base}.Video.BitRateControl", "CBR" if e.cbr else "VBR"),
                      (f"{base}.Video.Compression", _COMPRESSION.get(e.encoding, e.encoding)),
                      (f"{base}.Video.FPS", int(e.fps)), (f"{base}.Video.GOP", e.gov),
                      (f"{base}.Video.Height", e.height), (f"{base}.Video.Width", e.width),
                      (f"{base}.VideoEnable", True)]
        return _lines(pairs)
    if name == "SmartEncode":
        return _lines([("table.SmartEncode[0].Enable", s["SmartEncode"])])
    if name == "DDNS":
        return _lines([("table.DDNS[0].Address", "www.dahuaddns.com"), ("table.DDNS[0].Enable", s["DDNS"]),
                       ("table.DDNS[0].HostName", s["DDNS.HostName"]), ("table.DDNS[0].Port", 80),
                       ("table.DDNS[0].Protocol", s["DDNS.Protocol"])])
    if name == "T2UServer":
        return _lines([("table.T2UServer.Enable", s["P2P"])])
    if name == "DVRIP":
        return _lines([("table.DVRIP.MaxConnections", 10),
                       ("table.DVRIP.RegisterServer.DeviceID", s["DVRIP.DeviceID"]),
                       ("table.DVRIP.RegisterServer.Enable", s["DVRIP.RegisterServer"]),
                       ("table.DVRIP.RegisterServer.Servers[0].Address", s["DVRIP.Address"]),
                       ("table.DVRIP.RegisterServer.Servers[0].Port", s["DVRIP.Port"]),
                       ("table.DVRIP.TCPPort", s["DVRIP.TCPPort"])])
    if name == "Telnet":
        return _lines([("table.Telnet.Enable", s["Telnet"])])
    return None


#: Auto Register's settings a setConfig may write (issue 15), as kitchencam/vendors/dahua.py cites them.
_REGISTER_KEYS = {"DVRIP.RegisterServer.Servers[0].Address": "DVRIP.Address",
                  "DVRIP.RegisterServer.Servers[0].Port": "DVRIP.Port",
                  "DVRIP.RegisterServer.DeviceID": "DVRIP.DeviceID"}
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _register_value(key: str, value: str) -> object | None:
    """A DVRIP value as firmware checks it (None: refused): an address, a port 1-65535, a device id."""
    if key.endswith("Address"):
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            labels = value.split(".")
            ok = 0 < len(value) <= 253 and all(_HOST_LABEL.match(x) for x in labels) and not labels[-1].isdigit()
            return value if ok else None
    if key.endswith("Port"):
        return int(value) if value.isascii() and value.isdigit() and 1 <= int(value) <= 65535 else None
    return value if _DEVICE_ID.match(value) else None


def _boolean(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


def _set(camera: SimDevice, pairs: list[tuple[str, str]]) -> bool:
    """Apply every key=value, or none of them (False: one was unknown or wrong)."""
    s = camera.vendor_state
    staged: dict[str, Any] = {}
    encoding: str | None = None
    for key, value in pairs:
        flag = _boolean(value)
        if key == "SmartEncode[0].Enable" and flag is not None:
            staged["SmartEncode"] = flag
        elif key in ("T2UServer.Enable", "T2UServer[0].Enable") and flag is not None:
            staged["P2P"] = flag
        elif key == "DDNS[0].Enable" and flag is not None:
            staged["DDNS"] = flag
        elif key == "DVRIP.RegisterServer.Enable" and flag is not None:
            staged["DVRIP.RegisterServer"] = flag
        elif key in _REGISTER_KEYS:
            checked = _register_value(key, value)
            if checked is None:
                return False
            staged[_REGISTER_KEYS[key]] = checked
        elif key == "Telnet.Enable" and flag is not None:
            staged["Telnet"] = flag
        elif key == "Encode[0].MainFormat[0].Video.Compression" and value in _ENCODING and camera.encoders:
            encoding = _ENCODING[value]
            main = camera.encoders[0]
            if main.codec_options(encoding) is None:
                return False
        else:
            return False
    s.update(staged)
    if encoding is not None:
        main = camera.encoders[0]
        opts = main.codec_options(encoding)
        main.encoding = encoding
        if opts is not None and opts.profiles and main.profile not in opts.profiles:
            main.profile = opts.profiles[-1] if encoding == "H264" else opts.profiles[0]
    return True


def respond(camera: SimDevice, request: VendorRequest) -> VendorReply:
    if request.method not in ("GET", "HEAD"):
        return _error()
    script = request.path[len(PREFIX):]
    pairs = parse_qsl(request.query, keep_blank_values=True)
    params = dict(pairs)
    action = params.get("action", "")
    if script == "magicBox.cgi" and action in ("getSystemInfo", "getSoftwareVersion"):
        name = action
        p = camera.persona
        if action == "getSystemInfo":
            body = _lines([("deviceType", p.model), ("hardwareVersion", p.hardware_id), ("processor", "SSC30KQ"),
                           ("serialNumber", camera.serial), ("updateSerial", p.model)])
        else:
            version, _sep, build = p.firmware.partition(", Build Date ")
            body = _lines([("version", f"{version},build:{build}" if build else version)])
        return _answer(camera, name, body)
    if script != "configManager.cgi":
        return _error()
    if action == "getConfig":
        name = params.get("name", "")
        with camera._lock:
            config = _config(camera, name)
        if config is None:
            return _error()
        return _answer(camera, name, config)
    if action == "setConfig":
        if request.level != "Administrator":
            return _error()
        settings = [(k, v) for k, v in pairs if k != "action"]
        if camera.fault_on("setConfig"):
            return VendorReply(500, b"Error\r\nInternal Error\r\n", _TEXT)
        with camera._lock:
            if not settings or not _set(camera, settings):
                return _error()
        body = b"OK\r\n"
        if camera.malformed("setConfig"):
            body = body[:1]
        return VendorReply(200, body, _TEXT, after=camera.reboot_after_change())
    return _error()


def _answer(camera: SimDevice, name: str, body: bytes) -> VendorReply:
    if camera.fault_on(name):
        return VendorReply(500, b"Error\r\nInternal Error\r\n", _TEXT)
    if camera.malformed(name):
        body = body[:max(1, body.find(b"=") // 2)]  # cut inside the first key: a line without "="
    return VendorReply(200, body, _TEXT)
