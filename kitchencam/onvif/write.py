"""Plain values -> ONVIF Set calls: encoder, imaging, time/NTP, hostname, users.

Each setter takes an :class:`~kitchencam.onvif.client.OnvifCamera` and plain Python values (no
zeep object enters or leaves), reads the current configuration fresh, changes only the fields
it was given and sends it back; the camera is the judge of what it accepts. Failures are the
``kitchencam.errors`` classes from the client's classifier: a refused value is
``InvalidArgument`` with the ONVIF subcode (``ter:InvalidArgVal/ter:ConfigModify``...).

``allowed_range``, ``nearest_allowed`` and ``out_of_options`` read the encoder options in
``Facts`` so a refusal can be reported with what the camera offers and a value it would take.

Passwords (CreateUsers, SetUser) never appear in an exception raised from here (``_carrying``),
and nothing logs request bodies (the client's transport does not; the tests check the logs).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from zeep.helpers import serialize_object

from kitchencam.errors import DeviceFault, InvalidArgument, KitchencamError, NotSupported
from kitchencam.i18n import _
from kitchencam.models import EncodingOptions, Facts
from kitchencam.onvif.client import MEDIA, MEDIA2, OnvifCamera

Field = Literal["fps", "bitrate_kbps", "resolution", "gov_length", "profile"]
Allowed = float | int | tuple[int, int] | str


class UserExists(InvalidArgument):
    """CreateUsers refused the name: the camera already has that user (ter:UsernameClash).

    Update it instead with :func:`set_user_password`.
    """


# --- small helpers ---------------------------------------------------------------------------------

def _plain(obj: Any) -> dict[str, Any]:
    """A zeep reply object -> a dict that zeep accepts back as the same complex type."""
    value = serialize_object(obj, dict)
    return dict(value) if isinstance(value, dict) else {}


def _first(reply: Any) -> Any:
    if isinstance(reply, (list, tuple)):
        return reply[0] if reply else None
    return reply


def _ensure_connected(camera: OnvifCamera) -> None:
    """Learn the clock offset and the service XAddrs once (a fresh session after a reboot)."""
    if not camera.services:
        camera.connect()


def _encoding_options(facts: Facts, encoder_token: str, encoding: str | None) -> EncodingOptions | None:
    """What ``encoder_token`` offers in ``encoding`` (its current encoding when None)."""
    if encoding is None:
        current = next((e for e in facts.encoders if e.token == encoder_token), None)
        encoding = current.encoding if current else None
    if encoding is None:
        return None
    for options in facts.encoder_options:
        if options.encoder_token == encoder_token:
            return next((o for o in options.options if o.encoding.upper() == encoding.upper()), None)
    return None


def preferred_profile(profiles: Sequence[str], encoding: str) -> str | None:
    """The codec profile to use when the current one is not offered for ``encoding``.

    H.264 "High" compresses best where offered; H.265 cameras in this class offer only "Main".
    """
    order = ("High", "Main") if encoding.upper() == "H264" else ("Main", "Main10")
    for name in order:
        if name in profiles:
            return name
    return profiles[0] if profiles else None


# --- the options: allowed range, nearest allowed value ---------------------------------------------

@dataclass(frozen=True)
class AllowedRange:
    """What the camera's options allow for one field of one encoder in one encoding."""

    field: Field
    encoding: str
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[Allowed, ...] = ()  # discrete choices: frame rates, resolutions, profiles

    def describe(self) -> str:
        """Translated, e.g. "1 to 25" or "one of 1920x1080, 1280x720"."""
        if self.field in ("resolution", "profile") and self.values:
            return _("one of {values}").format(values=", ".join(_value_text(v) for v in self.values))
        if self.field == "fps" and self.values and len(self.values) <= 8:
            return _("one of {values}").format(values=", ".join(_value_text(v) for v in self.values))
        if self.minimum is not None and self.maximum is not None:
            return _("{minimum} to {maximum}").format(minimum=_value_text(self.minimum),
                                                     maximum=_value_text(self.maximum))
        return _("not advertised by the camera")


def field_label(field: str) -> str:
    """The translated name of an encoder field, for messages."""
    labels = {"fps": _("frame rate"), "bitrate_kbps": _("bitrate (kbit/s)"), "resolution": _("resolution"),
              "gov_length": _("GOP length"), "profile": _("codec profile"), "encoding": _("encoding")}
    return labels.get(field, field)


