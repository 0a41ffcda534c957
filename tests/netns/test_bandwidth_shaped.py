"""``kitchencam bandwidth`` on a shaped link, side by side with iperf3 (the issue's accuracy check).

    send namespace                                      recv namespace
    198.18.0.1/30  veth, root qdisc tbf rate R  ---->  198.18.0.2/30
    iperf3 -c, kitchencam bandwidth                     iperf3 -s -1, the simulated centre (:8000)

For R = 10 and 40 Mbit/s: ``iperf3 -c -P 2 -t 6 -J``, then ``kitchencam bandwidth --streams 2
--duration 6 --json`` (after its uncounted 2 s warm-up), one after the other on the same link.

What "the shaped rate" means for goodput: tbf meters whole frames as the veth carries them, the
14-byte Ethernet header included (a veth has no preamble, FCS or gap). A full-size TCP segment on
a 1500-byte MTU carries 1448 bytes of payload (1500 - 20 IP - 32 TCP with timestamps) in a
1514-byte frame, so a link shaped to R delivers at most R x 1448/1514 = 0.956 R of application
bytes: 9.56 Mbit/s at 10, 38.26 at 40. Asserted, each within 10%:

- iperf3's receiver-side goodput against that expected goodput (else the lab is wrong, not us);
- kitchencam's mean against the expected goodput and against iperf3's goodput;
- kitchencam's 10th percentile against the expected goodput (``carries`` is computed from it).

Measured here (kernel 6.18), 10 / 40 Mbit/s: iperf3 9.58-9.59 / 37.4-38.3, kitchencam mean
9.56-9.58 / 38.24-38.26, p10 9.49-9.53 / 38.16-38.21. The test takes about 31 s.
Skips without root (tests/netns/conftest.py) or without iperf3 (scripts/install-test-deps.sh).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.netns.netns import Lab, lab, sh
from tests.netns.peers import PYTHON, REPO, Lines, _child_env, stop

SEND_IP, RECV_IP = "198.18.0.1", "198.18.0.2"
CENTRE_PORT, IPERF_PORT = 8000, 5201
TOKEN = "shaped-link-token"
SECONDS = 6
STREAMS = 2
#: TCP payload per full-size frame on a 1500-byte MTU (timestamps on), over the frame tbf meters.
GOODPUT_SHARE = 1448 / 1514
TOLERANCE = 0.10
RUN_TIMEOUT_S = 40.0

pytestmark = pytest.mark.skipif(shutil.which("iperf3") is None or shutil.which("tc") is None,
                                reason="iperf3 or tc is not installed; scripts/install-test-deps.sh installs them "
                                       "as root")

# The centre in the receiver namespace: prints its URL, serves until stdin closes (the test ends)
# or 300 s pass, whichever is first.
_CENTRE = """
import json, sys, threading
from kitchencam.sim.centre import CentreServer
centre = CentreServer(sys.argv[1], int(sys.argv[2]), token=sys.argv[3])
centre.start()
print(json.dumps({"url": centre.base_url}), flush=True)
reader = threading.Thread(target=sys.stdin.read, daemon=True)
reader.start()
reader.join(300)
centre.stop()
"""


@dataclass
class Link:
    net: Lab
    send: str
    recv: str
    dev: str  # the sender's veth, where tbf shapes
    centre_url: str


@pytest.fixture(scope="module")
def link() -> Iterator[Link]:
    procs: list[subprocess.Popen[str]] = []
    with lab() as net:  # deletes both namespaces (and kills what still runs in them) on the way out
        try:
            send = net.namespace("send")
            recv = net.namespace("recv")
            dev, _ = net.link(send, [f"{SEND_IP}/30"], recv, [f"{RECV_IP}/30"])
            centre = net.popen(recv, [PYTHON, "-c", _CENTRE, RECV_IP, str(CENTRE_PORT), TOKEN],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=str(REPO), env=_child_env())
            procs.append(centre)
            url = Lines(centre).next_json(20, "simulated centre")["url"]
            yield Link(net, send, recv, dev, url)
        finally:
            for proc in procs:
                if proc.stdin is not None:
                    proc.stdin.close()
                stop(proc)


def shape(link: Link, mbit: int) -> None:
    # burst: 32 KB of credit, as a modem's shaper allows; latency: a 50 ms queue before drops.
    sh("tc", "qdisc", "replace", "dev", link.dev, "root", "tbf", "rate", f"{mbit}mbit", "burst", "32kb",
       "latency", "50ms", ns=link.send)


def iperf3_goodput(link: Link) -> float:
    """Receiver-side goodput (Mbit/s) of ``iperf3 -c -P STREAMS -t SECONDS`` over the link."""
    server = link.net.popen(link.recv, ["iperf3", "-s", "-1", "-B", RECV_IP, "-p", str(IPERF_PORT)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Wait for the listening socket without connecting to it: -1 serves exactly one client.
        deadline = time.monotonic() + 10
        while not sh("ss", "-Hltn", f"sport = :{IPERF_PORT}", ns=link.recv).stdout.strip():
            assert server.poll() is None, f"iperf3 -s ended: {server.stderr.read() if server.stderr else ''}"
            assert time.monotonic() < deadline, "iperf3 -s did not listen within 10 s"
            time.sleep(0.05)
        done = subprocess.run(["ip", "netns", "exec", link.send, "iperf3", "-c", RECV_IP, "-p", str(IPERF_PORT),
                               "-P", str(STREAMS), "-t", str(SECONDS), "-J", "--connect-timeout", "3000"],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"iperf3 -c failed: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        return float(json.loads(done.stdout)["end"]["sum_received"]["bits_per_second"]) / 1e6
    finally:
        stop(server, timeout=3)


def kitchencam_bandwidth(link: Link) -> dict[str, Any]:
    """``kitchencam bandwidth --json`` in the sender namespace; the envelope's ``data``."""
    # os.environ carries the isolated config/data folders of tests/conftest.py's autouse fixture.
    env = _child_env({"KITCHENCAM_CENTRE_TOKEN": TOKEN, "KITCHENCAM_LANG": "en"})
    for key in ("KITCHENCAM_SITE", "KITCHENCAM_STORE"):
        env.pop(key, None)
    done = subprocess.run(["ip", "netns", "exec", link.send, PYTHON, "-m", "kitchencam", "bandwidth",
                           "--url", link.centre_url + "/api/v1/bandwidth/upload", "--duration", str(SECONDS),
                           "--streams", str(STREAMS), "--json"],
                          capture_output=True, text=True, cwd=str(REPO), env=env, timeout=RUN_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)
    try:
        envelope = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not one JSON document (rc={done.returncode}): {done.stdout!r} "
                             f"{done.stderr[-3000:]}") from exc
    assert done.returncode == 0, envelope
    assert envelope["status"] == "ok", envelope
    return dict(envelope["data"])


@pytest.mark.parametrize("mbit", [10, 40], ids=["10mbit", "40mbit"])
def test_goodput_matches_the_shaped_rate_and_iperf3(link: Link, mbit: int) -> None:
    shape(link, mbit)
    expected = mbit * GOODPUT_SHARE
    iperf = iperf3_goodput(link)
    data = kitchencam_bandwidth(link)
    mean, p10 = data["mean_mbps"], data["p10_mbps"]
    print(f"tbf {mbit} Mbit/s: expected goodput {expected:.2f}, iperf3 {iperf:.2f}, kitchencam mean {mean:.2f} "
          f"p10 {p10:.2f}, windows {data['windows']}")

    assert data["counted_by"] == "tcp_acked"  # Linux: bytes the centre acknowledged
    assert len(data["windows"]) == SECONDS
    assert iperf == pytest.approx(expected, rel=TOLERANCE), "the shaped link itself is off"
    assert mean == pytest.approx(expected, rel=TOLERANCE), data
    assert mean == pytest.approx(iperf, rel=TOLERANCE), data
    assert p10 == pytest.approx(expected, rel=TOLERANCE), data
    assert p10 <= mean
