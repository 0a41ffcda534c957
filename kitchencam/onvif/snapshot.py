"""A still picture from the camera: the ONVIF snapshot URI, then an HTTP GET of the JPEG.

The report shows the kitchen as the camera saw it at provisioning, as proof of placement. The
URI comes from Media2 ``GetSnapshotUri`` (Media1 ``GetSnapshotUri`` where Media2 is missing or
refuses); the picture from a plain HTTP GET with the camera's account, digest first (what
Dahua and Hikvision firmwares ask for) and basic only when the camera asks for it. The download
is bounded in size and in time. Nothing returned here holds a credential: the URI is kept
without its user info and without query parameters that look like a password or token.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from kitchencam.errors import AuthFailed, BadReply, DeviceTimeout, KitchencamError, NotSupported, Unreachable
from kitchencam.i18n import _
from kitchencam.onvif.client import DEFAULT_TIMEOUTS, MEDIA, MEDIA2, OnvifCamera, Timeouts, repair_xaddr

#: A 2 MP JPEG is 100-600 kB; anything past this is not a snapshot.
MAX_BYTES = 5 * 1024 * 1024
#: The whole download, from the first byte sent to the last byte read.
DEADLINE_S = 15.0
_CHUNK = 64 * 1024
# Query parameters some firmwares put in snapshot URIs with the account in them.
_SECRET_PARAMS = ("user", "username", "usr", "pass", "password", "pwd", "passwd", "token", "auth", "key",
                  "loginuse", "loginpas", "sessionid", "session")


@dataclass(frozen=True)
class SnapshotUri:
    uri: str  # as asked, without credentials
    operation: str  # "tr2:GetSnapshotUri" or "trt:GetSnapshotUri"


@dataclass(frozen=True)
class Snapshot:
    """One picture. ``source`` says where it came from, with no credential in it."""

    content_type: str  # "image/jpeg" or "image/png", from the bytes themselves
    data: bytes
    source: str
    sha256: str

    def __repr__(self) -> str:  # never dump the picture into a log line
        return f"Snapshot({self.content_type}, {len(self.data)} bytes, {self.source!r})"


def safe_uri(uri: str) -> str:
    """``uri`` without user info and without query parameters that look like credentials."""
    parts = urlsplit(uri.strip())
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{shown}:{port}" if port else shown
    # Keep each remaining parameter exactly as the camera wrote it ("?Profile_1" stays so).
    query = "&".join(p for p in parts.query.split("&") if p and p.split("=", 1)[0].lower() not in _SECRET_PARAMS)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def snapshot_uri(camera: OnvifCamera, profile_token: str | None = None) -> SnapshotUri:
    """The main profile's snapshot URI: Media2 first, Media1 when Media2 is missing or refuses.

    ``camera`` must be connected (its services known). Raises NotSupported when neither service
    gives one, or the camera's own error (Unreachable, AuthFailed) when it stops answering.
    """
    failures: list[str] = []
    if camera.has(MEDIA2):
        try:
            token = profile_token or _first_token(camera.media2.get_profiles(types=("VideoEncoder",)))
            if token:
                return SnapshotUri(_usable(camera, str(camera.media2.get_snapshot_uri(token))), "tr2:GetSnapshotUri")
            failures.append("tr2: no media profile")
        except (Unreachable, AuthFailed):
            raise
        except KitchencamError as exc:
            failures.append(f"tr2:GetSnapshotUri: {exc.message}")
    if camera.has(MEDIA):
        try:
            tokens = [profile_token] if profile_token else []
            tokens += [t for t in [_first_token(camera.media.get_profiles())] if t and t not in tokens]
            for token in tokens[:2]:
                try:
                    reply = camera.media.get_snapshot_uri(token)
                except (Unreachable, AuthFailed):
                    raise
                except KitchencamError as exc:
                    failures.append(f"trt:GetSnapshotUri: {exc.message}")
                    continue
                uri = getattr(reply, "Uri", None)
                if uri:
                    return SnapshotUri(_usable(camera, str(uri)), "trt:GetSnapshotUri")
        except (Unreachable, AuthFailed):
            raise
        except KitchencamError as exc:
            failures.append(f"trt:GetProfiles: {exc.message}")
    raise NotSupported(
        _("{target} gives no snapshot address over ONVIF ({why}); the minutes will say there is no "
          "picture.").format(target=camera.target, why="; ".join(failures) or _("no media service")),
        target=camera.target)


def _first_token(profiles: Any) -> str | None:
    items = profiles if isinstance(profiles, (list, tuple)) else [profiles] if profiles is not None else []
    for item in items:
        token = getattr(item, "token", None)
        if token:
            return str(token)
    return None


def _usable(camera: OnvifCamera, uri: str) -> str:
    """Cameras behind NAT or with a stale address advertise a host we cannot reach: use ours."""
    if urlsplit(uri).scheme not in ("http", "https"):
        return uri
    return repair_xaddr(uri, camera.device_xaddr)


def fetch_snapshot(uri: str, *, user: str | None, password: str | None, timeouts: Timeouts = DEFAULT_TIMEOUTS,
                   max_bytes: int = MAX_BYTES, deadline_s: float = DEADLINE_S, operation: str = "") -> Snapshot:
    """GET ``uri`` with the camera's account; the picture, or a classified error.

    Digest is tried first (it never sends the password); basic only when the camera's challenge
    asks for it. More than ``max_bytes``, or longer than ``deadline_s`` overall, is an error.
    """
    parts = urlsplit(uri)
    shown = safe_uri(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotSupported(_("The snapshot address {uri} is not an http(s) URL.").format(uri=shown), target=shown)
    # Credentials travel only in the Authorization header, never in the URL.
    clean = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, ""))
    started = time.monotonic()
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment would carry the camera's login elsewhere
    session.headers["User-Agent"] = "kitchencam (snapshot)"
    try:
        auth: Any = HTTPDigestAuth(user, password) if user is not None and password is not None else None
        response = _get(session, clean, auth, timeouts)
        challenge = response.headers.get("WWW-Authenticate", "").lower()
        if response.status_code == 401 and user is not None and password is not None and challenge.startswith("basic"):
            response.close()
            response = _get(session, clean, HTTPBasicAuth(user, password), timeouts)
        with response:
            if response.status_code in (401, 403):
                raise AuthFailed(_("{uri} refused the camera account for the snapshot (HTTP {status}).").format(
                    uri=shown, status=response.status_code), target=shown)
            if response.status_code != 200:
                raise NotSupported(_("{uri} answered HTTP {status} instead of a picture.").format(
                    uri=shown, status=response.status_code), target=shown)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise BadReply(_("The snapshot at {uri} is {size} bytes, more than the {limit} allowed.").format(
                    uri=shown, size=declared, limit=max_bytes), target=shown)
            body = bytearray()
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise BadReply(_("The snapshot at {uri} is more than {limit} bytes.").format(
                        uri=shown, limit=max_bytes), target=shown)
                if time.monotonic() - started > deadline_s:
                    raise DeviceTimeout(_("The snapshot at {uri} took more than {seconds:g} s.").format(
                        uri=shown, seconds=deadline_s), target=shown)
    except requests.Timeout:
        raise DeviceTimeout(_("No snapshot from {uri} in time.").format(uri=shown), target=shown) from None
    except requests.RequestException as exc:
        raise Unreachable(_("No snapshot from {uri}: {reason}").format(uri=shown, reason=type(exc).__name__),
                          target=shown) from None
    finally:
        session.close()
    data = bytes(body)
    content_type = image_type(data)
    if content_type is None:
        raise BadReply(_("{uri} answered with something that is not a JPEG or PNG picture.").format(uri=shown),
                       target=shown)
    source = f"{operation} {shown}".strip()
    return Snapshot(content_type=content_type, data=data, source=source, sha256=hashlib.sha256(data).hexdigest())


def _get(session: requests.Session, url: str, auth: Any, timeouts: Timeouts) -> requests.Response:
    return session.get(url, auth=auth, stream=True, timeout=(timeouts.connect, timeouts.read),
                       allow_redirects=False)


def image_type(data: bytes) -> str | None:
    """The picture's type from its first bytes (cameras label JPEGs text/plain, octet-stream...)."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return None


def take_snapshot(camera: OnvifCamera, *, user: str | None, password: str | None,
                  profile_token: str | None = None, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> Snapshot:
    """Ask the camera where its snapshot is, then fetch it."""
    found = snapshot_uri(camera, profile_token)
    return fetch_snapshot(found.uri, user=user, password=password, timeouts=timeouts, operation=found.operation)