def _value_text(value: Allowed) -> str:
    if isinstance(value, tuple):
        return f"{value[0]}x{value[1]}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def allowed_range(facts: Facts, encoder_token: str, field: Field, *,
                  encoding: str | None = None) -> AllowedRange | None:
    """The allowed range of ``field`` from the encoder options in ``facts`` (None: not advertised)."""
    opts = _encoding_options(facts, encoder_token, encoding)
    if opts is None:
        return None
    if field == "fps":
        rates = tuple(sorted(set(opts.fps_list)))
        return AllowedRange(field, opts.encoding, opts.fps_min, opts.fps_max, rates)
    if field == "bitrate_kbps":
        return AllowedRange(field, opts.encoding, opts.bitrate_min_kbps, opts.bitrate_max_kbps)
    if field == "gov_length":
        return AllowedRange(field, opts.encoding, opts.gov_min, opts.gov_max)
    if field == "resolution":
        sizes = tuple((r.width, r.height) for r in opts.resolutions)
        return AllowedRange(field, opts.encoding, values=sizes)
    return AllowedRange(field, opts.encoding, values=tuple(opts.profiles))


def _clamp(value: float, low: float | None, high: float | None) -> float:
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def nearest_allowed(facts: Facts, encoder_token: str, field: Field, value: Allowed, *,
                    encoding: str | None = None) -> Allowed | None:
    """The allowed value closest to ``value`` (``value`` itself when allowed); None if unknown.

    fps -> float, bitrate_kbps and gov_length -> int, resolution -> (width, height), profile -> str.
    Between two equally near frame rates or sizes the lower is offered: these are caps.
    """
    allowed = allowed_range(facts, encoder_token, field, encoding=encoding)
    if allowed is None:
        return None
    if field == "resolution":
        if not isinstance(value, tuple) or not allowed.values:
            return None
        width, height = value
        sizes = [v for v in allowed.values if isinstance(v, tuple)]
        return min(sizes, key=lambda s: (abs(s[0] * s[1] - width * height),
                                         abs(s[0] - width) + abs(s[1] - height), s[0] * s[1]))
    if field == "profile":
        profiles = [str(v) for v in allowed.values]
        if not profiles:
            return None
        return str(value) if str(value) in profiles else preferred_profile(profiles, allowed.encoding)
    if isinstance(value, (tuple, str)):
        return None
    if field == "fps" and allowed.values:
        rates = [float(v) for v in allowed.values if isinstance(v, (int, float))]
        return min(rates, key=lambda r: (abs(r - value), r))
    if allowed.minimum is None and allowed.maximum is None:
        return None
    clamped = _clamp(value, allowed.minimum, allowed.maximum)
    return float(clamped) if field == "fps" else round(clamped)


def _allows(allowed: AllowedRange, requested: Allowed) -> bool:
    if allowed.values:
        if isinstance(requested, (int, float)):
            return any(isinstance(v, (int, float)) and abs(v - requested) < 0.01 for v in allowed.values)
        return requested in allowed.values
    if isinstance(requested, (int, float)):
        return _clamp(requested, allowed.minimum, allowed.maximum) == requested
    return True


@dataclass(frozen=True)
class OutOfOptions:
    """A requested encoder value outside the camera's options, with what it would take."""

    field: Field | Literal["encoding"]
    requested: Allowed
    allowed: AllowedRange | None
    nearest: Allowed | None
    encodings: tuple[str, ...] = ()  # for field "encoding": what the encoder offers

    def describe(self) -> str:
        """Translated, e.g. "bitrate (kbit/s) 20000: allowed 32 to 8192; nearest allowed 8192"."""
        if self.field == "encoding":
            return _("encoding {requested}: the encoder offers {encodings}").format(
                requested=self.requested, encodings=", ".join(self.encodings) or "-")
        allowed = self.allowed.describe() if self.allowed else _("not advertised by the camera")
        if self.nearest is None:
            return _("{field} {requested}: allowed {allowed}").format(
                field=field_label(self.field), requested=_value_text(self.requested), allowed=allowed)
        return _("{field} {requested}: allowed {allowed}; nearest allowed {nearest}").format(
            field=field_label(self.field), requested=_value_text(self.requested), allowed=allowed,
            nearest=_value_text(self.nearest))


