"""How long does `kitchencam sync` take to deliver 200 queued registrations? (issue 6, Performance)
And how long does `kitchencam register` take to connect 20 cameras to the centre? (issue 15)

    .venv/bin/python benchmarks/register_many.py    # writes benchmarks/results/register_many.json
                                                    # and benchmarks/results/register_dial_out.json

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


# -- issue 15: 20 cameras configured to dial out and confirmed online --------------------------

DIAL_CAMERAS = 20
DIAL_IP = "127.0.93.1"
DIAL_PASSWORD = "Bep-An-2024-an-toan"
DIAL_PERSONA = {"dahua-auto-register": "dahua-wizsense2", "gb28181": "hikvision-ds2cd2023g2-i"}


def dial_out_run(method: str) -> dict[str, Any]:
    """One run: 20 simulated cameras and the simulated centre in this process; the real command
    `kitchencam register T1 ... T20 --force --json` in a subprocess (interpreter start-up included),
    which writes each camera's dial-out, reads it back and waits until the centre says online."""
    from kitchencam.sim.camera import SimCamera
    from kitchencam.sim.centre import CentreServer
    from kitchencam.sim.personas import get_persona

    centre = CentreServer(DIAL_IP, 0, token=TOKEN, sip_port=0, auto_register_port=0, isup_port=0,
                          isup_key="bench-isup-key")
    centre.start()
    cams = []
    try:
        for i in range(DIAL_CAMERAS):
            cams.append(SimCamera(get_persona(DIAL_PERSONA[method]), f"127.0.93.{10 + i}", http_port=0, user="admin",
                                  password=DIAL_PASSWORD, index=i + 1).start())
        if method == "gb28181":
            port = int(str(centre.sip_url).rsplit(":", 1)[1])
            extra = ["--sip-server-id", centre.sip_server_id, "--sip-domain", centre.sip_domain]
            secret = centre.sip_password
        else:
            port = int(str(centre.dialin_url("auto-register")).rsplit(":", 1)[1])
            extra, secret = [], ""
        with tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
            env = {**os.environ, "KITCHENCAM_CONFIG_DIR": f"{tmp}/config", "KITCHENCAM_DATA_DIR": f"{tmp}/data",
                   "KITCHENCAM_KEYRING": "file", "KITCHENCAM_CENTRE_TOKEN": TOKEN, "KITCHENCAM_LANG": "en",
                   "KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": DIAL_PASSWORD,
                   "KITCHENCAM_CONNECTION_SECRET": secret}
            subprocess.run([sys.executable, "-m", "kitchencam", "site", "init", "--school-name", "bench",
                            "--school-code", "TH-BENCH", "--centre-url", f"{centre.base_url}/", "--connection", method,
                            "--connection-host", DIAL_IP, "--connection-port", str(port), *extra],
                           env=env, check=True, capture_output=True)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "kitchencam", "register", *[c.device_xaddr for c in cams],
                                   "--force", "--wait", "60", "--json"], env=env, check=False, capture_output=True,
                                  text=True, timeout=300)
            seconds = time.perf_counter() - started
        doc = json.loads(done.stdout)
        conns = doc["data"]["connections"]
        centre_online = sum(1 for c in conns if centre.connection(c["device_id"])["online"])
        recorded = len(centre.devices("TH-BENCH"))
    finally:
        for cam in cams:
            cam.stop()
        centre.stop()
    waited = sorted(c["waited_s"] for c in conns)
    return {"method": method, "seconds": round(seconds, 2), "exit_code": done.returncode,
            "online": sum(1 for c in conns if c["state"] == "online"), "centre_says_online": centre_online,
            "recorded": recorded, "slowest_camera_s": waited[-1] if waited else None,
            "median_camera_s": waited[len(waited) // 2] if waited else None}


def dial_out() -> dict[str, Any]:
    sys.path.insert(0, str(HERE.parent))
    runs = [dial_out_run(method) for method in ("dahua-auto-register", "gb28181")]
    out = {
        "benchmark": "register_dial_out",
        "cameras": DIAL_CAMERAS,
        "runs": runs,
        "all_online": all(r["online"] == r["centre_says_online"] == r["recorded"] == DIAL_CAMERAS for r in runs),
        **stamp(),
    }
    return write("register_dial_out", out)


if __name__ == "__main__":
    if "--dial-out-only" not in sys.argv:
        print(json.dumps(main(), indent=2))
    print(json.dumps(dial_out(), indent=2))
