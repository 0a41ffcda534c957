"""RTSP DESCRIBE: does the stream really carry H.265 at 1080p?

After provisioning sets the encoder over ONVIF, the encoder configuration only says what the
camera *accepted*. The session description a camera answers to DESCRIBE (RFC 2326 + SDP, RFC
4566) says what it *streams*: the rtpmap names the codec, and the sequence parameter set in the
fmtp (``sprop-parameter-sets`` for H.264, RFC 6184; ``sprop-sps`` for H.265, RFC 7798) is the
very header a decoder reads the picture size from. So we decode the SPS ourselves and fall back
on the vendors' ``a=x-dimensions`` / ``a=framesize`` attributes only when there is no SPS.

Only OPTIONS and DESCRIBE are sent (no SETUP/PLAY, no media), over a plain stdlib socket, with
Digest (RFC 2617/7616) or Basic authentication. Everything is bounded: one deadline for the
whole exchange, ``MAX_HEAD_BYTES`` per response head and ``MAX_BODY_BYTES`` per body.
Credentials, whether given as arguments or embedded in the URL, never appear in a result, an
error or a log line.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict

from kitchencam import __version__
from kitchencam.errors import AuthFailed, BadReply, DeviceFault, DeviceTimeout, Unreachable, UsageError
from kitchencam.i18n import _
from kitchencam.logins import BUDGET, refusal_hint
from kitchencam.uriscope import refuse_foreign, same_host

logger = logging.getLogger(__name__)

DEFAULT_PORT = 554
MAX_HEAD_BYTES = 16384
MAX_BODY_BYTES = 65536
#: One response, status line + headers + SDP: a session description is a few kB.
MAX_REPLY_BYTES = 65536
USER_AGENT = f"kitchencam/{__version__}"

SizeSource = Literal["sps", "sdp-attribute"]

# Static RTP payload types that need no rtpmap (RFC 3551 table 5).
_STATIC_VIDEO = {26: ("JPEG", 90000), 31: ("H261", 90000), 32: ("MPV", 90000), 34: ("H263", 90000)}
# Spellings of the same codec in rtpmap lines and ONVIF (Media2 uses H264/H265).
_CODEC_ALIASES = {"HEVC": "H265", "H.265": "H265", "H.264": "H264", "AVC": "H264"}
# H.264 profiles whose SPS carries chroma format, bit depths and scaling lists (7.3.2.1.1).
_H264_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


class StreamCheck(BaseModel):
    """What one DESCRIBE said the stream carries. Never holds a credential."""

    model_config = ConfigDict(extra="forbid")

    url: str  # as asked, without user name or password
    codec: str | None  # H264, H265, MP4V-ES, JPEG...; None when the SDP has no video
    clock_rate: int | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    size_source: SizeSource | None = None  # "sps": decoded from the camera's own parameter set
    sdp: str
    server: str | None = None  # the Server header, e.g. "Rtsp Server/3.0"


# ====================================================================== SPS decoding
class SpsError(ValueError):
    """A parameter set that cannot be decoded (truncated, wrong NAL type, absurd values)."""


def remove_emulation_prevention(payload: bytes) -> bytes:
    """NAL payload -> RBSP: drop each 0x03 that follows two zero bytes (H.264/H.265 7.4.1)."""
    out = bytearray()
    zeros = 0
    for byte in payload:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class _BitReader:
    """MSB-first reader with the exp-Golomb codes of clause 9.1."""

    def __init__(self, rbsp: bytes) -> None:
        self._data = rbsp
        self._pos = 0

    def u(self, n: int) -> int:
        if self._pos + n > len(self._data) * 8:
            raise SpsError("parameter set is truncated")
        value = 0
        for _i in range(n):
            byte = self._data[self._pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self._pos & 7))) & 1)
            self._pos += 1
        return value

    def flag(self) -> bool:
        return self.u(1) == 1

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise SpsError("exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)

    def skip(self, n: int) -> None:
        if self._pos + n > len(self._data) * 8:
            raise SpsError("parameter set is truncated")
        self._pos += n


@dataclass(frozen=True)
class SpsInfo:
    """What an SPS says about the picture: displayed size after cropping, and fps if timed."""

    width: int
    height: int
    fps: float | None = None


def _chroma_sub(chroma_format_idc: int, separate_colour_plane: bool) -> tuple[int, int]:
    """(SubWidthC, SubHeightC), Table 6-1; monochrome or separate planes crop in luma units."""
    if separate_colour_plane or chroma_format_idc == 0:
        return 1, 1
    return {1: (2, 2), 2: (2, 1), 3: (1, 1)}.get(chroma_format_idc, (2, 2))


def _checked(width: int, height: int, fps: float | None = None) -> SpsInfo:
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise SpsError(f"implausible picture size {width}x{height}")
    return SpsInfo(width, height, fps)


def _h264_scaling_list(r: _BitReader, size: int) -> None:
    last, nxt = 8, 8
    for _j in range(size):
        if nxt != 0:
            nxt = (last + r.se() + 256) % 256
        last = nxt if nxt != 0 else last


def decode_h264_sps(nal: bytes) -> SpsInfo:
    """Picture size (and VUI frame rate) from an H.264 SPS NAL unit, header byte included."""
    if not nal or nal[0] & 0x1F != 7:
        raise SpsError("not an H.264 SPS (NAL type 7)")
    r = _BitReader(remove_emulation_prevention(nal[1:]))
    profile_idc = r.u(8)
    r.skip(16)  # constraint_set flags + reserved, level_idc
    r.ue()  # seq_parameter_set_id
    chroma_format_idc, separate = 1, False
    if profile_idc in _H264_HIGH_PROFILES:
        chroma_format_idc = r.ue()
        if chroma_format_idc > 3:
            raise SpsError("chroma_format_idc out of range")
        if chroma_format_idc == 3:
            separate = r.flag()
        r.ue()  # bit_depth_luma_minus8
        r.ue()  # bit_depth_chroma_minus8
        r.flag()  # qpprime_y_zero_transform_bypass_flag
        if r.flag():  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma_format_idc != 3 else 12):
                if r.flag():
                    _h264_scaling_list(r, 16 if i < 6 else 64)
    r.ue()  # log2_max_frame_num_minus4
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()  # log2_max_pic_order_cnt_lsb_minus4
    elif poc_type == 1:
        r.flag()  # delta_pic_order_always_zero_flag
        r.se()  # offset_for_non_ref_pic
        r.se()  # offset_for_top_to_bottom_field
        cycle = r.ue()
        if cycle > 255:
            raise SpsError("num_ref_frames_in_pic_order_cnt_cycle out of range")
        for _i in range(cycle):
            r.se()
    elif poc_type != 2:
        raise SpsError("pic_order_cnt_type out of range")
    r.ue()  # max_num_ref_frames
    r.flag()  # gaps_in_frame_num_value_allowed_flag
    width_mbs = r.ue() + 1
    height_map_units = r.ue() + 1
    frame_mbs_only = r.flag()
    if not frame_mbs_only:
        r.flag()  # mb_adaptive_frame_field_flag
    r.flag()  # direct_8x8_inference_flag
    width = width_mbs * 16
    height = (2 - frame_mbs_only) * height_map_units * 16
    if r.flag():  # frame_cropping_flag: offsets in CropUnitX/Y (7-19..7-22)
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
        sub_w, sub_h = _chroma_sub(chroma_format_idc, separate)
        unit_x, unit_y = sub_w, sub_h * (2 - frame_mbs_only)
        width -= unit_x * (left + right)
        height -= unit_y * (top + bottom)
    fps = None
    with contextlib.suppress(SpsError):  # the size is what we came for; a bad VUI costs the fps only
        fps = _h264_vui_fps(r)
    return _checked(width, height, fps)


def _h264_vui_fps(r: _BitReader) -> float | None:
    if not r.flag():  # vui_parameters_present_flag
        return None
    if r.flag() and r.u(8) == 255:  # aspect_ratio_info_present_flag, aspect_ratio_idc Extended_SAR
        r.skip(32)
    if r.flag():  # overscan_info_present_flag
        r.flag()
    if r.flag():  # video_signal_type_present_flag
        r.skip(4)
        if r.flag():  # colour_description_present_flag
            r.skip(24)
    if r.flag():  # chroma_loc_info_present_flag
        r.ue()
        r.ue()
    if not r.flag():  # timing_info_present_flag
        return None
    units, scale = r.u(32), r.u(32)
    # A frame is two field ticks (E.2.1): fps = time_scale / (2 * num_units_in_tick).
    return round(scale / (2 * units), 3) if units else None


def _h265_profile_tier_level(r: _BitReader, max_sub_layers_minus1: int) -> None:
    r.skip(88)  # general profile space/tier/idc, 32 compatibility flags, 48 constraint bits
    r.skip(8)  # general_level_idc
    profile_present, level_present = [], []
    for _i in range(max_sub_layers_minus1):
        profile_present.append(r.flag())
        level_present.append(r.flag())
    if max_sub_layers_minus1 > 0:
        r.skip(2 * (8 - max_sub_layers_minus1))  # reserved_zero_2bits
    for i in range(max_sub_layers_minus1):
        if profile_present[i]:
            r.skip(88)
        if level_present[i]:
            r.skip(8)


def decode_h265_sps(nal: bytes) -> SpsInfo:
    """Picture size from an H.265 SPS NAL unit, 2-byte header included (7.3.2.2)."""
    if len(nal) < 3 or (nal[0] >> 1) & 0x3F != 33:
        raise SpsError("not an H.265 SPS (NAL type 33)")
    r = _BitReader(remove_emulation_prevention(nal[2:]))
    r.skip(4)  # sps_video_parameter_set_id
    max_sub_layers_minus1 = r.u(3)
    if max_sub_layers_minus1 > 6:
        raise SpsError("sps_max_sub_layers_minus1 out of range")
    r.flag()  # sps_temporal_id_nesting_flag
    _h265_profile_tier_level(r, max_sub_layers_minus1)
    r.ue()  # sps_seq_parameter_set_id
    chroma_format_idc = r.ue()
    if chroma_format_idc > 3:
        raise SpsError("chroma_format_idc out of range")
    separate = r.flag() if chroma_format_idc == 3 else False
    width, height = r.ue(), r.ue()
    if r.flag():  # conformance_window_flag: offsets in chroma sample units
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
        sub_w, sub_h = _chroma_sub(chroma_format_idc, separate)
        width -= sub_w * (left + right)
        height -= sub_h * (top + bottom)
    return _checked(width, height)


def _b64decode(text: str) -> bytes:
    text = "".join(text.split())
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _find_nal(values: list[str], accept: Callable[[bytes], bool]) -> bytes | None:
    for value in values:
        for item in value.split(","):
            try:
                nal = _b64decode(item)
            except (binascii.Error, ValueError):
                continue  # one bad entry (seen: trailing junk) should not hide the others
            if nal and accept(nal):
                return nal
    return None


# ====================================================================== SDP
@dataclass
class SdpVideo:
    """The first video media of a session description, as far as this check needs it."""

    codec: str | None = None
    clock_rate: int | None = None
    payload_type: int | None = None
    fmtp: dict[str, str] = field(default_factory=dict)
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    size_source: SizeSource | None = None


_RTPMAP = re.compile(r"^(\d+)\s+([^/\s]+)/(\d+)")
_DIMENSIONS = re.compile(r"^\s*(\d+)\s*[,x]\s*(\d+)\s*$")
_FRAMESIZE = re.compile(r"^(?:\d+\s+)?(\d+)\s*[-x]\s*(\d+)\s*$")
_CLIPRECT = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$")


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if 0 < value < 1000 else None


def _fmtp_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.strip().partition("=")
        if key and sep:  # base64 values contain "=": split on the first only
            params[key.strip().lower()] = value.strip()
    return params


def parse_sdp(sdp: str) -> SdpVideo:
    """Codec, clock rate, fmtp, picture size and frame rate of the first ``m=video`` section.

    Never raises on content: an undecodable SPS means falling back on the size attributes, and
    an SDP without video gives an ``SdpVideo`` whose codec is None.
    """
    session_fps: float | None = None
    media: list[tuple[str, list[str], list[str]]] = []  # (kind, formats, attribute lines)
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            fields = line[2:].split()
            media.append((fields[0].lower() if fields else "", fields[3:], []))
        elif line.startswith("a="):
            if media:
                media[-1][2].append(line[2:])
            elif line.lower().startswith("a=framerate:"):
                session_fps = _number(line.split(":", 1)[1])
    video = next((m for m in media if m[0] == "video"), None)
    result = SdpVideo(fps=session_fps)
    if video is None:
        return result
    _kind, formats, attributes = video
    rtpmaps: dict[int, tuple[str, int]] = {}
    fmtps: dict[int, str] = {}
    dims: tuple[int, int] | None = None
    for attr in attributes:
        name, _sep, value = attr.partition(":")
        name = name.strip().lower()
        if name == "rtpmap" and (m := _RTPMAP.match(value.strip())):
            rtpmaps[int(m.group(1))] = (m.group(2), int(m.group(3)))
        elif name == "fmtp":
            fmt, _sp, params = value.strip().partition(" ")
            if fmt.isdigit():
                fmtps[int(fmt)] = params
        elif name in ("framerate", "x-framerate"):
            result.fps = _number(value) or result.fps
        elif dims is None:
            dims = _size_attribute(name, value)
    for fmt in formats:  # the m= line lists payload types in order of preference
        if not fmt.isdigit():
            continue
        pt = int(fmt)
        if pt in rtpmaps or pt in _STATIC_VIDEO:
            encoding, clock = rtpmaps[pt] if pt in rtpmaps else _STATIC_VIDEO[pt]
            codec = encoding.upper()
            result.codec = _CODEC_ALIASES.get(codec, codec)
            result.clock_rate = clock
            result.payload_type = pt
            result.fmtp = _fmtp_params(fmtps.get(pt, ""))
            break
    info = _sps_info(result.codec, result.fmtp)
    if info is not None:
        result.width, result.height, result.size_source = info.width, info.height, "sps"
        if result.fps is None and info.fps:
            result.fps = info.fps
    elif dims is not None and dims[0] > 0 and dims[1] > 0:
        result.width, result.height, result.size_source = dims[0], dims[1], "sdp-attribute"
    return result


def _size_attribute(name: str, value: str) -> tuple[int, int] | None:
    """(width, height) from the vendors' size attributes, None for any other attribute."""
    if name == "x-dimensions" and (m := _DIMENSIONS.match(value)):  # Hikvision, Dahua: "1920,1080"
        return int(m.group(1)), int(m.group(2))
    if name == "framesize" and (m := _FRAMESIZE.match(value.strip())):  # RFC 6064 style: "96 1920-1080"
        return int(m.group(1)), int(m.group(2))
    if name == "cliprect" and (m := _CLIPRECT.match(value)):  # QuickTime/Axis: top,left,bottom,right
        top, left, bottom, right = (int(g) for g in m.groups())
        return right - left, bottom - top
    return None


