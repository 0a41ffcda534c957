"""WS-Discovery target service for simulated cameras (and the odd printer).

What ONVIF devices actually speak: WS-Discovery 1.0 (April 2005, namespace
``http://schemas.xmlsoap.org/ws/2005/04/discovery``) over SOAP-over-UDP, SOAP 1.2 envelopes and
WS-Addressing 2004/08. The replies copy the shape of real ProbeMatches (see
``onvif-captures/ONVIF-Camera-Kotlin/.../probeResponse*.xml``): ``SOAP-ENV``/``wsa``/``d``
prefixes, the device's type prefixes declared on the envelope, space-separated Types, Scopes and
XAddrs, ``urn:uuid:`` endpoint references and an AppSequence header.

Two sockets per responder, as on a camera:

* unicast: UDP bound to ``(ip, port)`` (3702 by default). Probes and Resolves sent straight to
  the camera are answered at once, to the sender's address and port.
* multicast (only when ``multicast=True`` and ``ip`` is not loopback): UDP bound to
  ``239.255.255.250:3702`` with ``SO_REUSEADDR`` so several simulated cameras on one host each
  have their own, joined to the group on the interface that owns ``ip``. Replies leave from the
  unicast socket after a random delay of 0..``APP_MAX_DELAY`` (spec section 4.2), so replies from
  many cameras do not collide. Hello goes out when the responder starts and Bye when it stops.

Multicast must only ever be enabled on addresses inside a network namespace the caller built;
loopback is never multicast here (``127.0.0.0/8`` silently disables it).
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import logging
import random
import select
import socket
import struct
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from lxml import etree

logger = logging.getLogger(__name__)

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_SOAP_ENC = "http://www.w3.org/2003/05/soap-encoding"
NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"

ACTION_HELLO = NS_WSD + "/Hello"
ACTION_BYE = NS_WSD + "/Bye"
ACTION_PROBE = NS_WSD + "/Probe"
ACTION_PROBE_MATCHES = NS_WSD + "/ProbeMatches"
ACTION_RESOLVE = NS_WSD + "/Resolve"
ACTION_RESOLVE_MATCHES = NS_WSD + "/ResolveMatches"

#: The "To" of multicast messages (Hello, Bye, Probe, Resolve) in WS-Discovery 2005/04.
ADDRESS_ALL = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
#: The "To" of replies: the anonymous role of WS-Addressing 2004/08.
ADDRESS_ANONYMOUS = NS_WSA + "/role/anonymous"

MATCH_BY_RFC2396 = NS_WSD + "/rfc2396"
#: WS-Discovery 1.1 renamed the default rule; some clients send the 1.1 URI with a 2005/04 probe.
MATCH_BY_RFC3986 = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/rfc3986"
MATCH_BY_UUID = NS_WSD + "/uuid"
MATCH_BY_STRCMP0 = NS_WSD + "/strcmp0"
MATCH_BY_LDAP = NS_WSD + "/ldap"

MULTICAST_GROUP = "239.255.255.250"
DISCOVERY_PORT = 3702
#: Spec section 4.2: a target waits a random 0..APP_MAX_DELAY before answering a multicast message.
APP_MAX_DELAY = 0.5
#: Largest SOAP-over-UDP datagram we read; anything longer is not a discovery message.
MAX_DATAGRAM = 65535
#: How many recent MessageIDs we remember: clients repeat every UDP message (SOAP-over-UDP
#: UNICAST_UDP_REPEAT / MULTICAST_UDP_REPEAT) and a receiver answers each message once.
SEEN_MESSAGE_IDS = 512

#: Prefixes the ``types`` argument may use without spelling out their namespace.
DEFAULT_NAMESPACES: dict[str, str] = {
    "dn": "http://www.onvif.org/ver10/network/wsdl",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "tdn": "http://www.onvif.org/ver10/network/wsdl",
    # Devices Profile for Web Services (printers, scanners answer with these).
    "wsdp": "http://schemas.xmlsoap.org/ws/2006/02/devprof",
    "wprt": "http://schemas.microsoft.com/windows/2006/08/wdp/print",
    "wscn": "http://schemas.microsoft.com/windows/2006/08/wdp/scan",
}

# Hardened parser for datagrams from the network: no entities, no DTD fetching, no huge trees.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_blank_text=False)


@dataclass(frozen=True)
class DeviceType:
    """A device type as a resolved QName; ``prefix`` is only how we write it in our replies."""

    namespace: str
    local: str
    prefix: str


def parse_device_type(value: str, namespaces: dict[str, str] | None = None) -> DeviceType:
    """Turn ``"dn:NetworkVideoTransmitter"`` or ``"{ns}Local"`` into a :class:`DeviceType`."""
    known = {**DEFAULT_NAMESPACES, **(namespaces or {})}
    if value.startswith("{"):
        namespace, _, local = value[1:].partition("}")
        prefix = next((p for p, ns in known.items() if ns == namespace), "")
        return DeviceType(namespace, local, prefix or f"ns{len(known)}")
    prefix, sep, local = value.partition(":")
    if not sep or not prefix or not local:
        raise ValueError(f"device type {value!r} must be prefix:Local or {{namespace}}Local")
    if prefix not in known:
        raise ValueError(f"device type {value!r}: unknown prefix {prefix!r}; pass its namespace")
    return DeviceType(known[prefix], local, prefix)


def resolve_qnames(text: str, element: etree._Element) -> list[tuple[str, str]] | None:
    """Resolve a space-separated QName list against the in-scope namespaces of ``element``.

    Returns (namespace, local name) pairs, or None when a prefix is not declared: such a
    Probe cannot match anything (the type it asks for is unknowable).
    """
    nsmap = element.nsmap
    out: list[tuple[str, str]] = []
    for item in text.split():
        prefix, sep, local = item.partition(":")
        if sep:
            namespace = nsmap.get(prefix)
            if namespace is None:
                return None
        else:
            local = prefix
            namespace = nsmap.get(None, "")
        out.append((namespace, local))
    return out


def types_match(probe_types: Iterable[tuple[str, str]], device_types: Iterable[DeviceType]) -> bool:
    """Spec 5.1: every type in the Probe must be one of the device's (namespace + local name)."""
    have = {(t.namespace, t.local) for t in device_types}
    return all(t in have for t in probe_types)


