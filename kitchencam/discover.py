"""``kitchencam discover``: find every camera on the school LAN and record it in the inventory.

Probing is ``kitchencam.discovery`` (multicast per interface, unicast sweep, HTTP check); this
module merges what came back into one row per device (by WS-Discovery endpoint reference),
picks a usable XAddr, tells cameras from printers and PCs, reads each device's clock (and, with
credentials, its identity), and records the result in the store. It prints nothing.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import BaseModel, Field

from kitchencam.discovery import (
    ALL_DEVICES_TYPE_SETS,
    Prober,
    expand_subnets,
    http_onvif_check,
    select_interfaces,
)
from kitchencam.errors import KitchencamError, Unreachable, UsageError
from kitchencam.i18n import _
from kitchencam.models import ErrorItem
from kitchencam.onvif.client import DEVICE, Timeouts, wsdl_document
from kitchencam.onvif.read import read_identity
from kitchencam.store import Store
from kitchencam.workers import DaemonPool

if TYPE_CHECKING:
    from kitchencam.discovery import HttpFinding, ProbeMatch
    from kitchencam.onvif.read import Identity

# A type or scope that makes a device a camera (ONVIF Profile S/T video transmitter).
CAMERA_TYPES = {
    ("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter"),
    ("http://www.onvif.org/ver10/device/wsdl", "Device"),
}
ONVIF_SCOPE_PREFIX = "onvif://www.onvif.org/"
# Server headers of camera web servers (Hikvision "App-webs"/"DNVRS-Webs", Dahua/XiongMai "Webs",
# "uc-httpd", gSOAP): a host that answers HTTP like this but not ONVIF is a camera with ONVIF off.
CAMERA_WEB_SERVERS = ("webs", "hikvision", "dahua", "uc-httpd", "gsoap", "ipcam", "boa/", "lighttpd/ipc")
# A clock before this (a camera reset to its epoch, no RTC battery) is not a real time.
PLAUSIBLE_FROM = datetime(2020, 1, 1, tzinfo=timezone.utc)
ENRICH_WORKERS = 16


class DiscoveredDevice(BaseModel):
    """One device on the LAN, however many times and ways it answered."""

    kind: Literal["camera", "other"]
    address: str
    endpoint: str  # WS-Discovery endpoint reference (urn:uuid:...), or http://ip:port for HTTP-only finds
    xaddr: str | None = None  # the device-service XAddr we will use (repaired)
    xaddrs: list[str] = Field(default_factory=list)  # every XAddr it advertised, as advertised
    types: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list)
    model: str | None = None  # from scopes (hardware), replaced by GetDeviceInformation when read
    name: str | None = None
    location: str | None = None
    profiles: list[str] = Field(default_factory=list)  # ONVIF profiles from scopes: Streaming, T, ...
    manufacturer: str | None = None
    firmware: str | None = None
    serial: str | None = None
    mac: str | None = None
    clock_offset_s: float | None = None
    clock_plausible: bool | None = None
    onvif: Literal["on", "off", "unknown"] = "unknown"
    found_by: list[str] = Field(default_factory=list)  # "multicast", "unicast", "http"
    interfaces: list[str] = Field(default_factory=list)  # our interfaces it answered on
    notes: list[str] = Field(default_factory=list)
    error: ErrorItem | None = None


class InterfaceCount(BaseModel):
    interface: str
    probes_sent: int = 0
    replies: int = 0
    devices: int = 0
    malformed: int = 0
    mismatched: int = 0
    duplicates: int = 0
    refused: int = 0  # sweep: addresses that refused the Probe (nothing listens on UDP 3702)
    unsolicited: int = 0  # sweep: replies from an address that was not probed, dropped
    capped: int = 0  # replies cut to the bounds (too many endpoints, XAddrs, scopes...)


class DiscoverResult(BaseModel):
    site: str | None
    devices: list[DiscoveredDevice]
    cameras: int
    others: int
    searched: list[InterfaceCount]
    subnets: list[str]
    elapsed_s: float
    recorded: bool
    # Why probing ended: "timeout", "expect", "complete" (every probed address answered or
    # refused), "grace" (the silent rest had their grace after their last Probe).
    stopped: Literal["timeout", "expect", "complete", "grace"] | None = None


@dataclass
class DiscoverOptions:
    interfaces: list[str] = field(default_factory=list)
    subnets: list[str] = field(default_factory=list)
    timeout_s: float = 3.0
    expect: int | None = None
    http_port: int = 80
    user: str | None = None
    password: str | None = None


# ---------------------------------------------------------------------------------------------
# merging
# ---------------------------------------------------------------------------------------------


def parse_scopes(scopes: Sequence[str]) -> tuple[str | None, str | None, str | None, list[str]]:
    """(hardware/model, name, location, profiles) from ONVIF scope URIs."""
    hardware = name = location = None
    profiles: list[str] = []
    for scope in scopes:
        if not scope.lower().startswith(ONVIF_SCOPE_PREFIX):
            continue
        rest = scope[len(ONVIF_SCOPE_PREFIX):]
        key, _sep, value = rest.partition("/")
        value = unquote(value).replace("_", " ") if key.lower() in ("name", "location") else unquote(value)
        key = key.lower()
        if key == "hardware" and hardware is None:
            hardware = value
        elif key == "name" and name is None:
            name = value
        elif key == "location" and location is None:
            location = value
        elif key == "profile" and value and value not in profiles:
            profiles.append(value)
    return hardware, name, location, profiles


def is_camera(types: Sequence[tuple[str, str]], scopes: Sequence[str]) -> bool:
    if any((ns, local) in CAMERA_TYPES for ns, local in types):
        return True
    return any(s.lower().startswith(ONVIF_SCOPE_PREFIX + "profile/") for s in scopes)


def choose_xaddr(xaddrs: Sequence[str], source_ip: str) -> str | None:
    """The device-service XAddr to use, always on ``source_ip``, the address the reply came
    from (in a sweep: the address that was probed; the prober drops replies from any other).

    An XAddr whose host is ``source_ip`` is taken (rebuilt without user info); else the first
    http(s) XAddr with its host replaced by ``source_ip``, port and path kept (cameras behind
    NAT, with 0.0.0.0, another interface's address or one from before DHCP changed it). An
    address other than the one that answered is never chosen: it would get the credentials.
    """
    if not source_ip:
        return None
    usable: list[tuple[str, str | None, int | None, str, str]] = []  # scheme, host, port, path, query
    for x in xaddrs:
        try:
            parts = urlsplit(x.strip())
            port = parts.port
            host = parts.hostname
        except ValueError:
            continue  # a port out of range, a broken IPv6 literal
        if parts.scheme.lower() in ("http", "https"):
            usable.append((parts.scheme.lower(), host, port, parts.path or "/", parts.query))
    if not usable:
        return None
    chosen = next((u for u in usable if u[1] == source_ip), usable[0])
    scheme, port, path, query = chosen[0], chosen[2], chosen[3], chosen[4]
    return urlunsplit((scheme, source_ip if port is None else f"{source_ip}:{port}", path, query, ""))


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def merge(matches: Sequence[ProbeMatch]) -> list[DiscoveredDevice]:
    """One row per endpoint reference, whatever interface or method each reply came on."""
    rows: dict[str, DiscoveredDevice] = {}
    for m in matches:
        row = rows.get(m.endpoint)
        if row is None:
            hardware, name, location, profiles = parse_scopes(m.scopes)
            row = DiscoveredDevice(
                kind="camera" if is_camera(m.types, m.scopes) else "other",
                address=m.source_ip,
                endpoint=m.endpoint,
                model=hardware,
                name=name,
                location=location,
                profiles=profiles,
                types=list(m.type_names),
                scopes=list(m.scopes),
                onvif="on" if is_camera(m.types, m.scopes) else "unknown",
            )
            rows[m.endpoint] = row
        for x in m.xaddrs:
            if x not in row.xaddrs:
                row.xaddrs.append(x)
        for t in m.type_names:
            if t not in row.types:
                row.types.append(t)
        if m.via not in row.found_by:
            row.found_by.append(m.via)
        if m.interface and m.interface not in row.interfaces:
            row.interfaces.append(m.interface)
        if row.xaddr is None and row.kind == "camera":
            row.xaddr = choose_xaddr(m.xaddrs, m.source_ip)
        if m.capped and capped_note() not in row.notes:
            row.notes.append(capped_note())
    return list(rows.values())


def capped_note() -> str:
    """The note on a device whose discovery reply was cut to the bounds."""
    return _(
        "Its discovery reply was cut to kitchencam's limits (too many endpoints, addresses or scopes in "
        "one reply). A camera sends one short reply: if you do not know this device, find out what it "
        "is before you give it a password.")


def add_http_findings(devices: list[DiscoveredDevice], findings: Sequence[HttpFinding], port: int) -> None:
    """Hosts that answered HTTP but not WS-Discovery: ONVIF off (or discovery off)."""
    known = {d.address for d in devices}
    for f in findings:
        if f.host in known:
            continue
        xaddr = f"http://{f.host}{'' if port == 80 else f':{port}'}/onvif/device_service"
        server = (f.server or "").lower()
        camera_like = f.onvif_on or any(tag in server for tag in CAMERA_WEB_SERVERS)
        row = DiscoveredDevice(kind="camera" if camera_like else "other", address=f.host,
                               endpoint=f"http://{f.host}:{port}", found_by=["http"],
                               xaddr=xaddr if f.onvif_on else None,
                               onvif="on" if f.onvif_on else ("off" if camera_like else "unknown"))
        if not f.onvif_on and f.server:
            row.name = f.server
        if not camera_like:
            row.notes.append(_("A web server answers on this address; it does not look like a camera."))
        elif f.onvif_on:
            row.notes.append(_("Answers ONVIF but not WS-Discovery: turn on discovery in its web page "
                               "(else use its address directly)."))
        else:
            row.notes.append(_("A web server answers but ONVIF does not: if this is a camera, ONVIF is off. "
                               "Enable it in the camera's web page (Hikvision: Network > Advanced > "
                               "Integration Protocol), then run discover again."))
        devices.append(row)


# ---------------------------------------------------------------------------------------------
# enrichment
# ---------------------------------------------------------------------------------------------


def fetch_identity(xaddr: str, *, user: str | None, password: str | None,
                   timeout_s: float) -> Identity | KitchencamError:
    """Clock (no credentials needed), then identity and MAC with credentials (I/O, any thread)."""

    try:
        return read_identity(xaddr, user=user, password=password,
                             timeouts=Timeouts(connect=min(2.0, timeout_s), read=max(2.0, timeout_s)))
    except KitchencamError as exc:
        return exc


def apply_identity(device: DiscoveredDevice, identity: Identity | KitchencamError) -> None:
    """Fold what was read into the row; an expected failure lands in ``device.error``."""
    if isinstance(identity, KitchencamError):
        device.error = ErrorItem.from_error(identity)
        return
    if identity.time is not None:
        device.clock_offset_s = (round(identity.time.clock_offset_s, 1)
                                 if identity.time.clock_offset_s is not None else None)
        utc = identity.time.utc
        device.clock_plausible = utc is not None and utc >= PLAUSIBLE_FROM
    info = identity.device_info
    if info is not None:
        device.manufacturer = info.manufacturer or None
        device.model = info.model or device.model
        device.firmware = info.firmware or None
        device.serial = info.serial or None
    device.mac = identity.mac or device.mac
    auth_errors = [e for e in identity.errors if e.code in ("AuthFailed", "ClockSkew")]
    if auth_errors:
        first = auth_errors[0]
        device.error = ErrorItem(code=first.code, message=first.message, exit_code=5, target=device.address)


def _readable(device: DiscoveredDevice) -> bool:
    return device.kind == "camera" and device.onvif == "on" and bool(device.xaddr)


def _warm_wsdl() -> None:
    """Parse the device WSDL while the probes are out (the first identity read would wait for it)."""

    wsdl_document(DEVICE)


# ---------------------------------------------------------------------------------------------
# the command's core
# ---------------------------------------------------------------------------------------------

Progress = Callable[[dict[str, int]], None]  # distinct devices so far, per interface ("unicast" too)


def sweep_targets(options: DiscoverOptions) -> list[str]:
    """The addresses ``--subnet`` asks to sweep, once the options are known to be right; a
    :class:`UsageError` naming the option otherwise. Sends nothing (``handover`` checks its
    options with it before its first stage)."""
    if options.timeout_s <= 0 or options.timeout_s > 60:
        raise UsageError(_("--timeout must be between 0 and 60 seconds."))
    if options.expect is not None and options.expect < 1:
        raise UsageError(_("--expect must be at least 1."))
    return expand_subnets(options.subnets) if options.subnets else []


def discover(options: DiscoverOptions, *, progress: Progress | None = None) -> DiscoverResult:
    """Probe, merge, check HTTP, enrich. Records nothing (see ``record``)."""

    targets = sweep_targets(options)
    started = time.monotonic()
    # A subnet sweep is the answer to a network that blocks multicast: multicast goes out only
    # where asked (--interface) or when no subnet was given.
    interfaces = select_interfaces(options.interfaces or None) if options.interfaces or not targets else []
    if not interfaces and not targets:
        raise UsageError(_("No network interface to search: none is up with an IPv4 address and multicast. "
                           "Plug the laptop into the school switch, or give --subnet 192.168.1.0/24."))

    seen: dict[str, set[str]] = {i.name: set() for i in interfaces}
    if targets:
        seen["unicast"] = set()
    pool = DaemonPool(max_workers=ENRICH_WORKERS)
    # One identity read per address per run, whatever number of endpoints it claims to be:
    # address -> (endpoint of the row that owns the read, the read).
    reads: dict[str, tuple[str, Future[Identity | KitchencamError]]] = {}

    def read(endpoint: str, xaddr: str) -> None:
        host = _host(xaddr) or xaddr
        if host not in reads:
            reads[host] = (endpoint, pool.submit(fetch_identity, xaddr, user=options.user,
                                                 password=options.password, timeout_s=options.timeout_s))

    def on_match(match: ProbeMatch) -> None:
        key = "unicast" if match.via == "unicast" else (match.interface or "multicast")
        seen.setdefault(key, set()).add(match.endpoint)
        # Read each camera while the others are still answering: the wait is not added at the end.
        if is_camera(match.types, match.scopes):
            xaddr = choose_xaddr(match.xaddrs, match.source_ip)
            if xaddr:
                read(match.endpoint, xaddr)
        if progress is not None:
            progress({k: len(v) for k, v in seen.items()})

    try:
        pool.submit(_warm_wsdl)
        result = Prober().probe(
            interfaces=interfaces, unicast_targets=[f"{t}" for t in targets], type_sets=ALL_DEVICES_TYPE_SETS,
            timeout=options.timeout_s, expect=options.expect, on_match=on_match,
        )
        devices = merge(result.matches)
        if targets and not result.stopped_early:
            answered = {m.source_ip for m in result.matches}
            silent = [t for t in targets if t not in answered]
            findings = http_onvif_check(silent, port=options.http_port, timeout=0.8, concurrency=64)
            add_http_findings(devices, findings, options.http_port)
        for device in devices:
            if not _readable(device):
                continue
            assert device.xaddr is not None
            read(device.endpoint, device.xaddr)
            owner, future = reads[_host(device.xaddr) or device.xaddr]
            if owner == device.endpoint:
                apply_identity(device, future.result())
            else:
                device.notes.append(_("Another device at this address was read already: kitchencam reads "
                                      "each address once per run."))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: not waiting for a camera's socket read
        raise
    pool.shutdown(wait=True, cancel_futures=True)
    devices.sort(key=lambda d: (d.kind != "camera", ipaddress.ip_address(d.address)))

    searched = []
    for name, stats in result.interfaces.items():
        searched.append(InterfaceCount(interface=name, probes_sent=stats.probes_sent, replies=stats.replies,
                                       devices=len(seen.get(name, ())), malformed=stats.malformed,
                                       mismatched=stats.mismatched, duplicates=stats.duplicates,
                                       capped=stats.capped))
    if targets:
        u = result.unicast
        searched.append(InterfaceCount(interface="unicast", probes_sent=u.probes_sent, replies=u.replies,
                                       devices=len(seen.get("unicast", ())), malformed=u.malformed,
                                       mismatched=u.mismatched, duplicates=u.duplicates, refused=u.refused,
                                       unsolicited=u.unsolicited, capped=u.capped))
    return DiscoverResult(
        site=None, devices=devices, cameras=sum(d.kind == "camera" for d in devices),
        others=sum(d.kind == "other" for d in devices), searched=searched,
        subnets=list(options.subnets), elapsed_s=round(time.monotonic() - started, 2), recorded=False,
        stopped=result.stop_reason,
    )


def record(result: DiscoverResult, store: Store, site_code: str, site_name: str) -> DiscoverResult:
    """Upsert every device into the site's inventory (a second discover updates, never duplicates)."""
    site = store.upsert_site(site_code, site_name)
    for d in result.devices:
        if d.serial:
            store.adopt_device(site.id, d.serial, d.endpoint)
        store.upsert_device(
            site.id, d.endpoint, kind=d.kind, address=d.address, xaddr=d.xaddr, manufacturer=d.manufacturer,
            model=d.model, firmware=d.firmware, serial=d.serial, mac=d.mac, name=d.name, location=d.location,
            found_by=",".join(d.found_by), types=d.types, profiles=d.profiles, xaddrs=d.xaddrs,
            interfaces=d.interfaces, onvif=d.onvif, clock_offset_s=d.clock_offset_s,
        )
    return result.model_copy(update={"site": site_code, "recorded": True})


def errors_of(result: DiscoverResult, expect: int | None) -> list[ErrorItem]:
    """What the envelope reports as errors: per-device failures, and a short count."""
    errors = [d.error for d in result.devices if d.error is not None]
    if expect is not None and len(result.devices) < expect:
        errors.append(ErrorItem.from_error(Unreachable(
            _("Expected {expect} devices, found {found}. Check that the missing cameras have power and a "
              "link light, and that they are on this network; if the switch blocks multicast, add "
              "--subnet with the cameras' subnet.").format(expect=expect, found=len(result.devices)))))
    elif result.cameras == 0:
        errors.append(ErrorItem.from_error(Unreachable(
            _("No camera answered. Check that this laptop is plugged into the cameras' switch (not only "
              "Wi-Fi); if the switch blocks multicast, add --subnet with the cameras' subnet, "
              "e.g. --subnet 192.168.1.0/24."))))
    return errors
