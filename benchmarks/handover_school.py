"""A 4-camera school from nothing to the printed minutes with `kitchencam handover` (issue 17).

    .venv/bin/python benchmarks/handover_school.py    # writes benchmarks/results/handover_school.json

A simulated school on loopback (kitchencam.sim: the centre on 127.0.71.1, four cameras on
.2-.5: two factory Dahua, one ready Dahua, one generic 720p) and fresh config/data folders. The
technician's commands run each in a fresh process, as typed: ``site init``, ``credentials set
--user admin``, ``credentials set --centre-token``, then ``handover --yes`` with the subnet, an
attestation and ``--draft`` (site init's party names are placeholders until edited). The secrets
a prompt would ask for come from the environment (no terminal here); the saved user and token
come from the keyring (a file backend in the temp folder). Measured: the wall time of each
command and in all, the number of commands typed, and whether the PDF was written. Then a second
``handover --yes`` (resumed: nothing provisioned again) is timed too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _results import stamp, write

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bep-An-2024-an-toan"
TOKEN = "bench-centre-token-3b7e"
BASE = "127.0.71.1"
SUBNET = "127.0.71.0/29"
PERSONAS = ["dahua-wizsense2", "dahua-wizsense2", "dahua-wizsense2-ready", "generic-720p"]


def main() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from kitchencam.sim.school import SimulatedSchool

    school = SimulatedSchool(personas=PERSONAS, bind_base=BASE, http_port=0, rtsp_port=0, user="admin",
                             password=PASSWORD, centre=True, centre_port=0, centre_token=TOKEN)
    with tempfile.TemporaryDirectory(prefix="handover-bench-") as tmp, school:
        assert school.centre_server is not None
        env = {**os.environ, "KITCHENCAM_CONFIG_DIR": f"{tmp}/config", "KITCHENCAM_DATA_DIR": f"{tmp}/data",
               "KITCHENCAM_KEYRING": "file", "KITCHENCAM_LANG": "vi"}
        for var in ("KITCHENCAM_USER", "KITCHENCAM_PASSWORD", "KITCHENCAM_CENTRE_TOKEN", "KITCHENCAM_SITE"):
            env.pop(var, None)
        typed: list[tuple[list[str], dict[str, str]]] = [
            (["site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
              "--centre-url", school.centre_server.base_url], {}),
            (["credentials", "set", "--user", "admin"], {"KITCHENCAM_PASSWORD": PASSWORD}),  # the hidden prompt
            (["credentials", "set", "--centre-token"], {"KITCHENCAM_CENTRE_TOKEN": TOKEN}),  # the hidden prompt
            (["handover", "--yes", "--subnet", SUBNET, "--expect", "4", "--attest", "power=yes", "--by",
              "Nguyễn Văn An", "--draft", "-o", f"{tmp}/minutes", "--json"], {}),
        ]
        steps = []
        started = time.perf_counter()
        doc: dict[str, Any] = {}
        for args, secrets in typed:
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "kitchencam", *args], env={**env, **secrets},
                                  capture_output=True, text=True, timeout=600, check=False)
            steps.append({"command": "kitchencam " + " ".join(args[:3]), "exit": done.returncode,
                          "wall_s": round(time.perf_counter() - t0, 2)})
            if args[0] == "handover":
                doc = json.loads(done.stdout)
        total = time.perf_counter() - started
        data = doc.get("data") or {}
        pdf = Path((data.get("report") or {}).get("paths", {}).get("pdf", "/nonexistent"))
        t0 = time.perf_counter()
        again = subprocess.run([sys.executable, "-m", "kitchencam", *typed[-1][0]], env=env, capture_output=True,
                               text=True, timeout=600, check=False)
        resumed_s = time.perf_counter() - t0
        again_doc = json.loads(again.stdout)
    return write("handover_school", {
        **stamp(),
        "cameras": len(PERSONAS),
        "commands_typed": len(typed),
        "wall_s": round(total, 2),
        "handover_wall_s": steps[-1]["wall_s"],
        "steps": steps,
        "pdf_written": pdf.name if pdf.name != "nonexistent" else None,
        "handover_exit": steps[-1]["exit"],
        "stages": {s["stage"]: s["status"] for s in data.get("stages", [])},
        "provisioned": {c["target"]: c["state"] for c in data.get("provision", [])},
        "second_run_s": round(resumed_s, 2),
        "second_run_stages": {s["stage"]: s["status"] for s in (again_doc.get("data") or {}).get("stages", [])},
        "targets": {"commands_typed_max": 6, "wall_s_max": 600},
    })


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, ensure_ascii=False))
