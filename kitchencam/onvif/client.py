"""The ONVIF client engine: offline WSDLs parsed once, bound per camera, authenticated properly.

- Each official WSDL is parsed once per process (``wsdl_document``) from the bundled copies in
  ``wsdl/``; remote W3C/OASIS schema imports resolve to ``wsdl/external`` and nothing is ever
  fetched from the network. Each camera then binds the parsed document to its own XAddrs with
  ``Client.create_service``.
- Authentication is WS-UsernameToken PasswordDigest with ``Created`` on the camera's clock: an
  unauthenticated GetSystemDateAndTime measures the offset first (ONVIF Core 5.12.2.1). A camera
  that answers a WS-Security request with HTTP 401 is retried with HTTP digest, and that is
  remembered for the camera.
- Every request is bounded: one deadline for the whole exchange (connect + read seconds, from
  connecting to the last byte of the body, however slowly the bytes trickle in), at most
  ``MAX_REPLY_BYTES`` of reply, and a reply with a DTD or entity declaration is refused before
  any XML parser sees it. See docs/reference/onvif-client.md, "Limits".
- Methods here return zeep objects; they never leave ``kitchencam/onvif`` (``read.py`` converts).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import heapq
import ipaddress
import itertools
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from lxml import etree
from requests.adapters import HTTPAdapter
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from zeep import Client, Plugin, Settings, Transport
from zeep import exceptions as zeep_exc
from zeep.proxy import OperationProxy, ServiceProxy
from zeep.wsdl import Document
from zeep.wsse import utils as wsse_utils

from kitchencam.errors import (
    AuthFailed,
    BadReply,
    DeviceFault,
    DeviceTimeout,
    KitchencamError,
    NotACamera,
    NotSupported,
    UsageError,
)
from kitchencam.i18n import _
from kitchencam.logins import BUDGET, Attempt, refusal_hint
from kitchencam.onvif.faults import CallContext, RefusedReply, ReplyDeadline, ReplyUnreadable, bad_reply, classify

WSDL_DIR = Path(__file__).parent / "wsdl"

# Remote locations imported by the official schemas -> the bundled copy (wsdl/README.md).
_SCHEMA_FILES: dict[str, str] = {
    "www.w3.org/2001/xml.xsd": "external/xml.xsd",
    "www.w3.org/2005/05/xmlmime": "external/xmlmime.xsd",
    "www.w3.org/2003/05/soap-envelope": "external/soap-envelope.xsd",
    "www.w3.org/2004/08/xop/include": "external/include.xsd",
    "www.w3.org/2005/08/addressing/ws-addr.xsd": "external/ws-addr.xsd",
    "docs.oasis-open.org/wsn/b-2.xsd": "external/b-2.xsd",
    "docs.oasis-open.org/wsn/t-1.xsd": "external/t-1.xsd",
    "docs.oasis-open.org/wsrf/bf-2.xsd": "external/bf-2.xsd",
}

_WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_TOKEN_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"  # noqa: S105 (a namespace)
_MESSAGE_SECURITY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"


# A camera's largest real reply (GetCapabilities, GetProfiles of a 4-channel encoder) is tens of
# KiB; anything over this is refused unread (Content-Length first, then a running byte count).
MAX_REPLY_BYTES = 4 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for the TCP connection and then for the reply.

    One request gets ``connect + read`` seconds in all, from connecting to its last byte.
    """

    connect: float = 3.0
    read: float = 10.0


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True)
class ServiceSpec:
    key: str
    namespace: str
    wsdl: str  # path under WSDL_DIR
    binding: str  # QName of the SOAP 1.2 binding


DEVICE = ServiceSpec("device", "http://www.onvif.org/ver10/device/wsdl",
                     "ver10/device/wsdl/devicemgmt.wsdl", "{http://www.onvif.org/ver10/device/wsdl}DeviceBinding")
MEDIA = ServiceSpec("media", "http://www.onvif.org/ver10/media/wsdl",
                    "ver10/media/wsdl/media.wsdl", "{http://www.onvif.org/ver10/media/wsdl}MediaBinding")
MEDIA2 = ServiceSpec("media2", "http://www.onvif.org/ver20/media/wsdl",
                     "ver20/media/wsdl/media.wsdl", "{http://www.onvif.org/ver20/media/wsdl}Media2Binding")
IMAGING = ServiceSpec("imaging", "http://www.onvif.org/ver20/imaging/wsdl",
                      "ver20/imaging/wsdl/imaging.wsdl", "{http://www.onvif.org/ver20/imaging/wsdl}ImagingBinding")
DEVICEIO = ServiceSpec("deviceio", "http://www.onvif.org/ver10/deviceIO/wsdl",
                       "ver10/deviceio.wsdl", "{http://www.onvif.org/ver10/deviceIO/wsdl}DeviceIOBinding")
SPECS: tuple[ServiceSpec, ...] = (DEVICE, MEDIA, MEDIA2, IMAGING, DEVICEIO)
# The usual ONVIF prefixes, to name a call in messages ("tds:GetDeviceInformation").
_PREFIXES = {"device": "tds", "media": "trt", "media2": "tr2", "imaging": "timg", "deviceio": "tmd"}


# --- schema loading, once per process ----------------------------------------------------------

class SchemaNotBundled(RuntimeError):
    """A schema import points at a URL with no bundled copy: a packaging bug, never a camera's."""


