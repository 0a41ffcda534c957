"""WS-Discovery for ONVIF: build the Probe, read ProbeMatches, and probe the LAN.

ONVIF devices speak WS-Discovery 1.0 (2005/04) over SOAP-over-UDP with SOAP 1.2 envelopes and
WS-Addressing 2004/08. :class:`Prober` sends one Probe per *type set* (a device answers only if
it has every type of a Probe, and some cameras have only ``tds:Device``, others only
``dn:NetworkVideoTransmitter``):

- multicast: one UDP socket per address of each chosen interface, bound to that address, with
  ``IP_MULTICAST_IF`` on it, TTL 1 and loopback off, so the probe leaves where we say rather than
  where the OS routes 239.255.255.250 (often a VPN or docker bridge). Devices answer unicast to
  the probe's source, so the socket a reply arrives on tells the interface.
- unicast (the sweep): a Probe to UDP 3702 of each address, paced to ``rate_per_s``. A sweep
  ends when every address has answered, refused (ICMP unreachable, read from the socket's error
  queue on Linux) or stayed silent for an adaptive grace after its last Probe (RTT-based), and
  never later than ``timeout``. Replies come only from addresses that were probed.

Everything a datagram carries is bounded: the bytes read, the ProbeMatch elements taken from one
datagram, the XAddrs/scopes/types of one match, the length of each, and the endpoints taken from
one address in one run (see the ``MAX_*`` constants; what was cut is counted and flagged).

One ``selectors`` loop on the caller's thread does the sending and the reading, so it never
blocks past the deadline and never leaves a thread behind. The ``wsdiscovery`` package's
networking threads are not used (docs/reference/simulator-network.md: its unicast replies are
never read, its IPv6 thread dies on IPv4 targets, and ``start()`` joins multicast on every
interface); its constants agree with ours and its message code is not needed: lxml builds and
reads the XML (docs/reference/discovery.md).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import heapq
import ipaddress
import logging
import random
import selectors
import socket
import struct
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from kitchencam.discovery.interfaces import Interface, list_interfaces

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
#: Bytes of one datagram we read; a longer one is malformed. Real ProbeMatches are 1-3 KB.
MAX_DATAGRAM = 32 * 1024
#: ProbeMatch elements taken from one datagram (a device sends one; 150 from one host is an attack).
MAX_MATCHES_PER_DATAGRAM = 4
#: Per ProbeMatch: XAddrs, scopes and types taken; longer lists are cut (counted, flagged).
MAX_XADDRS = 8
MAX_SCOPES = 32
MAX_TYPES = 16
#: Longest XAddr or scope kept (longer ones are dropped, not cut: a cut URL would be wrong), and
#: the longest endpoint reference (a match with a longer one is dropped).
MAX_URI_CHARS = 512
MAX_ENDPOINT_CHARS = 256
#: Distinct endpoints taken from one source address in one run (more are counted and dropped).
MAX_ENDPOINTS_PER_HOST = 4
#: The adaptive end of a unicast sweep (as nmap's RTT timeout): after a host's last Probe, wait
#: GRACE_RTT_FACTOR x the largest round trip seen so far, at least GRACE_MIN_S and at most
#: GRACE_MAX_S; GRACE_INITIAL_S while no host has answered yet. ``timeout`` bounds it all.
GRACE_INITIAL_S = 1.0
GRACE_MIN_S = 0.5
GRACE_RTT_FACTOR = 4.0
GRACE_MAX_S = 3.0
#: Linux: ICMP errors for an unconnected UDP socket are queued with the probed address
#: (ip(7) IP_RECVERR); Python names the option only from 3.12 on.
_IP_RECVERR = getattr(socket, "IP_RECVERR", 11) if sys.platform.startswith("linux") else None
#: ICMP answers that settle a probed host: nothing listens on 3702 there, or nobody is there.
_REFUSALS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH}
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
    # What the bounds cut from this reply: "matches" (more ProbeMatch elements in the datagram),
    # "xaddrs", "scopes", "types" (longer lists), "long" (an XAddr or scope over MAX_URI_CHARS).
    capped: list[str] = Field(default_factory=list)

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
    refused: int = 0  # unicast: probed hosts that answered with ICMP unreachable (nothing on 3702)
    unsolicited: int = 0  # unicast: replies from an address that was not probed (dropped)
    capped: int = 0  # datagrams of which the bounds cut something (see ProbeMatch.capped)


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
    # Why probing ended: "timeout"; "expect" (enough endpoints); "complete" (sweep: every probed
    # host answered or refused); "grace" (sweep: the rest stayed silent past the grace).
    stop_reason: Literal["timeout", "expect", "complete", "grace"] = "timeout"
    rtt_max_s: float | None = None  # sweep: the slowest answer to a unicast Probe
    grace_s: float | None = None  # sweep: the grace that applied at the end

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
        raise MalformedReply(f"datagram over {MAX_DATAGRAM} bytes")
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
    cut_matches = False
    for el in elements:
        if len(out) >= MAX_MATCHES_PER_DATAGRAM:
            cut_matches = True
            break
        dns = (etree.QName(el).namespace or NS_WSD,)
        epr = _child(el, "EndpointReference", wsa)
        if epr is None:  # ipycam 1.3.0 writes d:EndpointReference where the schema has wsa:
            epr = _child(el, "EndpointReference", dns)
        endpoint = _text(_child(epr, "Address", wsa)) if epr is not None else None
        if not endpoint or len(endpoint) > MAX_ENDPOINT_CHARS:
            continue  # nothing to merge or resolve by: useless, counted below if all are
        capped: list[str] = []
        raw_scopes = _bounded(_words(_child(el, "Scopes", dns)), MAX_SCOPES, "scopes", capped)
        xaddrs = _bounded(_words(_child(el, "XAddrs", dns)), MAX_XADDRS, "xaddrs", capped)
        types = _qnames(_child(el, "Types", dns))
        if len(types) > MAX_TYPES:
            types = types[:MAX_TYPES]
            capped.append("types")
        types = [(ns[:MAX_URI_CHARS], local[:MAX_URI_CHARS]) for ns, local in types]
        version_text = _text(_child(el, "MetadataVersion", dns))
        try:
            version = int(version_text) if version_text is not None and len(version_text) <= 10 else None
        except ValueError:
            version = None
        if version is not None and not 0 <= version < 2 ** 32:  # xs:unsignedInt
            version = None
        out.append(ProbeMatch(
            endpoint=endpoint,
            types=types,
            scopes=[unquote(s) for s in raw_scopes],
            scopes_raw=raw_scopes,
            xaddrs=xaddrs,
            metadata_version=version,
            relates_to=relates_to,
            capped=capped,
            **origin,  # type: ignore[arg-type]
        ))
    if elements and not out:
        raise MalformedReply("ProbeMatch without a usable EndpointReference address")
    if cut_matches:
        for match in out:
            match.capped.insert(0, "matches")
    return out


def _bounded(words: list[str], limit: int, what: str, capped: list[str]) -> list[str]:
    """``words`` without the ones over MAX_URI_CHARS, at most ``limit``; what was cut in ``capped``."""
    kept = [w for w in words if len(w) <= MAX_URI_CHARS]
    if len(kept) < len(words) and "long" not in capped:
        capped.append("long")
    if len(kept) > limit:
        kept = kept[:limit]
        capped.append(what)
    return kept


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
    recverr: bool = False  # unicast on Linux: ICMP errors are queued with the probed address


@dataclass
class _Outgoing:
    """A Probe (one MessageID) and its transmissions still to do."""

    channel: _Channel
    dest: tuple[str, int]
    payload: bytes
    repeats_left: int
    delay: float  # next retransmission interval (SOAP-over-UDP back-off)
    target: str | None = None  # unicast: skip the send if this host has answered or refused already
    first: bool = True
    busy_retries: int = 0  # sends put back because the socket buffer was full
    message_id: str = ""


_BUSY_RETRIES = 200
_BUSY_BACKOFF_S = 0.01


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    item: _Outgoing = field(compare=False)


@dataclass
class _Sweep:
    """What the unicast sweep knows about its targets, to end as soon as the answers are in."""

    open_hosts: set[str]  # probed, neither answered nor refused
    pending: dict[str, int]  # unicast Probes still scheduled, per host
    waiting: int = 0  # open hosts that still have a Probe scheduled
    last_send: float = 0.0  # when the last unicast Probe left
    rtt_max: float | None = None
    sent_at: dict[str, float] = field(default_factory=dict)  # MessageID -> when it left
    # Unicast Probes in order (type set by type set), paced to one per `interval`: a Probe to a
    # host that has settled is dropped without using its slot.
    queue: collections.deque[_Outgoing] = field(default_factory=collections.deque)
    interval: float = 0.005
    next_at: float = 0.0

    def settle(self, host: str) -> None:
        """``host`` answered or refused: nothing more to send it or wait for."""
        if host in self.open_hosts:
            self.open_hosts.discard(host)
            if self.pending.get(host, 0) > 0:
                self.waiting -= 1

    def dequeued(self, host: str) -> None:
        """A Probe for ``host`` left the schedule (sent, skipped or given up)."""
        self.pending[host] -= 1
        if self.pending[host] == 0 and host in self.open_hosts:
            self.waiting -= 1

    def grace(self) -> float:
        if self.rtt_max is None:
            return GRACE_INITIAL_S
        return min(GRACE_MAX_S, max(GRACE_MIN_S, GRACE_RTT_FACTOR * self.rtt_max))


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
        answered (but not before every multicast Probe went out once). A sweep without
        multicast also ends when every target has answered or refused, or the silent ones have
        had their grace after their last Probe (``result.stop_reason`` says which).

        Each type set is its own Probe. Multicast Probes are retransmitted per SOAP-over-UDP;
        unicast ones are sent once per host, paced to ``rate_per_s`` datagrams per second, and a
        host that has answered or refused is not sent the next type set. Unicast replies from
        an address that was not probed are dropped. ``on_match`` is called for each accepted
        match as it arrives (same thread). Sockets are always closed.
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

            def message(types: list[QName]) -> tuple[str, bytes]:
                mid = new_message_id()
                ours[mid] = [type_name(t) for t in types]
                return mid, build_probe(types, mid)

            multicast = False
            for iface in interfaces:
                stats = result.interfaces.setdefault(iface.name, ProbeStats())
                if not iface.addresses:
                    result.problems.append(SocketProblem(interface=iface.name, address="", operation="bind",
                                                         reason="no IPv4 address"))
                for addr in iface.addresses:
                    channel = self._multicast_channel(iface, addr, stats, result)
                    if channel is None:
                        continue
                    multicast = True
                    channels.append(channel)
                    selector.register(channel.sock, selectors.EVENT_READ, channel)
                    for types in probe_types:
                        mid, payload = message(types)
                        plan(_Outgoing(channel, (self.group, self.port), payload, MULTICAST_UDP_REPEAT,
                                       self._rng.uniform(UDP_MIN_DELAY, UDP_MAX_DELAY), message_id=mid), started)

            unicast: dict[bool, _Channel] = {}
            sweep = _Sweep(open_hosts={host for host, _port in targets}, pending={}, last_send=started,
                           interval=1.0 / rate_per_s, next_at=started)
            if targets:
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
                        mid, payload = message(types)
                        sweep.queue.append(_Outgoing(channel_or_none, (host, port), payload, 0, 0.0, target=host,
                                                     message_id=mid))
                        sweep.pending[host] = sweep.pending.get(host, 0) + 1
            sweep.waiting = sum(1 for host in sweep.open_hosts if sweep.pending.get(host, 0) > 0)
            # Hosts no socket could probe (bind failed) have nothing to wait for.
            for host in [h for h in sweep.open_hosts if not sweep.pending.get(h)]:
                sweep.open_hosts.discard(host)

            self._run(selector, schedule, ours, deadline, expect, on_match, result, interfaces,
                      sweep if targets and not multicast else None, sweep)
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
        # simulator), from the kernel's choice otherwise. One unconnected socket for every
        # target, so a device that answers from another port than 3702 is still heard.
        bind_ip = "127.0.0.1" if loopback else "0.0.0.0"  # noqa: S104
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        recverr = False
        try:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            if _IP_RECVERR is not None:
                try:
                    sock.setsockopt(socket.IPPROTO_IP, _IP_RECVERR, 1)
                    recverr = True
                except OSError:
                    recverr = False  # no refusals then: silent hosts end by the grace
            sock.bind((bind_ip, 0))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            result.problems.append(SocketProblem(interface=None, address=bind_ip, operation="bind", reason=str(exc)))
            return None
        return _Channel(sock, "unicast", None, "127.0.0.1" if loopback else None, None, result.unicast,
                        recverr=recverr)

    @staticmethod
    def _refusals(channel: _Channel) -> list[str]:
        """Probed addresses the socket's error queue says refused (ICMP port/host unreachable).

        Linux queues each ICMP error of an unconnected UDP socket with ``IP_RECVERR`` on, with
        the destination of the datagram that caused it in ``msg_name``. Bounded per call.
        """
        out: list[str] = []
        for _ in range(4 * _READ_BURST):
            try:
                _data, ancdata, _flags, addr = channel.sock.recvmsg(512, 512, socket.MSG_ERRQUEUE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            code = None
            for level, kind, cdata in ancdata:
                if level == socket.IPPROTO_IP and kind == _IP_RECVERR and len(cdata) >= 4:
                    code = struct.unpack_from("=I", cdata)[0]  # sock_extended_err.ee_errno
            if code in _REFUSALS and isinstance(addr, tuple) and addr:
                out.append(str(addr[0]))
        return out

    # ------------------------------------------------------------------------------ loop
    def _run(self, selector: selectors.BaseSelector, schedule: list[_Due], ours: dict[str, list[str]],
             deadline: float, expect: int | None, on_match: Callable[[ProbeMatch], None] | None,
             result: ProbeResult, interfaces: Sequence[Interface], ends_early: _Sweep | None,
             sweep: _Sweep) -> None:
        """The loop. ``sweep`` tracks the unicast targets; ``ends_early`` is it when the run may
        end before the timeout because the answers are in (a sweep without multicast)."""
        seen: set[tuple[str, str | None]] = set()  # (endpoint, relates_to)
        endpoints: set[str] = set()
        probed = set(sweep.pending)
        per_host: dict[str, set[str]] = {}  # source address -> distinct endpoints taken from it
        # `expect` may end the run only once every multicast Probe went out (a device must get
        # each type set); unicast sweeps stop as soon as enough devices answered.
        unsent_first = len(schedule)
        route_cache: dict[str, tuple[str | None, str | None, str | None]] = {}
        seq = len(schedule)

        def refused(hosts: list[str]) -> None:
            for host in hosts:
                if host in sweep.open_hosts:
                    sweep.settle(host)
                    result.unicast.refused += 1

        while True:
            now = time.monotonic()
            while sweep.queue and sweep.next_at <= now:
                item = sweep.queue.popleft()
                assert item.target is not None
                if item.target not in sweep.open_hosts:
                    sweep.dequeued(item.target)
                    continue
                if not self._send(item, result, refused):
                    # Datagrams to hosts that never answer ARP fill the send buffer on a sparse
                    # subnet: try again shortly instead of losing the probe (bounded).
                    if item.busy_retries < _BUSY_RETRIES:
                        item.busy_retries += 1
                        sweep.queue.appendleft(item)
                        sweep.next_at = now + _BUSY_BACKOFF_S
                        break
                    sweep.dequeued(item.target)
                    continue
                sweep.dequeued(item.target)
                sweep.last_send = now
                sweep.sent_at[item.message_id] = now
                # Keep the rate; after a late wake-up catch up by a few slots at most.
                sweep.next_at = max(sweep.next_at + sweep.interval, now - 4 * sweep.interval)
            while schedule and schedule[0].at <= now:
                due = heapq.heappop(schedule)
                item = due.item
                if not self._send(item, result, refused):
                    if item.busy_retries < _BUSY_RETRIES:
                        item.busy_retries += 1
                        seq += 1
                        heapq.heappush(schedule, _Due(now + _BUSY_BACKOFF_S, seq, item))
                    continue
                if item.first:
                    unsent_first -= 1
                item.first = False
                if item.repeats_left > 0:
                    item.repeats_left -= 1
                    seq += 1
                    heapq.heappush(schedule, _Due(now + item.delay, seq, item))
                    item.delay = min(item.delay * 2, UDP_UPPER_DELAY)
            if now >= deadline:
                result.stop_reason = "timeout"
                break
            if expect is not None and len(endpoints) >= expect and unsent_first == 0:
                result.stopped_early = True
                result.stop_reason = "expect"
                break
            wait = deadline - now
            if ends_early is not None and ends_early.waiting == 0:
                if not ends_early.open_hosts:
                    result.stop_reason = "complete"
                    break
                give_up = ends_early.last_send + ends_early.grace()
                if now >= give_up:
                    result.stop_reason = "grace"
                    break
                wait = min(wait, give_up - now)
            if schedule:
                wait = min(wait, max(0.0, schedule[0].at - now))
            if sweep.queue:
                wait = min(wait, max(0.0, sweep.next_at - now))
            for key, _events in selector.select(wait):
                channel: _Channel = key.data
                # Drain the socket before parsing anything: a burst of 150 replies (50 cameras x 3
                # probe types) overflows a default-sized receive buffer while XML is being parsed.
                received: list[tuple[bytes, tuple[str, int]]] = []
                for _ in range(_READ_BURST):
                    try:
                        received.append(channel.sock.recvfrom(MAX_DATAGRAM + 1))
                    except (BlockingIOError, InterruptedError):
                        break
                    except ConnectionResetError:
                        # Windows reports an ICMP port-unreachable from an earlier unicast probe
                        # on the next recvfrom of an unconnected UDP socket: not our reply, go on.
                        continue
                    except OSError as exc:
                        if channel.recverr and exc.errno in _REFUSALS:
                            continue  # an ICMP error pending on the socket: read from the queue below
                        result.problems.append(SocketProblem(interface=channel.interface,
                                                             address=channel.local_ip or "", operation="recv",
                                                             reason=str(exc)))
                        break
                if channel.recverr:
                    refused(self._refusals(channel))
                arrived = time.monotonic()
                for data, addr in received:
                    if channel.via == "unicast" and addr[0] not in probed:
                        # Only a probed address may answer a sweep: anything else could steer
                        # the later reads (and credentials) to a host nobody asked about.
                        channel.stats.replies += 1
                        channel.stats.unsolicited += 1
                        continue
                    for match in self._accept(channel, data, addr, ours, seen, route_cache, interfaces, per_host):
                        endpoints.add(match.endpoint)
                        if match.via == "unicast":
                            sent = sweep.sent_at.get(match.relates_to or "")
                            if sent is not None:
                                rtt = max(0.0, arrived - sent)
                                sweep.rtt_max = rtt if sweep.rtt_max is None else max(sweep.rtt_max, rtt)
                            sweep.settle(match.source_ip)
                        result.matches.append(match)
                        if on_match is not None:
                            on_match(match)
        if probed:
            result.rtt_max_s = round(sweep.rtt_max, 4) if sweep.rtt_max is not None else None
            result.grace_s = sweep.grace()

    def _send(self, item: _Outgoing, result: ProbeResult, refused: Callable[[list[str]], None]) -> bool:
        """False when the socket buffer is full (retry later); a real error is counted, True."""
        channel = item.channel
        for attempt in range(2):
            try:
                channel.sock.sendto(item.payload, item.dest)
                channel.stats.probes_sent += 1
            except (BlockingIOError, InterruptedError):
                return False
            except OSError as exc:
                if channel.recverr and exc.errno in _REFUSALS and attempt == 0:
                    # An ICMP error of an earlier Probe was pending on the socket and came out
                    # here instead of this send: read it, then send again.
                    refused(self._refusals(channel))
                    continue
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
        return True

    def _accept(self, channel: _Channel, data: bytes, addr: tuple[str, int], ours: dict[str, list[str]],
                seen: set[tuple[str, str | None]], route_cache: dict[str, tuple[str | None, str | None, str | None]],
                interfaces: Sequence[Interface], per_host: dict[str, set[str]]) -> list[ProbeMatch]:
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
        capped = sorted({c for m in matches for c in m.capped})
        taken = per_host.setdefault(addr[0], set())
        accepted = []
        for match in matches:
            key = (match.endpoint, relates_to)
            if key in seen:
                stats.duplicates += 1
                continue
            if match.endpoint not in taken and len(taken) >= MAX_ENDPOINTS_PER_HOST:
                if "endpoints" not in capped:
                    capped.append("endpoints")
                continue
            seen.add(key)
            taken.add(match.endpoint)
            match.probe_types = list(ours[relates_to])
            stats.matches += 1
            accepted.append(match)
        if capped:
            stats.capped += 1
            logger.warning("reply from %s cut to its bounds (%s): at most %d matches per datagram, %d endpoints "
                           "per address, %d XAddrs, %d scopes", addr[0], ", ".join(capped),
                           MAX_MATCHES_PER_DATAGRAM, MAX_ENDPOINTS_PER_HOST, MAX_XADDRS, MAX_SCOPES)
            for match in accepted:
                if "endpoints" in capped and "endpoints" not in match.capped:
                    match.capped.append("endpoints")
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

            try:
                pool = list_interfaces()
            except OSError:
                break
    return None, local_ip, None
