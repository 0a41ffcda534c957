"""Credentials go only to the camera that was asked.

Simulated cameras are made to advertise their stream and snapshot on *another* loopback address
(what a NAT'd camera, a stale DHCP lease or a hostile firmware does), where a recorder listens on
the same port numbers and asks for Basic authentication, to catch any password sent its way.
Before the fix, `provision` sent `Authorization: Basic <admin:password>` there.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kitchencam.errors import AuthFailed, BadReply, DeviceTimeout
from kitchencam.onvif.snapshot import fetch_snapshot
from kitchencam.rtsp import describe
from kitchencam.sim.camera import SimCamera
from kitchencam.sim.school import SimulatedSchool

PASSWORD = "Bep-An-2024-an-toan"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
SITE = ("site", "init", "--school-name", "Trường Mầm non Thử", "--school-code", "MN-THU",
        "--centre-url", "http://127.0.0.1:8000/")


def foreign(ip: str) -> str:
    """127.0.84.k -> 127.0.85.k: the other host a camera names."""
    a, b, _c, d = ip.split(".")
    return f"{a}.{b}.85.{d}"


class Recorder:
    """Listens on (ip, port) pairs, answers every request 401 + Basic (HTTP or RTSP), keeps every byte."""

    def __init__(self, addresses: list[tuple[str, int]], *, reply: bytes | None = None,
                 trickle_s: float | None = None) -> None:
        self.received: list[bytes] = []
        self.connections = 0
        self._reply = reply
        self._trickle_s = trickle_s
        self._stop = threading.Event()
        self._socks = []
        for address in addresses:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(8)
            sock.settimeout(0.05)
            self._socks.append(sock)
        self._threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self._socks]

    @property
    def port(self) -> int:
        return int(self._socks[0].getsockname()[1])

    def start(self) -> Recorder:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        for s in self._socks:
            s.close()

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        with conn:
            for _exchange in range(4):  # bounded: a few requests per connection
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                self.received.append(data)
                try:
                    if self._reply is not None:
                        self._send(conn, self._reply)
                    elif data.startswith((b"OPTIONS", b"DESCRIBE")):
                        cseq = next((line.split(b":", 1)[1].strip() for line in data.split(b"\r\n")
                                     if line.lower().startswith(b"cseq:")), b"1")
                        conn.sendall(b"RTSP/1.0 401 Unauthorized\r\nCSeq: " + cseq
                                     + b'\r\nWWW-Authenticate: Basic realm="rec"\r\n\r\n')
                    else:
                        conn.sendall(b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="rec"\r\n'
                                     b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                        return
                except OSError:
                    return

    def _send(self, conn: socket.socket, reply: bytes) -> None:
        if self._trickle_s is None:
            conn.sendall(reply)
            return
        for i in range(len(reply)):
            if self._stop.is_set():
                return
            conn.sendall(reply[i:i + 1])
            time.sleep(self._trickle_s)

    def credentials_seen(self) -> list[bytes]:
        return [line for data in self.received for line in data.split(b"\r\n")
                if line.lower().startswith(b"authorization:")]


@contextmanager
def recorder(addresses: list[tuple[str, int]], **kw: object) -> Iterator[Recorder]:
    rec = Recorder(addresses, **kw).start()  # type: ignore[arg-type]
    try:
        yield rec
    finally:
        rec.stop()


@pytest.fixture
def two_cameras_naming_another_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedSchool]:
    real_rtsp_uri = SimCamera.rtsp_uri

    def rtsp_uri(self: SimCamera, index: int = 0) -> str:
        return real_rtsp_uri(self, index).replace(f"//{self.ip}:", f"//{foreign(self.ip)}:")

    monkeypatch.setattr(SimCamera, "rtsp_uri", rtsp_uri)
    monkeypatch.setattr(SimCamera, "snapshot_uri",
                        property(lambda self: self.xaddr(self.persona.snapshot_path).replace(
                            f"//{self.ip}:", f"//{foreign(self.ip)}:")))
    school = SimulatedSchool(personas=["dahua-wizsense2", "dahua-wizsense2-ready"], bind_base="127.0.84.10",
                             http_port=0, rtsp_port=0, user="admin", password=PASSWORD, discovery=False)
    school.start()
    try:
        yield school
    finally:
        school.stop()


def test_provision_never_sends_the_password_to_a_host_the_camera_names(run, two_cameras_naming_another_host):
    school = two_cameras_naming_another_host
    cams = [m.camera for m in school.members]
    traps = [(foreign(c.ip), port) for c in cams for port in (c.http_port, c.rtsp_port)]
    assert run(*SITE).exit_code == 0
    with recorder(traps) as rec:
        code, doc = run.json("provision", *(c.device_xaddr for c in cams), "--yes", env=ENV)
    assert rec.credentials_seen() == []
    assert rec.connections == 0  # rewritten onto the camera, not merely stripped of the login
    assert code in (0, 3), doc["errors"]
    for cam, result in zip(cams, doc["data"]["cameras"], strict=True):
        # The stream and the picture came from the camera itself, at the path it named.
        assert result["rtsp"]["url"].startswith(f"rtsp://{cam.ip}:{cam.rtsp_port}/"), result["rtsp"]
        assert result["snapshot"]["source"].endswith(f"//{cam.ip}:{cam.http_port}{cam.persona.snapshot_path}")
        assert result["snapshot"]["error"] is None
    assert PASSWORD not in str(doc)


def test_check_reads_the_rewritten_addresses_and_says_so(two_cameras_naming_another_host):
    from kitchencam.onvif.client import OnvifCamera
    from kitchencam.onvif.read import read_facts

    cam = two_cameras_naming_another_host.members[0].camera
    with OnvifCamera(cam.device_xaddr, user="admin", password=PASSWORD) as client:
        facts = read_facts(client)
    main = facts.profiles[0]
    assert (main.stream_uri or "").startswith(f"rtsp://{cam.ip}:{cam.rtsp_port}/")
    assert foreign(cam.ip) in (main.stream_uri_advertised or "")
    assert (main.snapshot_uri or "").startswith(f"http://{cam.ip}:{cam.http_port}/")
    assert foreign(cam.ip) in (main.snapshot_uri_advertised or "")


def test_snapshot_and_rtsp_refuse_to_log_in_anywhere_but_the_camera():
    with recorder([("127.0.85.200", 0)]) as rec:
        url = f"http://127.0.85.200:{rec.port}/snap.jpg"
        with pytest.raises(BadReply, match="not on the camera"):
            fetch_snapshot(url, user="admin", password=PASSWORD, camera_host="127.0.84.200")
        with pytest.raises(BadReply, match="not on the camera"):
            describe(f"rtsp://127.0.85.200:{rec.port}/live", user="admin", password=PASSWORD,
                     camera_host="127.0.84.200")
    assert rec.connections == 0


def test_basic_is_never_sent_where_digest_is_offered():
    """A server offering Basic and Digest (with an algorithm we cannot compute): no password at all."""
    reply = (b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n"
             b'WWW-Authenticate: Digest realm="x", nonce="n", algorithm=SHA-512-256\r\n'
             b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    with recorder([("127.0.85.201", 0)], reply=reply) as rec, pytest.raises(AuthFailed, match="does not speak"):
        fetch_snapshot(f"http://127.0.85.201:{rec.port}/snap.jpg", user="admin", password=PASSWORD)
    assert rec.credentials_seen() == []
    rtsp_reply = (b'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm="x"\r\n'
                  b'WWW-Authenticate: Digest realm="x", nonce="n", algorithm=SHA-512-256\r\n\r\n')
    with recorder([("127.0.85.202", 0)], reply=rtsp_reply) as rec, pytest.raises(AuthFailed, match="does not speak"):
        describe(f"rtsp://127.0.85.202:{rec.port}/live", user="admin", password=PASSWORD)
    assert rec.credentials_seen() == []
    token = base64.b64encode(f"admin:{PASSWORD}".encode())
    assert not any(token in data for data in rec.received)


def test_basic_goes_to_the_camera_when_it_offers_nothing_else():
    # HTTP 401 + Basic only
    with recorder([("127.0.85.203", 0)]) as rec, pytest.raises(AuthFailed, match="refused the camera account"):
        fetch_snapshot(f"http://127.0.85.203:{rec.port}/snap.jpg", user="admin", password=PASSWORD)
    assert [line.split()[1] for line in rec.credentials_seen()] == [b"Basic"]


# --- bounded replies ---------------------------------------------------------------------------

def test_a_trickling_snapshot_is_cut_at_its_deadline():
    head = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n\xff\xd8\xff"
    with recorder([("127.0.85.204", 0)], reply=head + b"x" * 200, trickle_s=0.05) as rec, \
            pytest.raises(DeviceTimeout, match="took more than 1 s"):
        fetch_snapshot(f"http://127.0.85.204:{rec.port}/snap.jpg", user=None, password=None, deadline_s=1.0)


def test_an_oversized_snapshot_is_refused():
    # No Content-Length: only counting the bytes can stop it.
    body = b"\xff\xd8\xff" + b"\0" * (300 * 1024)
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nConnection: close\r\n\r\n" + body
    with recorder([("127.0.85.205", 0)], reply=reply) as rec, pytest.raises(BadReply, match="more than 262144 bytes"):
        fetch_snapshot(f"http://127.0.85.205:{rec.port}/snap.jpg", user=None, password=None, max_bytes=256 * 1024)


def test_an_rtsp_reply_over_64_kib_is_refused():
    sdp_length = 60000
    reply = (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nX-Padding: " + b"p" * 8000 + b"\r\nContent-Type: application/sdp\r\n"
             + f"Content-Length: {sdp_length}\r\n\r\n".encode() + b"v=0\r\n" + b"a" * (sdp_length - 5))
    with recorder([("127.0.85.206", 0)], reply=reply) as rec, pytest.raises(BadReply, match="limit"):
        describe(f"rtsp://127.0.85.206:{rec.port}/live", user=None, password=None)
