"""A replay camera for tests: a real HTTP server on 127.0.0.1 answering SOAP from capture files.

Routes are keyed by the first element of the request's SOAP Body as ``prefix:Operation`` with
the ONVIF prefixes (``tds:GetScopes``, ``trt:GetProfiles``, ``tr2:GetProfiles``,
``timg:GetOptions``), so Media1 and Media2 operations of the same name stay apart. A route's
answer is a ``Reply`` or a callable taking the ``Request`` and returning one. Unknown
operations get the SOAP 1.2 fault ONVIF prescribes (``ter:ActionNotSupported``).

The server can also demand credentials like a camera would: ``ws_password`` checks the
WS-UsernameToken digest and its ``Created`` against the server's clock (``clock_offset_s``
seconds off real time); ``digest_password`` makes it answer 401 + ``WWW-Authenticate: Digest``
until a valid HTTP digest ``Authorization`` arrives.

For login tests: ``host`` binds another loopback address (the login budget is per host);
``anonymous`` names the operations answered without checking the token (ONVIF's PRE_AUTH calls,
e.g. ``tds:GetServices``); ``accept_any_password`` answers every token like a camera that checks
nothing, while still telling right from wrong; ``ws_refusal_digest`` answers a refused token with
HTTP 401 + Digest and accepts HTTP digest with ``ws_password`` instead (what Hikvision firmwares
do). ``logins`` counts requests that carried credentials, ``refused`` those refused, and
``wrong_accepted`` wrong ones answered anyway.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lxml import etree

CAPTURES = Path(__file__).parent / "data" / "captures"

NS = {
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tr2": "http://www.onvif.org/ver20/media/wsdl",
    "timg": "http://www.onvif.org/ver20/imaging/wsdl",
    "tmd": "http://www.onvif.org/ver10/deviceIO/wsdl",
}
_PREFIX = {v: k for k, v in NS.items()}
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"


@dataclass
class Reply:
    body: bytes
    status: int = 200
    content_type: str = "application/soap+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    # A streamed body instead of ``body`` (a huge reply is never built in memory): each chunk is
    # written as it comes, ``trickle_s`` seconds apart. ``length`` is the Content-Length sent
    # (None: none, the connection closes at the end). A stream stops by itself after
    # ``STREAM_LIMIT_S`` or when the server stops.
    chunks: Callable[[], Iterable[bytes]] | None = None
    length: int | None = None
    trickle_s: float = 0.0

    @classmethod
    def capture(cls, relpath: str, status: int = 200) -> Reply:
        return cls((CAPTURES / relpath).read_bytes(), status=status)

    @classmethod
    def envelope(cls, body_xml: str, status: int = 200, extra_ns: str = "") -> Reply:
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="{SOAP12}" '
               f'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error" '
               f'xmlns:wsse="{WSSE}" '
               + " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items())
               + f" {extra_ns}><env:Body>{body_xml}</env:Body></env:Envelope>")
        return cls(xml.encode(), status=status)

    @classmethod
    def fault(cls, *subcodes: str, reason: str = "Fault", code: str = "env:Sender", status: int = 400) -> Reply:
        sub = ""
        for s in reversed(subcodes):
            sub = f"<env:Subcode><env:Value>{s}</env:Value>{sub}</env:Subcode>"
        return cls.envelope(
            f"<env:Fault><env:Code><env:Value>{code}</env:Value>{sub}</env:Code>"
            f'<env:Reason><env:Text xml:lang="en">{reason}</env:Text></env:Reason></env:Fault>',
            status=status)

    @classmethod
    def html(cls, status: int, text: str = "Unauthorized") -> Reply:
        body = f"<!DOCTYPE html><html><head><title>{status}</title></head><body><h1>{text}</h1></body></html>"
        return cls(body.encode(), status=status, content_type="text/html")


def system_date_and_time(utc: datetime, tz: str = "UTC0", kind: str = "NTP", dst: bool = False) -> Reply:
    """A GetSystemDateAndTime reply for the given camera UTC clock."""
    u = utc.astimezone(timezone.utc)
    dt = (f"<tt:Time><tt:Hour>{u.hour}</tt:Hour><tt:Minute>{u.minute}</tt:Minute><tt:Second>{u.second}"
          f"</tt:Second></tt:Time><tt:Date><tt:Year>{u.year}</tt:Year><tt:Month>{u.month}</tt:Month>"
          f"<tt:Day>{u.day}</tt:Day></tt:Date>")
    return Reply.envelope(
        f"<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>{kind}</tt:DateTimeType>"
        f"<tt:DaylightSavings>{str(dst).lower()}</tt:DaylightSavings><tt:TimeZone><tt:TZ>{tz}</tt:TZ>"
        f"</tt:TimeZone><tt:UTCDateTime>{dt}</tt:UTCDateTime></tds:SystemDateAndTime>"
        f"</tds:GetSystemDateAndTimeResponse>")


@dataclass
class Request:
    path: str
    operation: str  # "tds:GetScopes"; "" if the body was no SOAP
    headers: dict[str, str]
    body: bytes
    username: str | None = None
    nonce: str | None = None
    created: str | None = None
    password_digest: str | None = None


Route = Reply | Callable[[Request], Reply]


def _parse(path: str, headers: dict[str, str], body: bytes) -> Request:
    req = Request(path=path, operation="", headers=headers, body=body)
    try:
        doc = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return req
    first = doc.find(f"{{{SOAP12}}}Body/*")
    if first is not None:
        q = etree.QName(first)
        req.operation = f"{_PREFIX.get(q.namespace or '', q.namespace)}:{q.localname}"
    token = doc.find(f"{{{SOAP12}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is not None:
        req.username = token.findtext(f"{{{WSSE}}}Username")
        req.nonce = token.findtext(f"{{{WSSE}}}Nonce")
        req.created = token.findtext(f"{{{WSU}}}Created")
        req.password_digest = token.findtext(f"{{{WSSE}}}Password")
    return req


def _digest_ok(auth: str, method: str, password: str, user: str, realm: str) -> bool:
    """RFC 7616 check of an HTTP Digest Authorization header (MD5, qop=auth or none)."""
    if not auth.lower().startswith("digest "):
        return False
    fields: dict[str, str] = {}
    for part in auth[7:].split(","):
        if "=" in part:
            k, v = part.strip().split("=", 1)
            fields[k] = v.strip('"')
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha1 = md5(f"{user}:{realm}:{password}")
    ha2 = md5(f"{method}:{fields.get('uri', '')}")
    if fields.get("qop"):
        expect = md5(f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:{ha2}")
    else:
        expect = md5(f"{ha1}:{fields.get('nonce', '')}:{ha2}")
    return fields.get("username") == user and fields.get("response") == expect


STREAM_LIMIT_S = 20.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (read-timeout tests) leaves a broken pipe: that is expected.
        return


class ReplayCamera:
    """The server; use ``replay_camera(...)`` to run it for the length of a ``with`` block."""

    def __init__(self, routes: dict[str, Route] | None = None, *, user: str = "admin",
                 ws_password: str | None = None, digest_password: str | None = None,
                 clock_offset_s: float = 0.0, window_s: float = 300.0, host: str = "127.0.0.1",
                 port: int = 0, anonymous: frozenset[str] | set[str] = frozenset({"tds:GetSystemDateAndTime"}),
                 accept_any_password: bool = False, ws_refusal_digest: bool = False) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.user = user
        self.ws_password = ws_password
        self.digest_password = digest_password
        self.clock_offset_s = clock_offset_s
        self.window_s = window_s
        self.requests: list[Request] = []
        self.default: Route | None = None  # answer for every request (overrides routes)
        self.host = host
        self.anonymous = frozenset(anonymous)
        self.accept_any_password = accept_any_password
        self.ws_refusal_digest = ws_refusal_digest
        self.logins = 0  # requests that carried a WS-UsernameToken or an HTTP Authorization
        self.refused = 0  # of those, refused
        self.wrong_accepted = 0  # of those, with a wrong password and answered anyway
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def xaddr(self) -> str:
        return f"http://{self.target}/onvif/device_service"

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.clock_offset_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # ends any stream still being written
        self._server.shutdown()
        self._server.server_close()

    def _ws_ok(self, req: Request) -> bool:
        if self.ws_password is None:
            return True
        if not (req.username == self.user and req.nonce and req.created and req.password_digest):
            return False
        nonce = base64.b64decode(req.nonce)
        expect = base64.b64encode(hashlib.sha1(nonce + req.created.encode() + self.ws_password.encode())
                                  .digest()).decode()
        created = datetime.strptime(req.created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        fresh = abs((created - self.now()).total_seconds()) <= self.window_s
        return expect == req.password_digest and fresh

    def _challenge(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Digest realm="replay", nonce="{secrets.token_hex(8)}", qop="auth"'}

    def _count(self, *, carried: bool, refused: bool = False, wrong_accepted: bool = False) -> None:
        with self._lock:
            self.logins += carried
            self.refused += carried and refused
            self.wrong_accepted += carried and wrong_accepted

    def answer(self, req: Request, method: str) -> Reply:
        authorization = req.headers.get("Authorization", "")
        carried = bool(authorization) or req.username is not None
        if self.digest_password is not None and not _digest_ok(
                authorization, method, self.digest_password, self.user, "replay"):
            self._count(carried=carried, refused=True)
            return Reply(b"", status=401, content_type="text/plain", headers=self._challenge())
        route = self.default or self.routes.get(req.operation)
        if self.ws_refusal_digest and authorization:
            ok = self.ws_password is not None and _digest_ok(authorization, method, self.ws_password, self.user,
                                                             "replay")
            self._count(carried=True, refused=not ok)
            if not ok:
                return Reply(b"", status=401, content_type="text/plain", headers=self._challenge())
        elif req.operation not in self.anonymous:
            ok = self._ws_ok(req) if req.username is not None or not self.accept_any_password else True
            if self.accept_any_password:
                self._count(carried=carried, wrong_accepted=not ok)
            elif not ok:
                self._count(carried=carried, refused=True)
                if self.ws_refusal_digest:
                    reply = Reply.fault("ter:NotAuthorized", reason="Sender not Authorized", status=401)
                    reply.headers.update(self._challenge())
                    return reply
                return Reply.fault("ter:NotAuthorized", reason="Sender not Authorized")
            else:
                self._count(carried=carried)
        if route is None:
            return Reply.fault("ter:ActionNotSupported", code="env:Receiver",
                               reason=f"Optional Action Not Implemented: {req.operation}")
        return route(req) if callable(route) else route

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet tests
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                req = _parse(self.path, dict(self.headers.items()), body)
                with replay._lock:
                    replay.requests.append(req)
                reply = replay.answer(req, "POST")
                if reply.delay_s:
                    replay._stopping.wait(reply.delay_s)
                if reply.chunks is not None:
                    self._stream(reply)
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(reply.body)

            def _stream(self, reply: Reply) -> None:
                assert reply.chunks is not None
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if reply.length is not None:
                    self.send_header("Content-Length", str(reply.length))
                self.send_header("Connection", "close")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.close_connection = True
                ends = time.monotonic() + STREAM_LIMIT_S
                try:
                    for chunk in reply.chunks():
                        if replay._stopping.is_set() or time.monotonic() > ends:
                            return
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if reply.trickle_s and replay._stopping.wait(reply.trickle_s):
                            return
                except OSError:  # the client gave up: that is what the test wants
                    return

        return Handler


@contextmanager
def replay_camera(routes: dict[str, Route] | None = None, **kwargs: object) -> Iterator[ReplayCamera]:
    cam = ReplayCamera(routes, **kwargs)  # type: ignore[arg-type]
    cam.start()
    try:
        yield cam
    finally:
        cam.stop()
