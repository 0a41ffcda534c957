"""`kitchencam handover` on a terminal with no saved login (issue 17, "nothing to remember"): the login
typed at the prompt is offered for keeping once a camera accepted it, and a second run (resumed after
a ladder trip) asks for it no more; a wrong password is never offered, and costs at most 2 refused
logins per camera. A simulated 2-camera school on loopback (127.0.72.1 the centre, .2-.3 the
cameras); kitchencam runs as its own process on a pty (pexpect)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool
from tests.terminal import PASSWORD, school_with_centre, spawn, terminal_env

pexpect = pytest.importorskip("pexpect")

TOKEN = "tt-centre-token-login"
BASE = "127.0.72.1"
SUBNET = "127.0.72.0/29"
CAMERAS = ("127.0.72.2", "127.0.72.3")
PERSONAS = ["dahua-wizsense2", "dahua-wizsense2"]


@pytest.fixture(scope="module")
def school() -> Iterator[SimulatedSchool]:
    with school_with_centre(PERSONAS, BASE, TOKEN) as sim:
        yield sim


def env_for(home: Path, **extra: str) -> dict[str, str]:
    """A new technician's terminal: no KITCHENCAM_USER, no KITCHENCAM_PASSWORD, the file keyring."""
    return terminal_env(home, TOKEN, login=False, **extra)


def handover(school: SimulatedSchool, home: Path, env: dict[str, str]) -> pexpect.spawn:
    assert school.centre_server is not None
    args = ["handover", "--subnet", SUBNET, "--expect", "2", "--timeout", "3", "--bandwidth-duration", "1",
            "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO", "--centre-url",
            school.centre_server.base_url, "--draft", "-o", str(home)]
    return spawn(args, env, home, timeout=90)


def test_typed_login_is_kept_on_yes_and_not_asked_again(school: SimulatedSchool, tmp_path: Path) -> None:
    env = env_for(tmp_path, LANG="vi_VN.UTF-8")
    child = handover(school, tmp_path, env)
    try:
        child.expect("Tên đăng nhập camera")
        child.sendline("admin")
        child.expect("Mật khẩu của admin")
        child.sendline(PASSWORD)
        child.expect(r"đã đăng nhập được vào (\d) camera")
        assert int(child.match.group(1)) >= 1
        child.expect("Cảnh báo: không dùng kho khóa của hệ điều hành")  # the file fallback, said loudly
        child.expect("secrets.json")  # with its path
        child.expect(r"Lưu tên đăng nhập và mật khẩu camera vào tệp văn bản thô đó cho lần sau\? \[Y/n\]")
        child.sendline("")  # Enter: the default is yes
        child.expect("Đã lưu: lần chạy sau dùng luôn mà không hỏi lại")
        child.expect(r"Áp dụng các thay đổi này\?")
        child.sendline("n")  # the ladder trip: the plan is declined, the run stops there
        child.expect(pexpect.EOF)
    finally:
        child.close()
    secrets = json.loads((tmp_path / "data" / "secrets.json").read_text(encoding="utf-8"))
    assert secrets["camera-user:MN-TTO"] == "admin"
    assert secrets["camera:admin"] == PASSWORD
    assert (tmp_path / "data" / "secrets.json").stat().st_mode & 0o077 == 0

    # The second run resumes: no login asked, no keeping offered again, straight to the plan.
    child = handover(school, tmp_path, env)
    try:
        index = child.expect([r"Áp dụng các thay đổi này\?", "Tên đăng nhập camera", "Mật khẩu của admin",
                              "cho lần sau"])
        assert index == 0, child.before
        child.sendline("n")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert "Tên đăng nhập camera" not in (child.before or "")


class _Refusals(logging.Handler):
    """The simulated cameras' refused SOAP logins (a wrong password or user), by camera address."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.by_camera: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "SOAP auth failed" in message and "no credentials" not in message:
            self.by_camera[message.split(":", 1)[0]] += 1


def test_a_refused_password_is_never_offered_and_costs_at_most_two_logins(school: SimulatedSchool,
                                                                          tmp_path: Path) -> None:
    refusals = _Refusals()
    logger = logging.getLogger("kitchencam.sim.camera")
    level = logger.level
    logger.addHandler(refusals)
    logger.setLevel(logging.DEBUG)
    try:
        child = handover(school, tmp_path, env_for(tmp_path, KITCHENCAM_LANG="en"))
        try:
            child.expect("Camera user name")
            child.sendline("admin")
            child.expect("Password for admin")
            child.sendline("typo-" + PASSWORD)
            while True:  # whatever else it asks (each camera's place), never to keep the login
                index = child.expect([r"for next time\?", r"Where is camera \d installed", r"Apply these changes\?",
                                      pexpect.EOF])
                assert index != 0, "a refused password was offered for keeping"
                if index == 3:
                    break
                child.sendline("" if index == 1 else "n")
        finally:
            child.close()
    finally:
        logger.removeHandler(refusals)
        logger.setLevel(level)
    assert child.exitstatus not in (0, None), child.before
    assert not (tmp_path / "data" / "secrets.json").exists()
    for camera in CAMERAS:
        assert 1 <= refusals.by_camera[camera] <= 2, refusals.by_camera