def local_schema(url: str) -> Path | None:
    """The bundled file for a remote schema location (http or https), else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    rel = _SCHEMA_FILES.get(f"{parts.netloc}{parts.path}")
    return WSDL_DIR / rel if rel else None


def _looks_like_soap(body: bytes) -> bool:
    head = body[:4096]
    return b"Envelope" in head and b"http://www.w3.org/2003/05/soap-envelope" in head


class _CountedDigest(HTTPDigestAuth):
    """requests' HTTP digest, without its silent second try while the login is unproven.

    HTTPDigestAuth answers a 401 to a digest request by trying again with the new nonce: one more
    refused login the camera counts, unseen by the login budget. Until the camera has accepted
    the password, a 401 stays a 401 (unless it says the nonce was only stale).
    """

    guard: LoginGuard | None = None

    def handle_401(self, r: requests.Response, **kwargs: Any) -> requests.Response:
        stale = "stale=true" in r.headers.get("WWW-Authenticate", "").lower().replace(" ", "").replace('"', "")
        if stale or (self.guard is not None and self.guard.proven):
            return super().handle_401(r, **kwargs)
        return r


def primed_digest(credentials: tuple[str, str], challenge: str, guard: LoginGuard | None = None) -> HTTPDigestAuth:
    """HTTP digest that answers ``challenge`` on its first request.

    requests' HTTPDigestAuth would first send the request without an Authorization header and
    wait for a fresh 401: the camera would see our (refused) WS-Security token a second time,
    one more failed login towards its lockout.
    """
    auth = _CountedDigest(*credentials)
    auth.guard = guard
    auth.init_per_thread_state()
    text = re.sub(r"^\s*digest\s+", "", challenge, count=1, flags=re.IGNORECASE)
    state = auth._thread_local  # type: ignore[attr-defined]  # requests' per-thread digest state
    state.chal = parse_dict_header(text)
    state.last_nonce = "-"  # anything but the camera's nonce: the header is built at once
    return auth


# A DOCTYPE (and so any entity declaration) can only sit in the prolog, before the root element.
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_MARKUP_DECL = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


def has_dtd(body: bytes) -> bool:
    """True if the reply's prolog declares a DTD or entities (NULs dropped: UTF-16/32 too)."""
    flat = body.replace(b"\x00", b"")
    root = _ROOT_START.search(flat)
    prolog = flat[:root.start()] if root else flat
    return _MARKUP_DECL.search(prolog) is not None


# --- one deadline per request ---------------------------------------------------------------------
# requests' read timeout bounds each socket read, so a camera sending one byte every 2 s never
# trips it. A watchdog thread shuts the request's socket down at its deadline instead: the
# blocked read returns at once, whatever phase (status line, headers, body) it was in.

def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer: nothing left to cut
        sock.shutdown(socket.SHUT_RDWR)


