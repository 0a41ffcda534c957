"""Traps a new user met on the command line (issue 17), each through the real entry point."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from kitchencam.sim.school import SimulatedSchool
from kitchencam.store import Store
from tests.report_store import fill

PASSWORD = "Bep-An-2024-an-toan"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
SITE = ("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
        "--centre-url", "http://127.0.0.1:8000/")


@pytest.fixture
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=["dahua-wizsense2"], bind_base="127.0.171.10", http_port=0, rtsp_port=0,
                          user="admin", password=PASSWORD, discovery=False)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def xaddr(sim: SimulatedSchool) -> str:
    return sim.members[0].camera.device_xaddr


def test_provision_in_a_terminal_shows_the_plan_without_calling_it_a_dry_run(run, school):
    assert run(*SITE).exit_code == 0
    result = run("provision", xaddr(school), input="n\n", env=ENV)
    assert result.exit_code == 0, result.output
    assert "Apply these changes?" in result.output
    assert "encoder" in result.output  # the plan was shown
    assert "--dry-run" not in result.output
    assert school.members[0].camera.main_stream()[0] == "H264"  # answered no: untouched


def closed_port(host: str = "127.0.171.99") -> int:
    """A loopback port nothing listens on: bound, then closed, so the connection is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def test_rollback_of_an_unreachable_camera_exits_4(run):
    assert run(*SITE).exit_code == 0
    code, doc = run.json("rollback", f"127.0.171.99:{closed_port()}", "--yes", env=ENV)
    assert code == 4, doc
    assert doc["status"] == "error"
    assert [e["code"] for e in doc["errors"]] == ["Unreachable"]


def test_rollback_asks_first_and_has_a_dry_run(run, school):
    assert run(*SITE).exit_code == 0
    target = xaddr(school)
    camera = school.members[0].camera
    code, doc = run.json("provision", target, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    assert camera.main_stream()[0] == "H265"

    # No terminal to confirm on, and no --yes: exit 2 before touching the camera, naming --yes.
    result = run("rollback", target, env=ENV)
    assert result.exit_code == 2, result.output
    assert "--yes" in result.output
    code, doc = run.json("rollback", target, env=ENV)
    assert code == 2
    assert [e["code"] for e in doc["errors"]] == ["UsageError"]
    assert camera.main_stream()[0] == "H265"

    # --dry-run says what the backup would put back and changes nothing.
    code, doc = run.json("rollback", target, "--dry-run", env=ENV)
    assert code == 0, doc["errors"]
    assert doc["data"]["dry_run"] is True
    assert doc["data"]["restored"] == []
    assert {"encoder", "imaging", "time", "hostname", "smart-codec", "centre-account"} <= set(doc["data"]["planned"])
    assert camera.main_stream()[0] == "H265"
    text = run("rollback", target, "--dry-run", env=ENV).output
    assert "encoder" in text
    assert "--dry-run" in text

    # In a terminal it shows the plan and asks: "no" changes nothing, "yes" puts the backup back.
    result = run("rollback", target, input="n\n", env=ENV)
    assert result.exit_code == 0, result.output
    assert "Put these settings back?" in result.output
    assert "--dry-run" not in result.output
    assert camera.main_stream()[0] == "H265"
    result = run("rollback", target, input="y\n", env=ENV)
    assert result.exit_code == 0, result.output
    assert "restored encoder" in result.output
    assert camera.main_stream()[0] == "H264"


def test_discover_help_says_a_subnet_is_swept_without_multicast(run):
    text = " ".join(run("discover", "--help").output.split())
    assert "unicast" in text
    assert "With --subnet no multicast search is sent" in text


@pytest.mark.parametrize(("argv", "lang"), [
    (("--lang", "en", "report"), "en"),
    (("--lang", "vi", "report"), "vi"),
    (("report",), "vi"),
    (("--lang", "en", "report", "--lang", "vi"), "vi"),  # the report's own --lang wins
])
def test_lang_before_the_command_is_the_minutes_language(run, tmp_path, argv, lang):
    assert run(*SITE).exit_code == 0
    with Store(tmp_path / "data" / "kitchencam.db") as store:
        fill(store)  # three cameras at different stages (tests/report_store.py)
    out = tmp_path / "minutes.html"
    code, doc = run.json(*argv, "--draft", "--format", "html", "-o", str(out))  # site init's placeholder names
    assert code == 0, doc["errors"]
    assert f'<html lang="{lang}">' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("argv", "command", "words"), [
    (("rollback", "--bogus"), "rollback", "--bogus"),  # unknown option
    (("rollback",), "rollback", "TARGET"),  # missing argument
    (("discover", "--timeout", "soon"), "discover", "--timeout"),  # bad value
    (("report", "--format", "docx"), "report", "pdf, html or both"),  # a value the command refuses
    (("site", "init", "--nope"), "site init", "--nope"),
    (("--nope", "check"), "", "--nope"),
])
def test_usage_errors_are_the_json_envelope_with_json(run, argv, command, words):
    result = run(*argv, "--json")
    assert result.exit_code == 2, result.output
    doc = json.loads(result.stdout)
    assert (doc["command"], doc["status"], doc["data"]) == (command, "error", None)
    [error] = doc["errors"]
    assert (error["code"], error["exit_code"]) == ("UsageError", 2)
    assert words in error["message"]


def test_usage_errors_without_json_stay_text(run):
    result = run("rollback", "--bogus")
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert not result.stdout.lstrip().startswith("{")
