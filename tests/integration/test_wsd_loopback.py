"""The unicast sweep and the HTTP check over real sockets on loopback (127.0.81.0/26 only).

A simulated school (cameras k on 127.0.81.10 + k, each with its WS-Discovery responder on
UDP 3702 and HTTP on a kernel-picked port) and hand-made misbehaving peers, each a raw UDP
socket on its own 127.0.81.4x:3702:

- .40 answers only ``tds:Device`` Probes, with the Axis capture (line breaks in Scopes/XAddrs);
- .41 answers every Probe with a RelatesTo that is none of ours;
- .42 answers ``dn:NetworkVideoTransmitter`` Probes twice;
- .43 answers every Probe with garbage.
"""

from __future__ import annotations

import select
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from kitchencam.discovery import Prober, expand_subnets, http_onvif_check
from kitchencam.discovery.wsd import ALL_DEVICES_TYPE_SETS, CAMERA_TYPE_SETS, GRACE_MAX_S, NS_WSA, NS_WSD
from kitchencam.sim.school import SimulatedSchool

SUBNET = "127.0.81.0/26"
PERSONAS = ["dahua-wizsense2", "hikvision-ds2cd1023g0e-i", "generic-720p", "printer", "hikvision-onvif-off"]
ANSWERING = {"dahua-wizsense2", "hikvision-ds2cd1023g0e-i", "generic-720p", "printer"}
CAPTURE = (Path(__file__).resolve().parents[1] / "data" / "captures" / "ONVIF-Camera-Kotlin" / "onvifcamera" / "src"
           / "commonTest" / "resources" / "probeResponse.xml").read_bytes()
CAPTURE_RELATES_TO = b"uuid:63a205c4-7eae-4dd5-99dc-75e38ff576b3"
NS_DN = "http://www.onvif.org/ver10/network/wsdl"
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"

Reply = Callable[[str, set[tuple[str, str]]], list[bytes]]  # (MessageID, probe types) -> datagrams


class FakePeer:
    """A UDP socket on (ip, 3702) answering Probes by ``reply``; stopped by the fixture."""

    def __init__(self, ip: str, reply: Reply) -> None:
        self.ip = ip
        self.reply = reply
        self.probes = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, 3702))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.05)
            if not ready:
                continue
            data, addr = self.sock.recvfrom(65535)
            root = etree.fromstring(data)
            mid = root.findtext(f".//{{{NS_WSA}}}MessageID")
            types_el = root.find(f".//{{{NS_WSD}}}Types")
            types = set()
            if types_el is not None and types_el.text:
                for word in types_el.text.split():
                    prefix, local = word.split(":")
                    types.add((types_el.nsmap[prefix], local))
            self.probes += 1
            for datagram in self.reply(mid, types):
                self.sock.sendto(datagram, addr)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _capture_reply(mid: str, epr: str) -> bytes:
    return CAPTURE.replace(CAPTURE_RELATES_TO, mid.encode()).replace(
        b"urn:uuid:3ea96f68-b845-4c0b-87cf-eee904c4be65", epr.encode())


EPR_DEVICE_ONLY = "urn:uuid:00000000-0000-4000-8000-000000008140"
EPR_WRONG = "urn:uuid:00000000-0000-4000-8000-000000008141"
EPR_TWICE = "urn:uuid:00000000-0000-4000-8000-000000008142"


def _device_only(mid: str, types: set[tuple[str, str]]) -> list[bytes]:
    return [_capture_reply(mid, EPR_DEVICE_ONLY)] if types == {(NS_TDS, "Device")} else []


def _wrong_relates_to(mid: str, types: set[tuple[str, str]]) -> list[bytes]:
    return [_capture_reply(f"uuid:{uuid.uuid4()}", EPR_WRONG)]


def _twice(mid: str, types: set[tuple[str, str]]) -> list[bytes]:
    return [_capture_reply(mid, EPR_TWICE)] * 2 if (NS_DN, "NetworkVideoTransmitter") in types else []


def _garbage(mid: str, types: set[tuple[str, str]]) -> list[bytes]:
    return [b"<SOAP-ENV:Envelope xmlns:SOAP-ENV='broken"]


@pytest.fixture(scope="module")
def lan() -> Iterator[dict[str, Any]]:
    school = SimulatedSchool(personas=PERSONAS, bind_base="127.0.81.10", http_port=0, rtsp_port=0)
    peers: list[FakePeer] = []
    try:
        endpoints = school.start()
        for ip, reply in (("127.0.81.40", _device_only), ("127.0.81.41", _wrong_relates_to),
                          ("127.0.81.42", _twice), ("127.0.81.43", _garbage)):
            peers.append(FakePeer(ip, reply))
        yield {"cameras": {e["persona"]: e for e in endpoints}, "peers": peers}
    finally:
        for peer in peers:
            peer.stop()
        school.stop()


