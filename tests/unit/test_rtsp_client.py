"""kitchencam.rtsp without a network: SDP parsing, SPS decoding, URLs and digest arithmetic."""

from __future__ import annotations

import base64
import math

import pytest

from kitchencam.errors import UsageError
from kitchencam.rtsp import (
    SpsError,
    decode_h264_sps,
    decode_h265_sps,
    digest_response,
    parse_challenges,
    parse_sdp,
    parse_url,
    remove_emulation_prevention,
)
from kitchencam.sim.rtsp import BitWriter, add_emulation_prevention, build_sdp, h264_pps, h264_sps, h265_sps


# ====================================================================== the simulator's SDPs
@pytest.mark.parametrize("codec", ["H264", "H265"])
@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_simulator_sdp(codec: str, width: int, height: int) -> None:
    video = parse_sdp(build_sdp(codec, width, height, 25, ip="127.0.0.1", session_id=1))
    assert (video.codec, video.clock_rate, video.payload_type) == (codec, 90000, 96)
    assert (video.width, video.height, video.size_source) == (width, height, "sps")
    assert video.fps == 25.0


@pytest.mark.parametrize("codec", ["H264", "H265"])
def test_sps_wins_over_attributes(codec: str) -> None:
    """The SPS is the camera's own statement: an attribute left at the old size does not count."""
    sdp = build_sdp(codec, 1920, 1080, 25, ip="127.0.0.1", session_id=1)
    sdp = sdp.replace("a=x-dimensions:1920,1080", "a=x-dimensions:1280,720")
    sdp = sdp.replace("a=framesize:96 1920-1080", "a=framesize:96 1280-720")
    video = parse_sdp(sdp)
    assert (video.width, video.height, video.size_source) == (1920, 1080, "sps")


def test_h264_vui_frame_rate_when_sdp_has_none() -> None:
    sdp = build_sdp("H264", 1280, 720, 30, ip="127.0.0.1", session_id=1).replace("a=framerate:30\r\n", "")
    assert parse_sdp(sdp).fps == 30.0


# ====================================================================== vendor-shaped SDPs
# Parameter sets in the shape Hikvision and Dahua firmware send (Main profile with VUI timing,
# High profile with scaling matrices, HEVC with 0x000003 emulation prevention in the PTL).
HIK_H264_SPS = "Z00AKpY1QPAET8s3AQEBQAABwgAAV+QB"
HIK_H264_PPS = "aO48gA=="
DAHUA_H264_HIGH_SCALING_SPS = (
    "Z2QAKK2EBUViuKxUdCAqKxXFYqOhAVFYrisVHQgKisVxWKjoQFRWK4rFR0ICorFcVio6ECSFITk8nyfk/k/J8nm5s00IEkKQnJ5Pk"
    "/J/J+T5PNzZprQDwBE/LgKgAAADAAIAAAMAZRgYAB6EgAI9YN3Ouhhv9dHUAAAA=")
HEVC_VPS = "QAEMAf//AWAAAAMAsAAAAwAAAwB7rAk="
HEVC_SPS = "QgEBAWAAAAMAsAAAAwAAAwB7oAPAgBDlja5JMvTcBAQEAg=="
HEVC_PPS = "RAHA8vA8kAA="

HIKVISION_H264 = f"""v=0
o=- 1109162014219182 1109162014219182 IN IP4 0.0.0.0
s=Media Presentation
e=NONE
b=AS:5050
t=0 0
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast&profile=Profile_1
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
b=AS:5000
a=recvonly
a=x-dimensions:1920,1080
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast&profile=Profile_1
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets={HIK_H264_SPS},{HIK_H264_PPS}
m=audio 0 RTP/AVP 0
c=IN IP4 0.0.0.0
b=AS:50
a=recvonly
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast&profile=Profile_1
a=rtpmap:0 PCMU/8000
a=Media_header:MEDIAINFO=494D4B48010200000400000100000000000000000000000000000000000000000000000000000000;
a=appversion:1.0
""".replace("\n", "\r\n")

HIKVISION_H265 = f"""v=0
o=- 1109162014219182 1109162014219182 IN IP4 0.0.0.0
s=Media Presentation
e=NONE
b=AS:5050
t=0 0
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast&profile=Profile_1
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
b=AS:5000
a=recvonly
a=x-dimensions:1920,1080
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast&profile=Profile_1
a=rtpmap:96 H265/90000
a=fmtp:96 sprop-vps={HEVC_VPS}; sprop-sps={HEVC_SPS}; sprop-pps={HEVC_PPS}
a=Media_header:MEDIAINFO=494D4B48010300000400050000000000000000000000000000000000000000000000000000000000;
a=appversion:1.0
""".replace("\n", "\r\n")

