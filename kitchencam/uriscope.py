"""Credentials go only to the camera that was asked: URIs a camera hands back, kept on that camera.

A camera's replies name addresses: service XAddrs, the RTSP stream URI, the HTTP snapshot URI.
Behind NAT they name a private address, after a DHCP change an old one, on a bad (or hostile)
firmware any host at all. kitchencam logs in to the URIs it is given, so a URI on another host
would carry the camera's password there. Every such URI is therefore either

- rewritten onto the camera's own address (path and query kept; for HTTP our scheme and
  host:port, as a NAT forwards only the port we used; for RTSP the camera's host with the RTSP
  port the camera gave, or 554), with ``advertised`` keeping what the camera said; or
- refused (a scheme that is not the expected one), never used and never sent credentials.

``same_host`` is the last check before a password leaves: snapshot and RTSP refuse to log in to
any host but the camera's. Pure functions, no I/O.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from kitchencam.errors import BadReply
from kitchencam.i18n import _
from kitchencam.models import Facts, ReadError

RTSP_PORT = 554
Kind = Literal["rtsp", "http"]


@dataclass(frozen=True)
class ScopedUri:
    uri: str  # on the camera's own host, without user info
    advertised: str  # as the camera sent it, without user info
    rewritten: bool


def _bare(host: str) -> str:
    return host.strip().strip("[]").lower()


def _netloc(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


def host_of(uri: str) -> str:
    try:
        return _bare(urlsplit(uri.strip()).hostname or "")
    except ValueError:
        return ""


def _same_address(a: str, b: str) -> bool:
    a, b = _bare(a), _bare(b)
    if not a or not b:
        return False
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


def same_host(uri: str, camera_host: str) -> bool:
    """True when ``uri`` points at ``camera_host`` (the only host that may get the camera's login)."""
    return _same_address(host_of(uri), camera_host)


def without_userinfo(uri: str) -> str:
    try:
        parts = urlsplit(uri.strip())
    except ValueError:  # "rtsp://[bad": no URL at all, so nothing to strip; shown as sent
        return uri.strip()
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, ""))


def _port(parts: object) -> int | None:
    try:
        return parts.port  # type: ignore[attr-defined]
    except ValueError:
        return None


def confine(uri: str, *, camera_host: str, camera_netloc: str, camera_scheme: str, kind: Kind) -> ScopedUri:
    """``uri`` kept on the camera (see the module's doc); BadReply when it is refused.

    ``camera_netloc``/``camera_scheme`` are how we reached the camera's ONVIF service (for HTTP
    URIs); ``camera_host`` its host alone (for RTSP).
    """
    text = uri.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # an unbalanced "[" (an IPv6 literal gone wrong): no address to use or repair
        raise BadReply(_("The camera at {host} gave {uri} as an address that is no valid URL, so kitchencam "
                         "does not use it. Check the stream and snapshot settings in the camera's web page, or "
                         "update its firmware.").format(host=camera_host, uri=text[:200]),
                       target=camera_host) from None
    scheme = parts.scheme.lower()
    expected = ("rtsp",) if kind == "rtsp" else ("http", "https")
    advertised = without_userinfo(text) if scheme else text
    if scheme not in expected:
        if kind == "rtsp":
            message = _("The camera at {host} gave {uri} as its stream address: not an rtsp:// address, so "
                        "kitchencam does not use it. Check the stream settings in the camera's web page.")
        else:
            message = _("The camera at {host} gave {uri} as its snapshot address: not an http(s):// address, so "
                        "kitchencam does not use it. Check the snapshot settings in the camera's web page.")
        raise BadReply(message.format(host=camera_host, uri=advertised[:200]), target=camera_host)
    host = host_of(text)
    if host and _same_address(host, camera_host):
        return ScopedUri(advertised, advertised, rewritten=False)
    if kind == "http":
        clean = urlunsplit((camera_scheme, camera_netloc, parts.path or "/", parts.query, ""))
    else:
        port = _port(parts)
        # The RTSP port the camera gave is its own setting; a NAT that maps it elsewhere cannot be
        # guessed. Without one (or with nonsense) RTSP's own 554.
        port = port if port and 0 < port < 65536 else RTSP_PORT
        clean = urlunsplit(("rtsp", _netloc(camera_host.strip("[]"), port), parts.path or "/", parts.query, ""))
    return ScopedUri(clean, advertised, rewritten=True)


def refuse_foreign(uri: str, camera_host: str, kind: Kind) -> BadReply:
    """The error for a login that would go to another host than the camera's."""
    if kind == "rtsp":
        message = _("The stream address {uri} is not on the camera {host}: kitchencam sends the camera's password "
                    "only to the camera itself. Check the camera's network settings (NAT, a changed address).")
    else:
        message = _("The snapshot address {uri} is not on the camera {host}: kitchencam sends the camera's password "
                    "only to the camera itself. Check the camera's network settings (NAT, a changed address).")
    return BadReply(message.format(uri=without_userinfo(uri)[:200], host=camera_host), target=camera_host)


_PROFILE_URIS = (("stream_uri", "rtsp", "GetStreamUri"), ("snapshot_uri", "http", "GetSnapshotUri"))


def confine_profile_uris(facts: Facts, camera_host: str, device_xaddr: str) -> None:
    """Each profile's stream and snapshot URI kept on the camera; a refused one becomes a ReadError."""
    reached = urlsplit(device_xaddr)
    camera_netloc, camera_scheme = reached.netloc, reached.scheme
    for profile in facts.profiles:
        for attr, kind, operation in _PROFILE_URIS:
            value = getattr(profile, attr)
            if not value:
                continue
            try:
                scoped = confine(value, camera_host=camera_host, camera_netloc=camera_netloc,
                                 camera_scheme=camera_scheme, kind=kind)  # type: ignore[arg-type]
            except BadReply as exc:
                setattr(profile, attr, None)
                prefix = "tr2" if facts.media2 else "trt"
                facts.read_errors.append(ReadError(operation=f"{prefix}:{operation}", code=exc.code,
                                                   message=exc.message))
                continue
            setattr(profile, attr, scoped.uri)
            if scoped.rewritten:
                setattr(profile, f"{attr}_advertised", scoped.advertised)
