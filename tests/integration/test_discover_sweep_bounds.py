"""`kitchencam discover --subnet` through the real CLI on loopback: the sweep ends when the
answers are in, and a hostile responder cannot multiply reads or steer them elsewhere.

- 127.0.143.0/26: a simulated school of five; every other address refuses UDP 3702 at once
  (ICMP port unreachable on loopback), so the sweep ends long before its timeout.
- 127.0.144.0/29: one hostile host (.2) that answers every Probe with one datagram of 150
  ProbeMatch entries, each advertising XAddrs on other hosts (a decoy HTTP server on
  127.0.144.200, outside the swept /29, counts every request it gets), and a second socket on
  the decoy's address that answers our Probes although it was never probed. Both servers and the
  responder are bounded and stop by themselves.
"""

from __future__ import annotations

import select
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from lxml import etree

from kitchencam.discover import capped_note
from kitchencam.discovery.wsd import (
    MAX_DATAGRAM,
    MAX_ENDPOINTS_PER_HOST,
    MAX_MATCHES_PER_DATAGRAM,
    MAX_XADDRS,
    NS_WSA,
)
from kitchencam.sim.school import SimulatedSchool

PERSONAS = ["dahua-wizsense2", "dahua-wizsense2-ready", "generic-720p", "hikvision-onvif-off", "printer"]
SCHOOL_BASE = "127.0.143.10"
SCHOOL_SUBNET = "127.0.143.0/26"
SCHOOL_PORT = 18143

HOSTILE = "127.0.144.2"
DECOY = "127.0.144.200"  # not in the swept /29: never probed, must never be contacted
HOSTILE_SUBNET = "127.0.144.0/29"
ENTRIES = 150
SERVE_FOR_S = 60.0  # every server here stops by itself after this, whatever the test does

CLOCK_REPLY = (Path(__file__).resolve().parents[1] / "data" / "captures" / "onvif-nvt" / "axis" / "core"
               / "GetSystemDateAndTime.Response.xml").read_bytes()
FAULT = (b'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
         b'xmlns:ter="http://www.onvif.org/ver10/error"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>'
         b'<s:Subcode><s:Value>ter:ActionNotSupported</s:Value></s:Subcode></s:Code><s:Reason>'
         b'<s:Text xml:lang="en">not here</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>')


# ------------------------------------------------------------------------------ the early end


@pytest.fixture(scope="module")
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=PERSONAS, bind_base=SCHOOL_BASE, http_port=SCHOOL_PORT, rtsp_port=0)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def test_sweep_ends_when_every_address_answered_or_refused(run, school: SimulatedSchool):
    timeout = 10
    code, doc = run.json("discover", "--subnet", SCHOOL_SUBNET, "--http-port", str(SCHOOL_PORT),
                         "--timeout", str(timeout))
    assert code == 0, doc["errors"]
    data = doc["data"]
    # Every device found, the ONVIF-off camera by the HTTP check after the sweep.
    assert {d["address"] for d in data["devices"]} == {f"127.0.143.{11 + i}" for i in range(len(PERSONAS))}
    assert data["cameras"] == 4
    assert data["others"] == 1
    [unicast] = [s for s in data["searched"] if s["interface"] == "unicast"]
    if sys.platform.startswith("linux"):
        # The 58 other addresses (the ONVIF-off camera too) refused UDP 3702: nothing left to wait for.
        assert unicast["refused"] == 62 - 4
        assert data["stopped"] == "complete"
    else:  # refusals are read from Linux's error queue only; the rest waits the grace
        assert data["stopped"] in ("complete", "grace")
    # Far below the timeout (generous margin: this is no speed test, benchmarks/ measures that).
    assert data["elapsed_s"] < timeout / 2


def test_multicast_free_sweep_with_expect_still_stops_by_expect(run, school: SimulatedSchool):
    code, doc = run.json("discover", "--subnet", SCHOOL_SUBNET, "--http-port", str(SCHOOL_PORT),
                         "--timeout", "10", "--expect", "2")
    assert code == 0
    assert doc["data"]["stopped"] == "expect"


# ------------------------------------------------------------------------------ the hostile host


class _Counting(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], answer: bool) -> None:
        self.answer = answer
        self.requests: Counter[str] = Counter()
        self.authorizations: list[str] = []
        self.lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Counting

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
        body = self.rfile.read(length)
        op = "GetSystemDateAndTime" if b"GetSystemDateAndTime" in body else "other"
        with self.server.lock:
            self.server.requests[op] += 1
            if self.headers.get("Authorization"):
                self.server.authorizations.append(self.headers["Authorization"])
        reply, status = (CLOCK_REPLY, 200) if op == "GetSystemDateAndTime" and self.server.answer else (FAULT, 500)
        self.send_response(status)
        self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: Any) -> None:
        pass


def _serve(server: _Counting, stop: threading.Event) -> None:
    ends = time.monotonic() + SERVE_FOR_S
    server.timeout = 0.05
    while not stop.is_set() and time.monotonic() < ends:
        server.handle_request()


