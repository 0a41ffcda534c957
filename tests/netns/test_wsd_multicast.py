"""Multicast WS-Discovery through real interfaces: kitchencam's Prober in one namespace, simulated
responders behind two veth links in another.

    cam namespace                               tool namespace
    link 0: 198.18.50.11 (NVT + Device)  <-->   198.18.50.200  (first link: has the 224/4 route)
            198.18.50.12 (tds:Device only)
    link 1: 198.18.51.11 (NVT + Device)  <-->   198.18.51.200  (no multicast route: IP_MULTICAST_IF)

Both sides run as subprocesses started with ``ip netns exec`` (``python -m
tests.netns.test_wsd_multicast responders|probe SPEC``); the namespace side refuses to run
where any interface other than ``lo`` and the lab's ``kc*`` veths exists. Skips without root.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.netns.netns import Lab

REPO = Path(__file__).resolve().parents[2]
NVT_DEVICE = ["dn:NetworkVideoTransmitter", "tds:Device"]
RESPONDERS: list[dict[str, Any]] = [
    {"ip": "198.18.50.11", "epr": "urn:uuid:00000000-0000-4000-8000-000000005011", "types": NVT_DEVICE},
    {"ip": "198.18.50.12", "epr": "urn:uuid:00000000-0000-4000-8000-000000005012", "types": ["tds:Device"]},
    {"ip": "198.18.51.11", "epr": "urn:uuid:00000000-0000-4000-8000-000000005111", "types": NVT_DEVICE},
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _read_json_line(proc: subprocess.Popen[str], timeout: float, what: str) -> dict[str, Any]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"{what}: process ended (rc={proc.wait(5)}), stdout {seen!r}, stderr {err[-3000:]}")
        seen.append(line)
        if line.startswith("{"):
            return dict(json.loads(line))
    raise AssertionError(f"{what}: nothing within {timeout} s; stdout {seen!r}")


def _probe(net: Lab, ns: str, spec: dict[str, Any]) -> dict[str, Any]:
    proc = net.popen(ns, [sys.executable, "-m", "tests.netns.test_wsd_multicast", "probe", json.dumps(spec)],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(REPO), env=_env())
    try:
        return _read_json_line(proc, 20, "prober")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)


def test_multicast_per_interface(netlab: Lab) -> None:
    cam = netlab.namespace("cam")
    tool = netlab.namespace("tool")
    _, if0 = netlab.link(cam, ["198.18.50.1/24", "198.18.50.11/24", "198.18.50.12/24"], tool, ["198.18.50.200/24"])
    _, if1 = netlab.link(cam, ["198.18.51.1/24", "198.18.51.11/24"], tool, ["198.18.51.200/24"])
    responders = netlab.popen(cam, [sys.executable, "-m", "tests.netns.test_wsd_multicast", "responders",
                                    json.dumps(RESPONDERS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=str(REPO), env=_env())
    try:
        assert _read_json_line(responders, 15, "responders")["event"] == "ready"

        # Every usable interface (lo is not): all three found, each tagged with its link.
        every = _probe(netlab, tool, {"interfaces": None, "timeout": 3.0, "expect": 3})
        assert sorted(every["selected"]) == sorted([if0, if1])
        by_epr = {m["endpoint"]: m for m in every["matches"]}
        assert set(by_epr) == {r["epr"] for r in RESPONDERS}, every
        for r in RESPONDERS:
            m = by_epr[r["epr"]]
            side = if0 if r["ip"].startswith("198.18.50.") else if1
            assert m["via"] == "multicast"
            assert m["interface"] == side
            assert m["source_ip"] == r["ip"]
            assert m["local_ip"] == ("198.18.50.200" if side == if0 else "198.18.51.200")
            assert m["local_cidr"] == m["local_ip"] + "/24"
            assert m["xaddrs"] == [f"http://{r['ip']}/onvif/device_service"]
        # The tds:Device-only responder was found by the second Probe, not the first.
        device_only = [m for m in every["matches"] if m["endpoint"] == RESPONDERS[1]["epr"]]
        assert {tuple(m["probe_types"]) for m in device_only} == {("tds:Device",)}
        assert every["stopped_early"] is True
        # Answers come within APP_MAX_DELAY (0.5 s) of the first Probe; expect ends the wait.
        assert every["elapsed_s"] < 1.5, every["elapsed_s"]
        for name in (if0, if1):
            stats = every["interfaces"][name]
            assert stats["probes_sent"] >= 2  # both type sets, at least once each
            assert stats["malformed"] == stats["mismatched"] == 0
        assert every["problems"] == []

        # --interface: only that link is probed, and only its responder answers.
        one = _probe(netlab, tool, {"interfaces": [if1], "timeout": 1.2, "expect": None})
        assert one["selected"] == [if1]
        assert {m["endpoint"] for m in one["matches"]} == {RESPONDERS[2]["epr"]}
        assert {m["interface"] for m in one["matches"]} == {if1}
        assert list(one["interfaces"]) == [if1]
        # Sent once and repeated MULTICAST_UDP_REPEAT (2) times, for each of the two type sets.
        assert one["interfaces"][if1]["probes_sent"] == 6
        assert 1.2 <= one["elapsed_s"] < 1.6
    finally:
        if responders.poll() is None and responders.stdin is not None:
            responders.stdin.close()
        try:
            responders.wait(10)
        except subprocess.TimeoutExpired:
            responders.kill()
            responders.wait(5)


# ------------------------------------------------------------------------------------------------
# namespace side


def _refuse_outside_lab() -> None:
    foreign = [name for _, name in socket.if_nameindex() if name != "lo" and not name.startswith("kc")]
    if foreign:
        raise SystemExit(f"only inside a test's network namespace; this one has {', '.join(foreign)}")


def _responders(spec: list[dict[str, Any]]) -> None:
    from kitchencam.sim.discovery import DiscoveryResponder

    started = []
    try:
        for r in spec:
            responder = DiscoveryResponder(r["ip"], r["epr"], r["types"], ["onvif://www.onvif.org/Profile/T"],
                                           [f"http://{r['ip']}/onvif/device_service"], multicast=True)
            responder.start()
            started.append(responder)
        print(json.dumps({"event": "ready"}), flush=True)
        # Serve until the test closes stdin, 30 s at most.
        select.select([sys.stdin], [], [], 30)
    finally:
        for responder in started:
            responder.stop()


def _prober(spec: dict[str, Any]) -> None:
    from kitchencam.discovery import Prober, select_interfaces

    chosen = select_interfaces(spec["interfaces"])
    result = Prober().probe(interfaces=chosen, timeout=spec["timeout"], expect=spec["expect"])
    out = json.loads(result.model_dump_json())
    out["selected"] = [i.name for i in chosen]
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    _refuse_outside_lab()
    if sys.argv[1] == "responders":
        _responders(json.loads(sys.argv[2]))
    else:
        _prober(json.loads(sys.argv[2]))
