"""`kitchencam demo` runs the job against a simulated school, through the real entry point."""

from __future__ import annotations

import ipaddress

from kitchencam.demo import DEMO_PERSONAS


def test_demo_reads_every_camera(run):
    code, doc = run.json("demo")
    assert code == 0
    assert doc["status"] == "ok"
    data = doc["data"]
    assert ipaddress.ip_address(data["bind_base"]).is_loopback
    cams = {c["persona"]: c for c in data["cameras"]}
    assert list(cams) == DEMO_PERSONAS
    for cam in data["cameras"]:
        host = cam["target"].split("//")[-1].split(":")[0]
        assert ipaddress.ip_address(host).is_loopback, cam["target"]

    assert data["discovered_cameras"] == len(DEMO_PERSONAS) - 1  # ONVIF-off answers no discovery
    fixable = cams["dahua-wizsense2"]
    assert fixable["found_by"] == ["unicast"]
    assert fixable["error"] is None
    assert fixable["manufacturer"] == "Dahua"
    assert fixable["model"] == "IPC-HFW2241S-S-0360B"
    assert fixable["media"] == "Media2"
    assert fixable["main_stream"].startswith("H264 1920x1080")
    assert fixable["wdr"] == "OFF"
    assert fixable["ir_cut"] == "AUTO"
    assert abs(fixable["clock_offset_s"] + 7200) < 5  # the persona's clock is 2 h behind

    # check -> provision -> check: the factory camera ends failing no camera rule. INCOMPLETE while
    # login-lockout and cloud-exposure wait for a vendor API to tell them (issue 16: UNKNOWN then).
    assert (fixable["check_before"], fixable["provision_state"]) == ("FAIL", "provisioned")
    assert fixable["check_after"] in {"PASS", "INCOMPLETE"}
    assert cams["hikvision-ds2cd1023g0e-i"]["check_after"] == "FAIL"  # lens and WDR: no setting fixes them

    ready = cams["dahua-wizsense2-ready"]
    assert ready["main_stream"].startswith("H265 1920x1080")
    assert ready["wdr"] == "ON"
    assert abs(ready["clock_offset_s"]) < 5

    cheap = cams["generic-720p"]
    assert cheap["media"] == "Media1"
    assert cheap["main_stream"].startswith("H264 1280x720")

    off = cams["hikvision-onvif-off"]
    assert off["error"]["code"] == "OnvifDisabled"
    assert "Integration Protocol" in off["error"]["message"]


def test_demo_human_output(run):
    result = run("demo")
    assert result.exit_code == 0
    assert "IPC-HFW2241S-S-0360B" in result.stdout
    assert "DS-2CD1023G0E-I" in result.stdout
    assert "Integration Protocol" in result.stdout
