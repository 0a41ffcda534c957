"""WS-UsernameToken and HTTP Digest checking, server side, with the real algorithms."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from kitchencam.sim.wsse import (
    TYPE_DIGEST,
    TYPE_TEXT,
    AuthError,
    DigestAuthority,
    NonceCache,
    UsernameToken,
    UsernameTokenChecker,
    find_username_token,
    make_username_token_header,
    parse_created,
    password_digest,
)

CAMERA_NOW = datetime(2024, 11, 5, 8, 0, 0, tzinfo=timezone.utc)


def checker(window: float = 5.0) -> UsernameTokenChecker:
    return UsernameTokenChecker(lambda: {"admin": "admin123"}, lambda: CAMERA_NOW, window=window)


def token(password: str = "admin123", created: datetime = CAMERA_NOW, nonce: bytes = b"n" * 16,
          user: str = "admin") -> UsernameToken:
    text = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return UsernameToken(user, password_digest(nonce, text, password), TYPE_DIGEST, nonce, text)


def test_password_digest_is_the_oasis_formula() -> None:
    nonce, created = b"\x01\x02\x03", "2024-11-05T08:00:00Z"
    expected = base64.b64encode(hashlib.sha1(nonce + created.encode() + b"pw").digest()).decode()
    assert password_digest(nonce, created, "pw") == expected
    # The worked example of the UsernameToken profile's usual test vector.
    assert password_digest(base64.b64decode("LKqI6G/AikKCQrN0zqZFlg=="), "2010-09-16T07:50:45Z",
                           "userpassword") == "tuOSpGlFlIXsozq4HFNeeGeFLEI="


def test_good_digest_passes() -> None:
    assert checker().check(token()) == "admin"


def test_wrong_password_fails() -> None:
    with pytest.raises(AuthError, match="wrong password"):
        checker().check(token(password="nope"))


def test_unknown_user_fails() -> None:
    with pytest.raises(AuthError, match="unknown user"):
        checker().check(token(user="root"))


@pytest.mark.parametrize("delta", [-6.0, 6.0, -7200.0, 3600.0])
def test_created_outside_the_window_of_the_camera_clock_fails(delta: float) -> None:
    with pytest.raises(AuthError, match="outside"):
        checker().check(token(created=CAMERA_NOW + timedelta(seconds=delta)))


@pytest.mark.parametrize("delta", [-4.9, 0.0, 4.9])
def test_created_inside_the_window_passes(delta: float) -> None:
    assert checker().check(token(created=CAMERA_NOW + timedelta(seconds=delta), nonce=str(delta).encode()))


def test_replayed_nonce_fails_but_a_failed_try_does_not_burn_it() -> None:
    c = checker()
    with pytest.raises(AuthError):
        c.check(token(password="typo", nonce=b"same-nonce"))
    assert c.check(token(nonce=b"same-nonce")) == "admin"
    with pytest.raises(AuthError, match="replayed"):
        c.check(token(nonce=b"same-nonce"))


def test_password_text_is_accepted_and_checked() -> None:
    c = checker()
    assert c.check(UsernameToken("admin", "admin123", TYPE_TEXT, None, None)) == "admin"
    with pytest.raises(AuthError):
        c.check(UsernameToken("admin", "admin12", TYPE_TEXT, None, None))


def test_digest_without_nonce_fails() -> None:
    with pytest.raises(AuthError):
        checker().check(UsernameToken("admin", "x", TYPE_DIGEST, None, "2024-11-05T08:00:00Z"))


def test_nonce_cache_forgets_after_ttl_and_stays_bounded() -> None:
    cache = NonceCache(ttl=10, max_entries=3)
    assert cache.check_and_add(b"a", now=0)
    assert not cache.check_and_add(b"a", now=5)
    assert cache.check_and_add(b"a", now=20)
    for i, n in enumerate((b"b", b"c", b"d", b"e")):
        assert cache.check_and_add(n, now=21 + i)
    assert len(cache._seen) <= 3


@pytest.mark.parametrize("text", ["2024-11-05T08:00:00Z", "2024-11-05T08:00:00.123Z", "2024-11-05T15:00:00+07:00",
                                  "2024-11-05T08:00:00.1234567Z"])
def test_parse_created_accepts_what_clients_send(text: str) -> None:
    assert abs((parse_created(text) - CAMERA_NOW).total_seconds()) < 1


def test_parse_created_rejects_garbage() -> None:
    with pytest.raises(AuthError):
        parse_created("yesterday")


def test_header_round_trip() -> None:
    header = make_username_token_header("admin", "admin123", created=CAMERA_NOW, nonce=b"k" * 16)
    root = etree.fromstring(f'<h xmlns="http://www.w3.org/2003/05/soap-envelope">{header}</h>')
    tok = find_username_token(root)
    assert tok is not None
    assert tok.username == "admin"
    assert tok.nonce == b"k" * 16
    assert checker().check(tok) == "admin"


def _md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


def _digest_header(auth: DigestAuthority, user: str, password: str, method: str, uri: str, nc: str = "00000001",
                   challenge: str | None = None) -> str:
    ch = challenge or auth.challenge()
    nonce = ch.split('nonce="')[1].split('"')[0]
    ha1, ha2 = _md5(f"{user}:{auth.realm}:{password}"), _md5(f"{method}:{uri}")
    resp = _md5(f"{ha1}:{nonce}:{nc}:abcdef:auth:{ha2}")
    return (f'Digest username="{user}", realm="{auth.realm}", nonce="{nonce}", uri="{uri}", qop=auth, nc={nc}, '
            f'cnonce="abcdef", response="{resp}", opaque="{auth.opaque}", algorithm=MD5')


def test_http_digest_accepts_the_right_password_once_per_nc() -> None:
    auth = DigestAuthority("Login to 8H0A123", lambda: {"admin": "pw"})
    ch = auth.challenge()
    h = _digest_header(auth, "admin", "pw", "GET", "/snap.jpg", challenge=ch)
    assert auth.check("GET", "/snap.jpg", h) == ("admin", False)
    assert auth.check("GET", "/snap.jpg", h) == (None, False)  # same nc again: replay
    h2 = _digest_header(auth, "admin", "pw", "GET", "/snap.jpg", nc="00000002", challenge=ch)
    assert auth.check("GET", "/snap.jpg", h2) == ("admin", False)


def test_http_digest_rejects_wrong_password_uri_realm_and_forged_nonce() -> None:
    auth = DigestAuthority("r", lambda: {"admin": "pw"})
    assert auth.check("GET", "/a", _digest_header(auth, "admin", "bad", "GET", "/a"))[0] is None
    assert auth.check("GET", "/b", _digest_header(auth, "admin", "pw", "GET", "/a"))[0] is None
    other = DigestAuthority("r", lambda: {"admin": "pw"})
    assert auth.check("GET", "/a", _digest_header(other, "admin", "pw", "GET", "/a"))[0] is None
    assert auth.check("GET", "/a", None) == (None, False)
    assert auth.check("GET", "/a", "Basic YWRtaW46cHc=") == (None, False)


def test_http_digest_old_nonce_is_stale() -> None:
    auth = DigestAuthority("r", lambda: {"admin": "pw"}, nonce_lifetime=-10)
    assert auth.check("GET", "/a", _digest_header(auth, "admin", "pw", "GET", "/a")) == (None, True)
    assert "stale=TRUE" in auth.challenge(stale=True)
