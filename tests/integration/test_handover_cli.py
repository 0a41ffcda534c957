"""`kitchencam handover` through the real entry point: a simulated 4-camera school and its centre on
loopback (127.0.61.1 the centre, .2-.5 the cameras), from no site config to the minutes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool
from kitchencam.store import Store

PASSWORD = "Bep-An-2024-an-toan"
TOKEN = "tt-centre-token-handover"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD, "KITCHENCAM_CENTRE_TOKEN": TOKEN}
BASE = "127.0.61.1"
SUBNET = "127.0.61.0/29"
PERSONAS = ["dahua-wizsense2", "dahua-wizsense2", "dahua-wizsense2-ready", "generic-720p"]


@pytest.fixture(scope="module")
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=PERSONAS, bind_base=BASE, http_port=0, rtsp_port=0, user="admin",
                          password=PASSWORD, centre=True, centre_port=0, centre_token=TOKEN)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def sets(sim: SimulatedSchool) -> list[str]:
    """Every ONVIF Set call and vendor-API write the cameras received."""
    return [op for m in sim.members for _path, op in m.camera.requests
            if op.split(":")[-1].startswith("Set") or "setConfig" in op or op.startswith(("PUT ", "POST "))]


def forget_requests(sim: SimulatedSchool) -> None:
    for m in sim.members:
        m.camera.requests.clear()


def handover(run, school: SimulatedSchool, out: Path, *extra: str) -> tuple[int, dict]:
    assert school.centre_server is not None
    return run.json("handover", "--subnet", SUBNET, "--expect", "4", "--timeout", "3",
                    "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
                    "--centre-url", school.centre_server.base_url, "--bandwidth-duration", "1",
                    "--attest", "power=yes", "--by", "Nguyễn Văn An", "--draft", "-o", str(out), *extra, env=ENV)


def test_handover_resumes_and_restarts(run, school, isolated: Path):
    out = isolated / "minutes"
    out.mkdir()

    # No site config and nothing to make one from: exit 2, naming what to give.
    code, doc = run.json("handover", "--subnet", SUBNET, env=ENV)
    assert code == 2
    message = doc["errors"][0]["message"]
    assert "--school-name" in message
    assert "--centre-url" in message

    # Without --yes and without a terminal: the plan only, said so, and nothing set.
    forget_requests(school)
    code, doc = handover(run, school, out)
    assert code == 0, doc["errors"]
    data = doc["data"]
    assert data["site"]["created"] is True
    assert data["provision_plan_only"] is True
    assert data["stopped_at"] == "provision"
    assert [s["stage"] for s in data["stages"]] == ["site", "discover", "check", "provision"]
    assert "--yes" in data["stages"][-1]["note"]
    assert sets(school) == []
    assert data["discover"]["cameras"] == 4

    # --yes: continues (discover and check resumed), provisions, measures, registers, writes the PDF.
    code, doc = handover(run, school, out, "--yes")
    data = doc["data"]
    assert code in (0, 3), doc["errors"]  # 3: a camera no setting can fix (the 720p one) stays non-compliant
    status = {s["stage"]: s["status"] for s in data["stages"]}
    assert status == {"site": "resumed", "discover": "resumed", "check": "resumed", "provision": "done",
                      "bandwidth": "done", "register": "done", "attestations": "done", "report": "done"}
    assert {c["state"] for c in data["provision"]} <= {"provisioned", "no-op"}
    assert len(data["provision"]) == 4
    assert sets(school)  # the factory cameras were set
    pdf = Path(data["report"]["paths"]["pdf"])
    assert pdf.exists()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert data["registration"]["cameras"]
    answers = [v for d in data["attestations"]["devices"] for v in d["verdicts"] if v["rule"] == "power"]
    assert answers
    assert all(v["status"] == "PASS" for v in answers)

    # Someone puts the first camera's codec back to H264. Again: every stage done earlier, no camera
    # provisioned again (no Set call reaches a camera), though this one now has something to change.
    first = school.members[0].camera
    assert first.main_stream()[0] == "H265"
    with first._lock:
        first.encoders[0].encoding = "H264"
    forget_requests(school)
    code, doc = handover(run, school, out, "--yes")
    assert code in (0, 3), doc["errors"]
    assert {s["status"] for s in doc["data"]["stages"] if s["stage"] != "report"} == {"resumed"}
    assert sets(school) == []
    assert Path(doc["data"]["report"]["paths"]["pdf"]).exists()

    # --restart starts over: every stage runs again, and the first camera is provisioned again.
    forget_requests(school)
    code, doc = handover(run, school, out, "--yes", "--restart")
    assert code in (0, 3), doc["errors"]
    assert {s["status"] for s in doc["data"]["stages"]} == {"done"}
    states = {c["target"]: c["state"] for c in doc["data"]["provision"]}
    assert states[first.device_xaddr] == "provisioned"
    assert any("SetVideoEncoderConfiguration" in op for _p, op in first.requests)
    assert first.main_stream()[0] == "H265"
    with Store(isolated / "data" / "kitchencam.db") as store:
        site = store.get_site("MN-TTO")
        assert site is not None
        progress = store.handover_progress(site.id)
    assert ("report", "") in progress
    assert sum(1 for stage, _item in progress if stage == "provision") == 5  # 4 cameras + the stage

    # In words: one line per stage, then where the minutes are.
    assert school.centre_server is not None
    result = run("handover", "--subnet", SUBNET, "--yes", "--draft", "-o", str(out), env=ENV)
    assert result.exit_code in (0, 3), result.output
    assert "Step 4/8: Set the cameras: done earlier" in result.stdout
    assert "Minutes written: " in result.stdout
    assert ".pdf" in result.stdout


@pytest.mark.parametrize(("option", "said"), [
    (["--subnet", "999.1.1.0/24"], "999.1.1.0/24 is not a subnet"),
    (["--expect", "0"], "--expect must be at least 1"),
    (["--timeout", "0"], "--timeout must be between 0 and 60 seconds"),
])
def test_wrong_discover_options_are_a_usage_error_before_anything_is_done(run, isolated: Path, option: list[str],
                                                                          said: str) -> None:
    """Not a stage that failed (running again with them would fail again): exit 2 before the site is
    created or a camera is looked for."""
    args = ["handover", *option, "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
            "--centre-url", "http://127.0.0.1:9"]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert "Run kitchencam handover again" not in result.output
    assert not (isolated / "config" / "site.yaml").exists()
    code, doc = run.json(*args)
    assert code == 2
    assert doc["errors"][0]["code"] == "UsageError"
