"""Traps a technician met on a first day (issue 17), each through the real CLI against simulated
cameras: the saved login, attestations that hold, one hostname number per camera."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool

PASSWORD = "Bep-An-2024-an-toan"  # not a vendor default
SITE = ("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
        "--centre-url", "http://127.0.0.1:8000/")


@pytest.fixture
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=["dahua-wizsense2", "dahua-wizsense2"], bind_base="127.0.141.10", http_port=0,
                          rtsp_port=0, user="admin", password=PASSWORD, discovery=False)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def xaddr(sim: SimulatedSchool, k: int = 0) -> str:
    return sim.members[k].camera.device_xaddr


def test_saved_login_is_used_without_kitchencam_user(run, school, isolated: Path):
    assert run(*SITE).exit_code == 0
    # A new password is typed twice (hidden); a mismatch is asked again, as a typo would be.
    result = run("credentials", "set", "--user", "admin", input=f"{PASSWORD}\nwrong\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Type it again to confirm" in result.output
    assert PASSWORD not in result.output
    assert not [f for f in isolated.rglob("*") if f.is_file() and PASSWORD.encode() in f.read_bytes()
                and f.name != "secrets.json"]  # the password only where the keyring keeps it
    # Neither KITCHENCAM_USER nor KITCHENCAM_PASSWORD nor --user: the saved login is used.
    code, doc = run.json("check", xaddr(school))
    assert code == 3, doc["errors"]  # the factory camera is judged (not a credential error)
    assert doc["data"]["devices"][0]["serial"]
    code, doc = run.json("provision", xaddr(school), "--dry-run")
    assert code == 0, doc["errors"]
    # Forgetting the user forgets the remembered name too: no stale login is tried.
    assert run("credentials", "forget", "--user", "admin").exit_code == 0
    code, doc = run.json("check", xaddr(school))
    assert code == 1, doc
    assert doc["errors"][0]["code"] == "CredentialError"
    assert "KITCHENCAM_USER" in doc["errors"][0]["message"]


def power(doc: dict) -> dict:
    return next(v for v in doc["data"]["devices"][0]["verdicts"] if v["rule"] == "power")


def test_attestation_holds_for_the_next_checks_until_revoked(run, school, isolated: Path):
    from kitchencam.store import Store

    env = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
    first, other = xaddr(school, 0), xaddr(school, 1)
    code, doc = run.json("check", first, "--attest", "power=yes", "--by", "Nguyễn Văn An", env=env)
    assert power(doc)["status"] == "PASS"
    # The next plain check of that camera still has the technician's answer, with who and when.
    code, doc = run.json("check", first, env=env)
    assert power(doc)["status"] == "PASS", power(doc)
    assert power(doc)["attested_by"] == "Nguyễn Văn An"
    # Another camera was never attested: its power stays MANUAL.
    code, doc = run.json("check", other, env=env)
    assert power(doc)["status"] == "MANUAL"
    # Revoked: MANUAL again, in this run and the next, and the minutes no longer show the answer.
    code, doc = run.json("check", first, "--attest", "power=revoke", "--by", "Nguyễn Văn An", env=env)
    assert power(doc)["status"] == "MANUAL", power(doc)
    code, doc = run.json("check", first, env=env)
    assert power(doc)["status"] == "MANUAL"
    with Store(isolated / "data" / "kitchencam.db") as store:
        site = store.list_sites()[0]
        assert [a.rule for a in store.camera_attestations(site.id)] == []
    # Attested again after the revocation: it holds again.
    run.json("check", first, "--attest", "power=yes", "--by", "Trần Thị Bình", env=env)
    code, doc = run.json("check", first, env=env)
    assert power(doc)["attested_by"] == "Trần Thị Bình"
    code, doc = run.json("check", first, "--attest", "nosuchrule=revoke", env=env)
    assert code == 2


def test_cameras_provisioned_one_at_a_time_get_their_own_numbers(run, school, isolated: Path):
    from kitchencam.store import Store

    env = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
    assert run(*SITE).exit_code == 0
    for k in (0, 1):
        code, doc = run.json("provision", xaddr(school, k), "--yes", env=env)
        assert code == 0, doc["errors"]
    names = [m.camera.state.hostname for m in school.members]
    assert names == ["MN-TTO-BEP-1", "MN-TTO-BEP-2"]
    # A camera keeps its number: provisioning the first again (alone, or after the second) plans no new name.
    for targets in ([xaddr(school, 0)], [xaddr(school, 1), xaddr(school, 0)]):
        code, doc = run.json("provision", *targets, "--dry-run", env=env)
        assert code == 0, doc["errors"]
        assert all(s["name"] != "hostname" for c in doc["data"]["cameras"] for s in c["steps"]), doc["data"]
    # The numbers are the ones register gives the cameras' device IDs; no connection is claimed yet.
    with Store(isolated / "data" / "kitchencam.db") as store:
        site = store.get_site("MN-TTO")
        assert site is not None
        keys = [c["camera_key"] for c in doc["data"]["cameras"]][::-1]
        assert store.connection_numbers(site.id, keys) == {keys[0]: 1, keys[1]: 2}
        assert store.connections(site.id) == []
