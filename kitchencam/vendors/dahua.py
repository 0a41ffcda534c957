"""Dahua's HTTP API (the CGI interface every Dahua IPC serves on its web port, HTTP digest).

What is read and set, and where each call's form was checked (docs/reference/vendor-dahua.md
has the same list for technicians):

- ``magicBox.cgi?action=getSystemInfo`` (``deviceType=``, ``serialNumber=``) and
  ``magicBox.cgi?action=getSoftwareVersion`` (``version=2.212.0000.0.R,build:2013-11-14``):
  "Dahua HTTP API For IPC" v1.67 and "Dahua HTTP API All CGIs" v2.0 (2015, which fixes the
  getSoftwareVersion answer to ``version=...,build:...``); Amcrest HTTP API SDK Protocol
  Specification rev. 2.10 (the OEM copy); tchellomello/python-amcrest src/amcrest/system.py.
- ``configManager.cgi?action=getConfig&name=Encode``
  (``table.Encode[0].MainFormat[0].Video.Compression=H.264``): same documents;
  tchellomello/python-amcrest src/amcrest/video.py (``encode_media_config``).
- ``getConfig&name=SmartEncode`` (``table.SmartEncode[0].Enable=false``) and
  ``setConfig&SmartEncode[0].Enable=true``: public client code found by exact-string search
  (several independent projects read ``table.SmartEncode[0].Enable``); Dahua's web UI calls it
  "Smart Codec", the "+" of H.265+.
- ``getConfig&name=DDNS`` (``table.DDNS[n].Enable``, ``.Protocol``, ``.HostName``) and
  ``setConfig&DDNS[n].Enable=``: Dahua HTTP API For IPC v1.59+ ("getDDNSConfig / SetDDNSConfig");
  public clients set ``DDNS[0].Enable``, ``DDNS[0].HostName``, ``DDNS[0].Protocol``.
- ``getConfig&name=T2UServer`` (Dahua's P2P cloud service; ``table.T2UServer.Enable``, some
  firmware ``table.T2UServer[0].Enable``: both are accepted) and ``setConfig&T2UServer.Enable=``:
  public clients (Python, Ruby, C#, PHP) found by exact-string search read and set these forms.
- ``getConfig&name=DVRIP`` (``table.DVRIP.RegisterServer.Enable``, ``.DeviceID``,
  ``.Servers[0].Address``, ``.Servers[0].Port``: Auto Register, which DSS uses; ``TCPPort``, the
  private SDK port) and ``setConfig&DVRIP.RegisterServer.Enable=``: public client code that
  turns Auto Register off with exactly that set call. ``set_registration`` writes
  ``.Servers[0].Address``, ``.Servers[0].Port`` and ``.DeviceID`` too (issue 15; sources at
  the method).
- ``getConfig&name=Telnet`` (``table.Telnet.Enable``): Dahua HTTP API For IPC v1.48 ("Add
  get/set interface to Telnet").
- The login-failure lock: no public source shows its config name and keys with a reply example
  (the documents describe a LoginFailureAlarm *event*, not the lock), so it is not read:
  ``login_lock`` stays None and the rules use the catalogue.

Replies are ``key=value`` lines (``\\r\\n``), ``OK`` to a set, ``Error\\r\\nBad Request!`` to a
call the firmware does not know. They are parsed here, at the edge, into typed values: strict
UTF-8, at most ``MAX_LINES`` lines, values at most ``MAX_VALUE`` characters, booleans only
``true``/``false``, numbers range-checked; anything else is a ``BadReply`` for that call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import quote

from kitchencam.errors import AuthFailed, BadReply, DeviceFault, KitchencamError, NotSupported, Unreachable
from kitchencam.i18n import _
from kitchencam.vendors.base import (
    CloudP2p,
    Ddns,
    ExposedService,
    Probe,
    ReadError,
    Registration,
    RegistrationTarget,
    SettingName,
    Told,
    VendorAdapter,
    VendorCamera,
    VendorChange,
    VendorFacts,
)
from kitchencam.vendors.http import HttpReply, VendorHttp
from kitchencam.vendors.registration import check_host, check_port, check_token

API = "Dahua HTTP API"
#: Most lines a reply may have (a whole Encode table of an NVR is a few hundred).
MAX_LINES = 2000
#: Longest value kept; a longer one is refused when it is used.
MAX_VALUE = 256
_MAX_INDEX = 16  # DDNS entries looked at

SYSTEM_INFO = "/cgi-bin/magicBox.cgi?action=getSystemInfo"
SOFTWARE_VERSION = "/cgi-bin/magicBox.cgi?action=getSoftwareVersion"
_CONFIG = "/cgi-bin/configManager.cgi?action="

_KEY = re.compile(r"^[A-Za-z0-9_.\[\]]{1,200}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def get_config_path(name: str) -> str:
    return f"{_CONFIG}getConfig&name={name}"


def set_config_path(pairs: list[tuple[str, str]]) -> str:
    # Brackets unescaped, as Dahua's own documents write them (SmartEncode[0].Enable=true).
    return _CONFIG + "setConfig&" + "&".join(f"{k}={v}" for k, v in pairs)


def call_name(what: str) -> str:
    return f"{API} {what}"


class _TooLong(str):
    """A value longer than MAX_VALUE: kept as a marker, refused when read."""


class KeyValues:
    """One parsed ``key=value`` reply; the typed readers raise ``BadReply`` for a wrong value."""

    def __init__(self, values: dict[str, str], *, target: str, call: str) -> None:
        self.values = values
        self.target = target
        self.call = call

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def _bad(self, reason: str) -> BadReply:
        return bad_reply(self.target, self.call, reason)

    def text(self, key: str) -> str | None:
        value = self.values.get(key)
        if isinstance(value, _TooLong):
            raise self._bad(_("the value of {key} is longer than {limit} characters").format(key=key, limit=MAX_VALUE))
        return value

    def need(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise self._bad(_("{key} is missing").format(key=key))
        return value

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        value = self.need(key) if required else self.text(key)
        if value is None:
            return None
        if value not in ("true", "false"):
            raise self._bad(_("{key} is neither true nor false").format(key=key))
        return value == "true"

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.text(key)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or len(value) > 10 or not low <= int(value) <= high:
            raise self._bad(_("{key} is not a whole number from {low} to {high}").format(key=key, low=low, high=high))
        return int(value)


def bad_reply(target: str, call: str, reason: str) -> BadReply:
    return BadReply(_("{target} answered {call} with something that is not the Dahua key=value form ({reason}). "
                      "Check that the port is the camera's web port; if it is, note the model and firmware for "
                      "the maintainers.").format(target=target, call=call, reason=reason),
                    target=target, detail=reason)


def parse_key_values(body: bytes, *, target: str, call: str) -> KeyValues:
    """A Dahua ``key=value`` reply as text values (strict UTF-8, bounded); ``BadReply`` otherwise."""
    try:
        text = body.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise bad_reply(target, call, _("not UTF-8 text")) from None
    if _CONTROL.search(text):
        raise bad_reply(target, call, _("binary data"))
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_LINES:
        raise bad_reply(target, call, _("more than {limit} lines").format(limit=MAX_LINES))
    if not lines:
        raise bad_reply(target, call, _("an empty reply"))
    values: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise bad_reply(target, call, _("a line that is not key=value"))
        value = value.strip()
        values[key] = _TooLong(value[:MAX_VALUE]) if len(value) > MAX_VALUE else value
    return KeyValues(values, target=target, call=call)


def is_error_body(body: bytes) -> bool:
    """Dahua's refusal: ``Error`` on the first line (``Error\\r\\nBad Request!``), whatever the status."""
    return body.lstrip()[:5].lower() == b"error"