# Dahua: audio first, then video at payload type 96 with a=framerate and a High profile SPS.
DAHUA_H264 = f"""v=0
o=- 2252134256 2252134256 IN IP4 0.0.0.0
s=Media Server
c=IN IP4 0.0.0.0
t=0 0
a=control:*
a=packetization-supported:DH
a=rtppayload-supported:DH
a=range:npt=now-
m=audio 0 RTP/AVP 8
a=control:trackID=5
a=rtpmap:8 PCMA/16000
a=sendonly
m=video 0 RTP/AVP 96
a=control:trackID=0
a=framerate:25.000000
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1;profile-level-id=640028;sprop-parameter-sets={DAHUA_H264_HIGH_SCALING_SPS},aO48sA==
a=recvonly
""".replace("\n", "\r\n")

# Dahua H.265 with the payload type named HEVC and no size attribute at all: only the SPS knows.
DAHUA_HEVC = f"""v=0
o=- 2252134256 2252134256 IN IP4 0.0.0.0
s=Media Server
c=IN IP4 0.0.0.0
t=0 0
a=control:*
a=range:npt=now-
m=video 0 RTP/AVP 98
a=control:trackID=0
a=framerate:20.000000
a=rtpmap:98 HEVC/90000
a=fmtp:98 profile-id=1;sprop-sps={HEVC_SPS};sprop-pps={HEVC_PPS};sprop-vps={HEVC_VPS}
a=recvonly
""".replace("\n", "\r\n")


def test_hikvision_h264() -> None:
    video = parse_sdp(HIKVISION_H264)
    assert (video.codec, video.width, video.height, video.size_source) == ("H264", 1920, 1080, "sps")
    assert video.fps == 25.0  # no a=framerate: from the SPS's VUI timing
    assert video.fmtp["profile-level-id"] == "420029"


def test_hikvision_h265() -> None:
    video = parse_sdp(HIKVISION_H265)
    assert (video.codec, video.width, video.height, video.size_source) == ("H265", 1920, 1080, "sps")
    assert video.fps is None  # neither the SDP nor (for H.265) our reader gives one


def test_dahua_h264_high_profile_with_scaling_lists() -> None:
    video = parse_sdp(DAHUA_H264)
    assert (video.codec, video.payload_type, video.width, video.height) == ("H264", 96, 1920, 1080)
    assert (video.size_source, video.fps) == ("sps", 25.0)


def test_dahua_hevc_spelling() -> None:
    video = parse_sdp(DAHUA_HEVC)
    assert (video.codec, video.payload_type, video.width, video.height, video.fps) == ("H265", 98, 1920, 1080, 20.0)


def test_attribute_fallback_without_sps() -> None:
    sdp = HIKVISION_H264.replace(f"sprop-parameter-sets={HIK_H264_SPS},{HIK_H264_PPS}", "")
    video = parse_sdp(sdp)
    assert (video.width, video.height, video.size_source) == (1920, 1080, "sdp-attribute")


def test_attribute_fallback_on_a_broken_sps() -> None:
    sdp = HIKVISION_H264.replace(HIK_H264_SPS, HIK_H264_SPS[:8])  # truncated: profile and level only
    video = parse_sdp(sdp)
    assert (video.width, video.height, video.size_source) == (1920, 1080, "sdp-attribute")


def test_framesize_fallback_and_mjpeg_static_payload() -> None:
    sdp = "v=0\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=framesize:26 640-480\r\na=framerate:12.5\r\n"
    video = parse_sdp(sdp)
    assert (video.codec, video.clock_rate, video.width, video.height, video.fps) == ("JPEG", 90000, 640, 480, 12.5)
    assert video.size_source == "sdp-attribute"


def test_mpeg4_without_size() -> None:
    sdp = "v=0\r\nt=0 0\r\nm=video 0 RTP/AVP 97\r\na=rtpmap:97 MP4V-ES/90000\r\na=fmtp:97 profile-level-id=1\r\n"
    video = parse_sdp(sdp)
    assert (video.codec, video.width, video.height, video.size_source) == ("MP4V-ES", None, None, None)