class _Watch:
    """One request's deadline and the socket to cut when it passes."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._done = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.expired and sock is not None:
                _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            if self._sock is not None:
                _shutdown(self._sock)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sock = None


class _Watchdog:
    """One daemon thread for the process, sleeping until the earliest deadline."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Watch]] = []
        self._count = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, watch: _Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, (watch.deadline, next(self._count), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kitchencam-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _n, watch = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            watch.expire()


_WATCHDOG = _Watchdog()
_current = threading.local()


def _attach_current(sock: socket.socket | None) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]  # waits for headers
        _attach_current(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _attach_current(self.sock)
        return super().getresponse()


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class OfflineTransport(Transport):
    """A zeep transport that loads schemas from disk only and posts with timeouts.

    With ``credentials``, an HTTP 401 to a WS-Security request is retried once with HTTP digest
    (some Dahua/XiongMai firmwares only accept that); from then on the session keeps digest.

    Every reply is read under one deadline and up to ``MAX_REPLY_BYTES``, and checked for a DTD
    before zeep parses it; ``replies`` counts the replies handed to zeep (``OnvifCamera.call``
    tells a device's garbage from our own bug by it).
    """

    def __init__(self, timeouts: Timeouts = DEFAULT_TIMEOUTS,
                 credentials: tuple[str, str] | None = None) -> None:
        session = requests.Session()
        # Cameras sit on the school LAN: an HTTP(S)_PROXY from the environment would only
        # send their traffic (and credentials) somewhere else.
        session.trust_env = False
        super().__init__(session=session, timeout=timeouts.read, operation_timeout=timeouts.read)
        self.session.headers["User-Agent"] = "kitchencam (ONVIF)"
        # No compressed replies: the size cap then counts what the parser would get.
        self.session.headers["Accept-Encoding"] = "identity"
        adapter = _WatchedAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.timeouts = timeouts
        self.replies = 0
        self._credentials = credentials
        self.digest_active = False
        #: Asked before a refused WS-Security token is retried with HTTP digest (login budget).
        self.login_guard: LoginGuard | None = None

    def load(self, url: str) -> bytes:
        local = local_schema(url)
        if local is not None:
            return local.read_bytes()
        if urlsplit(url).scheme in ("http", "https"):
            raise SchemaNotBundled(f"schema {url} is not bundled in {WSDL_DIR}")
        return bytes(super().load(url))

    def _requests_timeout(self) -> tuple[float, float]:
        return (self.timeouts.connect, self.timeouts.read)

    @property
    def request_seconds(self) -> float:
        """The one deadline of a request, from connecting to the reply's last byte."""
        return self.timeouts.connect + self.timeouts.read

    def _exchange(self, address: str, message: bytes | str, headers: dict[str, str]) -> requests.Response:
        """POST and read the whole reply under one deadline, at most ``MAX_REPLY_BYTES`` of it."""
        seconds = self.request_seconds
        watch = _Watch(time.monotonic() + seconds)
        _current.watch = watch
        _WATCHDOG.add(watch)
        response: requests.Response | None = None
        try:
            response = self.session.post(address, data=message, headers=headers,
                                         timeout=self._requests_timeout(), stream=True)
            length = response.headers.get("Content-Length", "").strip()
            if length.isdigit() and int(length) > MAX_REPLY_BYTES:
                raise RefusedReply("too-large", MAX_REPLY_BYTES)
            body = bytearray()
            while True:
                chunk = response.raw.read(_CHUNK_BYTES, decode_content=True)
                if watch.expired or time.monotonic() > watch.deadline:
                    raise ReplyDeadline(seconds)
                if not chunk:
                    break
                body += chunk
                if len(body) > MAX_REPLY_BYTES:
                    raise RefusedReply("too-large", MAX_REPLY_BYTES)
            response._content = bytes(body)
            response._content_consumed = True  # type: ignore[union-attr]
            return response
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.expired:
                raise ReplyDeadline(seconds) from exc
            if isinstance(exc, requests.RequestException):
                raise
            if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
                raise requests.exceptions.ReadTimeout(str(exc)) from exc
            raise requests.exceptions.ConnectionError(f"RemoteDisconnected: {exc}") from exc
        finally:
            watch.finish()
            _current.watch = None
            if response is not None:
                response.close()

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> requests.Response:
        response = self._exchange(address, message, headers)
        if (response.status_code == 401 and self._credentials is not None and not self.digest_active
                and "digest" in response.headers.get("WWW-Authenticate", "").lower()
                and (self.login_guard is None or self.login_guard.digest_retry_allowed())):
            self.session.auth = primed_digest(self._credentials, response.headers.get("WWW-Authenticate", ""),
                                              self.login_guard)
            self.digest_active = True
            response = self._exchange(address, message, headers)
        if response.status_code >= 300 and not _looks_like_soap(response.content):
            # An HTML error page from the camera's web server, not a SOAP fault: keep the HTTP
            # status for the classifier (zeep would report a meaningless "Unknown fault").
            raise zeep_exc.TransportError(f"HTTP {response.status_code} without a SOAP body",
                                          status_code=response.status_code, content=response.content)
        if has_dtd(response.content):
            if b"Envelope" not in response.content:  # a web page, not a SOAP reply at all
                raise zeep_exc.TransportError(f"HTTP {response.status_code} without a SOAP body",
                                              status_code=response.status_code, content=b"")
            raise RefusedReply("dtd")
        self.replies += 1
        return response

    def get(self, address: str, params: Any, headers: dict[str, str]) -> requests.Response:
        return self.session.get(address, params=params, headers=headers, timeout=self._requests_timeout())

    def close(self) -> None:
        self.session.close()


# The WSDLs are parsed leniently (strict=False): real firmwares add, omit and reorder elements,
# and a reply that is merely unusual must still be read. Replies are parsed with the client's
# strict settings, so malformed XML is still an error (BadReply), never silently "recovered".
_WSDL_SETTINGS = Settings(strict=False, xml_huge_tree=False)
# forbid_dtd/forbid_entities/forbid_external back up the transport's own DTD check (has_dtd):
# a DTD that check missed still never reaches zeep's reader.
_REPLY_SETTINGS = Settings(strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True,
                           forbid_external=True)

_documents: dict[str, Document] = {}
_parse_seconds: dict[str, float] = {}
_documents_lock = threading.Lock()


def wsdl_document(spec: ServiceSpec) -> Document:
    """The parsed WSDL for ``spec``: parsed on first use, then shared by every camera."""
    with _documents_lock:
        doc = _documents.get(spec.key)
        if doc is None:
            started = time.perf_counter()
            # zeep's annotation says type[Transport]; its code (and docs) take an instance.
            doc = Document(str(WSDL_DIR / spec.wsdl), OfflineTransport(),  # type: ignore[arg-type]
                           settings=_WSDL_SETTINGS)
            _parse_seconds[spec.key] = time.perf_counter() - started
            _documents[spec.key] = doc
        return doc


def parse_times() -> dict[str, float]:
    """Seconds each WSDL took to parse in this process (only those parsed so far)."""
    with _documents_lock:
        return dict(_parse_seconds)


# --- WS-UsernameToken ----------------------------------------------------------------------------

def password_digest(nonce: bytes, created: str, password: str) -> str:
    """WS-Security UsernameToken PasswordDigest = Base64(SHA-1(nonce + created + password))."""
    raw = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8"), usedforsecurity=False)
    return base64.b64encode(raw.digest()).decode("ascii")


def format_created(moment: datetime) -> str:
    """xs:dateTime in UTC with a Z, second precision: what every camera firmware parses."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class UsernameTokenDigest:
    """A zeep wsse plugin: a fresh Nonce and a ``Created`` on the camera's clock per request."""

    def __init__(self, user: str, password: str, clock_offset: Callable[[], float]) -> None:
        self.user = user
        self._password = password
        self._clock_offset = clock_offset

    def apply(self, envelope: etree._Element, headers: dict[str, str]) -> tuple[etree._Element, dict[str, str]]:
        created = format_created(datetime.now(timezone.utc) + timedelta(seconds=self._clock_offset()))
        nonce = secrets.token_bytes(16)
        security = wsse_utils.get_security_header(envelope)
        security.append(wsse_utils.WSSE.UsernameToken(
            wsse_utils.WSSE.Username(self.user),
            wsse_utils.WSSE.Password(password_digest(nonce, created, self._password),
                                     Type=f"{_TOKEN_PROFILE}#PasswordDigest"),
            wsse_utils.WSSE.Nonce(base64.b64encode(nonce).decode("ascii"),
                                  EncodingType=f"{_MESSAGE_SECURITY}#Base64Binary"),
            wsse_utils.WSU.Created(created),
        ))
        return envelope, headers

    def verify(self, envelope: etree._Element) -> etree._Element:
        return envelope

    def __repr__(self) -> str:  # never show the password
        return f"UsernameTokenDigest(user={self.user!r})"


# --- the reply as sent -------------------------------------------------------------------------

_SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
_SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


class ReplyRecorder(Plugin):
    """A zeep plugin keeping each thread's last reply envelope, as zeep parsed it.

    zeep reads an xs:sequence by position: a firmware that sends ``Quality`` before
    ``RateControl`` (or a vendor element first) gets its later elements dropped or pushed into
    ``_value_1``. ``read.py`` reads the elements it needs from this envelope by local name
    instead. Nothing is parsed again here: the envelope is the tree zeep's own parser built
    (entities not resolved, no network), and replies zeep refused never reach ``ingress``.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def ingress(self, envelope: etree._Element, http_headers: Any, operation: Any) -> tuple[etree._Element, Any]:
        self._local.envelope = envelope
        return envelope, http_headers

    def clear(self) -> None:
        self._local.envelope = None

    def response(self) -> etree._Element | None:
        """The first element of the last reply's Body (``tr2:GetProfilesResponse``...), or None
        when there was none or it was a SOAP Fault."""
        envelope = getattr(self._local, "envelope", None)
        if envelope is None:
            return None
        for ns in (_SOAP12_ENV, _SOAP11_ENV):
            body = envelope.find(f"{{{ns}}}Body")
            if body is not None:
                first = next((c for c in body if isinstance(c.tag, str)), None)
                if first is None or etree.QName(first).localname == "Fault":
                    return None
                return first
        return None


# --- addresses -----------------------------------------------------------------------------------

def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def device_xaddr_for(target: str, default_port: int = 80) -> str:
    """``HOST``, ``HOST:PORT`` or an XAddr URL -> the device service URL."""
    text = target.strip()
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    try:
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else default_port)
    except ValueError:
        host = None
        port = 0
    if not host or parts.scheme not in ("http", "https"):
        raise UsageError(_("{target} is not a camera address. Give HOST, HOST:PORT or an XAddr URL such "
                           "as http://192.168.1.64/onvif/device_service.").format(target=target))
    path = parts.path if parts.path not in ("", "/") else "/onvif/device_service"
    return urlunsplit((parts.scheme, _netloc(host, port), path, parts.query, ""))


def _unusable_host(host: str) -> bool:
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host.lower() == "localhost"
    return addr.is_unspecified or addr.is_loopback


def _is_url(text: str) -> bool:
    """False for what urlsplit refuses (an unbalanced "[" of a broken IPv6 literal)."""
    try:
        urlsplit(text.strip())
    except ValueError:
        return False
    return True


def repair_xaddr(advertised: str, reached: str) -> str:
    """Point an advertised service XAddr at the host:port we actually reached the device at.

    Cameras behind NAT, with a changed IP, or with a bad firmware advertise their internal
    address, another interface's or 0.0.0.0. When the advertised host is not the one we reached,
    keep the path and use our scheme and host:port (a NAT forwards only the port we used).
    """
    adv, ours = urlsplit(advertised.strip()), urlsplit(reached)
    try:
        adv_host = adv.hostname or ""
    except ValueError:
        adv_host = ""
    if not adv_host:
        return urlunsplit((ours.scheme, ours.netloc, adv.path or "/", adv.query, ""))
    if adv_host.lower() == (ours.hostname or "").lower() and not _unusable_host(adv_host):
        return advertised.strip()
    return urlunsplit((ours.scheme, ours.netloc, adv.path or "/", adv.query, ""))


@dataclass(frozen=True)
class ServiceEndpoint:
    namespace: str
    xaddr: str  # repaired
    version: str | None = None
    advertised: str = ""  # as the camera sent it


# Where GetCapabilities puts each service (ONVIF Core 8.1.2.4).
_CAPABILITY_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (DEVICE.namespace, ("Device",)),
    (MEDIA.namespace, ("Media",)),
    (IMAGING.namespace, ("Imaging",)),
    ("http://www.onvif.org/ver10/events/wsdl", ("Events",)),
    ("http://www.onvif.org/ver20/ptz/wsdl", ("PTZ",)),
    ("http://www.onvif.org/ver20/analytics/wsdl", ("Analytics",)),
    (DEVICEIO.namespace, ("Extension", "DeviceIO")),
    ("http://www.onvif.org/ver10/recording/wsdl", ("Extension", "Recording")),
    ("http://www.onvif.org/ver10/search/wsdl", ("Extension", "Search")),
    ("http://www.onvif.org/ver10/replay/wsdl", ("Extension", "Replay")),
)


def _dig(obj: Any, *names: str) -> Any:
    for name in names:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def _capability_xaddr(caps: Any, path: tuple[str, ...]) -> str | None:
    """XAddr under ``path`` in a GetCapabilities reply.

    tt:CapabilitiesExtension starts with an unbounded xs:any, which zeep fills greedily: the
    DeviceIO/Recording elements that follow often end up as raw lxml elements in ``_value_1``.
    """
    xaddr = _dig(caps, *path, "XAddr")
    if xaddr:
        return str(xaddr)
    parent = _dig(caps, *path[:-1])
    for raw in getattr(parent, "_value_1", None) or []:
        if isinstance(raw, etree._Element) and etree.QName(raw).localname == path[-1]:
            text = raw.findtext("{http://www.onvif.org/ver10/schema}XAddr")
            if text and text.strip():
                return text.strip()
    return None


def _service_version(version: Any) -> str | None:
    """tt:OnvifVersion -> "2.60"; None when Major/Minor are missing or no small numbers."""
    major, minor = _dig(version, "Major"), _dig(version, "Minor")
    if not isinstance(major, int) or not isinstance(minor, int) or not (0 <= major < 1000 and 0 <= minor < 1000):
        return None
    return f"{major}.{minor:02d}"


def camera_utc(system_date_and_time: Any) -> datetime | None:
    """The camera's UTC clock from a GetSystemDateAndTime reply (None if absent or invalid)."""
    utc = _dig(system_date_and_time, "UTCDateTime")
    date, clock = _dig(utc, "Date"), _dig(utc, "Time")
    if date is None or clock is None:
        return None
    try:
        return datetime(int(date.Year), int(date.Month), int(date.Day), int(clock.Hour),
                        int(clock.Minute), int(clock.Second), tzinfo=timezone.utc)
    except (TypeError, ValueError, OverflowError):  # Year 99999999999999999999 is no date
        return None


# --- logins --------------------------------------------------------------------------------------

#: ONVIF Core's PRE_AUTH access class: a device answers these without checking any credentials,
#: so their success proves nothing about the password.
PRE_AUTH_OPERATIONS = frozenset({"GetSystemDateAndTime", "GetServices", "GetServiceCapabilities",
                                 "GetCapabilities", "GetHostname", "GetWsdlUrl", "GetEndpointReference"})


class LoginGuard:
    """One camera's logins against the process-wide budget (kitchencam/logins.py).

    Until the camera has accepted the password on a call that needs one, every authenticated call
    is a login attempt: reserved in the budget before it is sent, counted when refused. The first
    refusal stops logins to the host; the one exception is the HTTP digest retry of a refused
    WS-Security token. Once the login is proven, a refusal is about rights (an Operator asking
    GetUsers), not the password, and is not counted. ``probe`` marks the deliberate wrong-password
    login of the default-credentials check: one attempt, no digest retry, never stops the host.
    """

    def __init__(self, host: str, target: str, *, probe: bool = False) -> None:
        self.host = host
        self.target = target
        self.probe = probe
        self.proven = False
        self.refused_at: str | None = None
        self._attempt: Attempt | None = None
        self._operation = ""

    def before(self, operation: str) -> None:
        """Before an authenticated call: AuthFailed (nothing sent) when the budget says no."""
        self._operation = operation
        if self.proven:
            return
        self._attempt = BUDGET.attempt(self.host, operation, target=self.target)

    def succeeded(self, operation: str) -> None:
        if self._attempt is not None:
            self._attempt.ok()
            self._attempt = None
        if operation.rpartition(":")[2] not in PRE_AUTH_OPERATIONS:
            self.proven = True
            if not self.probe:
                BUDGET.accepted(self.host)

    def failed(self, operation: str, error: KitchencamError) -> KitchencamError:
        """After an authenticated call failed: count a refused login; the error to raise."""
        attempt, self._attempt = self._attempt, None
        if not isinstance(error, AuthFailed) or self.proven:
            if attempt is not None:
                attempt.cancel()
            return error
        if attempt is not None:
            attempt.refused(stop=not self.probe)
        elif not self.probe:
            BUDGET.stop(self.host, operation)
        self.refused_at = operation
        hint = refusal_hint(self.host, operation)
        error.hint = f"{error.hint} {hint}" if error.hint else hint
        return error

    def digest_retry_allowed(self) -> bool:
        """A WS-Security token was answered 401 + Digest: may the same call go again with digest?"""
        if self.probe:
            return False
        if self.proven:
            return True
        if self._attempt is not None:
            self._attempt.refused(stop=False)  # the token was a login, and it was refused
            self._attempt = None
        try:
            self._attempt = BUDGET.attempt(self.host, f"{self._operation} (HTTP digest)", target=self.target)
        except AuthFailed:
            BUDGET.stop(self.host, self._operation)
            return False
        return True


class _LazyOperations(dict[str, OperationProxy]):
    """A binding's operations, each made on first use."""

    def __init__(self, proxy: ServiceProxy) -> None:
        super().__init__()
        self._proxy = proxy

    def __missing__(self, name: str) -> OperationProxy:
        if name not in self._proxy._binding.all():
            raise KeyError(name)
        operation = self[name] = OperationProxy(self._proxy, name)
        return operation


class _LazyServiceProxy(ServiceProxy):
    """zeep's ServiceProxy (what ``Client.create_service`` returns) without building a proxy for every
    operation of the binding up front: devicemgmt has about a hundred, and each camera binds five
    services, 11 ms of CPU per camera in a 50-camera check (benchmarks/check_many.py)."""

    def __init__(self, client: Client, binding: Any, **binding_options: Any) -> None:
        self._client = client
        self._binding_options = binding_options
        self._binding = binding
        self._operations = _LazyOperations(self)


# --- one camera ----------------------------------------------------------------------------------

@dataclass
class _Bound:
    proxies: dict[tuple[str, bool], Any] = field(default_factory=dict)


class OnvifCamera:
    """One camera: addresses, credentials, clock offset and bound services.

    Use the per-service objects for calls: ``camera.device``, ``camera.media``,
    ``camera.media2``, ``camera.imaging``, ``camera.deviceio``.
    """

    def __init__(self, target: str, *, user: str | None = None, password: str | None = None,
                 timeouts: Timeouts = DEFAULT_TIMEOUTS, default_port: int = 80, retries: int = 2) -> None:
        self.device_xaddr = device_xaddr_for(target, default_port)
        parts = urlsplit(self.device_xaddr)
        self.host: str = parts.hostname or ""
        self.port: int = parts.port or default_port
        self.target = _netloc(self.host, self.port)
        self.user = user
        self.timeouts = timeouts
        credentials = (user, password) if user is not None and password is not None else None
        self._transport = OfflineTransport(timeouts, credentials)
        self._anonymous_transport = OfflineTransport(timeouts)
        self._login = LoginGuard(self.host, self.target)
        self._transport.login_guard = self._login
        self._login_reply: Any = None  # GetDeviceInformation of log_in(), for its first reader
        self._login_error: KitchencamError | None = None  # ...or how it failed (not asked twice)
        self._wsse = (UsernameTokenDigest(credentials[0], credentials[1], self._offset_or_zero)
                      if credentials else None)
        self.clock_offset_s: float | None = None
        # Shift WS-Security timestamps onto the camera's clock (off only to test the refusal).
        self.apply_clock_offset = True
        self.retries = retries
        self.camera_time: Any = None  # last GetSystemDateAndTime reply
        self.services: dict[str, ServiceEndpoint] = {}
        self._bound = _Bound()
        self._replies = ReplyRecorder()
        self.device = DeviceService(self)
        self.media = MediaService(self)
        self.media2 = Media2Service(self)
        self.imaging = ImagingService(self)
        self.deviceio = DeviceIOService(self)

    def __repr__(self) -> str:
        return f"OnvifCamera({self.device_xaddr!r}, user={self.user!r})"

    def __enter__(self) -> OnvifCamera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()
        self._anonymous_transport.close()

    @property
    def authenticated(self) -> bool:
        return self._wsse is not None

    @property
    def uses_http_digest(self) -> bool:
        return self._transport.digest_active

    @property
    def login_proven(self) -> bool:
        """The camera accepted our password on a call that needs one."""
        return self._login.proven

    @property
    def login_refused_at(self) -> str | None:
        return self._login.refused_at

    def _offset_or_zero(self) -> float:
        return (self.clock_offset_s or 0.0) if self.apply_clock_offset else 0.0

    # -- connection set-up

    def connect(self) -> None:
        """Measure the clock offset, then learn the service XAddrs."""
        self.measure_clock()
        self.discover_services()

    def measure_clock(self) -> float | None:
        """Unauthenticated GetSystemDateAndTime -> ``clock_offset_s`` (camera UTC - our UTC).

        ONVIF requires this call to work without credentials, but some firmwares demand them:
        then it is retried authenticated with our own clock. Unreachable/OnvifDisabled raise.
        """
        before = time.time()
        try:
            reply = self.device.get_system_date_and_time(authenticated=False)
        except AuthFailed:
            if not self.authenticated:
                raise
            before = time.time()
            reply = self.device.get_system_date_and_time(authenticated=True)
        after = time.time()
        self.camera_time = reply
        utc = camera_utc(reply)
        if utc is not None:
            midpoint = before + (after - before) / 2
            self.clock_offset_s = utc.timestamp() - midpoint
        return self.clock_offset_s

    def discover_services(self) -> dict[str, ServiceEndpoint]:
        """GetServices (with capabilities), falling back to GetCapabilities on older firmwares."""
        found: dict[str, ServiceEndpoint] = {}
        try:
            for svc in self.device.get_services(include_capability=True) or []:
                ns, xaddr = getattr(svc, "Namespace", None), getattr(svc, "XAddr", None)
                if not ns or not xaddr or not _is_url(str(xaddr)):
                    continue  # a service without a usable address is a service we cannot call
                ver = _service_version(_dig(svc, "Version"))
                found[ns] = ServiceEndpoint(ns, repair_xaddr(xaddr, self.device_xaddr), ver, xaddr)
        except KitchencamError as exc:
            if isinstance(exc, AuthFailed) or not _is_fallback_worthy(exc):
                raise
            found = {}
        if not found:
            try:
                caps = self.device.get_capabilities()
            except KitchencamError as exc:
                raise self._not_a_camera(exc) from exc
            for ns, path in _CAPABILITY_PATHS:
                xaddr = _capability_xaddr(caps, path)
                if xaddr and _is_url(xaddr):
                    found[ns] = ServiceEndpoint(ns, repair_xaddr(xaddr, self.device_xaddr), None, xaddr)
        # We reached the device service at our address; that is authoritative.
        dev = found.get(DEVICE.namespace)
        found[DEVICE.namespace] = ServiceEndpoint(DEVICE.namespace, self.device_xaddr,
                                                  dev.version if dev else None,
                                                  dev.advertised if dev else self.device_xaddr)
        self.services = found
        return found

    def _not_a_camera(self, exc: KitchencamError) -> KitchencamError:
        """Neither the clock nor the services came back as ONVIF: no camera at this address."""
        if self.camera_time is not None or not isinstance(exc, BadReply):
            return exc
        return NotACamera(
            _("{target} answers HTTP but is no ONVIF device: neither GetSystemDateAndTime nor GetServices "
              "nor GetCapabilities got an ONVIF answer ({reason}). Check that the address is the camera's "
              "(not a printer, router or PC) and that the port is its ONVIF/HTTP port (80 on most "
              "cameras); on Hikvision and Dahua make sure ONVIF is enabled in the web page.").format(
                target=self.target, reason=exc.detail or exc.message[:160]),
            target=self.target)

    def log_in(self) -> None:
        """Prove the login with a call that needs one (GetDeviceInformation, access class READ_SYSTEM).

        Call it right after ``discover_services`` (``read_facts`` does); nothing without credentials.

        GetServices, GetCapabilities and GetSystemDateAndTime are PRE_AUTH: a camera answers them
        whatever the password, so only this call tells a right password from a wrong one. A refusal
        raises AuthFailed naming the call (and stops logins to the host for this run); any other
        failure leaves the login unproven for the readers to report.
        """
        if not self.authenticated or self._login.proven:
            return
        try:
            self._login_reply = self.call(DEVICE, "GetDeviceInformation")
        except AuthFailed:
            raise
        except KitchencamError as exc:
            # A camera that trickled or garbled this reply is not asked the same again by the reader.
            self._login_error = exc

    def take_login_reply(self) -> Any:
        """The login's GetDeviceInformation reply, once: the reader after ``log_in`` needs no second
        request. Raises how that call failed, once, instead."""
        reply, self._login_reply = self._login_reply, None
        error, self._login_error = self._login_error, None
        if error is not None:
            raise error
        return reply

    def probe_any_password(self) -> bool | None:
        """One login with a random wrong password after ours was accepted: True when it is accepted too.

        None when it was not tried (no proven login, or the host's login budget has no room) or
        gave no clear answer. Counted in the login budget, once per host per run.
        """
        if not self.authenticated or not self._login.proven or self.user is None:
            return None
        probed, result = BUDGET.probe_result(self.host)
        if probed:
            return result
        if not BUDGET.claim_probe(self.host):
            return None
        result = self._probe_once()
        BUDGET.record_probe(self.host, result)
        return result

    def _probe_once(self) -> bool | None:
        assert self.user is not None
        wrong = secrets.token_urlsafe(18)
        probe = OnvifCamera(self.device_xaddr, user=self.user, password=wrong, timeouts=self.timeouts, retries=0)
        probe._login.probe = True
        probe.clock_offset_s = self.clock_offset_s
        probe.apply_clock_offset = self.apply_clock_offset
        if self.uses_http_digest:  # the same scheme our login used, and no second try
            probe._transport.session.auth = HTTPDigestAuth(self.user, wrong)
            probe._transport.digest_active = True
        try:
            with probe:
                probe.call(DEVICE, "GetDeviceInformation")
        except AuthFailed:
            return False
        except KitchencamError:
            return None
        return True

    def has(self, spec: ServiceSpec) -> bool:
        return spec.namespace in self.services

    def last_response(self) -> etree._Element | None:
        """The raw response element of this thread's last call (see ``ReplyRecorder``)."""
        return self._replies.response()

    # -- calls

    def _proxy(self, spec: ServiceSpec, authenticated: bool) -> Any:
        key = (spec.key, authenticated)
        proxy = self._bound.proxies.get(key)
        if proxy is None:
            if spec is DEVICE:
                xaddr = self.device_xaddr
            elif spec.namespace in self.services:
                xaddr = self.services[spec.namespace].xaddr
            else:
                raise _missing_service(self, spec)
            doc = wsdl_document(spec)
            if authenticated:
                client = Client(doc, wsse=self._wsse, transport=self._transport, settings=_REPLY_SETTINGS,
                                plugins=[self._replies])
            else:
                client = Client(doc, transport=self._anonymous_transport, settings=_REPLY_SETTINGS,
                                plugins=[self._replies])
            proxy = _LazyServiceProxy(client, doc.bindings[spec.binding], address=xaddr)
            self._bound.proxies[key] = proxy
        return proxy

    def call(self, spec: ServiceSpec, operation: str, /, *, authenticated: bool = True, **kwargs: Any) -> Any:
        """Call ``operation`` on ``spec``; any failure becomes a classified KitchencamError.

        A reply lost on the way (the connection closed or timed out mid-call: a flaky Wi-Fi bridge,
        a busy camera) is retried ``self.retries`` times; ONVIF Get and Set calls are idempotent.
        A refused connection is not retried here: the camera is away (rebooting), the caller decides.
        """
        use_auth = authenticated and self.authenticated
        proxy = self._proxy(spec, use_auth)
        transport = self._transport if use_auth else self._anonymous_transport
        login = self._login if use_auth else None
        named = f"{_PREFIXES.get(spec.key, spec.key)}:{operation}"  # what a refusal message names

        def context() -> CallContext:  # after the call: it may have switched to HTTP digest
            return CallContext(target=self.target, operation=operation, authenticated=use_auth,
                               clock_offset_s=self.clock_offset_s, applied_offset_s=self._offset_or_zero(),
                               device_service=spec is DEVICE, digest_tried=self.uses_http_digest)

        attempt = 0
        while True:
            self._replies.clear()
            received = transport.replies
            if login is not None:
                login.before(named)
            try:
                result = getattr(proxy, operation)(**kwargs)
            except (zeep_exc.Error, requests.RequestException, OSError, etree.LxmlError, UnicodeError,
                    RefusedReply) as exc:
                cause: BaseException = exc
            except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, RecursionError) as exc:
                if transport.replies == received:
                    if login is not None:
                        login.failed(named, UsageError("interrupted"))  # releases the reservation
                    raise  # no reply was read: the request itself failed to build, a bug of ours
                cause = ReplyUnreadable(exc)  # zeep choked on what the device sent
            except BaseException:
                if login is not None:
                    login.failed(named, UsageError("interrupted"))  # releases the reservation, counts nothing
                raise
            else:
                if login is not None:
                    login.succeeded(named)
                # zeep fills the expected response type from whatever element came back: another
                # operation's response (ipycam 1.3.0 answers GetVideoEncoderConfigurations with a
                # GetVideoEncoderConfigurationResponse) would read as an empty encoder, with no error.
                response = self._replies.response()
                if response is not None and etree.QName(response).localname != f"{operation}Response":
                    raise bad_reply(context(), f"{etree.QName(response).localname} instead of {operation}Response")
                return result
            error = classify(cause, context())
            if login is not None:
                error = login.failed(named, error)
            # A reply cut off at its deadline is not retried: the camera answered, too slowly.
            if isinstance(error, DeviceTimeout) and not isinstance(cause, ReplyDeadline) \
                    and attempt < self.retries:
                attempt += 1
                time.sleep(0.2 * attempt)
                continue
            raise error from cause


