"""kitchencam.rtsp.describe over real loopback sockets: the simulator's RTSP server and a few
scripted misbehaving peers. Addresses 127.0.88.x are this file's own (see tests/integration/conftest.py
for who uses what); ports are picked by the kernel."""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import itertools
import logging
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from kitchencam.errors import AuthFailed, BadReply, DeviceFault, DeviceTimeout, ExitCode, Unreachable
from kitchencam.rtsp import describe
from kitchencam.sim.camera import SimCamera
from kitchencam.sim.personas import get_persona
from kitchencam.sim.rtsp import RtspServer, StreamInfo, build_sdp

PASSWORD = "Kc-s3cret!pw"  # distinctive, so a leak anywhere is easy to grep for
_addresses = itertools.count(int(ipaddress.IPv4Address("127.0.88.1")))


def fresh_ip() -> str:
    n = next(_addresses)
    assert n < int(ipaddress.IPv4Address("127.0.89.0")), "ran out of 127.0.88.x"
    return str(ipaddress.IPv4Address(n))


def streams(path: str) -> StreamInfo | None:
    return {"/stream0": ("H264", 1280, 720, 25.0), "/main": ("H265", 1920, 1080, 25.0)}.get(path.partition("?")[0])


@pytest.fixture
def open_server() -> Iterator[RtspServer]:
    with RtspServer(fresh_ip(), 0, stream_info=streams) as server:
        yield server


@pytest.fixture
def digest_server() -> Iterator[RtspServer]:
    with RtspServer(fresh_ip(), 0, stream_info=streams, digest_user_pass=lambda: {"admin": PASSWORD}) as server:
        yield server


