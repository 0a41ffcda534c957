"""Bounds on what one discovery datagram may carry, and the XAddr choice (kitchencam/discovery/wsd.py,
kitchencam/discover.py), on bytes only."""

from __future__ import annotations

import pytest

from kitchencam.discover import capped_note, choose_xaddr, merge
from kitchencam.discovery.wsd import (
    MAX_DATAGRAM,
    MAX_MATCHES_PER_DATAGRAM,
    MAX_SCOPES,
    MAX_URI_CHARS,
    MAX_XADDRS,
    MalformedReply,
    parse_probe_matches,
)

HEAD = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
        '<s:Header><a:RelatesTo>uuid:1</a:RelatesTo></s:Header><s:Body><d:ProbeMatches>')
TAIL = "</d:ProbeMatches></s:Body></s:Envelope>"


def _match(endpoint: str, xaddrs: str = "http://10.0.0.9/onvif/device_service", scopes: str = "",
           version: str = "1") -> str:
    return (f"<d:ProbeMatch><a:EndpointReference><a:Address>{endpoint}</a:Address></a:EndpointReference>"
            f"<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>{scopes}</d:Scopes>"
            f"<d:XAddrs>{xaddrs}</d:XAddrs><d:MetadataVersion>{version}</d:MetadataVersion></d:ProbeMatch>")


def _datagram(*matches: str) -> bytes:
    return (HEAD + "".join(matches) + TAIL).encode()


def test_one_datagram_gives_at_most_the_cap_of_matches():
    short = [f"<d:ProbeMatch><a:EndpointReference><a:Address>urn:x:{i}</a:Address></a:EndpointReference>"
             "<d:XAddrs>http://10.0.0.8/o</d:XAddrs></d:ProbeMatch>" for i in range(150)]
    matches = parse_probe_matches(_datagram(*short), source=("10.0.0.9", 3702))
    assert [m.endpoint for m in matches] == [f"urn:x:{i}" for i in range(MAX_MATCHES_PER_DATAGRAM)]
    assert all(m.capped[0] == "matches" for m in matches)


def test_lists_and_strings_are_capped():
    xaddrs = " ".join(f"http://10.0.0.{i}/onvif/device_service" for i in range(MAX_XADDRS + 5))
    long = "http://10.0.0.9/" + "a" * MAX_URI_CHARS
    scopes = " ".join([long] + [f"onvif://www.onvif.org/name/{i}" for i in range(MAX_SCOPES + 5)])
    [m] = parse_probe_matches(_datagram(_match("urn:x:1", xaddrs=xaddrs, scopes=scopes, version="9" * 30)))
    assert len(m.xaddrs) == MAX_XADDRS
    assert len(m.scopes) == MAX_SCOPES
    assert long not in m.scopes_raw
    assert m.metadata_version is None  # out of xs:unsignedInt
    assert set(m.capped) == {"xaddrs", "scopes", "long"}
    [plain] = parse_probe_matches(_datagram(_match("urn:x:2")))
    assert plain.capped == []


def test_endpoint_too_long_and_datagram_too_large_are_refused():
    with pytest.raises(MalformedReply):
        parse_probe_matches(_datagram(_match("urn:x:" + "1" * 300)))
    with pytest.raises(MalformedReply, match="bytes"):
        parse_probe_matches(_datagram(_match("urn:x:1", scopes="s" * MAX_DATAGRAM)))


@pytest.mark.parametrize(("xaddrs", "source", "chosen"), [
    # On the host that answered: taken (user info dropped).
    (["http://192.168.1.20/onvif/device_service"], "192.168.1.20", "http://192.168.1.20/onvif/device_service"),
    (["http://192.168.1.50/onvif/device_service", "http://u:p@192.168.1.20:8080/onvif/d"], "192.168.1.20",
     "http://192.168.1.20:8080/onvif/d"),
    # Another host, even in our subnet (the old choice), 0.0.0.0, NAT: rewritten to the source.
    (["http://192.168.1.50/onvif/device_service"], "192.168.1.20", "http://192.168.1.20/onvif/device_service"),
    (["http://0.0.0.0:8000/onvif/device_service"], "192.168.1.20", "http://192.168.1.20:8000/onvif/device_service"),
    (["https://10.1.1.4:8443/onvif/device_service?x=1"], "192.168.1.20",
     "https://192.168.1.20:8443/onvif/device_service?x=1"),
    (["http://camera.example/onvif/device_service"], "192.168.1.20", "http://192.168.1.20/onvif/device_service"),
    (["http://[fe80::1]:99999/bad", "ftp://192.168.1.20/x"], "192.168.1.20", None),
    (["http://192.168.1.20/onvif/device_service"], "", None),
])
def test_xaddr_is_always_on_the_answering_address(xaddrs, source, chosen):
    assert choose_xaddr(xaddrs, source) == chosen


def test_merge_flags_a_capped_reply():
    matches = parse_probe_matches(_datagram(*(_match(f"urn:x:{i}") for i in range(10))), source=("10.0.0.7", 3702))
    rows = merge(matches)
    assert len(rows) == MAX_MATCHES_PER_DATAGRAM
    assert all(r.xaddr == "http://10.0.0.7/onvif/device_service" for r in rows)
    assert all(capped_note() in r.notes for r in rows)
