"""RTSP simulator: parameter sets a decoder can read, and the protocol over a real socket."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from collections.abc import Iterator

import pytest

from kitchencam.sim.rtsp import (
    MAX_REQUEST_BYTES,
    RtspServer,
    add_emulation_prevention,
    build_sdp,
    h264_sps,
    h265_sps,
    parse_auth_params,
)


# ====================================================================== an independent SPS reader
class BitReader:
    def __init__(self, nal: bytes, header_bytes: int) -> None:
        rbsp = bytearray()
        zeros = 0
        for byte in nal[header_bytes:]:  # undo emulation prevention
            if zeros >= 2 and byte == 3:
                zeros = 0
                continue
            rbsp.append(byte)
            zeros = zeros + 1 if byte == 0 else 0
        self.data = bytes(rbsp)
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.data[self.pos // 8]
            value = (value << 1) | ((byte >> (7 - self.pos % 8)) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            assert zeros < 32
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)

    def more_rbsp_trailing_only(self) -> bool:
        """After the last syntax element only rbsp_trailing_bits may remain."""
        rest = [self.u(1) for _ in range(len(self.data) * 8 - self.pos)]
        return rest[:1] == [1] and not any(rest[1:])


def read_h264_size(nal: bytes) -> tuple[int, int, float]:
    assert nal[0] & 0x1F == 7
    r = BitReader(nal, 1)
    profile = r.u(8)
    r.u(8)
    r.u(8)
    r.ue()
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128):
        chroma = r.ue()
        assert chroma == 1
        r.ue()
        r.ue()
        r.u(1)
        assert r.u(1) == 0
    r.ue()  # log2_max_frame_num_minus4
    poc_type = r.ue()
    assert poc_type == 0
    r.ue()
    r.ue()  # max_num_ref_frames
    r.u(1)
    w_mbs = r.ue() + 1
    h_map = r.ue() + 1
    frame_mbs_only = r.u(1)
    if not frame_mbs_only:
        r.u(1)
    r.u(1)
    width, height = w_mbs * 16, (2 - frame_mbs_only) * h_map * 16
    if r.u(1):
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
        width -= 2 * (left + right)
        height -= 2 * (2 - frame_mbs_only) * (top + bottom)
    fps = 0.0
    if r.u(1):  # VUI
        assert r.u(1) == 0
        assert r.u(1) == 0
        assert r.u(1) == 0
        assert r.u(1) == 0
        if r.u(1):
            ticks, scale = r.u(32), r.u(32)
            fps = scale / (2 * ticks)
            r.u(1)
        assert r.u(1) == 0
        assert r.u(1) == 0
        r.u(1)
        assert r.u(1) == 0
    assert r.more_rbsp_trailing_only()
    return width, height, fps


def read_h265_size(nal: bytes) -> tuple[int, int, float]:
    assert (nal[0] >> 1) & 0x3F == 33
    r = BitReader(nal, 2)
    r.u(4)
    max_sub_layers = r.u(3)
    assert max_sub_layers == 0
    r.u(1)
    r.u(2)
    r.u(1)
    assert r.u(5) == 1  # Main profile
    r.u(32)
    r.u(4)
    r.u(43)
    r.u(1)
    r.u(8)  # level
    r.ue()
    chroma = r.ue()
    assert chroma == 1
    coded_w, coded_h = r.ue(), r.ue()
    width, height = coded_w, coded_h
    if r.u(1):
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
        width -= 2 * (left + right)
        height -= 2 * (top + bottom)
    r.ue()
    r.ue()
    r.ue()  # log2_max_poc_lsb_minus4
    if r.u(1):
        r.ue()
        r.ue()
        r.ue()
    min_cb = 1 << (r.ue() + 3)
    r.ue()
    r.ue()
    r.ue()
    r.ue()
    r.ue()
    assert r.u(1) == 0  # no scaling lists
    r.u(1)
    r.u(1)
    assert r.u(1) == 0  # no PCM
    assert r.ue() == 0  # no short-term RPS in the SPS
    assert r.u(1) == 0
    r.u(1)
    r.u(1)
    fps = 0.0
    if r.u(1):  # VUI
        for _ in range(8):
            assert r.u(1) == 0
        if r.u(1):
            ticks, scale = r.u(32), r.u(32)
            fps = scale / ticks
            assert r.u(1) == 0
            assert r.u(1) == 0
        assert r.u(1) == 0
    assert r.u(1) == 0  # sps_extension_present_flag
    assert r.more_rbsp_trailing_only()
    # The coded size itself is a multiple of MinCbSizeY, as the standard demands.
    assert coded_w % min_cb == 0
    assert coded_h % min_cb == 0
    return width, height, fps


def sdp_field(sdp: str, pattern: str) -> str:
    m = re.search(pattern, sdp, re.MULTILINE)
    assert m, f"{pattern!r} not in SDP:\n{sdp}"
    return m.group(1)


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720), (2560, 1440), (640, 360)])
def test_h264_sps_encodes_the_picture_size(width: int, height: int) -> None:
    assert read_h264_size(h264_sps(width, height, 25)) == (width, height, 25.0)
    assert read_h264_size(h264_sps(width, height, 15, profile_idc=100))[:2] == (width, height)


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720), (2560, 1440), (1916, 1078)])
def test_h265_sps_encodes_the_picture_size(width: int, height: int) -> None:
    assert read_h265_size(h265_sps(width, height, 25)) == (width, height, 25.0)


@pytest.mark.parametrize(("codec", "width", "height"), [
    ("H264", 1920, 1080), ("H264", 1280, 720), ("H265", 1920, 1080), ("H265", 1280, 720)])
def test_sdp_carries_decodable_parameter_sets(codec: str, width: int, height: int) -> None:
    sdp = build_sdp(codec, width, height, 20, ip="127.0.0.1", session_id=1)
    assert sdp.startswith("v=0\r\n")
    assert all(line for line in sdp.split("\r\n")[:-1])
    assert "m=video 0 RTP/AVP 96" in sdp
    assert f"a=rtpmap:96 {codec}/90000" in sdp
    assert f"a=x-dimensions:{width},{height}" in sdp
    assert f"a=framesize:96 {width}-{height}" in sdp
    assert "a=framerate:20" in sdp
    fmtp = sdp_field(sdp, r"^a=fmtp:96 (.+)$")
    params = dict(p.split("=", 1) for p in fmtp.strip().split(";"))
    if codec == "H264":
        assert params["packetization-mode"] == "1"
        sps_b64, pps_b64 = params["sprop-parameter-sets"].split(",")
        sps = base64.b64decode(sps_b64)
        assert params["profile-level-id"].lower() == sps[1:4].hex()
        assert base64.b64decode(pps_b64)[0] & 0x1F == 8
        assert read_h264_size(sps) == (width, height, 20.0)
    else:
        assert (base64.b64decode(params["sprop-vps"])[0] >> 1) & 0x3F == 32
        assert (base64.b64decode(params["sprop-pps"])[0] >> 1) & 0x3F == 34
        assert read_h265_size(base64.b64decode(params["sprop-sps"])) == (width, height, 20.0)


def test_emulation_prevention() -> None:
    assert add_emulation_prevention(b"\x00\x00\x01\x00\x00\x00\x00\x00\x04") == \
        b"\x00\x00\x03\x01\x00\x00\x03\x00\x00\x03\x00\x04"


def test_unsupported_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported codec"):
        build_sdp("MJPEG", 640, 480, 10, ip="127.0.0.1", session_id=1)


# ====================================================================== over a real socket
STREAMS = {
    "/cam/realmonitor?channel=1&subtype=0": ("H265", 1920, 1080, 25),
    "/cam/realmonitor?channel=1&subtype=1": ("H264", 640, 360, 15),
}
CREDS = {"admin": "Kitchen-2024"}


@pytest.fixture
def rtsp() -> Iterator[RtspServer]:
    server = RtspServer("127.0.0.1", 0, stream_info=STREAMS.get)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rtsp_auth() -> Iterator[RtspServer]:
    server = RtspServer("127.0.0.1", 0, stream_info=STREAMS.get, digest_user_pass=lambda: CREDS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Conn:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, raw: bytes) -> None:
        self.sock.sendall(raw)

    def request(self, method: str, uri: str, cseq: int, headers: dict[str, str] | None = None) -> None:
        lines = [f"{method} {uri} RTSP/1.0", f"CSeq: {cseq}", "User-Agent: kitchencam-test"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def response(self) -> tuple[int, dict[str, str], str]:
        for _ in range(1000):
            if b"\r\n\r\n" in self.buf:
                break
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        assert lines[0].startswith("RTSP/1.0 ")
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        n = int(headers.get("content-length", "0"))
        for _ in range(1000):
            if len(rest) >= n:
                break
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.buf = rest[n:]
        return status, headers, rest[:n].decode()


@pytest.fixture
def conn_to() -> Iterator[object]:
    opened: list[Conn] = []

    def make(port: int) -> Conn:
        c = Conn(port)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


def test_options_and_describe(rtsp: RtspServer, conn_to) -> None:
    c = conn_to(rtsp.port)
    url = rtsp.url("/cam/realmonitor?channel=1&subtype=0")
    c.request("OPTIONS", url, 1)
    status, headers, _ = c.response()
    assert (status, headers["cseq"]) == (200, "1")
    assert "DESCRIBE" in headers["public"]
    # Same connection, next request: persistent like a real camera.
    c.request("DESCRIBE", url, 2, {"Accept": "application/sdp"})
    status, headers, body = c.response()
    assert (status, headers["cseq"]) == (200, "2")
    assert headers["content-type"] == "application/sdp"
    assert headers["content-base"] == url + "/"
    assert "a=rtpmap:96 H265/90000" in body
    assert "a=x-dimensions:1920,1080" in body
    c.request("DESCRIBE", rtsp.url("/cam/realmonitor?channel=1&subtype=1"), 3)
    status, _, body = c.response()
    assert status == 200
    assert "a=rtpmap:96 H264/90000" in body
    assert "a=x-dimensions:640,360" in body


def test_unknown_stream_is_404(rtsp: RtspServer, conn_to) -> None:
    c = conn_to(rtsp.port)
    c.request("DESCRIBE", rtsp.url("/Streaming/Channels/101"), 7)
    status, headers, _ = c.response()
    assert (status, headers["cseq"]) == (404, "7")


def test_methods_we_do_not_serve(rtsp: RtspServer, conn_to) -> None:
    c = conn_to(rtsp.port)
    url = rtsp.url("/cam/realmonitor?channel=1&subtype=0")
    c.request("SETUP", url + "/trackID=0", 1, {"Transport": "RTP/AVP;unicast;client_port=5000-5001"})
    status, headers, _ = c.response()
    assert status == 405
    assert headers["allow"] == "OPTIONS, DESCRIBE"
    c.request("TEARDOWN", url, 2)
    assert c.response()[0] == 405
    c.request("BREW", url, 3)
    status, headers, _ = c.response()
    assert (status, headers["cseq"]) == (501, "3")


def test_malformed_requests(rtsp: RtspServer, conn_to) -> None:
    c = conn_to(rtsp.port)
    c.send(b"OPTIONS * RTSP/1.0\r\n\r\n")  # no CSeq
    assert c.response()[0] == 400
    c = conn_to(rtsp.port)
    c.request("OPTIONS", "*", 1)
    assert c.response()[0] == 200
    c.send(b"DESCRIBE rtsp://x/ RTSP/2.0\r\nCSeq: 2\r\n\r\n")
    assert c.response()[0] == 505
    c = conn_to(rtsp.port)
    c.send(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Pad: " + b"a" * (MAX_REQUEST_BYTES + 10) + b"\r\n\r\n")
    assert c.response()[0] == 413


def digest_header(user: str, password: str, challenge: str, method: str, uri: str) -> str:
    params = parse_auth_params(challenge.partition(" ")[2])
    ha1 = hashlib.md5(f"{user}:{params['realm']}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{params['nonce']}:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
            f'uri="{uri}", response="{response}"')


def test_digest_auth(rtsp_auth: RtspServer, conn_to) -> None:
    c = conn_to(rtsp_auth.port)
    url = rtsp_auth.url("/cam/realmonitor?channel=1&subtype=0")
    c.request("OPTIONS", url, 1)
    assert c.response()[0] == 200  # cameras answer OPTIONS without credentials
    c.request("DESCRIBE", url, 2)
    status, headers, _ = c.response()
    assert status == 401
    challenge = headers["www-authenticate"]
    assert challenge.startswith("Digest ")
    c.request("DESCRIBE", url, 3, {"Authorization": digest_header("admin", "wrong", challenge, "DESCRIBE", url)})
    assert c.response()[0] == 401
    c.request("DESCRIBE", url, 4, {"Authorization": digest_header("nobody", "x", challenge, "DESCRIBE", url)})
    assert c.response()[0] == 401
    # Signed for another method: refused.
    c.request("DESCRIBE", url, 5,
              {"Authorization": digest_header("admin", "Kitchen-2024", challenge, "OPTIONS", url)})
    assert c.response()[0] == 401
    c.request("DESCRIBE", url, 6,
              {"Authorization": digest_header("admin", "Kitchen-2024", challenge, "DESCRIBE", url)})
    status, headers, body = c.response()
    assert (status, headers["cseq"]) == (200, "6")
    assert "sprop-sps=" in body
    # A forged nonce is not ours.
    forged = challenge.replace(parse_auth_params(challenge)["nonce"], "0" * 32)
    c.request("DESCRIBE", url, 7,
              {"Authorization": digest_header("admin", "Kitchen-2024", forged, "DESCRIBE", url)})
    assert c.response()[0] == 401
