"""The Dahua HTTP API adapter against the simulator's Dahua API, over real sockets on loopback.

The simulator serves the API as kitchencam/sim/dahua_api.py writes it (checked against the same
documents the adapter cites), with HTTP Digest against the camera's own accounts; ONVIF and the
API share the camera's state, so a change through one shows through the other.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from kitchencam.errors import AuthFailed
from kitchencam.logins import LoginBudget
from kitchencam.sim.camera import SimCamera
from kitchencam.vendors.base import VendorCamera, VendorWanted
from kitchencam.vendors.dahua import DahuaAdapter, get_config_path, set_config_path
from kitchencam.vendors.registry import choose
from tests.integration.conftest import Sim


def vendor_camera(cam: SimCamera, *, password: str | None = None, budget: LoginBudget | None = None) -> VendorCamera:
    return VendorCamera(cam.ip, cam.http_port, cam.user, cam.password if password is None else password,
                        budget=budget or LoginBudget(), timeout_s=3.0)


def raw_get(cam: SimCamera, path: str, *, user: str | None = None, password: str | None = None) -> tuple[int, str]:
    """A GET with the standard library's own Digest, not kitchencam's: an independent look."""
    url = f"http://{cam.ip}:{cam.http_port}{path}"
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, user or cam.user, password or cam.password)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPDigestAuthHandler(passwords))
    try:
        with opener.open(url, timeout=3.0) as reply:
            return reply.status, reply.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def test_probe_confirms_the_dahua_api_with_one_login(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    budget = LoginBudget()
    probe = DahuaAdapter(vendor_camera(cam, budget=budget)).probe()
    assert (probe.answered, probe.confirmed, probe.logins) == (True, True, 1)
    assert probe.model == "IPC-HFW2241S-S-0360B"
    assert probe.call == "Dahua HTTP API getSystemInfo"
    assert budget.refused_calls(cam.ip) == []


def test_factory_read_sees_smart_codec_off_with_its_call(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    facts = DahuaAdapter(vendor_camera(cam)).read()
    assert facts.read_errors == []
    assert facts.smart_codec is not None
    assert (facts.smart_codec.value, facts.smart_codec.call) == (False, "Dahua HTTP API SmartEncode")
    assert facts.main_codec is not None
    assert facts.main_codec.value == "H264"
    assert facts.model is not None
    assert facts.model.value == "IPC-HFW2241S-S-0360B"
    assert facts.serial is not None
    assert facts.serial.value == cam.serial
    assert facts.firmware is not None
    assert facts.firmware.value.startswith("2.840.0000000.28.R")
    assert facts.p2p is not None
    assert facts.p2p.value.enabled is True
    auto = facts.registration("auto-register")
    assert auto is not None
    assert auto.value.enabled is False
    assert auto.value.device_id == cam.serial
    assert facts.ddns is not None
    assert facts.ddns.value.enabled is False
    assert facts.login_lock is None  # not read: no public source shows its config (see the docs)


def test_the_ready_persona_has_smart_codec_and_ddns_on(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2-ready")
    facts = DahuaAdapter(vendor_camera(cam)).read()
    assert facts.smart_codec is not None
    assert facts.smart_codec.value is True
    assert facts.main_codec is not None
    assert facts.main_codec.value == "H265"
    assert facts.ddns is not None
    assert (facts.ddns.value.enabled, facts.ddns.value.hostname) == (True, "kitchen.dahuaddns.com")


def test_apply_turns_smart_codec_on_reads_back_and_the_reverse_restores_it(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    adapter = DahuaAdapter(vendor_camera(cam))
    changes = adapter.plan(adapter.read(), VendorWanted(smart_codec=True))
    assert [(c.setting, c.before, c.after, c.call) for c in changes] == [
        ("smart_codec", False, True, "Dahua HTTP API setConfig SmartEncode")]
    done = adapter.apply(changes)
    assert [(c.before, c.after) for c in done] == [(False, True)]
    assert [(r.seen, r.ok) for r in adapter.read_back(done)] == [(True, True)]
    assert raw_get(cam, get_config_path("SmartEncode")) == (200, "table.SmartEncode[0].Enable=true\r\n")

    undone = adapter.apply([c.reverse() for c in done])
    assert [(c.before, c.after) for c in undone] == [(True, False)]
    assert raw_get(cam, get_config_path("SmartEncode")) == (200, "table.SmartEncode[0].Enable=false\r\n")


def test_apply_backs_up_the_value_found_just_before(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    adapter = DahuaAdapter(vendor_camera(cam))
    changes = adapter.plan(adapter.read(), VendorWanted(p2p=False, registrations={"auto-register": True}))
    assert {c.setting for c in changes} == {"p2p", "registration"}
    # Someone turns P2P off on the camera between the plan and the apply: the backup says so.
    assert raw_get(cam, set_config_path([("T2UServer.Enable", "false")])) == (200, "OK\r\n")
    done = adapter.apply(changes)
    assert {(c.setting, c.before) for c in done} == {("p2p", False), ("registration", False)}
    assert all(r.ok for r in adapter.read_back(done))


def test_onvif_and_the_dahua_api_share_the_main_encoder(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    client.connect()
    config = client.media2.get_video_encoder_configurations(configuration_token="VideoEncoder000")[0]
    config.Encoding, config.Profile = "H265", "Main"
    client.media2.set_video_encoder_configuration(config)
    adapter = DahuaAdapter(vendor_camera(cam))
    facts = adapter.read()
    assert facts.main_codec is not None
    assert facts.main_codec.value == "H265"
    status, body = raw_get(cam, get_config_path("Encode"))
    assert "table.Encode[0].MainFormat[0].Video.Compression=H.265\r\n" in body

    # ... and the other way round: the Dahua API sets H.264, ONVIF reads it.
    status, body = raw_get(cam, set_config_path([("Encode[0].MainFormat[0].Video.Compression", "H.264")]))
    assert (status, body) == (200, "OK\r\n")
    again = client.media2.get_video_encoder_configurations(configuration_token="VideoEncoder000")[0]
    assert again.Encoding == "H264"


def test_a_wrong_password_is_one_refused_login_and_nothing_more(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    budget = LoginBudget()
    adapter = DahuaAdapter(vendor_camera(cam, password="not-the-password", budget=budget))
    with pytest.raises(AuthFailed):
        adapter.read()
    assert len(budget.refused_calls(cam.ip)) == 1
    assert budget.refused_calls(cam.ip) == ["Dahua HTTP API getSystemInfo"]
    # The unauthenticated first try and the one refused login: nothing else reached the camera.
    assert [op for _path, op in cam.requests if "cgi-bin" in op] == []
    with pytest.raises(AuthFailed):  # the budget stops this camera's logins: no second try is sent
        adapter.read()
    assert len(budget.refused_calls(cam.ip)) == 1


@pytest.mark.parametrize("fault", ["fault-on=SmartEncode", "malformed=SmartEncode"])
def test_a_fault_on_one_call_is_a_read_error_for_that_call_only(sim: Sim, fault: str) -> None:
    cam = sim.camera("dahua-wizsense2", faults=[fault])
    facts = DahuaAdapter(vendor_camera(cam)).read()
    assert [e.operation for e in facts.read_errors] == ["Dahua HTTP API SmartEncode"]
    assert facts.read_errors[0].code == ("DeviceFault" if fault.startswith("fault-on") else "BadReply")
    assert facts.smart_codec is None
    assert facts.main_codec is not None
    assert facts.p2p is not None
    assert facts.ddns is not None


def test_an_operator_cannot_set_config(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    admin = sim.client(cam)
    admin.connect()
    admin.device.create_users([("operator1", "Op3rator!", "Operator")])  # over ONVIF: the same accounts
    status, body = raw_get(cam, set_config_path([("SmartEncode[0].Enable", "true")]),
                           user="operator1", password="Op3rator!")
    assert (status, body.split("\r\n")[0]) == (400, "Error")
    assert raw_get(cam, get_config_path("SmartEncode"))[1] == "table.SmartEncode[0].Enable=false\r\n"


def test_an_unknown_config_name_answers_the_dahua_error_form(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    assert raw_get(cam, get_config_path("NoSuchThing")) == (400, "Error\r\nBad Request!\r\n")


def test_the_registry_recognises_an_amcrest_camera_by_its_api(sim: Sim) -> None:
    cam = sim.camera("amcrest-ip2m-841")
    adapter, choice = choose(vendor_camera(cam), "Amcrest", "IP2M-841")
    assert isinstance(adapter, DahuaAdapter)
    assert (choice.vendor, choice.api, choice.how) == ("dahua", "Dahua HTTP API", "api")
    assert [p.model for p in choice.probes] == ["IP2M-841"]


def test_a_no_name_camera_has_no_vendor_api_and_spends_no_login(sim: Sim) -> None:
    cam = sim.camera("generic-720p")
    budget = LoginBudget()
    adapter, choice = choose(vendor_camera(cam, budget=budget), "IPCAM", "IPC-720P-H264")
    assert adapter is None
    assert choice.vendor is None
    assert [(p.api, p.answered, p.confirmed, p.logins) for p in choice.probes][:1] == [
        ("Dahua HTTP API", True, False, 0)]
    assert budget.refused_calls(cam.ip) == []
    assert choice.note
    assert "catalogue" in choice.note