def _segments(path: str) -> list[str] | None:
    """Canonical path segments for the rfc2396/rfc3986 rule; None when '.' or '..' appear."""
    parts = [unquote(p) for p in path.split("/")]
    if parts and parts[0] == "":
        parts = parts[1:]
    # "onvif://www.onvif.org/location/" and ".../location" name the same scope.
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if any(p in (".", "..") for p in parts):
        return None
    return parts


def scope_matches(probe_scope: str, device_scope: str, match_by: str | None = None) -> bool:
    """Does ``probe_scope`` (S1) match ``device_scope`` (S2) under the rule ``match_by``?

    Default (rfc2396 in 2005/04, rfc3986 in 1.1): scheme and authority equal ignoring case, and
    the path segments of S1 a segment-wise prefix of those of S2 (so ``.../abc`` matches
    ``.../abc/def`` but not ``.../abcd``); query and fragment are not compared.
    ``strcmp0``: exact string equality. ``uuid``: equal UUIDs. Any other rule matches nothing.
    """
    rule = (match_by or "").strip() or MATCH_BY_RFC2396
    if rule == MATCH_BY_STRCMP0:
        return probe_scope == device_scope
    if rule == MATCH_BY_UUID:
        try:
            return uuid.UUID(probe_scope) == uuid.UUID(device_scope)
        except ValueError:
            return False
    if rule not in (MATCH_BY_RFC2396, MATCH_BY_RFC3986):
        # ldap and unknown rules: not supported, so no match (the spec allows a fault instead).
        return False
    s1, s2 = urlsplit(probe_scope), urlsplit(device_scope)
    if s1.scheme.lower() != s2.scheme.lower() or s1.netloc.lower() != s2.netloc.lower():
        return False
    seg1, seg2 = _segments(s1.path), _segments(s2.path)
    if seg1 is None or seg2 is None:
        return False
    return seg2[: len(seg1)] == seg1


def scopes_match(probe_scopes: Sequence[str], match_by: str | None, device_scopes: Sequence[str]) -> bool:
    """Every scope in the Probe must match at least one of the device's scopes."""
    return all(any(scope_matches(s, d, match_by) for d in device_scopes) for s in probe_scopes)


def _text(parent: etree._Element, path: str) -> str | None:
    el = parent.find(path)
    if el is None or el.text is None:
        return None
    return el.text.strip()


