"""`kitchencam handover` on a terminal asks what only the technician can answer: the MANUAL rules
(power with the profile's question) and a datasheet rule the catalogue cannot tell (the lens of a
model not in the catalogue; an advisory rule is not asked). An answer to the latter is recorded
for the cameras it was asked for only. A simulated school on loopback (127.0.76.1 the centre,
.2-.3 the cameras), driven in a pty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool
from tests.terminal import recorded, school_with_centre, spawn, terminal_env

pexpect = pytest.importorskip("pexpect")

TOKEN = "tt-centre-token-questions"
SUBNET = "127.0.76.0/29"


@pytest.fixture(scope="module")
def school() -> Iterator[SimulatedSchool]:
    # amcrest-ip2m-841 (Amcrest IP2M-841) is not in the model catalogue: its lens is UNKNOWN
    with school_with_centre(["dahua-wizsense2-ready", "amcrest-ip2m-841"], "127.0.76.1", TOKEN) as sim:
        yield sim


def env_for(home: Path, **extra: str) -> dict[str, str]:
    return terminal_env(home, TOKEN, **extra)


def test_power_has_its_question_and_an_unknown_lens_is_asked_for_its_camera_only(school: SimulatedSchool,
                                                                                  tmp_path: Path) -> None:
    assert school.centre_server is not None
    child = spawn(
        ["handover", "--subnet", SUBNET, "--expect", "2", "--timeout", "3",
         "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO", "--centre-url",
         school.centre_server.base_url, "--location", "Bếp", "--bandwidth-duration", "1",
         "--attest", "privacy-notice=yes", "--by", "Nguyễn Văn An", "--draft", "-o", str(tmp_path)],
        env_for(tmp_path, KITCHENCAM_LANG="en"), tmp_path, timeout=40)
    try:
        child.expect(r"Apply these changes\?")
        child.sendline("y")
        child.expect(r"\(lens, 1 camera\(s\)\)")  # the title line, with how many cameras wait for it
        child.expect(r"Check it on the camera, its label or its box: Fixed 3.6 mm lens. Is it so\?")
        child.sendline("yes")
        asked = ["lens"]
        while child.expect([r"its box: ([^\r\n]+)\. Is it so\?", r"Does mains power \(a socket, or PoE from the "
                            r"switch\) reach each camera's spot\?"]) == 0:
            asked.append(child.match.group(1))  # other datasheet facts the catalogue cannot tell (IP67)
            child.sendline("yes")
        child.sendline("yes")
        child.expect(r"Who attests these answers \(your name\) \[Nguyễn Văn An\]")
        child.sendline("")
        child.expect("Minutes written: ")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus in (0, 3), child.before

    devices, attestations = recorded(tmp_path)
    cameras = {d.id: d.model for d in devices}
    answers = {(cameras.get(r.device_id), r.rule, r.answer) for r in attestations}
    assert "WizSense 2 series IR bullet" not in asked  # an advisory rule is not asked
    lens = {(model, answer) for model, rule, answer in answers if rule == "lens"}
    assert lens == {("IP2M-841", True)}  # not the Dahua, whose datasheet tells its lens
    assert {model for model, rule, _a in answers if rule == "power"} == set(cameras.values())


def test_the_centre_token_is_asked_tried_and_kept_only_once_the_centre_accepts_it(school: SimulatedSchool,
                                                                                    tmp_path: Path) -> None:
    """No token saved: handover asks for it (hidden) before the uplink is measured; a token the centre
    refuses is asked again and never kept; the accepted one is kept in the keyring for the next run."""
    from kitchencam.centre import token_key
    from kitchencam.settings import Paths, SecretStore

    assert school.centre_server is not None
    env = env_for(tmp_path, KITCHENCAM_LANG="en")
    env.pop("KITCHENCAM_CENTRE_TOKEN")
    child = spawn(
        ["handover", "--subnet", SUBNET, "--expect", "2", "--timeout", "3", "--yes",
         "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO", "--centre-url",
         school.centre_server.base_url, "--location", "Bếp", "--bandwidth-duration", "1", "--attest",
         "privacy-notice=yes", "--attest", "power=yes", "--by", "Nguyễn Văn An", "--draft", "-o", str(tmp_path)],
        env, tmp_path, timeout=40)
    try:
        child.expect(r"The district centre's token \(hidden; Enter: not now\)")
        child.sendline("not-the-token")
        child.expect("The centre refused that token")
        child.expect(r"The district centre's token \(hidden")
        child.sendline(TOKEN)
        child.expect("Step 5/8: Measure the uplink")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert "not-the-token" not in (child.before or "")  # hidden input is never echoed
    paths = Paths(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
    import os

    os.environ["KITCHENCAM_KEYRING"] = "file"  # read the same file keyring the run wrote
    try:
        assert SecretStore(paths).get(token_key("MN-TTO")) == TOKEN
    finally:
        del os.environ["KITCHENCAM_KEYRING"]
    assert child.exitstatus in (0, 3), child.before
