"""RTSP server for simulated cameras: OPTIONS and DESCRIBE, with optional digest auth.

Enough of RTSP/1.0 (RFC 2326) for a client to ask "what does this stream carry?": DESCRIBE
answers with an SDP whose fmtp carries real parameter sets. The SPS is generated bit by bit
(exp-Golomb and all) so the picture size a decoder reads from it is the one the encoder is set
to: a client that parses ``sprop-parameter-sets`` / ``sprop-sps`` gets the same answer as one
that trusts ``a=x-dimensions``. No media is sent: SETUP/PLAY get 405.

Bounded on purpose: a request head is at most ``MAX_REQUEST_BYTES``, a body at most
``MAX_BODY_BYTES``, a connection idles at most ``READ_TIMEOUT`` seconds and carries at most
``MAX_REQUESTS_PER_CONNECTION`` requests.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import math
import os
import re
import socketserver
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from urllib.parse import urlsplit

from kitchencam.sim.serving import QuietClientErrors

logger = logging.getLogger(__name__)

StreamInfo = tuple[str, int, int, float]

MAX_REQUEST_BYTES = 8192
MAX_BODY_BYTES = 65536
READ_TIMEOUT = 10.0
MAX_REQUESTS_PER_CONNECTION = 100
NONCE_LIFETIME = 300.0

#: Methods RFC 2326 defines. Those we do not serve get 405 (with Allow); anything else 501.
RTSP_METHODS = frozenset({
    "OPTIONS", "DESCRIBE", "ANNOUNCE", "SETUP", "PLAY", "PAUSE", "TEARDOWN",
    "GET_PARAMETER", "SET_PARAMETER", "REDIRECT", "RECORD",
})
ALLOWED = "OPTIONS, DESCRIBE"

REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
    405: "Method Not Allowed", 413: "Request Entity Too Large", 414: "Request-URI Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 505: "RTSP Version not supported",
}


# ====================================================================== bitstream writing
class BitWriter:
    """MSB-first bit writer with the two exp-Golomb codes of H.264/H.265 (clause 9.1)."""

    def __init__(self) -> None:
        self._bits: list[int] = []

    def u(self, n: int, value: int) -> None:
        if value < 0 or value >= (1 << n):
            raise ValueError(f"{value} does not fit in {n} bits")
        self._bits.extend((value >> (n - 1 - i)) & 1 for i in range(n))

    def flag(self, value: bool) -> None:
        self._bits.append(1 if value else 0)

    def ue(self, value: int) -> None:
        if value < 0:
            raise ValueError("ue(v) is unsigned")
        code = value + 1
        length = code.bit_length()
        self._bits.extend([0] * (length - 1))
        self.u(length, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def trailing_bits(self) -> None:
        """rbsp_trailing_bits(): a stop bit, then zeros to the byte boundary."""
        self._bits.append(1)
        while len(self._bits) % 8:
            self._bits.append(0)

    def to_bytes(self) -> bytes:
        if len(self._bits) % 8:
            raise ValueError("not byte aligned")
        out = bytearray()
        for i in range(0, len(self._bits), 8):
            byte = 0
            for bit in self._bits[i:i + 8]:
                byte = (byte << 1) | bit
            out.append(byte)
        return bytes(out)


def add_emulation_prevention(rbsp: bytes) -> bytes:
    """RBSP -> NAL payload: insert 0x03 after two zero bytes when the next byte is <= 3."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


# ====================================================================== H.264
def h264_level(width: int, height: int, fps: int) -> int:
    """Smallest level_idc (x10) whose MaxFS and MaxMBPS fit the picture (Table A-1)."""
    mbs = math.ceil(width / 16) * math.ceil(height / 16)
    for level, max_fs, max_mbps in ((30, 1620, 40500), (31, 3600, 108000), (32, 5120, 216000),
                                    (40, 8192, 245760), (42, 8704, 522240), (50, 22080, 589824),
                                    (51, 36864, 983040), (52, 36864, 2073600)):
        if mbs <= max_fs and mbs * fps <= max_mbps:
            return level
    return 52


