"""How fast does `kitchencam discover` find 50 cameras by multicast? (issue 3, Performance)

    sudo .venv/bin/python benchmarks/discover_multicast.py   # writes benchmarks/results/discover_multicast.json

Needs Linux, root and iproute2 (network namespaces); otherwise the JSON says "skipped" and why.
Two throw-away namespaces joined by one veth pair (addresses from 198.18.0.0/15, which exist
only inside them): ``cam`` runs ``kitchencam sim --cameras 50 --persona dahua-wizsense2-ready
--bind-base 198.18.70.10`` (camera k on 198.18.70.(10+k), HTTP 80), ``tool`` runs the real CLI
with ``ip netns exec``, so its multicast only ever reaches the simulated cameras.

(a) ``kitchencam discover --expect 50 --json``: target all 50 found, returns within 1.5 s.
(b) ``kitchencam discover --timeout 3 --json``: target all 50 found, within timeout + 0.3 s.

Each is run RUNS times after one warm-up run (not counted). For each run: the wall-clock time of
the whole command as a technician sees it (Python start-up, probing, the clock read of every
camera, writing the inventory), the command's own ``elapsed_s`` (probe + merge + enrichment,
without interpreter start-up), the exit code and how many of the 50 cameras were found by
multicast on the tool's veth. No credentials: enrichment is the unauthenticated
GetSystemDateAndTime of each camera. The namespaces are deleted on every way out.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _results import stamp, write

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

NAME = "discover_multicast"
CAMERAS = 50
PERSONA = "dahua-wizsense2-ready"
NET = "198.18.70"
RUNS = 3
TIMEOUT_S = 3.0
TARGET_EXPECT_S = 1.5
TARGET_SLACK_S = 0.3
CHILD_TIMEOUT_S = 60.0



def _run(tool_ns: str, args: list[str], env: dict[str, str], iface: str, sim_eprs: set[str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(["ip", "netns", "exec", tool_ns, sys.executable, "-m", "kitchencam", "discover", "--json",
                           *args], check=False, capture_output=True, text=True, env=env, cwd=str(REPO),
                          timeout=CHILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    try:
        data = json.loads(done.stdout)["data"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return {"rc": done.returncode, "wall_s": round(wall, 3), "error": (done.stdout + done.stderr)[-2000:]}
    cams = [d for d in data["devices"] if d["kind"] == "camera"]
    good = [d for d in cams if d["endpoint"] in sim_eprs and "multicast" in d["found_by"]
            and d["interfaces"] == [iface] and d["xaddr"] and d["clock_offset_s"] is not None]
    return {"rc": done.returncode, "wall_s": round(wall, 3), "elapsed_s": data["elapsed_s"],
            "found": len(cams), "found_ok": len(good), "others": data["others"]}


def _summary(runs: list[dict[str, Any]], target_s: float) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    elapsed = [r.get("elapsed_s", float("inf")) for r in runs]
    found = [r.get("found_ok", 0) for r in runs]
    return {
        "runs": runs,
        "wall_median_s": round(statistics.median(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "elapsed_median_s": round(statistics.median(elapsed), 3),
        "elapsed_max_s": round(max(elapsed), 3),
        "found_min": min(found),
        "found_max": max(found),
        "target_s": target_s,
        "all_found_every_run": min(found) == CAMERAS,
        "meets_target_wall": min(found) == CAMERAS and max(walls) <= target_s,
        "meets_target_elapsed": min(found) == CAMERAS and max(elapsed) <= target_s,
    }


def main() -> dict[str, Any]:
    from tests.netns.netns import lab, unavailable_reason
    from tests.netns.peers import Lines, _child_env, stop

    base: dict[str, Any] = {"benchmark": NAME, "cameras": CAMERAS, "persona": PERSONA,
                            **stamp()}
    reason = unavailable_reason()
    if reason:
        return write(NAME, {**base, "skipped": reason})

    sim = None
    with lab() as net, tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
        try:
            cam = net.namespace("cam")
            tool = net.namespace("tool")
            addrs = [f"{NET}.1/24"] + [f"{NET}.{10 + k}/24" for k in range(1, CAMERAS + 1)]
            _, iface = net.link(cam, addrs, tool, [f"{NET}.200/24"])
            sim = net.popen(cam, [sys.executable, "-m", "kitchencam", "sim", "--cameras", str(CAMERAS),
                                  "--persona", PERSONA, "--bind-base", f"{NET}.10", "--http-port", "80",
                                  "--rtsp-port", "554"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(REPO), env=_child_env())
            lines = Lines(sim)
            endpoints = [lines.next_json(60, f"sim endpoint {i + 1}/{CAMERAS}") for i in range(CAMERAS)]
            eprs = {e["endpoint_reference"] for e in endpoints}
            env = _child_env({"KITCHENCAM_CONFIG_DIR": str(Path(tmp) / "config"),
                              "KITCHENCAM_DATA_DIR": str(Path(tmp) / "data"), "KITCHENCAM_KEYRING": "file"})
            for key in ("KITCHENCAM_USER", "KITCHENCAM_PASSWORD", "KITCHENCAM_SITE", "KITCHENCAM_STORE"):
                env.pop(key, None)

            expect_args = ["--expect", str(CAMERAS)]
            timeout_args = ["--timeout", f"{TIMEOUT_S:g}"]
            _run(tool, expect_args, env, iface, eprs)  # warm-up: file cache, ARP, the store's first write
            with_expect = [_run(tool, expect_args, env, iface, eprs) for _ in range(RUNS)]
            without = [_run(tool, timeout_args, env, iface, eprs) for _ in range(RUNS)]
        finally:
            if sim is not None:
                stop(sim)
    return write(NAME, {
        **base,
        "setup": f"sim in namespace cam on {NET}.11-{NET}.{10 + CAMERAS} (HTTP 80), discover in namespace tool "
                 f"({NET}.200/24) over one veth; {RUNS} runs after 1 warm-up",
        "with_expect": {"command": f"kitchencam discover --expect {CAMERAS} --json", **_summary(with_expect,
                                                                                              TARGET_EXPECT_S)},
        "without_expect": {"command": f"kitchencam discover --timeout {TIMEOUT_S:g} --json",
                           **_summary(without, TIMEOUT_S + TARGET_SLACK_S)},
        "notes": "wall_s is the whole command (interpreter start-up, imports, probe, clock read of every camera, "
                 "store write); elapsed_s is the command's own figure (probe + merge + enrichment).",
    })


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    print(json.dumps(main(), indent=2))
