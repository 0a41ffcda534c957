"""The simulated centre's dial-in side for Dahua Auto Register and Hikvision ISUP: a STAND-IN.

Dahua's Auto Register (DVRIP to a DSS platform) and Hikvision's ISUP (EHome) are proprietary
binary protocols with no public specification. The simulator does not pretend to speak them:
camera (:mod:`kitchencam.sim.dialout`) and centre (this module) speak a small stand-in over TCP
that keeps what matters to kitchencam: the camera dials out to the host and port it was configured
with, identifies itself with the device ID it was given, proves the ISUP key without sending it,
keeps the session alive, and the centre can refuse it with a reason and sees it drop.

Wire format (documented in docs/reference/simulator.md, "Dial-out stand-in"): one JSON object per
line (UTF-8, ``\\n``-terminated, at most :data:`MAX_LINE` bytes)::

    camera -> {"op": "hello", "v": 1, "kind": "auto-register"|"isup", "device_id": ..., "serial": ..., "model": ...}
    centre -> (isup only) {"op": "challenge", "nonce": "<32 hex>"}
    camera -> (isup only) {"op": "auth", "mac": hex(HMAC-SHA256(key, nonce + ":" + device_id))}
    centre -> {"op": "welcome", "keepalive": SECONDS}  |  {"op": "refused", "reason": CODE, "message": TEXT}
    camera -> {"op": "keepalive", "seq": N}   every SECONDS
    centre -> {"op": "ack", "seq": N}
    camera -> {"op": "bye"}                   when its dial-out is disabled (a reboot just drops)

A refused camera is disconnected after the ``refused`` line. The centre drops a client that has
not finished its handshake within :data:`HANDSHAKE_TIMEOUT` seconds (however slowly it trickles
bytes), or is silent for ``keepalive`` x ``keepalive_misses`` seconds once online. Everything a
client sends is untrusted: line length capped, strict UTF-8 and JSON (no NaN), fields type- and
length-checked; at most ``max_clients`` sessions at once (more are refused ``busy``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kitchencam.sim.listener import Listener

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
#: Longest line either side accepts (bytes, without the newline).
MAX_LINE = 1024
#: Seconds a client has to finish hello (and the ISUP challenge) from its connect.
HANDSHAKE_TIMEOUT = 5.0
#: Devices the centre remembers at most (new ones past it are refused ``busy``).
MAX_RECORDS = 10_000
KINDS = ("auto-register", "isup")

#: A device ID the centre accepts: what its REST API can be asked about (``/connections/{id}``).
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
NONCE = re.compile(r"^[0-9a-f]{32}$")
_MAC = re.compile(r"^[0-9a-f]{64}$")

#: Refusal codes (``reason``), stable for clients to diagnose with.
REFUSALS = {
    "bad-hello": "the first line was not a valid hello",
    "wrong-kind": "this port takes another registration method",
    "bad-device-id": "the device ID is empty or ill-formed (letters, digits, '-', '_'; at most 64)",
    "unknown-device-id": "the centre does not know this device ID",
    "wrong-key": "the ISUP key answer is wrong",
    "bad-auth": "the ISUP auth line was not valid",
    "timeout": "the handshake was not finished in time",
    "busy": "the centre has too many sessions",
}


class ProtocolError(ValueError):
    """A line that is not a well-formed stand-in message, or a connection that broke the rules."""


class Closed(ConnectionError):
    """The peer closed the connection."""


def isup_mac(key: str, nonce: str, device_id: str) -> str:
    """The ISUP stand-in's proof of the key: HMAC-SHA256(key, nonce ":" device_id), hex."""
    return hmac.new(key.encode("utf-8"), f"{nonce}:{device_id}".encode(), hashlib.sha256).hexdigest()


def encode(message: dict[str, Any]) -> bytes:
    data = json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"
    if len(data) > MAX_LINE + 1:
        raise ProtocolError("message longer than a line may be")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(line: bytes) -> dict[str, Any]:
    """One line -> a JSON object; raise :class:`ProtocolError` for anything else."""
    if len(line) > MAX_LINE:
        raise ProtocolError("line too long")
    try:
        value = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProtocolError("not a JSON line") from None
    if not isinstance(value, dict) or not isinstance(value.get("op"), str):
        raise ProtocolError("not a JSON object with an op")
    return value


def text_field(message: dict[str, Any], name: str, limit: int = 128) -> str | None:
    value = message.get(name)
    if not isinstance(value, str) or len(value) > limit or any(ord(c) < 0x20 for c in value):
        return None
    return value


