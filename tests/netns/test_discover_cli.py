"""``kitchencam discover`` end to end: the real CLI in one namespace, ``kitchencam sim`` in others.

    cam namespace                                             tool namespace
    link 0: 198.18.62.11 dahua-wizsense2 (clock 2 h behind)   <-->  198.18.62.200/24  (if0)
            198.18.62.12 dahua-wizsense2-ready
            198.18.62.13 hikvision-ds2cd1023g0e-i (Hik12345)
            198.18.62.14 generic-720p
            198.18.62.15 printer (answers WS-Discovery, no camera)
            198.18.62.16 hikvision-onvif-off (silent on WS-Discovery, HTTP only)
    cam2 namespace
    link 1: 198.18.63.11 dahua-wizsense2-ready                <-->  198.18.63.200/24  (if1)

Every camera listens on HTTP 80 / RTSP 554 of its own address (root inside a namespace we made).
``kitchencam discover --json`` runs only inside the tool namespace (``ip netns exec``), where the
only interfaces are ``lo`` and the two veths, so its multicast never leaves the lab. Each run
gets a fresh config/data directory unless a test shares one on purpose. Skips without root.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.netns.netns import Lab, lab
from tests.netns.peers import PYTHON, REPO, Lines, _child_env, stop

PERSONAS = ["dahua-wizsense2", "dahua-wizsense2-ready", "hikvision-ds2cd1023g0e-i", "generic-720p",
            "printer", "hikvision-onvif-off"]
NET0, NET1 = "198.18.62", "198.18.63"
TOOL0, TOOL1 = f"{NET0}.200", f"{NET1}.200"
# Personas that answer WS-Discovery as cameras (the printer answers as "other"; onvif-off is silent).
DISCOVERABLE = ["dahua-wizsense2", "dahua-wizsense2-ready", "hikvision-ds2cd1023g0e-i", "generic-720p"]
DAHUA_PASSWORD = "admin123"
RUN_TIMEOUT_S = 60.0


@dataclass
class School:
    net: Lab
    tool: str
    if0: str  # tool-side veth to the cam namespace
    if1: str  # tool-side veth to the cam2 namespace
    cams: dict[str, dict[str, Any]]  # persona -> sim endpoint line (link 0)
    far: dict[str, Any]  # the camera behind link 1


def _start_sim(net: Lab, ns: str, personas: list[str], bind_base: str) -> tuple[subprocess.Popen[str],
                                                                                 list[dict[str, Any]]]:
    argv = [PYTHON, "-m", "kitchencam", "sim", "--bind-base", bind_base, "--http-port", "80", "--rtsp-port", "554"]
    for p in personas:
        argv += ["--persona", p]
    proc = net.popen(ns, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(REPO), env=_child_env())
    lines = Lines(proc)
    try:
        return proc, [lines.next_json(30, f"sim endpoint {i + 1}/{len(personas)}") for i in range(len(personas))]
    except BaseException:
        stop(proc)
        raise


@pytest.fixture(scope="module")
def school() -> Iterator[School]:
    procs: list[subprocess.Popen[str]] = []
    with lab() as net:  # deletes every namespace (and kills what runs in it) on the way out
        try:
            cam = net.namespace("cam")
            cam2 = net.namespace("cam2")
            tool = net.namespace("tool")
            cam_addrs = [f"{NET0}.1/24"] + [f"{NET0}.{10 + k}/24" for k in range(1, len(PERSONAS) + 1)]
            _, if0 = net.link(cam, cam_addrs, tool, [f"{TOOL0}/24"])
            _, if1 = net.link(cam2, [f"{NET1}.1/24", f"{NET1}.11/24"], tool, [f"{TOOL1}/24"])
            proc, endpoints = _start_sim(net, cam, PERSONAS, f"{NET0}.10")
            procs.append(proc)
            proc2, far = _start_sim(net, cam2, ["dahua-wizsense2-ready"], f"{NET1}.10")
            procs.append(proc2)
            yield School(net, tool, if0, if1, {e["persona"]: e for e in endpoints}, far[0])
        finally:
            for p in procs:
                stop(p)


def discover(school: School, *args: str, data_dir: Path, creds: str | None = None) -> tuple[int, dict[str, Any]]:
    """Run ``kitchencam discover --json ARGS`` in the tool namespace; (exit code, envelope)."""
    env = {"KITCHENCAM_CONFIG_DIR": str(data_dir / "config"), "KITCHENCAM_DATA_DIR": str(data_dir / "data"),
           "KITCHENCAM_KEYRING": "file"}
    if creds is not None:
        env.update({"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": creds})
    child_env = _child_env(env)
    # Nothing from the caller's environment may point the tool at another store or account.
    for key in ("KITCHENCAM_SITE", "KITCHENCAM_STORE", *(() if creds else ("KITCHENCAM_USER", "KITCHENCAM_PASSWORD"))):
        child_env.pop(key, None)
    done = subprocess.run(["ip", "netns", "exec", school.tool, PYTHON, "-m", "kitchencam", "discover", "--json",
                           *args], capture_output=True, text=True, cwd=str(REPO), env=child_env,
                          timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL)
    try:
        envelope = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not one JSON document (rc={done.returncode}): {done.stdout!r} {done.stderr[-3000:]}") \
            from exc
    assert envelope["kitchencam_result_version"] == 1, envelope
    assert envelope["command"] == "discover", envelope
    return done.returncode, envelope


def by_address(envelope: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["address"]: d for d in envelope["data"]["devices"]}


def store_rows(data_dir: Path) -> list[Any]:
    from kitchencam.store import Store

    with Store(data_dir / "data" / "kitchencam.db") as store:
        site = store.get_site("local")
        assert site is not None
        return store.list_devices(site.id)


# ------------------------------------------------------------------------------------------------


def test_multicast_on_every_interface_then_update_not_duplicate(school: School, tmp_path: Path) -> None:
    rc, env = discover(school, "--timeout", "2", data_dir=tmp_path)
    assert rc == 0, env
    assert env["status"] == "ok"
    assert env["errors"] == []
    data = env["data"]
    found = by_address(env)

    # Both interfaces searched (lo is not); each counts the devices behind it.
    searched = {s["interface"]: s for s in data["searched"]}
    assert set(searched) == {school.if0, school.if1}, searched
    assert searched[school.if0]["devices"] == len(DISCOVERABLE) + 1  # the printer answers too
    assert searched[school.if1]["devices"] == 1
    assert all(s["probes_sent"] >= 3 and s["malformed"] == 0 for s in searched.values())

    for persona in DISCOVERABLE:
        sim = school.cams[persona]
        row = found.get(sim["ip"])
        assert row is not None, f"{persona} not found: {sorted(found)}"
        assert row["kind"] == "camera"
        assert row["onvif"] == "on"
        assert row["endpoint"] == sim["endpoint_reference"]
        assert row["xaddr"] == sim["xaddr"]
        assert sim["xaddr"] in row["xaddrs"]
        assert row["found_by"] == ["multicast"]
        assert row["interfaces"] == [school.if0]
        assert row["model"], row  # hardware scope
        assert "Streaming" in row["profiles"], row
        # The clock was read through that XAddr without credentials: it is reachable.
        assert row["clock_offset_s"] is not None, row
        assert row["clock_plausible"] is True, row
        assert row["error"] is None
        assert row["manufacturer"] is None
        assert row["serial"] is None
    assert found[school.cams["dahua-wizsense2"]["ip"]]["model"] == "IPC-HFW2241S-S-0360B"
    assert found[school.cams["hikvision-ds2cd1023g0e-i"]["ip"]]["model"] == "DS-2CD1023G0E-I"
    assert found[school.cams["generic-720p"]["ip"]]["profiles"] == ["Streaming"]
    assert found[school.cams["dahua-wizsense2"]["ip"]]["clock_offset_s"] == pytest.approx(-7200, abs=5)

    far = found.get(school.far["ip"])
    assert far is not None, sorted(found)
    assert far["kind"] == "camera", far
    assert far["interfaces"] == [school.if1], far
    assert far["xaddr"] == school.far["xaddr"]

    printer = found[school.cams["printer"]["ip"]]
    assert printer["kind"] == "other"
    assert printer["onvif"] != "on"
    assert printer["xaddr"] is None
    assert printer["profiles"] == []
    assert printer["clock_offset_s"] is None
    assert school.cams["hikvision-onvif-off"]["ip"] not in found  # silent on WS-Discovery, no --subnet
    assert data["cameras"] == len(DISCOVERABLE) + 1
    assert data["others"] == 1
    assert data["recorded"] is True
    assert data["site"] == "local"
    # Multicast only: all answers within 0.5 s, then the wait runs to --timeout.
    assert 2.0 <= data["elapsed_s"] < 2.0 + 1.5, data["elapsed_s"]

    first = store_rows(tmp_path)
    assert sorted(r.endpoint for r in first) == sorted(d["endpoint"] for d in data["devices"])

    # Again, into the same inventory: every row updated, none duplicated.
    rc2, env2 = discover(school, "--timeout", "2", data_dir=tmp_path)
    assert rc2 == 0, env2
    assert len(env2["data"]["devices"]) == len(data["devices"])
    second = store_rows(tmp_path)
    assert len(second) == len(first)
    assert {r.endpoint: r.id for r in second} == {r.endpoint: r.id for r in first}


def test_credentials_and_interface_limit(school: School, tmp_path: Path) -> None:
    rc, env = discover(school, "--interface", school.if0, "--timeout", "2", data_dir=tmp_path,
                       creds=DAHUA_PASSWORD)
    found = by_address(env)
    # --interface: only link 0 was searched, so the camera behind link 1 is not there.
    assert [s["interface"] for s in env["data"]["searched"]] == [school.if0]
    assert school.far["ip"] not in found
    assert all(d["interfaces"] == [school.if0] for d in env["data"]["devices"])

    for persona in ("dahua-wizsense2", "dahua-wizsense2-ready"):
        row = found[school.cams[persona]["ip"]]
        assert row["error"] is None, row
        assert row["manufacturer"] == "Dahua"
        assert row["model"] == "IPC-HFW2241S-S-0360B"
        assert (row["serial"] or "").startswith("8H0A"), row
        assert (row["mac"] or "").startswith("3c:ef:8c:"), row
        assert (row["firmware"] or "").startswith("2.840"), row
    assert found[school.cams["dahua-wizsense2"]["ip"]]["clock_offset_s"] == pytest.approx(-7200, abs=5)
    assert found[school.cams["dahua-wizsense2-ready"]["ip"]]["clock_offset_s"] == pytest.approx(0, abs=5)

    # The Hikvision and the generic camera have other passwords: found, clock read, identity not.
    for persona in ("hikvision-ds2cd1023g0e-i", "generic-720p"):
        row = found[school.cams[persona]["ip"]]
        assert row["kind"] == "camera"
        assert row["clock_offset_s"] is not None
        assert (row["error"] or {}).get("code") == "AuthFailed", row
        assert row["serial"] is None
        assert row["mac"] is None
    # The password never shows in the output.
    assert DAHUA_PASSWORD not in json.dumps(env)
    assert rc == 5, env
    assert env["status"] == "partial"
    assert {e["target"] for e in env["errors"]} == {school.cams["hikvision-ds2cd1023g0e-i"]["ip"],
                                                     school.cams["generic-720p"]["ip"]}


def test_interface_limits_to_the_other_side(school: School, tmp_path: Path) -> None:
    rc, env = discover(school, "--interface", school.if1, "--timeout", "1.5", data_dir=tmp_path)
    assert rc == 0, env
    devices = env["data"]["devices"]
    assert [d["address"] for d in devices] == [school.far["ip"]]
    assert devices[0]["interfaces"] == [school.if1]
    assert devices[0]["found_by"] == ["multicast"]
    assert [s["interface"] for s in env["data"]["searched"]] == [school.if1]


def test_subnet_sweep_finds_onvif_off(school: School, tmp_path: Path) -> None:
    # A /27 holds every address of link 0's school (.1-.30); the silent ones cost an ARP timeout.
    rc, env = discover(school, "--subnet", f"{NET0}.0/27", "--timeout", "3", data_dir=tmp_path)
    assert rc == 0, env
    found = by_address(env)
    assert env["data"]["subnets"] == [f"{NET0}.0/27"]
    off = found.get(school.cams["hikvision-onvif-off"]["ip"])
    assert off is not None, sorted(found)
    assert (off["kind"], off["onvif"], off["found_by"]) == ("camera", "off", ["http"]), off
    assert off["xaddr"] is None
    assert any("ONVIF is off" in n and "web page" in n for n in off["notes"]), off["notes"]
    for persona in DISCOVERABLE:
        row = found[school.cams[persona]["ip"]]
        assert row["kind"] == "camera"
        assert row["onvif"] == "on"
        assert row["found_by"] == ["unicast"], row
        assert row["xaddr"] == school.cams[persona]["xaddr"]
    assert found[school.cams["printer"]["ip"]]["kind"] == "other"
    # --subnet alone: no multicast, so the camera behind link 1 is not searched.
    assert school.far["ip"] not in found
    assert env["data"]["cameras"] == len(DISCOVERABLE) + 1


def test_expect_returns_early_and_short_count_is_exit_4(school: School, tmp_path: Path) -> None:
    expected = len(DISCOVERABLE) + 1  # cameras and the printer behind link 0
    started = time.monotonic()
    rc, env = discover(school, "--interface", school.if0, "--expect", str(expected), "--timeout", "10",
                       data_dir=tmp_path)
    wall = time.monotonic() - started
    assert rc == 0, env
    assert len(env["data"]["devices"]) == expected
    # Devices answer within 0.5 s; enrichment follows. Far below the 10 s timeout.
    assert env["data"]["elapsed_s"] < 2.0, env["data"]["elapsed_s"]
    assert wall < 6.0, wall

    rc, env = discover(school, "--interface", school.if0, "--expect", str(expected + 3), "--timeout", "1.5",
                       data_dir=tmp_path)
    assert rc == 4, env
    assert env["status"] in ("partial", "error")
    assert len(env["data"]["devices"]) == expected  # what was found is still reported
    assert any(f"Expected {expected + 3} devices, found {expected}" in e["message"] for e in env["errors"]), env
    assert 1.5 <= env["data"]["elapsed_s"] < 1.5 + 1.5


def test_sweep_probes_every_host_of_a_silent_24(netlab: Lab, tmp_path: Path) -> None:
    net = "198.18.64"
    cam = netlab.namespace("cam")
    tool = netlab.namespace("tool")
    netlab.link(cam, [f"{net}.1/24", f"{net}.241/24"], tool, [f"{net}.200/24"])
    proc, endpoints = _start_sim(netlab, cam, ["dahua-lite-s2"], f"{net}.240")
    try:
        rc, env = discover(School(netlab, tool, "", "", {}, {}), "--subnet", f"{net}.0/24", data_dir=tmp_path)
    finally:
        stop(proc)
    found = by_address(env)
    assert rc == 0, env
    assert found[f"{net}.241"]["endpoint"] == endpoints[0]["endpoint_reference"]
    assert found[f"{net}.241"]["found_by"] == ["unicast"], found[f"{net}.241"]
