"""Simulated district centre: the HTTP JSON API kitchencam registers cameras with.

Contract: ``docs/reference/centre-api.yaml`` (OpenAPI 3.1). Stdlib only: ThreadingHTTPServer
over SQLite. Behaviour a client must cope with, as a real platform would show it:

* Bearer token on everything but ``/api/v1/health``; 401 with ``WWW-Authenticate: Bearer``.
* ``POST /api/v1/devices`` needs an ``Idempotency-Key``: the same key with the same body
  replays the first answer (200, ``Idempotent-Replayed: true``, no new record); the same key
  with another body is 409. One record per (school_code, serial): a new key for a known
  camera updates it (200) instead of creating it (201).
* The camera's centre password is kept only as a salted PBKDF2 hash, never returned.
* ``POST /api/v1/bandwidth/upload`` streams the body to nowhere, counting bytes.
* Faults (``--centre-fault``): ``500``, ``503``, ``401``, ``down``, ``slow=MS``, ``drop=P``.
* With ``sip_port`` set, a GB/T 28181 registrar (kitchencam/sim/gb28181.py) listens on
  ``udp://ip:sip_port`` beside the HTTP API, and ``GET /api/v1/connections[/{device_id}]``
  reports which devices dialled in: ``online``, ``via``, ``last_seen``.
* With ``auto_register_port`` / ``isup_port`` set, the stand-in dial-in listeners for Dahua Auto
  Register and Hikvision ISUP (kitchencam/sim/dialin.py) listen on ``tcp://ip:port``; the
  connections endpoint reports them too (``via`` ``auto-register`` / ``isup``), with the last
  refusal's code (``last_refusal``) so a client can diagnose a camera that is not online.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kitchencam.sim.dialin import DialInRecord, DialInServer
from kitchencam.sim.gb28181 import Connection, Gb28181Registrar
from kitchencam.sim.serving import QuietClientErrors

logger = logging.getLogger(__name__)

API_VERSION = "1.0.0"
MAX_JSON_BODY = 1024 * 1024
#: Largest upload the bandwidth endpoint accepts (a 10 s test at 100 Mbit/s is 125 MB).
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
UPLOAD_CHUNK = 64 * 1024
READ_TIMEOUT = 30.0
COMPLIANCE_STATUSES = ("PASS", "FAIL", "WARN", "MANUAL", "UNKNOWN")

_SCHOOL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

_STRING_FIELDS = {  # name -> (required, max length)
    "school_code": (True, 32),
    "serial": (True, 64),
    "manufacturer": (False, 128),
    "model": (False, 128),
    "mac": (False, 17),
    "firmware": (False, 128),
    "name": (False, 128),
    "location": (False, 256),
    "onvif_xaddr": (False, 512),
    "centre_user": (False, 64),
    "centre_password": (False, 128),
}
_KNOWN_FIELDS = {*_STRING_FIELDS, "rtsp_urls", "compliance"}
_COMPLIANCE_FIELDS = {"status", "summary", "profile", "checked_at", "verdicts"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    school_code TEXT NOT NULL,
    serial TEXT NOT NULL,
    fields TEXT NOT NULL,
    password_hash TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (school_code, serial)
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    body_sha256 TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


#: PBKDF2 rounds of the stored password hash. The hash only proves the password was delivered
#: (a real centre keeps it recoverable, encrypted, since it logs in to the camera); at 100 000
#: rounds (57 ms each here) the simulator's hashing, not the client, set the pace of a
#: 200-camera sync.
PASSWORD_ROUNDS = 1_000


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PASSWORD_ROUNDS)
    return f"pbkdf2_sha256${PASSWORD_ROUNDS}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, rounds, salt, digest = stored.split("$")
        got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def parse_faults(faults: list[str]) -> dict[str, Any]:
    """``["500", "slow=200", "drop=0.3"]`` -> {"status": 500, "slow_ms": 200, "drop": 0.3}."""
    out: dict[str, Any] = {"status": None, "down": False, "slow_ms": 0, "drop": 0.0, "auth": False}
    for raw in faults:
        fault = raw.strip().lower()
        name, _, value = fault.partition("=")
        if fault in ("500", "503"):
            out["status"] = int(fault)
        elif fault == "401":
            out["auth"] = True
        elif fault == "down":
            out["down"] = True
        elif name == "slow" and value.isdigit():
            out["slow_ms"] = int(value)
        elif name == "drop":
            try:
                p = float(value)
            except ValueError:
                p = -1.0
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"centre fault {raw!r}: drop=P needs 0 <= P <= 1")
            out["drop"] = p
        else:
            raise ValueError(f"unknown centre fault {raw!r}: use 500, 503, 401, down, slow=MS or drop=P")
    return out


def validate_device(body: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Return (clean fields, errors). Errors name the field and what was expected."""
    errors: list[dict[str, str]] = []
    if not isinstance(body, dict):
        return {}, [{"field": "", "message": "body must be a JSON object"}]
    clean: dict[str, Any] = {}
    for name in sorted(set(body) - _KNOWN_FIELDS):
        errors.append({"field": name, "message": "unknown field"})
    for name, (required, max_len) in _STRING_FIELDS.items():
        value = body.get(name)
        if value is None:
            if required:
                errors.append({"field": name, "message": "required"})
            continue
        if not isinstance(value, str):
            errors.append({"field": name, "message": "must be a string"})
            continue
        if required and not value.strip():
            errors.append({"field": name, "message": "must not be empty"})
            continue
        if len(value) > max_len:
            errors.append({"field": name, "message": f"at most {max_len} characters"})
            continue
        clean[name] = value
    if "school_code" in clean and not _SCHOOL_CODE.match(clean["school_code"]):
        errors.append({"field": "school_code", "message": "letters, digits, '-' and '_', up to 32"})
    if "mac" in clean and not _MAC.match(clean["mac"]):
        errors.append({"field": "mac", "message": "six hex pairs like 3c:ef:8c:12:34:56"})
    if "onvif_xaddr" in clean and not re.match(r"^https?://[^\s/]+", clean["onvif_xaddr"]):
        errors.append({"field": "onvif_xaddr", "message": "an http:// or https:// URL"})
    if "centre_password" in clean and not clean["centre_password"]:
        errors.append({"field": "centre_password", "message": "must not be empty"})
    urls = body.get("rtsp_urls")
    if urls is not None:
        if not isinstance(urls, list) or len(urls) > 16:
            errors.append({"field": "rtsp_urls", "message": "a list of at most 16 rtsp:// URLs"})
        else:
            for i, url in enumerate(urls):
                if not isinstance(url, str) or not re.match(r"^rtsps?://\S+$", url) or len(url) > 512:
                    errors.append({"field": f"rtsp_urls[{i}]", "message": "an rtsp:// URL"})
            clean["rtsp_urls"] = urls
    compliance = body.get("compliance")
    if compliance is not None:
        if not isinstance(compliance, dict):
            errors.append({"field": "compliance", "message": "must be an object"})
        else:
            for name in sorted(set(compliance) - _COMPLIANCE_FIELDS):
                errors.append({"field": f"compliance.{name}", "message": "unknown field"})
            if compliance.get("status") not in COMPLIANCE_STATUSES:
                errors.append({"field": "compliance.status",
                               "message": "one of " + ", ".join(COMPLIANCE_STATUSES)})
            for name in ("summary", "profile", "checked_at"):
                value = compliance.get(name)
                if value is not None and (not isinstance(value, str) or len(value) > 2000):
                    errors.append({"field": f"compliance.{name}", "message": "a string"})
            verdicts = compliance.get("verdicts")
            if verdicts is not None and not isinstance(verdicts, list):
                errors.append({"field": "compliance.verdicts", "message": "a list"})
            clean["compliance"] = compliance
    return clean, errors


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, fields: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}
        self.close = close


