"""How fast does `kitchencam discover --subnet` sweep a /24 with 50 cameras? (issue 3, Performance)

    sudo .venv/bin/python benchmarks/discover_sweep.py   # writes benchmarks/results/discover_sweep.json

Target: all 50 found within 3 s (with ``--expect 50``). Also measured: the same sweep without
``--expect``, which runs to ``--timeout`` and then makes the HTTP check of every host that did
not answer the Probe (that is how an ONVIF-off camera is found).

Two set-ups, each ``kitchencam sim --cameras 50 --persona dahua-wizsense2-ready`` (camera k on
base + k, k = 1..50) and the real CLI ``kitchencam discover --json --subnet <the /24>``:

- ``namespace`` (Linux + root + iproute2; the realistic one): the cameras in namespace ``cam``
  on 198.18.72.11-60 (HTTP 80), the tool in namespace ``tool`` on 198.18.72.200/24, one veth
  between them. The 204 other addresses of the /24 are silent, as on a school LAN: a Probe or a
  TCP connect to them waits for ARP, which never answers. Addresses from 198.18.0.0/15 exist
  only inside those namespaces; both are deleted on every way out.
- ``loopback``: the cameras on 127.0.93.11-60 (HTTP 8080, so ``--http-port 8080``); silent
  addresses refuse at once (ICMP port unreachable / TCP RST), so this is the best case. As root
  it runs inside a namespace of its own (only ``lo``), so no other simulator on this machine's
  loopback can collide with it; without root it runs on this machine's loopback.

Each command runs RUNS times after one warm-up run (not counted); the JSON has every run's wall
time (the whole command, interpreter start-up included), the command's own ``elapsed_s``, the exit
code and how many of the 50 cameras it found by the unicast Probe.

The small case of issue 12 (item 6), loopback only::

    .venv/bin/python benchmarks/discover_sweep.py --lo26 --label after   # -> results/discover_sweep_lo26.json

``kitchencam sim --cameras 5`` on 127.0.94.11-15 (HTTP 8080) and ``kitchencam discover --json
--subnet 127.0.94.0/26 --http-port 8080 --timeout 3`` (no ``--expect``): how long the sweep takes
when every host answers or refuses at once. As root it runs in a namespace of its own (only
``lo``), else on this machine's loopback. ``--label`` names the figure (``before``/``after`` a
change); the labels already in the JSON are kept.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _results import stamp, write

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

NAME = "discover_sweep"
CAMERAS = 50
PERSONA = "dahua-wizsense2-ready"
NS_NET = "198.18.72"
LO_NET = "127.0.93"
RUNS = 3
TIMEOUT_S = 3.0
TARGET_S = 3.0
CHILD_TIMEOUT_S = 90.0



def _env(tmp: str) -> dict[str, str]:
    from tests.netns.peers import _child_env

    env = _child_env({"KITCHENCAM_CONFIG_DIR": str(Path(tmp) / "config"),
                      "KITCHENCAM_DATA_DIR": str(Path(tmp) / "data"), "KITCHENCAM_KEYRING": "file"})
    for key in ("KITCHENCAM_USER", "KITCHENCAM_PASSWORD", "KITCHENCAM_SITE", "KITCHENCAM_STORE"):
        env.pop(key, None)
    return env


def _run(prefix: Sequence[str], args: Sequence[str], env: dict[str, str], sim_eprs: set[str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([*prefix, sys.executable, "-m", "kitchencam", "discover", "--json", *args],
                          check=False, capture_output=True, text=True, env=env, cwd=str(REPO),
                          timeout=CHILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    try:
        data = json.loads(done.stdout)["data"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return {"rc": done.returncode, "wall_s": round(wall, 3), "error": (done.stdout + done.stderr)[-2000:]}
    cams = [d for d in data["devices"] if d["kind"] == "camera"]
    by_probe = [d for d in cams if d["endpoint"] in sim_eprs and "unicast" in d["found_by"]]
    unicast = next((s for s in data["searched"] if s["interface"] == "unicast"), {})
    return {"rc": done.returncode, "wall_s": round(wall, 3), "elapsed_s": data["elapsed_s"], "found": len(cams),
            "found_by_probe": len(by_probe), "by_http_only": sum(d["found_by"] == ["http"] for d in cams),
            "probes_sent": unicast.get("probes_sent"), "stopped": data.get("stopped")}


def _summary(command: str, runs: list[dict[str, Any]], target_s: float | None,
             cameras: int = CAMERAS) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    elapsed = [r.get("elapsed_s", float("inf")) for r in runs]
    found = [r.get("found_by_probe", 0) for r in runs]
    out: dict[str, Any] = {
        "command": command, "runs": runs,
        "wall_median_s": round(statistics.median(walls), 3), "wall_max_s": round(max(walls), 3),
        "elapsed_median_s": round(statistics.median(elapsed), 3), "elapsed_max_s": round(max(elapsed), 3),
        "found_min": min(found), "found_max": max(found), "all_found_every_run": min(found) == cameras,
    }
    if target_s is not None:
        out["target_s"] = target_s
        out["meets_target_wall"] = min(found) == CAMERAS and max(walls) <= target_s
        out["meets_target_elapsed"] = min(found) == CAMERAS and max(elapsed) <= target_s
    return out


def _measure(prefix: Sequence[str], subnet: str, extra: Sequence[str], env: dict[str, str],
             eprs: set[str]) -> dict[str, Any]:
    with_expect = ["--subnet", subnet, *extra, "--expect", str(CAMERAS)]
    without = ["--subnet", subnet, *extra, "--timeout", f"{TIMEOUT_S:g}"]
    _run(prefix, with_expect, env, eprs)  # warm-up: file cache, ARP/neighbour entries, the store
    a = [_run(prefix, with_expect, env, eprs) for _ in range(RUNS)]
    b = [_run(prefix, without, env, eprs) for _ in range(RUNS)]
    return {"with_expect": _summary("kitchencam discover --json " + " ".join(with_expect), a, TARGET_S),
            "without_expect": _summary("kitchencam discover --json " + " ".join(without), b, None)}


def _start_sim(prefix: Sequence[str], base: str, http_port: int, rtsp_port: int,
               cameras: int = CAMERAS) -> tuple[subprocess.Popen[str], set[str]]:
    from tests.netns.peers import Lines, _child_env, stop

    proc = subprocess.Popen([*prefix, sys.executable, "-m", "kitchencam", "sim", "--cameras", str(cameras),
                             "--persona", PERSONA, "--bind-base", base, "--http-port", str(http_port),
                             "--rtsp-port", str(rtsp_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(REPO),
                            env=_child_env(), stdin=subprocess.DEVNULL)
    try:
        lines = Lines(proc)
        return proc, {lines.next_json(60, f"sim endpoint {i + 1}/{cameras}")["endpoint_reference"]
                      for i in range(cameras)}
    except BaseException:
        stop(proc)
        raise


def namespace_setup() -> dict[str, Any]:
    from tests.netns.netns import lab
    from tests.netns.peers import stop

    sim = None
    with lab() as net, tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
        try:
            cam = net.namespace("cam")
            tool = net.namespace("tool")
            addrs = [f"{NS_NET}.1/24"] + [f"{NS_NET}.{10 + k}/24" for k in range(1, CAMERAS + 1)]
            net.link(cam, addrs, tool, [f"{NS_NET}.200/24"])
            sim, eprs = _start_sim(["ip", "netns", "exec", cam], f"{NS_NET}.10", 80, 554)
            measured = _measure(["ip", "netns", "exec", tool], f"{NS_NET}.0/24", [], _env(tmp), eprs)
        finally:
            if sim is not None:
                stop(sim)
    return {"setup": f"cameras {NS_NET}.11-{NS_NET}.{10 + CAMERAS} (HTTP 80) in namespace cam; the tool in "
                     f"namespace tool ({NS_NET}.200/24) over one veth; 204 silent addresses (ARP never answers)",
            **measured}


def loopback_setup(in_namespace: bool) -> dict[str, Any]:
    from tests.netns.netns import lab
    from tests.netns.peers import stop

    sim = None
    with lab() as net, tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
        try:
            prefix = ["ip", "netns", "exec", net.namespace("lo")] if in_namespace else []
            sim, eprs = _start_sim(prefix, f"{LO_NET}.10", 8080, 0)
            measured = _measure(prefix, f"{LO_NET}.0/24", ["--http-port", "8080"], _env(tmp), eprs)
        finally:
            if sim is not None:
                stop(sim)
    where = "inside a namespace of its own (only lo)" if in_namespace else "on this machine's loopback"
    return {"setup": f"cameras {LO_NET}.11-{LO_NET}.{10 + CAMERAS} (HTTP 8080) and the tool {where}; "
                     "silent addresses refuse at once", **measured}


LO26_NET = "127.0.94"
LO26_CAMERAS = 5


def lo26_setup() -> dict[str, Any]:
    from tests.netns.netns import lab, unavailable_reason
    from tests.netns.peers import stop

    in_namespace = unavailable_reason() is None
    sim = None
    with lab() as net, tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
        try:
            prefix = ["ip", "netns", "exec", net.namespace("lo")] if in_namespace else []
            sim, eprs = _start_sim(prefix, f"{LO26_NET}.10", 8080, 0, cameras=LO26_CAMERAS)
            args = ["--subnet", f"{LO26_NET}.0/26", "--http-port", "8080", "--timeout", f"{TIMEOUT_S:g}"]
            env = _env(tmp)
            _run(prefix, args, env, eprs)  # warm-up
            runs = [_run(prefix, args, env, eprs) for _ in range(RUNS)]
        finally:
            if sim is not None:
                stop(sim)
    where = "inside a namespace of its own (only lo)" if in_namespace else "on this machine's loopback"
    summary = _summary("kitchencam discover --json " + " ".join(args), runs, None, cameras=LO26_CAMERAS)
    return {"setup": f"{LO26_CAMERAS} cameras {LO26_NET}.11-{LO26_NET}.{10 + LO26_CAMERAS} (HTTP 8080), the tool "
                     f"{where}; the 57 other addresses refuse at once", "timeout_s": TIMEOUT_S, **summary}


def lo26_main(label: str) -> dict[str, Any]:
    name = f"{NAME}_lo26"
    path = HERE / "results" / f"{name}.json"
    try:
        previous: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    labels = previous.get("labels", {}) if isinstance(previous.get("labels"), dict) else {}
    labels[label] = {**lo26_setup(), **stamp()}
    return write(name, {"benchmark": name, "cameras": LO26_CAMERAS, "persona": PERSONA, "runs": RUNS,
                        "labels": labels})


def main() -> dict[str, Any]:
    from tests.netns.netns import unavailable_reason

    reason = unavailable_reason()
    result: dict[str, Any] = {"benchmark": NAME, "cameras": CAMERAS, "persona": PERSONA, "runs": RUNS,
                              "target_s": TARGET_S, **stamp()}
    if reason:
        result["namespace"] = {"skipped": reason}
        result["loopback"] = loopback_setup(in_namespace=False)
    else:
        result["namespace"] = namespace_setup()
        result["loopback"] = loopback_setup(in_namespace=True)
    return write(NAME, result)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if "--lo26" in sys.argv:
        label = sys.argv[sys.argv.index("--label") + 1] if "--label" in sys.argv else "latest"
        print(json.dumps(lo26_main(label), indent=2))
    else:
        print(json.dumps(main(), indent=2))
