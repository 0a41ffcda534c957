"""Real captures through the real CLI: `kitchencam check` on a replay camera answering from one
real device's files, and `kitchencam discover` on UDP peers replaying real ProbeMatches.

The readers already meet every capture in test_captures_replay.py / test_captures_audit.py; here
the same files go through the entry point a technician runs (exit codes, --json envelope, store).
The two ProbeMatches (Axis M2025-LE, Amcrest IP5M-B1186E) are served unchanged but for RelatesTo,
which must name our Probe's MessageID. Both advertise XAddrs on other networks (192.168.0.205,
...): kitchencam must turn them into the address that answered, so nothing leaves loopback.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from kitchencam.discovery.wsd import NS_WSA
from kitchencam.store import Store
from tests.integration.test_captures_replay import _hikvision_routes
from tests.replay import CAPTURES, replay_camera

KOTLIN = CAPTURES / "ONVIF-Camera-Kotlin" / "onvifcamera" / "src" / "commonTest" / "resources"
ENV = {"KITCHENCAM_USER": "kitchen-tech", "KITCHENCAM_PASSWORD": "a-long-site-password"}


class CapturePeer:
    """UDP (ip, 3702): answers every Probe with a capture whose RelatesTo is the Probe's MessageID."""

    def __init__(self, ip: str, capture: Path, capture_relates_to: bytes) -> None:
        self.capture, self.relates_to = capture.read_bytes(), capture_relates_to
        assert self.relates_to in self.capture
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, 3702))
        self.probes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not select.select([self.sock], [], [], 0.05)[0]:
                continue
            data, addr = self.sock.recvfrom(65535)
            mid = etree.fromstring(data).findtext(f".//{{{NS_WSA}}}MessageID")
            self.probes += 1
            if mid:
                self.sock.sendto(self.capture.replace(self.relates_to, mid.encode()), addr)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def probe_peers() -> Iterator[list[CapturePeer]]:
    peers = [CapturePeer("127.0.121.11", KOTLIN / "probeResponse.xml", b"uuid:63a205c4-7eae-4dd5-99dc-75e38ff576b3"),
             CapturePeer("127.0.121.12", KOTLIN / "probeResponse2.xml", b"uuid:44f881db-4b2e-43b6-913c-123d771d2f19")]
    try:
        yield peers
    finally:
        for peer in peers:
            peer.stop()


def test_discover_reads_real_probe_matches_and_keeps_to_loopback(run, probe_peers, isolated: Path) -> None:
    code, doc = run.json("discover", "--subnet", "127.0.121.11/32", "--subnet", "127.0.121.12/32",
                         "--timeout", "2", "--http-port", "9")
    devices = {d["address"]: d for d in doc["data"]["devices"]}
    assert set(devices) == {"127.0.121.11", "127.0.121.12"}, doc
    assert all(peer.probes >= 1 for peer in probe_peers)
    axis, amcrest = devices["127.0.121.11"], devices["127.0.121.12"]
    assert axis["endpoint"] == "urn:uuid:3ea96f68-b845-4c0b-87cf-eee904c4be65"
    assert axis["name"] == "AXIS M2025-LE"
    assert amcrest["endpoint"] == "uuid:2a46daf1-86f6-91ad-5458-3d184eb186f6"
    assert amcrest["name"] == "Amcrest"
    assert amcrest["model"] == "IP5M-B1186E"  # from the hardware scope, no credentials needed
    assert amcrest["location"] == "country/china"
    assert set(amcrest["profiles"]) >= {"Streaming", "T"}
    for address, device in devices.items():
        assert device["kind"] == "camera"
        assert device["found_by"] == ["unicast"]
        # the advertised 192.168.0.205 etc. became the address that answered: never another host
        assert device["xaddr"].startswith(f"http://{address}"), device["xaddr"]
    # nothing listens on their HTTP port: the clock read fails and is said, the run is not sunk
    assert code in (0, 4), doc["errors"]
    with Store(isolated / "data" / "kitchencam.db") as store:
        [site] = store.list_sites()
        assert len(store.list_devices(site.id)) == 2


def test_check_on_a_replayed_hikvision(run, isolated: Path) -> None:
    with replay_camera(_hikvision_routes()) as cam:
        code, doc = run.json("check", cam.target, env=ENV)
    [device] = doc["data"]["devices"]
    assert (device["manufacturer"], device["model"], device["serial"], device["firmware"]) == (
        "HIKVISION", "DS-2DF7276-AEL", "DS-2DF7276-AEL20140613CCWR468714298B", "V5.1.6 build 140401")
    verdicts = {v["rule"]: v for v in device["verdicts"]}
    assert verdicts["clock"]["status"] == "FAIL"  # the capture's clock is from 2018
    assert "behind" in verdicts["clock"]["seen"]
    # the captures have no GetNTP: UNKNOWN with the reason, never "none"
    assert verdicts["ntp"]["status"] == "UNKNOWN"
    assert "GetNTP" in verdicts["ntp"]["detail"]
    assert code == 3
    [err] = doc["errors"]
    assert (err["code"], err["exit_code"], err["target"]) == ("NonCompliant", 3, cam.target)
    assert ENV["KITCHENCAM_PASSWORD"] not in str(doc)
