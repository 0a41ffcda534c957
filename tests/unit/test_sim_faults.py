"""Fault strings: what parses, and the messages for what does not."""

from __future__ import annotations

import pytest

from kitchencam.sim.camera import DEFAULT_REBOOT_SECONDS, FaultSpec, SimCamera, parse_fault
from kitchencam.sim.personas import get_persona


@pytest.mark.parametrize(("spec", "expected"), [
    ("latency=250", FaultSpec("latency", 250.0)),
    (" drop=0.3 ", FaultSpec("drop", 0.3)),
    ("drop=1", FaultSpec("drop", 1.0)),
    ("fault-on=GetProfiles", FaultSpec("fault-on", "GetProfiles")),
    ("malformed=GetDeviceInformation", FaultSpec("malformed", "GetDeviceInformation")),
    ("reboot-after-set", FaultSpec("reboot-after-set", DEFAULT_REBOOT_SECONDS)),
    ("reboot-after-set=10", FaultSpec("reboot-after-set", 10.0)),
    ("clock-skew=-7200", FaultSpec("clock-skew", -7200.0)),
    ("html-401", FaultSpec("html-401")),
    ("HTML-400", FaultSpec("html-400")),
])
def test_good_fault_strings(spec: str, expected: FaultSpec) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(("spec", "message"), [
    ("jitter=5", "unknown fault"),
    ("latency", "needs a value"),
    ("latency=-1", ">= 0"),
    ("latency=fast", "not a number"),
    ("drop=1.5", "between 0 and 1"),
    ("drop=nan", "finite"),
    ("fault-on=GetEverything", "unknown ONVIF operation"),
    ("malformed=", "needs a value"),
    ("html-401=1", "takes no value"),
    ("reboot-after-set=9999", "between 0 and 600"),
    ("clock-skew=inf", "finite"),
])
def test_bad_fault_strings_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fault(spec)


def test_camera_applies_faults() -> None:
    cam = SimCamera(get_persona("dahua-wizsense2"), "127.0.0.2", faults=["clock-skew=30", "latency=10"])
    assert cam.state.skew == 30.0
    assert cam._latency == 0.01
    with pytest.raises(ValueError, match="unknown fault"):
        SimCamera(get_persona("dahua-wizsense2"), "127.0.0.2", faults=["nope"])
