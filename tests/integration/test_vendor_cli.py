"""check, provision and rollback through the real CLI with the cameras' own vendor APIs (issue 14).

The simulated Dahua and Hikvision cameras serve their vendor's API beside ONVIF on the same port;
kitchencam reads it with the same account and login budget. Each result is checked from the
outside too: a raw Digest GET with the standard library's own client (not kitchencam's) reads the
setting straight from the simulated camera. Cameras on 127.0.150.x-127.0.152.x: loopback only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kitchencam.logins import BUDGET
from kitchencam.sim.school import SimulatedSchool
from tests.vendorsim import PASSWORD, raw_get, school_from_marker, verdict

ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
SITE = ("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
        "--centre-url", "http://127.0.0.1:8000/")
DAHUA_SMART = "/cgi-bin/configManager.cgi?action=getConfig&name=SmartEncode"
HIK_CHANNEL = "/ISAPI/Streaming/channels/101"


@pytest.fixture
def school(request: pytest.FixtureRequest) -> Iterator[SimulatedSchool]:
    yield from school_from_marker(request, personas=["dahua-wizsense2"], base="127.0.150.10")


def hik_smart_codec(xml: str) -> str:
    from lxml import etree

    root = etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    found = root.xpath("//*[local-name()='SmartCodec']/*[local-name()='enabled']/text()")
    assert found, xml
    return str(found[0]).strip()


def target_of(sim: SimulatedSchool) -> str:
    return sim.members[0].camera.device_xaddr


def test_factory_dahua_check_names_the_api_then_provision_and_rollback_set_smart_encode(run, school):
    assert run(*SITE).exit_code == 0
    target = target_of(school)
    assert "table.SmartEncode[0].Enable=false" in raw_get(school, DAHUA_SMART)

    code, doc = run.json("check", target, env=ENV)
    assert code == 3, doc["errors"]
    codec = verdict(doc, "codec")
    assert "Dahua HTTP API SmartEncode" in codec["source"]
    assert "smart codec off" in codec["seen"]
    assert codec["fixable_by_provision"] is True
    vendor = doc["data"]["devices"][0]["vendor"]
    assert (vendor["vendor"], vendor["api"], vendor["how"]) == ("dahua", "Dahua HTTP API", "manufacturer")
    assert vendor["facts"]["smart_codec"] == {"value": False, "call": "Dahua HTTP API SmartEncode"}
    assert PASSWORD not in str(doc)
    platform = verdict(doc, "platform")
    assert platform["evidence"] == "device"
    assert "Auto Register" in platform["seen"]
    assert "This Dahua camera meets" in platform["detail"]

    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert cam["state"] == "provisioned", cam
    step = next(s for s in cam["steps"] if s["name"] == "smart-codec")
    assert step["status"] == "done"
    assert "SmartEncode" in step["how"]
    assert [(c["setting"], c["current"], c["target"]) for c in step["changes"]] == [("smart_codec", "off", "on")]
    assert "table.SmartEncode[0].Enable=true" in raw_get(school, DAHUA_SMART)

    code, doc = run.json("check", target, env=ENV)
    codec = verdict(doc, "codec")
    assert (codec["status"], codec["evidence"]) == ("PASS", "device")
    assert "Dahua HTTP API SmartEncode" in codec["source"]

    code, doc = run.json("rollback", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    assert "smart-codec" in doc["data"]["restored"]
    assert doc["data"]["problems"] == []
    assert "table.SmartEncode[0].Enable=false" in raw_get(school, DAHUA_SMART)


@pytest.mark.sim(personas=["hikvision-ds2cd2023g2-i"], base="127.0.151.10")
def test_hikvision_check_provision_and_rollback_through_isapi(run, school):
    assert run(*SITE).exit_code == 0
    target = target_of(school)
    assert hik_smart_codec(raw_get(school, HIK_CHANNEL)) == "false"

    code, doc = run.json("check", target, env=ENV)
    assert code in (0, 3), doc["errors"]
    codec = verdict(doc, "codec")
    assert "Hikvision ISAPI" in codec["source"]
    vendor = doc["data"]["devices"][0]["vendor"]
    assert (vendor["vendor"], vendor["api"]) == ("hikvision", "Hikvision ISAPI")
    assert vendor["facts"]["smart_codec"]["value"] is False
    platform = verdict(doc, "platform")
    assert platform["evidence"] == "device"
    assert "This Hikvision camera meets" in platform["detail"]

    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert cam["state"] == "provisioned", cam
    step = next(s for s in cam["steps"] if s["name"] == "smart-codec")
    assert step["status"] == "done"
    assert hik_smart_codec(raw_get(school, HIK_CHANNEL)) == "true"
    code, doc = run.json("check", target, env=ENV)
    assert verdict(doc, "codec")["status"] == "PASS"

    code, doc = run.json("rollback", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    assert "smart-codec" in doc["data"]["restored"]
    assert hik_smart_codec(raw_get(school, HIK_CHANNEL)) == "false"


@pytest.mark.sim(personas=["generic-720p"], base="127.0.152.10")
def test_a_camera_without_a_vendor_api_gets_no_vendor_step_and_no_login_on_it(run, school):
    assert run(*SITE).exit_code == 0
    target = target_of(school)
    code, doc = run.json("provision", target, "--dry-run", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert "smart-codec" not in {s["name"] for s in cam["steps"]}
    assert any("web page" in note for note in cam["notes"])
    code, doc = run.json("check", target, env=ENV)
    vendor = doc["data"]["devices"][0]["vendor"]
    assert vendor["facts"] is None
    assert "catalogue decides" in verdict(doc, "platform")["detail"]
    # The probes went without credentials and got a 404: no vendor request was served (the camera
    # logs those after its Digest check) and no login was refused.
    cam = school.members[0].camera
    assert [path for path, _op in cam.requests if path.startswith(("/cgi-bin/", "/ISAPI/"))] == []
    assert [c for c in BUDGET.refused_calls(cam.ip) if "HTTP API" in c or "ISAPI" in c] == []
    assert vendor["vendor"] is None
    assert "catalogue" in vendor["note"]


@pytest.mark.sim(personas=["dahua-wizsense2"], base="127.0.153.10", faults=["fault-on=setConfig"])
def test_a_refused_vendor_change_fails_its_step_only(run, school):
    assert run(*SITE).exit_code == 0
    code, doc = run.json("provision", target_of(school), "--yes", env=ENV)
    assert code == 1
    [cam] = doc["data"]["cameras"]
    assert cam["state"] == "failed"
    steps = {s["name"]: s for s in cam["steps"]}
    assert steps["smart-codec"]["status"] == "failed"
    assert "SmartEncode" in (steps["smart-codec"]["detail"] or "")
    assert steps["encoder"]["status"] == "done"  # the other steps still ran
    assert "table.SmartEncode[0].Enable=false" in raw_get(school, DAHUA_SMART)
    # Rollback puts back what was changed; the smart codec was never changed, so nothing to do there.
    code, doc = run.json("rollback", target_of(school), "--yes", env=ENV)
    assert code == 0, doc["errors"]
    assert "smart-codec" not in doc["data"]["restored"]


@pytest.mark.sim(personas=["dahua-wizsense2"], base="127.0.154.10", faults=["fault-on=SmartEncode"])
def test_a_smart_codec_the_api_cannot_tell_falls_back_and_the_plan_says_so(run, school):
    assert run(*SITE).exit_code == 0
    code, doc = run.json("check", target_of(school), env=ENV)
    vendor = doc["data"]["devices"][0]["vendor"]
    assert vendor["facts"]["smart_codec"] is None
    assert [e["operation"] for e in vendor["facts"]["read_errors"]] == ["Dahua HTTP API SmartEncode"]
    assert verdict(doc, "platform")["evidence"] == "device"  # the rest of the API still decides
    code, doc = run.json("provision", target_of(school), "--dry-run", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert "smart-codec" not in {s["name"] for s in cam["steps"]}
    assert any("did not tell it" in note for note in cam["notes"])