class LineReader:
    """Reads ``\\n``-terminated lines from a socket against an absolute deadline, bounded."""

    def __init__(self, sock: socket.socket, stop: threading.Event | None = None, slice_s: float = 0.25) -> None:
        self.sock = sock
        self.stop = stop
        self.slice = slice_s
        self.buf = bytearray()

    def line(self, deadline: float) -> bytes:
        """Raise TimeoutError past ``deadline``, :class:`Closed` on EOF, :class:`ProtocolError`
        for a line over :data:`MAX_LINE`; return the line without its newline."""
        while True:
            end = self.buf.find(b"\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 1]
                if len(line) > MAX_LINE:
                    raise ProtocolError("line too long")
                return line.rstrip(b"\r")
            if len(self.buf) > MAX_LINE:
                raise ProtocolError("line too long")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete line in time")
            if self.stop is not None and self.stop.is_set():
                raise Closed("stopping")
            self.sock.settimeout(min(left, self.slice))
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                raise Closed("connection closed")
            self.buf += chunk


# ------------------------------------------------------------------------------------ the centre
@dataclass
class DialInRecord:
    """What the centre knows of one device on one method. Times: wall clock (time.time())."""

    device_id: str
    via: str
    online: bool = False
    connected_at: float | None = None
    last_seen: float | None = None
    last_keepalive: float | None = None
    source: str | None = None
    sessions: int = 0
    keepalives: int = 0
    last_refusal: str | None = None
    last_refusal_at: float | None = None


@dataclass
class DialInStats:
    accepted: int = 0
    online: int = 0
    refused: int = 0
    malformed: int = 0
    timeouts: int = 0
    busy: int = 0


class DialInServer(Listener):
    """The centre's stand-in listener for one method (``auto-register`` or ``isup``) on ``tcp://ip:port``."""

    scheme = "tcp"

    def __init__(
        self,
        ip: str,
        port: int = 0,
        *,
        kind: str,
        key: str | None = None,
        keepalive_interval: float = 30.0,
        keepalive_misses: int = 3,
        max_clients: int = 64,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        known: Callable[[str], bool] | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind is one of {', '.join(KINDS)}")
        if kind == "isup" and not key:
            raise ValueError("the ISUP listener needs the centre's ISUP key")
        super().__init__(ip, port, keepalive_interval=keepalive_interval, keepalive_misses=keepalive_misses)
        self.kind = kind
        self.thread_name = f"dialin-{kind}"
        self.key = key
        self.max_clients = max_clients
        self.handshake_timeout = handshake_timeout
        #: Which device IDs the centre takes (None: any well-formed ID).
        self.known = known
        self.stats = DialInStats()
        self._records: dict[str, DialInRecord] = {}
        self._sessions: dict[str, socket.socket] = {}  # device_id -> its live socket
        self._clients: set[socket.socket] = set()

    @property
    def via(self) -> str:
        return self.kind

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.ip, self._requested_port))
            sock.listen(16)
            sock.settimeout(0.2)
        except BaseException:
            sock.close()
            raise
        return sock

    def _after_stop(self) -> None:
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)

    # ---------------------------------------------------------------- state (read by the centre)
    def records(self) -> dict[str, DialInRecord]:
        with self._lock:
            return {k: DialInRecord(**vars(v)) for k, v in self._records.items()}

    def record(self, device_id: str) -> DialInRecord | None:
        with self._lock:
            rec = self._records.get(device_id)
            return DialInRecord(**vars(rec)) if rec is not None else None

    def is_online(self, device_id: str) -> bool:
        rec = self.record(device_id)
        return rec is not None and rec.online

    # ---------------------------------------------------------------- serving
    def _serve(self) -> None:  # accepts each client on its own thread
        listener = self._sock
        assert listener is not None
        while not self._stop.is_set():
            try:
                client, addr = listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if self._stop.is_set():
                    return
                logger.debug("dial-in accept failed: %s", exc)
                time.sleep(0.05)
                continue
            with self._lock:
                busy = len(self._clients) >= self.max_clients
                if not busy:
                    self._clients.add(client)
            if busy:
                self.stats.busy += 1
                with contextlib.suppress(OSError):
                    client.settimeout(0.5)
                    client.sendall(encode({"op": "refused", "reason": "busy", "message": REFUSALS["busy"]}))
                client.close()
                continue
            self.stats.accepted += 1
            threading.Thread(target=self._serve_client, args=(client, addr), daemon=True,
                             name=f"dialin-{self.kind}-client-{addr[0]}:{addr[1]}").start()

    def _serve_client(self, client: socket.socket, addr: tuple[str, int]) -> None:
        try:
            self._session(client, addr)
        except (OSError, ProtocolError, Closed) as exc:
            logger.debug("dial-in %s client %s: %s", self.kind, addr, exc)
        except Exception:  # the listener outlives any one client; logged, never silent
            logger.exception("dial-in %s failed on a client from %s", self.kind, addr)
        finally:
            with self._lock:
                self._clients.discard(client)
                # However the session ended (bye, silence, garbage, EOF), its device is offline now,
                # unless it already came back on a newer connection.
                for device_id in [d for d, sock in self._sessions.items() if sock is client]:
                    del self._sessions[device_id]
                    rec = self._records.get(device_id)
                    if rec is not None:
                        rec.online = False
            with contextlib.suppress(OSError):
                client.close()

    def _refuse(self, client: socket.socket, reason: str, device_id: str | None = None) -> None:
        self.stats.refused += 1
        if device_id is not None and DEVICE_ID.match(device_id):
            with self._lock:
                rec = self._records.get(device_id)
                if rec is None and len(self._records) < MAX_RECORDS:
                    rec = self._records[device_id] = DialInRecord(device_id, self.via)
                if rec is not None:
                    rec.last_refusal = reason
                    rec.last_refusal_at = time.time()
        with contextlib.suppress(OSError):
            client.settimeout(1.0)
            client.sendall(encode({"op": "refused", "reason": reason, "message": REFUSALS[reason]}))

    def _session(self, client: socket.socket, addr: tuple[str, int]) -> str | None:
        """Run one client's handshake and keepalives; return the device ID once it was online."""
        reader = LineReader(client, self._stop)
        deadline = time.monotonic() + self.handshake_timeout
        try:
            hello = decode(reader.line(deadline))
        except TimeoutError:
            self.stats.timeouts += 1
            self._refuse(client, "timeout")
            return None
        except ProtocolError:
            self.stats.malformed += 1
            self._refuse(client, "bad-hello")
            return None
        device_id = text_field(hello, "device_id", 64)
        if hello.get("op") != "hello" or hello.get("v") != PROTOCOL_VERSION or device_id is None:
            self.stats.malformed += 1
            self._refuse(client, "bad-hello", device_id)
            return None
        if hello.get("kind") != self.kind:
            self._refuse(client, "wrong-kind", device_id)
            return None
        if not DEVICE_ID.match(device_id):
            self._refuse(client, "bad-device-id")
            return None
        if self.known is not None and not self.known(device_id):
            self._refuse(client, "unknown-device-id", device_id)
            return None
        if self.kind == "isup" and not self._isup_auth(client, reader, deadline, device_id):
            return None
        now = time.time()
        old: socket.socket | None = None
        with self._lock:
            rec = self._records.get(device_id)
            if rec is None:
                if len(self._records) >= MAX_RECORDS:
                    rec = None
                else:
                    rec = self._records[device_id] = DialInRecord(device_id, self.via)
            busy = rec is None
            if rec is not None:
                old = self._sessions.get(device_id)
                self._sessions[device_id] = client
                rec.online = True
                rec.connected_at = rec.last_seen = now
                rec.source = f"{addr[0]}:{addr[1]}"
                rec.sessions += 1
        if busy or rec is None:
            self.stats.busy += 1
            self._refuse(client, "busy")
            return None
        if old is not None:  # the device came back (a reboot) before its old session timed out
            with contextlib.suppress(OSError):
                old.shutdown(socket.SHUT_RDWR)
        self.stats.online += 1
        client.settimeout(2.0)
        client.sendall(encode({"op": "welcome", "keepalive": self.keepalive_interval}))
        while not self._stop.is_set():
            message = decode(reader.line(time.monotonic() + self.keepalive_timeout))
            op = message.get("op")
            if op == "bye":
                return device_id
            if op != "keepalive" or not isinstance(message.get("seq"), int) or isinstance(message.get("seq"), bool):
                raise ProtocolError(f"unexpected {str(op)[:32]!r} from an online device")
            seq = message["seq"]
            with self._lock:
                rec.last_seen = rec.last_keepalive = time.time()
                rec.keepalives += 1
            client.settimeout(2.0)
            client.sendall(encode({"op": "ack", "seq": seq}))
        return device_id

    def _isup_auth(self, client: socket.socket, reader: LineReader, deadline: float, device_id: str) -> bool:
        assert self.key is not None
        nonce = secrets.token_hex(16)
        client.settimeout(2.0)
        client.sendall(encode({"op": "challenge", "nonce": nonce}))
        try:
            auth = decode(reader.line(deadline))
        except TimeoutError:
            self.stats.timeouts += 1
            self._refuse(client, "timeout", device_id)
            return False
        except ProtocolError:
            self.stats.malformed += 1
            self._refuse(client, "bad-auth", device_id)
            return False
        mac = text_field(auth, "mac", 64)
        if auth.get("op") != "auth" or mac is None or not _MAC.match(mac):
            self.stats.malformed += 1
            self._refuse(client, "bad-auth", device_id)
            return False
        if not hmac.compare_digest(mac, isup_mac(self.key, nonce, device_id)):
            self._refuse(client, "wrong-key", device_id)
            return False
        return True