def h264_sps(width: int, height: int, fps: int, profile_idc: int = 77) -> bytes:
    """A Main (77) or High (100) profile SPS NAL unit (with header) for a progressive picture."""
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError("width and height must be positive and even (4:2:0)")
    w = BitWriter()
    w.u(8, profile_idc)
    # constraint_set1 (Main-compatible) for Main; none for High. reserved_zero_2bits.
    w.u(8, 0x40 if profile_idc == 77 else 0x00)
    w.u(8, h264_level(width, height, fps))
    w.ue(0)  # seq_parameter_set_id
    if profile_idc in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        w.ue(1)  # chroma_format_idc 4:2:0
        w.ue(0)  # bit_depth_luma_minus8
        w.ue(0)  # bit_depth_chroma_minus8
        w.flag(False)  # qpprime_y_zero_transform_bypass_flag
        w.flag(False)  # seq_scaling_matrix_present_flag
    w.ue(12)  # log2_max_frame_num_minus4 (cameras use long GOPs)
    w.ue(0)  # pic_order_cnt_type
    w.ue(12)  # log2_max_pic_order_cnt_lsb_minus4
    w.ue(1)  # max_num_ref_frames
    w.flag(False)  # gaps_in_frame_num_value_allowed_flag
    mbs_w, mbs_h = math.ceil(width / 16), math.ceil(height / 16)
    w.ue(mbs_w - 1)  # pic_width_in_mbs_minus1
    w.ue(mbs_h - 1)  # pic_height_in_map_units_minus1 (frame_mbs_only)
    w.flag(True)  # frame_mbs_only_flag
    w.flag(True)  # direct_8x8_inference_flag
    crop_right, crop_bottom = mbs_w * 16 - width, mbs_h * 16 - height
    cropping = bool(crop_right or crop_bottom)
    w.flag(cropping)
    if cropping:
        # 4:2:0, frame_mbs_only: CropUnitX = 2, CropUnitY = 2 (1080 -> 1088 minus 4 units).
        w.ue(0)
        w.ue(crop_right // 2)
        w.ue(0)
        w.ue(crop_bottom // 2)
    w.flag(True)  # vui_parameters_present_flag
    w.flag(False)  # aspect_ratio_info_present_flag
    w.flag(False)  # overscan_info_present_flag
    w.flag(False)  # video_signal_type_present_flag
    w.flag(False)  # chroma_loc_info_present_flag
    w.flag(True)  # timing_info_present_flag
    w.u(32, 1)  # num_units_in_tick
    w.u(32, 2 * fps)  # time_scale: two ticks per frame (field-based clock, E.2.1)
    w.flag(True)  # fixed_frame_rate_flag
    w.flag(False)  # nal_hrd_parameters_present_flag
    w.flag(False)  # vcl_hrd_parameters_present_flag
    w.flag(False)  # pic_struct_present_flag
    w.flag(False)  # bitstream_restriction_flag
    w.trailing_bits()
    return bytes([0x67]) + add_emulation_prevention(w.to_bytes())


def h264_pps(profile_idc: int = 77) -> bytes:
    w = BitWriter()
    w.ue(0)  # pic_parameter_set_id
    w.ue(0)  # seq_parameter_set_id
    w.flag(profile_idc != 66)  # entropy_coding_mode_flag: CABAC outside Baseline
    w.flag(False)  # bottom_field_pic_order_in_frame_present_flag
    w.ue(0)  # num_slice_groups_minus1
    w.ue(0)  # num_ref_idx_l0_default_active_minus1
    w.ue(0)  # num_ref_idx_l1_default_active_minus1
    w.flag(False)  # weighted_pred_flag
    w.u(2, 0)  # weighted_bipred_idc
    w.se(0)  # pic_init_qp_minus26
    w.se(0)  # pic_init_qs_minus26
    w.se(0)  # chroma_qp_index_offset
    w.flag(True)  # deblocking_filter_control_present_flag
    w.flag(False)  # constrained_intra_pred_flag
    w.flag(False)  # redundant_pic_cnt_present_flag
    w.trailing_bits()
    return bytes([0x68]) + add_emulation_prevention(w.to_bytes())


# ====================================================================== H.265
def h265_level_idc(width: int, height: int, fps: int) -> int:
    """general_level_idc (level x 30) whose MaxLumaPs and sample rate fit (Table A.8)."""
    ps = width * height
    for level, max_ps, max_sr in ((30, 552960, 16588800), (31, 983040, 33177600),
                                  (40, 2228224, 66846720), (41, 2228224, 133693440),
                                  (50, 8912896, 267386880), (51, 8912896, 534773760)):
        if ps <= max_ps and ps * fps <= max_sr:
            return level * 3
    return 156


def _h265_profile_tier_level(w: BitWriter, level_idc: int) -> None:
    w.u(2, 0)  # general_profile_space
    w.flag(False)  # general_tier_flag (Main tier)
    w.u(5, 1)  # general_profile_idc: Main
    w.u(32, 0x60000000)  # compatibility flags 1 (Main) and 2 (Main 10)
    w.flag(True)  # general_progressive_source_flag
    w.flag(False)  # general_interlaced_source_flag
    w.flag(False)  # general_non_packed_constraint_flag
    w.flag(True)  # general_frame_only_constraint_flag
    w.u(32, 0)  # general_reserved_zero_43bits (first 32)
    w.u(11, 0)  # (remaining 11)
    w.flag(False)  # general_inbld_flag / reserved
    w.u(8, level_idc)
    # sps_max_sub_layers_minus1 == 0: no sub-layer flags.


def _h265_nal(nal_type: int, rbsp: bytes) -> bytes:
    # forbidden_zero_bit 0, nal_unit_type (6), nuh_layer_id 0 (6), nuh_temporal_id_plus1 1 (3).
    header = (nal_type << 9) | 1
    return header.to_bytes(2, "big") + add_emulation_prevention(rbsp)


def h265_vps(width: int, height: int, fps: int) -> bytes:
    w = BitWriter()
    w.u(4, 0)  # vps_video_parameter_set_id
    w.flag(True)  # vps_base_layer_internal_flag
    w.flag(True)  # vps_base_layer_available_flag
    w.u(6, 0)  # vps_max_layers_minus1
    w.u(3, 0)  # vps_max_sub_layers_minus1
    w.flag(True)  # vps_temporal_id_nesting_flag
    w.u(16, 0xFFFF)  # vps_reserved_0xffff_16bits
    _h265_profile_tier_level(w, h265_level_idc(width, height, fps))
    w.flag(True)  # vps_sub_layer_ordering_info_present_flag
    w.ue(1)  # vps_max_dec_pic_buffering_minus1
    w.ue(0)  # vps_max_num_reorder_pics
    w.ue(0)  # vps_max_latency_increase_plus1
    w.u(6, 0)  # vps_max_layer_id
    w.ue(0)  # vps_num_layer_sets_minus1
    w.flag(True)  # vps_timing_info_present_flag
    w.u(32, 1)  # vps_num_units_in_tick
    w.u(32, fps)  # vps_time_scale
    w.flag(False)  # vps_poc_proportional_to_timing_flag
    w.ue(0)  # vps_num_hrd_parameters
    w.flag(False)  # vps_extension_flag
    w.trailing_bits()
    return _h265_nal(32, w.to_bytes())


def h265_sps(width: int, height: int, fps: int) -> bytes:
    """A Main profile SPS NAL unit (with its 2-byte header); MinCbSizeY is 8."""
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError("width and height must be positive and even (4:2:0)")
    w = BitWriter()
    w.u(4, 0)  # sps_video_parameter_set_id
    w.u(3, 0)  # sps_max_sub_layers_minus1
    w.flag(True)  # sps_temporal_id_nesting_flag
    _h265_profile_tier_level(w, h265_level_idc(width, height, fps))
    w.ue(0)  # sps_seq_parameter_set_id
    w.ue(1)  # chroma_format_idc 4:2:0
    coded_w, coded_h = math.ceil(width / 8) * 8, math.ceil(height / 8) * 8
    w.ue(coded_w)  # pic_width_in_luma_samples (a multiple of MinCbSizeY)
    w.ue(coded_h)  # pic_height_in_luma_samples
    window = coded_w != width or coded_h != height
    w.flag(window)  # conformance_window_flag
    if window:
        w.ue(0)
        w.ue((coded_w - width) // 2)  # in chroma units: SubWidthC = 2
        w.ue(0)
        w.ue((coded_h - height) // 2)  # SubHeightC = 2
    w.ue(0)  # bit_depth_luma_minus8
    w.ue(0)  # bit_depth_chroma_minus8
    w.ue(4)  # log2_max_pic_order_cnt_lsb_minus4
    w.flag(True)  # sps_sub_layer_ordering_info_present_flag
    w.ue(1)  # sps_max_dec_pic_buffering_minus1
    w.ue(0)  # sps_max_num_reorder_pics
    w.ue(0)  # sps_max_latency_increase_plus1
    w.ue(0)  # log2_min_luma_coding_block_size_minus3 (MinCb 8)
    w.ue(3)  # log2_diff_max_min_luma_coding_block_size (CTB 64)
    w.ue(0)  # log2_min_luma_transform_block_size_minus2
    w.ue(3)  # log2_diff_max_min_luma_transform_block_size
    w.ue(1)  # max_transform_hierarchy_depth_inter
    w.ue(1)  # max_transform_hierarchy_depth_intra
    w.flag(False)  # scaling_list_enabled_flag
    w.flag(True)  # amp_enabled_flag
    w.flag(True)  # sample_adaptive_offset_enabled_flag
    w.flag(False)  # pcm_enabled_flag
    w.ue(0)  # num_short_term_ref_pic_sets
    w.flag(False)  # long_term_ref_pics_present_flag
    w.flag(True)  # sps_temporal_mvp_enabled_flag
    w.flag(True)  # strong_intra_smoothing_enabled_flag
    w.flag(True)  # vui_parameters_present_flag
    w.flag(False)  # aspect_ratio_info_present_flag
    w.flag(False)  # overscan_info_present_flag
    w.flag(False)  # video_signal_type_present_flag
    w.flag(False)  # chroma_loc_info_present_flag
    w.flag(False)  # neutral_chroma_indication_flag
    w.flag(False)  # field_seq_flag
    w.flag(False)  # frame_field_info_present_flag
    w.flag(False)  # default_display_window_flag
    w.flag(True)  # vui_timing_info_present_flag
    w.u(32, 1)  # vui_num_units_in_tick
    w.u(32, fps)  # vui_time_scale
    w.flag(False)  # vui_poc_proportional_to_timing_flag
    w.flag(False)  # vui_hrd_parameters_present_flag
    w.flag(False)  # bitstream_restriction_flag
    w.flag(False)  # sps_extension_present_flag
    w.trailing_bits()
    return _h265_nal(33, w.to_bytes())


def h265_pps() -> bytes:
    w = BitWriter()
    w.ue(0)  # pps_pic_parameter_set_id
    w.ue(0)  # pps_seq_parameter_set_id
    w.flag(False)  # dependent_slice_segments_enabled_flag
    w.flag(False)  # output_flag_present_flag
    w.u(3, 0)  # num_extra_slice_header_bits
    w.flag(True)  # sign_data_hiding_enabled_flag
    w.flag(True)  # cabac_init_present_flag
    w.ue(0)  # num_ref_idx_l0_default_active_minus1
    w.ue(0)  # num_ref_idx_l1_default_active_minus1
    w.se(0)  # init_qp_minus26
    w.flag(False)  # constrained_intra_pred_flag
    w.flag(False)  # transform_skip_enabled_flag
    w.flag(False)  # cu_qp_delta_enabled_flag
    w.se(0)  # pps_cb_qp_offset
    w.se(0)  # pps_cr_qp_offset
    w.flag(False)  # pps_slice_chroma_qp_offsets_present_flag
    w.flag(False)  # weighted_pred_flag
    w.flag(False)  # weighted_bipred_flag
    w.flag(False)  # transquant_bypass_enabled_flag
    w.flag(False)  # tiles_enabled_flag
    w.flag(False)  # entropy_coding_sync_enabled_flag
    w.flag(True)  # pps_loop_filter_across_slices_enabled_flag
    w.flag(False)  # deblocking_filter_control_present_flag
    w.flag(False)  # pps_scaling_list_data_present_flag
    w.flag(False)  # lists_modification_present_flag
    w.ue(0)  # log2_parallel_merge_level_minus2
    w.flag(False)  # slice_segment_header_extension_present_flag
    w.flag(False)  # pps_extension_present_flag
    w.trailing_bits()
    return _h265_nal(34, w.to_bytes())


# ====================================================================== SDP
def _b64(nal: bytes) -> str:
    return base64.b64encode(nal).decode("ascii")


def fmtp_for(codec: str, width: int, height: int, fps: int) -> str:
    """The ``a=fmtp:96`` value a camera would send for this encoder setting."""
    codec = codec.upper()
    if codec == "H264":
        sps = h264_sps(width, height, fps)
        return (f"packetization-mode=1;profile-level-id={sps[1:4].hex().upper()};"
                f"sprop-parameter-sets={_b64(sps)},{_b64(h264_pps())}")
    if codec in ("H265", "HEVC"):
        level = h265_level_idc(width, height, fps)
        return (f"profile-space=0;profile-id=1;tier-flag=0;level-id={level};"
                f"sprop-vps={_b64(h265_vps(width, height, fps))};"
                f"sprop-sps={_b64(h265_sps(width, height, fps))};sprop-pps={_b64(h265_pps())}")
    raise ValueError(f"unsupported codec {codec!r}: H264 or H265")


def build_sdp(codec: str, width: int, height: int, fps: int, *, ip: str, session_id: int,
              control: str = "trackID=0") -> str:
    """A session description shaped like Hikvision/Dahua DESCRIBE answers."""
    encoding = "H264" if codec.upper() == "H264" else "H265"
    lines = [
        "v=0",
        f"o=- {session_id} {session_id} IN IP4 {ip}",
        "s=Media Presentation",
        "e=NONE",
        "b=AS:5050",
        "t=0 0",
        "a=control:*",
        "a=range:npt=now-",
        "m=video 0 RTP/AVP 96",
        "c=IN IP4 0.0.0.0",
        "b=AS:5000",
        "a=recvonly",
        f"a=x-dimensions:{width},{height}",
        f"a=control:{control}",
        f"a=rtpmap:96 {encoding}/90000",
        f"a=fmtp:96 {fmtp_for(codec, width, height, fps)}",
        f"a=framesize:96 {width}-{height}",
        f"a=framerate:{fps}",
    ]
    return "\r\n".join(lines) + "\r\n"


# ====================================================================== digest auth
_AUTH_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_auth_params(value: str) -> dict[str, str]:
    return {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
            for m in _AUTH_PARAM.finditer(value)}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


# ====================================================================== server
class _Request:
    def __init__(self, method: str, uri: str, version: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.body = body


class _TooLarge(Exception):
    pass


class _Handler(socketserver.StreamRequestHandler):
    server: _TcpServer
    timeout = READ_TIMEOUT

    def handle(self) -> None:
        for _ in range(MAX_REQUESTS_PER_CONNECTION):
            try:
                request = self._read_request()
            except _TooLarge:
                self._send(413, {"CSeq": "0"}, close=True)
                return
            except (TimeoutError, ConnectionError, OSError):
                return
            if request is None:
                return
            keep = self.server.owner.respond(self, request)
            if not keep:
                return

    def _read_request(self) -> _Request | None:
        head = b""
        while True:
            line = self.rfile.readline(MAX_REQUEST_BYTES + 1)
            if not line:
                return None
            if not head and line in (b"\r\n", b"\n"):
                continue  # tolerate blank lines between requests
            if line.startswith(b"$") and not head:
                return None  # interleaved RTP: not ours to handle
            head += line
            if len(head) > MAX_REQUEST_BYTES:
                raise _TooLarge
            if line in (b"\r\n", b"\n"):
                break
        lines = head.decode("utf-8", "replace").splitlines()
        parts = lines[0].split()
        headers: dict[str, str] = {}
        for raw in lines[1:]:
            if not raw.strip() or ":" not in raw:
                continue
            name, _, value = raw.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length", "0")
        try:
            n = int(length)
        except ValueError:
            n = -1
        if n < 0:
            return _Request("", "", "", headers, b"")  # answered 400 below
        if n > MAX_BODY_BYTES:
            raise _TooLarge
        body = self.rfile.read(n) if n else b""
        if len(parts) != 3:
            return _Request("", "", "", headers, body)
        return _Request(parts[0], parts[1], parts[2], headers, body)

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"", *, close: bool = False) -> None:
        lines = [f"RTSP/1.0 {status} {REASONS.get(status, 'Unknown')}"]
        out = dict(headers)
        out.setdefault("Date", formatdate(usegmt=True))
        out["Server"] = self.server.owner.server_name
        if body:
            out["Content-Length"] = str(len(body))
        if close:
            out["Connection"] = "close"
        lines += [f"{k}: {v}" for k, v in out.items()]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
        with contextlib.suppress(OSError):
            self.wfile.write(data)
            self.wfile.flush()


class _TcpServer(QuietClientErrors, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    owner: RtspServer


class RtspServer:
    """Threaded RTSP/1.0 server answering OPTIONS and DESCRIBE for ``stream_info(path)``.

    ``stream_info`` gets the request path with its query string as sent
    (``/cam/realmonitor?channel=1&subtype=0``, ``/Streaming/Channels/101``) and returns
    ``(codec, width, height, fps)`` or None for 404. It is called on every DESCRIBE, so an
    encoder change made over ONVIF shows up in the next SDP. ``digest_user_pass`` returns the
    current ``{user: password}`` (called per request); None disables authentication.
    """

    def __init__(
        self,
        ip: str,
        port: int = 0,
        stream_info: Callable[[str], StreamInfo | None] | None = None,
        digest_user_pass: Callable[[], dict[str, str]] | None = None,
        *,
        realm: str = "Login to kitchencam",
        server_name: str = "Rtsp Server/3.0",
    ) -> None:
        if stream_info is None:
            raise TypeError("stream_info is required")
        self.ip = ip
        self._requested_port = port
        self.stream_info = stream_info
        self.digest_user_pass = digest_user_pass
        self.realm = realm
        self.server_name = server_name
        self._secret = os.urandom(16)
        self._server: _TcpServer | None = None
        self._thread: threading.Thread | None = None
        self._session_id = int(time.time())

    @property
    def port(self) -> int:
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"rtsp://{self.ip}:{self.port}{path if path.startswith('/') else '/' + path}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("RTSP server already started")
        server = _TcpServer((self.ip, self._requested_port), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"rtsp-{self.ip}:{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- auth
    def _nonce(self) -> str:
        stamp = f"{int(time.time()):x}"
        sig = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        return stamp + sig

    def _nonce_state(self, nonce: str) -> str:
        """'ok', 'stale' or 'bad'."""
        stamp, sig = nonce[:-24], nonce[-24:]
        good = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        if not stamp or not hmac.compare_digest(sig, good):
            return "bad"
        try:
            age = time.time() - int(stamp, 16)
        except ValueError:
            return "bad"
        return "ok" if 0 <= age <= NONCE_LIFETIME else "stale"

    def _challenge(self, stale: bool = False) -> str:
        value = f'Digest realm="{self.realm}", nonce="{self._nonce()}"'
        return value + (", stale=TRUE" if stale else "")

    def _authorized(self, request: _Request) -> tuple[bool, bool]:
        """(authorised, stale nonce)."""
        if self.digest_user_pass is None:
            return True, False
        header = request.headers.get("authorization", "")
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "digest":
            return False, False
        params = parse_auth_params(rest)
        users = self.digest_user_pass()
        user = params.get("username", "")
        if user not in users or params.get("realm") != self.realm:
            return False, False
        state = self._nonce_state(params.get("nonce", ""))
        if state != "ok":
            return False, state == "stale"
        uri = params.get("uri", "")
        # Clients sign either the full request URI or its path; both name this request.
        split = urlsplit(request.uri)
        path_form = split.path + (f"?{split.query}" if split.query else "")
        if uri not in (request.uri, path_form):
            return False, False
        ha1 = _md5(f"{user}:{self.realm}:{users[user]}")
        ha2 = _md5(f"{request.method}:{uri}")
        qop = params.get("qop")
        if qop:
            if qop != "auth":
                return False, False
            expected = _md5(f"{ha1}:{params['nonce']}:{params.get('nc', '')}:{params.get('cnonce', '')}:"
                            f"auth:{ha2}")
        else:
            expected = _md5(f"{ha1}:{params['nonce']}:{ha2}")
        return hmac.compare_digest(expected, params.get("response", "").lower()), False

    # ---------------------------------------------------------------- dispatch
    def respond(self, handler: _Handler, request: _Request) -> bool:
        """Answer one request; return False to close the connection."""
        cseq = request.headers.get("cseq")
        if not request.method or cseq is None or not cseq.strip().isdigit():
            handler._send(400, {"CSeq": (cseq or "0").strip()}, close=True)
            return False
        base = {"CSeq": cseq.strip()}
        if request.version != "RTSP/1.0":
            handler._send(505, base)
            return True
        method = request.method.upper()
        if method not in RTSP_METHODS:
            handler._send(501, {**base, "Public": ALLOWED})
            return True
        if method == "OPTIONS":
            handler._send(200, {**base, "Public": ALLOWED})
            return True
        ok, stale = self._authorized(request)
        if not ok:
            handler._send(401, {**base, "WWW-Authenticate": self._challenge(stale)})
            return True
        if method != "DESCRIBE":
            handler._send(405, {**base, "Allow": ALLOWED})
            return True
        split = urlsplit(request.uri)
        if split.scheme.lower() not in ("rtsp", "rtsps") or not split.path:
            handler._send(400, base)
            return True
        path = split.path + (f"?{split.query}" if split.query else "")
        try:
            info = self.stream_info(path)
        except Exception:
            logger.exception("stream_info(%r) failed", path)
            handler._send(500, base)
            return True
        if info is None:
            handler._send(404, base)
            return True
        codec, width, height, fps = info
        sdp = build_sdp(codec, width, height, round(fps), ip=self.ip, session_id=self._session_id).encode("ascii")
        content_base = request.uri if request.uri.endswith("/") else request.uri + "/"
        handler._send(200, {**base, "Content-Type": "application/sdp", "Content-Base": content_base}, sdp)
        return True

