"""The third-party ONVIF client `onvif-python` (``from onvif import ONVIFClient``) reads the sim.

The simulator and the client run in ONE fresh namespace that has only `lo` (127.0.0.0/8 there is
the namespace's own), so whatever the client tried, nothing could leave the machine. The client
loads its own bundled WSDLs; the peer script also refuses and records any document zeep would
fetch by URL, runs with ``cache=CacheMode.NONE`` and a throw-away HOME/cwd, and the test checks
that nothing was fetched and nothing was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.netns.netns import Lab
from tests.netns.peers import start_peer, start_sim, stop

PERSONAS = ["dahua-wizsense2-ready", "hikvision-ds2cd1023g0e-i", "dahua-wizsense2", "generic-720p"]
BASE = "127.0.0.10"


def _camera(label: str, endpoint: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"label": label, "host": endpoint["ip"], "port": endpoint["http_port"],
            "user": endpoint["user"], "password": endpoint["password"], **kw}


def test_onvif_python_reads_the_simulated_cameras(netlab: Lab, tmp_path: Path) -> None:
    ns = netlab.namespace("solo")
    sim, endpoints = start_sim(netlab, ns, PERSONAS, BASE)
    ep = {e["persona"]: e for e in endpoints}
    cameras = [
        _camera("dahua-ready", ep["dahua-wizsense2-ready"]),
        _camera("hik-digest", ep["hikvision-ds2cd1023g0e-i"], http_digest=True),
        # WS-UsernameToken from a client that does not correct its clock: the Hikvision is
        # 95 s ahead, the factory-default Dahua 2 h behind; both must refuse (window +-5 s).
        _camera("hik-wsse", ep["hikvision-ds2cd1023g0e-i"]),
        _camera("dahua-2h-behind", ep["dahua-wizsense2"]),
        _camera("generic-media1", ep["generic-720p"], media2=False),
        _camera("dahua-wrong-password", {**ep["dahua-wizsense2-ready"], "password": "not-it"}),
    ]
    home = tmp_path / "home"
    home.mkdir()
    client, out = start_peer(netlab, ns, "onvif", {"cameras": cameras},
                             env={"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}, cwd=str(home))
    got = {}
    for _ in cameras:
        line = out.next_json(30, "onvif-python camera")
        got[line["label"]] = line
    done = out.next_json(10, "onvif-python done")
    client.wait(10)
    assert stop(sim) == 0

    # Nothing fetched from a URL, nothing written (no ~/.onvif-python cache, no files in cwd).
    assert done["remote_loads"] == []
    assert sorted(p.name for p in home.rglob("*")) == []

    dahua = got["dahua-ready"]
    assert "error" not in dahua, dahua
    assert dahua["device"]["Manufacturer"] == "Dahua"
    assert dahua["device"]["Model"] == "IPC-HFW2241S-S-0360B"
    assert dahua["device"]["FirmwareVersion"] == "2.840.0000000.28.R, Build Date 2023-06-08"
    assert dahua["device"]["HardwareId"] == "1.0.1"
    assert "http://www.onvif.org/ver20/media/wsdl" in dahua["services"]
    assert dahua["media2_xaddr"] == f"http://{ep['dahua-wizsense2-ready']['ip']}:8080/onvif/media2_service"
    assert dahua["media2_profiles"] == [
        {"token": "MediaProfile00000", "name": "MediaProfile_Channel1_MainStream",
         "encoder": ["VideoEncoder000", "H265"]},
        {"token": "MediaProfile00001", "name": "MediaProfile_Channel1_SubStream1",
         "encoder": ["VideoEncoder001", "H264"]},
    ]
    # Without Type, Media2 GetProfiles carries no configurations (ONVIF Media2 spec).
    assert dahua["media2_profiles_untyped"] == [
        {"token": "MediaProfile00000", "has_configurations": False},
        {"token": "MediaProfile00001", "has_configurations": False},
    ]
    main, sub = dahua["media2_encoders"]
    assert main == {"token": "VideoEncoder000", "encoding": "H265", "width": 1920, "height": 1080,
                    "fps": 25.0, "bitrate": 2048, "gov": 50, "profile": "Main"}
    assert (sub["token"], sub["encoding"], sub["width"], sub["height"]) == ("VideoEncoder001", "H264", 704, 576)

    hik = got["hik-digest"]
    assert "error" not in hik, hik
    assert hik["device"]["Manufacturer"] == "HIKVISION"
    assert hik["device"]["Model"] == "DS-2CD1023G0E-I"
    assert hik["media2_xaddr"] == f"http://{ep['hikvision-ds2cd1023g0e-i']['ip']}:8080/onvif/Media2"
    assert [p["token"] for p in hik["media2_profiles"]] == ["Profile_1", "Profile_2"]
    assert [p["encoder"] for p in hik["media2_profiles"]] == [["VideoEncoderToken_1", "H264"],
                                                               ["VideoEncoderToken_2", "H264"]]
    assert hik["media2_encoders"][0]["encoding"] == "H264"
    assert (hik["media2_encoders"][0]["width"], hik["media2_encoders"][0]["bitrate"]) == (1920, 4096)

    for label in ("hik-wsse", "dahua-2h-behind", "dahua-wrong-password"):
        assert "subcode=NotAuthorized" in got[label].get("error", ""), got[label]

    generic = got["generic-media1"]
    assert "error" not in generic, generic
    assert generic["device"]["Manufacturer"] == "IPCAM"
    assert "http://www.onvif.org/ver20/media/wsdl" not in generic["services"]
    assert generic["media1_profiles"] == [
        {"token": "PROFILE_000", "encoder": ["V_ENC_000", "H264"]},
        {"token": "PROFILE_001", "encoder": ["V_ENC_001", "H264"]},
    ]