class _Server(QuietClientErrors, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    owner: CentreServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without this, Nagle holds the body for the client's
    # delayed ACK (~40 ms per request on loopback), which would skew registration benchmarks.
    disable_nagle_algorithm = True
    server_version = "kitchencam-centre-sim/" + API_VERSION
    sys_version = ""
    timeout = READ_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("centre %s " + format, self.client_address[0], *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        owner = self.server.owner
        faults = owner.fault_config
        if faults["slow_ms"]:
            time.sleep(faults["slow_ms"] / 1000.0)
        if faults["drop"] and owner.chance() < faults["drop"]:
            # The request vanishes: the connection closes with no answer at all.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            status, payload, headers = owner.route(self, method)
        except _ApiError as err:
            body: dict[str, Any] = {"error": err.code, "message": err.message}
            if err.fields is not None:
                body["fields"] = err.fields
            if err.close:
                self.close_connection = True
            self._json(err.status, body, err.headers)
            return
        self._json(status, payload, headers)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except OSError as exc:
            logger.debug("centre reply failed: %s", exc)
            self.close_connection = True

    # ------------------------------------------------------------ body reading
    def body_length(self) -> int | None:
        """Content-Length, or None for chunked. Raises for neither/both/bad values."""
        te = self.headers.get("Transfer-Encoding")
        cl = self.headers.get("Content-Length")
        if te is not None:
            if te.strip().lower() != "chunked" or cl is not None:
                raise _ApiError(400, "bad_request", "unsupported Transfer-Encoding", close=True)
            return None
        if cl is None:
            raise _ApiError(411, "length_required", "send Content-Length or chunked encoding", close=True)
        try:
            n = int(cl)
        except ValueError:
            n = -1
        if n < 0:
            raise _ApiError(400, "bad_request", "bad Content-Length", close=True)
        return n

    def iter_body(self, limit: int) -> Any:
        """Yield the body in chunks of at most UPLOAD_CHUNK bytes, never all at once."""
        length = self.body_length()
        if length is not None:
            if length > limit:
                raise _ApiError(413, "too_large", f"body larger than {limit} bytes", close=True)
            left = length
            while left > 0:
                chunk = self.rfile.read(min(UPLOAD_CHUNK, left))
                if not chunk:
                    raise _ApiError(400, "bad_request", "body shorter than Content-Length", close=True)
                left -= len(chunk)
                yield chunk
            return
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            if not size_line.endswith(b"\n"):
                raise _ApiError(400, "bad_request", "bad chunk header", close=True)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _ApiError(400, "bad_request", "bad chunk size", close=True) from None
            if size == 0:
                # Trailers (bounded), then the blank line.
                for _ in range(64):
                    line = self.rfile.readline(8192)
                    if line in (b"\r\n", b"\n", b""):
                        break
                return
            total += size
            if total > limit:
                raise _ApiError(413, "too_large", f"body larger than {limit} bytes", close=True)
            left = size
            while left > 0:
                chunk = self.rfile.read(min(UPLOAD_CHUNK, left))
                if not chunk:
                    raise _ApiError(400, "bad_request", "truncated chunk", close=True)
                left -= len(chunk)
                yield chunk
            if self.rfile.readline(8) not in (b"\r\n", b"\n"):
                raise _ApiError(400, "bad_request", "chunk not followed by CRLF", close=True)

    def read_json(self) -> tuple[Any, bytes]:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self.close_connection = True
            raise _ApiError(415, "unsupported_media_type", "send Content-Type: application/json", close=True)
        raw = b"".join(self.iter_body(MAX_JSON_BODY))
        try:
            return json.loads(raw.decode("utf-8")), raw
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _ApiError(400, "bad_json", f"body is not valid JSON: {exc}") from None


class CentreServer:
    """The district centre on ``http://ip:port``; ``start()`` / ``stop()``; see the module doc."""

    def __init__(
        self,
        ip: str,
        port: int = 0,
        token: str = "",
        db_path: str | None = None,
        faults: list[str] | None = None,
        *,
        device_id_prefix: str = "TT",
        rng_seed: int | None = None,
        sip_port: int | None = None,
        sip_domain: str = "3402000000",
        sip_server_id: str | None = None,
        sip_password: str | None = None,
        sip_keepalive_interval: float = 60.0,
        auto_register_port: int | None = None,
        isup_port: int | None = None,
        isup_key: str | None = None,
        dialin_keepalive_interval: float = 30.0,
        dialin_known: Any = None,
    ) -> None:
        if not token:
            raise ValueError("the centre needs a bearer token")
        self.ip = ip
        self._requested_port = port
        self.token = token
        self.fault_config = parse_faults(list(faults or []))
        self.faults = list(faults or [])
        self.device_id_prefix = device_id_prefix
        # Fault injection only (drop=P); seeded in tests for repeatability.
        self._rng = random.Random(rng_seed)  # noqa: S311
        self._tmpdir: str | None = None
        if db_path is None or db_path == ":memory:":
            self._tmpdir = tempfile.mkdtemp(prefix="kitchencam-centre-")
            db_path = os.path.join(self._tmpdir, "centre.sqlite3")
        self.db_path = db_path
        self._db: sqlite3.Connection | None = None
        self._db_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._down_port: int | None = None
        # GB/T 28181: one password for every device of the domain, made up per run unless given.
        self.sip_port = sip_port
        self.sip_domain = sip_domain
        self.sip_server_id = sip_server_id or f"{sip_domain}2000000001"
        self.sip_password = sip_password or secrets.token_urlsafe(12)
        self.sip_keepalive_interval = sip_keepalive_interval
        self.registrar: Gb28181Registrar | None = None
        # Dahua Auto Register and Hikvision ISUP (stand-ins); one ISUP key per run unless given.
        self.auto_register_port = auto_register_port
        self.isup_port = isup_port
        self.isup_key = isup_key or secrets.token_urlsafe(9)
        self.dialin_keepalive_interval = dialin_keepalive_interval
        self.dialin_known = dialin_known
        self.dialins: dict[str, DialInServer] = {}

    # ------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        if self._server is not None:
            return int(self._server.server_address[1])
        if self._down_port is not None:
            return self._down_port
        return self._requested_port

    @property
    def base_url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def chance(self) -> float:
        return self._rng.random()

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("centre already started")
        self._open_db()
        if self.fault_config["down"]:
            # "down": nothing listens. Pick a port that refuses connections right now, so
            # base_url is a real address a client can try and fail on.
            if self._requested_port:
                self._down_port = self._requested_port
            else:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind((self.ip, 0))
                    self._down_port = int(s.getsockname()[1])
            return
        if self.sip_port is not None:
            registrar = Gb28181Registrar(self.ip, self.sip_port, server_id=self.sip_server_id,
                                         domain=self.sip_domain, password=self.sip_password,
                                         keepalive_interval=self.sip_keepalive_interval)
            registrar.start()
            self.registrar = registrar
        try:
            for kind, port in (("auto-register", self.auto_register_port), ("isup", self.isup_port)):
                if port is None:
                    continue
                listener = DialInServer(self.ip, port, kind=kind, key=self.isup_key if kind == "isup" else None,
                                        keepalive_interval=self.dialin_keepalive_interval, known=self.dialin_known)
                listener.start()
                self.dialins[kind] = listener
            server = _Server((self.ip, self._requested_port), _Handler)
        except BaseException:
            self._stop_registrar()
            raise
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"centre-{self.ip}:{self.port}", daemon=True)
        self._thread.start()

    def _stop_registrar(self) -> None:
        registrar, self.registrar = self.registrar, None
        if registrar is not None:
            registrar.stop()
        dialins, self.dialins = self.dialins, {}
        for listener in dialins.values():
            listener.stop()

    def dialin_url(self, kind: str) -> str | None:
        """``tcp://ip:port`` of the ``auto-register`` or ``isup`` listener, if it runs."""
        listener = self.dialins.get(kind)
        return listener.url if listener is not None else None

    @property
    def sip_url(self) -> str | None:
        return self.registrar.url if self.registrar is not None else None

    def stop(self) -> None:
        self._stop_registrar()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        with self._db_lock:
            if self._db is not None:
                self._db.close()
                self._db = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> CentreServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open_db(self) -> None:
        db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        self._db = db

    # ------------------------------------------------------------ routing
    def route(self, handler: _Handler, method: str) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(handler.path)
        path = split.path.rstrip("/") or "/"
        if path == "/api/v1/health":
            if method != "GET":
                raise _ApiError(405, "method_not_allowed", "use GET", headers={"Allow": "GET"})
            return 200, {"status": "ok", "version": API_VERSION, "time": _now()}, {}
        routes = {
            "/api/v1/devices": ("GET", "POST"),
            "/api/v1/bandwidth/upload": ("POST",),
        }
        device_match = re.fullmatch(r"/api/v1/devices/([A-Za-z0-9_-]{1,64})", path)
        connection_match = re.fullmatch(r"/api/v1/connections(?:/([A-Za-z0-9_-]{1,64}))?", path)
        allowed = routes.get(path) or (("GET",) if device_match or connection_match else None)
        if allowed is None:
            raise _ApiError(404, "not_found", f"no such endpoint: {split.path}", close=method != "GET")
        self._check_auth(handler)
        status = self.fault_config["status"]
        if status is not None:
            headers = {"Retry-After": "1"} if status == 503 else {}
            message = "internal error" if status == 500 else "service unavailable, try again later"
            raise _ApiError(status, "server_error" if status == 500 else "unavailable", message,
                            headers=headers, close=method == "POST")
        if method not in allowed:
            raise _ApiError(405, "method_not_allowed", f"use {', '.join(allowed)}",
                            headers={"Allow": ", ".join(allowed)}, close=method == "POST")
        if path == "/api/v1/bandwidth/upload":
            return self._upload(handler)
        if device_match:
            return self._get_device(device_match.group(1))
        if connection_match:
            if connection_match.group(1) is None:
                records = self.connections()
                return 200, {"connections": records, "count": len(records)}, {}
            return 200, self.connection(connection_match.group(1)), {}
        if method == "GET":
            query = parse_qs(split.query)
            return self._list_devices(query["school_code"][0] if query.get("school_code") else None)
        return self._register(handler)

    def _check_auth(self, handler: _Handler) -> None:
        header = handler.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        challenge = 'Bearer realm="kitchencam-centre"'
        # Close on failure: the unread request body must not be parsed as the next request.
        if scheme.lower() != "bearer" or not value.strip():
            raise _ApiError(401, "unauthorized", "send Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": challenge}, close=True)
        if self.fault_config["auth"] or not hmac.compare_digest(value.strip().encode(), self.token.encode()):
            raise _ApiError(401, "invalid_token", "the token was not accepted",
                            headers={"WWW-Authenticate": challenge + ', error="invalid_token"'}, close=True)

    # ------------------------------------------------------------ endpoints
    def _upload(self, handler: _Handler) -> tuple[int, Any, dict[str, str]]:
        started = time.monotonic()
        total = 0
        for chunk in handler.iter_body(MAX_UPLOAD_BYTES):
            total += len(chunk)
        elapsed = time.monotonic() - started
        return 200, {"bytes": total, "seconds": round(elapsed, 6)}, {}

    def _register(self, handler: _Handler) -> tuple[int, Any, dict[str, str]]:
        key = (handler.headers.get("Idempotency-Key") or "").strip()
        if not key:
            raise _ApiError(400, "idempotency_key_required", "send an Idempotency-Key header", close=True)
        if not _KEY.match(key):
            raise _ApiError(400, "bad_idempotency_key", "Idempotency-Key: 1-255 visible ASCII characters",
                            close=True)
        body, _raw = handler.read_json()
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        body_hash = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        with self._db_lock:
            db = self._require_db()
            row = db.execute("SELECT body_sha256, response FROM idempotency WHERE key = ?", (key,)).fetchone()
            if row is not None:
                if row[0] != body_hash:
                    raise _ApiError(409, "idempotency_conflict",
                                    "this Idempotency-Key was used with a different body")
                return 200, json.loads(row[1]), {"Idempotent-Replayed": "true"}
            clean, errors = validate_device(body)
            if errors:
                # Not recorded under the key: the client may fix the body and retry with it.
                raise _ApiError(422, "validation_failed", "the device record is not valid", fields=errors)
            db.execute("BEGIN IMMEDIATE")
            try:
                status, response = self._upsert(db, clean)
                db.execute("INSERT INTO idempotency (key, body_sha256, status, response, created_at) "
                           "VALUES (?, ?, ?, ?, ?)", (key, body_hash, status, json.dumps(response), _now()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return status, response, {"Location": f"/api/v1/devices/{response['device_id']}"}

    def _upsert(self, db: sqlite3.Connection, clean: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        password = clean.pop("centre_password", None)
        school, serial = clean["school_code"], clean["serial"]
        now = _now()
        row = db.execute("SELECT device_id, password_hash, created_at FROM devices "
                         "WHERE school_code = ? AND serial = ?", (school, serial)).fetchone()
        # An update without a password keeps the one delivered before.
        pw_hash = hash_password(password) if password else (row[1] if row else None)
        if row is None:
            db.execute("INSERT INTO counters (name, value) VALUES ('device', 1) "
                       "ON CONFLICT(name) DO UPDATE SET value = value + 1")
            n = db.execute("SELECT value FROM counters WHERE name = 'device'").fetchone()[0]
            device_id = f"{self.device_id_prefix}-{n:06d}"
            db.execute("INSERT INTO devices (device_id, school_code, serial, fields, password_hash, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (device_id, school, serial, json.dumps(clean), pw_hash, now, now))
            status, created_at = 201, now
        else:
            device_id, created_at = row[0], row[2]
            db.execute("UPDATE devices SET fields = ?, password_hash = ?, updated_at = ? "
                       "WHERE device_id = ?", (json.dumps(clean), pw_hash, now, device_id))
            status = 200
        record = self._public(device_id, clean, pw_hash, created_at, now)
        record["created"] = status == 201
        record["status"] = "registered"
        return status, record

    @staticmethod
    def _public(device_id: str, fields: dict[str, Any], pw_hash: str | None, created: str,
                updated: str) -> dict[str, Any]:
        record = {"device_id": device_id, **fields}
        record.pop("centre_password", None)
        record["centre_password_set"] = pw_hash is not None
        record["registered_at"] = created
        record["updated_at"] = updated
        return record

    def _rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        select = "SELECT device_id, fields, password_hash, created_at, updated_at FROM devices"
        queries = {
            None: select + " ORDER BY device_id",
            "school_code": select + " WHERE school_code = ? ORDER BY device_id",
            "device_id": select + " WHERE device_id = ?",
        }
        with self._db_lock:
            rows = self._require_db().execute(queries[column], () if column is None else (value,)).fetchall()
        return [self._public(r[0], json.loads(r[1]), r[2], r[3], r[4]) for r in rows]

    def _list_devices(self, school_code: str | None) -> tuple[int, Any, dict[str, str]]:
        rows = self._rows("school_code", school_code) if school_code else self._rows()
        return 200, {"devices": rows, "count": len(rows)}, {}

    def _get_device(self, device_id: str) -> tuple[int, Any, dict[str, str]]:
        rows = self._rows("device_id", device_id)
        if not rows:
            raise _ApiError(404, "not_found", f"no device {device_id}")
        return 200, rows[0], {}

    def _require_db(self) -> sqlite3.Connection:
        if self._db is None:
            raise _ApiError(503, "unavailable", "centre is stopping")
        return self._db

    # ------------------------------------------------------------ dial-out connections
    @staticmethod
    def _iso(t: float | None) -> str | None:
        if t is None:
            return None
        return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")

    def _gb_record(self, conn: Connection, now: float) -> dict[str, Any]:
        registrar = self.registrar
        assert registrar is not None
        iso = self._iso
        return {
            "device_id": conn.device_id,
            "online": conn.online(now, registrar.keepalive_timeout),
            "via": registrar.via,
            "last_seen": iso(conn.last_seen),
            "registered": conn.registered and conn.expires_at is not None and conn.expires_at > now,
            "expires_at": iso(conn.expires_at),
            "last_keepalive": iso(conn.last_keepalive),
            "source": conn.source or None,
        }

    def _dialin_record(self, rec: DialInRecord) -> dict[str, Any]:
        iso = self._iso
        return {"device_id": rec.device_id, "online": rec.online, "via": rec.via, "last_seen": iso(rec.last_seen),
                "registered": rec.online, "expires_at": None, "last_keepalive": iso(rec.last_keepalive),
                "source": rec.source}

    def _connection_record(self, device_id: str, now: float) -> dict[str, Any]:
        """The device's record across every method: the online one (else the most recently seen),
        with the latest refusal any method gave it."""
        candidates: list[tuple[dict[str, Any], float]] = []
        refusals: list[tuple[float, str]] = []
        registrar = self.registrar
        if registrar is not None:
            conn = registrar.connection(device_id)
            if conn is not None:
                candidates.append((self._gb_record(conn, now), conn.last_seen or 0.0))
            refusal = registrar.last_refusal(device_id)
            if refusal is not None:
                refusals.append((refusal[1], refusal[0]))
        for listener in self.dialins.values():
            rec = listener.record(device_id)
            if rec is None:
                continue
            if rec.last_seen is not None:
                candidates.append((self._dialin_record(rec), rec.last_seen))
            if rec.last_refusal is not None and rec.last_refusal_at is not None:
                refusals.append((rec.last_refusal_at, rec.last_refusal))
        if candidates:
            record = max(candidates, key=lambda c: (c[0]["online"], c[1]))[0]
        else:
            record = {"device_id": device_id, "online": False, "via": None, "last_seen": None,
                      "registered": False, "expires_at": None, "last_keepalive": None, "source": None}
        latest = max(refusals) if refusals else None
        record["last_refusal"] = latest[1] if latest else None
        record["last_refusal_at"] = self._iso(latest[0]) if latest else None
        return record

    def connections(self) -> list[dict[str, Any]]:
        """Every device that ever dialled in (or was refused), as GET /api/v1/connections lists them."""
        now = time.time()
        known: set[str] = set()
        if self.registrar is not None:
            known.update(self.registrar.connections())
            known.update(self.registrar.refused_ids())
        for listener in self.dialins.values():
            known.update(listener.records())
        return [self._connection_record(k, now) for k in sorted(known)]

    def connection(self, device_id: str) -> dict[str, Any]:
        """One device's dial-out state; a device never heard from is simply offline."""
        return self._connection_record(device_id, time.time())

    # ------------------------------------------------------------ test helpers (Python, not HTTP)
    def devices(self, school_code: str | None = None) -> list[dict[str, Any]]:
        """What the centre holds, as GET /api/v1/devices would list it."""
        return self._list_devices(school_code)[1]["devices"]

    def password_matches(self, device_id: str, password: str) -> bool:
        """Proves a password was delivered without the centre ever storing or showing it."""
        with self._db_lock:
            row = self._require_db().execute("SELECT password_hash FROM devices WHERE device_id = ?",
                                             (device_id,)).fetchone()
        return bool(row and row[0] and verify_password(password, row[0]))
