"""Unicast WS-Discovery against responders on 127.0.0.11/.12/.13:3702, over real UDP.

Also checked with the third-party ``wsdiscovery`` package: its message builders make the Probe
and its parser reads our ProbeMatches. Its own unicast search cannot be used: see
docs/reference/simulator-network.md ("wsdiscovery 2.1.2 and unicast") for why.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from lxml import etree

from kitchencam.sim.discovery import (
    ACTION_PROBE_MATCHES,
    ACTION_RESOLVE_MATCHES,
    ADDRESS_ALL,
    NS_SOAP,
    NS_WSA,
    NS_WSD,
    DiscoveryResponder,
)

DN = "http://www.onvif.org/ver10/network/wsdl"
IPS = ("127.0.0.11", "127.0.0.12", "127.0.0.13")


def _epr(i: int) -> str:
    return f"urn:uuid:{uuid.UUID(int=0xC0FFEE00 + i)}"


@pytest.fixture
def responders() -> Iterator[list[DiscoveryResponder]]:
    started: list[DiscoveryResponder] = []
    specs = [
        # A compliant Dahua, a Hikvision advertising a wrong XAddr, a printer.
        (["dn:NetworkVideoTransmitter", "tds:Device"],
         ["onvif://www.onvif.org/Profile/Streaming", "onvif://www.onvif.org/Profile/T",
          "onvif://www.onvif.org/hardware/IPC-HFW2241S-S", "onvif://www.onvif.org/name/Dahua"],
         ["http://127.0.0.11/onvif/device_service"]),
        (["dn:NetworkVideoTransmitter", "tds:Device"],
         ["onvif://www.onvif.org/Profile/Streaming", "onvif://www.onvif.org/hardware/DS-2CD1023G0E-I",
          "onvif://www.onvif.org/name/HIKVISION DS-2CD1023G0E-I"],
         ["http://0.0.0.0/onvif/device_service", "http://192.168.1.64/onvif/device_service"]),
        (["wsdp:Device", "wprt:PrintDeviceType"], [], ["http://127.0.0.13:5357/printer"]),
    ]
    try:
        for i, (ip, (types, scopes, xaddrs)) in enumerate(zip(IPS, specs, strict=True)):
            r = DiscoveryResponder(ip, _epr(i), types, scopes, xaddrs, multicast=True, rng_seed=i)
            r.start()
            started.append(r)
        yield started
    finally:
        for r in started:
            r.stop()


@pytest.fixture
def client() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    try:
        yield sock
    finally:
        sock.close()


def probe_xml(types: str = "", scopes: str = "", message_id: str | None = None, match_by: str = "") -> bytes:
    mid = message_id or f"uuid:{uuid.uuid4()}"
    types_el = f"<d:Types>{types}</d:Types>" if types else ""
    mb = f' MatchBy="{match_by}"' if match_by else ""
    scopes_el = f"<d:Scopes{mb}>{scopes}</d:Scopes>" if scopes else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<e:Envelope xmlns:e="{NS_SOAP}" xmlns:w="{NS_WSA}" xmlns:d="{NS_WSD}" xmlns:dn="{DN}">'
            f"<e:Header><w:MessageID>{mid}</w:MessageID><w:To e:mustUnderstand=\"true\">{ADDRESS_ALL}</w:To>"
            f'<w:Action e:mustUnderstand="true">{NS_WSD}/Probe</w:Action></e:Header>'
            f"<e:Body><d:Probe>{types_el}{scopes_el}</d:Probe></e:Body></e:Envelope>").encode()


def collect(sock: socket.socket, window: float = 0.6) -> list[tuple[tuple[str, int], bytes]]:
    """Every datagram that arrives within ``window`` seconds (bounded)."""
    out: list[tuple[tuple[str, int], bytes]] = []
    deadline = time.monotonic() + window
    for _ in range(100):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data, addr = sock.recvfrom(65535)
        except TimeoutError:
            break
        out.append((addr, data))
    return out


def probe_all(sock: socket.socket, payload: bytes) -> list[tuple[tuple[str, int], bytes]]:
    for ip in IPS:
        sock.sendto(payload, (ip, 3702))
    return collect(sock)


def test_unicast_probe_finds_each_camera(responders, client) -> None:
    mid = f"uuid:{uuid.uuid4()}"
    replies = probe_all(client, probe_xml(types="dn:NetworkVideoTransmitter", message_id=mid))
    assert sorted(addr for addr, _ in replies) == [("127.0.0.11", 3702), ("127.0.0.12", 3702)]
    for addr, data in replies:
        env = etree.fromstring(data)
        assert env.findtext(f".//{{{NS_WSA}}}Action") == ACTION_PROBE_MATCHES
        assert env.findtext(f".//{{{NS_WSA}}}RelatesTo") == mid
        xaddrs = env.findtext(f".//{{{NS_WSD}}}XAddrs").split()  # type: ignore[union-attr]
        if addr[0] == "127.0.0.12":
            # The broken XAddrs go out as configured: the client has to cope.
            assert xaddrs == ["http://0.0.0.0/onvif/device_service", "http://192.168.1.64/onvif/device_service"]
        else:
            assert xaddrs == ["http://127.0.0.11/onvif/device_service"]


def test_empty_probe_matches_everything_including_the_printer(responders, client) -> None:
    replies = probe_all(client, probe_xml())
    assert sorted(addr[0] for addr, _ in replies) == list(IPS)


def test_scope_filter_and_no_reply_when_nothing_matches(responders, client) -> None:
    replies = probe_all(client, probe_xml(scopes="onvif://www.onvif.org/Profile/T"))
    assert [addr[0] for addr, _ in replies] == ["127.0.0.11"]
    replies = probe_all(client, probe_xml(scopes="onvif://www.onvif.org/name/HIKVISION%20DS-2CD1023G0E-I"))
    assert [addr[0] for addr, _ in replies] == ["127.0.0.12"]
    assert probe_all(client, probe_xml(types="dn:NoSuchType")) == []
    assert probe_all(client, probe_xml(scopes="onvif://www.onvif.org/Profile/G")) == []


def test_repeated_probe_is_answered_once(responders, client) -> None:
    # SOAP-over-UDP clients send each message more than once; a device answers each MessageID once.
    payload = probe_xml(types="dn:NetworkVideoTransmitter")
    for _ in range(3):
        client.sendto(payload, ("127.0.0.11", 3702))
    assert len(collect(client)) == 1


def test_garbage_is_ignored_and_the_responder_keeps_answering(responders, client) -> None:
    for junk in (b"", b"not xml", b"<x/>", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', b"\xff" * 2000):
        client.sendto(junk, ("127.0.0.11", 3702))
    assert collect(client, 0.2) == []
    assert len(probe_all(client, probe_xml(types="dn:NetworkVideoTransmitter"))) == 2


def test_resolve(responders, client) -> None:
    mid = f"uuid:{uuid.uuid4()}"
    resolve = (f'<e:Envelope xmlns:e="{NS_SOAP}" xmlns:w="{NS_WSA}" xmlns:d="{NS_WSD}"><e:Header>'
               f"<w:MessageID>{mid}</w:MessageID><w:To>{ADDRESS_ALL}</w:To>"
               f"<w:Action>{NS_WSD}/Resolve</w:Action></e:Header><e:Body><d:Resolve><w:EndpointReference>"
               f"<w:Address>{_epr(1)}</w:Address></w:EndpointReference></d:Resolve></e:Body></e:Envelope>")
    replies = probe_all(client, resolve.encode())
    assert [addr[0] for addr, _ in replies] == ["127.0.0.12"]
    env = etree.fromstring(replies[0][1])
    assert env.findtext(f".//{{{NS_WSA}}}Action") == ACTION_RESOLVE_MATCHES
    assert env.findtext(f".//{{{NS_WSA}}}RelatesTo") == mid
    assert env.findtext(f".//{{{NS_WSD}}}ResolveMatch/{{{NS_WSA}}}EndpointReference/{{{NS_WSA}}}Address") == _epr(1)


# ------------------------------------------------------------------ the third-party client
def test_wsdiscovery_builds_the_probe_and_reads_our_matches(responders, client) -> None:
    wsd_probe = pytest.importorskip("wsdiscovery.actions")
    from wsdiscovery.message import createSOAPMessage, parseSOAPMessage
    from wsdiscovery.qname import QName
    from wsdiscovery.scope import Scope
    from wsdiscovery.service import Service
    from wsdiscovery.util import filterServices

    nvt = QName(DN, "NetworkVideoTransmitter")
    env = wsd_probe.constructProbe([nvt], [Scope("onvif://www.onvif.org/Profile/Streaming")])
    # wsdiscovery invents a random prefix for the type and declares it on the Envelope.
    replies = probe_all(client, createSOAPMessage(env).encode("utf-8"))
    assert len(replies) == 2
    services = []
    for addr, data in replies:
        parsed = parseSOAPMessage(data, addr[0])
        assert parsed is not None
        assert parsed.getRelatesTo() == env.getMessageId()
        assert int(parsed.getInstanceId()) > 0
        for match in parsed.getProbeResolveMatches():
            services.append(Service(match.getTypes(), match.getScopes(), match.getXAddrs(), match.getEPR(), 0))
    # Its own filter agrees that both are NVTs with the Streaming profile...
    assert len(filterServices(services, [nvt], [Scope("onvif://www.onvif.org/Profile/Streaming")])) == 2
    # ...and that only the Dahua claims Profile T.
    only_t = filterServices(services, [nvt], [Scope("onvif://www.onvif.org/Profile/T")])
    assert [s.getEPR() for s in only_t] == [_epr(0)]
    by_epr = {s.getEPR(): s for s in services}
    assert by_epr[_epr(1)].getXAddrs()[0] == "http://0.0.0.0/onvif/device_service"
    # wsdiscovery un-escapes %20 in scopes when it parses them.
    assert any(s.getValue() == "onvif://www.onvif.org/name/HIKVISION DS-2CD1023G0E-I"
               for s in by_epr[_epr(1)].getScopes())


def test_stop_frees_the_port_for_a_restart() -> None:
    for _ in range(2):
        r = DiscoveryResponder("127.0.0.11", _epr(9), ["tds:Device"], [], ["http://127.0.0.11/onvif/device_service"])
        r.start()
        try:
            assert r.port == 3702
        finally:
            r.stop()
