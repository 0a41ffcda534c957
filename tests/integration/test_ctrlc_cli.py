"""Ctrl-C in any command (not only handover): exit 130, a short line saying it stopped and that
nothing half-done is lost, the JSON envelope with an ``Interrupted`` error under --json; never
Click's "Aborted!" nor a traceback. kitchencam runs as its own process against a simulated camera
(127.0.189.2) that takes a minute to answer each request; SIGINT arrives while it waits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from kitchencam.sim.camera import SimCamera
from kitchencam.sim.personas import get_persona

PASSWORD = "Bep-An-2024-an-toan"
IP = "127.0.189.2"


def interrupt(args: list[str], tmp_path: Path, lang: str) -> tuple[int, str, str]:
    """Run kitchencam ``args`` against a camera that never answers in time; SIGINT it once the camera
    got its first request; the exit status, stdout and stderr."""
    cam = SimCamera(get_persona("dahua-wizsense2"), IP, user="admin", password=PASSWORD,
                    faults=["latency=60000"])
    asked = threading.Event()
    handle = cam._handle

    def observed(h: Any, method: str, body: bytes) -> None:
        asked.set()
        handle(h, method, body)

    cam._handle = observed  # type: ignore[method-assign]  # only notes that kitchencam is waiting
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITCHENCAM_", "LC_", "LANG"))}
    env.update({"KITCHENCAM_CONFIG_DIR": str(tmp_path / "config"), "KITCHENCAM_DATA_DIR": str(tmp_path / "data"),
                "KITCHENCAM_KEYRING": "file", "KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD,
                "KITCHENCAM_LANG": lang, "PYTHONUNBUFFERED": "1"})
    with cam:
        proc = subprocess.Popen([sys.executable, "-m", "kitchencam", *args, cam.device_xaddr], env=env,
                                cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            assert asked.wait(60), "kitchencam never reached the camera"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=5)  # about a second; 5 s is the generous bound
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return proc.returncode, out, err


@pytest.mark.parametrize(("args", "lang", "stopped", "hint"), [
    (["check"], "en", "Stopped by Ctrl-C.", "Run kitchencam check again"),
    (["provision", "--yes"], "en", "Stopped by Ctrl-C.", "kitchencam rollback"),
    (["check"], "vi", "Đã dừng bằng Ctrl-C.", "Chạy lại kitchencam check"),
])
def test_ctrl_c_stops_any_command_with_130(args: list[str], lang: str, stopped: str, hint: str,
                                           tmp_path: Path) -> None:
    code, _out, err = interrupt(args, tmp_path, lang)
    assert code == 130, err[-2000:]
    assert stopped in err, err[-2000:]
    assert hint in err, err[-2000:]
    assert "Aborted!" not in err, err[-2000:]
    assert "Traceback" not in err, err[-2000:]


def test_ctrl_c_under_json_is_the_envelope(tmp_path: Path) -> None:
    code, out, err = interrupt(["check", "--json"], tmp_path, "en")
    assert code == 130, err[-2000:]
    doc = json.loads(out)
    assert doc["command"] == "check"
    assert doc["status"] == "error"
    assert [e["code"] for e in doc["errors"]] == ["Interrupted"]
    assert doc["errors"][0]["exit_code"] == 130
    assert "Run kitchencam check again" in doc["errors"][0]["hint"]
    assert "Aborted!" not in err, err[-2000:]
    assert "Traceback" not in err, err[-2000:]


def test_ctrl_c_at_a_question_is_not_aborted(tmp_path: Path) -> None:
    """Ctrl-C at provision's "Apply these changes?" on a terminal (a pty): it was Click's "Aborted!",
    exit 1."""
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITCHENCAM_", "LC_", "LANG"))}
    env.update({"KITCHENCAM_CONFIG_DIR": str(tmp_path / "config"), "KITCHENCAM_DATA_DIR": str(tmp_path / "data"),
                "KITCHENCAM_KEYRING": "file", "KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD,
                "KITCHENCAM_LANG": "en", "TERM": "xterm", "COLUMNS": "200"})
    with SimCamera(get_persona("dahua-wizsense2"), "127.0.189.3", user="admin", password=PASSWORD) as cam:
        child = pexpect.spawn(sys.executable, ["-m", "kitchencam", "provision", cam.device_xaddr], env=env,
                              cwd=str(tmp_path), encoding="utf-8", timeout=60, dimensions=(50, 200))
        try:
            child.expect(r"Apply these changes\?")
            child.sendintr()
            child.expect(pexpect.EOF)
        finally:
            child.close()
    text = child.before
    assert child.exitstatus == 130, text[-2000:]
    assert "Stopped by Ctrl-C." in text, text[-2000:]
    assert "kitchencam rollback" in text, text[-2000:]
    assert "Aborted!" not in text, text[-2000:]
    assert "Traceback" not in text, text[-2000:]