def hostile_reply(relates_to: str, port: int) -> bytes:
    """One ProbeMatches datagram with ENTRIES matches, every XAddr on another host."""
    foreign = [f"http://{DECOY}:{port}/onvif/device_service", f"http://0.0.0.0:{port}/onvif/device_service",
               f"http://admin:admin@{DECOY}:{port}/onvif/device_service"]
    many = " ".join([*foreign, *(f"http://127.0.144.{201 + i}:{port}/x" for i in range(MAX_XADDRS + 4))])
    entries = []
    for i in range(ENTRIES):
        xaddrs = many if i == 0 else foreign[i % len(foreign)].replace("/onvif/device_service", "/o")
        entries.append(f"<d:ProbeMatch><a:EndpointReference><a:Address>urn:x:{i}</a:Address></a:EndpointReference>"
                       f"<d:Types>dn:NetworkVideoTransmitter</d:Types><d:XAddrs>{xaddrs}</d:XAddrs></d:ProbeMatch>")
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
            'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
            f'<s:Header><a:RelatesTo>{relates_to}</a:RelatesTo>'
            '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header>'
            f'<s:Body><d:ProbeMatches>{"".join(entries)}</d:ProbeMatches></s:Body></s:Envelope>').encode()


def _respond(sock: socket.socket, impostor: socket.socket, port: int, stop: threading.Event,
             sent: list[int]) -> None:
    """Answer each Probe on HOSTILE:3702 from there, and the same again from the decoy's address."""
    ends = time.monotonic() + SERVE_FOR_S
    while not stop.is_set() and time.monotonic() < ends and len(sent) < 50:
        ready, _, _ = select.select([sock], [], [], 0.05)
        if not ready:
            continue
        data, addr = sock.recvfrom(65535)
        mid = etree.fromstring(data).findtext(f".//{{{NS_WSA}}}MessageID")
        datagram = hostile_reply(mid or "", port)
        sock.sendto(datagram, addr)
        impostor.sendto(datagram.replace(b"urn:x:", b"urn:impostor:"), addr)
        sent.append(len(datagram))


@pytest.fixture
def hostile() -> Iterator[dict[str, Any]]:
    stop = threading.Event()
    camera = _Counting((HOSTILE, 0), answer=True)
    port = camera.server_address[1]
    decoy = _Counting((DECOY, port), answer=True)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    impostor = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent: list[int] = []
    threads = []
    try:
        udp.bind((HOSTILE, 3702))
        impostor.bind((DECOY, 3702))
        threads = [threading.Thread(target=_serve, args=(camera, stop), daemon=True),
                   threading.Thread(target=_serve, args=(decoy, stop), daemon=True),
                   threading.Thread(target=_respond, args=(udp, impostor, port, stop, sent), daemon=True)]
        for t in threads:
            t.start()
        yield {"port": port, "camera": camera, "decoy": decoy, "sent": sent}
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        for closable in (camera, decoy):
            closable.server_close()
        udp.close()
        impostor.close()


def test_hostile_datagram_is_capped_and_never_steers_a_read(run, hostile: dict[str, Any]):
    port = hostile["port"]
    assert MAX_DATAGRAM >= len(hostile_reply("uuid:x", port)) > 10_000  # read whole, then cut to the caps
    env = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": "s3cret-Admin"}
    code, doc = run.json("discover", "--subnet", HOSTILE_SUBNET, "--http-port", str(port), "--timeout", "5",
                         env=env)
    assert hostile["sent"], "the hostile responder was never probed"
    data = doc["data"]
    devices = data["devices"]
    # At most the cap of endpoints from the one datagram (and from the host), none from the impostor.
    assert 1 <= len(devices) <= min(MAX_MATCHES_PER_DATAGRAM, MAX_ENDPOINTS_PER_HOST)
    assert all(d["endpoint"].startswith("urn:x:") for d in devices)
    assert {d["address"] for d in devices} == {HOSTILE}
    for d in devices:
        # Only the answering host, port and path kept, no user info; never the decoy, never 0.0.0.0.
        parts = urlsplit(d["xaddr"])
        assert (parts.hostname, parts.port, parts.username) == (HOSTILE, port, None), d["xaddr"]
        assert len(d["xaddrs"]) <= MAX_XADDRS
        assert capped_note() in d["notes"]
    [unicast] = [s for s in data["searched"] if s["interface"] == "unicast"]
    assert unicast["capped"] >= 1
    assert unicast["unsolicited"] >= 1  # the impostor's copies, dropped
    # One identity read of the hostile host, whatever it claims; nothing ever reached the decoy.
    assert hostile["camera"].requests["GetSystemDateAndTime"] <= 1
    assert sum(hostile["decoy"].requests.values()) == 0
    assert hostile["decoy"].authorizations == []
    assert "s3cret-Admin" not in str(doc)
    assert code in (0, 1, 3, 5), doc["errors"]
