"""Authentication between the real client and the simulator: passwords, clocks, replays, HTTP digest.

The simulator checks WS-UsernameToken PasswordDigest with the real formula against its own
(skewed) clock within ±5 s and refuses a nonce it has seen; Hikvision personas answer a failed
WS-Security login with HTTP 401 + Digest and accept HTTP digest instead.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
import requests

from kitchencam.errors import AuthFailed, ClockSkew, ExitCode
from kitchencam.logins import BUDGET
from kitchencam.onvif.client import format_created, password_digest
from kitchencam.onvif.read import read_facts

if TYPE_CHECKING:  # tests/integration is no package: the fixture's class is for readers and type checkers
    from conftest import Sim

TDS = "http://www.onvif.org/ver10/device/wsdl"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
SOAP12 = "application/soap+xml; charset=utf-8"


def signed_envelope(user: str, password: str, clock_offset_s: float, operation: str) -> bytes:
    """A SOAP 1.2 request with a WS-UsernameToken made by the client's own digest function."""
    created = format_created(datetime.now(timezone.utc) + timedelta(seconds=clock_offset_s))
    nonce = secrets.token_bytes(16)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="{TDS}">'
        f'<s:Header><wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken>'
        f"<wsse:Username>{user}</wsse:Username>"
        f'<wsse:Password Type="{DIGEST_TYPE}">{password_digest(nonce, created, password)}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created}</wsu:Created>"
        f"</wsse:UsernameToken></wsse:Security></s:Header>"
        f"<s:Body><tds:{operation}/></s:Body></s:Envelope>"
    ).encode()


def post(url: str, body: bytes) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False  # loopback only, never through a proxy
        return session.post(url, data=body, headers={"Content-Type": SOAP12}, timeout=3)