def out_of_options(facts: Facts, encoder_token: str, *, encoding: str | None = None,
                   width: int | None = None, height: int | None = None, fps: float | None = None,
                   bitrate_kbps: int | None = None, gov_length: int | None = None,
                   profile: str | None = None) -> list[OutOfOptions]:
    """Every given value that the options in ``facts`` do not allow (empty: all allowed or unknown)."""
    if encoding is not None:
        offered = tuple(o.encoding for eo in facts.encoder_options if eo.encoder_token == encoder_token
                        for o in eo.options)
        if offered and encoding.upper() not in {o.upper() for o in offered}:
            return [OutOfOptions("encoding", encoding, None, None, offered)]
    found: list[OutOfOptions] = []

    def check(field: Field, requested: Allowed | None) -> None:
        if requested is None:
            return
        allowed = allowed_range(facts, encoder_token, field, encoding=encoding)
        if allowed is None:
            return
        if not _allows(allowed, requested):
            found.append(OutOfOptions(field, requested, allowed,
                                      nearest_allowed(facts, encoder_token, field, requested, encoding=encoding)))

    check("resolution", (width, height) if width is not None and height is not None else None)
    check("fps", fps)
    check("bitrate_kbps", bitrate_kbps)
    if (encoding or "").upper() != "JPEG":
        check("gov_length", gov_length)
        check("profile", profile)
    return found


# --- video encoder ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class EncoderResult:
    """How an encoder change was sent."""

    service: Literal["media2", "media1"]
    encoding: str
    profile: str | None  # the codec profile sent (None: left to the camera / JPEG)
    not_settable: tuple[str, ...] = ()  # requested fields the service cannot carry (Media1: CBR)


def set_video_encoder(camera: OnvifCamera, facts: Facts, encoder_token: str, *, encoding: str | None = None,
                      width: int | None = None, height: int | None = None, fps: float | None = None,
                      bitrate_kbps: int | None = None, gov_length: int | None = None,
                      constant_bitrate: bool | None = None, profile: str | None = None) -> EncoderResult:
    """Change the given fields of one video encoder configuration (None: leave as it is).

    Media2 SetVideoEncoderConfiguration from the configuration read fresh; without Media2,
    Media1 (which can say H.264, JPEG and MPEG-4 only, and has no CBR/VBR switch). When the
    current codec profile is not offered for the new encoding, one that is offered is sent
    (H.264 "High" -> H.265 "Main"). A refused value raises InvalidArgument whose ``hint`` names
    the allowed range and the nearest allowed value from ``facts``' options.
    """
    _ensure_connected(camera)
    try:
        if camera.has(MEDIA2):
            return _set_media2(camera, facts, encoder_token, encoding, width, height, fps, bitrate_kbps,
                               gov_length, constant_bitrate, profile)
        if camera.has(MEDIA):
            return _set_media1(camera, encoder_token, encoding, width, height, fps, bitrate_kbps, gov_length,
                               constant_bitrate, profile)
        camera.media2.get_profiles()  # raises NotSupported naming the missing service
        raise NotSupported(_("{target} offers no ONVIF media service. Set the video encoder in the camera's "
                             "web page.").format(target=camera.target), target=camera.target)
    except InvalidArgument as exc:
        refused = out_of_options(facts, encoder_token, encoding=encoding, width=width, height=height, fps=fps,
                                 bitrate_kbps=bitrate_kbps, gov_length=gov_length, profile=profile)
        if refused and exc.hint is None:
            exc.hint = _("Outside the camera's options: {items}.").format(
                items="; ".join(r.describe() for r in refused))
        raise


