"""`kitchencam provision` plans only what the camera can take, and leaves `ntp` passing.

Through the real entry point against simulated cameras on loopback (kitchencam.sim), as in
test_provision_cli.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from kitchencam.onvif.client import OnvifCamera
from kitchencam.sim.school import SimulatedSchool

if TYPE_CHECKING:
    from conftest import Sim

PASSWORD = "Bep-An-2024-an-toan"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
FIXES = "kitchencam provision fixes this"


@pytest.fixture
def school(request: pytest.FixtureRequest, sim: Sim) -> SimulatedSchool:
    """The test's simulated school, started and stopped by the integration tests' ``sim`` fixture."""
    marker = request.node.get_closest_marker("sim")
    kwargs = marker.kwargs if marker else {}
    return sim.school(kwargs.get("personas", ["dahua-wizsense2"]), user="admin", password=PASSWORD,
                      faults=kwargs.get("faults", []))


def xaddr(sim: SimulatedSchool, k: int = 0) -> str:
    return sim.members[k].camera.device_xaddr


def verdicts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["rule"]: v for v in doc["data"]["devices"][0]["verdicts"]}


# --- 6. a Media1-only camera is not planned to H.265 --------------------------------------------------

@pytest.mark.sim(personas=["generic-720p"])
def test_media1_camera_is_not_planned_to_h265(run, school):
    code, doc = run.json("provision", xaddr(school), "--dry-run", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    steps = {s["name"]: s for s in cam["steps"]}
    encoder = steps["encoder"]
    changes = {c["setting"]: c for c in encoder["changes"]}
    assert changes["encoding"]["target"] == "H265"
    assert "no ONVIF Media2" in changes["encoding"]["cannot"]
    assert "web page" in changes["encoding"]["cannot"]
    assert "1920x1080" in changes["resolution"]["cannot"]  # the 720p sensor offers no 1080p
    assert encoder["status"] == "skipped"  # nothing else to set on the encoder
    assert "web page" in encoder["detail"]
    assert steps["time"]["status"] == "planned"


@pytest.mark.sim(personas=["generic-720p"])
def test_media1_camera_provisioned_without_sending_h265_and_no_false_advice(run, school):
    target = xaddr(school)
    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert cam["error"] is None, cam["error"]
    assert cam["verify_problems"] == []
    assert school.members[0].camera.main_stream()[:3] == ("H264", 1280, 720)  # nothing was sent to break
    after = {v["rule"]: v for v in cam["verdicts"]}
    for rule in ("codec", "main-stream", "resolution"):
        assert FIXES not in after[rule]["detail"], (rule, after[rule]["detail"])
        assert after[rule]["fixable_by_provision"] is False
    _code, doc = run.json("check", target, env=ENV)
    for rule, v in verdicts(doc).items():
        if rule in ("codec", "main-stream", "resolution"):
            assert FIXES not in v["detail"], (rule, v["detail"])


# --- 7. provision without NTP servers in the site config leaves `ntp` passing --------------------------

@pytest.mark.sim(personas=["dahua-wizsense2"])
def test_no_site_ntp_keeps_the_cameras_own_server_and_turns_ntp_on(run, school):
    target = xaddr(school)  # no site config at all: no ntp_servers
    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert cam["error"] is None, cam["error"]
    time_step = next(s for s in cam["steps"] if s["name"] == "time")
    ntp_change = next(c for c in time_step["changes"] if c["setting"] == "ntp")
    assert ntp_change["target"] == "NTP: clock.isc.org"  # the camera's own server, kept
    assert {v["rule"]: v for v in cam["verdicts"]}["ntp"]["status"] == "PASS"
    _code, doc = run.json("check", target, env=ENV)
    ntp = verdicts(doc)["ntp"]
    assert ntp["status"] == "PASS", ntp
    assert ntp["seen"] == "time type NTP; NTP servers: clock.isc.org"


@pytest.mark.sim(personas=["dahua-wizsense2"])
def test_no_ntp_server_anywhere_uses_the_profiles_default(run, school):
    target = xaddr(school)
    with OnvifCamera(target, user="admin", password=PASSWORD) as camera:
        camera.connect()
        camera.device.set_ntp(from_dhcp=False, servers=[])  # the camera forgets its own server
    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert cam["error"] is None, cam["error"]
    time_step = next(s for s in cam["steps"] if s["name"] == "time")
    ntp_change = next(c for c in time_step["changes"] if c["setting"] == "ntp")
    assert ntp_change["target"] == "NTP: 0.vn.pool.ntp.org, 1.asia.pool.ntp.org"  # thanhtri-2024's default
    _code, doc = run.json("check", target, env=ENV)
    ntp = verdicts(doc)["ntp"]
    assert ntp["status"] == "PASS", ntp
    assert FIXES not in ntp["detail"]


@pytest.mark.sim(personas=["dahua-wizsense2"], faults=["fault-on=SetVideoEncoderConfiguration"])
def test_what_provision_just_failed_to_fix_is_not_advised_to_provision(run, school):
    assert run("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
               "--centre-url", "http://127.0.0.1:8000/").exit_code == 0
    code, doc = run.json("provision", xaddr(school), "--yes", env=ENV)
    assert code == 1
    [cam] = doc["data"]["cameras"]
    assert next(s for s in cam["steps"] if s["name"] == "encoder")["status"] == "failed"
    after = {v["rule"]: v for v in cam["verdicts"]}
    assert after["main-stream"]["status"] == "FAIL"
    assert after["main-stream"]["fixable_by_provision"] is False
    assert FIXES not in after["main-stream"]["detail"]
    assert "could not fix this on this camera" in after["main-stream"]["detail"]
    assert after["ntp"]["status"] == "PASS"  # the time step was not refused