def _is_fallback_worthy(exc: KitchencamError) -> bool:
    return isinstance(exc, (NotSupported, DeviceFault, BadReply))


def _missing_service(camera: OnvifCamera, spec: ServiceSpec) -> KitchencamError:
    return NotSupported(
        _("{target} does not offer the ONVIF {service} service. Update the camera's firmware if it "
          "is needed, or set this in the camera's web page.").format(target=camera.target, service=spec.key),
        target=camera.target)


class _ServiceCalls:
    spec: ServiceSpec

    def __init__(self, camera: OnvifCamera) -> None:
        self._camera = camera

    def _call(self, operation: str, /, **kwargs: Any) -> Any:
        return self._camera.call(self.spec, operation, **kwargs)

    @property
    def available(self) -> bool:
        return self._camera.has(self.spec)


class DeviceService(_ServiceCalls):
    """tds: device management."""

    spec = DEVICE

    def get_system_date_and_time(self, *, authenticated: bool = False) -> Any:
        return self._camera.call(DEVICE, "GetSystemDateAndTime", authenticated=authenticated)

    def get_device_information(self) -> Any:
        reply = self._camera.take_login_reply()  # read_facts: log_in() just asked for it
        return reply if reply is not None else self._call("GetDeviceInformation")

    def get_scopes(self) -> Any:
        return self._call("GetScopes")

    def get_services(self, *, include_capability: bool = True) -> Any:
        return self._call("GetServices", IncludeCapability=include_capability)

    def get_capabilities(self) -> Any:
        return self._call("GetCapabilities", Category=["All"])

    def get_network_interfaces(self) -> Any:
        return self._call("GetNetworkInterfaces")

    def get_hostname(self) -> Any:
        return self._call("GetHostname")

    def get_ntp(self) -> Any:
        return self._call("GetNTP")

    def get_dns(self) -> Any:
        return self._call("GetDNS")

    def get_dynamic_dns(self) -> Any:
        return self._call("GetDynamicDNS")

    def get_users(self) -> Any:
        return self._call("GetUsers")

    def get_network_protocols(self) -> Any:
        return self._call("GetNetworkProtocols")

    def set_ntp(self, *, from_dhcp: bool, servers: Sequence[str] = ()) -> None:
        manual = [_network_host(s) for s in servers]
        self._call("SetNTP", FromDHCP=from_dhcp, NTPManual=manual)

    def set_system_date_and_time(self, *, ntp: bool, daylight_savings: bool, tz: str | None,
                                 utc: datetime | None = None) -> None:
        kwargs: dict[str, Any] = {"DateTimeType": "NTP" if ntp else "Manual",
                                  "DaylightSavings": daylight_savings}
        if tz is not None:
            kwargs["TimeZone"] = {"TZ": tz}
        if utc is not None:
            u = utc.astimezone(timezone.utc)
            kwargs["UTCDateTime"] = {"Date": {"Year": u.year, "Month": u.month, "Day": u.day},
                                     "Time": {"Hour": u.hour, "Minute": u.minute, "Second": u.second}}
        self._call("SetSystemDateAndTime", **kwargs)

    def set_hostname(self, name: str) -> None:
        self._call("SetHostname", Name=name)

    def create_users(self, users: Iterable[tuple[str, str, str]]) -> None:
        """(name, password, level) triples; level is Administrator/Operator/User."""
        self._call("CreateUsers", User=[{"Username": n, "Password": p, "UserLevel": lvl} for n, p, lvl in users])

    def delete_users(self, names: Iterable[str]) -> None:
        self._call("DeleteUsers", Username=list(names))

    def set_users(self, users: Iterable[tuple[str, str, str]]) -> None:
        """SetUser: new (name, password, level) for existing users; all or none (ONVIF Core 8.4.6)."""
        self._call("SetUser", User=[{"Username": n, "Password": p, "UserLevel": lvl} for n, p, lvl in users])

    def system_reboot(self) -> str:
        return str(self._call("SystemReboot") or "")


