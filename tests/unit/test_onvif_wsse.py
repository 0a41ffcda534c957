"""WS-UsernameToken digest, clock offset and the HTTP digest fallback, against a replay camera."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest

from kitchencam.errors import AuthFailed
from kitchencam.onvif.client import OnvifCamera, format_created, password_digest
from tests.replay import Reply, replay_camera, system_date_and_time

SCOPES = Reply.capture("onvif-nvt/axis/core/GetScopes.Response.xml")


def test_known_answer_from_onvif_programmers_guide() -> None:
    # ONVIF Application Programmer's Guide, 6.1.1.3 (user password "userpassword")
    nonce = base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==")
    assert password_digest(nonce, "2010-09-16T07:50:45Z", "userpassword") == "tuOSpGlFlIXsozq4HFNeeGeFLEI="


def test_digest_depends_on_every_input() -> None:
    nonce = base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==")
    ref = password_digest(nonce, "2010-09-16T07:50:45Z", "userpassword")
    assert password_digest(nonce, "2010-09-16T07:50:46Z", "userpassword") != ref
    assert password_digest(nonce[::-1], "2010-09-16T07:50:45Z", "userpassword") != ref
    assert password_digest(nonce, "2010-09-16T07:50:45Z", "userpassworD") != ref


def test_created_format() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=7)))
    assert format_created(moment) == "2024-01-01T20:04:05Z"


@pytest.mark.parametrize("offset_s", [0.0, 3 * 3600.0, -26 * 3600.0])
def test_token_is_accepted_with_camera_clock(offset_s: float) -> None:
    """The replay checks the digest and that Created is within 5 min of ITS clock."""
    routes = {"tds:GetScopes": SCOPES,
              "tds:GetSystemDateAndTime": lambda req: system_date_and_time(
                  datetime.now(timezone.utc) + timedelta(seconds=offset_s))}
    with replay_camera(routes, ws_password="s3cret", clock_offset_s=offset_s) as cam, \
            OnvifCamera(cam.target, user="admin", password="s3cret") as camera:
        camera.measure_clock()
        assert camera.clock_offset_s == pytest.approx(offset_s, abs=2)
        camera.device.get_scopes()
        camera.device.get_scopes()
    tokens = [r for r in cam.requests if r.operation == "tds:GetScopes"]
    assert len(tokens) == 2
    assert tokens[0].nonce != tokens[1].nonce, "a fresh Nonce per request"
    assert len(base64.b64decode(tokens[0].nonce or "")) == 16
    assert cam.requests[0].username is None, "the time is asked without credentials"


def test_without_offset_a_skewed_camera_refuses() -> None:
    routes = {"tds:GetScopes": SCOPES}
    with replay_camera(routes, ws_password="s3cret", clock_offset_s=3600) as cam, \
            OnvifCamera(cam.target, user="admin", password="s3cret") as camera, pytest.raises(AuthFailed):
        camera.device.get_scopes()  # no measure_clock(): Created is an hour off


def test_wrong_password_is_auth_failed() -> None:
    with replay_camera({"tds:GetScopes": SCOPES}, ws_password="right") as cam, \
            OnvifCamera(cam.target, user="admin", password="wrong") as camera, pytest.raises(AuthFailed):
        camera.device.get_scopes()


def test_http_digest_fallback_is_remembered() -> None:
    with replay_camera({"tds:GetScopes": SCOPES}, digest_password="pw") as cam, \
            OnvifCamera(cam.target, user="admin", password="pw") as camera:
        camera.device.get_scopes()
        assert camera.uses_http_digest
        first = len(cam.requests)
        camera.device.get_scopes()
    # first call: 401, then digest (requests' handshake); afterwards digest straight away
    assert first >= 2
    assert cam.requests[0].headers.get("Authorization") is None
    assert cam.requests[-1].headers.get("Authorization", "").startswith("Digest ")
    assert len(cam.requests) == first + 1


def test_http_digest_wrong_password_is_auth_failed() -> None:
    with replay_camera({"tds:GetScopes": SCOPES}, digest_password="pw") as cam, \
            OnvifCamera(cam.target, user="admin", password="nope") as camera, \
            pytest.raises(AuthFailed, match=cam.target):
        camera.device.get_scopes()


def test_password_never_in_repr() -> None:
    camera = OnvifCamera("127.0.0.1:9", user="admin", password="hunter2")
    assert "hunter2" not in repr(camera)
    assert "hunter2" not in repr(camera._wsse)
    camera.close()