def assert_no_password(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert base64.b64encode(f"admin:{PASSWORD}".encode()).decode() not in text


# ====================================================================== the simulator's server
def test_no_auth(open_server: RtspServer) -> None:
    check = describe(open_server.url("/stream0"), user=None, password=None)
    assert (check.codec, check.width, check.height, check.fps, check.size_source) == ("H264", 1280, 720, 25.0, "sps")
    assert check.url == open_server.url("/stream0")
    assert check.server == "Rtsp Server/3.0"
    assert check.sdp.startswith("v=0")


def test_digest(digest_server: RtspServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    check = describe(digest_server.url("/main?channel=1&subtype=0"), user="admin", password=PASSWORD)
    assert (check.codec, check.width, check.height, check.size_source) == ("H265", 1920, 1080, "sps")
    assert_no_password(check.model_dump_json(), caplog.text)


def test_credentials_in_url_are_used_and_stripped(digest_server: RtspServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = digest_server.url("/main").replace("rtsp://", f"rtsp://admin:{PASSWORD}@")
    check = describe(url, user=None, password=None)
    assert check.codec == "H265"
    assert check.url == digest_server.url("/main")
    assert_no_password(check.model_dump_json(), caplog.text)


def test_wrong_password(digest_server: RtspServer) -> None:
    url = digest_server.url("/main").replace("rtsp://", f"rtsp://admin:{PASSWORD}@")
    with pytest.raises(AuthFailed) as info:
        describe(url, user=None, password=PASSWORD + "x")
    assert info.value.exit_code == ExitCode.AUTH_FAILED
    assert f"{digest_server.ip}:{digest_server.port}" in str(info.value)
    assert_no_password(str(info.value))


def test_no_credentials_for_a_protected_stream(digest_server: RtspServer) -> None:
    with pytest.raises(AuthFailed, match="none were given"):
        describe(digest_server.url("/main"), user=None, password=None)


def test_unknown_path_is_404(digest_server: RtspServer) -> None:
    with pytest.raises(DeviceFault, match="does not exist") as info:
        describe(digest_server.url("/Streaming/Channels/999"), user="admin", password=PASSWORD)
    assert "/Streaming/Channels/999" in str(info.value)
    assert info.value.exit_code == ExitCode.ERROR


# ====================================================================== a camera the way provisioning sees it
def test_sim_camera_stream_follows_encoder() -> None:
    cam = SimCamera(get_persona("dahua-wizsense2"), fresh_ip(), http_port=0).start()
    rtsp = RtspServer(cam.ip, 0, stream_info=cam.stream_info, digest_user_pass=cam.rtsp_credentials)
    try:
        rtsp.start()
        cam.rtsp_port = rtsp.port
        before = describe(cam.rtsp_uri(0), user=cam.user, password=cam.password)
        assert (before.codec, before.width, before.height) == ("H264", 1920, 1080)
        cam.encoders[0].encoding = "H265"  # what SetVideoEncoderConfiguration does to the state
        after = describe(cam.rtsp_uri(0), user=cam.user, password=cam.password)
        assert (after.codec, after.width, after.height, after.size_source) == ("H265", 1920, 1080, "sps")
        assert after.fps == 25.0
        sub = describe(cam.rtsp_uri(1), user=cam.user, password=cam.password)
        assert (sub.codec, sub.width, sub.height) == ("H264", 704, 576)
    finally:
        rtsp.stop()
        cam.stop()


# ====================================================================== peers that misbehave
class ScriptedPeer:
    """A TCP listener whose every connection is handed to ``script`` (in a thread)."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.ip = fresh_ip()
        self._listener = socket.create_server((self.ip, 0))
        self.port = self._listener.getsockname()[1]
        self._script = script
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    def _serve(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _run(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(3)
            with contextlib.suppress(OSError):  # the client hung up first: that is the point of some scripts
                self._script(conn)

    def url(self, path: str = "/live") -> str:
        return f"rtsp://{self.ip}:{self.port}{path}"

    def close(self) -> None:
        self._stop.set()
        self._accept.join(2)
        self._listener.close()
        for t in self._threads:
            t.join(2)


@pytest.fixture
def peer() -> Iterator[Callable[[Callable[[socket.socket], None]], ScriptedPeer]]:
    peers: list[ScriptedPeer] = []

    def make(script: Callable[[socket.socket], None]) -> ScriptedPeer:
        peers.append(ScriptedPeer(script))
        return peers[-1]

    yield make
    for p in peers:
        p.close()


def read_request(conn: socket.socket) -> dict[str, str] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    lines = data.decode().split("\r\n")
    headers = {"_method": lines[0].split()[0]}
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    return headers


def reply(conn: socket.socket, cseq: str, status: str, headers: dict[str, str] | None = None,
          body: bytes = b"") -> None:
    lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def basic_camera(conn: socket.socket) -> None:
    """Basic auth only, closing the connection after each 401 (as some cheap firmware does)."""
    good = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    while (req := read_request(conn)) is not None:
        if req["_method"] == "OPTIONS":
            reply(conn, req["cseq"], "200 OK", {"Public": "OPTIONS, DESCRIBE"})
        elif req.get("authorization") != good:
            reply(conn, req["cseq"], "401 Unauthorized", {"WWW-Authenticate": 'Basic realm="IPCAM"',
                                                          "Connection": "close"})
            return
        else:
            sdp = build_sdp("H264", 1280, 720, 15, ip="0.0.0.0", session_id=7).encode()
            reply(conn, req["cseq"], "200 OK", {"Content-Type": "application/sdp", "Server": "GM Streaming"}, sdp)


def test_basic_auth_with_reconnect(peer: Callable[..., ScriptedPeer]) -> None:
    p = peer(basic_camera)
    check = describe(p.url(), user="admin", password=PASSWORD)
    assert (check.codec, check.width, check.height, check.fps) == ("H264", 1280, 720, 15.0)
    assert check.server == "GM Streaming"
    with pytest.raises(AuthFailed):
        describe(p.url(), user="admin", password="wrong")


def test_connection_refused() -> None:
    ip = fresh_ip()
    with socket.create_server((ip, 0)) as s:
        port = s.getsockname()[1]
    with pytest.raises(Unreachable) as info:
        describe(f"rtsp://admin:{PASSWORD}@{ip}:{port}/live", user=None, password=None, timeout=2)
    assert type(info.value) is Unreachable
    assert info.value.exit_code == ExitCode.UNREACHABLE
    assert f"{ip}:{port}" in str(info.value)
    assert "RTSP port" in str(info.value)
    assert_no_password(str(info.value))


def test_silent_peer_times_out(peer: Callable[..., ScriptedPeer]) -> None:
    gone = threading.Event()
    p = peer(lambda conn: gone.wait(3))
    with pytest.raises(DeviceTimeout, match="did not answer OPTIONS") as info:
        describe(p.url(), user=None, password=None, timeout=0.5)
    gone.set()
    assert info.value.exit_code == ExitCode.UNREACHABLE


def test_http_server_on_the_port(peer: Callable[..., ScriptedPeer]) -> None:
    def http(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with pytest.raises(BadReply, match="HTTP server"):
        describe(peer(http).url(), user=None, password=None, timeout=2)


def test_garbage(peer: Callable[..., ScriptedPeer]) -> None:
    def garbage(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"\x16\x03\x01\x02\x00garbage\r\n\r\n")

    with pytest.raises(BadReply):
        describe(peer(garbage).url(), user=None, password=None, timeout=2)


def test_oversized_body_is_refused(peer: Callable[..., ScriptedPeer]) -> None:
    def huge(conn: socket.socket) -> None:
        while (req := read_request(conn)) is not None:
            reply(conn, req["cseq"], "200 OK", {"Content-Length": "999999999", "Content-Type": "application/sdp"})

    with pytest.raises(BadReply, match="limit"):
        describe(peer(huge).url(), user=None, password=None, timeout=2)


def test_endless_header_is_refused(peer: Callable[..., ScriptedPeer]) -> None:
    def endless(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"RTSP/1.0 200 OK\r\n" + b"X-Pad: " + b"a" * 40000)

    with pytest.raises(BadReply, match="header"):
        describe(peer(endless).url(), user=None, password=None, timeout=2)


def test_not_sdp(peer: Callable[..., ScriptedPeer]) -> None:
    def html(conn: socket.socket) -> None:
        while (req := read_request(conn)) is not None:
            reply(conn, req["cseq"], "200 OK", {"Content-Type": "text/html"}, b"<html>login</html>")

    with pytest.raises(BadReply, match="SDP"):
        describe(peer(html).url(), user=None, password=None, timeout=2)
