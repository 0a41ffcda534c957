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
