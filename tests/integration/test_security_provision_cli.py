"""provision's security step and its rollback through the real CLI (issue 16): the login lock and
P2P/cloud set through the camera's own vendor API as the profile's security rules want them,
read back, backed up first and restored by rollback. Each result is also read from the outside
with the standard library's own Digest client (not kitchencam's). No wrong password is ever sent:
the run's login budget shows no refused login. Cameras on 127.0.67.x and 127.0.68.x: loopback only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from kitchencam.logins import BUDGET
from kitchencam.sim.school import SimulatedSchool
from tests.vendorsim import PASSWORD, raw_get, school_from_marker, verdict

ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
SITE = ("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
        "--centre-url", "http://127.0.0.1:8000/")
HIK_LOCK = "/ISAPI/Security/illegalLoginLock"
DAHUA_P2P = "/cgi-bin/configManager.cgi?action=getConfig&name=T2UServer"


@pytest.fixture
def school(request: pytest.FixtureRequest) -> Iterator[SimulatedSchool]:
    yield from school_from_marker(request)


def hik_lock(sim: SimulatedSchool) -> dict[str, str]:
    root = etree.fromstring(raw_get(sim, HIK_LOCK).encode(),
                            etree.XMLParser(resolve_entities=False, no_network=True))
    return {etree.QName(c).localname: (c.text or "").strip() for c in root if isinstance(c.tag, str)}


def step(doc: dict[str, Any], name: str) -> dict[str, Any]:
    [cam] = doc["data"]["cameras"]
    return next(s for s in cam["steps"] if s["name"] == name)


def vendor_refusals(sim: SimulatedSchool) -> list[str]:
    """Refused logins on the vendor API: none may be. The only refused login the run may hold is
    check's one deliberate default-password probe (ONVIF), so at most one in all."""
    refused = BUDGET.refused_calls(sim.members[0].camera.ip)
    assert len(refused) <= 1, refused
    return [c for c in refused if "ISAPI" in c or "HTTP API" in c]


