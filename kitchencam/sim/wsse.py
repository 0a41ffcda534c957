"""Authentication as a camera does it: WS-UsernameToken and HTTP Digest, server side.

WS-UsernameToken (OASIS UsernameToken Profile 1.0, ONVIF Core 5.12.2):
``PasswordDigest = Base64(SHA1(nonce + created + password))`` where ``nonce`` is the decoded
bytes of ``wsse:Nonce`` and ``created`` the literal text of ``wsu:Created``. ``PasswordText``
carries the password itself. The ``Created`` time is judged against the camera's OWN clock
(host UTC + skew), within ``window`` seconds either side; a nonce seen before (within the time
it could still be valid) is a replay.

HTTP Digest (RFC 7616, MD5, qop=auth; RFC 2617 clients without qop are accepted too): the
server nonce is self-validating (time stamp + HMAC), so it needs no table; a nonce older than
``nonce_lifetime`` gets ``stale=true`` so clients retry silently. ``nc`` values are tracked per
nonce so a replayed request is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from lxml import etree

NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TYPE_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/"
               "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")
TYPE_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"


class AuthError(Exception):
    """Why a request was not authenticated (for logs and tests; the client sees a generic fault)."""


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA1(nonce + created + password)), the UsernameToken PasswordDigest."""
    sha = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8"))  # noqa: S324 (the spec's algorithm)
    return base64.b64encode(sha.digest()).decode("ascii")


def parse_created(text: str) -> datetime:
    """xsd:dateTime as clients send it: with Z or an offset, optional fractions of a second."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # Python 3.10's fromisoformat accepts only 3 or 6 fraction digits: normalise to 6.
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?([+-]\d\d:\d\d)?", value)
    if not m:
        raise AuthError(f"wsu:Created is not an xsd:dateTime: {text!r}")
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    parsed = datetime.fromisoformat(f"{m.group(1)}.{frac}{m.group(3) or '+00:00'}")
    return parsed.astimezone(timezone.utc)


class NonceCache:
    """Recently seen nonces, forgotten once they are too old to pass the Created check anyway."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def check_and_add(self, nonce: bytes, now: float | None = None) -> bool:
        """True if ``nonce`` is new (and remember it); False for a replay."""
        t = time.monotonic() if now is None else now
        with self._lock:
            while self._seen:
                oldest, seen_at = next(iter(self._seen.items()))
                if t - seen_at <= self.ttl and len(self._seen) < self.max_entries:
                    break
                del self._seen[oldest]
            if nonce in self._seen:
                return False
            self._seen[nonce] = t
            return True


@dataclass(frozen=True)
class UsernameToken:
    username: str
    password: str
    password_type: str  # TYPE_DIGEST or TYPE_TEXT
    nonce: bytes | None
    created: str | None


