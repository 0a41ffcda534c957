"""`kitchencam sim` as a user runs it: a foreground process printing one JSON line per endpoint."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

PERSONAS = [
    "dahua-wizsense2", "dahua-wizsense2-ready", "dahua-lite-s2", "hikvision-ds2cd1023g0e-i",
    "hikvision-ds2cd2023g2-i", "generic-720p", "hikvision-onvif-off", "printer",
]


def start_sim(*args: str, expect: int) -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kitchencam", "sim", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    assert proc.stdout is not None
    while len(lines) < expect and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(json.loads(line))
    if len(lines) < expect:
        proc.kill()
        _out, err = proc.communicate(timeout=5)
        pytest.fail(f"sim printed {len(lines)} of {expect} endpoints; stderr: {err}")
    return proc, lines


def stop_sim(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sim_prints_endpoints_and_stops_cleanly():
    args = ["--bind-base", "127.0.23.10", "--http-port", "0", "--rtsp-port", "0", "--centre", "--centre-port", "0"]
    for name in PERSONAS:
        args += ["--persona", name]
    proc, endpoints = start_sim(*args, expect=len(PERSONAS) + 1)
    try:
        centre = endpoints[0]
        assert centre["kind"] == "centre"
        assert centre["ip"] == "127.0.23.10"
        assert requests.get(f"{centre['url'].rstrip('/')}/api/v1/health", timeout=5).json()["status"] == "ok"
        cams = endpoints[1:]
        assert [c["persona"] for c in cams] == PERSONAS
        assert [c["ip"] for c in cams] == [f"127.0.23.{11 + i}" for i in range(len(PERSONAS))]
        for cam in cams:
            assert cam["kind"] == "camera"
            assert cam["http_port"] > 0
            assert cam["xaddr"].startswith(f"http://{cam['ip']}:{cam['http_port']}/")
            assert cam["user"]
        by = {c["persona"]: c for c in cams}
        assert by["hikvision-onvif-off"]["wsdiscovery"] is None
        assert by["printer"]["wsdiscovery"] is not None
    finally:
        code = stop_sim(proc)
    assert code == 0


def test_sim_rejects_unknown_persona_with_usage_exit():
    result = subprocess.run(
        [sys.executable, "-m", "kitchencam", "sim", "--persona", "nokia-3310", "--bind-base", "127.0.24.10",
         "--http-port", "0", "--rtsp-port", "0"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "nokia-3310" in result.stderr
    assert "dahua-wizsense2" in result.stderr