def test_sweep_finds_every_device_that_answers_discovery(lan: dict[str, Any]) -> None:
    cams = lan["cameras"]
    hosts = expand_subnets([SUBNET])
    assert len(hosts) == 62
    found: list[str] = []
    # The timeout is longer than the longest grace (GRACE_MAX_S): on a loaded machine the loopback RTT,
    # and so the grace, grows, and the sweep must still end by the grace, not by the timeout.
    timeout = GRACE_MAX_S + 1.0
    result = Prober().probe(interfaces=[], unicast_targets=hosts, type_sets=ALL_DEVICES_TYPE_SETS, timeout=timeout,
                            rate_per_s=2000, on_match=lambda m: found.append(m.endpoint))
    by_epr: dict[str, list[Any]] = {}
    for m in result.matches:
        by_epr.setdefault(m.endpoint, []).append(m)
    assert found == [m.endpoint for m in result.matches]

    for persona in ANSWERING:
        matches = by_epr.get(cams[persona]["endpoint_reference"])
        assert matches, f"{persona} not found: {sorted(by_epr)}"
        assert {(m.source_ip, m.via, m.interface, m.local_ip) for m in matches} == {
            (cams[persona]["ip"], "unicast", None, "127.0.0.1")}
        # Found by the first Probe that matched it; later type sets skip a host that answered.
        assert len(matches) == 1
        if persona != "printer":  # the printer advertises its WSD service, not ONVIF
            assert matches[0].xaddrs == [cams[persona]["xaddr"]]
    assert by_epr[cams["dahua-wizsense2"]["endpoint_reference"]][0].probe_types == ["dn:NetworkVideoTransmitter"]
    assert by_epr[cams["printer"]["endpoint_reference"]][0].probe_types == []  # only the untyped Probe
    assert cams["hikvision-onvif-off"]["endpoint_reference"] not in by_epr

    # The tds:Device-only peer: found by the second Probe, every XAddr and scope of the capture.
    [device_only] = by_epr[EPR_DEVICE_ONLY]
    assert device_only.probe_types == ["tds:Device"]
    assert len(device_only.xaddrs) == 4
    assert "onvif://www.onvif.org/name/AXIS M2025-LE" in device_only.scopes
    # Wrong RelatesTo: ignored, counted once per Probe it answered (all three type sets).
    assert EPR_WRONG not in by_epr
    assert result.unicast.mismatched == 3
    # Each reply twice: one match, one duplicate.
    assert len(by_epr[EPR_TWICE]) == 1
    assert result.unicast.duplicates == 1
    # Garbage: counted, no crash.
    assert result.unicast.malformed == 3

    assert set(by_epr) == {cams[p]["endpoint_reference"] for p in ANSWERING} | {EPR_DEVICE_ONLY, EPR_TWICE}
    assert result.interfaces == {}
    assert result.problems == []
    # 62 hosts x 3 type sets, minus the later type sets for the hosts that had answered.
    assert 62 < result.unicast.probes_sent < 3 * 62
    assert result.unicast.replies == result.unicast.matches + 3 + 1 + 3
    assert result.stopped_early is False
    # Every other address refused (nothing on 3702: ICMP port unreachable, Linux error queue);
    # the peers that sent garbage or a wrong RelatesTo stay open, so the sweep ends by the grace
    # after their last Probe, before the timeout.
    if sys.platform.startswith("linux"):  # elsewhere refusals are not read: all silent hosts wait the grace
        assert result.unicast.refused == 62 - len(ANSWERING) - 4
    assert result.stop_reason == "grace"
    assert result.grace_s is not None
    assert result.rtt_max_s is not None
    assert result.elapsed_s < timeout  # ended by the grace (the figure: benchmarks/discover_sweep.py)


def test_expect_stops_as_soon_as_enough_devices_answered(lan: dict[str, Any]) -> None:
    cameras = 3 + 2  # three simulated cameras, the tds:Device-only peer and the twice-answering one
    result = Prober().probe(interfaces=[], unicast_targets=expand_subnets([SUBNET]), type_sets=CAMERA_TYPE_SETS,
                            timeout=5.0, expect=cameras, rate_per_s=2000)
    assert result.stopped_early is True
    assert len(result.endpoints) >= cameras
    assert result.elapsed_s < 5.0, result.elapsed_s  # before the timeout (the figure: benchmarks/)
    # The printer answers no camera type set.
    assert lan["cameras"]["printer"]["endpoint_reference"] not in result.endpoints


def test_rate_bounds_the_sweep(lan: dict[str, Any]) -> None:
    # Ten silent hosts, then a camera: at 100 probes/s its Probe leaves at ~0.1 s (the rate is
    # kept) and it answers at once; a unicast sweep ends there when `expect` is met (only
    # multicast Probes must all go out first).
    camera = lan["cameras"]["dahua-wizsense2"]
    targets = [f"127.0.81.{i}" for i in range(50, 60)] + [camera["ip"]]
    result = Prober().probe(interfaces=[], unicast_targets=targets, timeout=3.0, expect=1, rate_per_s=100)
    assert result.endpoints == {camera["endpoint_reference"]}
    assert result.unicast.probes_sent == 11
    assert result.stopped_early is True
    assert 0.09 <= result.elapsed_s < 3.0, result.elapsed_s  # the rate is kept; it ended before the timeout


def test_http_check_tells_onvif_off_from_onvif_on(lan: dict[str, Any]) -> None:
    cams = lan["cameras"]
    off = cams["hikvision-onvif-off"]
    [finding] = http_onvif_check([off["ip"]], port=off["http_port"], timeout=1.0)
    assert finding.kind == "http_only"
    assert not finding.onvif_on
    assert finding.status in (401, 403, 404, 405)
    assert finding.host == off["ip"]
    assert finding.port == off["http_port"]
    assert finding.title

    dahua = cams["dahua-wizsense2"]
    [on] = http_onvif_check([dahua["ip"]], port=dahua["http_port"])
    assert on.onvif_on
    assert on.status == 200
    assert on.server == "Webs"

    printer = cams["printer"]
    [web] = http_onvif_check([printer["ip"]], port=printer["http_port"])
    assert web.kind == "http_only"
    assert web.status == 404

    # Nothing listens there: no finding, quickly (connection refused).
    assert http_onvif_check(["127.0.81.61", "127.0.81.62"], port=off["http_port"], timeout=1.0) == []