def find_username_token(header: etree._Element | None) -> UsernameToken | None:
    """The UsernameToken inside a SOAP Header (None when there is none)."""
    if header is None:
        return None
    token = header.find(f"{{{NS_WSSE}}}Security/{{{NS_WSSE}}}UsernameToken")
    if token is None:
        return None
    username = (token.findtext(f"{{{NS_WSSE}}}Username") or "").strip()
    pw_el = token.find(f"{{{NS_WSSE}}}Password")
    password = (pw_el.text or "") if pw_el is not None else ""
    pw_type = (pw_el.get("Type") if pw_el is not None else None) or TYPE_TEXT
    nonce_text = token.findtext(f"{{{NS_WSSE}}}Nonce")
    nonce: bytes | None = None
    if nonce_text is not None:
        try:
            nonce = base64.b64decode(nonce_text.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AuthError("wsse:Nonce is not base64") from exc
    created = token.findtext(f"{{{NS_WSU}}}Created")
    return UsernameToken(username, password, pw_type.strip(), nonce, created.strip() if created else None)


class UsernameTokenChecker:
    """Checks UsernameTokens against a user table and a clock, as the camera's firmware does."""

    def __init__(self, passwords: Callable[[], Mapping[str, str]], clock: Callable[[], datetime],
                 window: float = 5.0) -> None:
        self._passwords = passwords
        self._clock = clock
        self.window = window
        # A nonce can only be replayed while its Created is inside the window: remember it that long.
        self.nonces = NonceCache(ttl=2 * window + 1.0)

    def check(self, token: UsernameToken) -> str:
        """The authenticated username, or AuthError with the reason."""
        known = self._passwords()
        if token.username not in known:
            raise AuthError(f"unknown user {token.username!r}")
        password = known[token.username]
        if token.password_type == TYPE_TEXT:
            if not hmac.compare_digest(token.password.encode(), password.encode()):
                raise AuthError("wrong password (PasswordText)")
            return token.username
        if token.password_type != TYPE_DIGEST:
            raise AuthError(f"unsupported password type {token.password_type!r}")
        if token.nonce is None or token.created is None:
            raise AuthError("PasswordDigest without Nonce or Created")
        created = parse_created(token.created)
        now = self._clock()
        if abs((created - now).total_seconds()) > self.window:
            raise AuthError(f"wsu:Created {token.created} is outside +-{self.window:g} s of the camera "
                            f"clock {now.isoformat()}")
        expected = password_digest(token.nonce, token.created, password)
        if not hmac.compare_digest(expected.encode(), token.password.strip().encode()):
            raise AuthError("wrong password (PasswordDigest)")
        # Only a token that is otherwise valid burns its nonce (so a typo does not lock it).
        if not self.nonces.check_and_add(token.nonce + token.created.encode()):
            raise AuthError("nonce replayed")
        return token.username


def make_username_token_header(username: str, password: str, created: datetime | None = None,
                               nonce: bytes | None = None, digest: bool = True) -> str:
    """A wsse:Security header as clients send it (for tests and the demo client)."""
    when = (created or datetime.now(timezone.utc)).astimezone(timezone.utc)
    created_text = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    nonce_bytes = os.urandom(16) if nonce is None else nonce
    if digest:
        pw, pw_type = password_digest(nonce_bytes, created_text, password), TYPE_DIGEST
    else:
        pw, pw_type = password, TYPE_TEXT
    return (
        f'<wsse:Security xmlns:wsse="{NS_WSSE}" xmlns:wsu="{NS_WSU}"><wsse:UsernameToken>'
        f"<wsse:Username>{username}</wsse:Username>"
        f'<wsse:Password Type="{pw_type}">{pw}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce_bytes).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created_text}</wsu:Created>"
        "</wsse:UsernameToken></wsse:Security>"
    )


# ---------------------------------------------------------------------------------------------
# HTTP Digest, server side.

_AUTH_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_digest_header(value: str) -> dict[str, str] | None:
    """The parameters of an ``Authorization: Digest ...`` header (None if not Digest)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params: dict[str, str] = {}
    for m in _AUTH_PARAM.finditer(rest):
        params[m.group(1).lower()] = m.group(2) if m.group(2) is not None else m.group(3)
    return params


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 (RFC 2617 MD5 digest)


class DigestAuthority:
    """RFC 7616 MD5 Digest with qop=auth, as the cameras' web servers implement it."""

    def __init__(self, realm: str, passwords: Callable[[], Mapping[str, str]],
                 nonce_lifetime: float = 300.0, secret: bytes | None = None) -> None:
        self.realm = realm
        self._passwords = passwords
        self.nonce_lifetime = nonce_lifetime
        self._secret = secret or os.urandom(16)
        self._nc_seen: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self.opaque = hashlib.sha256(self._secret + b"opaque").hexdigest()[:32]

    def _nonce(self, issued: float | None = None) -> str:
        stamp = f"{(time.time() if issued is None else issued):.6f}"
        mac = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        return base64.b64encode(f"{stamp} {mac}".encode()).decode("ascii")

    def _nonce_age(self, nonce: str) -> float | None:
        try:
            stamp, mac = base64.b64decode(nonce, validate=True).decode("ascii").split(" ")
            issued = float(stamp)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        expected = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, expected):
            return None
        return time.time() - issued

    def challenge(self, stale: bool = False) -> str:
        """A ``WWW-Authenticate`` header value."""
        value = (f'Digest realm="{self.realm}", qop="auth", nonce="{self._nonce()}", '
                 f'opaque="{self.opaque}", algorithm=MD5')
        return value + (", stale=TRUE" if stale else "")

    def check(self, method: str, uri: str, header: str | None) -> tuple[str | None, bool]:
        """(username or None, stale). ``uri`` is the request-target the client sent."""
        if not header:
            return None, False
        p = parse_digest_header(header)
        if p is None:
            return None, False
        username, nonce, response = p.get("username"), p.get("nonce"), p.get("response")
        if not username or not nonce or not response:
            return None, False
        if p.get("realm") != self.realm or p.get("uri") != uri:
            return None, False
        if p.get("algorithm", "MD5").upper() != "MD5":
            return None, False
        age = self._nonce_age(nonce)
        if age is None:
            return None, False
        password = self._passwords().get(username)
        if password is None:
            return None, False
        ha1 = _md5(f"{username}:{self.realm}:{password}")
        ha2 = _md5(f"{method}:{uri}")
        qop = p.get("qop")
        if qop is not None:
            nc, cnonce = p.get("nc", ""), p.get("cnonce", "")
            if qop != "auth" or not re.fullmatch(r"[0-9a-fA-F]{8}", nc) or not cnonce:
                return None, False
            expected = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
        else:
            nc = ""
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        if not hmac.compare_digest(expected, response.lower()):
            return None, False
        if age > self.nonce_lifetime or age < -1:
            return None, True  # right password, old nonce: ask again with stale=TRUE
        if nc and not self._nc_fresh(nonce, int(nc, 16)):
            return None, False
        return username, False

    def _nc_fresh(self, nonce: str, nc: int) -> bool:
        with self._lock:
            last = self._nc_seen.get(nonce, 0)
            if nc <= last:
                return False
            self._nc_seen[nonce] = nc
            self._nc_seen.move_to_end(nonce)
            while len(self._nc_seen) > 4096:
                self._nc_seen.popitem(last=False)
            return True


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def skewed_clock(skew: Callable[[], float]) -> Callable[[], datetime]:
    """A clock that runs ``skew()`` seconds ahead of host UTC."""
    return lambda: utc_now() + timedelta(seconds=skew())
