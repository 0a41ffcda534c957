"""`kitchencam discover --subnet` on loopback: a unicast sweep finds simulated cameras, tells
a printer apart, flags ONVIF switched off, and records the inventory without duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool
from kitchencam.store import Store

PERSONAS = ["dahua-wizsense2", "dahua-wizsense2-ready", "generic-720p", "hikvision-onvif-off", "printer"]
BASE = "127.0.47.10"
SUBNET = "127.0.47.0/26"
PORT = 18080  # the HTTP check of silent hosts and the cameras must agree on the port


@pytest.fixture(scope="module")
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=PERSONAS, bind_base=BASE, http_port=PORT, rtsp_port=0)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def by_address(doc: dict) -> dict[str, dict]:
    return {d["address"]: d for d in doc["data"]["devices"]}


def test_sweep_finds_cameras_and_keeps_others_apart(run, school: SimulatedSchool, isolated: Path):
    code, doc = run.json("discover", "--subnet", SUBNET, "--http-port", str(PORT), "--timeout", "2")
    assert code == 0, doc["errors"]
    devices = by_address(doc)
    assert set(devices) == {f"127.0.47.{11 + i}" for i in range(len(PERSONAS))}
    fixable = devices["127.0.47.11"]
    assert fixable["kind"] == "camera"
    assert fixable["onvif"] == "on"
    assert fixable["found_by"] == ["unicast"]
    assert fixable["model"] == "IPC-HFW2241S-S-0360B"  # from the scopes: no credentials given
    assert fixable["serial"] is None
    assert fixable["xaddr"] == f"http://127.0.47.11:{PORT}/onvif/device_service"
    assert "Streaming" in fixable["profiles"]
    assert abs(fixable["clock_offset_s"] + 7200) < 5  # read without credentials
    assert fixable["clock_plausible"] is True
    assert devices["127.0.47.13"]["profiles"] == ["Streaming"]  # generic-720p: Media1, Profile S only

    off = devices["127.0.47.14"]
    assert off["kind"] == "camera"
    assert off["onvif"] == "off"
    assert off["found_by"] == ["http"]
    assert any("ONVIF is off" in n for n in off["notes"])

    printer = devices["127.0.47.15"]
    assert printer["kind"] == "other"
    assert "wprt:PrintDeviceType" in printer["types"]
    assert doc["data"]["cameras"] == 4
    assert doc["data"]["others"] == 1


def test_credentials_add_identity_and_a_second_run_updates(run, school: SimulatedSchool, isolated: Path):
    env = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": "admin123"}  # the Dahua personas' account
    code, doc = run.json("discover", "--subnet", SUBNET, "--http-port", str(PORT), "--timeout", "2", env=env)
    # generic-720p has another password: listed, with an auth error, and the exit code says so.
    assert code == 5
    assert doc["status"] == "partial"
    assert [e["target"] for e in doc["errors"]] == ["127.0.47.13"]
    devices = by_address(doc)
    ready = devices["127.0.47.12"]
    assert ready["manufacturer"] == "Dahua"
    assert ready["serial"]
    assert ready["mac"].startswith("3c:ef:8c")
    assert "admin123" not in str(doc)

    code, _doc = run.json("discover", "--subnet", SUBNET, "--http-port", str(PORT), "--timeout", "2")
    with Store(isolated / "data" / "kitchencam.db") as store:
        [site] = store.list_sites()
        rows = store.list_devices(site.id)
    assert len(rows) == len(PERSONAS)
    again = {r.address: r for r in rows}
    assert again["127.0.47.12"].serial == ready["serial"]  # kept although the second run had no credentials


def test_expect_stops_early(run, school: SimulatedSchool):
    code, doc = run.json("discover", "--subnet", SUBNET, "--http-port", str(PORT), "--timeout", "5", "--expect", "4")
    assert code == 0
    assert doc["data"]["elapsed_s"] < 4
    assert len(doc["data"]["devices"]) >= 4


def test_expect_more_than_present_exits_4(run, school: SimulatedSchool):
    code, doc = run.json("discover", "--subnet", SUBNET, "--http-port", str(PORT), "--timeout", "1", "--expect", "9")
    assert code == 4
    assert "Expected 9" in doc["errors"][-1]["message"]


def test_bad_subnet_is_a_usage_error(run):
    result = run("discover", "--subnet", "10.0.0.0/8")
    assert result.exit_code == 2
    assert "/22" in result.stderr
    result = run("discover", "--subnet", "127.0.0.0/30", "--timeout", "0")
    assert result.exit_code == 2


def test_human_output(run, school: SimulatedSchool):
    result = run("discover", "--subnet", SUBNET, "--http-port", str(PORT), "--timeout", "1", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "IPC-HFW2241S-S-0360B" in result.stdout
    assert "ONVIF is off" in result.stdout
    assert "wprt:PrintDeviceType" in result.stdout
