"""Camera -> ``Facts``: every reader the audit needs, zeep objects turned into models at the edge.

Each read that fails becomes a ``ReadError`` in ``Facts.read_errors`` and the rest carries on:
a camera that hides its users still has an encoder worth auditing. Only failures that make
everything else pointless raise: the device unreachable, ONVIF off, or the credentials refused
on the first authenticated call.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote

from lxml import etree

from kitchencam.errors import AuthFailed, BadReply, DeviceFault, KitchencamError, NotSupported, Unreachable
from kitchencam.i18n import _
from kitchencam.models import (
    DeviceInfo,
    DeviceTime,
    Dns,
    DynamicDns,
    EncoderOptions,
    EncodingOptions,
    Facts,
    Hostname,
    Imaging,
    ImagingOptions,
    MediaProfile,
    NetworkInterface,
    NetworkProtocol,
    Ntp,
    ReadError,
    Resolution,
    Scopes,
    ServiceInfo,
    User,
    VideoEncoder,
    VideoSourceConfig,
)
from kitchencam.onvif.client import DEFAULT_TIMEOUTS, IMAGING, MEDIA, MEDIA2, OnvifCamera, Timeouts, camera_utc
from kitchencam.uriscope import confine_profile_uris

T = TypeVar("T")


# --- small zeep-object helpers ---------------------------------------------------------------
# Every value a device sends is bounded here, at the edge: strings are cut to MAX_TEXT characters
# with control characters dropped, numbers outside xs:int (or not finite) read as unknown, and
# lists cut to MAX_LIST_ITEMS (MAX_PROFILES for media profiles: each costs GetStreamUri and
# GetSnapshotUri calls). A cut list is recorded and becomes a "ListCapped" ReadError of the read.

MAX_TEXT = 256
MAX_URI = 1024
MAX_LIST_ITEMS = 1000
MAX_PROFILES = 32
_INT_MIN, _INT_MAX = -(2 ** 31), 2 ** 31 - 1  # xs:int, what ONVIF uses for every count and size


class ListCut(NamedTuple):
    what: str
    listed: int
    limit: int


_cuts: ContextVar[list[ListCut] | None] = ContextVar("kitchencam_list_cuts", default=None)


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def _clean(text: str) -> str:
    """Control characters (C0, DEL, C1: terminal escapes) out; tabs and line breaks become spaces."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else " " if c in "\t\r\n" else ""
                   for c in text if unicodedata.category(c) != "Cc" or c in "\t\r\n")