def _set_media2(camera: OnvifCamera, facts: Facts, token: str, encoding: str | None, width: int | None,
                height: int | None, fps: float | None, bitrate_kbps: int | None, gov_length: int | None,
                constant_bitrate: bool | None, profile: str | None) -> EncoderResult:
    current = _first(camera.media2.get_video_encoder_configurations(configuration_token=token))
    if current is None:
        raise _no_encoder(camera, token)
    config = _plain(current)
    new_encoding = encoding or str(config.get("Encoding") or "")
    config["Encoding"] = new_encoding
    resolution = dict(config.get("Resolution") or {})
    if width is not None:
        resolution["Width"] = width
    if height is not None:
        resolution["Height"] = height
    config["Resolution"] = resolution
    rate = dict(config.get("RateControl") or {})
    if fps is not None:
        rate["FrameRateLimit"] = float(fps)
    if bitrate_kbps is not None:
        rate["BitrateLimit"] = int(bitrate_kbps)
    if constant_bitrate is not None:
        rate["ConstantBitRate"] = constant_bitrate
    config["RateControl"] = rate
    sent_profile: str | None
    if new_encoding.upper() == "JPEG":
        # GovLength and Profile mean nothing for JPEG; some firmwares refuse them.
        config["GovLength"] = None
        config["Profile"] = sent_profile = None
    else:
        if gov_length is not None:
            config["GovLength"] = gov_length
        sent_profile = profile or (str(config["Profile"]) if config.get("Profile") else None)
        options = _encoding_options(facts, token, new_encoding)
        if profile is None and options is not None and options.profiles and sent_profile not in options.profiles:
            sent_profile = preferred_profile(options.profiles, new_encoding)
        config["Profile"] = sent_profile
    camera.media2.set_video_encoder_configuration(config)
    return EncoderResult("media2", new_encoding, sent_profile)


_MEDIA1_ENCODINGS = ("H264", "JPEG", "MPEG4")
_MEDIA1_H264_PROFILES = ("Baseline", "Main", "Extended", "High")


def _set_media1(camera: OnvifCamera, token: str, encoding: str | None, width: int | None, height: int | None,
                fps: float | None, bitrate_kbps: int | None, gov_length: int | None,
                constant_bitrate: bool | None, profile: str | None) -> EncoderResult:
    configs = camera.media.get_video_encoder_configurations() or []
    current = next((c for c in configs if str(getattr(c, "token", "")) == token), None)
    if current is None:
        raise _no_encoder(camera, token)
    config = _plain(current)
    new_encoding = (encoding or str(config.get("Encoding") or "")).upper()
    if new_encoding not in _MEDIA1_ENCODINGS:
        raise NotSupported(
            _("{target} has no ONVIF Media2 service, and Media1 cannot set {encoding}. Update the camera's "
              "firmware, or set the codec in its web page.").format(target=camera.target, encoding=new_encoding),
            target=camera.target)
    if fps is not None and float(fps) != int(fps):
        raise NotSupported(
            _("{target} has no ONVIF Media2 service, and Media1 takes whole frame rates only, not {fps}. "
              "Choose a whole number of frames per second.").format(target=camera.target, fps=f"{fps:g}"),
            target=camera.target)
    config["Encoding"] = new_encoding
    resolution = dict(config.get("Resolution") or {})
    if width is not None:
        resolution["Width"] = width
    if height is not None:
        resolution["Height"] = height
    config["Resolution"] = {"Width": resolution.get("Width"), "Height": resolution.get("Height")}
    rate = dict(config.get("RateControl") or {})
    if fps is not None:
        rate["FrameRateLimit"] = int(fps)
    if bitrate_kbps is not None:
        rate["BitrateLimit"] = int(bitrate_kbps)
    rate.setdefault("EncodingInterval", 1)
    config["RateControl"] = rate
    sent_profile: str | None = None
    if new_encoding == "H264":
        h264 = dict(config.get("H264") or {})
        if gov_length is not None:
            h264["GovLength"] = gov_length
        elif h264.get("GovLength") is None:
            h264["GovLength"] = 50  # required by tt:H264Configuration; 2 s at 25 fps (JPEG -> H.264)
        wanted = profile or h264.get("H264Profile")
        sent_profile = wanted if wanted in _MEDIA1_H264_PROFILES else "Main"
        h264["H264Profile"] = sent_profile
        config["H264"] = h264
    # Media1's tt:VideoEncoderConfiguration has no CBR/VBR switch.
    not_settable = ("constant_bitrate",) if constant_bitrate is not None else ()
    camera.media.set_video_encoder_configuration(config, force_persistence=True)
    return EncoderResult("media1", new_encoding, sent_profile, not_settable)


def _no_encoder(camera: OnvifCamera, token: str) -> DeviceFault:
    return DeviceFault(
        _("{target} no longer lists the video encoder configuration {token}. Read the camera again "
          "(kitchencam check), then retry.").format(target=camera.target, token=token),
        target=camera.target)


# --- imaging ---------------------------------------------------------------------------------------