def _sps_info(codec: str | None, fmtp: dict[str, str]) -> SpsInfo | None:
    if codec == "H264":
        nal = _find_nal([fmtp.get("sprop-parameter-sets", "")], lambda n: n[0] & 0x1F == 7)
        decode: Callable[[bytes], SpsInfo] = decode_h264_sps
    elif codec == "H265":
        # RFC 7798 puts it in sprop-sps; some older firmware lists all sets in sprop-parameter-sets.
        nal = _find_nal([fmtp.get("sprop-sps", ""), fmtp.get("sprop-parameter-sets", "")],
                        lambda n: len(n) > 2 and (n[0] >> 1) & 0x3F == 33)
        decode = decode_h265_sps
    else:
        return None
    if nal is None:
        return None
    try:
        return decode(nal)
    except SpsError as exc:
        logger.debug("undecodable %s SPS in SDP (%s): using the SDP attributes", codec, exc)
        return None


# ====================================================================== URL and credentials
@dataclass(frozen=True)
class RtspTarget:
    """An rtsp:// URL split into where to connect and what to ask, credentials kept apart."""

    host: str
    port: int
    url: str  # the URL without userinfo: the Request-URI and what results show
    user: str | None
    password: str | None = field(repr=False)

    @property
    def display(self) -> str:
        """``host:port`` for messages (brackets around IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_url(url: str, *, user: str | None = None, password: str | None = None) -> RtspTarget:
    """Split ``rtsp://[user[:password]@]host[:port]/path``; explicit arguments win over the URL's."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(_("{url} is not a valid RTSP URL ({reason}).").format(
            url=_redact_userinfo(url), reason=exc)) from None
    if parts.scheme.lower() != "rtsp" or not parts.hostname:
        raise UsageError(_("{url} is not an rtsp:// URL. Give the stream address the camera reports, "
                           "for example rtsp://192.168.1.64:554/Streaming/Channels/101.").format(
            url=_redact_userinfo(url)))
    host = parts.hostname
    netloc = parts.netloc.rpartition("@")[2]
    clean = f"rtsp://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    url_user = unquote(parts.username) if parts.username else None
    url_password = unquote(parts.password) if parts.password is not None else None
    return RtspTarget(host=host, port=port or DEFAULT_PORT, url=clean,
                      user=user if user is not None else url_user,
                      password=password if password is not None else url_password)


