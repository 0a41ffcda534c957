"""The Probe we send and the ProbeMatches we read (kitchencam/discovery/wsd.py), on bytes only."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from kitchencam.discovery.wsd import (
    ACTION_PROBE,
    ADDRESS_ALL,
    NS_SOAP12,
    NS_WSA,
    NS_WSD,
    MalformedReply,
    build_probe,
    parse_probe_matches,
    resolve_type,
    type_name,
)
from kitchencam.sim.discovery import DiscoveryResponder

CAPTURES = (Path(__file__).resolve().parents[1] / "data" / "captures" / "ONVIF-Camera-Kotlin" / "onvifcamera"
            / "src" / "commonTest" / "resources")
NS_DN = "http://www.onvif.org/ver10/network/wsdl"
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"


def _probe_xml(types: list[tuple[str, str]], mid: str = "uuid:11111111-2222-4333-8444-555555555555"):
    return etree.fromstring(build_probe(types, mid))


def test_probe_is_a_ws_discovery_2005_probe():
    root = _probe_xml([(NS_DN, "NetworkVideoTransmitter")])
    assert root.tag == f"{{{NS_SOAP12}}}Envelope"
    header = root.find(f"{{{NS_SOAP12}}}Header")
    assert header.findtext(f"{{{NS_WSA}}}Action") == ACTION_PROBE
    assert header.findtext(f"{{{NS_WSA}}}To") == ADDRESS_ALL
    assert header.findtext(f"{{{NS_WSA}}}MessageID") == "uuid:11111111-2222-4333-8444-555555555555"
    types = root.find(f"{{{NS_SOAP12}}}Body/{{{NS_WSD}}}Probe/{{{NS_WSD}}}Types")
    prefix, local = types.text.split(":")
    assert (types.nsmap[prefix], local) == (NS_DN, "NetworkVideoTransmitter")
    assert build_probe([], "uuid:x").startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_probe_types_resolve_with_their_declared_prefixes():
    root = _probe_xml([(NS_DN, "NetworkVideoTransmitter"), (NS_TDS, "Device"), ("urn:x-vendor", "Thing")])
    types = root.find(f".//{{{NS_WSD}}}Types")
    resolved = [(types.nsmap[w.split(":")[0]], w.split(":")[1]) for w in types.text.split()]
    assert resolved == [(NS_DN, "NetworkVideoTransmitter"), (NS_TDS, "Device"), ("urn:x-vendor", "Thing")]


def test_untyped_probe_has_no_types_element():
    root = _probe_xml([])
    probe = root.find(f".//{{{NS_WSD}}}Probe")
    assert probe is not None
    assert len(probe) == 0


@pytest.mark.parametrize(("types", "answers"), [
    ([(NS_DN, "NetworkVideoTransmitter")], True),
    ([(NS_TDS, "Device")], True),
    ([(NS_DN, "NetworkVideoTransmitter"), (NS_TDS, "Device")], True),
    ([("http://schemas.xmlsoap.org/ws/2006/02/devprof", "Device")], False),
    ([], True),
])
def test_simulated_camera_matches_our_probe(types, answers):
    # The simulator implements spec 5.1 matching: our Probe must resolve the way a device reads it.
    cam = DiscoveryResponder("127.0.0.1", "urn:uuid:x", ["dn:NetworkVideoTransmitter", "tds:Device"], [], [])
    probe = _probe_xml(types).find(f".//{{{NS_WSD}}}Probe")
    assert cam.matches_probe(probe) is answers


def test_resolve_and_name_types():
    assert resolve_type("dn:NetworkVideoTransmitter") == (NS_DN, "NetworkVideoTransmitter")
    assert resolve_type("tdn:NetworkVideoTransmitter") == (NS_DN, "NetworkVideoTransmitter")
    assert resolve_type("{urn:a}B") == ("urn:a", "B")
    assert type_name((NS_TDS, "Device")) == "tds:Device"
    assert type_name(("urn:a", "B")) == "{urn:a}B"
    with pytest.raises(ValueError, match="prefixes"):
        resolve_type("zz:Nope")


def test_axis_capture_with_line_breaks_in_scopes_and_xaddrs():
    [m] = parse_probe_matches((CAPTURES / "probeResponse.xml").read_bytes(), source=("192.168.0.209", 3702),
                              interface="eth0", local_ip="192.168.0.10", via="multicast")
    assert m.endpoint == "urn:uuid:3ea96f68-b845-4c0b-87cf-eee904c4be65"
    assert m.relates_to == "uuid:63a205c4-7eae-4dd5-99dc-75e38ff576b3"
    assert m.types == [(NS_TDS, "Device"), (NS_DN, "NetworkVideoTransmitter")]
    assert m.type_names == ["tds:Device", "dn:NetworkVideoTransmitter"]
    assert m.scopes == [
        "onvif://www.onvif.org/Profile/Streaming", "onvif://www.onvif.org/Profile/G",
        "onvif://www.onvif.org/Profile/T", "onvif://www.onvif.org/hardware/M2025-LE",
        "onvif://www.onvif.org/name/AXIS M2025-LE", "onvif://www.onvif.org/location/",
    ]
    assert "onvif://www.onvif.org/name/AXIS%20M2025-LE" in m.scopes_raw
    assert m.xaddrs == [
        "http://192.168.0.209/onvif/device_service", "https://192.168.0.209/onvif/device_service",
        "http://169.254.251.249/onvif/device_service", "https://169.254.251.249/onvif/device_service",
    ]
    assert m.metadata_version == 1
    assert (m.source_ip, m.source_port, m.interface, m.local_ip, m.via) == (
        "192.168.0.209", 3702, "eth0", "192.168.0.10", "multicast")
    assert m.has_type("dn:NetworkVideoTransmitter")


def test_amcrest_capture_other_prefixes():
    [m] = parse_probe_matches((CAPTURES / "probeResponse2.xml").read_bytes())
    assert m.endpoint == "uuid:2a46daf1-86f6-91ad-5458-3d184eb186f6"
    assert m.relates_to == "uuid:44f881db-4b2e-43b6-913c-123d771d2f19"
    assert m.type_names == ["dn:NetworkVideoTransmitter", "tds:Device"]
    assert len(m.scopes) == 7
    assert "onvif://www.onvif.org/hardware/IP5M-B1186E" in m.scopes
    assert m.xaddrs == ["http://192.168.0.205/onvif/device_service"]


def _matches(body: str, *, soap: str = NS_SOAP12, relates: str = "uuid:r", extra_ns: str = "") -> bytes:
    return (f'<?xml version="1.0"?><e:Envelope xmlns:e="{soap}" xmlns:w="{NS_WSA}" xmlns:x="{NS_WSD}" '
            f'xmlns:v="{NS_DN}" {extra_ns}><e:Header><w:RelatesTo>{relates}</w:RelatesTo>'
            f"<w:Action>{NS_WSD}/ProbeMatches</w:Action></e:Header>"
            f"<e:Body><x:ProbeMatches>{body}</x:ProbeMatches></e:Body></e:Envelope>").encode()


def _match(epr: str, *, types: str = "v:NetworkVideoTransmitter", scopes: str = "", xaddrs: str = "") -> str:
    return (f"<x:ProbeMatch><w:EndpointReference><w:Address>{epr}</w:Address></w:EndpointReference>"
            f"<x:Types>{types}</x:Types><x:Scopes>{scopes}</x:Scopes><x:XAddrs>{xaddrs}</x:XAddrs>"
            f"</x:ProbeMatch>")


def test_several_probe_matches_in_one_reply():
    data = _matches(_match("urn:uuid:a", xaddrs="http://10.0.0.5/onvif/device_service")
                    + _match("urn:uuid:b", xaddrs="\thttp://10.0.0.6/a\r\n\t http://10.0.0.6/b  "))
    got = parse_probe_matches(data)
    assert [m.endpoint for m in got] == ["urn:uuid:a", "urn:uuid:b"]
    assert got[1].xaddrs == ["http://10.0.0.6/a", "http://10.0.0.6/b"]
    assert got[0].metadata_version is None  # missing: tolerated
    assert {m.relates_to for m in got} == {"uuid:r"}


def test_soap11_envelope_and_percent_encoded_utf8_scopes():
    data = _matches(_match("urn:uuid:c", scopes="onvif://www.onvif.org/name/B%E1%BA%BFp%20M%E1%BA%A7m%20non\n"
                                                "onvif://www.onvif.org/location/city/H%C3%A0%20N%E1%BB%99i"),
                    soap="http://schemas.xmlsoap.org/soap/envelope/")
    [m] = parse_probe_matches(data)
    assert m.scopes == ["onvif://www.onvif.org/name/Bếp Mầm non", "onvif://www.onvif.org/location/city/Hà Nội"]


def test_default_namespace_and_undeclared_prefix_in_types():
    data = _matches(_match("urn:uuid:d", types="tds:Device Thing"), extra_ns='xmlns="urn:x-default"')
    [m] = parse_probe_matches(data)
    # tds is not declared in that reply: sloppy firmware, the usual meaning is taken.
    assert m.types == [(NS_TDS, "Device"), ("urn:x-default", "Thing")]


def test_ws_discovery_11_namespaces_accepted():
    d11 = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"
    a10 = "http://www.w3.org/2005/08/addressing"
    data = (f'<s:Envelope xmlns:s="{NS_SOAP12}" xmlns:a="{a10}" xmlns:d="{d11}"><s:Header>'
            f"<a:RelatesTo>uuid:q</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>"
            f"<a:EndpointReference><a:Address>urn:uuid:e</a:Address></a:EndpointReference>"
            f"<d:MetadataVersion>7</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>").encode()
    [m] = parse_probe_matches(data)
    assert (m.endpoint, m.relates_to, m.metadata_version) == ("urn:uuid:e", "uuid:q", 7)


def test_not_probe_matches_is_no_match_and_no_error():
    hello = (f'<s:Envelope xmlns:s="{NS_SOAP12}" xmlns:d="{NS_WSD}"><s:Header/><s:Body><d:Hello/></s:Body>'
             f"</s:Envelope>").encode()
    assert parse_probe_matches(hello) == []
    assert parse_probe_matches(_matches("")) == []  # empty ProbeMatches is legal


@pytest.mark.parametrize("data", [
    b"",
    b"\x00\xff\xfe garbage",
    b"<unclosed",
    b"<html><body>hi</body></html>",
    f'<s:Envelope xmlns:s="{NS_SOAP12}"><s:Header/></s:Envelope>'.encode(),  # no Body
    _matches("<x:ProbeMatch><x:Types>v:NetworkVideoTransmitter</x:Types></x:ProbeMatch>"),  # no EPR
    b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]><lol>&a;</lol>',
    b"<a>" * 70000,
], ids=["empty", "binary", "unclosed", "html", "no-body", "no-epr", "doctype", "huge"])
def test_malformed_replies_raise_malformed_reply(data):
    with pytest.raises(MalformedReply):
        parse_probe_matches(data)


def test_simulator_reply_round_trip():
    cam = DiscoveryResponder("127.0.0.1", "urn:uuid:sim", ["dn:NetworkVideoTransmitter", "tds:Device"],
                             ["onvif://www.onvif.org/name/Camera Bep"], ["http://0.0.0.0/onvif/device_service"])
    [m] = parse_probe_matches(cam.probe_matches_xml("uuid:mine"))
    assert (m.endpoint, m.relates_to) == ("urn:uuid:sim", "uuid:mine")
    assert m.scopes == ["onvif://www.onvif.org/name/Camera Bep"]
    assert m.xaddrs == ["http://0.0.0.0/onvif/device_service"]


# ipycam 1.3.0's answer, as its static/soap/probe_match.xml writes it: d:ProbeMatch straight in the
# Body (no d:ProbeMatches) and d:EndpointReference where the schema has wsa:EndpointReference.
IPYCAM_PROBE_MATCH = f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="{NS_SOAP12}" xmlns:wsa="{NS_WSA}" xmlns:d="{NS_WSD}" xmlns:dn="{NS_DN}"
 xmlns:tds="{NS_TDS}">
 <soap:Header><wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>
  <wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatch</wsa:Action>
  <wsa:MessageID>urn:uuid:9d6f7a4e-0000-4000-8000-000000000001</wsa:MessageID>
  <wsa:RelatesTo>uuid:11111111-2222-4333-8444-555555555555</wsa:RelatesTo></soap:Header>
 <soap:Body><d:ProbeMatch>
  <d:EndpointReference><wsa:Address>urn:uuid:9d6f7a4e-0000-4000-8000-0000000000aa</wsa:Address></d:EndpointReference>
  <d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
  <d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/Bep1</d:Scopes>
  <d:XAddrs>http://127.0.120.18:8080/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>
 </d:ProbeMatch></soap:Body></soap:Envelope>""".encode()


def test_bare_probe_match_with_wsd_endpoint_reference_is_read():
    [match] = parse_probe_matches(IPYCAM_PROBE_MATCH, source=("127.0.120.18", 3702))
    assert match.endpoint == "urn:uuid:9d6f7a4e-0000-4000-8000-0000000000aa"
    assert match.relates_to == "uuid:11111111-2222-4333-8444-555555555555"
    assert match.xaddrs == ["http://127.0.120.18:8080/onvif/device_service"]
    assert (NS_DN, "NetworkVideoTransmitter") in match.types
    assert "onvif://www.onvif.org/name/Bep1" in match.scopes


def test_a_body_without_any_probe_match_is_still_not_a_match():
    hello = IPYCAM_PROBE_MATCH.replace(b"d:ProbeMatch>", b"d:Hello>")
    assert parse_probe_matches(hello) == []