def _str(value: Any, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    raw = value if isinstance(value, str) else str(value)
    # Cut before cleaning: a 3 MB serial is not walked character by character.
    text = _clean(raw[:limit * 2]).strip()[:limit].strip()
    return text or None


def _uri(value: Any) -> str | None:
    return _str(value, MAX_URI)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if _INT_MIN <= number <= _INT_MAX else None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and abs(number) <= _INT_MAX else None


def _list(value: Any, limit: int = MAX_LIST_ITEMS, what: str = "items") -> list[Any]:
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(items) > limit:
        cuts = _cuts.get()
        if cuts is not None:
            cuts.append(ListCut(what, len(items), limit))
        del items[limit:]
    return items


def _numbers(value: Any) -> list[float]:
    """Media2 list attributes ("12.5 10 5" or an already split list) -> floats."""
    items = value.split() if isinstance(value, str) else _list(value)
    out = []
    for item in items:
        number = _float(item)
        if number is not None:
            out.append(number)
    return out


def _words(value: Any) -> list[str]:
    items = value.split() if isinstance(value, str) else _list(value)
    return [w for w in (_str(i) for i in items) if w]


# --- reading by local name: zeep objects and raw reply elements alike ------------------------------
#
# zeep reads an xs:sequence by position. Firmwares send elements in another order (``Quality``
# before ``RateControl``), put a vendor element first, or leave out optional ones; zeep then
# drops what follows or pushes it into ``_value_1``. The converters below take what is there by
# its local name, in any order: from the raw response element (``OnvifCamera.last_response``,
# the tree zeep's own entity-free parser built), or from a zeep object with ``_value_1`` searched.

def _is_element(value: Any) -> bool:
    return isinstance(value, etree._Element) and isinstance(value.tag, str)


def _localname(element: etree._Element) -> str:
    return etree.QName(element).localname


def _one(obj: Any, name: str) -> Any:
    """Child element or attribute ``name`` of ``obj``, wherever it sits among its siblings."""
    if obj is None:
        return None
    if isinstance(obj, etree._Element):
        if not isinstance(obj.tag, str):
            return None
        for child in obj:
            if _is_element(child) and _localname(child) == name:
                return child
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is not None:
        return value
    for raw in _list(getattr(obj, "_value_1", None)):
        if _is_element(raw) and _localname(raw) == name:
            return raw
    return None


def _all(obj: Any, name: str) -> list[Any]:
    """Every child ``name`` of ``obj`` (a repeated element), in document order."""
    if obj is None:
        return []
    if isinstance(obj, etree._Element):
        return [c for c in obj if _is_element(c) and _localname(c) == name]
    found = _list(getattr(obj, name, None))
    return found + [r for r in _list(getattr(obj, "_value_1", None)) if _is_element(r) and _localname(r) == name]


def _at(obj: Any, *names: str) -> Any:
    for name in names:
        obj = _one(obj, name)
    return obj


def _leaf(value: Any) -> Any:
    """A raw element's text; anything else as it is."""
    if isinstance(value, etree._Element):
        return value.text.strip() if value.text and value.text.strip() else None
    return value


def _text(obj: Any, *names: str) -> Any:
    return _leaf(_at(obj, *names))


def _bool(value: Any) -> bool | None:
    value = _leaf(value)
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    return True if text in ("true", "1") else False if text in ("false", "0") else None


def _items(reply: Any, name: str) -> list[Any]:
    """The repeated children of a response: zeep hands them over as a list already."""
    if isinstance(reply, etree._Element):
        return _all(reply, name)
    return _list(reply)


def _inner(reply: Any, name: str) -> Any:
    """The single child of a response (zeep unwraps it; a raw ``...Response`` element does not)."""
    if isinstance(reply, etree._Element) and _localname(reply).endswith("Response"):
        return _one(reply, name)
    return reply


# --- converters: one per reply -------------------------------------------------------------------

def device_info_from(reply: Any) -> DeviceInfo:
    """GetDeviceInformation -> DeviceInfo; BadReply when it names no manufacturer, model or serial.

    Such a reply parses, but tells nothing: the audit must say the model is unknown and why,
    not carry on with empty strings as if the camera had answered.
    """
    info = DeviceInfo(
        manufacturer=_str(_get(reply, "Manufacturer")) or "",
        model=_str(_get(reply, "Model")) or "",
        firmware=_str(_get(reply, "FirmwareVersion")) or "",
        serial=_str(_get(reply, "SerialNumber")) or "",
        hardware_id=_str(_get(reply, "HardwareId")) or "",
    )
    if not (info.manufacturer or info.model or info.serial):
        raise BadReply(_("The camera's GetDeviceInformation reply names no manufacturer, model or serial number, "
                         "so its model is unknown. Read them from the label or the camera's web page; update "
                         "the firmware if they are missing there too."))
    return info


_SCOPE_PREFIX = "onvif://www.onvif.org/"


def parse_scopes(items: Iterable[str]) -> Scopes:
    """Scope URIs -> name, location, hardware and ONVIF profiles ("Streaming" is Profile S)."""
    raw = [str(i).strip() for i in items if i and str(i).strip()]
    name = hardware = None
    locations: list[str] = []
    profiles: list[str] = []
    for item in raw:
        if not item.lower().startswith(_SCOPE_PREFIX):
            continue
        kind, _sep, rest = item[len(_SCOPE_PREFIX):].partition("/")
        value = unquote(rest).strip("/")
        if not value:
            continue
        kind = kind.lower()
        if kind == "name" and name is None:
            name = value
        elif kind == "hardware" and hardware is None:
            hardware = value
        elif kind == "location":
            locations.append(value)
        elif kind == "profile":
            profile = value.split("/", 1)[0]
            if profile not in profiles:
                profiles.append(profile)
    return Scopes(raw=raw, name=name, location=", ".join(locations) or None, hardware=hardware,
                  profiles=profiles)


def scopes_from(reply: Any) -> Scopes:
    return parse_scopes(_str(_get(s, "ScopeItem")) or "" for s in _list(reply))


def network_interfaces_from(reply: Any) -> list[NetworkInterface]:
    out = []
    for nic in _list(reply):
        ipv4 = _get(nic, "IPv4")
        config = _get(ipv4, "Config")
        addresses = []
        for addr in _list(_get(config, "Manual")) + _list(_get(config, "FromDHCP")) + \
                _list(_get(config, "LinkLocal")):
            ip = _str(_get(addr, "Address"))
            if ip:
                entry = f"{ip}/{_get(addr, 'PrefixLength')}" if _get(addr, "PrefixLength") is not None else ip
                if entry not in addresses:
                    addresses.append(entry)
        out.append(NetworkInterface(
            token=_str(_get(nic, "token")) or "",
            name=_str(_get(nic, "Info", "Name")),
            enabled=_get(nic, "Enabled"),
            mac=_str(_get(nic, "Info", "HwAddress")),
            ipv4=addresses,
            dhcp=_get(config, "DHCP"),
        ))
    return out


def _network_hosts(items: Any) -> list[str]:
    out = []
    for host in items:
        value = (_str(_text(host, "IPv4Address")) or _str(_text(host, "IPv6Address"))
                 or _str(_text(host, "DNSname")))
        if value:
            out.append(value)
    return out


def ntp_from(reply: Any) -> Ntp:
    info = _inner(reply, "NTPInformation")
    from_dhcp = _bool(_one(info, "FromDHCP"))
    manual = _network_hosts(_all(info, "NTPManual"))
    dhcp = _network_hosts(_all(info, "NTPFromDHCP"))
    return Ntp(from_dhcp=from_dhcp, servers=(dhcp if from_dhcp else manual) or manual or dhcp)


def dns_from(reply: Any) -> Dns:
    from_dhcp = _get(reply, "FromDHCP")
    manual = [a for a in (_str(_get(h, "IPv4Address")) or _str(_get(h, "IPv6Address"))
                          for h in _list(_get(reply, "DNSManual"))) if a]
    dhcp = [a for a in (_str(_get(h, "IPv4Address")) or _str(_get(h, "IPv6Address"))
                        for h in _list(_get(reply, "DNSFromDHCP"))) if a]
    return Dns(from_dhcp=from_dhcp, search_domains=[str(d) for d in _list(_get(reply, "SearchDomain"))],
               servers=(dhcp if from_dhcp else manual) or manual or dhcp)


def users_from(reply: Any) -> list[User]:
    # tt:User carries an optional Password element: it is deliberately never copied.
    return [User(name=_str(_get(u, "Username")) or "", level=_str(_get(u, "UserLevel")) or "")
            for u in _list(reply)]


def network_protocols_from(reply: Any) -> list[NetworkProtocol]:
    """tt:NetworkProtocol items (Name HTTP/HTTPS/RTSP, Enabled, Port+), bounded like every list."""
    out = []
    for item in _list(reply, what="protocols"):
        name = _str(_get(item, "Name"), limit=32)
        if not name:
            continue
        numbers = (_int(v) for v in _list(_get(item, "Port"), what="ports"))
        ports = [p for p in numbers if p is not None and 0 < p < 65536]
        out.append(NetworkProtocol(name=name.upper(), enabled=_bool(_get(item, "Enabled")), ports=ports))
    return out


def device_time_from(reply: Any, clock_offset_s: float | None, raw: Any = None) -> DeviceTime:
    """GetSystemDateAndTime (zeep's object) -> DeviceTime; with ``raw`` (the response element of
    the same reply) the type, time zone and DST are read from it by name, in any order."""
    if isinstance(raw, etree._Element) and _localname(raw) == "GetSystemDateAndTimeResponse":
        source = _one(raw, "SystemDateAndTime")
    else:
        source = reply
    kind = _str(_text(source, "DateTimeType"))
    return DeviceTime(
        utc=camera_utc(reply),
        timezone=_str(_text(source, "TimeZone", "TZ")),
        dst=_bool(_one(source, "DaylightSavings")),
        date_time_type=kind if kind in ("Manual", "NTP") else None,  # type: ignore[arg-type]
        clock_offset_s=round(clock_offset_s, 3) if clock_offset_s is not None else None,
    )


def video_source_configs_from(reply: Any) -> list[VideoSourceConfig]:
    return [VideoSourceConfig(
        token=_str(_get(c, "token")) or "",
        name=_str(_get(c, "Name")),
        source_token=_str(_get(c, "SourceToken")),
        width=_int(_get(c, "Bounds", "width")),
        height=_int(_get(c, "Bounds", "height")),
    ) for c in _list(reply)]


def media2_profiles_from(reply: Any) -> list[MediaProfile]:
    out = []
    for p in _list(reply, MAX_PROFILES, "profiles"):
        source = _get(p, "Configurations", "VideoSource")
        out.append(MediaProfile(
            token=_str(_get(p, "token")) or "",
            name=_str(_get(p, "Name")),
            fixed=_get(p, "fixed"),
            video_source_config_token=_str(_get(source, "token")),
            video_source_token=_str(_get(source, "SourceToken")),
            encoder_token=_str(_get(p, "Configurations", "VideoEncoder", "token")),
        ))
    return out


def media1_profiles_from(reply: Any) -> list[MediaProfile]:
    out = []
    for p in _list(reply, MAX_PROFILES, "profiles"):
        source = _get(p, "VideoSourceConfiguration")
        out.append(MediaProfile(
            token=_str(_get(p, "token")) or "",
            name=_str(_get(p, "Name")),
            fixed=_get(p, "fixed"),
            video_source_config_token=_str(_get(source, "token")),
            video_source_token=_str(_get(source, "SourceToken")),
            encoder_token=_str(_get(p, "VideoEncoderConfiguration", "token")),
        ))
    return out


def _encoder_fields(c: Any, rate: Any) -> dict[str, Any]:
    """What Media1 and Media2 encoder configurations share (tt:VideoEncoder2Configuration and
    tt:VideoEncoderConfiguration), read by name."""
    return {
        "token": _str(_text(c, "token")) or "",
        "name": _str(_text(c, "Name")),
        "width": _int(_text(c, "Resolution", "Width")),
        "height": _int(_text(c, "Resolution", "Height")),
        "fps": _float(_text(rate, "FrameRateLimit")),
        "bitrate_kbps": _int(_text(rate, "BitrateLimit")),
        "quality": _float(_text(c, "Quality")),
        "use_count": _int(_text(c, "UseCount")),
    }


def media2_encoders_from(reply: Any) -> list[VideoEncoder]:
    """tr2:GetVideoEncoderConfigurations (zeep's list, or the raw response element)."""
    out = []
    for c in _items(reply, "Configurations"):
        rate = _one(c, "RateControl")
        out.append(VideoEncoder(
            **_encoder_fields(c, rate),
            encoding=_str(_text(c, "Encoding")),
            gop=_int(_text(c, "GovLength")),
            profile=_str(_text(c, "Profile")),
            constant_bitrate=_bool(_one(rate, "ConstantBitRate")),
        ))
    return out


def _media1_encoding_interval(rate: Any) -> int | None:
    return _int(_text(rate, "EncodingInterval"))


def media1_encoders_from(reply: Any) -> list[VideoEncoder]:
    """trt:GetVideoEncoderConfigurations (zeep's list, or the raw response element)."""
    out = []
    for c in _items(reply, "Configurations"):
        rate = _one(c, "RateControl")
        encoding = _str(_text(c, "Encoding"))
        codec = _one(c, "H264") if encoding == "H264" else _one(c, "MPEG4") if encoding == "MPEG4" else None
        out.append(VideoEncoder(
            **_encoder_fields(c, rate),
            encoding=encoding,
            gop=_int(_text(codec, "GovLength")),
            profile=_str(_text(codec, "H264Profile")) or _str(_text(codec, "Mpeg4Profile")),
            encoding_interval=_media1_encoding_interval(rate),
        ))
    return out


def _embedded_encoders(configs: Iterable[Any],
                       encoders_from: Callable[[Any], list[VideoEncoder]]) -> list[VideoEncoder]:
    """The video encoder configurations a GetProfiles reply carries inside its profiles.

    Only complete ones (with an Encoding): the Lorex's first profile names its encoder by token
    and name alone, which says nothing about the stream. Profiles sharing one encoder give it once.
    """
    out: dict[str, VideoEncoder] = {}
    for encoder in encoders_from([c for c in configs if c is not None]):
        if encoder.token and encoder.encoding and encoder.token not in out:
            out[encoder.token] = encoder
    return list(out.values())


def media2_profile_encoders_from(reply: Any) -> list[VideoEncoder]:
    """tr2:GetProfiles with Type=All embeds each profile's tr2:VideoEncoder configuration."""
    return _embedded_encoders((_at(p, "Configurations", "VideoEncoder") for p in _items(reply, "Profiles")),
                              media2_encoders_from)


def media1_profile_encoders_from(reply: Any) -> list[VideoEncoder]:
    """trt:GetProfiles embeds each profile's tt:VideoEncoderConfiguration, where it has one."""
    return _embedded_encoders((_one(p, "VideoEncoderConfiguration") for p in _items(reply, "Profiles")),
                              media1_encoders_from)


def merge_encoders(dedicated: list[VideoEncoder], embedded: list[VideoEncoder]) -> list[VideoEncoder]:
    """GetVideoEncoderConfigurations' answer, then what only the profiles describe.

    Where both describe one token the dedicated answer wins: it is the configuration itself,
    the profile only a copy of it.
    """
    known = {e.token for e in dedicated}
    return dedicated + [e for e in embedded if e.token not in known]


def _resolutions(items: Iterable[Any]) -> list[Resolution]:
    out = []
    for r in items:
        w, h = _int(_text(r, "Width")), _int(_text(r, "Height"))
        if w and h:
            out.append(Resolution(width=w, height=h))
    return out


def media2_encoder_options_from(reply: Any, *, encoder_token: str | None = None,
                                profile_token: str | None = None) -> EncoderOptions:
    options = []
    for o in _items(reply, "Options"):
        gov = _numbers(_text(o, "GovLengthRange"))
        fps = _numbers(_text(o, "FrameRatesSupported"))
        options.append(EncodingOptions(
            encoding=_str(_text(o, "Encoding")) or "",
            resolutions=_resolutions(_all(o, "ResolutionsAvailable")),
            fps_min=min(fps) if fps else None,
            fps_max=max(fps) if fps else None,
            fps_list=fps,
            bitrate_min_kbps=_int(_text(o, "BitrateRange", "Min")),
            bitrate_max_kbps=_int(_text(o, "BitrateRange", "Max")),
            gov_min=int(gov[0]) if gov else None,
            gov_max=int(gov[-1]) if gov else None,
            quality_min=_float(_text(o, "QualityRange", "Min")),
            quality_max=_float(_text(o, "QualityRange", "Max")),
            profiles=_words(_text(o, "ProfilesSupported")),
            constant_bitrate_supported=_bool(_one(o, "ConstantBitRateSupported")),
        ))
    return EncoderOptions(encoder_token=encoder_token, profile_token=profile_token, options=options)


def _extension_bitrate(ext: Any, key: str) -> tuple[int | None, int | None]:
    """(min, max) BitrateRange of one codec in a Media1 tt:VideoEncoderOptionsExtension.

    The extension starts with an unbounded xs:any that zeep fills greedily, so the JPEG/H264
    elements after it arrive as raw lxml elements in ``_value_1`` (as in GetCapabilities);
    ``_at`` finds them there, or in the raw reply, by name.
    """
    extended = _one(ext, key)
    return _int(_text(extended, "BitrateRange", "Min")), _int(_text(extended, "BitrateRange", "Max"))


def media1_encoder_options_from(reply: Any, *, encoder_token: str | None = None,
                                profile_token: str | None = None) -> EncoderOptions:
    reply = _inner(reply, "Options")
    quality = _one(reply, "QualityRange")
    ext = _one(reply, "Extension")
    options = []
    for encoding, key, profiles_key in (("JPEG", "JPEG", None), ("MPEG4", "MPEG4", "Mpeg4ProfilesSupported"),
                                        ("H264", "H264", "H264ProfilesSupported")):
        base = _one(reply, key)
        if base is None:
            continue
        # The Extension repeats the codec with BitrateRange added.
        bitrate_min, bitrate_max = _extension_bitrate(ext, key)
        options.append(EncodingOptions(
            encoding=encoding,
            resolutions=_resolutions(_all(base, "ResolutionsAvailable")),
            fps_min=_float(_text(base, "FrameRateRange", "Min")),
            fps_max=_float(_text(base, "FrameRateRange", "Max")),
            bitrate_min_kbps=bitrate_min,
            bitrate_max_kbps=bitrate_max,
            gov_min=_int(_text(base, "GovLengthRange", "Min")),
            gov_max=_int(_text(base, "GovLengthRange", "Max")),
            quality_min=_float(_text(quality, "Min")),
            quality_max=_float(_text(quality, "Max")),
            profiles=[p for p in (_str(_leaf(v)) for v in _all(base, profiles_key)) if p] if profiles_key else [],
        ))
    return EncoderOptions(encoder_token=encoder_token, profile_token=profile_token, options=options)


def _texts(items: Iterable[Any]) -> list[str]:
    return [t for t in (_str(_leaf(i)) for i in items) if t]


def imaging_from(settings: Any, options: Any, video_source_token: str) -> Imaging:
    settings = _inner(settings, "ImagingSettings")
    options = _inner(options, "ImagingOptions")
    wdr = _one(settings, "WideDynamicRange")
    opts = None
    if options is not None:
        opts = ImagingOptions(
            wdr_modes=_texts(_all(_one(options, "WideDynamicRange"), "Mode")),
            wdr_level_min=_float(_text(options, "WideDynamicRange", "Level", "Min")),
            wdr_level_max=_float(_text(options, "WideDynamicRange", "Level", "Max")),
            ir_cut_modes=_texts(_all(options, "IrCutFilterModes")),
            brightness_min=_float(_text(options, "Brightness", "Min")),
            brightness_max=_float(_text(options, "Brightness", "Max")),
            backlight_modes=_texts(_all(_one(options, "BacklightCompensation"), "Mode")),
        )
    return Imaging(
        video_source_token=video_source_token,
        wdr_mode=_str(_text(wdr, "Mode")),
        wdr_level=_float(_text(wdr, "Level")),
        ir_cut_filter=_str(_text(settings, "IrCutFilter")),
        brightness=_float(_text(settings, "Brightness")),
        contrast=_float(_text(settings, "Contrast")),
        color_saturation=_float(_text(settings, "ColorSaturation")),
        sharpness=_float(_text(settings, "Sharpness")),
        backlight_mode=_str(_text(settings, "BacklightCompensation", "Mode")),
        options=opts,
    )


def services_from(camera: OnvifCamera) -> dict[str, ServiceInfo]:
    return {ns: ServiceInfo(xaddr=ep.xaddr, version=ep.version) for ns, ep in camera.services.items()}


# --- the readers -----------------------------------------------------------------------------------

class _Reader:
    """Runs reads against one camera, turning each failure into a ReadError."""

    def __init__(self, camera: OnvifCamera, facts: Facts) -> None:
        self.camera = camera
        self.facts = facts

    def attempt(self, operation: str, read: Callable[[], T]) -> T | None:
        cuts: list[ListCut] = []
        token = _cuts.set(cuts)
        try:
            return read()
        except KitchencamError as exc:
            self.facts.read_errors.append(ReadError(
                operation=operation, code=exc.code, message=str(exc), subcode=getattr(exc, "subcode", None)))
            return None
        finally:
            _cuts.reset(token)
            if cuts:  # the most specific cut (a named list) says it best; one note per read
                cut = next((c for c in cuts if c.what != "items"), cuts[0])
                self.facts.read_errors.append(ReadError(
                    operation=operation, code="ListCapped",
                    message=_("{operation}: the camera listed {count} entries; kitchencam read only the first "
                              "{limit}. Remove the extra ones in the camera's web page if they are not "
                              "needed.").format(operation=operation, count=cut.listed, limit=cut.limit)))

    def raw(self, call: Callable[[], Any]) -> Any:
        """``call()``'s reply as the raw response element when there is one (read by local name,
        in any order), else zeep's object."""
        reply, element = self.both(call)
        return element if element is not None else reply

    def both(self, call: Callable[[], Any]) -> tuple[Any, Any]:
        """(zeep's object, the raw response element or zeep's object again)."""
        reply = call()
        element = self.camera.last_response()
        return reply, element if element is not None else reply

    def record(self, operation: str, exc: KitchencamError, message: str | None = None) -> None:
        self.facts.read_errors.append(ReadError(operation=operation, code=exc.code, message=message or str(exc),
                                                subcode=getattr(exc, "subcode", None)))

    def unsupported(self, operation: str) -> bool:
        """True once ``operation`` failed as NotSupported: asking again per token is pointless."""
        return any(e.operation == operation and e.code == "NotSupported" for e in self.facts.read_errors)


def read_facts(camera: OnvifCamera) -> Facts:
    """Read everything the audit needs from ``camera``; Media2 first, Media1 without it.

    Raises Unreachable (incl. DeviceTimeout, OnvifDisabled) or AuthFailed (incl. ClockSkew)
    when the device cannot be read at all; every other failure is a ``ReadError`` entry.
    """
    facts = Facts(target=camera.target, device_xaddr=camera.device_xaddr, read_at=datetime.now(timezone.utc),
                  auth="ws-usernametoken" if camera.authenticated else "none")
    reader = _Reader(camera, facts)

    time_raw = None
    try:
        camera.measure_clock()
        time_raw = camera.last_response()
    except Unreachable:
        raise
    except KitchencamError as exc:  # a garbled/faulted time reply must not stop the read
        facts.read_errors.append(ReadError(operation="tds:GetSystemDateAndTime", code=exc.code,
                                           message=str(exc), subcode=getattr(exc, "subcode", None)))
    if camera.camera_time is not None:
        facts.time = device_time_from(camera.camera_time, camera.clock_offset_s, time_raw)
        if facts.time.utc is None and _get(camera.camera_time, "UTCDateTime") is not None:
            facts.read_errors.append(ReadError(
                operation="tds:GetSystemDateAndTime", code="BadReply",
                message=_("{target} reported a date and time that is no valid date (year, month or hour out "
                          "of range). Set the camera's clock in its web page or point it at an NTP server, "
                          "then retry.").format(target=camera.target)))

    # The first authenticated call: a refused login or a dead device stops everything here.
    try:
        camera.discover_services()
        camera.log_in()  # GetServices needs no password: this call proves it, or stops here (exit 5)
    except (AuthFailed, Unreachable):
        raise
    except KitchencamError as exc:
        facts.read_errors.append(ReadError(operation="tds:GetServices", code=exc.code, message=str(exc),
                                           subcode=getattr(exc, "subcode", None)))
    facts.services = services_from(camera)

    dev = camera.device
    facts.device_info = reader.attempt("tds:GetDeviceInformation",
                                       lambda: device_info_from(dev.get_device_information()))
    facts.scopes = reader.attempt("tds:GetScopes", lambda: scopes_from(dev.get_scopes()))
    facts.network_interfaces = reader.attempt(
        "tds:GetNetworkInterfaces", lambda: network_interfaces_from(dev.get_network_interfaces())) or []
    facts.hostname = reader.attempt("tds:GetHostname", lambda: _hostname(dev.get_hostname()))
    facts.ntp = reader.attempt("tds:GetNTP", lambda: ntp_from(reader.raw(dev.get_ntp)))
    facts.dns = reader.attempt("tds:GetDNS", lambda: dns_from(dev.get_dns()))
    facts.dynamic_dns = reader.attempt("tds:GetDynamicDNS", lambda: _dynamic_dns(dev.get_dynamic_dns()))
    facts.users = reader.attempt("tds:GetUsers", lambda: users_from(dev.get_users())) or []
    facts.network_protocols = reader.attempt(
        "tds:GetNetworkProtocols", lambda: network_protocols_from(dev.get_network_protocols())) or []

    if camera.has(MEDIA2):
        if not _read_media2(reader):
            _read_media1(reader)
    elif camera.has(MEDIA):
        _read_media1(reader)
    else:
        reader.attempt("tr2:GetProfiles", camera.media2.get_profiles)  # records NotSupported
    # Stream and snapshot URIs naming another host are moved onto the camera (never sent our login).
    confine_profile_uris(facts, camera.host, camera.device_xaddr)
    _read_imaging(reader)
    if camera.uses_http_digest:
        facts.auth = "http-digest"
    return facts


def _hostname(reply: Any) -> Hostname:
    return Hostname(name=_str(_get(reply, "Name")), from_dhcp=_get(reply, "FromDHCP"))


def _dynamic_dns(reply: Any) -> DynamicDns:
    return DynamicDns(type=_str(_get(reply, "Type")), name=_str(_get(reply, "Name")))


@dataclass(frozen=True)
class _MediaReading:
    """What differs between reading Media2 (tr2) and Media1 (trt): the prefix and the converters."""

    prefix: str
    profiles_from: Callable[[Any], list[MediaProfile]]
    profile_encoders_from: Callable[[Any], list[VideoEncoder]]
    encoders_from: Callable[[Any], list[VideoEncoder]]
    options_from: Callable[..., EncoderOptions]
    uri_from: Callable[[Any], str | None]


_MEDIA2 = _MediaReading("tr2", media2_profiles_from, media2_profile_encoders_from, media2_encoders_from,
                        media2_encoder_options_from, _uri)
_MEDIA1 = _MediaReading("trt", media1_profiles_from, media1_profile_encoders_from, media1_encoders_from,
                        media1_encoder_options_from, lambda reply: _uri(_get(reply, "Uri")))


def _read_media2(reader: _Reader) -> bool:
    """Media2; False when its profiles could not be listed and Media1 is there to read instead."""
    camera = reader.camera
    service = camera.media2
    refused: list[KitchencamError] = []

    def get_profiles() -> Any:
        # Some firmwares answer GetProfiles with Type=All by HTTP 500 or a fault: ask again
        # without Type (then only the profiles and their tokens come back).
        # A camera that says the action itself is not supported is not asked again.
        try:
            return reader.both(service.get_profiles)
        except (DeviceFault, BadReply) as exc:
            refused.append(exc)
        try:
            return reader.both(lambda: service.get_profiles(types=()))
        except (DeviceFault, BadReply, NotSupported) as exc:
            refused.append(exc)
            raise refused[0] from exc

    try:
        reply = get_profiles()
    except KitchencamError as exc:
        if len(refused) == 2 and camera.has(MEDIA):
            reader.record("tr2:GetProfiles", exc, _(
                "{target} refused its list of media profiles over ONVIF Media2, with Type=All and without it "
                "({reason}); it was read over Media1 instead, where H.265 cannot be seen or set. Update the "
                "camera's firmware.").format(target=camera.target, reason=exc.message))
            return False
        if len(refused) == 2:
            reader.record("tr2:GetProfiles", exc, _(
                "{target} refused its list of media profiles over ONVIF Media2, with Type=All and without it "
                "({reason}), and has no Media1 service: no stream address could be read. Update the camera's "
                "firmware, or read the stream address in its web page.").format(target=camera.target,
                                                                              reason=exc.message))
        else:
            reader.record("tr2:GetProfiles", exc)
        reply = None
    reader.facts.media2 = True
    _read_media(reader, service, _MEDIA2, reply)
    return True


def _read_media1(reader: _Reader) -> None:
    try:
        reply = reader.both(reader.camera.media.get_profiles)
    except KitchencamError as exc:
        reader.record("trt:GetProfiles", exc)
        reply = None
    _read_media(reader, reader.camera.media, _MEDIA1, reply)


def _read_media(reader: _Reader, service: Any, how: _MediaReading, profiles_reply: Any) -> None:
    """Everything after GetProfiles (``profiles_reply``: None when it failed, already recorded)."""
    facts, p = reader.facts, how.prefix
    if profiles_reply is not None:
        # The profiles' own converters read zeep objects; the raw element is read by name.
        zeep_reply, raw_reply = profiles_reply
        # In attempt(): a list cut to MAX_PROFILES leaves its ListCapped note.
        facts.profiles = reader.attempt(f"{p}:GetProfiles", lambda: how.profiles_from(zeep_reply)) or []
        embedded = how.profile_encoders_from(raw_reply)
        if not facts.profiles:
            facts.read_errors.append(ReadError(
                operation=f"{p}:GetProfiles", code="BadReply",
                message=_("{target} listed no media profiles, so it has no stream address to give. Create a "
                          "stream profile in the camera's web page, or reset its video settings.").format(
                              target=reader.camera.target)))
    else:
        embedded = []
    facts.video_sources = reader.attempt(
        f"{p}:GetVideoSourceConfigurations",
        lambda: video_source_configs_from(service.get_video_source_configurations())) or []
    # When GetVideoEncoderConfigurations fails, the copies inside the profiles still tell what the
    # streams run (the Hikvision DS-2DF7276-AEL's GetProfiles carries all three); the failure
    # stays a ReadError.
    dedicated = reader.attempt(
        f"{p}:GetVideoEncoderConfigurations",
        lambda: how.encoders_from(reader.raw(service.get_video_encoder_configurations))) or []
    facts.encoders = merge_encoders(dedicated, embedded)

    def options(token: str) -> EncoderOptions:
        reply = reader.raw(lambda: service.get_video_encoder_configuration_options(configuration_token=token))
        return how.options_from(reply, encoder_token=token)

    _read_per_token(reader, f"{p}:GetVideoEncoderConfigurationOptions", [e.token for e in facts.encoders],
                    options, lambda opts, _token: facts.encoder_options.append(opts))
    profiles = {prof.token: prof for prof in facts.profiles}
    _read_per_token(reader, f"{p}:GetStreamUri", list(profiles), lambda t: how.uri_from(service.get_stream_uri(t)),
                    lambda uri, t: setattr(profiles[t], "stream_uri", uri))
    _read_per_token(reader, f"{p}:GetSnapshotUri", list(profiles),
                    lambda t: how.uri_from(service.get_snapshot_uri(t)),
                    lambda uri, t: setattr(profiles[t], "snapshot_uri", uri))


def _read_per_token(reader: _Reader, operation: str, tokens: list[str], read: Callable[[str], T],
                    store: Callable[[T, str], object]) -> None:
    """``read(token)`` for each token; stop asking once the camera says NotSupported."""
    for token in tokens:
        if reader.unsupported(operation):
            return
        value = reader.attempt(operation, partial(read, token))
        if value is not None:
            store(value, token)


def _read_imaging(reader: _Reader) -> None:
    facts, camera = reader.facts, reader.camera
    sources = list(dict.fromkeys(
        [v.source_token for v in facts.video_sources if v.source_token]
        + [p.video_source_token for p in facts.profiles if p.video_source_token]))
    if not sources:
        return
    if not camera.has(IMAGING):
        reader.attempt("timg:GetImagingSettings", lambda: camera.imaging.get_imaging_settings(sources[0]))
        return
    for token in sources:
        settings = reader.attempt("timg:GetImagingSettings",
                                  partial(reader.raw, partial(camera.imaging.get_imaging_settings, token)))
        if settings is None:
            continue
        options = reader.attempt("timg:GetOptions", partial(reader.raw, partial(camera.imaging.get_options, token)))
        facts.imaging.append(imaging_from(settings, options, token))


class Identity(NamedTuple):
    """What discovery learns per device: the clock without credentials, the rest with them."""

    time: DeviceTime | None
    device_info: DeviceInfo | None
    mac: str | None
    errors: list[ReadError]


def read_identity(xaddr: str, *, user: str | None = None, password: str | None = None,
                  timeouts: Timeouts = DEFAULT_TIMEOUTS) -> Identity:
    """Clock (unauthenticated), then with credentials device information and the first MAC.

    Raises Unreachable (incl. OnvifDisabled) when not even the clock can be read; every later
    failure, a refused login included, is a ReadError so the device is still listed.
    """
    errors: list[ReadError] = []
    with OnvifCamera(xaddr, user=user, password=password, timeouts=timeouts) as camera:
        time: DeviceTime | None = None
        try:
            camera.measure_clock()
            time = device_time_from(camera.camera_time, camera.clock_offset_s, camera.last_response())
        except Unreachable:
            raise
        except KitchencamError as exc:
            errors.append(ReadError(operation="tds:GetSystemDateAndTime", code=exc.code, message=str(exc),
                                    subcode=getattr(exc, "subcode", None)))
        if user is None or password is None:
            return Identity(time, None, None, errors)
        reader = _Reader(camera, Facts(target=camera.target, device_xaddr=camera.device_xaddr,
                                       read_at=datetime.now(timezone.utc)))
        info = reader.attempt("tds:GetDeviceInformation",
                              lambda: device_info_from(camera.device.get_device_information()))
        nics = reader.attempt("tds:GetNetworkInterfaces",
                              lambda: network_interfaces_from(camera.device.get_network_interfaces())) or []
        mac = next((n.mac for n in nics if n.mac), None)
        return Identity(time, info, mac, errors + reader.facts.read_errors)


def read_time(host: str, port: int = 80, *, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> DeviceTime:
    """The camera's clock, unauthenticated (for discovery). Raises Unreachable/BadReply/..."""
    with OnvifCamera(f"{host}:{port}" if ":" not in host else f"[{host}]:{port}", timeouts=timeouts) as camera:
        camera.measure_clock()
        return device_time_from(camera.camera_time, camera.clock_offset_s, camera.last_response())
