"""One camera's vendor HTTP API over HTTP Digest: every request bounded, every login budgeted.

``VendorHttp(camera, api).request("GET", "/cgi-bin/magicBox.cgi?action=getSystemInfo", call=...)``
sends one request to ``camera.host:camera.port`` only (the path is ours, never a URL a camera
gave), and returns the status, the headers and the body. What it keeps:

- One deadline per request (``camera.timeout_s``, connect to the last byte): a watchdog shuts the
  socket at the deadline whatever the camera is still sending. A body over ``MAX_REPLY_BYTES`` is
  refused (by Content-Length, or by counting as it arrives). Errors are the classes of errors.py:
  ``Unreachable`` (refused, reset, no route), ``DeviceTimeout``, ``BadReply`` (not HTTP, too big).
- The first request goes without credentials; the camera's 401 challenge is answered with
  Digest (RFC 2617 MD5 / RFC 7616 SHA-256, qop=auth, the nonce count kept and the challenge
  reused for the next requests). Basic only when the camera offers no Digest at all, and only
  over HTTPS or when the camera offers nothing else (some old Dahua firmware).
- Every request that carries the password reserves a login from ``camera.budget`` (shared with
  ONVIF, RTSP and snapshots: the camera's account lockout counts them all) and ends it: a 401 to
  credentials (not ``stale``) is a refused login, and stops further logins to this camera.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

from kitchencam.errors import AuthFailed, BadReply, DeviceTimeout, Unreachable
from kitchencam.i18n import _
from kitchencam.logins import refusal_hint
from kitchencam.rtsp import Challenge, digest_response, parse_challenges
from kitchencam.vendors.base import MAX_REPLY_BYTES, VendorCamera

_CHUNK = 64 * 1024
#: Largest header block a reply may have (http.client's own limits cap lines and count).
USER_AGENT = "kitchencam (vendor API)"


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    challenges: list[Challenge] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class VendorHttp:
    """Requests to one camera's vendor API; not thread-safe (one per camera per stage)."""

    def __init__(self, camera: VendorCamera, api: str) -> None:
        self.camera = camera
        self.api = api
        self._challenge: Challenge | None = None
        self._nc = 0
        self._logged_in = False
        #: Logins spent from the budget by this session (accepted or refused).
        self.logins = 0

    # -- public -----------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, call: str, body: bytes | None = None,
                content_type: str | None = None, max_bytes: int = MAX_REPLY_BYTES) -> HttpReply:
        """One request, logging in as needed; the reply whatever its status except a refused login."""
        if not path.startswith("/"):
            raise ValueError(f"a vendor API path starts with '/': {path!r}")
        if self._challenge is not None:
            return self._with_credentials(method, path, call, body, content_type, max_bytes)
        reply = self._send(method, path, None, body, content_type, max_bytes)
        if reply.status != 401:
            return reply
        self._challenge = self._pick(reply.challenges, path)
        return self._with_credentials(method, path, call, body, content_type, max_bytes)

    # -- login --------------------------------------------------------------------------------------

    def _pick(self, offered: list[Challenge], path: str) -> Challenge:
        target = self.camera.target
        if self.camera.user is None or self.camera.password is None:
            raise AuthFailed(_("{target} asks for a user name and password for the {api}, and none were given.")
                             .format(target=target, api=self.api), target=target)
        digests = [c for c in offered if c.scheme == "digest"]
        for c in digests:
            try:  # the algorithm and qop must be ones we speak
                digest_response(user="u", password="p", method="GET", uri=path, challenge=c.params)  # noqa: S106
            except ValueError:
                continue
            return c
        if not digests and any(c.scheme == "basic" for c in offered):
            return next(c for c in offered if c.scheme == "basic")
        schemes = ", ".join(sorted({c.scheme.capitalize() for c in offered})) or "?"
        raise AuthFailed(_("{target} asks for an HTTP authentication kitchencam does not speak ({schemes}) for the "
                           "{api}. Allow Digest authentication in the camera's security settings, then retry.")
                         .format(target=target, schemes=schemes, api=self.api), target=target)

    def _expired(self, again: Challenge) -> bool:
        if again.params.get("stale", "").lower() == "true":
            return True
        old = self._challenge.params.get("nonce") if self._challenge is not None else None
        return self._logged_in and again.params.get("nonce") != old

    def _authorization(self, method: str, path: str) -> str:
        assert self._challenge is not None
        assert self.camera.user is not None
        assert self.camera.password is not None
        if self._challenge.scheme == "basic":
            token = base64.b64encode(f"{self.camera.user}:{self.camera.password}".encode()).decode("ascii")
            return f"Basic {token}"
        self._nc += 1
        return digest_response(user=self.camera.user, password=self.camera.password, method=method, uri=path,
                               challenge=self._challenge.params, nc=self._nc)

    def _with_credentials(self, method: str, path: str, call: str, body: bytes | None,
                          content_type: str | None, max_bytes: int) -> HttpReply:
        for fresh in (False, True):
            attempt = self.camera.budget.attempt(self.camera.host, call, target=self.camera.target)
            self.logins += 1
            try:
                reply = self._send(method, path, self._authorization(method, path), body, content_type, max_bytes)
            except BaseException:
                attempt.cancel()
                raise
            if reply.status != 401:
                attempt.ok()
                self._logged_in = True
                return reply
            # A 401 to a reused challenge whose nonce expired ("stale", or a new nonce for a session
            # already logged into) is not a wrong password: answer the new challenge, once.
            again = self._pick(reply.challenges, path) if reply.challenges else None
            if again is not None and not fresh and self._expired(again):
                attempt.cancel()
                self._challenge, self._nc = again, 0
                continue
            attempt.refused()
            raise AuthFailed(_("{target} refused the camera account for the {api} ({call}, HTTP 401).").format(
                target=self.camera.target, api=self.api, call=call), target=self.camera.target,
                hint=refusal_hint(self.camera.host, call))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- one exchange -------------------------------------------------------------------------------

    def _send(self, method: str, path: str, authorization: str | None, body: bytes | None,
              content_type: str | None, max_bytes: int) -> HttpReply:
        cam = self.camera
        target = cam.target
        seconds = cam.timeout_s
        deadline = time.monotonic() + seconds
        conn: http.client.HTTPConnection
        if cam.https:
            context = ssl.create_default_context()
            # Cameras ship self-signed certificates; the password still never goes to another host
            # (the host is the camera being worked on), and Digest never sends it in clear.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(cam.host, cam.port, timeout=seconds, context=context)
        else:
            conn = http.client.HTTPConnection(cam.host, cam.port, timeout=seconds)
        fired = threading.Event()

        def cut() -> None:
            fired.set()
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(seconds, cut)
        timer.daemon = True
        timer.start()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            conn.putheader("User-Agent", USER_AGENT)
            if authorization:
                conn.putheader("Authorization", authorization)
            if body is not None:
                conn.putheader("Content-Type", content_type or "application/octet-stream")
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            headers: dict[str, str] = {}
            for name, value in response.getheaders():
                key = name.lower()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
            challenges = parse_challenges(response.msg.get_all("WWW-Authenticate") or [])
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise self._too_big(path, max_bytes)
            data = bytearray()
            while chunk := response.read1(_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise self._too_big(path, max_bytes)
            if fired.is_set() or time.monotonic() > deadline:
                raise self._too_slow(path)
            return HttpReply(response.status, headers, bytes(data), challenges)
        except TimeoutError:
            raise self._too_slow(path) from None
        except (OSError, http.client.HTTPException) as exc:
            if fired.is_set():
                raise self._too_slow(path) from None
            if isinstance(exc, http.client.HTTPException) and not isinstance(exc, http.client.RemoteDisconnected):
                raise BadReply(_("{target} answered the {api} with something that is not HTTP ({reason}).").format(
                    target=target, api=self.api, reason=type(exc).__name__), target=target) from None
            raise Unreachable(_("{target}: no answer from the {api} ({reason}).").format(
                target=target, api=self.api, reason=getattr(exc, "strerror", None) or type(exc).__name__),
                target=target) from None
        finally:
            timer.cancel()
            conn.close()

    def _too_big(self, path: str, limit: int) -> BadReply:
        return BadReply(_("{target} sent more than {limit} bytes for {path}: not a reply the {api} gives.").format(
            target=self.camera.target, limit=limit, path=path.split("?", maxsplit=1)[0], api=self.api),
            target=self.camera.target, detail="too-big")

    def _too_slow(self, path: str) -> DeviceTimeout:
        return DeviceTimeout(_("{target} took more than {seconds:g} s to answer {path} of the {api}.").format(
            target=self.camera.target, seconds=self.camera.timeout_s, path=path.split("?", maxsplit=1)[0],
            api=self.api),
            target=self.camera.target)
