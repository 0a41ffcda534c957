"""Ctrl-C during `kitchencam handover`: how long until the process is gone (issue 17: "stops cleanly
within a second").

    .venv/bin/python benchmarks/handover_interrupt.py   # writes benchmarks/results/handover_interrupt.json

A simulated 2-camera school on loopback (127.0.72.1 the centre, .2-.3 the cameras) whose cameras
answer every HTTP request after ``LATENCY_MS`` (the simulator's ``latency`` fault): the worker
threads of discover's identity reads and of check sit in a socket read. ``handover --yes`` runs in
its own process with a site config already made; when its stderr says the stage has begun and
``SETTLE_S`` more seconds have passed, it gets SIGINT. Measured per stage: seconds from SIGINT to the
process's exit, its exit status, and whether it said how to continue.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _results import stamp, write

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bep-An-2024-an-toan"
TOKEN = "bench-centre-token-ctrlc"
BASE = "127.0.72.1"
SUBNET = "127.0.72.0/29"
LATENCY_MS = 60_000
SETTLE_S = 1.0


def interrupt(env: dict[str, str], cwd: str, stage_line: str) -> dict[str, Any]:
    """Run handover, SIGINT it SETTLE_S after ``stage_line`` shows on stderr; time its exit."""
    proc = subprocess.Popen([sys.executable, "-m", "kitchencam", "handover", "--yes", "--subnet", SUBNET,
                             "--expect", "2", "--timeout", "2"], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    assert proc.stdout is not None
    seen = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if stage_line in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reached = seen.wait(60)
    time.sleep(SETTLE_S)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)
        exit_s = time.perf_counter() - sent
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        exit_s = None
    reader.join(5)
    text = "".join(lines)
    return {"stage": stage_line, "reached": reached, "exit_after_sigint_s": round(exit_s, 3) if exit_s else None,
            "returncode": proc.returncode, "says_how_to_continue": "kitchencam handover again" in text,
            "traceback": "Traceback" in text, "stderr_tail": text[-600:]}


def main() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from kitchencam.sim.school import SimulatedSchool

    school = SimulatedSchool(personas=["dahua-wizsense2", "dahua-wizsense2"], bind_base=BASE, http_port=0,
                             rtsp_port=0, user="admin", password=PASSWORD, centre=True, centre_port=0,
                             centre_token=TOKEN, faults=[f"latency={LATENCY_MS}"])
    runs = []
    with tempfile.TemporaryDirectory(prefix="handover-ui-ctrlc-") as tmp, school:
        assert school.centre_server is not None
        env = {**os.environ, "KITCHENCAM_CONFIG_DIR": f"{tmp}/config", "KITCHENCAM_DATA_DIR": f"{tmp}/data",
               "KITCHENCAM_KEYRING": "file", "KITCHENCAM_LANG": "en", "KITCHENCAM_USER": "admin",
               "KITCHENCAM_PASSWORD": PASSWORD, "KITCHENCAM_CENTRE_TOKEN": TOKEN}
        subprocess.run([sys.executable, "-m", "kitchencam", "site", "init", "--school-name", "Trường Mầm non Tả "
                        "Thanh Oai", "--school-code", "MN-TTO", "--centre-url", school.centre_server.base_url],
                       env=env, cwd=tmp, check=True, capture_output=True)
        for stage in ("Step 2/8: Find the cameras", "Step 3/8: Check the cameras"):
            runs.append(interrupt(env, tmp, stage))
    return write("handover_interrupt", {**stamp(), "latency_ms": LATENCY_MS, "settle_s": SETTLE_S, "runs": runs})


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2, ensure_ascii=False))