def test_no_video() -> None:
    video = parse_sdp("v=0\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    assert video.codec is None
    assert video.width is None


# ====================================================================== SPS decoding
def test_emulation_prevention_round_trip() -> None:
    rbsp = bytes([0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x04])
    escaped = add_emulation_prevention(rbsp)
    assert escaped != rbsp
    assert remove_emulation_prevention(escaped) == rbsp


def test_sim_sps_contains_emulation_prevention() -> None:
    """num_units_in_tick = 1 is 31 zero bits: the escaped SPS must decode to the same size."""
    nal = h264_sps(1920, 1080, 25)
    assert b"\x00\x00\x03" in nal
    assert decode_h264_sps(nal).width == 1920
    assert b"\x00\x00\x03" in base64.b64decode(HEVC_SPS)
    assert (decode_h265_sps(base64.b64decode(HEVC_SPS)).width, decode_h265_sps(base64.b64decode(HEVC_SPS)).height) \
        == (1920, 1080)


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720), (704, 576), (640, 360), (2592, 1944)])
def test_sim_sps_sizes(width: int, height: int) -> None:
    assert (decode_h264_sps(h264_sps(width, height, 25)).width, decode_h264_sps(h264_sps(width, height, 25)).height) \
        == (width, height)
    assert decode_h264_sps(h264_sps(width, height, 25, profile_idc=100)).height == height
    info = decode_h265_sps(h265_sps(width, height, 25))
    assert (info.width, info.height) == (width, height)


