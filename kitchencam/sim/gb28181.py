"""GB/T 28181 registration and keepalive over SIP/UDP: the centre's registrar and a device client.

Only the signalling a camera uses to say "I am here" to a platform (GB/T 28181-2016 §9.1
registration, §9.6 keepalive, §9.10 time through the ``Date`` header); no catalogue, no INVITE,
no media. Two halves share one strict SIP parser:

* :class:`Gb28181Registrar` (the simulated centre's SIP server). A REGISTER without
  ``Authorization`` gets ``401`` with ``WWW-Authenticate: Digest realm="<domain>", nonce=...,
  algorithm=MD5`` (RFC 3261 §22, RFC 2617 §3.2.1); a correct answer ``200`` with ``Expires``,
  ``Contact;expires=`` and ``Date``; a wrong one ``403``; a device ID outside the domain ``403``;
  ``Expires: 0`` unregisters. One password serves every device of the domain, as many platforms
  are set up. A keepalive ``MESSAGE`` (``Content-Type: Application/MANSCDP+xml``, body
  ``<Notify><CmdType>Keepalive</CmdType><SN/><DeviceID/><Status>OK</Status></Notify>``) from a
  registered device gets ``200``; from any other ``403``.
* :class:`SipDevice` (the simulated camera's side): registers with the digest answer,
  re-registers before expiry, sends a keepalive every N seconds and unregisters on ``stop()``.

Forms checked against public material (none copied):

* A Hikvision camera's capture published in GB28181 signalling notes (REGISTER / 401 with
  ``WWW-Authenticate: Digest realm=..., nonce=..., algorithm=MD5`` / REGISTER with
  ``Authorization: Digest username=..., uri=..., response=...`` / ``200 OK`` with
  ``Date: 2013-09-10T16:01:51``; unregistration with ``Expires: 0``; keepalive MESSAGE with
  ``Content-Type: Application/MANSCDP+xml`` and the Notify body above, answered ``200 OK``).
* FutureOrientedGB/gbt_sip_server ``src/sip/handler/register.rs`` (401 then 200; ``Expires: 0``
  unregisters) and its ``src/sip/handler/message/on_keep_alive.rs``.
* lunasaw gb28181 proxy ``DeviceKeepLiveNotify`` (the Notify/Keepalive body); Monibuca
  plugin-gb28181 README (20-digit server ID ``34020000002000000001``, 10-digit realm
  ``3402000000``, register validity and heartbeat interval/retry settings).
* GB/T 28181-2016 §9.10 as quoted in public notes: the last ``200 OK`` of a registration carries
  ``Date: yyyy-MM-ddTHH:mm:ss.SSS`` (local time of the platform; Beijing time in China, the
  centre's zone here, +07:00 by default).
* §9.6: a device is offline after ``keepalive_misses`` (default 3) missed keepalives of
  ``keepalive_interval`` (default 60 s).

Every datagram is untrusted: at most :data:`MAX_DATAGRAM` bytes, parsed strictly (CRLF lines,
UTF-8 start line and headers, Content-Length checked), MANSCDP XML parsed with lxml without
entities, network or DTD. A bad datagram is counted and answered ``400`` (or dropped when it is
not even a request); nothing raises out of the serving loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from lxml import etree

from kitchencam.sim.listener import Listener

logger = logging.getLogger(__name__)

#: Largest datagram read; anything longer is dropped unanswered (GB28181 signalling is far smaller).
MAX_DATAGRAM = 8 * 1024
MAX_HEADERS = 64
#: Seconds a nonce stays valid; an older one gets a new 401 with ``stale=true`` (RFC 2617 §3.2.1).
NONCE_TTL = 300.0
#: Devices the registrar keeps at most; a new one past it is answered 503.
MAX_DEVICES = 10_000
MANSCDP_TYPE = "application/manscdp+xml"

DEVICE_ID = re.compile(r"^[0-9]{20}$")
DOMAIN_ID = re.compile(r"^[0-9]{10}$")

# RFC 3261 §7.3.3 compact header forms.
_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
            "c": "content-type", "e": "content-encoding", "k": "supported", "s": "subject"}
_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
_REQUEST_LINE = re.compile(r"^([A-Z]{3,16}) (sips?:[!-~]{1,256}) SIP/2\.0$")
_STATUS_LINE = re.compile(r"^SIP/2\.0 ([1-6][0-9]{2}) ([^\r\n]{0,128})$")
_URI_USER = re.compile(r"sips?:([^@;>\s:]{1,64})@")
_CSEQ = re.compile(r"^([0-9]{1,10})\s+([A-Z]{3,16})$")
_AUTH_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]*)\s*(?:,|$)')
_EXPIRES_PARAM = re.compile(r";\s*expires\s*=\s*([0-9]{1,10})", re.IGNORECASE)
_MARKUP_DECL = re.compile(rb"<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                              dtd_validation=False, remove_comments=True, remove_pis=True)

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 405: "Method Not Allowed",
            415: "Unsupported Media Type", 423: "Interval Too Brief", 500: "Server Internal Error",
            503: "Service Unavailable"}


class SipParseError(ValueError):
    """A datagram that is not a well-formed SIP message."""


@dataclass
class SipMessage:
    """One parsed SIP request or response (RFC 3261 §7)."""

    method: str | None
    uri: str | None
    status: int | None
    reason: str
    headers: list[tuple[str, str]]  # (lower-case full name, value) in order
    body: bytes

    def get(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    @property
    def cseq(self) -> tuple[int, str] | None:
        match = _CSEQ.match(self.get("cseq") or "")
        return (int(match.group(1)), match.group(2)) if match else None


def parse_message(data: bytes) -> SipMessage:
    """Parse one datagram strictly; raise :class:`SipParseError` for anything malformed."""
    if len(data) > MAX_DATAGRAM:
        raise SipParseError(f"datagram of {len(data)} bytes (at most {MAX_DATAGRAM})")
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise SipParseError("no blank line after the headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise SipParseError("start line or headers are not UTF-8") from None
    lines = text.split("\r\n")
    if any("\n" in line or "\r" in line or "\x00" in line for line in lines):
        raise SipParseError("bare CR, LF or NUL in the headers")
    start = lines[0]
    method = uri = None
    status = None
    reason = ""
    request = _REQUEST_LINE.match(start)
    if request:
        method, uri = request.group(1), request.group(2)
    else:
        response = _STATUS_LINE.match(start)
        if not response:
            raise SipParseError("neither a SIP/2.0 request line nor a status line")
        status, reason = int(response.group(1)), response.group(2)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # RFC 3261 §7.3.1 line folding: continue the previous value
            if not headers:
                raise SipParseError("folded line before any header")
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not _TOKEN.match(name):
            raise SipParseError(f"malformed header line {line[:40]!r}")
        headers.append((_COMPACT.get(name, name), value.strip()))
        if len(headers) > MAX_HEADERS:
            raise SipParseError(f"more than {MAX_HEADERS} headers")
    message = SipMessage(method, uri, status, reason, headers, b"")
    for needed in ("via", "from", "to", "call-id", "cseq"):
        if not message.get(needed):
            raise SipParseError(f"no {needed} header")
    cseq = message.cseq
    if cseq is None or (method is not None and cseq[1] != method):
        raise SipParseError("bad CSeq")
    length = message.get("content-length")
    if length is not None:
        if not length.isdigit() or len(length) > 6:
            raise SipParseError("bad Content-Length")
        n = int(length)
        # RFC 3261 §18.3: over UDP a body shorter than Content-Length is an error; bytes past it
        # are discarded.
        if n > len(body):
            raise SipParseError("body shorter than Content-Length")
        body = body[:n]
    message.body = body
    return message


def _serialize(start: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [start, *(f"{name}: {value}" for name, value in headers), f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("utf-8") + body


def uri_user(value: str) -> str | None:
    """The user part of the first SIP URI in a From/To/Contact value (``<sip:USER@host>``)."""
    inner = value
    if "<" in value:
        inner = value[value.index("<") + 1:]
    match = _URI_USER.search(inner)
    return match.group(1) if match else None


def parse_digest(value: str) -> dict[str, str] | None:
    """``Digest k=v, k="v"`` -> {k: v}; None unless the whole value parses (RFC 2617 §3.2.2)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        match = _AUTH_PARAM.match(rest, pos)
        if not match or match.end() == pos:
            return None
        key, raw = match.group(1).lower(), match.group(2)
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if key in params or len(raw) > 256:
            return None
        params[key] = raw
        pos = match.end()
    return params


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - RFC 2617 Digest is MD5


