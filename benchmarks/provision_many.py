"""How long does `kitchencam provision` take for a whole school? (issue 5, Performance)

    .venv/bin/python benchmarks/provision_many.py    # writes benchmarks/results/provision_many.json

20 cameras of the factory-default persona ``dahua-wizsense2`` (H.264, WDR off, NTP off, clock
2 h off) served by ``kitchencam sim`` in a separate process on 127.0.89.1-20, no faults. One
call of ``kitchencam.provision.provision`` plans, backs up (in memory here), applies, verifies
by reading back and by RTSP DESCRIBE, and audits every camera. Target: under 10 s on this
2-core machine. The run also reports how many cameras ended provisioned and verified.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _results import stamp, write

HERE = Path(__file__).resolve().parent
CAMERAS = 20
BIND_BASE = "127.0.89.0"
USER = "admin"
# The simulated cameras' own account: made up per run, and handed to the child processes this
# script starts through their environment.
PASSWORD = os.environ.setdefault("KITCHENCAM_BENCH_PASSWORD", secrets.token_urlsafe(12))
TARGET_S = 10.0
SIM_START_TIMEOUT_S = 60.0


def start_sim() -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kitchencam", "sim", "--cameras", str(CAMERAS), "--persona", "dahua-wizsense2",
         "--bind-base", BIND_BASE, "--http-port", "0", "--rtsp-port", "0", "--no-discovery",
         "--user", USER, "--password", PASSWORD],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    endpoints: list[dict[str, Any]] = []
    deadline = time.monotonic() + SIM_START_TIMEOUT_S
    assert proc.stdout is not None
    while len(endpoints) < CAMERAS and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        endpoints.append(json.loads(line))
    if len(endpoints) < CAMERAS:
        proc.kill()
        raise SystemExit(f"simulator printed {len(endpoints)} of {CAMERAS} endpoints")
    return proc, endpoints


def main() -> dict[str, Any]:
    sys.path.insert(0, str(HERE.parent))
    from kitchencam.profile import load_catalogue, load_profile
    from kitchencam.provision import ProvisionOptions, SiteContext, provision

    proc, endpoints = start_sim()
    try:
        profile = load_profile("thanhtri-2024")
        catalogue = load_catalogue()
        site = SiteContext(code="MN-BENCH", name="bench", ntp_servers=["0.vn.pool.ntp.org"])
        saved: dict[str, str] = {}
        options = ProvisionOptions(targets=[e["xaddr"] for e in endpoints], user=USER, password=PASSWORD,
                                   secrets_get=saved.get, secrets_set=saved.__setitem__)
        backups: list[dict[str, Any]] = []

        def store_backup(_target: str, _facts: Any, settings: dict[str, Any]) -> int:
            backups.append(settings)
            return len(backups)

        started = time.perf_counter()
        result = provision(options, profile, catalogue, site, store_backup, lambda *_a: None)
        seconds = time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    states = [c.state for c in result.cameras]
    verified = sum(1 for c in result.cameras if c.state == "provisioned" and not c.verify_problems
                   and c.rtsp and c.rtsp.get("codec") == "H265")
    out = {
        "benchmark": "provision_many",
        "cameras": CAMERAS,
        "persona": "dahua-wizsense2",
        "seconds": round(seconds, 2),
        "target_s": TARGET_S,
        "meets_target": seconds < TARGET_S and verified == CAMERAS,
        "provisioned": states.count("provisioned"),
        "verified_with_rtsp_h265": verified,
        "failed": states.count("failed"),
        "backups": len(backups),
        **stamp(),
    }
    return write("provision_many", out)


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