@dataclass
class _Pending:
    due: float
    seq: int
    payload: bytes
    dest: tuple[str, int]

    def __lt__(self, other: _Pending) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


class DiscoveryResponder:
    """A WS-Discovery target service for one simulated device.

    ``types`` are QNames (``"dn:NetworkVideoTransmitter"``, ``"tds:Device"``; prefixes from
    :data:`DEFAULT_NAMESPACES` or ``namespaces``; ``"{uri}Local"`` works too). ``scopes`` are
    URIs; a space inside one is sent as ``%20`` as devices do. ``xaddrs`` are advertised exactly
    as given, including the broken ones real cameras send (``http://0.0.0.0/onvif/...`` or an
    address from another subnet). ``port`` is the unicast port (3702 on a real device).
    """

    def __init__(
        self,
        ip: str,
        endpoint_reference: str,
        types: list[str],
        scopes: list[str],
        xaddrs: list[str],
        multicast: bool = True,
        metadata_version: int = 1,
        rng_seed: int | None = None,
        *,
        port: int = DISCOVERY_PORT,
        namespaces: dict[str, str] | None = None,
        instance_id: int | None = None,
    ) -> None:
        self.ip = str(ipaddress.IPv4Address(ip))
        self.endpoint_reference = endpoint_reference
        self.types = [parse_device_type(t, namespaces) for t in types]
        self.scopes = [s.replace(" ", "%20") for s in scopes]
        self.xaddrs = list(xaddrs)
        self.metadata_version = int(metadata_version)
        self.multicast = bool(multicast) and not ipaddress.IPv4Address(self.ip).is_loopback
        # Reply jitter and message ids only; reproducible when seeded, not a secret.
        self._rng = random.Random(rng_seed)  # noqa: S311
        self._requested_port = port
        # InstanceId changes each time the device restarts; a boot timestamp is what cameras use.
        self.instance_id = instance_id if instance_id is not None else int(time.time())
        self._message_number = 0
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._pending: list[_Pending] = []
        self._pending_seq = 0
        self._unicast: socket.socket | None = None
        self._mcast: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        #: Counters tests can read: messages answered, ignored, malformed.
        self.stats = {"probes": 0, "resolves": 0, "replies": 0, "ignored": 0, "malformed": 0}

    # ---------------------------------------------------------------- lifecycle
    @property
    def port(self) -> int:
        if self._unicast is None:
            return self._requested_port
        return int(self._unicast.getsockname()[1])

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("responder already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.ip, self._requested_port))
            sock.setblocking(False)
            if self.multicast:
                # Hello/Bye leave from this socket: pin them to our interface, one hop only.
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(self.ip))
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        except OSError:
            sock.close()
            raise
        self._unicast = sock
        if self.multicast:
            try:
                self._mcast = self._open_multicast()
            except OSError:
                self._close_sockets()
                raise
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name=f"wsd-{self.ip}:{self.port}", daemon=True)
        self._thread.start()
        if self.multicast:
            self._queue((MULTICAST_GROUP, DISCOVERY_PORT), self._hello(), self._delay())

    def stop(self, timeout: float = 5.0) -> None:
        thread = self._thread
        if thread is None:
            return
        if self.multicast and self._unicast is not None:
            try:
                self._unicast.sendto(self._bye(), (MULTICAST_GROUP, DISCOVERY_PORT))
            except OSError as exc:
                logger.debug("bye from %s not sent: %s", self.ip, exc)
        self._stop.set()
        self._wake()
        thread.join(timeout)
        self._thread = None
        self._close_sockets()

    def __enter__(self) -> DiscoveryResponder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open_multicast(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # Linux: only deliver groups *this* socket joined on *its* interface (IP_MULTICAST_ALL,
            # 49, is missing from Python's socket module), so a camera on veth0 does not hear
            # probes that arrived on veth1.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_MULTICAST_ALL", 49), 0)
            sock.bind((MULTICAST_GROUP, DISCOVERY_PORT))
            mreq = struct.pack("4s4s", socket.inet_aton(MULTICAST_GROUP), socket.inet_aton(self.ip))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    def _close_sockets(self) -> None:
        for name in ("_unicast", "_mcast", "_wake_r", "_wake_w"):
            sock = getattr(self, name)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
                setattr(self, name, None)

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    # ---------------------------------------------------------------- loop
    def _serve(self) -> None:
        readers = [s for s in (self._unicast, self._mcast, self._wake_r) if s is not None]
        while not self._stop.is_set():
            timeout = 1.0
            with self._lock:
                if self._pending:
                    timeout = max(0.0, min(timeout, self._pending[0].due - time.monotonic()))
            try:
                ready, _, _ = select.select(readers, [], [], timeout)
            except (OSError, ValueError):
                break
            for sock in ready:
                if sock is self._wake_r:
                    with contextlib.suppress(OSError):
                        sock.recv(64)
                    continue
                try:
                    data, addr = sock.recvfrom(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as exc:
                    logger.debug("recv on %s failed: %s", self.ip, exc)
                    continue
                self._handle(data, addr, via_multicast=sock is self._mcast)
            self._flush_due()

    def _flush_due(self) -> None:
        now = time.monotonic()
        due: list[_Pending] = []
        with self._lock:
            while self._pending and self._pending[0].due <= now:
                due.append(heapq.heappop(self._pending))
        for item in due:
            self._send(item.payload, item.dest)

    def _send(self, payload: bytes, dest: tuple[str, int]) -> None:
        if self._unicast is None:
            return
        try:
            self._unicast.sendto(payload, dest)
            self.stats["replies"] += 1
        except OSError as exc:
            logger.debug("reply to %s failed: %s", dest, exc)

    def _queue(self, dest: tuple[str, int], payload: bytes, delay: float) -> None:
        if delay <= 0:
            self._send(payload, dest)
            return
        with self._lock:
            self._pending_seq += 1
            heapq.heappush(self._pending, _Pending(time.monotonic() + delay, self._pending_seq, payload, dest))
        self._wake()

    def _delay(self) -> float:
        return self._rng.uniform(0.0, APP_MAX_DELAY)

    # ---------------------------------------------------------------- messages in
    def _handle(self, data: bytes, addr: tuple[str, int], *, via_multicast: bool) -> None:
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError:
            self.stats["malformed"] += 1
            return
        if root.tag != f"{{{NS_SOAP}}}Envelope":
            # SOAP 1.1 or not SOAP at all: ONVIF devices answer SOAP 1.2 probes only.
            self.stats["ignored"] += 1
            return
        header = root.find(f"{{{NS_SOAP}}}Header")
        body = root.find(f"{{{NS_SOAP}}}Body")
        if header is None or body is None:
            self.stats["malformed"] += 1
            return
        action = _text(header, f"{{{NS_WSA}}}Action")
        message_id = _text(header, f"{{{NS_WSA}}}MessageID")
        if not action or not message_id:
            self.stats["malformed"] += 1
            return
        with self._lock:
            if message_id in self._seen:
                self.stats["ignored"] += 1
                return
            self._seen[message_id] = None
            while len(self._seen) > SEEN_MESSAGE_IDS:
                self._seen.popitem(last=False)
        delay = self._delay() if via_multicast else 0.0
        if action == ACTION_PROBE:
            probe = body.find(f"{{{NS_WSD}}}Probe")
            if probe is None:
                self.stats["malformed"] += 1
                return
            self.stats["probes"] += 1
            if self.matches_probe(probe):
                self._queue(addr, self._probe_matches(message_id), delay)
        elif action == ACTION_RESOLVE:
            self.stats["resolves"] += 1
            address = _text(body, f"{{{NS_WSD}}}Resolve/{{{NS_WSA}}}EndpointReference/{{{NS_WSA}}}Address")
            if address == self.endpoint_reference:
                self._queue(addr, self._resolve_matches(message_id), delay)
        else:
            # Hello/Bye/matches from other devices: a target service ignores them.
            self.stats["ignored"] += 1

    def matches_probe(self, probe: etree._Element) -> bool:
        """Spec 5.1 matching of a parsed ``d:Probe`` element against this device."""
        types_el = probe.find(f"{{{NS_WSD}}}Types")
        if types_el is not None and (types_el.text or "").strip():
            wanted = resolve_qnames(types_el.text or "", types_el)
            if wanted is None or not types_match(wanted, self.types):
                return False
        scopes_el = probe.find(f"{{{NS_WSD}}}Scopes")
        if scopes_el is not None and (scopes_el.text or "").strip():
            wanted_scopes = (scopes_el.text or "").split()
            if not scopes_match(wanted_scopes, scopes_el.get("MatchBy"), self.scopes):
                return False
        return True

    # ---------------------------------------------------------------- messages out
    def _next_message_number(self) -> int:
        with self._lock:
            self._message_number += 1
            return self._message_number

    def _new_message_id(self) -> str:
        return "uuid:" + str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _envelope(self, action: str, to: str, relates_to: str | None) -> tuple[etree._Element, etree._Element]:
        nsmap: dict[str | None, str] = {
            "SOAP-ENV": NS_SOAP,
            "SOAP-ENC": NS_SOAP_ENC,
            "wsa": NS_WSA,
            "d": NS_WSD,
        }
        for t in self.types:
            nsmap.setdefault(t.prefix, t.namespace)
        env = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap=nsmap)
        header = etree.SubElement(env, f"{{{NS_SOAP}}}Header")
        must = f"{{{NS_SOAP}}}mustUnderstand"
        etree.SubElement(header, f"{{{NS_WSA}}}MessageID").text = self._new_message_id()
        if relates_to is not None:
            etree.SubElement(header, f"{{{NS_WSA}}}RelatesTo").text = relates_to
        etree.SubElement(header, f"{{{NS_WSA}}}To", {must: "true"}).text = to
        etree.SubElement(header, f"{{{NS_WSA}}}Action", {must: "true"}).text = action
        etree.SubElement(header, f"{{{NS_WSD}}}AppSequence", {
            must: "true",
            "MessageNumber": str(self._next_message_number()),
            "InstanceId": str(self.instance_id),
        })
        body = etree.SubElement(env, f"{{{NS_SOAP}}}Body")
        return env, body

    def _describe(self, parent: etree._Element, *, with_metadata: bool = True) -> None:
        epr = etree.SubElement(parent, f"{{{NS_WSA}}}EndpointReference")
        etree.SubElement(epr, f"{{{NS_WSA}}}Address").text = self.endpoint_reference
        if self.types:
            etree.SubElement(parent, f"{{{NS_WSD}}}Types").text = " ".join(
                f"{t.prefix}:{t.local}" for t in self.types)
        if self.scopes:
            etree.SubElement(parent, f"{{{NS_WSD}}}Scopes").text = " ".join(self.scopes)
        if self.xaddrs:
            etree.SubElement(parent, f"{{{NS_WSD}}}XAddrs").text = " ".join(self.xaddrs)
        if with_metadata:
            etree.SubElement(parent, f"{{{NS_WSD}}}MetadataVersion").text = str(self.metadata_version)

    @staticmethod
    def _serialize(env: etree._Element) -> bytes:
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")

    def _probe_matches(self, relates_to: str) -> bytes:
        env, body = self._envelope(ACTION_PROBE_MATCHES, ADDRESS_ANONYMOUS, relates_to)
        matches = etree.SubElement(body, f"{{{NS_WSD}}}ProbeMatches")
        self._describe(etree.SubElement(matches, f"{{{NS_WSD}}}ProbeMatch"))
        return self._serialize(env)

    def _resolve_matches(self, relates_to: str) -> bytes:
        env, body = self._envelope(ACTION_RESOLVE_MATCHES, ADDRESS_ANONYMOUS, relates_to)
        matches = etree.SubElement(body, f"{{{NS_WSD}}}ResolveMatches")
        self._describe(etree.SubElement(matches, f"{{{NS_WSD}}}ResolveMatch"))
        return self._serialize(env)

    def _hello(self) -> bytes:
        env, body = self._envelope(ACTION_HELLO, ADDRESS_ALL, None)
        self._describe(etree.SubElement(body, f"{{{NS_WSD}}}Hello"))
        return self._serialize(env)

    def _bye(self) -> bytes:
        env, body = self._envelope(ACTION_BYE, ADDRESS_ALL, None)
        bye = etree.SubElement(body, f"{{{NS_WSD}}}Bye")
        epr = etree.SubElement(bye, f"{{{NS_WSA}}}EndpointReference")
        etree.SubElement(epr, f"{{{NS_WSA}}}Address").text = self.endpoint_reference
        return self._serialize(env)

    # Public builders, for tests and for the orchestrator's "what would this camera say" output.
    def probe_matches_xml(self, relates_to: str) -> bytes:
        return self._probe_matches(relates_to)

    def hello_xml(self) -> bytes:
        return self._hello()

    def bye_xml(self) -> bytes:
        return self._bye()