def digest_response(username: str, realm: str, password: str, method: str, uri: str, nonce: str,
                    qop: str | None = None, nc: str = "", cnonce: str = "") -> str:
    """RFC 2617 §3.2.2.1: MD5(HA1:nonce:HA2), or with qop=auth MD5(HA1:nonce:nc:cnonce:auth:HA2)."""
    ha1 = _md5(f"{username}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    if qop:
        return _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _md5(f"{ha1}:{nonce}:{ha2}")


def gb_date(now: float, tz_hours: float) -> str:
    """GB/T 28181-2016 §9.10 ``Date`` form: ``yyyy-MM-ddTHH:mm:ss.SSS`` in the platform's time."""
    moment = datetime.fromtimestamp(now, timezone(timedelta(hours=tz_hours)))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def parse_manscdp(body: bytes) -> dict[str, str]:
    """A MANSCDP XML body -> {"root": ..., "CmdType": ..., ...} of its simple children.

    lxml without entities, network or DTD; a DOCTYPE or entity declaration is refused outright.
    Raises :class:`SipParseError`.
    """
    if not body.strip():
        raise SipParseError("empty MANSCDP body")
    if _MARKUP_DECL.search(body.replace(b"\x00", b"")):
        raise SipParseError("MANSCDP body declares a DTD or entities")
    try:
        root = etree.fromstring(body, _XML_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SipParseError(f"MANSCDP body is not XML: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise SipParseError("MANSCDP body declares a DTD")
    out = {"root": etree.QName(root).localname}
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if len(child) == 0 and name not in out:
            out[name] = (child.text or "").strip()[:256]
    return out


def keepalive_body(device_id: str, sn: int, status: str = "OK") -> bytes:
    """The §9.6 keepalive Notify (A.2.5 in the standard's schema)."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n'
            f"<SN>{sn}</SN>\r\n<DeviceID>{device_id}</DeviceID>\r\n<Status>{status}</Status>\r\n"
            "</Notify>\r\n").encode()


# ------------------------------------------------------------------------------------ registrar
@dataclass
class Connection:
    """What the registrar knows of one device. Times are wall-clock seconds (time.time())."""

    device_id: str
    registered: bool = False
    registered_at: float | None = None
    expires_at: float | None = None
    last_keepalive: float | None = None
    last_seen: float | None = None
    source: str = ""
    keepalive_status: str | None = None
    registrations: int = 0
    keepalives: int = 0

    def online(self, now: float, keepalive_timeout: float) -> bool:
        """Registered, not expired, and heard from within the keepalive timeout (§9.6)."""
        if not self.registered or self.expires_at is None or now >= self.expires_at:
            return False
        return self.last_seen is not None and now - self.last_seen <= keepalive_timeout


@dataclass
class RegistrarStats:
    datagrams: int = 0
    too_large: int = 0
    malformed: int = 0
    challenged: int = 0
    refused: int = 0
    registered: int = 0
    keepalives: int = 0


class Gb28181Registrar(Listener):
    """The centre's GB28181 SIP server on ``udp://ip:port``; ``start()`` / ``stop()``."""

    via = "gb28181"
    scheme = "udp"
    thread_name = "gb28181"

    def __init__(
        self,
        ip: str,
        port: int = 0,
        *,
        server_id: str,
        domain: str,
        password: str,
        default_expires: int = 3600,
        max_expires: int = 86_400,
        min_expires: int = 1,
        keepalive_interval: float = 60.0,
        keepalive_misses: int = 3,
        tz_hours: float = 7.0,
        max_devices: int = MAX_DEVICES,
    ) -> None:
        if not DOMAIN_ID.match(domain):
            raise ValueError("a GB28181 domain is 10 digits")
        if not DEVICE_ID.match(server_id) or not server_id.startswith(domain):
            raise ValueError("a GB28181 server ID is 20 digits starting with its domain")
        if not password:
            raise ValueError("the registrar needs the domain's device password")
        super().__init__(ip, port, keepalive_interval=keepalive_interval, keepalive_misses=keepalive_misses)
        self.server_id = server_id
        self.domain = domain
        self.password = password
        self.default_expires = default_expires
        self.max_expires = max_expires
        self.min_expires = min_expires
        self.tz_hours = tz_hours
        self.max_devices = max_devices
        self.stats = RegistrarStats()
        self._secret = os.urandom(16)
        self._devices: dict[str, Connection] = {}
        #: device ID -> (refusal code, time.time()) of its last refused REGISTER, for the centre's API.
        self._refusals: dict[str, tuple[str, float]] = {}

    # ---------------------------------------------------------------- lifecycle
    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.ip, self._requested_port))
            sock.settimeout(0.2)
        except BaseException:
            sock.close()
            raise
        return sock

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM + 1)
            except TimeoutError:
                continue
            except OSError as exc:
                if self._stop.is_set():
                    return
                logger.debug("gb28181 recv failed: %s", exc)
                continue
            try:
                reply = self.handle(data, addr)
            except Exception:  # the loop outlives any one datagram; the failure is logged and counted
                logger.exception("gb28181 registrar failed on a datagram from %s", addr)
                self.stats.malformed += 1
                continue
            if reply is not None:
                try:
                    sock.sendto(reply, addr)
                except OSError as exc:
                    logger.debug("gb28181 reply to %s failed: %s", addr, exc)

    # ---------------------------------------------------------------- state (read by the centre)
    def connections(self) -> dict[str, Connection]:
        with self._lock:
            return {k: Connection(**vars(v)) for k, v in self._devices.items()}

    def connection(self, device_id: str) -> Connection | None:
        with self._lock:
            conn = self._devices.get(device_id)
            return Connection(**vars(conn)) if conn is not None else None

    def is_registered(self, device_id: str, now: float) -> bool:
        with self._lock:
            conn = self._devices.get(device_id)
            return conn is not None and conn.registered and (conn.expires_at or 0) > now

    def is_online(self, device_id: str, now: float | None = None) -> bool:
        conn = self.connection(device_id)
        return conn is not None and conn.online(time.time() if now is None else now, self.keepalive_timeout)

    # ---------------------------------------------------------------- protocol
    def handle(self, data: bytes, addr: tuple[str, int]) -> bytes | None:
        """Answer one datagram (None: nothing to send back)."""
        self.stats.datagrams += 1
        if len(data) > MAX_DATAGRAM:
            self.stats.too_large += 1
            return None
        try:
            msg = parse_message(data)
        except SipParseError as exc:
            self.stats.malformed += 1
            logger.debug("gb28181 bad datagram from %s: %s", addr, exc)
            return None
        if msg.method is None or msg.method == "ACK":
            return None  # responses and ACKs are never answered (RFC 3261 §17.2.1)
        if msg.method == "REGISTER":
            return self._register(msg, addr)
        if msg.method == "MESSAGE":
            return self._message(msg, addr)
        if msg.method == "OPTIONS":
            return self._reply(msg, addr, 200, [("Allow", "REGISTER, MESSAGE, OPTIONS, ACK")])
        return self._reply(msg, addr, 405, [("Allow", "REGISTER, MESSAGE, OPTIONS, ACK")])

    def _reply(self, msg: SipMessage, addr: tuple[str, int], status: int,
               extra: list[tuple[str, str]] | None = None, reason: str | None = None) -> bytes:
        """A response copying Via (with received/rport, RFC 3581), From, To (+tag), Call-ID, CSeq."""
        vias = msg.all("via")
        top, comma, rest = vias[0].partition(",")
        top = re.sub(r";\s*rport(?=;|$|\s)", f";rport={addr[1]}", top, count=1)
        if ";received=" not in top:
            top += f";received={addr[0]}"
        vias[0] = top + comma + rest
        to = msg.get("to") or ""
        if ";tag=" not in to.replace(" ", ""):
            to += ";tag=" + secrets.token_hex(6)
        headers = [*(("Via", v) for v in vias), ("From", msg.get("from") or ""), ("To", to),
                   ("Call-ID", msg.get("call-id") or ""), ("CSeq", msg.get("cseq") or ""),
                   ("User-Agent", "kitchencam-centre-sim GB28181")]
        headers.extend(extra or [])
        return _serialize(f"SIP/2.0 {status} {reason or _REASONS.get(status, 'Unknown')}", headers)

    def _nonce(self, now: float) -> str:
        stamp = f"{int(now):x}"
        mac = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        return stamp + mac

    def _nonce_ok(self, nonce: str, now: float) -> bool | None:
        """True fresh, False stale (ours but old), None not ours."""
        if not re.fullmatch(r"[0-9a-f]{1,12}[0-9a-f]{24}", nonce):
            return None
        stamp, mac = nonce[:-24], nonce[-24:]
        want = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        if not hmac.compare_digest(mac, want):
            return None
        return now - int(stamp, 16) <= NONCE_TTL

    def _challenge(self, msg: SipMessage, addr: tuple[str, int], now: float, stale: bool = False) -> bytes:
        self.stats.challenged += 1
        value = f'Digest realm="{self.domain}", nonce="{self._nonce(now)}", algorithm=MD5'
        if stale:
            value += ", stale=true"
        return self._reply(msg, addr, 401, [("WWW-Authenticate", value)])

    def refused_ids(self) -> list[str]:
        """Device IDs whose REGISTER was ever refused (the centre lists them beside the registered)."""
        with self._lock:
            return list(self._refusals)

    def last_refusal(self, device_id: str) -> tuple[str, float] | None:
        """(code, time) of the last REGISTER refused for this device ID, if any."""
        with self._lock:
            return self._refusals.get(device_id)

    def _refuse(self, msg: SipMessage, addr: tuple[str, int], why: str,
                device_id: str | None = None, code: str | None = None) -> bytes:
        self.stats.refused += 1
        if device_id is not None and code is not None and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", device_id):
            with self._lock:
                if device_id in self._refusals or len(self._refusals) < self.max_devices:
                    self._refusals[device_id] = (code, time.time())
        logger.debug("gb28181 refused %s from %s: %s", msg.method, addr, why)
        return self._reply(msg, addr, 403, reason="Forbidden")

    def _expires(self, msg: SipMessage) -> int | None:
        """Requested seconds: the Contact's expires param, else Expires, else the default."""
        contact = msg.get("contact") or ""
        match = _EXPIRES_PARAM.search(contact)
        if match:
            return int(match.group(1))
        header = msg.get("expires")
        if header is None:
            return None if contact.strip() == "*" else self.default_expires
        if not header.isdigit() or len(header) > 10:
            return -1
        return int(header)

    def _register(self, msg: SipMessage, addr: tuple[str, int]) -> bytes:
        now = time.time()
        device_id = uri_user(msg.get("to") or "")
        if device_id is None or not DEVICE_ID.match(device_id) or not device_id.startswith(self.domain):
            return self._refuse(msg, addr, f"device ID {device_id!r} is not 20 digits under {self.domain}",
                                device_id, "bad-device-id")
        expires = self._expires(msg)
        if expires is None or expires < 0:
            return self._reply(msg, addr, 400, reason="Bad Expires")
        auth = msg.get("authorization")
        if auth is None:
            return self._challenge(msg, addr, now)
        params = parse_digest(auth)
        if params is None or not all(params.get(k) for k in ("username", "realm", "nonce", "uri", "response")):
            return self._reply(msg, addr, 400, reason="Bad Authorization")
        if params.get("algorithm", "MD5").upper() != "MD5" or params["realm"] != self.domain:
            return self._refuse(msg, addr, "digest for another realm or algorithm", device_id, "wrong-realm")
        fresh = self._nonce_ok(params["nonce"], now)
        if fresh is None:
            return self._challenge(msg, addr, now)
        if not fresh:
            return self._challenge(msg, addr, now, stale=True)
        qop = params.get("qop")
        if qop is not None and qop != "auth":
            return self._refuse(msg, addr, f"qop {qop!r}", device_id, "bad-auth")
        want = digest_response(params["username"], self.domain, self.password, "REGISTER", params["uri"],
                               params["nonce"], qop, params.get("nc", ""), params.get("cnonce", ""))
        if not hmac.compare_digest(want, params["response"].lower()):
            return self._refuse(msg, addr, "wrong digest answer (password)", device_id, "wrong-password")
        if 0 < expires < self.min_expires:
            return self._reply(msg, addr, 423, [("Min-Expires", str(self.min_expires))])
        granted = min(expires, self.max_expires)
        with self._lock:
            conn = self._devices.get(device_id)
            if conn is None:
                if granted == 0:
                    return self._reply(msg, addr, 200, [("Expires", "0"), ("Date", gb_date(now, self.tz_hours))])
                if len(self._devices) >= self.max_devices:
                    return self._reply(msg, addr, 503)
                conn = self._devices[device_id] = Connection(device_id)
            conn.source = f"{addr[0]}:{addr[1]}"
            conn.last_seen = now
            if granted == 0:
                conn.registered = False
                conn.expires_at = now
            else:
                conn.registered = True
                conn.registered_at = now
                conn.expires_at = now + granted
                conn.registrations += 1
        self.stats.registered += 1
        extra = [("Expires", str(granted)), ("Date", gb_date(now, self.tz_hours))]
        contact = msg.get("contact")
        if granted and contact and contact.strip() != "*":
            bare = _EXPIRES_PARAM.sub("", contact)
            extra.insert(0, ("Contact", f"{bare};expires={granted}"))
        return self._reply(msg, addr, 200, extra)

    def _message(self, msg: SipMessage, addr: tuple[str, int]) -> bytes:
        now = time.time()
        device_id = uri_user(msg.get("from") or "")
        if not self.is_registered(device_id or "", now):
            # Checked before the body is even parsed: strangers get nothing but 403.
            return self._refuse(msg, addr, f"MESSAGE from unregistered device {device_id!r}")
        ctype = (msg.get("content-type") or "").split(";")[0].strip().lower()
        if ctype != MANSCDP_TYPE:
            return self._reply(msg, addr, 415, [("Accept", "Application/MANSCDP+xml")])
        try:
            body = parse_manscdp(msg.body)
        except SipParseError as exc:
            self.stats.malformed += 1
            logger.debug("gb28181 bad MANSCDP from %s: %s", addr, exc)
            return self._reply(msg, addr, 400, reason="Bad MANSCDP Body")
        with self._lock:
            conn = self._devices.get(device_id or "")
            registered = conn is not None and conn.registered and (conn.expires_at or 0) > now
            if conn is None or not registered:
                return self._refuse(msg, addr, f"MESSAGE from unregistered device {device_id!r}")
            if body.get("DeviceID") != device_id:
                return self._reply(msg, addr, 400, reason="DeviceID Does Not Match From")
            conn.last_seen = now
            conn.source = f"{addr[0]}:{addr[1]}"
            if body["root"] == "Notify" and body.get("CmdType") == "Keepalive":
                conn.last_keepalive = now
                conn.keepalives += 1
                conn.keepalive_status = body.get("Status") or None
                self.stats.keepalives += 1
        return self._reply(msg, addr, 200)


