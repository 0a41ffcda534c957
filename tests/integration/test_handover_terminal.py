"""`kitchencam handover` on a real terminal (a pty driven by pexpect): the questions a technician
answers on site, and what a script gets instead. A simulated 2-camera school and its centre on
loopback (127.0.62.1 the centre, .2-.3 the cameras); kitchencam runs as its own process."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool
from kitchencam.store import Store

pexpect = pytest.importorskip("pexpect")

PASSWORD = "Bep-An-2024-an-toan"
TOKEN = "tt-centre-token-terminal"
BASE = "127.0.62.1"
SUBNET = "127.0.62.0/29"
PERSONAS = ["dahua-wizsense2", "dahua-wizsense2-ready"]


@pytest.fixture(scope="module")
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=PERSONAS, bind_base=BASE, http_port=0, rtsp_port=0, user="admin",
                          password=PASSWORD, centre=True, centre_port=0, centre_token=TOKEN)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITCHENCAM_", "LC_", "LANG"))}
    env.update({"KITCHENCAM_CONFIG_DIR": str(home / "config"), "KITCHENCAM_DATA_DIR": str(home / "data"),
                "KITCHENCAM_KEYRING": "file", "KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD,
                "KITCHENCAM_CENTRE_TOKEN": TOKEN, "COLUMNS": "200", "TERM": "xterm", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def spawn(args: list[str], env: dict[str, str], cwd: Path) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "kitchencam", *args], env=env, cwd=str(cwd), timeout=60,
                         encoding="utf-8", dimensions=(50, 200))


def test_terminal_asks_site_plan_places_and_manual_rules(school: SimulatedSchool, tmp_path: Path) -> None:
    assert school.centre_server is not None
    # --attest power=yes is given: power is not asked again; the privacy notice is.
    child = spawn(["handover", "--subnet", SUBNET, "--expect", "2", "--timeout", "3", "--bandwidth-duration", "1",
                   "--attest", "power=yes", "--by", "Nguyễn Văn An", "--draft", "-o", str(tmp_path)],
                  env_for(tmp_path, KITCHENCAM_LANG="en"), tmp_path)
    try:
        child.expect("Step 1/8: Site config")
        child.expect("School name, as on its seal")
        child.sendline("Trường Mầm non Tả Thanh Oai")
        child.expect(r"Short school code")
        child.sendline("MN-TTO")
        child.expect("Base URL of the district centre API")
        child.sendline(school.centre_server.base_url)
        child.expect(r"School address \[Thanh Trì, Hà Nội\]")
        child.sendline("")  # the default
        child.expect("Step 4/8: Set the cameras")
        child.expect(r"Apply these changes\?")
        child.sendline("y")
        for _n in range(2):
            child.expect(r"Where is camera (\d) installed")
            child.sendline(f"Bếp {child.match.group(1)}")
        index = child.expect([r"notice that the kitchen is filmed", r"Power at the camera"])
        assert index == 0, "power was answered by --attest and must not be asked again"
        child.sendline("có")
        child.expect(r"Who attests these answers \(your name\) \[Nguyễn Văn An\]")
        child.sendline("")
        child.expect("Minutes written: ")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus in (0, 3), child.before

    with Store(tmp_path / "data" / "kitchencam.db") as store:
        site = store.get_site("MN-TTO")
        assert site is not None
        places = sorted(d.install_location or "" for d in store.list_devices(site.id, kind="camera"))
        answers = {(r.rule, r.answer, r.by) for r in store.camera_attestations(site.id)}
    assert places == ["Bếp 1", "Bếp 2"]  # one place per camera, kept for the centre and the minutes
    # The typed answer is recorded exactly as --attest's, by the default name (--by's).
    assert ("privacy-notice", True, "Nguyễn Văn An") in answers
    assert ("power", True, "Nguyễn Văn An") in answers
    assert (tmp_path / "config" / "site.yaml").exists() or list((tmp_path / "config").glob("*.yaml"))


def test_no_terminal_never_asks(school: SimulatedSchool, tmp_path: Path) -> None:
    """stdin not a terminal (a script): no prompt waits; without site options, the usage error."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "kitchencam", "handover", "--subnet", SUBNET],
                          env=env_for(tmp_path, KITCHENCAM_LANG="en"), cwd=tmp_path, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--school-name" in done.stderr


def test_script_location_for_every_camera_and_stage_lines(school: SimulatedSchool, tmp_path: Path) -> None:
    """--yes without a terminal: nothing asked; --location is each camera's place (it was refused with
    more than one camera); the stages' progress goes to stderr, the JSON alone to stdout."""
    import json
    import subprocess

    assert school.centre_server is not None
    done = subprocess.run(
        [sys.executable, "-m", "kitchencam", "handover", "--subnet", SUBNET, "--expect", "2", "--timeout", "3",
         "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO", "--centre-url",
         school.centre_server.base_url, "--bandwidth-duration", "1", "--yes", "--location", "Bếp ăn tầng 1",
         "--draft", "-o", str(tmp_path)],
        env=env_for(tmp_path, KITCHENCAM_LANG="en"), cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=120)
    assert done.returncode in (0, 3), done.stderr
    assert "Step 1/8: Site config" in done.stderr
    assert "Step 8/8: Minutes" in done.stderr
    assert "camera 2/2 " in done.stderr  # each camera set is told
    assert "Minutes written: " in done.stdout
    with Store(tmp_path / "data" / "kitchencam.db") as store:
        site = store.get_site("MN-TTO")
        assert site is not None
        places = [d.install_location for d in store.list_devices(site.id, kind="camera")]
    assert places == ["Bếp ăn tầng 1", "Bếp ăn tầng 1"]

    # --json: no progress lines on stderr, the document on stdout.
    again = subprocess.run(
        [sys.executable, "-m", "kitchencam", "handover", "--yes", "--draft", "-o", str(tmp_path), "--json"],
        env=env_for(tmp_path, KITCHENCAM_LANG="en"), cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=120)
    assert again.returncode in (0, 3), again.stderr
    assert "Step " not in again.stderr
    assert json.loads(again.stdout)["data"]["report"]["paths"]
