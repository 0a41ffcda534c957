"""How long does `kitchencam sync` take to deliver 200 queued registrations? (issue 6, Performance)

    .venv/bin/python benchmarks/register_many.py    # writes benchmarks/results/register_many.json

The simulated centre runs in a process of its own on 127.0.91.1 (so its work does not share the
client's interpreter). 200 registrations, each with a centre-account password in the file
keyring, are queued in a fresh store as `register` leaves them when the centre is down; then the
real command `kitchencam sync --json` runs as a subprocess (interpreter start-up included) and
must deliver every one. Target: under 5 s. Each run also checks the centre holds exactly 200
records and the store has none left queued.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _results import stamp, write

HERE = Path(__file__).resolve().parent
CAMERAS = 200
RUNS = 3
IP = "127.0.91.1"
TOKEN = "bench-centre-token"
TARGET_S = 5.0

CENTRE = f"""
import sys, time
from kitchencam.sim.centre import CentreServer
server = CentreServer({IP!r}, 0, token={TOKEN!r})
server.start()
print(server.port, flush=True)
sys.stdin.readline()
print(len(server.devices("TH-BENCH")), flush=True)
server.stop()
"""


def queue(env: dict[str, str]) -> None:
    from kitchencam.centre import idempotency_key
    from kitchencam.settings import Paths, SecretStore
    from kitchencam.store import Store
    from kitchencam.targets import centre_secret_key

    paths = Paths(config_dir=Path(env["KITCHENCAM_CONFIG_DIR"]), data_dir=Path(env["KITCHENCAM_DATA_DIR"]))
    keyring = SecretStore(paths)
    with Store(paths.store_file) as store:
        site_id = store.upsert_site("TH-BENCH", "bench").id
        for i in range(CAMERAS):
            serial = f"8H0A{i:010d}"
            payload = {"school_code": "TH-BENCH", "serial": serial, "manufacturer": "Dahua",
                       "model": "IPC-HFW2441S-S", "mac": f"3c:ef:8c:00:{i // 256:02x}:{i % 256:02x}",
                       "firmware": "2.840.0000000.18.R", "name": f"TH-BENCH-BEP-{i + 1}",
                       "onvif_xaddr": f"http://192.168.1.{1 + i % 250}/onvif/device_service",
                       "rtsp_urls": [f"rtsp://192.168.1.{1 + i % 250}:554/cam/realmonitor?channel=1&subtype=0"],
                       "centre_user": "ttgd-centre",
                       "compliance": {"status": "PASS", "summary": "PASS: PASS 12", "profile": "thanhtri-2024"}}
            ref = centre_secret_key("TH-BENCH", serial, "ttgd-centre")
            keyring.set(ref, secrets.token_urlsafe(15))
            store.enqueue_registration(site_id, camera_key=serial, target=f"192.168.1.{1 + i % 250}",
                                       idempotency_key=idempotency_key("TH-BENCH", serial, payload),
                                       payload=payload, secret_ref=ref, device_id=None)


def one_run() -> dict[str, Any]:
    centre = subprocess.Popen([sys.executable, "-c", CENTRE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert centre.stdin is not None
    assert centre.stdout is not None
    try:
        port = int(centre.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
            env = {**os.environ, "KITCHENCAM_CONFIG_DIR": f"{tmp}/config", "KITCHENCAM_DATA_DIR": f"{tmp}/data",
                   "KITCHENCAM_KEYRING": "file", "KITCHENCAM_CENTRE_TOKEN": TOKEN, "KITCHENCAM_LANG": "en"}
            subprocess.run([sys.executable, "-m", "kitchencam", "site", "init", "--school-name", "bench",
                            "--school-code", "TH-BENCH", "--centre-url", f"http://{IP}:{port}/"],
                           env=env, check=True, capture_output=True)
            os.environ.update({k: v for k, v in env.items() if k.startswith("KITCHENCAM_")})
            queue(env)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "kitchencam", "sync", "--json"], env=env, check=False,
                                  capture_output=True, text=True, timeout=120)
            seconds = time.perf_counter() - started
            doc = json.loads(done.stdout)
        centre.stdin.write("\n")
        centre.stdin.flush()
        held = int(centre.stdout.readline())
    finally:
        centre.stdin.close()
        try:
            centre.wait(timeout=10)
        except subprocess.TimeoutExpired:
            centre.kill()
    sent = sum(1 for d in doc["data"]["deliveries"] if d["state"] == "sent")
    return {"seconds": round(seconds, 2), "exit_code": done.returncode, "sent": sent, "centre_records": held}


def main() -> dict[str, Any]:
    sys.path.insert(0, str(HERE.parent))
    runs = [one_run() for _ in range(RUNS)]
    times = sorted(r["seconds"] for r in runs)
    median = times[len(times) // 2]
    out = {
        "benchmark": "register_many",
        "queued": CAMERAS,
        "runs": runs,
        "median_s": median,
        "target_s": TARGET_S,
        "meets_target": median < TARGET_S and all(r["sent"] == CAMERAS == r["centre_records"] for r in runs),
        **stamp(),
    }
    return write("register_many", out)


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