# ------------------------------------------------------------------------------------ device
@dataclass
class DeviceStatus:
    registered: bool = False
    registrations: int = 0
    keepalives_ok: int = 0
    failures: int = 0
    last_status: int | None = None
    last_error: str | None = None
    server_date: str | None = None
    gave_up: bool = False
    history: list[str] = field(default_factory=list)

    def note(self, event: str) -> None:
        self.history.append(event)
        del self.history[:-50]  # bounded


class SipDevice:
    """A GB28181 device (the simulated camera's SIP side) dialling out to a registrar.

    ``start()`` binds ``local_ip:0`` and runs one thread: REGISTER (answering the 401 digest
    challenge), re-REGISTER ``reregister_margin`` seconds before the granted expiry, a keepalive
    MESSAGE every ``keepalive_interval`` seconds (a 403 to it means the registrar forgot us: the
    device registers again), and on ``stop()`` an unregistration (``Expires: 0``). Each request is
    retransmitted on RFC 3261's T1 schedule within ``timeout``; after ``max_failures`` failed
    attempts in a row the device gives up (``status.gave_up``) until stopped.
    """

    def __init__(
        self,
        server: tuple[str, int],
        *,
        server_id: str,
        domain: str,
        device_id: str,
        password: str,
        local_ip: str = "127.0.0.1",
        username: str | None = None,
        expires: int = 3600,
        keepalive_interval: float = 60.0,
        reregister_margin: float | None = None,
        timeout: float = 4.0,
        retry_interval: float = 5.0,
        max_failures: int = 5,
    ) -> None:
        self.server = server
        self.server_id = server_id
        self.domain = domain
        self.device_id = device_id
        self.password = password
        self.local_ip = local_ip
        self.username = username or device_id
        self.expires = expires
        self.keepalive_interval = keepalive_interval
        self.reregister_margin = reregister_margin
        self.timeout = timeout
        self.retry_interval = retry_interval
        self.max_failures = max_failures
        self.status = DeviceStatus()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._call_id = f"{secrets.token_hex(8)}@{local_ip}"
        self._from_tag = secrets.token_hex(5)
        self._cseq = 0
        self._sn = 0
        self._challenge: dict[str, str] | None = None
        self._registered_until = 0.0

    @property
    def uri(self) -> str:
        return f"sip:{self.server_id}@{self.domain}"

    @property
    def local_port(self) -> int:
        return int(self._sock.getsockname()[1]) if self._sock is not None else 0

    def start(self) -> None:
        if self._sock is not None:
            raise RuntimeError("device already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.local_ip, 0))
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"gb28181-device-{self.device_id}", daemon=True)
        self._thread.start()

    def stop(self, unregister: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout + 2)
            self._thread = None
        if unregister and self.status.registered and self._sock is not None:
            with contextlib.suppress(OSError, SipParseError):
                self.register(expires=0)
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def __enter__(self) -> SipDevice:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_registered(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status.registered:
                return True
            if self.status.gave_up:
                return False
            time.sleep(0.02)
        return self.status.registered

    # ---------------------------------------------------------------- the loop
    def _run(self) -> None:
        next_register = 0.0
        next_keepalive = float("inf")
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_register:
                ok = self._attempt(self.register)
                if ok:
                    granted = self._registered_until - now
                    margin = self.reregister_margin if self.reregister_margin is not None else max(1.0, granted / 4)
                    next_register = now + max(0.5, granted - margin)
                    next_keepalive = min(next_keepalive, now + self.keepalive_interval)
                else:
                    next_register = now + self.retry_interval
                    next_keepalive = float("inf")
            elif now >= next_keepalive:
                status = self._attempt(self.keepalive)
                next_keepalive = now + self.keepalive_interval
                if not status:
                    next_register = now  # GB28181 §9.6: a keepalive that fails leads to registering again
            if self.status.gave_up:
                return
            self._stop.wait(max(0.01, min(next_register, next_keepalive) - time.monotonic()))

    def _attempt(self, action: Any) -> bool:
        try:
            ok = bool(action())
        except (OSError, SipParseError) as exc:
            ok = False
            self.status.last_error = str(exc)
        if ok:
            self.status.failures = 0
        else:
            self.status.failures += 1
            self.status.note(f"{action.__name__} failed: {self.status.last_error}")
            if self.status.failures >= self.max_failures:
                self.status.gave_up = True
                self.status.registered = False
        return ok

    # ---------------------------------------------------------------- requests
    def _request(self, method: str, extra: list[tuple[str, str]], body: bytes = b"",
                 to_user: str | None = None, final: bool = False) -> SipMessage | None:
        sock = self._sock
        if sock is None:
            raise OSError("device not started")
        self._cseq += 1
        branch = "z9hG4bK" + secrets.token_hex(8)
        port = self.local_port
        to_uri = f"sip:{to_user or self.device_id}@{self.domain}"
        call_id = self._call_id if method == "REGISTER" else f"{secrets.token_hex(8)}@{self.local_ip}"
        headers = [("Via", f"SIP/2.0/UDP {self.local_ip}:{port};rport;branch={branch}"),
                   ("From", f"<sip:{self.device_id}@{self.domain}>;tag={self._from_tag}"),
                   ("To", f"<{to_uri}>"), ("Call-ID", call_id), ("CSeq", f"{self._cseq} {method}"),
                   ("Max-Forwards", "70"), ("User-Agent", "kitchencam-sim-camera GB28181"), *extra]
        data = _serialize(f"{method} {self.uri} SIP/2.0", headers, body)
        deadline = time.monotonic() + self.timeout
        interval = 0.5  # RFC 3261 §17.1.2.2 T1, doubling up to T2 = 4 s
        while time.monotonic() < deadline:
            if self._stop.is_set() and not final:
                return None
            sock.sendto(data, self.server)
            resend = min(deadline, time.monotonic() + interval)
            interval = min(interval * 2, 4.0)
            while (left := resend - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    raw, _addr = sock.recvfrom(MAX_DATAGRAM + 1)
                except TimeoutError:
                    break
                try:
                    reply = parse_message(raw)
                except SipParseError:
                    continue
                if reply.status is None or reply.cseq != (self._cseq, method) or branch not in (reply.get("via") or ""):
                    continue
                if reply.status < 200:
                    continue  # provisional: keep waiting
                return reply
        self.status.last_error = f"no answer to {method} within {self.timeout:g} s"
        return None

    def register(self, expires: int | None = None) -> bool:
        want = self.expires if expires is None else expires
        final = want == 0  # the unregistration in stop() runs after the stop flag is set
        port = self.local_port
        base = [("Contact", f"<sip:{self.device_id}@{self.local_ip}:{port}>"), ("Expires", str(want))]
        extra = base + ([("Authorization", self._authorization())] if self._challenge else [])
        reply = self._request("REGISTER", extra, final=final)
        for _ in range(2):  # a first 401, or a stale nonce: answer the new challenge once
            if reply is None or reply.status != 401:
                break
            params = parse_digest(reply.get("www-authenticate") or "")
            if params is None or not params.get("nonce") or not params.get("realm"):
                self.status.last_error = "401 without a usable Digest challenge"
                return False
            self._challenge = params
            reply = self._request("REGISTER", [*base, ("Authorization", self._authorization())], final=final)
        if reply is None:
            return False
        self.status.last_status = reply.status
        if reply.status != 200:
            self.status.last_error = f"REGISTER answered {reply.status} {reply.reason}"
            self.status.registered = False
            return False
        granted = reply.get("expires")
        seconds = int(granted) if granted and granted.isdigit() else want
        self.status.server_date = reply.get("date")
        if want == 0:
            self.status.registered = False
            self.status.note("unregistered")
            return True
        self._registered_until = time.monotonic() + seconds
        self.status.registered = True
        self.status.registrations += 1
        self.status.note(f"registered for {seconds} s")
        return True

    def _authorization(self) -> str:
        assert self._challenge is not None
        realm, nonce = self._challenge["realm"], self._challenge["nonce"]
        qop = "auth" if "auth" in [q.strip() for q in self._challenge.get("qop", "").split(",")] else None
        cnonce = secrets.token_hex(8) if qop else ""
        nc = "00000001" if qop else ""
        response = digest_response(self.username, realm, self.password, "REGISTER", self.uri, nonce, qop, nc, cnonce)
        value = (f'Digest username="{self.username}", realm="{realm}", nonce="{nonce}", uri="{self.uri}", '
                 f'response="{response}", algorithm=MD5')
        if qop:
            value += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        if "opaque" in self._challenge:
            value += f', opaque="{self._challenge["opaque"]}"'
        return value

    def keepalive(self) -> bool:
        self._sn += 1
        reply = self._request("MESSAGE", [("Content-Type", "Application/MANSCDP+xml")],
                              keepalive_body(self.device_id, self._sn), to_user=self.server_id)
        if reply is None:
            return False
        self.status.last_status = reply.status
        if reply.status != 200:
            self.status.last_error = f"keepalive answered {reply.status} {reply.reason}"
            self.status.registered = False
            return False
        self.status.keepalives_ok += 1
        return True
