"""The `wsdiscovery` package's own multicast client finds the simulated school.

Namespace `cam` runs `kitchencam sim` (camera k on 198.18.40.10 + k, all on one veth); namespace
`tool` runs `wsdiscovery.WSDiscovery` (start, searchServices, stop), which joins
239.255.255.250 on its only non-loopback interface, the veth to `cam`. Nothing else is reachable.
"""

from __future__ import annotations

from tests.netns.netns import Lab
from tests.netns.peers import NS_DN, NS_TDS, NS_WPRT, NS_WSDP, send, start_peer, start_sim, stop

PERSONAS = ["dahua-wizsense2", "hikvision-ds2cd1023g0e-i", "generic-720p", "printer", "hikvision-onvif-off"]
CAMERAS = {"dahua-wizsense2", "hikvision-ds2cd1023g0e-i", "generic-720p"}
ANSWERING = CAMERAS | {"printer"}
BASE = "198.18.40.10"

SEARCHES = [
    {"name": "untyped", "types": None},
    {"name": "nvt", "types": [[NS_DN, "NetworkVideoTransmitter"]]},
    {"name": "nvt+device", "types": [[NS_DN, "NetworkVideoTransmitter"], [NS_TDS, "Device"]]},
    {"name": "printer-type", "types": [[NS_WPRT, "PrintDeviceType"]]},
    {"name": "dahua-hardware", "types": None, "scopes": ["onvif://www.onvif.org/hardware/IPC-HFW2241S-S-0360B"]},
]


def test_wsdiscovery_client_finds_the_simulated_cameras(netlab: Lab) -> None:
    cam = netlab.namespace("cam")
    tool = netlab.namespace("tool")
    ips = [f"198.18.40.{10 + k}/24" for k in range(1, len(PERSONAS) + 1)]
    netlab.link(cam, ["198.18.40.1/24", *ips], tool, ["198.18.40.200/24"])

    # The client first, so it hears the Hellos the cameras send when they start.
    client, out = start_peer(netlab, tool, "wsdiscovery",
                             {"searches": SEARCHES, "timeout": 1.5, "hellos": len(ANSWERING)})
    assert out.next_json(10, "wsdiscovery client start")["event"] == "ready"
    sim, endpoints = start_sim(netlab, cam, PERSONAS, BASE)
    by_persona = {e["persona"]: e for e in endpoints}
    epr = {p: by_persona[p]["endpoint_reference"] for p in PERSONAS}
    persona_of = {v: k for k, v in epr.items()}

    send(client, "search")
    result = out.next_json(20, "wsdiscovery searches")
    searches = result["searches"]

    def found(name: str) -> dict[str, dict]:
        return {persona_of.get(s["epr"], s["epr"]): s for s in searches[name]["found"]}

    def on_wire(name: str) -> set[str]:
        return {persona_of.get(e, e) for e in searches[name]["wire"]}

    # Untyped Probe: every device that answers discovery, with its EPR and XAddr; not ONVIF-off.
    untyped = found("untyped")
    assert set(untyped) == ANSWERING, searches["untyped"]
    for persona in CAMERAS:
        assert untyped[persona]["xaddrs"] == [by_persona[persona]["xaddr"]]
        assert untyped[persona]["types"] == sorted([[NS_DN, "NetworkVideoTransmitter"], [NS_TDS, "Device"]])
        assert untyped[persona]["xaddrs"][0].startswith(f"http://{by_persona[persona]['ip']}:8080/")
    assert untyped["printer"]["xaddrs"] == [f"http://{by_persona['printer']['ip']}:8080/wsd/device"]
    assert untyped["printer"]["types"] == sorted([[NS_WSDP, "Device"], [NS_WPRT, "PrintDeviceType"]])
    assert "onvif://www.onvif.org/hardware/IPC-HFW2241S-S-0360B" in untyped["dahua-wizsense2"]["scopes"]
    # wsdiscovery un-escapes %20 when it parses scopes.
    assert "onvif://www.onvif.org/name/HIKVISION DS-2CD1023G0E-I" in untyped["hikvision-ds2cd1023g0e-i"]["scopes"]

    # Typed Probe: the cameras, not the printer; and the printer did not even answer (the
    # simulator matched the types itself, the client's own filter had nothing to drop).
    assert set(found("nvt")) == CAMERAS
    assert on_wire("nvt") == CAMERAS
    assert set(found("nvt+device")) == CAMERAS
    assert on_wire("nvt+device") == CAMERAS
    assert set(found("printer-type")) == on_wire("printer-type") == {"printer"}
    assert set(found("dahua-hardware")) == on_wire("dahua-hardware") == {"dahua-wizsense2"}
    for name in searches:
        assert "hikvision-onvif-off" not in on_wire(name)

    # Hello at start: every answering device, none from the ONVIF-off one.
    hellos = {persona_of.get(h["epr"], h["epr"]): h for h in result["hellos"]}
    assert set(hellos) == ANSWERING
    assert hellos["dahua-wizsense2"]["xaddrs"] == [by_persona["dahua-wizsense2"]["xaddr"]]

    # Bye when the simulator stops.
    assert stop(sim) == 0
    send(client, "bye")
    byes = {persona_of.get(e, e) for e in out.next_json(10, "wsdiscovery byes")["byes"]}
    assert byes == ANSWERING
    client.wait(10)
    assert client.returncode == 0, client.stderr.read() if client.stderr else ""
