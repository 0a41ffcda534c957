"""`discover` reads MAC, firmware, model and serial with the login saved by
`kitchencam credentials set --user` (issue 17): no --user, no KITCHENCAM_USER needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool

PASSWORD = "Bep-An-2024-an-toan"  # not a vendor default
SITE = ("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
        "--centre-url", "http://127.0.0.1:8000/")
PORT = 18187  # the sweep's HTTP check and the camera agree on the port
SUBNET = "127.0.187.8/29"


@pytest.fixture
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=["dahua-wizsense2"], bind_base="127.0.187.10", http_port=PORT, rtsp_port=0,
                          user="admin", password=PASSWORD)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def test_discover_uses_the_saved_login(run, school: SimulatedSchool, isolated: Path) -> None:
    assert run(*SITE).exit_code == 0
    # Without any login: found, but identity beyond the scopes stays empty.
    code, doc = run.json("discover", "--subnet", SUBNET, "--http-port", str(PORT), "--timeout", "2")
    assert code == 0, doc["errors"]
    [camera] = doc["data"]["devices"]
    assert camera["mac"] is None
    assert camera["firmware"] is None

    result = run("credentials", "set", "--user", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    code, doc = run.json("discover", "--subnet", SUBNET, "--http-port", str(PORT), "--timeout", "2")
    assert code == 0, doc["errors"]
    [camera] = doc["data"]["devices"]
    assert camera["mac"], camera
    assert camera["firmware"], camera
    assert camera["serial"], camera
    assert camera["model"], camera
    assert PASSWORD not in str(doc)
