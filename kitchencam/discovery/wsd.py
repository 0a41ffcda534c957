"""WS-Discovery for ONVIF: build the Probe, read ProbeMatches, and probe the LAN.

ONVIF devices speak WS-Discovery 1.0 (2005/04) over SOAP-over-UDP with SOAP 1.2 envelopes and
WS-Addressing 2004/08. :class:`Prober` sends one Probe per *type set* (a device answers only if
it has every type of a Probe, and some cameras have only ``tds:Device``, others only
``dn:NetworkVideoTransmitter``):

- multicast: one UDP socket per address of each chosen interface, bound to that address, with
  ``IP_MULTICAST_IF`` on it, TTL 1 and loopback off, so the probe leaves where we say rather than
  where the OS routes 239.255.255.250 (often a VPN or docker bridge). Devices answer unicast to
  the probe's source, so the socket a reply arrives on tells the interface.
- unicast (the sweep): a Probe to UDP 3702 of each address, paced to ``rate_per_s``.

One ``selectors`` loop on the caller's thread does the sending and the reading, so it never
blocks past the deadline and never leaves a thread behind. The ``wsdiscovery`` package's
networking threads are not used (docs/reference/simulator-network.md: its unicast replies are
never read, its IPv6 thread dies on IPv4 targets, and ``start()`` joins multicast on every
interface); its constants agree with ours and its message code is not needed: lxml builds and
reads the XML (docs/reference/discovery.md).
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import ipaddress
import logging
import random
import selectors
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from kitchencam.discovery.interfaces import Interface

logger = logging.getLogger(__name__)

NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
# WS-Discovery 1.1 and its WS-Addressing 1.0: not what we send, but accepted in replies.
NS_WSD11 = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"
NS_WSA10 = "http://www.w3.org/2005/08/addressing"

ACTION_PROBE = NS_WSD + "/Probe"
#: The ``To`` of a multicast Probe in WS-Discovery 2005/04.
ADDRESS_ALL = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"

MULTICAST_GROUP = "239.255.255.250"
DISCOVERY_PORT = 3702
#: SOAP-over-UDP scopes discovery multicast to the link: IPv4 TTL 1.
MULTICAST_TTL = 1
#: Retransmission of multicast UDP (SOAP-over-UDP appendix I as WS-Discovery 2005/04 uses it):
#: send, then repeat MULTICAST_UDP_REPEAT times, waiting T in [MIN, MAX] then doubling up to UPPER.
MULTICAST_UDP_REPEAT = 2
UDP_MIN_DELAY = 0.050
UDP_MAX_DELAY = 0.250
UDP_UPPER_DELAY = 0.500
#: Spec section 4.2: a device answers a multicast Probe within 0..APP_MAX_DELAY.
APP_MAX_DELAY = 0.5
MAX_DATAGRAM = 65535
#: Datagrams read from one socket per wake-up, so one chatty socket cannot starve the others.
_READ_BURST = 64

#: Prefixes for the device types this tool names; a reply's own prefixes are resolved by lxml.
KNOWN_NAMESPACES: dict[str, str] = {
    "dn": "http://www.onvif.org/ver10/network/wsdl",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    # Devices Profile for Web Services: printers, scanners, Windows PCs and NAS answer with these.
    "wsdp": "http://schemas.xmlsoap.org/ws/2006/02/devprof",
    "wprt": "http://schemas.microsoft.com/windows/2006/08/wdp/print",
    "wscn": "http://schemas.microsoft.com/windows/2006/08/wdp/scan",
    "pub": "http://schemas.microsoft.com/windows/pub/2005/07",
}
_PREFIX_OF = {ns: prefix for prefix, ns in KNOWN_NAMESPACES.items()}
# "tdn" is the prefix some cameras use for the same ONVIF network namespace.
_ALIASES = {"tdn": KNOWN_NAMESPACES["dn"]}

#: What ``kitchencam discover`` asks for: each set is one Probe (a device must have every type).
CAMERA_TYPE_SETS: tuple[tuple[str, ...], ...] = (("dn:NetworkVideoTransmitter",), ("tds:Device",))
#: Add an untyped Probe (``()``): every WS-Discovery device answers it, printers and NAS too.
ALL_DEVICES_TYPE_SETS: tuple[tuple[str, ...], ...] = (*CAMERA_TYPE_SETS, ())

QName = tuple[str, str]  # (namespace URI, local name)

# Datagrams come from anyone on the LAN: no entities, no DTD, no network, no huge trees.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)


class MalformedReply(ValueError):
    """A datagram that is not a usable WS-Discovery message. Counted by the prober, never fatal."""


# ---------------------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProbeMatch(_Model):
    """One ``d:ProbeMatch`` as a device sent it, and where it came from."""

    endpoint: str  # EndpointReference/Address, e.g. "urn:uuid:3ea96f68-..."
    types: list[tuple[str, str]] = Field(default_factory=list)  # (namespace, local)
    scopes: list[str] = Field(default_factory=list)  # %-decoded: "onvif://www.onvif.org/name/AXIS M2025"
    scopes_raw: list[str] = Field(default_factory=list)  # as sent, for exact matching
    xaddrs: list[str] = Field(default_factory=list)  # as advertised (may be 0.0.0.0 or another subnet)
    metadata_version: int | None = None
    relates_to: str | None = None  # the MessageID of the Probe this answers
    probe_types: list[str] = Field(default_factory=list)  # that Probe's types, e.g. ["tds:Device"]; [] untyped
    source_ip: str = ""  # who sent the reply
    source_port: int = 0
    interface: str | None = None  # our interface it arrived on; None for unicast over loopback
    local_ip: str | None = None  # our address it arrived on
    local_cidr: str | None = None  # the same with our prefix length, "192.168.1.20/24", when known
    via: Literal["multicast", "unicast"] = "unicast"

    @property
    def type_names(self) -> list[str]:
        """``["dn:NetworkVideoTransmitter", "tds:Device"]``; unknown namespaces as ``{ns}Local``."""
        return [type_name(t) for t in self.types]

    def has_type(self, name: str) -> bool:
        return resolve_type(name) in {tuple(t) for t in self.types}


class ProbeStats(_Model):
    """Counters for one interface, or for the unicast sweep."""

    probes_sent: int = 0  # datagrams sent, retransmissions included
    send_errors: int = 0  # sendto() failed (no route, interface gone, firewall)
    replies: int = 0  # datagrams received
    matches: int = 0  # ProbeMatch elements accepted
    malformed: int = 0  # not XML, not SOAP, not a ProbeMatches we can read
    mismatched: int = 0  # ProbeMatches whose RelatesTo is none of our MessageIDs
    duplicates: int = 0  # same endpoint answering the same Probe again
    ignored: int = 0  # well-formed but not ProbeMatches (a Hello, a SOAP Fault...)


class SocketProblem(_Model):
    """A socket that could not be opened or used; the rest of the probe went on."""

    interface: str | None  # None: the unicast socket
    address: str  # local address, or the target for a failed unicast send
    operation: Literal["bind", "setsockopt", "send", "recv"]
    reason: str  # the OS error, e.g. "[Errno 101] Network is unreachable"


class ProbeResult(_Model):
    matches: list[ProbeMatch] = Field(default_factory=list)  # accepted, in arrival order; not merged
    interfaces: dict[str, ProbeStats] = Field(default_factory=dict)  # by interface name
    unicast: ProbeStats = Field(default_factory=ProbeStats)
    problems: list[SocketProblem] = Field(default_factory=list)
    elapsed_s: float = 0.0
    stopped_early: bool = False  # `expect` endpoints answered before the timeout

    @property
    def endpoints(self) -> set[str]:
        return {m.endpoint for m in self.matches}


# ---------------------------------------------------------------------------------------- types


def resolve_type(name: str) -> QName:
    """``"dn:NetworkVideoTransmitter"`` or ``"{namespace}Local"`` to (namespace, local)."""
    if name.startswith("{"):
        namespace, sep, local = name[1:].partition("}")
        if sep and local:
            return namespace, local
    else:
        prefix, sep, local = name.partition(":")
        namespace = KNOWN_NAMESPACES.get(prefix) or _ALIASES.get(prefix, "")
        if sep and local and namespace:
            return namespace, local
    raise ValueError(f"device type {name!r}: use one of the prefixes {sorted(KNOWN_NAMESPACES)} or {{namespace}}Local")


def type_name(qname: Sequence[str]) -> str:
    namespace, local = qname[0], qname[1]
    prefix = _PREFIX_OF.get(namespace)
    return f"{prefix}:{local}" if prefix else f"{{{namespace}}}{local}"


# ---------------------------------------------------------------------------------------- messages


def new_message_id() -> str:
    return f"uuid:{uuid.uuid4()}"


def build_probe(types: Sequence[QName], message_id: str) -> bytes:
    """A WS-Discovery 2005/04 Probe for ``types`` (all of them; empty: any device), as ONVIF
    clients send it: SOAP 1.2, WS-Addressing 2004/08, the type prefixes declared on the
    Envelope (where the simplest camera firmware looks for them), no Scopes.
    """
    nsmap: dict[str | None, str] = {"s": NS_SOAP12, "a": NS_WSA, "d": NS_WSD}
    names: list[str] = []
    for i, (namespace, local) in enumerate(types):
        prefix = next((p for p, ns in nsmap.items() if ns == namespace), None)
        if prefix is None:
            wanted = _PREFIX_OF.get(namespace) or f"t{i}"
            prefix = wanted if wanted not in nsmap else f"t{i}"
            nsmap[prefix] = namespace
        names.append(f"{prefix}:{local}")
    env = etree.Element(f"{{{NS_SOAP12}}}Envelope", nsmap=nsmap)
    header = etree.SubElement(env, f"{{{NS_SOAP12}}}Header")
    must = {f"{{{NS_SOAP12}}}mustUnderstand": "true"}
    etree.SubElement(header, f"{{{NS_WSA}}}MessageID").text = message_id
    etree.SubElement(header, f"{{{NS_WSA}}}To", must).text = ADDRESS_ALL
    etree.SubElement(header, f"{{{NS_WSA}}}Action", must).text = ACTION_PROBE
    body = etree.SubElement(env, f"{{{NS_SOAP12}}}Body")
    probe = etree.SubElement(body, f"{{{NS_WSD}}}Probe")
    if names:
        etree.SubElement(probe, f"{{{NS_WSD}}}Types").text = " ".join(names)
    # Double-quoted declaration, as ONVIF clients send it (lxml would write single quotes).
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(etree.tostring(env, encoding="UTF-8"))


def _child(parent: etree._Element, local: str, namespaces: Iterable[str]) -> etree._Element | None:
    for ns in namespaces:
        found = parent.find(f"{{{ns}}}{local}")
        if found is not None:
            return found
    return None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return text or None


def _words(el: etree._Element | None) -> list[str]:
    # Real cameras put line breaks and indentation inside Scopes/XAddrs (the Axis and Amcrest
    # captures): any run of XML whitespace separates items.
    text = _text(el)
    return text.split() if text else []


def _qnames(el: etree._Element | None) -> list[QName]:
    if el is None:
        return []
    out: list[QName] = []
    for word in _words(el):
        prefix, sep, local = word.partition(":")
        key: str | None = prefix if sep else None  # unprefixed: the default namespace
        if not sep:
            local = word
        namespace = el.nsmap.get(key)
        if namespace is None and key is not None:
            # An undeclared prefix: sloppy firmware; take the usual meaning of the usual prefixes.
            namespace = _ALIASES.get(key) or KNOWN_NAMESPACES.get(key)
        out.append((namespace or "", local))
    return out


def parse_probe_matches(data: bytes, *, source: tuple[str, int] | None = None, interface: str | None = None,
                        local_ip: str | None = None, local_cidr: str | None = None,
                        via: Literal["multicast", "unicast"] = "unicast") -> list[ProbeMatch]:
    """The ProbeMatch elements of a ProbeMatches datagram, origin fields filled from the arguments.

    Tolerant of what cameras send: SOAP 1.1 or 1.2, any prefixes, WS-Discovery 1.1 namespaces,
    whitespace of any kind between Scopes/XAddrs/Types, several ProbeMatch elements, a missing
    MetadataVersion, a ProbeMatch straight in the Body (no ProbeMatches), a d:EndpointReference
    for wsa:EndpointReference (ipycam 1.3.0 does both). Raises :class:`MalformedReply` for
    anything that is not XML or not a SOAP envelope, or a ProbeMatches without a usable
    ProbeMatch; returns ``[]`` for a well-formed message that is not ProbeMatches (a Hello, a
    Fault) or an empty ProbeMatches.
    """
    if len(data) > MAX_DATAGRAM:
        raise MalformedReply("datagram too large")
    # SOAP 1.2 part 1 section 5: a SOAP message must not carry a document type declaration.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise MalformedReply("document type declaration in a SOAP message")
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise MalformedReply(f"not XML: {exc}") from None
    if root.tag not in (f"{{{NS_SOAP12}}}Envelope", f"{{{NS_SOAP11}}}Envelope"):
        raise MalformedReply(f"not a SOAP envelope: {root.tag!r}")
    soap = etree.QName(root).namespace or NS_SOAP12
    header = root.find(f"{{{soap}}}Header")
    body = root.find(f"{{{soap}}}Body")
    if body is None:
        raise MalformedReply("SOAP envelope without a Body")
    wsa = (NS_WSA, NS_WSA10)
    relates_to = _text(_child(header, "RelatesTo", wsa)) if header is not None else None
    matches_el = _child(body, "ProbeMatches", (NS_WSD, NS_WSD11))
    if matches_el is None:
        # Some devices (ipycam 1.3.0) put one ProbeMatch straight in the Body, without the
        # ProbeMatches that WS-Discovery wraps it in: read it as a ProbeMatches of one.
        if _child(body, "ProbeMatch", (NS_WSD, NS_WSD11)) is None:
            return []
        matches_el = body
    origin = {
        "source_ip": source[0] if source else "",
        "source_port": int(source[1]) if source else 0,
        "interface": interface,
        "local_ip": local_ip,
        "local_cidr": local_cidr,
        "via": via,
    }
    out: list[ProbeMatch] = []
    elements = [el for el in matches_el if isinstance(el.tag, str) and etree.QName(el).localname == "ProbeMatch"]
    for el in elements:
        dns = (etree.QName(el).namespace or NS_WSD,)
        epr = _child(el, "EndpointReference", wsa)
        if epr is None:  # ipycam 1.3.0 writes d:EndpointReference where the schema has wsa:
            epr = _child(el, "EndpointReference", dns)
        endpoint = _text(_child(epr, "Address", wsa)) if epr is not None else None
        if not endpoint:
            continue  # nothing to merge or resolve by: useless, counted below if all are
        raw_scopes = _words(_child(el, "Scopes", dns))
        version_text = _text(_child(el, "MetadataVersion", dns))
        try:
            version = int(version_text) if version_text is not None else None
        except ValueError:
            version = None
        out.append(ProbeMatch(
            endpoint=endpoint,
            types=_qnames(_child(el, "Types", dns)),
            scopes=[unquote(s) for s in raw_scopes],
            scopes_raw=raw_scopes,
            xaddrs=_words(_child(el, "XAddrs", dns)),
            metadata_version=version,
            relates_to=relates_to,
            **origin,  # type: ignore[arg-type]
        ))
    if elements and not out:
        raise MalformedReply("ProbeMatch without an EndpointReference address")
    return out


# ---------------------------------------------------------------------------------------- prober


@dataclass
class _Channel:
    """One socket and what its replies are tagged with."""

    sock: socket.socket
    via: Literal["multicast", "unicast"]
    interface: str | None
    local_ip: str | None
    local_cidr: str | None
    stats: ProbeStats
    send_problem_reported: bool = False


@dataclass
class _Outgoing:
    """A Probe (one MessageID) and its transmissions still to do."""

    channel: _Channel
    dest: tuple[str, int]
    payload: bytes
    repeats_left: int
    delay: float  # next retransmission interval (SOAP-over-UDP back-off)
    target: str | None = None  # unicast: skip the send if this host has answered already
    first: bool = True
    busy_retries: int = 0  # sends put back because the socket buffer was full


_BUSY_RETRIES = 200
_BUSY_BACKOFF_S = 0.01


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    item: _Outgoing = field(compare=False)


def _split_target(target: str, default_port: int) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if sep and host and port.isdigit():
        return str(ipaddress.IPv4Address(host)), int(port)
    return str(ipaddress.IPv4Address(target)), default_port


class Prober:
    """Send WS-Discovery Probes and collect the ProbeMatches, on the caller's thread.

    ``port`` and ``group`` are the destination of probes (3702 and 239.255.255.250 on a real
    LAN); ``rng`` seeds the retransmission jitter (tests).
    """

    def __init__(self, *, port: int = DISCOVERY_PORT, group: str = MULTICAST_GROUP,
                 rng: random.Random | None = None) -> None:
        self.port = port
        self.group = group
        # Retransmission jitter only; not a secret.
        self._rng = rng or random.Random()  # noqa: S311

    def probe(
        self,
        *,
        interfaces: Sequence[Interface],
        unicast_targets: Sequence[str] = (),
        type_sets: Sequence[Sequence[str]] = CAMERA_TYPE_SETS,
        timeout: float = 3.0,
        expect: int | None = None,
        on_match: Callable[[ProbeMatch], None] | None = None,
        rate_per_s: float = 200.0,
    ) -> ProbeResult:
        """Probe by multicast on ``interfaces`` and by unicast to ``unicast_targets`` ("ip" or
        "ip:port"), until ``timeout`` seconds have passed or ``expect`` distinct endpoints have
        answered (but not before every Probe went out once).

        Each type set is its own Probe. Multicast Probes are retransmitted per SOAP-over-UDP;
        unicast ones are sent once per host, paced to ``rate_per_s`` datagrams per second, and a
        host that has answered one type set is not sent the next. ``on_match`` is called for
        each accepted match as it arrives (same thread). Sockets are always closed.
        """
        if timeout <= 0 or rate_per_s <= 0 or (expect is not None and expect < 1):
            raise ValueError("timeout and rate_per_s must be > 0, expect >= 1")
        probe_types = [[resolve_type(t) for t in ts] for ts in type_sets]
        targets = [_split_target(t, self.port) for t in unicast_targets]
        started = time.monotonic()
        deadline = started + timeout
        result = ProbeResult()
        channels: list[_Channel] = []
        selector = selectors.DefaultSelector()
        try:
            schedule: list[_Due] = []
            ours: dict[str, list[str]] = {}  # MessageID -> probe type names
            seq = 0

            def plan(item: _Outgoing, at: float) -> None:
                nonlocal seq
                seq += 1
                heapq.heappush(schedule, _Due(at, seq, item))

            def message(types: list[QName]) -> bytes:
                mid = new_message_id()
                ours[mid] = [type_name(t) for t in types]
                return build_probe(types, mid)

            for iface in interfaces:
                stats = result.interfaces.setdefault(iface.name, ProbeStats())
                if not iface.addresses:
                    result.problems.append(SocketProblem(interface=iface.name, address="", operation="bind",
                                                         reason="no IPv4 address"))
                for addr in iface.addresses:
                    channel = self._multicast_channel(iface, addr, stats, result)
                    if channel is None:
                        continue
                    channels.append(channel)
                    selector.register(channel.sock, selectors.EVENT_READ, channel)
                    for types in probe_types:
                        plan(_Outgoing(channel, (self.group, self.port), message(types), MULTICAST_UDP_REPEAT,
                                       self._rng.uniform(UDP_MIN_DELAY, UDP_MAX_DELAY)), started)

            unicast: dict[bool, _Channel] = {}
            if targets:
                interval = 1.0 / rate_per_s
                n = 0
                for types in probe_types:
                    for host, port in targets:
                        loopback = ipaddress.IPv4Address(host).is_loopback
                        channel_or_none = unicast.get(loopback) or self._unicast_channel(loopback, result)
                        if channel_or_none is None:
                            continue
                        if loopback not in unicast:
                            unicast[loopback] = channel_or_none
                            channels.append(channel_or_none)
                            selector.register(channel_or_none.sock, selectors.EVENT_READ, channel_or_none)
                        plan(_Outgoing(channel_or_none, (host, port), message(types), 0, 0.0, target=host),
                             started + n * interval)
                        n += 1

            self._run(selector, schedule, ours, deadline, expect, on_match, result, interfaces)
        finally:
            selector.close()
            for channel in channels:
                with contextlib.suppress(OSError):
                    channel.sock.close()
        result.elapsed_s = round(time.monotonic() - started, 4)
        return result

    # ------------------------------------------------------------------------------ sockets

    def _multicast_channel(self, iface: Interface, address: ipaddress.IPv4Interface, stats: ProbeStats,
                           result: ProbeResult) -> _Channel | None:
        ip = str(address.ip)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        step: Literal["bind", "setsockopt"] = "bind"
        try:
            sock.bind((ip, 0))
            step = "setsockopt"
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, MULTICAST_TTL)
            # Our own probe echoed back is noise (and on Windows this also stops local copies).
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            result.problems.append(SocketProblem(interface=iface.name, address=ip, operation=step, reason=str(exc)))
            return None
        return _Channel(sock, "multicast", iface.name, ip, str(address), stats)

    @staticmethod
    def _unicast_channel(loopback: bool, result: ProbeResult) -> _Channel | None:
        # Replies come back to the probe's source: from 127.0.0.1 for loopback targets (the
        # simulator), from the kernel's choice otherwise.
        bind_ip = "127.0.0.1" if loopback else "0.0.0.0"  # noqa: S104
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            sock.bind((bind_ip, 0))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            result.problems.append(SocketProblem(interface=None, address=bind_ip, operation="bind", reason=str(exc)))
            return None
        return _Channel(sock, "unicast", None, "127.0.0.1" if loopback else None, None, result.unicast)

    # ------------------------------------------------------------------------------ loop

    def _run(self, selector: selectors.BaseSelector, schedule: list[_Due], ours: dict[str, list[str]],
             deadline: float, expect: int | None, on_match: Callable[[ProbeMatch], None] | None,
             result: ProbeResult, interfaces: Sequence[Interface]) -> None:
        seen: set[tuple[str, str | None]] = set()  # (endpoint, relates_to)
        endpoints: set[str] = set()
        answered: set[str] = set()  # unicast hosts that sent an accepted match
        # `expect` may end the run only once every multicast Probe went out (a device must get
        # each type set); unicast sweeps stop as soon as enough devices answered.
        unsent_first = sum(1 for d in schedule if d.item.target is None)
        route_cache: dict[str, tuple[str | None, str | None, str | None]] = {}
        seq = len(schedule)

        while True:
            now = time.monotonic()
            while schedule and schedule[0].at <= now:
                due = heapq.heappop(schedule)
                item = due.item
                if item.target is not None and item.target in answered:
                    continue
                if not self._send(item, result):
                    # Datagrams to hosts that never answer ARP fill the send buffer on a sparse
                    # subnet: try again shortly instead of losing the probe (bounded).
                    if item.busy_retries < _BUSY_RETRIES:
                        item.busy_retries += 1
                        seq += 1
                        heapq.heappush(schedule, _Due(now + _BUSY_BACKOFF_S, seq, item))
                    continue
                if item.first and item.target is None:
                    unsent_first -= 1
                item.first = False
                if item.repeats_left > 0:
                    item.repeats_left -= 1
                    seq += 1
                    heapq.heappush(schedule, _Due(now + item.delay, seq, item))
                    item.delay = min(item.delay * 2, UDP_UPPER_DELAY)
            if now >= deadline:
                break
            if expect is not None and len(endpoints) >= expect and unsent_first == 0:
                result.stopped_early = True
                break
            wait = deadline - now
            if schedule:
                wait = min(wait, max(0.0, schedule[0].at - now))
            for key, _events in selector.select(wait):
                channel: _Channel = key.data
                # Drain the socket before parsing anything: a burst of 150 replies (50 cameras x 3
                # probe types) overflows a default-sized receive buffer while XML is being parsed.
                received: list[tuple[bytes, tuple[str, int]]] = []
                for _ in range(_READ_BURST):
                    try:
                        received.append(channel.sock.recvfrom(MAX_DATAGRAM))
                    except (BlockingIOError, InterruptedError):
                        break
                    except ConnectionResetError:
                        # Windows reports an ICMP port-unreachable from an earlier unicast probe
                        # on the next recvfrom of an unconnected UDP socket: not our reply, go on.
                        continue
                    except OSError as exc:
                        result.problems.append(SocketProblem(interface=channel.interface,
                                                             address=channel.local_ip or "", operation="recv",
                                                             reason=str(exc)))
                        break
                for data, addr in received:
                    for match in self._accept(channel, data, addr, ours, seen, route_cache, interfaces):
                        endpoints.add(match.endpoint)
                        if match.via == "unicast":
                            answered.add(match.source_ip)
                        result.matches.append(match)
                        if on_match is not None:
                            on_match(match)

    def _send(self, item: _Outgoing, result: ProbeResult) -> bool:
        """False when the socket buffer is full (retry later); a real error is counted, True."""
        channel = item.channel
        try:
            channel.sock.sendto(item.payload, item.dest)
            channel.stats.probes_sent += 1
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            if exc.errno in (errno.ENOBUFS, errno.EAGAIN) and item.busy_retries < _BUSY_RETRIES:
                return False
            channel.stats.send_errors += 1
            # One problem per socket is enough: a /22 without a route would repeat it 1000 times.
            if not channel.send_problem_reported:
                channel.send_problem_reported = True
                address = channel.local_ip if channel.via == "multicast" and channel.local_ip else item.dest[0]
                result.problems.append(SocketProblem(interface=channel.interface, address=address or "",
                                                     operation="send", reason=str(exc)))
        return True

    def _accept(self, channel: _Channel, data: bytes, addr: tuple[str, int], ours: dict[str, list[str]],
                seen: set[tuple[str, str | None]], route_cache: dict[str, tuple[str | None, str | None, str | None]],
                interfaces: Sequence[Interface]) -> list[ProbeMatch]:
        stats = channel.stats
        stats.replies += 1
        interface, local_ip, local_cidr = channel.interface, channel.local_ip, channel.local_cidr
        if channel.via == "unicast" and local_ip is None:
            if addr[0] not in route_cache:
                route_cache[addr[0]] = _route_to(addr[0], interfaces)
            interface, local_ip, local_cidr = route_cache[addr[0]]
        try:
            matches = parse_probe_matches(data, source=(addr[0], addr[1]), interface=interface,
                                          local_ip=local_ip, local_cidr=local_cidr, via=channel.via)
        except MalformedReply as exc:
            stats.malformed += 1
            logger.debug("malformed reply from %s: %s", addr[0], exc)
            return []
        if not matches:
            stats.ignored += 1
            return []
        relates_to = matches[0].relates_to
        if relates_to is None or relates_to not in ours:
            stats.mismatched += 1
            return []
        accepted = []
        for match in matches:
            key = (match.endpoint, relates_to)
            if key in seen:
                stats.duplicates += 1
                continue
            seen.add(key)
            match.probe_types = list(ours[relates_to])
            stats.matches += 1
            accepted.append(match)
        return accepted


def _route_to(ip: str, interfaces: Sequence[Interface]) -> tuple[str | None, str | None, str | None]:
    """(our interface name, our address, our address/prefix) for replies from ``ip`` that came
    to the unicast socket bound to 0.0.0.0.

    ``connect()`` on a UDP socket sends nothing: it only asks the kernel which source address
    it would use. The name comes from the interfaces given, else from all of this computer's.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect((ip, DISCOVERY_PORT))
        local_ip = str(probe.getsockname()[0])
    except OSError:
        return None, None, None
    finally:
        probe.close()
    if ipaddress.IPv4Address(local_ip).is_loopback:
        return None, local_ip, None
    pool: Iterable[Interface] = interfaces
    for attempt in range(2):
        for iface in pool:
            for address in iface.addresses:
                if str(address.ip) == local_ip:
                    return iface.name, local_ip, str(address)
        if attempt == 0:
            from kitchencam.discovery.interfaces import list_interfaces

            try:
                pool = list_interfaces()
            except OSError:
                break
    return None, local_ip, None
