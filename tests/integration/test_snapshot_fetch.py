"""The snapshot at provisioning, against simulated cameras on loopback: the ONVIF address (Media2,
Media1 for a Media1-only camera), the digest-protected GET with its limits, and provisioning that
records a picture, or a failure, and never fails for it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from kitchencam.errors import AuthFailed, BadReply, Unreachable
from kitchencam.logins import BUDGET
from kitchencam.onvif.snapshot import fetch_snapshot, snapshot_uri, take_snapshot
from kitchencam.sim.school import SimulatedSchool
from kitchencam.store import Store

SIM_JPEG = resources.files("kitchencam.sim").joinpath("assets/snapshot.jpg").read_bytes()
PASSWORD = "Bep-An-2024-an-toan"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
SITE = ("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
        "--centre-url", "http://127.0.0.1:8000/")


def test_media2_uri_and_digest_get(sim):
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    client.connect()
    found = snapshot_uri(client)
    assert found.operation == "tr2:GetSnapshotUri"
    assert found.uri.startswith(f"http://{cam.ip}:{cam.http_port}/")
    shot = fetch_snapshot(found.uri, user=cam.user, password=cam.password, operation=found.operation)
    assert shot.data == SIM_JPEG
    assert shot.content_type == "image/jpeg"
    assert shot.source.startswith("tr2:GetSnapshotUri http://")
    assert cam.password not in shot.source


def test_media1_only_camera(sim):
    cam = sim.camera("generic-720p")
    client = sim.client(cam)
    client.connect()
    shot = take_snapshot(client, user=cam.user, password=cam.password)
    assert shot.source.startswith("trt:GetSnapshotUri ")
    assert shot.data == SIM_JPEG


def test_wrong_password_size_limit_and_no_server(sim):
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    client.connect()
    uri = snapshot_uri(client).uri
    with pytest.raises(AuthFailed, match="refused the camera account"):
        fetch_snapshot(uri, user=cam.user, password="not-the-password")
    # The refusal stops logins to this camera for the run (kitchencam/logins.py): a new run.
    BUDGET.reset()
    with pytest.raises(BadReply, match=r"more than (the )?100"):
        fetch_snapshot(uri, user=cam.user, password=cam.password, max_bytes=100)
    # Credentials written into the URI by a firmware are not needed and never shown.
    with_userinfo = uri.replace("http://", f"http://{cam.user}:{cam.password}@")
    shot = fetch_snapshot(with_userinfo, user=cam.user, password=cam.password)
    assert cam.password not in shot.source
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable):
        fetch_snapshot(f"http://127.0.0.1:{port}/snap.jpg", user="admin", password="x")


@pytest.fixture
def school(request: pytest.FixtureRequest) -> Iterator[SimulatedSchool]:
    marker = request.node.get_closest_marker("sim")
    kwargs = marker.kwargs if marker else {}
    sim = SimulatedSchool(personas=["dahua-wizsense2"], bind_base=kwargs["base"], http_port=0, rtsp_port=0,
                          user="admin", password=PASSWORD, discovery=False, faults=kwargs.get("faults", []))
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.mark.sim(base="127.0.92.10")
def test_provision_stores_the_picture(run, school, isolated: Path):
    assert run(*SITE).exit_code == 0
    code, doc = run.json("provision", school.members[0].camera.device_xaddr, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    [cam] = doc["data"]["cameras"]
    assert cam["snapshot"]["error"] is None
    assert cam["snapshot"]["size"] == len(SIM_JPEG)
    assert "data" not in json.dumps(cam["snapshot"])  # the bytes go to the store, not to --json
    with Store(isolated / "data" / "kitchencam.db") as store:
        site = store.get_site("MN-TTO")
        assert site is not None
        [shot] = store.snapshots(site.id)
        assert shot.data == SIM_JPEG
        assert shot.camera_key == cam["serial"]
        [result] = store.provision_results(site.id)
        assert result.state == "provisioned"
        assert result.rtsp
        assert result.rtsp["codec"] == "H265"
        assert {s["name"] for s in result.steps} >= {"encoder", "imaging", "time"}


@pytest.mark.sim(base="127.0.93.10", faults=["fault-on=GetSnapshotUri"])
def test_a_camera_without_snapshot_is_still_provisioned(run, school, isolated: Path):
    assert run(*SITE).exit_code == 0
    code, doc = run.json("provision", school.members[0].camera.device_xaddr, "--yes", env=ENV)
    [cam] = doc["data"]["cameras"]
    assert cam["state"] == "provisioned", cam
    assert code == 0
    assert cam["snapshot"]["error"], cam["snapshot"]
    with Store(isolated / "data" / "kitchencam.db") as store:
        site = store.get_site("MN-TTO")
        assert site is not None
        [shot] = store.snapshots(site.id)
        assert shot.data is None
        assert shot.error
