"""A still picture from the camera: the ONVIF snapshot URI, then an HTTP GET of the JPEG.

The report shows the kitchen as the camera saw it at provisioning, as proof of placement. The
URI comes from Media2 ``GetSnapshotUri`` (Media1 ``GetSnapshotUri`` where Media2 is missing or
refuses); the picture from a plain HTTP GET with the camera's account, digest first (what
Dahua and Hikvision firmwares ask for) and basic only when the camera asks for it. The download
is bounded in size and in time. Nothing returned here holds a credential: the URI is kept
without its user info and without query parameters that look like a password or token.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from kitchencam.errors import AuthFailed, BadReply, DeviceTimeout, KitchencamError, NotSupported, Unreachable
from kitchencam.i18n import _
from kitchencam.logins import BUDGET, refusal_hint
from kitchencam.onvif.client import DEFAULT_TIMEOUTS, MEDIA, MEDIA2, OnvifCamera, Timeouts
from kitchencam.rtsp import digest_response, parse_challenges
from kitchencam.uriscope import confine, refuse_foreign, same_host

#: A 2 MP JPEG is 100-600 kB, a 4K one a few MB; anything past this is not a snapshot.
MAX_BYTES = 8 * 1024 * 1024
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
    """Cameras behind NAT or with a stale address advertise another host: kept on the camera."""
    reached = urlsplit(camera.device_xaddr)
    return confine(uri, camera_host=camera.host, camera_netloc=reached.netloc, camera_scheme=reached.scheme,
                   kind="http").uri


class _Deadline:
    """The whole download's deadline, for every request of it: reads are cut when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.fired = False

    def left(self) -> float:
        return self.end - time.monotonic()

    def cut(self, sock: socket.socket) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@dataclass
class _Answer:
    status: int
    challenges: list[str]
    body: bytes


def _one_get(parts: SplitResult, authorization: str | None, timeouts: Timeouts, deadline: _Deadline,
             max_bytes: int, shown: str) -> _Answer:
    """One GET on a fresh connection; the body is read only for a 200, bounded in size and time."""
    left = deadline.left()
    if left <= 0:
        raise _too_slow(shown, deadline)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection(host, port, timeout=min(timeouts.connect, left)) if https
        else http.client.HTTPConnection(host, port, timeout=min(timeouts.connect, left)))
    timer: threading.Timer | None = None
    try:
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(max(0.01, min(timeouts.read, deadline.left())))
        # One deadline for the request, not per read: a camera that trickles a byte at a time is cut.
        timer = threading.Timer(max(0.0, deadline.left()), deadline.cut, (conn.sock,))
        timer.daemon = True
        timer.start()
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.putheader("User-Agent", "kitchencam (snapshot)")
        conn.putheader("Accept", "image/jpeg, image/png")
        if authorization:
            conn.putheader("Authorization", authorization)
        conn.endheaders()
        response = conn.getresponse()
        challenges = response.msg.get_all("WWW-Authenticate") or []
        if response.status != 200:
            return _Answer(response.status, challenges, b"")
        declared = response.getheader("Content-Length") or ""
        if declared.isdigit() and int(declared) > max_bytes:
            raise BadReply(_("The snapshot at {uri} is {size} bytes, more than the {limit} allowed.").format(
                uri=shown, size=declared, limit=max_bytes), target=shown)
        body = bytearray()
        while chunk := response.read1(_CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise BadReply(_("The snapshot at {uri} is more than {limit} bytes.").format(
                    uri=shown, limit=max_bytes), target=shown)
        if deadline.fired:
            raise _too_slow(shown, deadline)
        return _Answer(200, challenges, bytes(body))
    except TimeoutError:
        raise _too_slow(shown, deadline) if deadline.left() <= 0 or deadline.fired else DeviceTimeout(
            _("No snapshot from {uri} in time.").format(uri=shown), target=shown) from None
    except (OSError, http.client.HTTPException) as exc:
        if deadline.fired or deadline.left() <= 0:
            raise _too_slow(shown, deadline) from None
        if isinstance(exc, http.client.HTTPException) and not isinstance(exc, http.client.RemoteDisconnected):
            raise BadReply(_("{uri} answered with something that is not HTTP ({reason}).").format(
                uri=shown, reason=type(exc).__name__), target=shown) from None
        raise Unreachable(_("No snapshot from {uri}: {reason}").format(
            uri=shown, reason=getattr(exc, "strerror", None) or type(exc).__name__), target=shown) from None
    finally:
        if timer is not None:
            timer.cancel()
        conn.close()


def _too_slow(shown: str, deadline: _Deadline) -> DeviceTimeout:
    return DeviceTimeout(_("The snapshot at {uri} took more than {seconds:g} s.").format(
        uri=shown, seconds=deadline.seconds), target=shown)


def _login_refused(shown: str, status: int, host: str) -> AuthFailed:
    return AuthFailed(_("{uri} refused the camera account for the snapshot (HTTP {status}).").format(
        uri=shown, status=status), target=shown, hint=refusal_hint(host, "snapshot GET"))


def fetch_snapshot(uri: str, *, user: str | None, password: str | None, timeouts: Timeouts = DEFAULT_TIMEOUTS,
                   max_bytes: int = MAX_BYTES, deadline_s: float = DEADLINE_S, operation: str = "",
                   camera_host: str | None = None) -> Snapshot:
    """GET ``uri`` with the camera's account; the picture, or a classified error.

    ``camera_host``: the camera that gave the URI; a URI on any other host is refused before a
    byte is sent (the camera's password goes to the camera only). Without it the URI's own host
    is taken as the camera. The first request carries no credentials; Digest answers a Digest
    challenge (it never sends the password); Basic only when the camera offers no Digest at all.
    Each login is asked of the run's login budget (kitchencam/logins.py). More than
    ``max_bytes``, or longer than ``deadline_s`` for everything, is an error.
    """
    parts = urlsplit(uri.strip())
    shown = safe_uri(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotSupported(_("The snapshot address {uri} is not an http(s) URL.").format(uri=shown), target=shown)
    try:
        parts.port  # noqa: B018 (validates the port)
    except ValueError:
        raise NotSupported(_("The snapshot address {uri} is not an http(s) URL.").format(uri=shown),
                           target=shown) from None
    host = parts.hostname
    if camera_host is not None and not same_host(uri, camera_host):
        raise refuse_foreign(uri, camera_host, "http")
    # Credentials travel only in the Authorization header, never in the URL.
    parts = urlsplit(urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, "")))
    deadline = _Deadline(deadline_s)
    answer = _one_get(parts, None, timeouts, deadline, max_bytes, shown)
    if answer.status == 401:
        if user is None or password is None:
            raise AuthFailed(_("{uri} asks for a user name and password for the snapshot, and none were given.")
                             .format(uri=shown), target=shown)
        answer = _log_in(parts, user, password, answer, timeouts, deadline, max_bytes, shown, host)
    if answer.status in (401, 403):
        # 403: the account is known but may not fetch pictures; not a wrong password.
        raise AuthFailed(_("{uri} refused the camera account for the snapshot (HTTP {status}).").format(
            uri=shown, status=answer.status), target=shown)
    if answer.status != 200:
        raise NotSupported(_("{uri} answered HTTP {status} instead of a picture.").format(
            uri=shown, status=answer.status), target=shown)
    data = answer.body
    content_type = image_type(data)
    if content_type is None:
        raise BadReply(_("{uri} answered with something that is not a JPEG or PNG picture.").format(uri=shown),
                       target=shown)
    source = f"{operation} {shown}".strip()
    return Snapshot(content_type=content_type, data=data, source=source, sha256=hashlib.sha256(data).hexdigest())