def set_imaging(camera: OnvifCamera, video_source_token: str, *, wdr_mode: str | None = None,
                wdr_level: float | None = None, ir_cut: str | None = None) -> None:
    """GetImagingSettings, change only the given fields, SetImagingSettings with ForcePersistence."""
    if wdr_mode is None and wdr_level is None and ir_cut is None:
        return
    _ensure_connected(camera)
    settings = _plain(camera.imaging.get_imaging_settings(video_source_token))
    if wdr_mode is not None or wdr_level is not None:
        wdr = dict(settings.get("WideDynamicRange") or {})
        if wdr_mode is not None:
            wdr["Mode"] = wdr_mode
        if wdr_level is not None:
            wdr["Level"] = float(wdr_level)
            # tt:WideDynamicRange20 requires a Mode; a level only means something with WDR on.
            wdr["Mode"] = wdr.get("Mode") or "ON"
        settings["WideDynamicRange"] = wdr
    if ir_cut is not None:
        settings["IrCutFilter"] = ir_cut
    camera.imaging.set_imaging_settings(video_source_token, settings, force_persistence=True)


# --- time and NTP ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimeResult:
    """What set_time sent, and which time zone forms the camera refused on the way."""

    date_time_type: Literal["NTP", "Manual"]
    timezone_used: str | None  # the candidate the camera accepted (None: no candidates given)
    refused: tuple[str, ...] = ()  # candidates refused before it, in order
    ntp_servers: tuple[str, ...] = ()  # set with SetNTP (empty: NTP left as it was)
    ntp_refused: str | None = None  # why NTP mode was refused and the manual time used instead


def _is_timezone_refusal(exc: InvalidArgument, tz: str) -> bool:
    """ter:InvalidTimeZone, or a bare InvalidArgVal/InvalidArgs whose text names the time zone."""
    subcode = exc.subcode or ""
    if "InvalidTimeZone" in subcode:
        return True
    if "InvalidDateTime" in subcode or "NtpServerUndefined" in subcode:
        return False
    text = exc.message.lower()
    return any(s in subcode for s in ("InvalidArgVal", "InvalidArgs")) and (tz.lower() in text or "zone" in text)


def set_time(camera: OnvifCamera, *, ntp_servers: Sequence[str] = (), timezone_candidates: Sequence[str] = (),
             manual_utc: datetime | None = None, daylight_savings: bool = False) -> TimeResult:
    """NTP servers, date/time mode and time zone; the first time zone form the camera accepts wins.

    - ``ntp_servers``: SetNTP FromDHCP false with these (IPv4/IPv6 addresses or DNS names), then
      DateTimeType NTP. If the camera refuses NTP (``ter:NtpServerUndefined``) and ``manual_utc``
      is given, the clock is set by hand to it instead (``ntp_refused`` says why).
    - no servers: DateTimeType Manual with UTCDateTime ``manual_utc``; with no ``manual_utc``
      either, the current mode is kept (and the camera's own clock re-sent when Manual).
    - ``timezone_candidates``: tried in order (e.g. ``<+07>-7``, ``ICT-7``, ``GMT+07:00``); a
      refusal of the time zone (``ter:InvalidTimeZone``, or InvalidArgVal naming it) moves to the
      next. When all are refused, InvalidArgument is raised with the forms tried in its hint.
    """
    _ensure_connected(camera)
    servers = tuple(s.strip() for s in ntp_servers if s.strip())
    if servers:
        camera.device.set_ntp(from_dhcp=False, servers=servers)
        ntp = True
    elif manual_utc is not None:
        ntp = False
    else:
        current = camera.device.get_system_date_and_time()
        ntp = str(getattr(current, "DateTimeType", "") or "") == "NTP"
        if not ntp:
            # Keep the camera's own clock: it is Manual, and Manual needs a UTCDateTime.
            offset = camera.measure_clock() or 0.0
            manual_utc = datetime.now(timezone.utc) + timedelta(seconds=offset)
    try:
        used, refused = _set_date_time(camera, ntp=ntp, manual_utc=None if ntp else manual_utc,
                                       candidates=timezone_candidates, daylight_savings=daylight_savings)
    except InvalidArgument as exc:
        if not (ntp and manual_utc is not None and "NtpServerUndefined" in (exc.subcode or "")):
            raise
        used, refused = _set_date_time(camera, ntp=False, manual_utc=manual_utc, candidates=timezone_candidates,
                                       daylight_savings=daylight_savings)
        return TimeResult("Manual", used, refused, servers, exc.message)
    return TimeResult("NTP" if ntp else "Manual", used, refused, servers)


