"""One hostile camera among good ones, through the real CLI: `kitchencam check A B C --json`.

The hostile camera (tests/hostile.py) answers like a real Media2 camera from captures except for
one bad reply; beside it run a good replay camera (the same captures, unspoiled) and a simulated
Dahua (kitchencam.sim). Each bad reply must become a classified error for that camera only, with
UNKNOWN verdicts that give the reason; the others' verdicts, the store and the --json document
survive, and the exit code follows the contract (3: the replayed cameras fail rules).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.errors import DeviceTimeout
from kitchencam.onvif.client import MAX_REPLY_BYTES, OnvifCamera, Timeouts
from kitchencam.onvif.read import MAX_PROFILES, MAX_TEXT, read_facts
from kitchencam.sim.school import SimulatedSchool
from kitchencam.store import Store
from tests.hostile import HUGE_BYTES, LONG_SERIAL, TRICKLE_S, calls, hostile_camera

PASSWORD = "Bep-An-2024-an-toan"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
FAST = Timeouts(connect=1.0, read=2.0)

DTD = "DTD or entity declaration"
NOT_SOAP = "not valid ONVIF SOAP"
TOO_LARGE = "too large"
CLOCK_RULES = ("clock", "timezone", "ntp")
MODEL_RULES = ("lens", "ip67", "starlight")

# mode -> (operation whose read fails, error code, message fragment, rules UNKNOWN with that message)
CASES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "xxe": ("tds:GetSystemDateAndTime", "BadReply", DTD, CLOCK_RULES),
    "billion-laughs": ("tds:GetSystemDateAndTime", "BadReply", DTD, CLOCK_RULES),
    "xxe-device-info": ("tds:GetDeviceInformation", "BadReply", DTD, MODEL_RULES),
    "empty-body": ("tds:GetDeviceInformation", "BadReply", NOT_SOAP, MODEL_RULES),
    "missing-body": ("tds:GetDeviceInformation", "BadReply", NOT_SOAP, MODEL_RULES),
    "truncated": ("tds:GetDeviceInformation", "BadReply", NOT_SOAP, MODEL_RULES),
    "non-utf8": ("tds:GetDeviceInformation", "BadReply", NOT_SOAP, MODEL_RULES),
    "control-chars": ("tds:GetDeviceInformation", "BadReply", NOT_SOAP, MODEL_RULES),
    "huge-year": ("tds:GetSystemDateAndTime", "BadReply", "no valid date", ("clock",)),
    "huge-reply": ("tds:GetDeviceInformation", "BadReply", TOO_LARGE, MODEL_RULES),
    "huge-reply-chunked": ("tds:GetDeviceInformation", "BadReply", TOO_LARGE, MODEL_RULES),
    "huge-serial": ("tds:GetDeviceInformation", "BadReply", TOO_LARGE, MODEL_RULES),
    "device-info-unreadable": ("tds:GetDeviceInformation", "BadReply", "names no manufacturer", MODEL_RULES),
}


@pytest.fixture(scope="module")
def dahua() -> Iterator[str]:
    sim = SimulatedSchool(personas=["dahua-wizsense2-ready"], bind_base="127.0.53.10", http_port=0, rtsp_port=0,
                          user="admin", password=PASSWORD, discovery=False)
    sim.start()
    try:
        yield sim.members[0].camera.device_xaddr
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def good() -> Iterator[str]:
    with hostile_camera(None) as cam:
        yield cam.target


def by_target(doc: dict) -> dict[str, dict]:
    return {d["target"]: d for d in doc["data"]["devices"]}


def statuses(device: dict) -> dict[str, str]:
    return {v["rule"]: v["status"] for v in device["verdicts"]}


def check_three(run, dahua: str, good: str, hostile: str) -> tuple[int, dict]:
    code, doc = run.json("check", dahua, hostile, good, env=ENV)
    assert len(doc["data"]["devices"]) == 3
    return code, doc


def assert_the_others_survive(doc: dict, dahua: str, good: str) -> None:
    devices = doc["data"]["devices"]
    sim = devices[0]
    assert sim["error"] is None
    assert sim["manufacturer"] == "Dahua"
    assert not [r for r, s in statuses(sim).items() if s == "FAIL"]  # the compliant persona stays so
    replay = by_target(doc)[good]
    assert replay["error"] is None
    assert replay["model"] == "ENP1A14-IR/25X"
    assert statuses(replay)["clock"] == "PASS"
    assert statuses(replay)["resolution"] == "PASS"


@pytest.mark.parametrize("mode", sorted(CASES))
def test_one_bad_reply_is_that_cameras_classified_error(run, dahua, good, mode, isolated: Path):
    operation, code_name, fragment, rules = CASES[mode]
    with hostile_camera(mode) as cam:
        code, doc = check_three(run, dahua, good, cam.target)
        # Read in-process too, to see the ReadError itself (the --json device carries verdicts).
        with OnvifCamera(cam.target, user="admin", password=PASSWORD, timeouts=FAST) as client:
            facts = read_facts(client)
    assert code == 3  # the replayed cameras fail rules; nothing crashed, nothing became "login failed"
    assert {e["code"] for e in doc["errors"]} == {"NonCompliant"}
    assert_the_others_survive(doc, dahua, good)
    hostile = by_target(doc)[cam.target]
    assert hostile["error"] is None  # one bad read does not sink the camera either
    error = facts.error_for(operation)
    assert error is not None, facts.read_errors
    assert (error.code, fragment in error.message) == (code_name, True), error
    assert "AuthFailed" not in {e.code for e in facts.read_errors}
    verdicts = {v["rule"]: v for v in hostile["verdicts"]}
    for rule in rules:
        assert verdicts[rule]["status"] == "UNKNOWN", (rule, verdicts[rule])
        assert fragment in verdicts[rule]["detail"], (rule, verdicts[rule]["detail"])
    with Store(isolated / "data" / "kitchencam.db") as store:
        [site] = store.list_sites()
        stored = {c.target for c in store.latest_checks(site.id)}  # one row per serial
    # The two replayed cameras share the captures' serial; the hostile one may have none.
    assert doc["data"]["devices"][0]["target"] in stored
    assert stored & {cam.target, good}


def test_trickle_is_cut_at_the_request_deadline(run, dahua, good):
    """One byte every 2 s: cut off at connect + read seconds (13 s by default), not read forever."""
    with hostile_camera("trickle") as cam:
        started = time.monotonic()
        code, doc = check_three(run, dahua, good, cam.target)
        wall = time.monotonic() - started
        asked = calls(cam, "tds:GetDeviceInformation")
    limit = 3.0 + 10.0  # CheckOptions' default connect + read timeouts
    assert wall < 3 * limit, wall  # a correctness bound (today: still running after 150 s)
    assert asked == 1  # a reply cut at its deadline is not asked again
    assert code == 3
    assert_the_others_survive(doc, dahua, good)
    lens = {v["rule"]: v for v in by_target(doc)[cam.target]["verdicts"]}["lens"]
    assert lens["status"] == "UNKNOWN"
    assert "did not finish its answer to GetDeviceInformation" in lens["detail"]
    assert TRICKLE_S > 1


def test_trickle_in_process_keeps_one_deadline():
    with hostile_camera("trickle") as cam, OnvifCamera(cam.target, user="admin", password=PASSWORD,
                                                       timeouts=FAST) as client:
        client.measure_clock()
        started = time.monotonic()
        with pytest.raises(DeviceTimeout, match="did not finish"):
            client.device.get_device_information()
        took = time.monotonic() - started
    assert FAST.connect + FAST.read - 0.5 < took < 2 * (FAST.connect + FAST.read), took


def test_profile_flood_is_capped_with_a_warning(run, dahua, good):
    with hostile_camera("profile-flood") as cam:
        code, doc = check_three(run, dahua, good, cam.target)
        stream_uri_calls = calls(cam, "tr2:GetStreamUri")
        with OnvifCamera(cam.target, user="admin", password=PASSWORD, timeouts=FAST) as client:
            facts = read_facts(client)
    assert stream_uri_calls <= MAX_PROFILES  # not 10,000
    assert len(facts.profiles) == MAX_PROFILES
    cut = [e for e in facts.read_errors if e.code == "ListCapped"]
    assert [e.operation for e in cut] == ["tr2:GetProfiles"]
    assert "listed 10000 entries" in cut[0].message
    assert code == 3
    assert_the_others_survive(doc, dahua, good)


def test_long_serial_is_capped_where_stored_and_printed(run, dahua, good, isolated: Path):
    with hostile_camera("long-serial") as cam:
        code, doc = check_three(run, dahua, good, cam.target)
    hostile = by_target(doc)[cam.target]
    assert hostile["serial"] == "9" * MAX_TEXT
    with Store(isolated / "data" / "kitchencam.db") as store:
        [site] = store.list_sites()
        stored = {c.target: c for c in store.latest_checks(site.id)}
    assert len(stored[cam.target].serial or "") <= MAX_TEXT
    assert LONG_SERIAL < MAX_REPLY_BYTES < HUGE_BYTES
    assert code == 3


def test_control_characters_never_reach_the_output(run, dahua, good):
    with hostile_camera("c1-controls") as cam:
        _code, doc = check_three(run, dahua, good, cam.target)
    model = by_target(doc)[cam.target]["model"]
    assert model == "Cam2Jx"
    assert all(ch.isprintable() for ch in model)