def test_wrong_password_is_auth_failed(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2-ready")  # clock right: nothing but the password can be wrong
    client = sim.client(cam, password="not-the-password")
    with pytest.raises(AuthFailed) as err:
        read_facts(client)
    assert type(err.value) is AuthFailed
    assert err.value.exit_code == ExitCode.AUTH_FAILED
    assert f"{cam.ip}:{cam.http_port}" in err.value.message
    assert "not-the-password" not in str(err.value)
    # The camera's clock was read (no credentials needed) before the login was refused.
    assert client.clock_offset_s is not None
    assert abs(client.clock_offset_s) < 2.0


def test_wrong_user_on_a_skewed_camera_is_auth_failed_with_a_clock_note(sim: Sim) -> None:
    """The client corrected its token by the offset, so the clock is not the cause of the
    refusal: AuthFailed (not ClockSkew), with a note that the clock is off too."""
    cam = sim.camera("dahua-wizsense2")  # 2 h behind
    client = sim.client(cam, user="nobody")
    with pytest.raises(AuthFailed) as err:
        read_facts(client)
    assert type(err.value) is AuthFailed
    assert "user name or password" in err.value.message
    assert err.value.hint is not None
    assert re.search(r"clock is also -(7199|7200|7201) s off", err.value.hint), err.value.hint
    assert err.value.exit_code == ExitCode.AUTH_FAILED


def test_large_clock_skew_is_read_with_the_measured_offset(sim: Sim) -> None:
    cam = sim.camera("generic-720p", faults=["clock-skew=7200"])
    client = sim.client(cam)
    facts = read_facts(client)
    assert facts.read_errors == []
    assert facts.time is not None
    assert facts.time.clock_offset_s is not None
    assert abs(facts.time.clock_offset_s - 7200) < 2.0
    assert facts.time.utc is not None
    assert abs((facts.time.utc - facts.read_at).total_seconds() - 7200) < 3.0
    assert facts.device_info is not None
    assert facts.device_info.model == "IPC-720P-H264"


def test_skewed_camera_refuses_an_uncorrected_token(sim: Sim) -> None:
    """Forced to our own clock (offset 0), the token is 2 h off the camera's: refused.

    With ``clock_offset_s = 0`` the client no longer knows about the skew either, so the
    classifier can only say AuthFailed; restoring the measured offset makes the same call work.
    """
    cam = sim.camera("generic-720p", faults=["clock-skew=7200"])
    client = sim.client(cam)
    client.connect()
    measured = client.clock_offset_s
    assert measured is not None
    assert abs(measured - 7200) < 2.0
    client.clock_offset_s = 0.0
    with pytest.raises(AuthFailed) as err:
        client.device.get_device_information()
    assert type(err.value) is AuthFailed
    # That refusal stopped logins to the camera for this run (kitchencam/logins.py): a new run.
    BUDGET.reset()
    client.clock_offset_s = measured
    assert client.device.get_device_information().Model == "IPC-720P-H264"


def test_uncorrected_token_with_known_skew_is_clock_skew_naming_the_offset(sim: Sim) -> None:
    """The client knows the camera is 2 h off but its token does not carry the correction.

    That is what a firmware that checks wsu:Created against another clock than the one it
    reports looks like; the error must name the offset and send the technician to the clock.
    """
    cam = sim.camera("generic-720p", faults=["clock-skew=7200"])
    client = sim.client(cam)
    client.connect()
    client.apply_clock_offset = False  # the measured offset is kept, the token ignores it
    with pytest.raises(ClockSkew) as err:
        client.device.get_device_information()
    # The camera reports whole seconds: the offset it names is 7200 give or take one.
    assert re.search(r"its clock is (7199|7200|7201) s off", err.value.message), err.value.message
    assert "date and time" in err.value.message
    assert err.value.exit_code == ExitCode.AUTH_FAILED


def test_replayed_token_is_refused(sim: Sim) -> None:
    cam = sim.camera("dahua-lite-s2")  # 40 s ahead: the token must carry the offset
    client = sim.client(cam)
    offset = client.measure_clock()
    assert offset is not None
    body = signed_envelope(cam.user, cam.password or "", offset, "GetDeviceInformation")

    first = post(cam.device_xaddr, body)
    assert first.status_code == 200
    assert "IPC-HFW2231S-S-S2" in first.text
    replay = post(cam.device_xaddr, body)
    assert replay.status_code == 400
    assert "NotAuthorized" in replay.text
    assert "IPC-HFW2231S-S-S2" not in replay.text
    # A fresh nonce is fine again: only the replay was refused.
    fresh = post(cam.device_xaddr, signed_envelope(cam.user, cam.password or "", offset, "GetDeviceInformation"))
    assert fresh.status_code == 200


def test_token_outside_the_five_second_window_is_refused(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2-ready")
    reply = post(cam.device_xaddr, signed_envelope(cam.user, cam.password or "", 30.0, "GetDeviceInformation"))
    assert reply.status_code == 400
    assert "NotAuthorized" in reply.text


@pytest.mark.parametrize("persona", ["hikvision-ds2cd1023g0e-i", "hikvision-ds2cd2023g2-i"])
def test_hikvision_falls_back_to_http_digest(sim: Sim, persona: str) -> None:
    """A refused WS-Security token gets HTTP 401 + Digest; the client retries with digest and keeps it."""
    cam = sim.camera(persona, faults=["clock-skew=600"])
    client = sim.client(cam)
    client.connect()
    assert client.uses_http_digest is False  # WS-Security with the measured offset was accepted
    # Make the WS-Security token unacceptable (10 min off the camera's clock): only digest can work.
    client.clock_offset_s = 0.0
    info = client.device.get_device_information()
    assert info.Manufacturer == "HIKVISION"
    assert client.uses_http_digest is True

    facts = read_facts(client)
    assert facts.auth == "http-digest"
    assert facts.read_errors == []
    assert facts.device_info is not None
    assert facts.device_info.model == cam.persona.model
    assert [(u.name, u.level) for u in facts.users] == [("admin", "Administrator")]


def test_hikvision_answers_a_bad_token_with_401_digest(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i")
    reply = post(cam.device_xaddr, signed_envelope(cam.user, "wrong", 0.0, "GetDeviceInformation"))
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Digest ")
    assert "NotAuthorized" in reply.text


def test_hikvision_wrong_password_fails_after_the_digest_retry(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i")
    client = sim.client(cam, password="Hik99999")
    with pytest.raises(AuthFailed) as err:
        read_facts(client)
    assert type(err.value) is AuthFailed
    assert client.uses_http_digest is True  # it did try digest before giving up