def _h264_high_sps(*, width: int, height: int, chroma_format_idc: int, interlaced: bool, scaling: bool,
                   poc_type: int) -> bytes:
    """A High 4:2:2 / 4:4:4 style SPS with the branches the simulator never writes."""
    w = BitWriter()
    w.u(8, 122 if chroma_format_idc < 3 else 244)
    w.u(8, 0)
    w.u(8, 40)
    w.ue(0)
    w.ue(chroma_format_idc)
    if chroma_format_idc == 3:
        w.flag(False)  # separate_colour_plane_flag
    w.ue(2)  # bit_depth_luma_minus8 (10 bit)
    w.ue(2)
    w.flag(False)
    w.flag(scaling)
    if scaling:
        for i in range(8 if chroma_format_idc != 3 else 12):
            present = i in (0, 3, 6, 7)
            w.flag(present)
            if present:
                for j in range(16 if i < 6 else 64):
                    w.se(1 if j % 3 else -2)  # arbitrary delta_scale values
    w.ue(4)
    w.ue(poc_type)
    if poc_type == 0:
        w.ue(4)
    elif poc_type == 1:
        w.flag(False)
        w.se(-3)
        w.se(2)
        w.ue(2)
        w.se(1)
        w.se(-1)
    w.ue(4)
    w.flag(False)
    mbs_w = math.ceil(width / 16)
    unit_y_mbs = 32 if interlaced else 16  # map units are field macroblock pairs when interlaced
    map_units_h = math.ceil(height / unit_y_mbs)
    w.ue(mbs_w - 1)
    w.ue(map_units_h - 1)
    w.flag(not interlaced)
    if interlaced:
        w.flag(True)  # mb_adaptive_frame_field_flag
    w.flag(True)
    sub_w, sub_h = {1: (2, 2), 2: (2, 1), 3: (1, 1)}[chroma_format_idc]
    crop_x, crop_y = sub_w, sub_h * (2 if interlaced else 1)
    right, bottom = mbs_w * 16 - width, map_units_h * unit_y_mbs - height
    assert right % crop_x == 0
    assert bottom % crop_y == 0
    w.flag(bool(right or bottom))
    if right or bottom:
        w.ue(0)
        w.ue(right // crop_x)
        w.ue(0)
        w.ue(bottom // crop_y)
    w.flag(False)  # no VUI
    w.trailing_bits()
    return bytes([0x67]) + add_emulation_prevention(w.to_bytes())


@pytest.mark.parametrize(("chroma", "interlaced", "scaling", "poc", "width", "height"), [
    (1, False, True, 0, 1920, 1080),
    (2, False, True, 1, 1920, 1080),
    (3, False, True, 2, 1280, 720),
    (1, True, False, 0, 1920, 1080),
    (2, True, True, 1, 720, 576),
])
def test_h264_high_profile_branches(chroma: int, interlaced: bool, scaling: bool, poc: int,
                                    width: int, height: int) -> None:
    nal = _h264_high_sps(width=width, height=height, chroma_format_idc=chroma, interlaced=interlaced,
                         scaling=scaling, poc_type=poc)
    info = decode_h264_sps(nal)
    assert (info.width, info.height, info.fps) == (width, height, None)


def _h265_sps_with_sub_layers(width: int, height: int) -> bytes:
    """An HEVC SPS with two sub-layers, one carrying a sub-layer profile and level."""
    w = BitWriter()
    w.u(4, 0)
    w.u(3, 2)  # sps_max_sub_layers_minus1
    w.flag(True)
    w.u(2, 0)
    w.flag(False)
    w.u(5, 1)
    w.u(32, 0x60000000)
    w.u(4, 0b1001)
    w.u(32, 0)
    w.u(12, 0)
    w.u(8, 120)
    w.flag(True)  # sub_layer 0: profile present
    w.flag(True)  # sub_layer 0: level present
    w.flag(False)
    w.flag(True)  # sub_layer 1: level only
    for _ in range(2, 8):
        w.u(2, 0)
    w.u(32, 0x40000000)  # sub-layer 0 profile (88 bits)
    w.u(32, 0x60000000)
    w.u(24, 0)
    w.u(8, 90)  # sub-layer 0 level
    w.u(8, 93)  # sub-layer 1 level
    w.ue(0)
    w.ue(1)
    w.ue(math.ceil(width / 8) * 8)
    w.ue(math.ceil(height / 8) * 8)
    crop = (math.ceil(height / 8) * 8 - height) // 2
    w.flag(bool(crop))
    if crop:
        w.ue(0)
        w.ue(0)
        w.ue(0)
        w.ue(crop)
    w.ue(0)  # the rest need not be complete: the size is all we read
    w.trailing_bits()
    return bytes([0x42, 0x01]) + add_emulation_prevention(w.to_bytes())


def test_h265_profile_tier_level_with_sub_layers() -> None:
    info = decode_h265_sps(_h265_sps_with_sub_layers(1920, 1080))
    assert (info.width, info.height) == (1920, 1080)


def test_sps_errors() -> None:
    with pytest.raises(SpsError):
        decode_h264_sps(h264_pps())
    with pytest.raises(SpsError):
        decode_h264_sps(h264_sps(1920, 1080, 25)[:5])
    with pytest.raises(SpsError):
        decode_h265_sps(h264_sps(1920, 1080, 25))
    with pytest.raises(SpsError):
        decode_h265_sps(b"\x42\x01" + b"\x00" * 40)  # exp-Golomb longer than 32 bits


# ====================================================================== URLs and auth
def test_url_credentials_are_split_off() -> None:
    target = parse_url("rtsp://admin:p%40ss:word@192.168.1.64/Streaming/Channels/101", user=None, password=None)
    assert (target.host, target.port, target.user, target.password) == ("192.168.1.64", 554, "admin", "p@ss:word")
    assert target.url == "rtsp://192.168.1.64/Streaming/Channels/101"
    assert "p@ss" not in repr(target)
    assert target.display == "192.168.1.64:554"


def test_explicit_credentials_win_and_query_is_kept() -> None:
    target = parse_url("rtsp://u:old@10.0.0.5:8554/cam/realmonitor?channel=1&subtype=0", user="admin", password="new")
    assert (target.port, target.user, target.password) == (8554, "admin", "new")
    assert target.url == "rtsp://10.0.0.5:8554/cam/realmonitor?channel=1&subtype=0"


def test_ipv6_display() -> None:
    assert parse_url("rtsp://[fe80::1]:554/x", user=None, password=None).display == "[fe80::1]:554"


@pytest.mark.parametrize("url", ["http://admin:secret@10.0.0.5/", "rtsp:///nohost", "rtsp://admin:secret@10.0.0.5:99999/"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_url(url, user=None, password=None)
    assert "secret" not in str(info.value)


def test_rfc2617_example() -> None:
    """The worked example of RFC 2617 section 3.5."""
    challenge = parse_challenges(['Digest realm="testrealm@host.com", qop="auth,auth-int", '
                                  'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
                                  'opaque="5ccc069c403ebaf9f0171e9517f40e41"'])[0]
    assert challenge.scheme == "digest"
    header = digest_response(user="Mufasa", password="Circle Of Life", method="GET", uri="/dir/index.html",
                             challenge=challenge.params, nc=1, cnonce="0a4f113b")
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "qop=auth" in header
    assert "nc=00000001" in header
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header
    assert "Circle Of Life" not in header


def test_digest_without_qop_and_unknown_algorithm() -> None:
    params = {"realm": "r", "nonce": "n"}
    header = digest_response(user="u", password="p", method="DESCRIBE", uri="rtsp://h/x", challenge=params)
    assert "qop" not in header
    with pytest.raises(ValueError, match="algorithm"):
        digest_response(user="u", password="p", method="DESCRIBE", uri="rtsp://h/x",
                        challenge={**params, "algorithm": "SHA-512-256"})
    with pytest.raises(ValueError, match="qop"):
        digest_response(user="u", password="p", method="DESCRIBE", uri="rtsp://h/x",
                        challenge={**params, "qop": "auth-int"})
