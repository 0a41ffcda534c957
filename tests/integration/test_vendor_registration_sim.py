"""Outbound registrations (issue 15) written through the vendor APIs of simulated cameras, on loopback.

For each kind: set_registration writes the settings and returns the registration as it was (the
backup, never a secret); read() reports it; the simulated camera holds it (its own state, what
``dialouts()`` hands the simulated dial-out, and a raw Digest GET); restore_registration puts the
backup back. Bad values are refused before anything is sent; a refused write changes nothing and
is a classified error; a secret never shows in read(), a repr, a log or an exception."""

from __future__ import annotations

import http.client
import logging

import pytest
from pydantic import SecretStr

from kitchencam.errors import AuthFailed, ConfigError, DeviceFault, NotSupported
from kitchencam.logins import LoginBudget
from kitchencam.rtsp import digest_response, parse_challenges
from kitchencam.sim import dahua_api, hikvision_api
from kitchencam.sim.camera import SimCamera, UserState
from kitchencam.sim.vendorapi import DIALOUT_STATUS
from kitchencam.vendors.base import Registration, RegistrationTarget, VendorAdapter, VendorCamera
from kitchencam.vendors.dahua import DahuaAdapter
from kitchencam.vendors.hikvision import HikvisionAdapter
from tests.integration.conftest import Sim

DAHUA = "dahua-wizsense2"
HIK = "hikvision-ds2cd2023g2-i"
ISUP_KEY = "Isup-Key-7f3a9c"
GB_PASSWORD = "Gb-Pass-2e81d4"
HC_CODE = "ABCDEF"
GB_DEVICE = "34020000001320000001"
GB_SERVER = "34020000002000000001"


def dahua(cam: SimCamera, *, user: str | None = None, password: str | None = None,
          budget: LoginBudget | None = None) -> DahuaAdapter:
    return DahuaAdapter(VendorCamera(cam.ip, cam.http_port, user or cam.user, password or cam.password,
                                     budget=budget or LoginBudget(), timeout_s=3.0))


def hik(cam: SimCamera, *, user: str | None = None, password: str | None = None,
        budget: LoginBudget | None = None) -> HikvisionAdapter:
    return HikvisionAdapter(VendorCamera(cam.ip, cam.http_port, user or cam.user, password or cam.password,
                                         budget=budget or LoginBudget(), timeout_s=3.0))


