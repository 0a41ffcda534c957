"""WS-Discovery responder: Probe matching rules and the shape of what it sends."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from kitchencam.sim.discovery import (
    ACTION_PROBE_MATCHES,
    ADDRESS_ANONYMOUS,
    DEFAULT_NAMESPACES,
    MATCH_BY_RFC3986,
    MATCH_BY_STRCMP0,
    MATCH_BY_UUID,
    NS_SOAP,
    NS_WSA,
    NS_WSD,
    DiscoveryResponder,
    parse_device_type,
    scope_matches,
    scopes_match,
)

DN = DEFAULT_NAMESPACES["dn"]
TDS = DEFAULT_NAMESPACES["tds"]
CAPTURES = (Path(__file__).resolve().parents[3] / "shared" / "onvif-captures" / "ONVIF-Camera-Kotlin"
            / "onvifcamera" / "src" / "commonTest" / "resources")
EPR = "urn:uuid:3ea96f68-b845-4c0b-87cf-eee904c4be65"


def camera(**kw: object) -> DiscoveryResponder:
    args: dict[str, object] = {
        "ip": "127.0.0.1",
        "endpoint_reference": EPR,
        "types": ["dn:NetworkVideoTransmitter", "tds:Device"],
        "scopes": ["onvif://www.onvif.org/Profile/Streaming", "onvif://www.onvif.org/Profile/T",
                   "onvif://www.onvif.org/hardware/IPC-HFW2241S-S", "onvif://www.onvif.org/name/Dahua IPC",
                   "onvif://www.onvif.org/location/country/vietnam"],
        "xaddrs": ["http://127.0.0.1/onvif/device_service"],
        "rng_seed": 7,
    }
    args.update(kw)
    return DiscoveryResponder(**args)  # type: ignore[arg-type]


def probe(body: str, nsdecl: str = "") -> etree._Element:
    doc = (f'<s:Envelope xmlns:s="{NS_SOAP}" xmlns:a="{NS_WSA}" xmlns:d="{NS_WSD}" {nsdecl}>'
           f'<s:Body><d:Probe {nsdecl}>{body}</d:Probe></s:Body></s:Envelope>')
    el = etree.fromstring(doc.encode()).find(f".//{{{NS_WSD}}}Probe")
    assert el is not None
    return el


# ------------------------------------------------------------------ types by QName
@pytest.mark.parametrize("types_xml", [
    f'<d:Types xmlns:dn="{DN}">dn:NetworkVideoTransmitter</d:Types>',
    # Any prefix will do: what counts is the namespace it is bound to.
    f'<d:Types xmlns:zz="{DN}">zz:NetworkVideoTransmitter</d:Types>',
    f'<d:Types xmlns:x="{DN}" xmlns:y="{TDS}">x:NetworkVideoTransmitter y:Device</d:Types>',
    # Default namespace for an unprefixed name.
    f'<d:Types xmlns="{TDS}">Device</d:Types>',
    "<d:Types/>",
    "",
])
def test_probe_types_matching(types_xml: str) -> None:
    assert camera().matches_probe(probe(types_xml))


def test_prefix_declared_on_envelope_is_resolved() -> None:
    # wsdiscovery declares its random prefixes on the Envelope, not on d:Types.
    el = probe("<d:Types>q1:NetworkVideoTransmitter</d:Types>", nsdecl=f'xmlns:q1="{DN}"')
    assert camera().matches_probe(el)


@pytest.mark.parametrize("types_xml", [
    # Right local name, wrong namespace: the prefix "dn" means nothing by itself.
    f'<d:Types xmlns:dn="{TDS}">dn:NetworkVideoTransmitter</d:Types>',
    # Every requested type must be present.
    f'<d:Types xmlns:dn="{DN}">dn:NetworkVideoTransmitter dn:Printer</d:Types>',
    # Undeclared prefix: unknowable type, no match.
    "<d:Types>nope:NetworkVideoTransmitter</d:Types>",
    # Unprefixed without a default namespace is (no namespace, Device).
    "<d:Types>Device</d:Types>",
])
def test_probe_types_not_matching(types_xml: str) -> None:
    assert not camera().matches_probe(probe(types_xml))


def test_printer_does_not_match_camera_probe() -> None:
    printer = camera(types=["wsdp:Device", "wprt:PrintDeviceType"], scopes=[])
    assert not printer.matches_probe(probe(f'<d:Types xmlns:dn="{DN}">dn:NetworkVideoTransmitter</d:Types>'))
    assert printer.matches_probe(probe(""))


def test_device_type_forms() -> None:
    assert parse_device_type("dn:NetworkVideoTransmitter").namespace == DN
    assert parse_device_type("{urn:x}Thing").namespace == "urn:x"
    assert parse_device_type("my:Thing", {"my": "urn:my"}).namespace == "urn:my"
    with pytest.raises(ValueError, match="unknown prefix"):
        parse_device_type("unknown:Thing")
    with pytest.raises(ValueError, match="prefix:Local"):
        parse_device_type("NoPrefix")


# ------------------------------------------------------------------ scopes
@pytest.mark.parametrize(("s1", "s2", "expected"), [
    ("onvif://www.onvif.org/Profile", "onvif://www.onvif.org/Profile/Streaming", True),
    ("onvif://www.onvif.org/Profile/Streaming", "onvif://www.onvif.org/Profile/Streaming", True),
    # Segment-wise, not string, prefix.
    ("onvif://www.onvif.org/Prof", "onvif://www.onvif.org/Profile/Streaming", False),
    ("onvif://www.onvif.org/Profile/Streaming/x", "onvif://www.onvif.org/Profile/Streaming", False),
    # Scheme and authority compare without case, path segments with case.
    ("ONVIF://WWW.ONVIF.ORG/Profile", "onvif://www.onvif.org/Profile/T", True),
    ("onvif://www.onvif.org/profile", "onvif://www.onvif.org/Profile/T", False),
    ("onvif://other.org/Profile", "onvif://www.onvif.org/Profile/T", False),
    ("http://www.onvif.org/Profile", "onvif://www.onvif.org/Profile/T", False),
    # Canonicalised (escapes undone) before comparing; a trailing "/" names the same scope.
    ("onvif://www.onvif.org/name/Dahua%20IPC", "onvif://www.onvif.org/name/Dahua IPC", True),
    ("onvif://www.onvif.org/location/", "onvif://www.onvif.org/location/country/vietnam", True),
    # Query and fragment are not compared; "." and ".." segments never match.
    ("onvif://www.onvif.org/Profile?x=1", "onvif://www.onvif.org/Profile/T", True),
    ("onvif://www.onvif.org/Profile/../Profile", "onvif://www.onvif.org/Profile/T", False),
])
def test_rfc_scope_rule(s1: str, s2: str, expected: bool) -> None:
    assert scope_matches(s1, s2) is expected
    assert scope_matches(s1, s2, MATCH_BY_RFC3986) is expected


def test_strcmp0_and_uuid_rules() -> None:
    a = "onvif://www.onvif.org/Profile/T"
    assert scope_matches(a, a, MATCH_BY_STRCMP0)
    assert not scope_matches("onvif://www.onvif.org/Profile", a, MATCH_BY_STRCMP0)
    assert not scope_matches(a.upper(), a, MATCH_BY_STRCMP0)
    u = "urn:uuid:3ea96f68-b845-4c0b-87cf-eee904c4be65"
    assert scope_matches(u.upper().replace("URN:UUID:", "urn:uuid:"), u, MATCH_BY_UUID)
    assert not scope_matches("urn:uuid:00000000-0000-0000-0000-000000000000", u, MATCH_BY_UUID)
    # Unsupported rules (ldap, made-up) never match.
    assert not scope_matches(a, a, "http://schemas.xmlsoap.org/ws/2005/04/discovery/ldap")
    assert not scope_matches(a, a, "urn:made-up")


def test_every_probe_scope_must_match_some_device_scope() -> None:
    device = ["onvif://www.onvif.org/Profile/Streaming", "onvif://www.onvif.org/hardware/X1"]
    assert scopes_match([], None, device)
    assert scopes_match(["onvif://www.onvif.org/Profile", "onvif://www.onvif.org/hardware/X1"], None, device)
    assert not scopes_match(["onvif://www.onvif.org/Profile", "onvif://www.onvif.org/hardware/X2"], None, device)


def test_probe_scopes_with_matchby_attribute() -> None:
    cam = camera()
    assert cam.matches_probe(probe("<d:Scopes>onvif://www.onvif.org/Profile</d:Scopes>"))
    assert not cam.matches_probe(probe(
        f'<d:Scopes MatchBy="{MATCH_BY_STRCMP0}">onvif://www.onvif.org/Profile</d:Scopes>'))
    assert cam.matches_probe(probe(
        f'<d:Scopes MatchBy="{MATCH_BY_STRCMP0}">onvif://www.onvif.org/Profile/T</d:Scopes>'))
    assert not cam.matches_probe(probe("<d:Scopes>onvif://www.onvif.org/Profile/G</d:Scopes>"))


# ------------------------------------------------------------------ what it sends
def _children(el: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in el if isinstance(c.tag, str)]


def test_probe_matches_has_the_shape_of_real_devices() -> None:
    cam = camera(xaddrs=["http://127.0.0.1/onvif/device_service", "http://0.0.0.0/onvif/device_service"])
    mine = etree.fromstring(cam.probe_matches_xml("uuid:63a205c4-7eae-4dd5-99dc-75e38ff576b3"))
    header = mine.find(f"{{{NS_SOAP}}}Header")
    assert header is not None
    assert header.findtext(f"{{{NS_WSA}}}RelatesTo") == "uuid:63a205c4-7eae-4dd5-99dc-75e38ff576b3"
    assert header.findtext(f"{{{NS_WSA}}}To") == ADDRESS_ANONYMOUS
    assert header.findtext(f"{{{NS_WSA}}}Action") == ACTION_PROBE_MATCHES
    seq = header.find(f"{{{NS_WSD}}}AppSequence")
    assert seq is not None
    assert int(seq.get("InstanceId", "x")) >= 0
    assert int(seq.get("MessageNumber", "x")) >= 1
    match = mine.find(f".//{{{NS_WSD}}}ProbeMatch")
    assert match is not None
    assert match.findtext(f"{{{NS_WSA}}}EndpointReference/{{{NS_WSA}}}Address") == EPR
    # Types resolve with the prefixes the envelope declares, as in the captures.
    types = match.find(f"{{{NS_WSD}}}Types")
    assert types is not None
    resolved = {(types.nsmap[t.split(":")[0]], t.split(":")[1]) for t in (types.text or "").split()}
    assert resolved == {(DN, "NetworkVideoTransmitter"), (TDS, "Device")}
    assert "onvif://www.onvif.org/name/Dahua%20IPC" in (match.findtext(f"{{{NS_WSD}}}Scopes") or "").split()
    # XAddrs advertised as given, broken one included.
    assert (match.findtext(f"{{{NS_WSD}}}XAddrs") or "").split() == [
        "http://127.0.0.1/onvif/device_service", "http://0.0.0.0/onvif/device_service"]
    if CAPTURES.is_dir():
        real = etree.parse(str(CAPTURES / "probeResponse.xml")).getroot()
        real_match = real.find(f".//{{{NS_WSD}}}ProbeMatch")
        assert real_match is not None
        assert _children(match) == _children(real_match)
        real_header = real.find(f"{{{NS_SOAP}}}Header")
        assert real_header is not None
        assert sorted(_children(header)) == sorted(_children(real_header))


def test_message_numbers_increase_and_hello_bye_are_well_formed() -> None:
    cam = camera()
    hello = etree.fromstring(cam.hello_xml())
    bye = etree.fromstring(cam.bye_xml())
    n1 = int(hello.find(f".//{{{NS_WSD}}}AppSequence").get("MessageNumber"))  # type: ignore[union-attr]
    n2 = int(bye.find(f".//{{{NS_WSD}}}AppSequence").get("MessageNumber"))  # type: ignore[union-attr]
    assert n2 == n1 + 1
    assert hello.find(f".//{{{NS_WSD}}}Hello/{{{NS_WSD}}}XAddrs") is not None
    assert bye.findtext(f".//{{{NS_WSD}}}Bye/{{{NS_WSA}}}EndpointReference/{{{NS_WSA}}}Address") == EPR


def test_loopback_never_multicasts() -> None:
    assert camera(ip="127.0.0.5", multicast=True).multicast is False
    assert camera(ip="10.99.0.2", multicast=True).multicast is True
    assert camera(ip="10.99.0.2", multicast=False).multicast is False


def test_seeded_responders_are_reproducible() -> None:
    a = camera(rng_seed=3, instance_id=1).probe_matches_xml("uuid:x")
    b = camera(rng_seed=3, instance_id=1).probe_matches_xml("uuid:x")
    assert a == b