def _network_host(server: str) -> dict[str, str]:
    """An NTP server as tt:NetworkHost: IPv4, IPv6 or DNS name."""
    try:
        addr = ipaddress.ip_address(server)
    except ValueError:
        return {"Type": "DNS", "DNSname": server}
    if addr.version == 4:
        return {"Type": "IPv4", "IPv4Address": server}
    return {"Type": "IPv6", "IPv6Address": server}


class MediaService(_ServiceCalls):
    """trt: Media (ver10), for devices without Media2."""

    spec = MEDIA

    def get_profiles(self) -> Any:
        return self._call("GetProfiles")

    def get_video_source_configurations(self) -> Any:
        return self._call("GetVideoSourceConfigurations")

    def get_video_encoder_configurations(self) -> Any:
        return self._call("GetVideoEncoderConfigurations")

    def get_video_encoder_configuration_options(self, *, configuration_token: str | None = None,
                                                profile_token: str | None = None) -> Any:
        return self._call("GetVideoEncoderConfigurationOptions", ConfigurationToken=configuration_token,
                          ProfileToken=profile_token)

    def get_stream_uri(self, profile_token: str) -> Any:
        setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
        return self._call("GetStreamUri", StreamSetup=setup, ProfileToken=profile_token)

    def get_snapshot_uri(self, profile_token: str) -> Any:
        return self._call("GetSnapshotUri", ProfileToken=profile_token)

    def set_video_encoder_configuration(self, configuration: Any, *, force_persistence: bool = True) -> None:
        self._call("SetVideoEncoderConfiguration", Configuration=configuration,
                   ForcePersistence=force_persistence)