def raw(cam: SimCamera, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """A plain Digest request: what the camera holds, not what the adapter parsed."""
    conn = http.client.HTTPConnection(cam.ip, cam.http_port, timeout=3.0)
    try:
        conn.request(method, path, body=body)
        first = conn.getresponse()
        first.read()
        challenge = next(c for c in parse_challenges(first.msg.get_all("WWW-Authenticate") or [])
                         if c.scheme == "digest")
        auth = digest_response(user=cam.user, password=cam.password or "", method=method, uri=path,
                               challenge=challenge.params)
        conn.request(method, path, body=body, headers={"Authorization": auth})
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def registration(adapter: VendorAdapter, kind: str) -> Registration:
    facts = adapter.read()
    told = facts.registration(kind)  # type: ignore[arg-type]
    assert told is not None, facts.read_errors
    return told.value


def state(cam: SimCamera) -> dict[str, object]:
    with cam._lock:
        return {k: v for k, v in cam.vendor_state.items() if k != DIALOUT_STATUS}


def viewer(cam: SimCamera) -> None:
    with cam._lock:
        cam.state.users["viewer"] = UserState("Viewer-Pw1", "User", False)


# --- Dahua: DVRIP Auto Register -------------------------------------------------------------------


def test_dahua_auto_register_set_read_back_and_restored(sim: Sim) -> None:
    cam = sim.camera(DAHUA)
    adapter = dahua(cam)
    found = registration(adapter, "auto-register")
    assert (found.enabled, found.server, found.port, found.device_id, found.status) == (
        False, "0.0.0.0", 7000, cam.serial, None)
    before = adapter.set_registration(RegistrationTarget(kind="auto-register", server="127.0.0.5", port=9500,
                                                         device_id="KC-0101-01"))
    assert before == found
    now = registration(dahua(cam), "auto-register")
    assert (now.enabled, now.server, now.port, now.device_id, now.status) == (
        True, "127.0.0.5", 9500, "KC-0101-01", None)  # Dahua's HTTP API tells no register status
    [out] = dahua_api.dialouts(cam)
    assert (out.kind, out.enabled, out.host, out.port, out.device_id) == (
        "auto-register", True, "127.0.0.5", 9500, "KC-0101-01")
    status, body = raw(cam, "GET", "/cgi-bin/configManager.cgi?action=getConfig&name=DVRIP")
    assert status == 200
    assert b"table.DVRIP.RegisterServer.Servers[0].Address=127.0.0.5\r\n" in body
    assert b"table.DVRIP.RegisterServer.Enable=true\r\n" in body
    dahua(cam).restore_registration(before)
    assert registration(dahua(cam), "auto-register") == found


def test_dahua_host_name_target(sim: Sim) -> None:
    cam = sim.camera(DAHUA)
    dahua(cam).set_registration(RegistrationTarget(kind="auto-register", server="dss.district.example", port=7000))
    assert registration(dahua(cam), "auto-register").server == "dss.district.example"


@pytest.mark.parametrize(("field", "value"), [
    ("server", "evil.example&DVRIP.TCPPort=1"), ("server", "centre.example\r\nX-Injected: 1"),
    ("server", "centre example"), ("server", "centre.example=1"), ("server", ""), ("server", "1.2.3.999"),
    ("device_id", "KC&DVRIP.RegisterServer.Enable=false"), ("device_id", "id with space"),
    ("device_id", "x" * 65)])
def test_dahua_bad_values_are_refused_before_anything_is_sent(sim: Sim, field: str, value: str) -> None:
    cam = sim.camera(DAHUA)
    held = state(cam)
    adapter = dahua(cam)
    target = RegistrationTarget.model_validate({"kind": "auto-register", "port": 7000, field: value})
    with pytest.raises(ConfigError) as raised:
        adapter.set_registration(target)
    assert "\n" not in str(raised.value)
    assert (not value or value not in str(raised.value))
    assert adapter.http.logins == 0  # nothing reached the camera
    assert state(cam) == held


def test_dahua_restore_refuses_a_backup_it_cannot_send(sim: Sim) -> None:
    cam = sim.camera(DAHUA)
    adapter = dahua(cam)
    with pytest.raises(ConfigError):
        adapter.restore_registration(Registration(kind="auto-register", enabled=False, server="a&b=c"))
    assert adapter.http.logins == 0


def test_dahua_a_refused_set_changes_nothing(sim: Sim) -> None:
    cam = sim.camera(DAHUA)
    viewer(cam)
    held = state(cam)
    with pytest.raises(DeviceFault) as raised:
        dahua(cam, user="viewer", password="Viewer-Pw1").set_registration(
            RegistrationTarget(kind="auto-register", server="127.0.0.5", port=9500))
    assert "not changed" in str(raised.value)
    assert state(cam) == held

    faulty = sim.camera(DAHUA, faults=["fault-on=setConfig"])
    held = state(faulty)
    with pytest.raises(DeviceFault) as raised:
        dahua(faulty).set_registration(RegistrationTarget(kind="auto-register", server="127.0.0.5", port=9500))
    assert raised.value.subcode == "HTTP 500"
    assert state(faulty) == held


def test_dahua_wrong_password_spends_one_login_and_writes_nothing(sim: Sim) -> None:
    cam = sim.camera(DAHUA)
    held = state(cam)
    budget = LoginBudget()
    adapter = dahua(cam, password="wrong-Pw9", budget=budget)
    with pytest.raises(AuthFailed):
        adapter.set_registration(RegistrationTarget(kind="auto-register", server="127.0.0.5", port=9500))
    assert adapter.http.logins == 1
    assert len(budget.refused_calls(cam.ip)) == 1
    assert state(cam) == held


def test_dahua_other_kinds_are_not_supported_and_cost_nothing(sim: Sim) -> None:
    cam = sim.camera(DAHUA)
    adapter = dahua(cam)
    assert adapter.registration_kinds == ("auto-register",)
    for kind in ("isup", "gb28181", "hik-connect"):
        with pytest.raises(NotSupported):
            adapter.set_registration(RegistrationTarget(kind=kind, server="127.0.0.5", port=5060))
    assert adapter.http.logins == 0


# --- Hikvision: ISUP, Hik-Connect, GB28181 ----------------------------------------------------------


def test_isup_set_read_back_restored_and_the_key_never_shows(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cam = sim.camera(HIK)
    adapter = hik(cam)
    found = registration(adapter, "isup")
    assert (found.enabled, found.status) == (False, "offline")
    target = RegistrationTarget(kind="isup", server="127.0.0.6", port=7661, device_id="KC-0101-02",
                                secret=SecretStr(ISUP_KEY), protocol_version="v5.0")
    assert ISUP_KEY not in repr(target)
    assert ISUP_KEY not in str(target.model_dump())
    before = adapter.set_registration(target)
    assert before == found
    assert ISUP_KEY not in before.model_dump_json()
    facts = hik(cam).read()
    now = facts.registration("isup")
    assert now is not None
    assert (now.value.enabled, now.value.server, now.value.port, now.value.device_id, now.value.protocol_version,
            now.value.status) == (True, "127.0.0.6", 7661, "KC-0101-02", "v5.0", "offline")
    assert ISUP_KEY not in facts.model_dump_json()
    assert ISUP_KEY not in repr(facts)
    out = next(d for d in hikvision_api.dialouts(cam) if d.kind == "isup")
    assert (out.enabled, out.host, out.port, out.device_id, out.secret) == (
        True, "127.0.0.6", 7661, "KC-0101-02", ISUP_KEY)
    status, body = raw(cam, "GET", "/ISAPI/System/Network/Ehome")
    assert status == 200
    assert b"<ipAddress>127.0.0.6</ipAddress>" in body
    assert ISUP_KEY.encode() not in body
    assert ISUP_KEY not in caplog.text
    hik(cam).restore_registration(before)
    back = registration(hik(cam), "isup")
    assert back == found


def test_isup_register_status_follows_the_dial_out(sim: Sim) -> None:
    cam = sim.camera(HIK)
    hik(cam).set_registration(RegistrationTarget(kind="isup", server="centre.district.example", port=7660,
                                                 device_id="KC-7", secret=SecretStr(ISUP_KEY)))
    with cam._lock:
        cam.vendor_state[DIALOUT_STATUS] = {"isup": "online"}
    now = registration(hik(cam), "isup")
    assert (now.server, now.status) == ("centre.district.example", "online")
    _status, body = raw(cam, "GET", "/ISAPI/System/Network/Ehome")
    assert b"<addressingFormatType>hostname</addressingFormatType>" in body
    assert b"<registerStatus>true</registerStatus>" in body
    assert next(d for d in hikvision_api.dialouts(cam) if d.kind == "isup").host == "centre.district.example"


def test_gb28181_set_read_back_and_restored(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cam = sim.camera(HIK)
    found = registration(hik(cam), "gb28181")
    assert (found.enabled, found.status) == (False, "offline")
    before = hik(cam).set_registration(RegistrationTarget(
        kind="gb28181", server="127.0.0.7", port=15060, device_id=GB_DEVICE, server_id=GB_SERVER,
        domain="3402000000", secret=SecretStr(GB_PASSWORD)))
    assert before == found
    facts = hik(cam).read()
    now = facts.registration("gb28181")
    assert now is not None
    assert (now.value.enabled, now.value.server, now.value.port, now.value.device_id, now.value.protocol_version,
            now.value.status) == (True, "127.0.0.7", 15060, GB_DEVICE, GB_SERVER, "offline")
    assert GB_PASSWORD not in facts.model_dump_json()
    out = next(d for d in hikvision_api.dialouts(cam) if d.kind == "gb28181")
    assert (out.enabled, out.host, out.port, out.device_id, out.secret, out.server_id, out.domain) == (
        True, "127.0.0.7", 15060, GB_DEVICE, GB_PASSWORD, GB_SERVER, "3402000000")
    status, body = raw(cam, "GET", "/ISAPI/System/Network/SIP")
    assert status == 200
    assert GB_PASSWORD.encode() not in body
    assert GB_PASSWORD not in caplog.text
    with cam._lock:
        cam.vendor_state[DIALOUT_STATUS] = {"gb28181": "online"}
    assert registration(hik(cam), "gb28181").status == "online"
    hik(cam).restore_registration(before)
    with cam._lock:
        assert cam.vendor_state["gb28181"] is False
        cam.vendor_state[DIALOUT_STATUS] = {"gb28181": "offline"}  # as the dial-out says once disabled
    assert registration(hik(cam), "gb28181") == found


def test_hik_connect_set_with_its_verification_code_and_restored(sim: Sim) -> None:
    cam = sim.camera(HIK)
    found = registration(hik(cam), "hik-connect")
    before = hik(cam).set_registration(RegistrationTarget(kind="hik-connect", secret=SecretStr(HC_CODE)))
    assert before == found
    assert found.enabled is False
    facts = hik(cam).read()
    now = facts.registration("hik-connect")
    assert now is not None
    assert (now.value.enabled, now.value.status) == (True, "offline")
    assert facts.p2p is not None
    assert facts.p2p.value.enabled is True
    with cam._lock:
        assert cam.vendor_state["ezviz_code"] == HC_CODE
    _status, body = raw(cam, "GET", "/ISAPI/System/Network/EZVIZ")
    assert HC_CODE.encode() not in body
    hik(cam).restore_registration(before)
    assert registration(hik(cam), "hik-connect").enabled is False


@pytest.mark.parametrize(("kind", "fields"), [
    ("isup", {"server": "centre.example&x=1"}), ("isup", {"server": "centre.example\r\nX: 1"}),
    ("isup", {"server": "<centre/>"}), ("isup", {"device_id": "KC 01"}),
    ("isup", {"protocol_version": "v5.0<x/>"}), ("isup", {"secret": SecretStr("key with space")}),
    ("gb28181", {"device_id": "3402000000132000000"}), ("gb28181", {"server_id": "abc"}),
    ("gb28181", {"domain": "34020&00000"}), ("gb28181", {"secret": SecretStr("pw\r\nx")}),
    ("hik-connect", {"server": "a b"})])
def test_hikvision_bad_values_are_refused_before_anything_is_sent(sim: Sim, kind: str,
                                                                  fields: dict[str, object]) -> None:
    cam = sim.camera(HIK)
    held = state(cam)
    adapter = hik(cam)
    with pytest.raises(ConfigError) as raised:
        adapter.set_registration(RegistrationTarget(kind=kind, **fields))  # type: ignore[arg-type]
    for value in fields.values():
        plain = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        assert plain not in str(raised.value)
    assert adapter.http.logins == 0
    assert state(cam) == held


def test_hikvision_a_refused_set_changes_nothing_and_never_shows_the_key(sim: Sim) -> None:
    cam = sim.camera(HIK)
    viewer(cam)
    held = state(cam)
    target = RegistrationTarget(kind="isup", server="127.0.0.6", port=7661, device_id="KC-1",
                                secret=SecretStr(ISUP_KEY))
    with pytest.raises(DeviceFault) as raised:
        hik(cam, user="viewer", password="Viewer-Pw1").set_registration(target)
    assert "HTTP 403" in str(raised.value)
    assert ISUP_KEY not in str(raised.value)
    assert state(cam) == held

    faulty = sim.camera(HIK, faults=["fault-on=System/Network/SIP"])
    held = state(faulty)
    with pytest.raises(DeviceFault):
        hik(faulty).set_registration(RegistrationTarget(kind="gb28181", server="127.0.0.7", port=15060,
                                                        secret=SecretStr(GB_PASSWORD)))
    assert state(faulty) == held


def test_hikvision_wrong_password_spends_one_login_and_writes_nothing(sim: Sim) -> None:
    cam = sim.camera(HIK)
    held = state(cam)
    adapter = hik(cam, password="wrong-Pw9")
    with pytest.raises(AuthFailed) as raised:
        adapter.set_registration(RegistrationTarget(kind="isup", server="127.0.0.6", port=7661,
                                                    secret=SecretStr(ISUP_KEY)))
    assert ISUP_KEY not in str(raised.value)
    assert adapter.http.logins == 1
    assert state(cam) == held


@pytest.mark.parametrize(("persona", "kind"), [(HIK, "gb28181"), (DAHUA, "auto-register")])
def test_a_set_is_one_read_and_one_write_with_no_refused_login(sim: Sim, persona: str, kind: str) -> None:
    cam = sim.camera(persona)
    budget = LoginBudget()
    adapter = (hik if persona == HIK else dahua)(cam, budget=budget)
    adapter.set_registration(RegistrationTarget(kind=kind, server="127.0.0.7", port=15060))  # type: ignore[arg-type]
    assert adapter.http.logins == 2  # the backup's GET and the write, each with credentials
    assert budget.refused_calls(cam.ip) == []


def test_firmware_without_gb28181_is_not_supported(sim: Sim) -> None:
    cam = sim.camera(HIK)
    with cam._lock:
        del cam.vendor_state["gb28181"]
    with pytest.raises(NotSupported):
        hik(cam).set_registration(RegistrationTarget(kind="gb28181", server="127.0.0.7", port=15060))


@pytest.mark.parametrize(("path", "body"), [
    ("/ISAPI/System/Network/Ehome", b"<Ehome><enabled>true</enabled><portNo>80</portNo></Ehome>"),
    ("/ISAPI/System/Network/Ehome", b"<Ehome><addressingFormatType>ipaddress</addressingFormatType>"
                                    b"<ipAddress>not-an-ip</ipAddress></Ehome>"),
    ("/ISAPI/System/Network/SIP", b"<SIPServerList><SIPServer><GB28181><deviceID>123</deviceID></GB28181>"
                                  b"</SIPServer></SIPServerList>"),
    ("/ISAPI/System/Network/SIP", b"<SIPServerList><SIPServer><Standard><enabled>true</enabled></Standard>"
                                  b"</SIPServer></SIPServerList>"),
    ("/ISAPI/System/Network/EZVIZ", b"<EZVIZ><verificationCode>abc def</verificationCode></EZVIZ>")])
def test_the_simulated_isapi_refuses_bad_registration_values_like_firmware(sim: Sim, path: str, body: bytes) -> None:
    cam = sim.camera(HIK)
    held = state(cam)
    status, reply = raw(cam, "PUT", path, body)
    assert status == 400
    assert b"<statusCode>6</statusCode>" in reply
    assert state(cam) == held


@pytest.mark.parametrize("query", [
    "DVRIP.RegisterServer.Servers[0].Address=a%26b", "DVRIP.RegisterServer.Servers[0].Address=a%0D%0Ab",
    "DVRIP.RegisterServer.Servers[0].Port=0", "DVRIP.RegisterServer.Servers[0].Port=70000",
    "DVRIP.RegisterServer.DeviceID=a%20b", "DVRIP.RegisterServer.Enable=true&DVRIP.RegisterServer.Servers[0].Port=x"])
def test_the_simulated_dahua_api_refuses_bad_registration_values_like_firmware(sim: Sim, query: str) -> None:
    cam = sim.camera(DAHUA)
    held = state(cam)
    status, body = raw(cam, "GET", "/cgi-bin/configManager.cgi?action=setConfig&" + query)
    assert (status, body) == (400, b"Error\r\nBad Request!\r\n")
    assert state(cam) == held  # all keys or none