def _set_date_time(camera: OnvifCamera, *, ntp: bool, manual_utc: datetime | None, candidates: Sequence[str],
                   daylight_savings: bool) -> tuple[str | None, tuple[str, ...]]:
    forms = [c for c in candidates if c.strip()]
    if not forms:
        camera.device.set_system_date_and_time(ntp=ntp, daylight_savings=daylight_savings, tz=None,
                                               utc=manual_utc)
        return None, ()
    refused: list[str] = []
    for tz in forms:
        try:
            camera.device.set_system_date_and_time(ntp=ntp, daylight_savings=daylight_savings, tz=tz,
                                                   utc=manual_utc)
        except InvalidArgument as exc:
            if not _is_timezone_refusal(exc, tz):
                raise
            refused.append(tz)
            if len(refused) == len(forms):
                exc.hint = _("It refused every time zone form tried: {forms}. Set the time zone in the "
                             "camera's web page.").format(forms=", ".join(refused))
                raise
            continue
        return tz, tuple(refused)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


# --- hostname --------------------------------------------------------------------------------------

def set_hostname(camera: OnvifCamera, name: str) -> None:
    """SetHostname (the camera then stops taking its name from DHCP)."""
    _ensure_connected(camera)
    camera.device.set_hostname(name)


# --- users -----------------------------------------------------------------------------------------

def _scrub(exc: KitchencamError, secret: str) -> KitchencamError:
    """``exc`` with ``secret`` gone from its message and hint, and no chained zeep exception."""
    if secret:
        exc.message = exc.message.replace(secret, "***")
        exc.hint = exc.hint.replace(secret, "***") if exc.hint else exc.hint
        exc.args = (exc.message,)
    # The zeep Fault behind it may echo the request (a firmware quoting the password it refused).
    exc.__cause__ = None
    exc.__suppress_context__ = True
    return exc


@contextmanager
def _carrying(secret: str) -> Iterator[None]:
    """Calls whose request carries ``secret``: any error leaves without it."""
    try:
        yield
    except KitchencamError as exc:
        raise _scrub(exc, secret) from None


def create_user(camera: OnvifCamera, name: str, password: str, level: str = "User") -> None:
    """CreateUsers one user; level Administrator, Operator or User (ONVIF access classes).

    Raises UserExists when the camera already has ``name`` (ter:UsernameClash): call
    :func:`set_user_password` to update it instead.
    """
    _ensure_connected(camera)
    try:
        with _carrying(password):
            camera.device.create_users([(name, password, level)])
    except InvalidArgument as exc:
        if "UsernameClash" not in (exc.subcode or ""):
            raise
        raise UserExists(
            _("{target} already has a user called {name}. Update its password instead, or delete it "
              "in the camera's web page, then retry.").format(target=camera.target, name=name),
            subcode=exc.subcode, target=camera.target) from None


def delete_user(camera: OnvifCamera, name: str) -> bool:
    """DeleteUsers one user; False when the camera has no such user (ter:UsernameMissing)."""
    _ensure_connected(camera)
    try:
        camera.device.delete_users([name])
    except InvalidArgument as exc:
        if "UsernameMissing" in (exc.subcode or ""):
            return False
        raise
    return True


def set_user_password(camera: OnvifCamera, name: str, password: str, level: str | None = None
                      ) -> Literal["SetUser", "recreated"]:
    """Give an existing user a new password (and ``level``; None keeps the current level).

    SetUser where the camera implements it. Where it answers "not supported" (firmwares without
    SetUser, the simulator), the user is deleted and created again with the new password, except
    the account this session is logged in with, which is never deleted (NotSupported is raised).
    """
    _ensure_connected(camera)
    if level is None:
        users = camera.device.get_users() or []
        level = next((str(getattr(u, "UserLevel", "") or "") for u in users
                      if str(getattr(u, "Username", "")) == name), None)
        if level is None:
            raise InvalidArgument(
                _("{target} has no user called {name}. Create it instead, then retry.").format(
                    target=camera.target, name=name),
                subcode="ter:InvalidArgVal/ter:UsernameMissing", target=camera.target)
    with _carrying(password):
        try:
            camera.device.set_users([(name, password, level)])
            return "SetUser"
        except NotSupported:
            if name == camera.user:
                raise
        camera.device.delete_users([name])
        camera.device.create_users([(name, password, level)])
    return "recreated"