class Media2Service(_ServiceCalls):
    """tr2: Media2 (ver20): H.265 and Profile T."""

    spec = MEDIA2

    def get_profiles(self, *, types: Sequence[str] = ("All",)) -> Any:
        return self._call("GetProfiles", Type=list(types))

    def get_video_source_configurations(self) -> Any:
        return self._call("GetVideoSourceConfigurations")

    def get_video_encoder_configurations(self, *, configuration_token: str | None = None,
                                         profile_token: str | None = None) -> Any:
        return self._call("GetVideoEncoderConfigurations", ConfigurationToken=configuration_token,
                          ProfileToken=profile_token)

    def get_video_encoder_configuration_options(self, *, configuration_token: str | None = None,
                                                profile_token: str | None = None) -> Any:
        return self._call("GetVideoEncoderConfigurationOptions", ConfigurationToken=configuration_token,
                          ProfileToken=profile_token)

    def get_stream_uri(self, profile_token: str, *, protocol: str = "RtspUnicast") -> str:
        return str(self._call("GetStreamUri", Protocol=protocol, ProfileToken=profile_token))

    def get_snapshot_uri(self, profile_token: str) -> str:
        return str(self._call("GetSnapshotUri", ProfileToken=profile_token))

    def set_video_encoder_configuration(self, configuration: Any) -> None:
        self._call("SetVideoEncoderConfiguration", Configuration=configuration)


class ImagingService(_ServiceCalls):
    """timg: Imaging (ver20): WDR, IR cut filter, brightness..."""

    spec = IMAGING

    def get_imaging_settings(self, video_source_token: str) -> Any:
        return self._call("GetImagingSettings", VideoSourceToken=video_source_token)

    def get_options(self, video_source_token: str) -> Any:
        return self._call("GetOptions", VideoSourceToken=video_source_token)

    def set_imaging_settings(self, video_source_token: str, settings: Any, *,
                             force_persistence: bool = True) -> None:
        self._call("SetImagingSettings", VideoSourceToken=video_source_token, ImagingSettings=settings,
                   ForcePersistence=force_persistence)


class DeviceIOService(_ServiceCalls):
    """tmd: DeviceIO, where Media2-only devices list their physical video sources."""

    spec = DEVICEIO

    def get_video_sources(self) -> Any:
        return self._call("GetVideoSources")
