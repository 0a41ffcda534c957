"""A hostile fake camera for tests: a real camera's replies, except the one bad reply asked for.

``hostile_camera(mode)`` runs a ``ReplayCamera`` (tests/replay.py, real HTTP on 127.0.0.1) that
answers like a Hikvision-family Media2 camera from the capture files in tests/data/captures
(the ENP1A14's identity, services and profiles, the SUNBA Performance-Series' encoders,
Hikvision-style encoder options; the clock is the server's own, so it is right), except that the
operation ``MODES[mode]`` names gets the bad reply. ``hostile_camera(None)`` is the good camera.

Every server stops when the ``with`` block ends; a streamed (trickled or huge) reply also stops
by itself after ``replay.STREAM_LIMIT_S``, or as soon as the server stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from tests.replay import CAPTURES, ReplayCamera, Reply, Request, Route, system_date_and_time

EASY = "easy_onvif_workspace/"
EX = "ex_onvif/test/fixtures/"

# One byte every TRICKLE_S seconds, as the camera in the issue did.
TRICKLE_S = 2.0
HUGE_BYTES = 50 * 1024 * 1024  # a 50 MB reply, streamed: never built in memory
PROFILE_FLOOD = 10_000
LONG_SERIAL = 3 * 1024 * 1024  # under the reply cap, so only the string cap can stop it
HUGE_SERIAL = 5 * 1024 * 1024  # over the reply cap: refused unread


def good_routes() -> dict[str, Route]:
    """The good camera: real captures, one device family (see the module docstring)."""
    return {
        "tds:GetSystemDateAndTime": lambda _req: system_date_and_time(datetime.now(timezone.utc)),
        "tds:GetServices": Reply.capture(EASY + "ENP1A14-IR_25X/device_management/GetServicesResponse.xml"),
        "tds:GetDeviceInformation": Reply.capture(
            EASY + "ENP1A14-IR_25X/device_management/GetDeviceInformationResponse.xml"),
        "tr2:GetProfiles": Reply.capture(EASY + "ENP1A14-IR_25X/media2/GetProfilesResponse.xml"),
        "tr2:GetVideoEncoderConfigurations": Reply.capture(
            EASY + "SUNBA/media2/GetVideoEncoderConfigurationsResponse.xml"),
        "tr2:GetVideoEncoderConfigurationOptions": Reply.capture(
            EX + "get_media2_video_encoder_configuration_options.xml"),
        "tr2:GetVideoSourceConfigurations": Reply.capture(EX + "get_media2_video_source_configurations.xml"),
    }


# --- the bad replies -------------------------------------------------------------------------------

def _time_xml(year: str = "2024") -> str:
    return (f"<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
            f"<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>{{tz}}</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime><tt:Time><tt:Hour>1</tt:Hour><tt:Minute>2</tt:Minute><tt:Second>3</tt:Second>"
            f"</tt:Time><tt:Date><tt:Year>{year}</tt:Year><tt:Month>5</tt:Month><tt:Day>6</tt:Day></tt:Date>"
            f"</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")


def _with_dtd(dtd: str, tz: str) -> Reply:
    """A GetSystemDateAndTime reply carrying a DOCTYPE with entity declarations (ONVIF never has one)."""
    good = Reply.envelope(_time_xml().replace("{tz}", tz)).body
    head, _sep, rest = good.partition(b"\n")
    return Reply(head + b"\n" + dtd.encode() + b"\n" + rest)


XXE = _with_dtd('<!DOCTYPE env:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;")
BILLION_LAUGHS = _with_dtd(
    "<!DOCTYPE env:Envelope [<!ENTITY lol \"lol\">"
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>", "&lol9;")


def _device_info(manufacturer: str = "ONVIF", model: str = "ENP1A14-IR/25X", serial: str = "DS-0001") -> str:
    return (f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{manufacturer}</tds:Manufacturer>"
            f"<tds:Model>{model}</tds:Model><tds:FirmwareVersion>V5.5.3</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{serial}</tds:SerialNumber><tds:HardwareId>88</tds:HardwareId>"
            f"</tds:GetDeviceInformationResponse>")


def _truncated() -> Reply:
    body = Reply.envelope(_device_info()).body
    return Reply(body[: len(body) * 2 // 3])


def _non_utf8() -> Reply:
    # Latin-1 bytes in a document that declares UTF-8: not decodable.
    return Reply(Reply.envelope(_device_info(model="Camera-\xe9\xff")).body.replace(
        "Camera-\xe9\xff".encode(), b"Camera-\xe9\xff"))


def _huge(total: int, *, with_length: bool) -> Reply:
    head = Reply.envelope("<tds:GetDeviceInformationResponse><tds:Manufacturer>").body.split(b"</env:Body>")[0]

    def chunks() -> Iterator[bytes]:
        yield head
        block = b"A" * 65536
        sent = len(head)
        while sent < total:
            yield block
            sent += len(block)

    return Reply(b"", chunks=chunks, length=total if with_length else None)


def _trickle() -> Reply:
    body = Reply.envelope(_device_info()).body

    def chunks() -> Iterator[bytes]:
        for i in range(len(body)):
            yield body[i:i + 1]

    return Reply(b"", chunks=chunks, length=len(body), trickle_s=TRICKLE_S)


def _profiles(count: int) -> Reply:
    items = "".join(f'<tr2:Profiles token="p{i}" fixed="false"><tr2:Name>p{i}</tr2:Name></tr2:Profiles>'
                    for i in range(count))
    return Reply.envelope(f"<tr2:GetProfilesResponse>{items}</tr2:GetProfilesResponse>")


def _stream_uri(req: Request) -> Reply:
    return Reply.envelope("<tr2:GetStreamUriResponse><tr2:Uri>rtsp://127.0.0.1:554/x</tr2:Uri>"
                          "</tr2:GetStreamUriResponse>")


# mode -> (operation it spoils, the bad reply). Builders run when the camera starts.
MODES: dict[str, tuple[str, Callable[[], Route]]] = {
    "xxe": ("tds:GetSystemDateAndTime", lambda: XXE),
    "billion-laughs": ("tds:GetSystemDateAndTime", lambda: BILLION_LAUGHS),
    "xxe-device-info": ("tds:GetDeviceInformation", lambda: XXE),
    "empty-body": ("tds:GetDeviceInformation", lambda: Reply(
        Reply.envelope("").body.replace(b"<env:Body></env:Body>", b"<env:Body/>"))),
    "missing-body": ("tds:GetDeviceInformation", lambda: Reply(
        Reply.envelope("").body.replace(b"<env:Body></env:Body>", b""))),
    "truncated": ("tds:GetDeviceInformation", _truncated),
    "non-utf8": ("tds:GetDeviceInformation", _non_utf8),
    "control-chars": ("tds:GetDeviceInformation", lambda: Reply.envelope(_device_info(model="Cam\x1b[2J\x07"))),
    "c1-controls": ("tds:GetDeviceInformation", lambda: Reply.envelope(_device_info(model="Cam\u009b2J\u0085x"))),
    "huge-year": ("tds:GetSystemDateAndTime", lambda: Reply.envelope(
        _time_xml("99999999999999999999").replace("{tz}", "UTC0"))),
    "huge-reply": ("tds:GetDeviceInformation", lambda: _huge(HUGE_BYTES, with_length=True)),
    "huge-reply-chunked": ("tds:GetDeviceInformation", lambda: _huge(HUGE_BYTES, with_length=False)),
    "trickle": ("tds:GetDeviceInformation", _trickle),
    "profile-flood": ("tr2:GetProfiles", lambda: _profiles(PROFILE_FLOOD)),
    "long-serial": ("tds:GetDeviceInformation", lambda: Reply.envelope(_device_info(serial="9" * LONG_SERIAL))),
    "huge-serial": ("tds:GetDeviceInformation", lambda: Reply.envelope(_device_info(serial="9" * HUGE_SERIAL))),
    "device-info-unreadable": ("tds:GetDeviceInformation", lambda: Reply.envelope(
        "<tds:GetDeviceInformationResponse/>")),
}


@contextmanager
def hostile_camera(mode: str | None, **kwargs: Any) -> Iterator[ReplayCamera]:
    """A running camera answering like ``good_routes()`` except for ``mode``'s bad reply."""
    routes = good_routes()
    # Every profile gets a stream URI, so a flood of profiles shows as a flood of calls.
    routes["tr2:GetStreamUri"] = _stream_uri
    if mode is not None:
        operation, build = MODES[mode]
        routes[operation] = build()
    cam = ReplayCamera(routes, **kwargs)
    cam.start()
    try:
        yield cam
    finally:
        cam.stop()


def calls(cam: ReplayCamera, operation: str) -> int:
    """How many requests for ``operation`` the camera received."""
    return sum(1 for r in cam.requests if r.operation == operation)


assert CAPTURES.is_dir(), CAPTURES
