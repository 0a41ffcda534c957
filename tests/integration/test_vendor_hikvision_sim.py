"""The Hikvision ISAPI adapter against the simulator's ISAPI, end to end on loopback.

Each camera is a real SimCamera on its own 127.0.6x.y address (tests/integration/conftest.py);
the adapter speaks through VendorHttp with Digest, and ONVIF through the real client, so the
state the two APIs share (the main stream's codec) is checked from both sides."""

from __future__ import annotations

import http.client
import time

import pytest

from kitchencam.errors import AuthFailed, DeviceFault, Unreachable
from kitchencam.logins import LoginBudget
from kitchencam.onvif import write
from kitchencam.onvif.read import read_facts
from kitchencam.rtsp import digest_response, parse_challenges
from kitchencam.sim.camera import SimCamera, UserState
from kitchencam.vendors.base import VendorCamera, VendorWanted
from kitchencam.vendors.hikvision import HikvisionAdapter, parse_channel, parse_xml
from tests.integration.conftest import Sim

CHANNEL = "Hikvision ISAPI Streaming/channels/101"


def adapter(cam: SimCamera, *, password: str | None = None, budget: LoginBudget | None = None) -> HikvisionAdapter:
    return HikvisionAdapter(VendorCamera(cam.ip, cam.http_port, cam.user, cam.password if password is None else
                                         password, budget=budget or LoginBudget(), timeout_s=3.0))


def raw_get(cam: SimCamera, path: str) -> tuple[int, bytes]:
    """A plain Digest GET, as curl --digest would send it: what the camera holds, not what we parsed."""
    conn = http.client.HTTPConnection(cam.ip, cam.http_port, timeout=3.0)
    try:
        conn.request("GET", path)
        first = conn.getresponse()
        first.read()
        challenge = next(c for c in parse_challenges(first.msg.get_all("WWW-Authenticate") or [])
                         if c.scheme == "digest")
        auth = digest_response(user=cam.user, password=cam.password, method="GET", uri=path,
                               challenge=challenge.params)
        conn.request("GET", path, headers={"Authorization": auth})
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


@pytest.mark.parametrize("persona", ["hikvision-ds2cd2023g2-i", "hikvision-onvif-off"])
def test_probe_confirms_and_read_sees_the_factory_values(sim: Sim, persona: str) -> None:
    cam = sim.camera(persona)
    probe = adapter(cam).probe()
    assert (probe.confirmed, probe.model, probe.logins) == (True, cam.persona.model, 1)
    facts = adapter(cam).read()
    assert facts.read_errors == []
    assert facts.smart_codec is not None
    assert (facts.smart_codec.value, facts.smart_codec.call) == (False, CHANNEL)
    assert facts.p2p is not None
    assert (facts.p2p.value.name, facts.p2p.value.enabled) == ("Hik-Connect", False)
    assert {r.value.kind: r.value.enabled for r in facts.registrations} == {
        "hik-connect": False, "isup": False, "gb28181": False}
    assert facts.login_lock is not None
    assert facts.login_lock.value.model_dump() == {"enabled": True, "max_attempts": 7, "lock_minutes": 30.0}
    assert facts.serial is not None
    assert facts.serial.value == cam.serial