def _redact_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{tail}"


# ====================================================================== authentication
_AUTH_PARAM = re.compile(r'([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "digest", "basic"
    params: dict[str, str]


def parse_challenges(values: list[str]) -> list[Challenge]:
    """Every WWW-Authenticate header value -> challenges (one header per scheme, as cameras send)."""
    challenges = []
    for value in values:
        scheme, _sep, rest = value.strip().partition(" ")
        params = {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
                  for m in _AUTH_PARAM.finditer(rest)}
        if scheme:
            challenges.append(Challenge(scheme.lower(), params))
    return challenges


_DIGEST_HASHES: dict[str, Callable[[bytes], str]] = {
    "md5": lambda b: hashlib.md5(b, usedforsecurity=False).hexdigest(),
    "sha-256": lambda b: hashlib.sha256(b).hexdigest(),
}


def digest_response(*, user: str, password: str, method: str, uri: str, challenge: dict[str, str],
                    nc: int = 1, cnonce: str | None = None) -> str:
    """The ``Authorization: Digest ...`` value for one request (RFC 2617 MD5, RFC 7616 SHA-256).

    Raises ``ValueError`` for an algorithm or qop we do not speak.
    """
    algorithm = challenge.get("algorithm", "MD5")
    base, sess = algorithm.lower().removesuffix("-sess"), algorithm.lower().endswith("-sess")
    if base not in _DIGEST_HASHES:
        raise ValueError(f"algorithm {algorithm}")
    h = _DIGEST_HASHES[base]
    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    qops = [q.strip().lower() for q in challenge.get("qop", "").split(",") if q.strip()]
    if qops and "auth" not in qops:
        raise ValueError(f"qop {challenge.get('qop')}")  # auth-int alone would need the body hashed
    cnonce = cnonce or os.urandom(8).hex()
    ha1 = h(f"{user}:{realm}:{password}".encode())
    if sess:
        ha1 = h(f"{ha1}:{nonce}:{cnonce}".encode())
    ha2 = h(f"{method}:{uri}".encode())
    fields = [f'username="{_quote(user)}"', f'realm="{_quote(realm)}"', f'nonce="{_quote(nonce)}"',
              f'uri="{_quote(uri)}"']
    if qops:
        count = f"{nc:08x}"
        response = h(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}".encode())
        fields += [f'response="{response}"', "qop=auth", f"nc={count}", f'cnonce="{cnonce}"']
    else:
        fields.append(f'response="{h(f"{ha1}:{nonce}:{ha2}".encode())}"')
    if "algorithm" in challenge:
        fields.append(f"algorithm={algorithm}")
    if "opaque" in challenge:
        fields.append(f'opaque="{_quote(challenge["opaque"])}"')
    return "Digest " + ", ".join(fields)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# ====================================================================== the exchange
@dataclass
class RtspResponse:
    status: int
    reason: str
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


class _Session:
    """One RTSP conversation with a deadline; reconnects when the server closes between requests."""

    def __init__(self, target: RtspTarget, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.cseq = 0
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._auth: Callable[[str], str] | None = None  # method -> Authorization value
        self._login_proven = False  # the camera accepted our credentials once in this session

    # ------------------------------------------------------------------ plumbing
    def _remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    def _connect(self) -> socket.socket:
        t = self.target
        try:
            sock = socket.create_connection((t.host, t.port), timeout=self._remaining())
        except ConnectionRefusedError:
            raise Unreachable(
                _("{target} refused the RTSP connection: nothing listens on that port. Check the RTSP "
                  "port in the camera's network settings (554 by default) and that RTSP is enabled, "
                  "then retry.").format(target=t.display), target=t.display) from None
        except TimeoutError:
            raise Unreachable(
                _("No answer from {target} within {seconds:g} s. Check the address, the RTSP port in the "
                  "camera's network settings, the cable and that the camera is powered on, then "
                  "retry.").format(target=t.display, seconds=self.timeout), target=t.display) from None
        except OSError as exc:
            raise Unreachable(
                _("Cannot reach {target} ({reason}). Check the address, the RTSP port in the camera's "
                  "network settings and the cable, then retry.").format(
                    target=t.display, reason=exc.strerror or type(exc).__name__), target=t.display) from None
        self._buffer = b""
        return sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _recv(self, sock: socket.socket) -> bytes:
        sock.settimeout(self._remaining())
        return sock.recv(8192)

    def _read_response(self, sock: socket.socket, method: str) -> RtspResponse:
        while True:
            self._buffer = self._buffer.lstrip(b"\r\n")  # stray CRLFs between messages
            end = self._buffer.find(b"\r\n\r\n")
            sep = 4
            if end < 0 and (end := self._buffer.find(b"\n\n")) >= 0:
                sep = 2  # bare-LF servers exist on cheap firmware
            if end >= 0:
                break
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise self._bad(_("its answer to {method} has a header over {limit} bytes").format(
                    method=method, limit=MAX_HEAD_BYTES))
            chunk = self._recv(sock)
            if not chunk:
                raise ConnectionResetError
            self._buffer += chunk
        head, self._buffer = self._buffer[:end], self._buffer[end + sep:]
        if len(head) > MAX_HEAD_BYTES:
            raise self._bad(_("its answer to {method} has a header over {limit} bytes").format(
                method=method, limit=MAX_HEAD_BYTES))
        lines = head.decode("utf-8", "replace").splitlines()
        status_line = lines[0].split(None, 2) if lines else []
        if len(status_line) < 2 or not status_line[0].upper().startswith("RTSP/") or not status_line[1].isdigit():
            first = lines[0][:60] if lines else ""
            if first.upper().startswith("HTTP/"):
                raise self._bad(_("an HTTP server answers on this port, not RTSP"))
            raise self._bad(_("its answer to {method} is not RTSP: \"{start}\"").format(method=method, start=first))
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, sep_, value = line.partition(":")
            if sep_:
                headers.setdefault(name.strip().lower(), []).append(value.strip())
        raw_length = (headers.get("content-length") or ["0"])[0]
        if not raw_length.isdigit():
            raise self._bad(_("its answer to {method} has an invalid Content-Length").format(method=method))
        length = int(raw_length)
        if length > MAX_BODY_BYTES or len(head) + length > MAX_REPLY_BYTES:
            raise self._bad(_("its answer to {method} is {size} bytes, over the {limit}-byte limit").format(
                method=method, size=length, limit=MAX_BODY_BYTES))
        while len(self._buffer) < length:
            chunk = self._recv(sock)
            if not chunk:
                raise ConnectionResetError
            self._buffer += chunk
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return RtspResponse(int(status_line[1]), status_line[2] if len(status_line) > 2 else "", headers, body)

    def _bad(self, what: str) -> BadReply:
        return _bad_reply(self.target, what)

    def _timeout(self, method: str) -> DeviceTimeout:
        t = self.target
        return DeviceTimeout(
            _("{target} accepted the RTSP connection but did not answer {method} within {seconds:g} s. The "
              "camera may be rebooting or busy: wait a minute and retry.").format(
                target=t.display, method=method, seconds=self.timeout), target=t.display)

    def exchange(self, method: str, extra: dict[str, str] | None = None) -> RtspResponse:
        """Send one request and read its response; one reconnect if a kept-alive socket was closed."""
        for attempt in range(2):
            reused = self._sock is not None
            try:
                if self._sock is None:
                    self._sock = self._connect()
                self.cseq += 1
                headers = {"CSeq": str(self.cseq), "User-Agent": USER_AGENT, **(extra or {})}
                if self._auth is not None:
                    headers["Authorization"] = self._auth(method)
                request = f"{method} {self.target.url} RTSP/1.0\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
                self._sock.settimeout(self._remaining())
                self._sock.sendall(request.encode("utf-8"))
                response = self._read_response(self._sock, method)
            except TimeoutError:
                self.close()
                raise self._timeout(method) from None
            except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
                self.close()
                if reused and attempt == 0:
                    continue  # many cameras close after a 401: ask again on a fresh connection
                raise DeviceTimeout(
                    _("{target} closed the RTSP connection before answering {method}. The camera may be "
                      "rebooting or limiting connections: wait a minute and retry.").format(
                        target=self.target.display, method=method), target=self.target.display) from None
            except OSError as exc:
                self.close()
                raise Unreachable(
                    _("Lost the RTSP connection to {target} ({reason}). Check the cable and that the camera "
                      "is powered on, then retry.").format(
                        target=self.target.display, reason=exc.strerror or type(exc).__name__),
                    target=self.target.display) from None
            logger.debug("RTSP %s %s -> %d", method, self.target.url, response.status)
            if (response.header("connection") or "").lower() == "close":
                self.close()
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ authentication
    def request(self, method: str, extra: dict[str, str] | None = None) -> RtspResponse:
        """``exchange`` plus the 401 dance: answer one challenge, then once more for a stale nonce."""
        response = self.exchange(method, extra)
        tried = False
        while response.status == 401:
            challenges = parse_challenges(response.headers.get("www-authenticate", []))
            stale = any(c.scheme == "digest" and c.params.get("stale", "").lower() == "true" for c in challenges)
            if tried and not stale:
                raise self._auth_failed()
            if self.target.user is None or self.target.password is None:
                raise AuthFailed(
                    _("{target} asks for a user name and password to describe the stream, and none were "
                      "given. Give the camera's user name and password, then retry.").format(
                        target=self.target.display), target=self.target.display)
            self._auth = self._authenticator(challenges)
            tried = True
            response = self._logged_in_exchange(method, extra)
            if stale and response.status == 401:
                raise self._auth_failed()
        return response

    def _logged_in_exchange(self, method: str, extra: dict[str, str] | None) -> RtspResponse:
        """An exchange that carries credentials: the first one of the session is a budgeted login."""
        if self._login_proven:
            return self.exchange(method, extra)
        attempt = BUDGET.attempt(self.target.host, f"RTSP {method}", target=self.target.display)
        try:
            response = self.exchange(method, extra)
        except BaseException:
            attempt.cancel()
            raise
        stale = any(c.scheme == "digest" and c.params.get("stale", "").lower() == "true"
                    for c in parse_challenges(response.headers.get("www-authenticate", [])))
        if response.status == 401 and not stale:
            attempt.refused()
            error = self._auth_failed()
            error.hint = refusal_hint(self.target.host, f"RTSP {method}")
            raise error
        if response.status == 401:
            attempt.cancel()  # a stale nonce: the password was right, the nonce old
        else:
            attempt.ok()
            self._login_proven = True
        return response

    def _auth_failed(self) -> AuthFailed:
        return AuthFailed(
            _("{target} refused the user name or password for RTSP. Check them in the camera's web page "
              "(RTSP uses the camera's own user accounts), then retry.").format(target=self.target.display),
            target=self.target.display)

    def _authenticator(self, challenges: list[Challenge]) -> Callable[[str], str]:
        user, password = self.target.user or "", self.target.password or ""
        for challenge in challenges:
            if challenge.scheme != "digest":
                continue
            try:  # validate once; an algorithm we cannot compute moves on to the next challenge
                digest_response(user=user, password=password, method="DESCRIBE", uri=self.target.url,
                                challenge=challenge.params)
            except ValueError:
                continue
            counter = iter(range(1, 1 << 32))
            params = challenge.params
            return lambda method: digest_response(user=user, password=password, method=method,
                                                  uri=self.target.url, challenge=params, nc=next(counter))
        # Basic sends the password itself: only when the camera offers no Digest at all (the URL is
        # the camera's own, describe() made sure of that).
        if not any(c.scheme == "digest" for c in challenges) and any(c.scheme == "basic" for c in challenges):
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            return lambda _method: f"Basic {token}"
        offered = ", ".join(sorted({c.scheme.capitalize() for c in challenges})) or "?"
        raise AuthFailed(
            _("{target} asks for an RTSP authentication kitchencam does not speak ({schemes}). Allow Digest "
              "or Basic authentication for RTSP in the camera's security settings, then retry.").format(
                target=self.target.display, schemes=offered), target=self.target.display)


def _bad_reply(target: RtspTarget, what: str) -> BadReply:
    return BadReply(_("{target} sent a reply kitchencam cannot read: {what}. Check that the URL points "
                      "at the camera's RTSP port, then retry.").format(target=target.display, what=what),
                    target=target.display)


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret and len(secret) >= 3 else text


def describe(url: str, *, user: str | None, password: str | None, timeout: float = 5.0,
             camera_host: str | None = None) -> StreamCheck:
    """OPTIONS then DESCRIBE ``url``; what the stream carries, from the SDP the camera answers.

    ``user``/``password`` win over credentials embedded in ``url``. ``timeout`` bounds the whole
    exchange. Raises ``Unreachable``/``DeviceTimeout``, ``AuthFailed``, ``DeviceFault`` (404 and
    other refusals) or ``BadReply``; none of them, nor the result, contains the password.
    ``camera_host``: the camera that gave the URL; a URL on another host is refused unsent. The
    first login of the session is asked of the run's login budget (kitchencam/logins.py).
    """
    target = parse_url(url, user=user, password=password)
    if camera_host is not None and not same_host(target.url, camera_host):
        # The camera's password goes to the camera only, never to a host its reply named.
        raise refuse_foreign(target.url, camera_host, "rtsp")
    session = _Session(target, timeout)
    try:
        # OPTIONS first, as players do (some firmware expects it); its status does not matter
        # unless it is an authentication failure, which request() raises.
        session.request("OPTIONS")
        response = session.request("DESCRIBE", {"Accept": "application/sdp"})
    finally:
        session.close()
    server = response.header("server")
    if response.status == 404:
        raise DeviceFault(
            _("{target} has no stream at {path} (RTSP 404 Not Found): the stream path does not exist. Use the "
              "stream address the camera reports over ONVIF (GetStreamUri), e.g. /Streaming/Channels/101 on "
              "Hikvision or /cam/realmonitor?channel=1&subtype=0 on Dahua.").format(
                target=target.display, path=_path_of(target.url)), target=target.display)
    if response.status == 403:
        raise AuthFailed(
            _("{target} accepted the credentials but forbids this user to watch the stream (RTSP 403). Give the "
              "account live-view rights in the camera's user settings, then retry.").format(
                target=target.display), target=target.display)
    if response.status != 200:
        raise DeviceFault(
            _("{target} refused to describe the stream (RTSP {status} {reason}). Check the stream address and "
              "the camera's RTSP settings, then retry.").format(
                target=target.display, status=response.status, reason=response.reason.strip()[:60]),
            target=target.display)
    try:
        sdp = response.body.decode("utf-8")
    except UnicodeDecodeError:
        sdp = response.body.decode("latin-1")
    content_type = (response.header("content-type") or "application/sdp").split(";")[0].strip().lower()
    if content_type != "application/sdp" or not re.search(r"^v=0\s*$", sdp, re.MULTILINE):
        raise _bad_reply(target, _("its answer to DESCRIBE is not a session description (SDP)"))
    video = parse_sdp(sdp)
    return StreamCheck(url=target.url, codec=video.codec, clock_rate=video.clock_rate, width=video.width,
                       height=video.height, fps=video.fps, size_source=video.size_source,
                       sdp=_redact(sdp, target.password), server=server)


def describe_without_login(url: str, *, camera_host: str, timeout: float = 5.0) -> RtspResponse:
    """ONE DESCRIBE of ``url`` carrying no credentials (user info in the URL is dropped), on the
    camera's own host only: does the camera hand its stream to anyone? Spends no login.

    Raises ``Unreachable``/``DeviceTimeout``/``BadReply`` like :func:`describe`; the status says
    the rest (401: refused; 200: served).
    """
    target = parse_url(url, user=None, password=None)
    target = RtspTarget(host=target.host, port=target.port, url=target.url, user=None, password=None)
    if not same_host(target.url, camera_host):
        raise refuse_foreign(target.url, camera_host, "rtsp")
    session = _Session(target, timeout)
    try:
        return session.exchange("DESCRIBE", {"Accept": "application/sdp"})
    finally:
        session.close()


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