def get_without_login(uri: str, *, camera_host: str, timeouts: Timeouts = DEFAULT_TIMEOUTS,
                      deadline_s: float = 10.0, max_bytes: int = MAX_BYTES) -> tuple[int, str | None]:
    """ONE GET of ``uri`` carrying no credentials (user info in the URI is dropped), on the
    camera's own host only: (HTTP status, the picture's type when a picture came back). Spends no
    login. Raises NotSupported for a URI that is not http(s), and what a GET raises otherwise.
    """
    parts = urlsplit(uri.strip())
    shown = safe_uri(uri)
    try:
        parts.port  # noqa: B018 (validates the port)
    except ValueError:
        raise NotSupported(_("The snapshot address {uri} is not an http(s) URL.").format(uri=shown),
                           target=shown) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotSupported(_("The snapshot address {uri} is not an http(s) URL.").format(uri=shown), target=shown)
    if not same_host(uri, camera_host):
        raise refuse_foreign(uri, camera_host, "http")
    parts = urlsplit(urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, "")))
    answer = _one_get(parts, None, timeouts, _Deadline(deadline_s), max_bytes, shown)
    return answer.status, image_type(answer.body) if answer.status == 200 else None


def _log_in(parts: SplitResult, user: str, password: str, challenge: _Answer, timeouts: Timeouts,
            deadline: _Deadline, max_bytes: int, shown: str, host: str) -> _Answer:
    """Answer the camera's 401: Digest if offered (never Basic then), else Basic; one login, budgeted."""

    offered = parse_challenges(challenge.challenges)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    authorization: str | None = None
    digests = [c for c in offered if c.scheme == "digest"]
    for c in digests:
        try:
            authorization = digest_response(user=user, password=password, method="GET", uri=path, challenge=c.params)
            break
        except ValueError:
            continue
    if authorization is None and not digests and any(c.scheme == "basic" for c in offered):
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        authorization = f"Basic {token}"
    if authorization is None:
        schemes = ", ".join(sorted({c.scheme.capitalize() for c in offered})) or "?"
        raise AuthFailed(_("{uri} asks for an HTTP authentication kitchencam does not speak ({schemes}) for the "
                           "snapshot. Allow Digest authentication in the camera's security settings, then retry.")
                         .format(uri=shown, schemes=schemes), target=shown)
    attempt = BUDGET.attempt(host, "snapshot GET", target=shown)
    try:
        answer = _one_get(parts, authorization, timeouts, deadline, max_bytes, shown)
    except BaseException:
        attempt.cancel()
        raise
    if answer.status == 401:
        attempt.refused()
        raise _login_refused(shown, answer.status, host)
    attempt.ok()
    return answer


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
    return fetch_snapshot(found.uri, user=user, password=password, timeouts=timeouts, operation=found.operation,
                          camera_host=camera.host)