def test_smart_codec_on_read_back_and_restored(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i")
    isapi = adapter(cam)
    plan = isapi.plan(isapi.read(), VendorWanted(smart_codec=True))
    assert [(c.setting, c.before, c.after) for c in plan] == [("smart_codec", False, True)]
    applied = isapi.apply(plan)
    assert [(c.before, c.after) for c in applied] == [(False, True)]
    assert [(b.ok, b.seen) for b in isapi.read_back(applied)] == [(True, True)]

    status, body = raw_get(cam, "/ISAPI/Streaming/channels/101")
    assert status == 200
    assert b"<SmartCodec><enabled>true</enabled></SmartCodec>" in body
    assert parse_channel(parse_xml(body, "test")) == ("H265", True)

    undo = isapi.apply([c.reverse() for c in applied])
    assert [(c.before, c.after) for c in undo] == [(True, False)]
    assert [b.ok for b in isapi.read_back(undo)] == [True]
    assert b"<SmartCodec><enabled>false</enabled></SmartCodec>" in raw_get(cam, "/ISAPI/Streaming/channels/101")[1]


def test_the_other_switches_set_and_read_back(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i")
    isapi = adapter(cam)
    wanted = VendorWanted(ddns=True, p2p=True, login_lock=False, registrations={"isup": True, "gb28181": True})
    plan = isapi.plan(isapi.read(), wanted)
    assert sorted((c.setting, c.kind or "") for c in plan) == [
        ("ddns", ""), ("login_lock", ""), ("p2p", ""), ("registration", "isup")]  # GB28181 is read only
    applied = isapi.apply(plan)
    assert all(b.ok for b in isapi.read_back(applied))
    with cam._lock:
        state = dict(cam.vendor_state)
    assert (state["ddns_enabled"], state["ezviz_enabled"], state["isup_enabled"], state["login_lock_enabled"]) == (
        True, True, True, False)
    isapi.apply([c.reverse() for c in applied])
    facts = isapi.read()
    assert (facts.setting("ddns"), facts.setting("p2p"), facts.setting("login_lock"),
            facts.setting("registration", "isup")) == (False, False, True, False)


def test_onvif_and_isapi_share_the_main_stream_codec(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd1023g0e-i")  # ships H.264
    client = sim.client(cam)
    facts = read_facts(client)
    token = facts.encoders[0].token
    write.set_video_encoder(client, facts, token, encoding="H265")
    status, body = raw_get(cam, "/ISAPI/Streaming/channels/101")
    assert status == 200
    assert b"<videoCodecType>H.265</videoCodecType>" in body

    # and the other way: ISAPI PUT of H.264 shows in ONVIF
    document = body.replace(b"<videoCodecType>H.265</videoCodecType>", b"<videoCodecType>H.264</videoCodecType>")
    isapi = adapter(cam)
    isapi._put("Streaming/channels/101", parse_xml(document, "test"), "test PUT")
    assert read_facts(client).encoders[0].encoding == "H264"
    facts_after = isapi.read()
    assert facts_after.main_codec is not None
    assert facts_after.main_codec.value == "H264"


def test_a_wrong_password_is_auth_failed_and_one_refused_login(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i")
    budget = LoginBudget()
    with pytest.raises(AuthFailed):
        adapter(cam, password="not-the-password", budget=budget).read()
    assert budget.refused_calls(cam.ip) == ["Hikvision ISAPI System/deviceInfo"]


@pytest.mark.parametrize("fault", ["fault-on", "malformed"])
def test_a_faulty_call_is_a_read_error_for_that_call_only(sim: Sim, fault: str) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i", faults=[f"{fault}=Streaming/channels/101"])
    facts = adapter(cam).read()
    assert [(e.operation, e.code) for e in facts.read_errors] == [
        (CHANNEL, "DeviceFault" if fault == "fault-on" else "BadReply")]
    assert facts.smart_codec is None
    assert facts.model is not None
    assert facts.p2p is not None


def test_a_camera_without_isapi_is_not_confirmed_and_costs_no_login(sim: Sim) -> None:
    cam = sim.camera("generic-720p")
    budget = LoginBudget(max_refused=0)  # a login would not fit: reserving one would raise
    probe = adapter(cam, budget=budget).probe()
    assert (probe.answered, probe.confirmed, probe.logins) == (True, False, 0)
    assert probe.error is not None
    assert probe.error.code == "NotSupported"


def test_only_an_administrator_may_put(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i")
    with cam._lock:
        cam.state.users["viewer"] = UserState("Viewer-Pw1", "User", False)
    viewer = HikvisionAdapter(VendorCamera(cam.ip, cam.http_port, "viewer", "Viewer-Pw1", budget=LoginBudget()))
    plan = viewer.plan(viewer.read(), VendorWanted(smart_codec=True))
    with pytest.raises(DeviceFault) as raised:
        viewer.apply(plan)
    assert "HTTP 403" in str(raised.value)
    with cam._lock:
        assert cam.vendor_state["smart_codec"] is False


def test_a_change_that_reboots_the_camera_answers_reboot_required_and_holds(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i", faults=["reboot-after-set=1"])
    isapi = adapter(cam)
    applied = isapi.apply(isapi.plan(isapi.read(), VendorWanted(smart_codec=True)))
    assert [c.after for c in applied] == [True]
    deadline = time.monotonic() + 15.0
    back = None
    while time.monotonic() < deadline and back is None:
        try:
            back = adapter(cam).read_back(applied) if cam.reboots == 1 else None
        except Unreachable:
            back = None
        time.sleep(0.1)
    assert cam.reboots == 1
    assert back is not None
    assert [b.ok for b in back] == [True]