@pytest.mark.sim(personas=["insecure-no-lockout"], base="127.0.67.10")
def test_provision_turns_the_hikvision_login_lock_on_and_rollback_turns_it_off(run, school):
    assert run(*SITE).exit_code == 0
    target = school.members[0].camera.device_xaddr
    before = hik_lock(school)
    assert before["enabled"] == "false"

    _code, doc = run.json("check", target, env=ENV)
    assert verdict(doc, "login-lockout")["status"] in ("WARN", "FAIL")

    code, doc = run.json("provision", target, "--dry-run", env=ENV)
    assert code == 0, doc["errors"]
    planned = step(doc, "security")
    assert planned["status"] == "planned"
    assert ("login_lock", "off", "on") in [(c["setting"], c["current"], c["target"]) for c in planned["changes"]]
    assert hik_lock(school)["enabled"] == "false"  # a plan sends nothing

    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert cam["state"] == "provisioned", cam
    done = step(doc, "security")
    assert done["status"] == "done"
    assert "Security/illegalLoginLock" in done["how"]
    assert ("login_lock", "off", "on") in [(c["setting"], c["current"], c["target"]) for c in done["changes"]]
    after = hik_lock(school)
    assert after["enabled"] == "true"
    assert int(after["maxIllegalLoginTimes"]) <= 5
    assert int(after["maxIllegalLoginLockTime"]) >= 5
    assert cam["verify_problems"] == []

    _code, doc = run.json("check", target, env=ENV)
    lockout = verdict(doc, "login-lockout")
    assert lockout["status"] == "PASS", lockout
    assert "Hikvision ISAPI" in lockout["source"]

    code, doc = run.json("rollback", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    assert "security" in doc["data"]["restored"]
    assert doc["data"]["problems"] == []
    assert hik_lock(school) == before
    assert vendor_refusals(school) == []  # no login was refused on the way


@pytest.mark.sim(personas=["dahua-wizsense2"], base="127.0.68.10")
def test_provision_turns_dahua_p2p_off_as_the_profile_wants_and_rollback_turns_it_back_on(run, school):
    assert run(*SITE).exit_code == 0
    target = school.members[0].camera.device_xaddr
    assert "table.T2UServer.Enable=true" in raw_get(school, DAHUA_P2P)  # Dahua ships P2P on

    _code, doc = run.json("check", target, env=ENV)
    assert verdict(doc, "cloud-exposure")["status"] in ("WARN", "FAIL")  # advisory in the profile
    assert "kitchencam provision turns it off" in verdict(doc, "cloud-exposure")["detail"]  # the API can set it

    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert cam["state"] == "provisioned", cam
    done = step(doc, "security")
    assert done["status"] == "done"
    assert [(c["setting"], c["current"], c["target"]) for c in done["changes"]] == [("p2p", "on", "off")]
    assert "T2UServer" in done["how"]
    assert "table.T2UServer.Enable=false" in raw_get(school, DAHUA_P2P)

    _code, doc = run.json("check", target, env=ENV)
    assert verdict(doc, "cloud-exposure")["status"] == "PASS"
    # The Dahua API tells no login lock: no change is planned for it, and the rule says why.
    assert verdict(doc, "login-lockout")["status"] == "UNKNOWN"

    code, doc = run.json("rollback", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    assert {"security", "smart-codec"} <= set(doc["data"]["restored"])
    assert doc["data"]["problems"] == []
    assert "table.T2UServer.Enable=true" in raw_get(school, DAHUA_P2P)
    assert vendor_refusals(school) == []


@pytest.mark.sim(personas=["hikvision-ds2cd2023g2-i"], base="127.0.69.10")
def test_a_factory_lock_of_7_attempts_is_tightened_to_the_profiles_5_and_rollback_puts_7_back(run, school):
    assert run(*SITE).exit_code == 0
    target = school.members[0].camera.device_xaddr
    before = hik_lock(school)
    assert (before["enabled"], before["maxIllegalLoginTimes"]) == ("true", "7")  # laxer than QĐ 724's 5

    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    done = step(doc, "security")
    assert done["status"] == "done"
    assert ("login_lock_attempts", "7", "5") in [(c["setting"], c["current"], c["target"]) for c in done["changes"]]
    assert "login_lock" not in [c["setting"] for c in done["changes"]]  # already on: left as it is
    assert hik_lock(school)["maxIllegalLoginTimes"] == "5"
    assert hik_lock(school)["maxIllegalLoginLockTime"] == before["maxIllegalLoginLockTime"]  # 30 >= 5: kept

    code, doc = run.json("rollback", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    assert doc["data"]["problems"] == []
    assert hik_lock(school) == before
    assert vendor_refusals(school) == []


@pytest.mark.sim(personas=["insecure-anonymous-stream"], base="127.0.70.10")
def test_a_camera_serving_anonymously_gets_a_plan_note_to_turn_it_off_in_its_web_page(run, school):
    """No vendor API call that turns anonymous access off was verified against a published
    source, so provisioning sends none: its plan says what to do instead."""
    assert run(*SITE).exit_code == 0
    target = school.members[0].camera.device_xaddr
    code, doc = run.json("provision", target, "--dry-run", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    notes = " ".join(cam["notes"])
    assert "without a password" in notes
    assert "turn off anonymous access in the camera's web page" in notes
    assert "RTSP stream" in notes
    assert vendor_refusals(school) == []


@pytest.mark.sim(personas=["dahua-wizsense2-ready"], base="127.0.71.10")
def test_a_camera_that_refuses_anonymous_requests_gets_no_such_note(run, school):
    assert run(*SITE).exit_code == 0
    code, doc = run.json("provision", school.members[0].camera.device_xaddr, "--dry-run", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert not any("anonymous" in n for n in cam["notes"])