def codec_name(raw: str) -> str:
    """Dahua's compression word in ONVIF's spelling: H.264/H.264H/H.264B -> H264, H.265 -> H265."""
    word = raw.replace(".", "").replace(" ", "").upper()
    if word.startswith("H264"):
        return "H264"
    if word.startswith("H265"):
        return "H265"
    if word in ("MJPG", "MJPEG"):
        return "JPEG"
    return raw


class DahuaAdapter(VendorAdapter):
    vendor = "dahua"
    api = API
    manufacturers = ("dahua",)
    model_prefixes = ("DH-",)
    # Resold Dahua cameras (issue 14): named by the reseller, recognised by the API answering.
    oem_names = ("amcrest", "lorex")

    def __init__(self, camera: VendorCamera) -> None:
        super().__init__(camera)
        self.http = VendorHttp(camera, API)
        self._ddns_index = 0
        self._p2p_key = "T2UServer.Enable"

    # -- one call -----------------------------------------------------------------------------------

    def _get(self, path: str, what: str) -> KeyValues:
        call = call_name(what)
        reply = self.http.request("GET", path, call=call)
        self._check(reply, call)
        return parse_key_values(reply.body, target=self.camera.target, call=call)

    def _check(self, reply: HttpReply, call: str) -> None:
        target = self.camera.target
        if reply.status == 200 and not is_error_body(reply.body):
            return
        # "Error / Bad Request!" (HTTP 400, or 200 on some firmware) and 404/501: no such call here.
        if reply.status in (200, 400, 404, 501):
            raise NotSupported(_("{target} does not answer {call} (HTTP {status}): this firmware may not have it. "
                                 "The rules use the model catalogue for it.").format(
                target=target, call=call, status=reply.status), target=target)
        raise DeviceFault(_("{target} failed {call} (HTTP {status}). Retry; if it persists, restart the camera.")
                          .format(target=target, call=call, status=reply.status), target=target,
                          subcode=f"HTTP {reply.status}")

    # -- probe ----------------------------------------------------------------------------------------

    def probe(self) -> Probe:
        call = call_name("getSystemInfo")
        before = self.http.logins
        reply = self.http.request("GET", SYSTEM_INFO, call=call)
        spent = self.http.logins - before
        probe = Probe(vendor=self.vendor, api=self.api, answered=True, confirmed=False, call=call, logins=spent)
        if reply.status != 200 or is_error_body(reply.body):
            probe.error = ReadError(operation=call, code="NotSupported", message=_(
                "{target} has no {api} on this port (HTTP {status}).").format(
                target=self.camera.target, api=self.api, status=reply.status))
            return probe
        try:
            info = parse_key_values(reply.body, target=self.camera.target, call=call)
            model = info.text("deviceType")
            serial = info.text("serialNumber")
        except BadReply as exc:
            probe.error = ReadError(operation=call, code=exc.code, message=str(exc))
            return probe
        probe.confirmed = bool(model or serial)
        probe.model = model
        return probe

    # -- read -----------------------------------------------------------------------------------------

    def read(self) -> VendorFacts:
        facts = VendorFacts(vendor=self.vendor, api=self.api, target=self.camera.target,
                            read_at=datetime.now(timezone.utc))
        readers: list[tuple[str, Callable[[VendorFacts], None]]] = [
            ("getSystemInfo", self._read_system), ("getSoftwareVersion", self._read_version),
            ("Encode", self._read_encode), ("SmartEncode", self._read_smart), ("DDNS", self._read_ddns),
            ("T2UServer", self._read_p2p), ("DVRIP", self._read_dvrip), ("Telnet", self._read_telnet)]
        for what, reader in readers:
            try:
                reader(facts)
            except (AuthFailed, Unreachable):
                raise  # the login budget and the camera are shared: stop here
            except KitchencamError as exc:
                facts.read_errors.append(ReadError(operation=call_name(what), code=exc.code, message=str(exc),
                                                   subcode=getattr(exc, "subcode", None)))
        return facts

    def _read_system(self, facts: VendorFacts) -> None:
        kv = self._get(SYSTEM_INFO, "getSystemInfo")
        model, serial = kv.text("deviceType"), kv.text("serialNumber")
        if model is None and serial is None:
            kv.need("deviceType")
        if model:
            facts.model = Told(value=model, call=kv.call)
        if serial:
            facts.serial = Told(value=serial, call=kv.call)

    def _read_version(self, facts: VendorFacts) -> None:
        kv = self._get(SOFTWARE_VERSION, "getSoftwareVersion")
        facts.firmware = Told(value=kv.need("version"), call=kv.call)

    def _read_encode(self, facts: VendorFacts) -> None:
        kv = self._get(get_config_path("Encode"), "Encode")
        raw = kv.need("table.Encode[0].MainFormat[0].Video.Compression")
        facts.main_codec = Told(value=codec_name(raw), call=kv.call)

    def smart_encode(self) -> bool:
        kv = self._get(get_config_path("SmartEncode"), "SmartEncode")
        value = kv.boolean("table.SmartEncode[0].Enable", required=True)
        assert value is not None
        return value

    def _read_smart(self, facts: VendorFacts) -> None:
        facts.smart_codec = Told(value=self.smart_encode(), call=call_name("SmartEncode"))

    def ddns(self) -> Ddns:
        kv = self._get(get_config_path("DDNS"), "DDNS")
        kv.need("table.DDNS[0].Enable")
        entries = [n for n in range(_MAX_INDEX) if f"table.DDNS[{n}].Enable" in kv]
        flags = {n: kv.boolean(f"table.DDNS[{n}].Enable") for n in entries}
        self._ddns_index = next((n for n in entries if flags[n]), 0)
        n = self._ddns_index
        return Ddns(enabled=flags[n], provider=kv.text(f"table.DDNS[{n}].Protocol") or None,
                    hostname=kv.text(f"table.DDNS[{n}].HostName") or None)

    def _read_ddns(self, facts: VendorFacts) -> None:
        facts.ddns = Told(value=self.ddns(), call=call_name("DDNS"))

    def p2p(self) -> bool:
        kv = self._get(get_config_path("T2UServer"), "T2UServer")
        # Sources differ: table.T2UServer.Enable (most) and table.T2UServer[0].Enable; accept both.
        for key in ("T2UServer.Enable", "T2UServer[0].Enable"):
            if f"table.{key}" in kv:
                self._p2p_key = key
                value = kv.boolean(f"table.{key}", required=True)
                assert value is not None
                return value
        kv.need("table.T2UServer.Enable")
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_p2p(self, facts: VendorFacts) -> None:
        facts.p2p = Told(value=CloudP2p(name="P2P", enabled=self.p2p()), call=call_name("T2UServer"))

    def auto_register(self) -> tuple[Registration, int | None]:
        kv = self._get(get_config_path("DVRIP"), "DVRIP")
        reg = Registration(kind="auto-register",
                           enabled=kv.boolean("table.DVRIP.RegisterServer.Enable", required=True),
                           server=kv.text("table.DVRIP.RegisterServer.Servers[0].Address") or None,
                           port=kv.integer("table.DVRIP.RegisterServer.Servers[0].Port", 0, 65535),
                           device_id=kv.text("table.DVRIP.RegisterServer.DeviceID") or None)
        return reg, kv.integer("table.DVRIP.TCPPort", 1, 65535)

    def _read_dvrip(self, facts: VendorFacts) -> None:
        reg, sdk_port = self.auto_register()
        call = call_name("DVRIP")
        facts.registrations.append(Told(value=reg, call=call))
        if sdk_port is not None:
            facts.services.append(Told(value=ExposedService(name="DVRIP", port=sdk_port), call=call))

    def _read_telnet(self, facts: VendorFacts) -> None:
        kv = self._get(get_config_path("Telnet"), "Telnet")
        enabled = kv.boolean("table.Telnet.Enable", required=True)
        facts.services.append(Told(value=ExposedService(name="Telnet", enabled=enabled), call=kv.call))

    # -- set ------------------------------------------------------------------------------------------

    def set_calls(self) -> dict[SettingName, str]:
        return {"smart_codec": call_name("setConfig SmartEncode"), "ddns": call_name("setConfig DDNS"),
                "p2p": call_name("setConfig T2UServer"), "registration": call_name("setConfig DVRIP")}

    def _current(self, change: VendorChange) -> tuple[bool | None, str]:
        """The setting's value read just now (the backup) and the key that sets it."""
        if change.setting == "smart_codec":
            return self.smart_encode(), "SmartEncode[0].Enable"
        if change.setting == "ddns":
            return self.ddns().enabled, f"DDNS[{self._ddns_index}].Enable"
        if change.setting == "p2p":
            return self.p2p(), self._p2p_key
        if change.setting == "registration" and change.kind == "auto-register":
            return self.auto_register()[0].enabled, "DVRIP.RegisterServer.Enable"
        raise NotSupported(_("{target}: the {api} cannot set {setting}.").format(
            target=self.camera.target, api=self.api, setting=change.setting), target=self.camera.target)

    def apply(self, changes: list[VendorChange]) -> list[VendorChange]:
        self.applied = []
        target = self.camera.target
        for change in changes:
            if not isinstance(change.after, bool):
                raise NotSupported(_("{target}: the {api} sets {setting} only on or off.").format(
                    target=target, api=self.api, setting=change.setting), target=target)
            before, key = self._current(change)
            path = set_config_path([(key, "true" if change.after else "false")])
            reply = self.http.request("GET", path, call=change.call)
            if reply.status != 200 or reply.body.strip() != b"OK":
                done = ", ".join(c.call for c in self.applied) or _("nothing")
                raise DeviceFault(_("{target} refused {call} (HTTP {status}); applied before it: {done}. Nothing "
                                    "else was changed; check the camera's web page, then retry.").format(
                    target=target, call=change.call, status=reply.status, done=done), target=target,
                    subcode=f"HTTP {reply.status}")
            self.applied.append(change.model_copy(update={"before": before}))
        return list(self.applied)

    # -- outbound registration (issue 15) ----------------------------------------------------------
    #
    # Auto Register (what DSS takes cameras by) lives in the DVRIP config: read with
    # ``getConfig&name=DVRIP`` (above) and written with ``setConfig`` of the same keys without the
    # ``table.`` prefix. Sources: public client code sets ``DVRIP.RegisterServer.Enable=true|false``
    # and ``DVRIP.RegisterServer.Servers[0].Address=<ip>`` exactly so (a Python camera-fleet tool
    # found by exact-string search); a public note on Dahua's DVRIP config shows the same tree
    # (``RegisterServer: {DeviceID, Enable, Servers: [{Address, Port}]}``), which gives
    # ``Servers[0].Port`` and ``DeviceID``. GB/T 28181 on Dahua is the ``VSP_GAYS`` config in the
    # NetSDK headers (CFG_CMD_VSP_GAYS), but no public source shows its HTTP key names, so it is
    # not written here (docs/reference/vendor-dahua.md).

    registration_kinds = ("auto-register",)

    def _register_pairs(self, reg: Registration) -> list[tuple[str, str]]:
        """The setConfig keys and values for ``reg``, each checked before anything is sent."""
        target = self.camera.target
        pairs = [("DVRIP.RegisterServer.Enable", "true" if reg.enabled else "false")]
        if reg.server is not None:
            pairs.append(("DVRIP.RegisterServer.Servers[0].Address", check_host(reg.server, target)))
        if reg.port is not None:
            pairs.append(("DVRIP.RegisterServer.Servers[0].Port", str(check_port(reg.port, target))))
        if reg.device_id is not None:
            pairs.append(("DVRIP.RegisterServer.DeviceID", check_token(reg.device_id, target)))
        return pairs

    def _write_register(self, pairs: list[tuple[str, str]]) -> None:
        """One setConfig with every key: the firmware takes all of them or none (``Error``)."""
        call = call_name("setConfig DVRIP")
        # Values are percent-encoded (they are already plain host names, digits and tokens).
        path = set_config_path([(key, quote(value, safe="")) for key, value in pairs])
        reply = self.http.request("GET", path, call=call)
        if reply.status != 200 or reply.body.strip() != b"OK":
            raise DeviceFault(_("{target} refused {call} (HTTP {status}); the camera's Auto Register settings were "
                                "not changed. Check that the account is an Administrator and the settings on the "
                                "camera's web page, then retry.").format(
                target=self.camera.target, call=call, status=reply.status), target=self.camera.target,
                subcode=f"HTTP {reply.status}")

    def set_registration(self, target: RegistrationTarget) -> Registration:
        if target.kind not in self.registration_kinds:
            return super().set_registration(target)
        wanted = Registration(kind="auto-register", enabled=target.enabled, server=target.server,
                              port=target.port, device_id=target.device_id)
        pairs = self._register_pairs(wanted)  # refuses a bad value before the first request
        before, _sdk_port = self.auto_register()
        self._write_register(pairs)
        return before

    def restore_registration(self, before: Registration) -> None:
        if before.kind not in self.registration_kinds:
            return super().restore_registration(before)
        self._write_register(self._register_pairs(before))
        return None
