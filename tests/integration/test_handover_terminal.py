"""`kitchencam handover` on a real terminal (a pty driven by pexpect): the questions a technician
answers on site, and what a script gets instead. A simulated 2-camera school and its centre on
loopback (127.0.62.1 the centre, .2-.3 the cameras); kitchencam runs as its own process."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool
from tests.terminal import PASSWORD, recorded, school_with_centre, spawn, terminal_env

pexpect = pytest.importorskip("pexpect")

TOKEN = "tt-centre-token-terminal"
BASE = "127.0.62.1"
SUBNET = "127.0.62.0/29"
PERSONAS = ["dahua-wizsense2", "dahua-wizsense2-ready"]


@pytest.fixture(scope="module")
def school() -> Iterator[SimulatedSchool]:
    with school_with_centre(PERSONAS, BASE, TOKEN) as sim:
        yield sim


def env_for(home: Path, **extra: str) -> dict[str, str]:
    return terminal_env(home, TOKEN, **extra)


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

    devices, attestations = recorded(tmp_path)
    places = sorted(d.install_location or "" for d in devices)
    answers = {(r.rule, r.answer, r.by) for r in attestations}
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
    steps = [done.stderr.index(f"Step {n}/8: ") for n in range(1, 9)]
    assert steps == sorted(steps)  # every stage told as it begins, in order
    assert "setting camera 1/2 " in done.stderr  # each camera told as it begins and ends
    assert "camera 2/2 " in done.stderr
    assert "Minutes written: " in done.stdout
    places = [d.install_location for d in recorded(tmp_path)[0]]
    assert places == ["Bếp ăn tầng 1", "Bếp ăn tầng 1"]

    # --json: no progress lines on stderr, the document on stdout.
    again = subprocess.run(
        [sys.executable, "-m", "kitchencam", "handover", "--yes", "--draft", "-o", str(tmp_path), "--json"],
        env=env_for(tmp_path, KITCHENCAM_LANG="en"), cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=120)
    assert again.returncode in (0, 3), again.stderr
    assert "Step " not in again.stderr
    assert json.loads(again.stdout)["data"]["report"]["paths"]


@pytest.fixture(scope="module")
def slow_school() -> Iterator[SimulatedSchool]:
    """Cameras that answer each HTTP request after 60 s: a worker thread sits in a socket read."""
    with school_with_centre(["dahua-wizsense2", "dahua-wizsense2"], "127.0.63.1", TOKEN,
                            faults=["latency=60000"]) as sim:
        yield sim


def test_ctrl_c_while_a_camera_never_answers(slow_school: SimulatedSchool, tmp_path: Path) -> None:
    """SIGINT during check, whose workers wait on cameras that do not answer: the process ends at once
    (the bound here is generous; benchmarks/handover_interrupt.py measures it), exit 130, no
    traceback, what was done and how to continue; the JSON says so too."""
    import json
    import signal
    import subprocess
    import threading

    assert slow_school.centre_server is not None
    env = env_for(tmp_path, KITCHENCAM_LANG="en")
    subprocess.run([sys.executable, "-m", "kitchencam", "site", "init", "--school-name", "Trường Mầm non Tả Thanh "
                    "Oai", "--school-code", "MN-TTO", "--centre-url", slow_school.centre_server.base_url],
                   env=env, cwd=tmp_path, check=True, capture_output=True, timeout=60)
    for as_json in (False, True):
        proc = subprocess.Popen([sys.executable, "-m", "kitchencam", "handover", "--yes", "--subnet",
                                 "127.0.63.0/29", "--expect", "2", "--timeout", "2", *(["--json"] if as_json else [])],
                                env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            assert proc.stdout is not None
            lines: list[str] = []
            in_check = threading.Event()

            def read(stream=proc.stderr, lines=lines, in_check=in_check) -> None:  # type: ignore[no-untyped-def]
                for line in stream:
                    lines.append(line)
                    if "Step 3/8" in line or "http://" in line:
                        in_check.set()

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            if as_json:  # no progress lines with --json: the check begins after discover's 2 s
                in_check.wait(8)
            else:
                assert in_check.wait(60), "".join(lines)
            time.sleep(1.0)  # the check's workers are in their socket reads now
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=5)  # 30 s (the read timeout) before the worker threads were daemons
            out = proc.stdout.read()
            reader.join(5)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err = "".join(lines)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        if as_json:
            doc = json.loads(out)
            assert doc["data"]["interrupted"] is True
            assert doc["data"]["stopped_at"] == "check"
            assert doc["errors"][-1]["code"] == "Interrupted"
            assert doc["errors"][-1]["exit_code"] == 130
            assert {"stage": "discover", "status": "resumed", "note": None} in doc["data"]["stages"]
        else:
            assert "Stopped by Ctrl-C." in err
            assert "Step 2/8: Find the cameras: done" in err
            assert "Step 3/8: Check the cameras: interrupted" in err
            assert "Run kitchencam handover again: it continues where it stopped." in err


def test_ctrl_c_at_a_prompt(school: SimulatedSchool, tmp_path: Path) -> None:
    """Ctrl-C typed at a question on the terminal: the same clean stop, exit 130."""
    child = spawn(["handover", "--subnet", SUBNET], env_for(tmp_path, KITCHENCAM_LANG="en"), tmp_path)
    try:
        child.expect("School name, as on its seal")
        child.sendintr()
        child.expect("Stopped by Ctrl-C.")
        child.expect("Nothing was finished.")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")


def test_a_failing_stage_keeps_the_stages_before_it(run, school: SimulatedSchool, isolated: Path) -> None:
    """No centre token: the run fails at the first stage that needs the centre, and still lists what
    it finished before (text and --json) and what to do; it was an escaping error before."""
    assert school.centre_server is not None
    env = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}  # no KITCHENCAM_CENTRE_TOKEN
    args = ["handover", "--subnet", SUBNET, "--expect", "2", "--timeout", "3", "--school-name",
            "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO", "--centre-url", school.centre_server.base_url,
            "--bandwidth-duration", "1", "--yes", "--draft", "-o", str(isolated)]
    code, doc = run.json(*args, env=env)
    assert code != 0
    data = doc["data"]
    assert data is not None, doc
    status = {s["stage"]: s["status"] for s in data["stages"]}
    failed = data["stopped_at"]
    assert status[failed] == "failed"
    assert failed in ("bandwidth", "register")
    assert status["provision"] == "done"
    assert status["discover"] == "done"
    assert doc["errors"][-1]["message"]
    assert doc["status"] == "partial"

    result = run(*args, env=env)
    assert result.exit_code == code
    assert "Step 3/8: Check the cameras: done earlier" in result.stdout
    assert "failed" in result.stdout
    assert "Run kitchencam handover again to continue from there." in result.stdout


def test_vietnamese_system_gets_vietnamese_questions_and_output(school: SimulatedSchool, tmp_path: Path) -> None:
    """LANG=vi_VN.UTF-8, no --lang, no KITCHENCAM_LANG: the steps, every question and the end are Vietnamese."""
    assert school.centre_server is not None
    child = spawn(["handover", "--subnet", SUBNET, "--expect", "2", "--timeout", "3", "--bandwidth-duration", "1",
                   "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO", "--centre-url",
                   school.centre_server.base_url, "--draft", "-o", str(tmp_path)],
                  env_for(tmp_path, LANG="vi_VN.UTF-8"), tmp_path)
    try:
        child.expect("Bước 1/8: Cấu hình điểm trường")
        child.expect("Bước 2/8: Tìm camera")
        # The cameras may be set already by an earlier test of this module: then nothing to confirm.
        if child.expect([r"Áp dụng các thay đổi này\?", r"Camera 1 lắp ở đâu"]) == 0:
            child.sendline("c")  # Click's yes is "y"; "c" is not one: it asks again
            child.expect(r"Áp dụng các thay đổi này\?")
            child.sendline("y")
            child.expect(r"Camera 1 lắp ở đâu")
        child.sendline("Bếp chính")
        child.expect(r"Camera 2 lắp ở đâu")
        child.sendline("")  # left empty
        child.expect("Chỉ anh/chị tại hiện trường mới trả lời được")
        child.expect("Đã dán thông báo khu vực có camera giám sát")  # the profile's order
        child.sendline("chưa biết")  # not an answer: asked again
        child.expect("Trả lời có hoặc không")
        child.sendline("không")
        child.expect("Nguồn điện đến vị trí lắp camera")
        child.sendline("có")
        child.expect(r"Người xác nhận các câu trả lời này \(họ tên của anh/chị\)")
        child.sendline("Trần Thị Bình")
        child.expect("Đã ghi biên bản: ")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus in (0, 3), child.before
    devices, attestations = recorded(tmp_path)
    answers = {(r.rule, r.answer, r.by) for r in attestations}
    places = sorted(d.install_location or "" for d in devices)
    assert ("power", True, "Trần Thị Bình") in answers
    assert ("privacy-notice", False, "Trần Thị Bình") in answers
    assert places == ["", "Bếp chính"]


PARTY_ANSWERS = [
    ("Supplier organisation", "Công ty TNHH Thực phẩm Sạch Thanh Trì"),
    ("Supplier's representative", "Lê Văn Cường"),
    ("Position of the supplier's representative", "Giám đốc"),
    ("School's representative", "Phạm Thị Dung"),
    ("District office's representative", "Hoàng Văn Em"),
    ("Position of the district office's representative", "Chuyên viên"),
]


def test_terminal_asks_the_parties_and_writes_signable_minutes(school: SimulatedSchool, tmp_path: Path) -> None:
    """No --draft, a site config made by the run itself (placeholder names): the names the minutes print
    are asked before them, kept in the site config, and the minutes are written (they refused before)."""
    import shutil
    import subprocess

    import yaml

    assert school.centre_server is not None
    child = spawn(["handover", "--subnet", SUBNET, "--expect", "2", "--timeout", "3", "--bandwidth-duration", "1",
                   "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO", "--centre-url",
                   school.centre_server.base_url, "--attest", "power=yes", "--attest", "privacy-notice=yes",
                   "--by", "Nguyễn Văn An", "-o", str(tmp_path)],
                  env_for(tmp_path, KITCHENCAM_LANG="en"), tmp_path)
    try:
        child.expect("Step 1/8: Site config")
        # The cameras may be set already by an earlier test of this module: then nothing to confirm.
        if child.expect([r"Apply these changes\?", r"Where is camera 1 installed"]) == 0:
            child.sendline("y")
            child.expect(r"Where is camera 1 installed")
        child.sendline("Bếp 1")
        child.expect(r"Where is camera 2 installed")
        child.sendline("Bếp 2")
        child.expect("Step 8/8: Minutes")
        child.expect("The minutes print who signs them")
        for n, (label, answer) in enumerate(PARTY_ANSWERS):
            child.expect(label)
            if n == 1:  # a placeholder typed back is refused and asked again
                child.sendline("(họ tên)")
                child.expect("not a placeholder in brackets")
                child.expect(label)
            child.sendline(answer)
        child.expect("Minutes written: ")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus in (0, 3), child.before
    assert "placeholders where names go" not in (child.before or "")

    site = yaml.safe_load((tmp_path / "config" / "site.yaml").read_text(encoding="utf-8"))
    parties = site["parties"]
    assert parties["supplier"] == {"organisation": "Công ty TNHH Thực phẩm Sạch Thanh Trì",
                                   "representative": "Lê Văn Cường", "position": "Giám đốc", "address": "",
                                   "phone": ""}
    assert parties["school"]["representative"] == "Phạm Thị Dung"
    assert parties["school"]["position"] == "Hiệu trưởng"  # not a placeholder: not asked, unchanged
    assert parties["district"]["representative"] == "Hoàng Văn Em"
    assert parties["district"]["position"] == "Chuyên viên"
    assert site["school"]["code"] == "MN-TTO"

    pdfs = list(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 1, pdfs
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed: the names in the PDF are not read")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdfs[0]), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    for _label, answer in PARTY_ANSWERS:
        assert answer in " ".join(text.split()), answer
    assert "DRAFT" not in text
