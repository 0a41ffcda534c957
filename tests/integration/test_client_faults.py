"""Faults on demand: each simulator fault does what its name says, and the client gives each its own class.

The cameras run the `faults=[...]` of docs/reference/simulator.md; the client is the real
OnvifCamera with short timeouts. Times are bounded so the module stays fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from kitchencam.errors import (
    AuthFailed,
    BadReply,
    DeviceFault,
    DeviceTimeout,
    ExitCode,
    KitchencamError,
    NotACamera,
    OnvifDisabled,
    Unreachable,
)
from kitchencam.onvif.client import Timeouts
from kitchencam.onvif.read import read_facts

if TYPE_CHECKING:  # tests/integration is no package: the fixture's class is for readers and type checkers
    from conftest import Sim


# --- latency -----------------------------------------------------------------------------------------

def test_latency_beyond_the_read_timeout_is_device_timeout(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2-ready", faults=["latency=1000"])
    client = sim.client(cam, timeouts=Timeouts(connect=1.0, read=0.2))
    client.retries = 0  # the timing below is one call's; retries are tested apart
    started = time.monotonic()
    with pytest.raises(DeviceTimeout) as err:
        client.connect()
    assert time.monotonic() - started < 0.9  # gave up at the read timeout, not after the reply
    assert err.value.exit_code == ExitCode.UNREACHABLE
    assert "did not answer GetSystemDateAndTime in time" in err.value.message
    assert f"{cam.ip}:{cam.http_port}" in err.value.message


def test_latency_within_the_read_timeout_works_and_takes_that_long(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2-ready", faults=["latency=300"])
    client = sim.client(cam, timeouts=Timeouts(connect=1.0, read=2.0))
    started = time.monotonic()
    client.connect()  # GetSystemDateAndTime, then GetServices
    assert time.monotonic() - started >= 0.6
    started = time.monotonic()
    info = client.device.get_device_information()
    elapsed = time.monotonic() - started
    assert info.Model == "IPC-HFW2241S-S-0360B"
    assert 0.3 <= elapsed < 2.0  # the latency is felt, and the reply came within the read timeout


# --- dropped replies -----------------------------------------------------------------------------------

def test_every_reply_dropped_is_device_timeout(sim: Sim) -> None:
    cam = sim.camera("generic-720p", faults=["drop=1.0"])
    client = sim.client(cam)
    with pytest.raises(DeviceTimeout) as err:
        read_facts(client)
    assert "closed the connection during GetSystemDateAndTime" in err.value.message
    assert err.value.exit_code == ExitCode.UNREACHABLE
    # The request was processed before the reply was dropped (as the docs say).
    assert cam.requests[-1][1] == "GetSystemDateAndTime"


def test_the_client_retries_lost_replies_itself(sim: Sim) -> None:
    cam = sim.camera("dahua-lite-s2", faults=["drop=0.2"])
    client = sim.client(cam)  # default: two retries of a call whose reply was lost
    client.measure_clock()
    names = [client.device.get_hostname().Name for _ in range(20)]
    assert names == ["IPC"] * 20
    assert len(cam.requests) > 21  # some replies were lost and asked again


def test_some_replies_dropped_a_retry_loop_gets_every_answer(sim: Sim) -> None:
    cam = sim.camera("dahua-lite-s2", faults=["drop=0.3"])
    client = sim.client(cam)
    client.retries = 0  # count every dropped reply here; the client's own retries are tested below
    attempts = dropped = 0

    def with_retries(call: Callable[[], Any]) -> Any:
        nonlocal attempts, dropped
        for _try in range(8):  # bounded, as a technician's tool would retry
            attempts += 1
            try:
                return call()
            except DeviceTimeout:
                dropped += 1
        pytest.fail("8 tries in a row dropped with drop=0.3")

    with_retries(client.measure_clock)
    assert client.clock_offset_s is not None
    assert abs(client.clock_offset_s - 40) < 2.0  # dahua-lite-s2 is 40 s ahead
    names = [with_retries(client.device.get_hostname).Name for _ in range(20)]
    assert names == ["IPC"] * 20
    # About 30 % of the attempts were dropped (the RNG is seeded: the same count every run).
    assert 0.1 <= dropped / attempts <= 0.5, (dropped, attempts)
    # Dropped replies were still processed by the camera: it saw every attempt.
    assert len(cam.requests) == attempts


# --- SOAP faults and garbage ---------------------------------------------------------------------------

def test_fault_on_one_operation_is_one_read_error(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2", faults=["fault-on=GetImagingSettings"])
    facts = read_facts(sim.client(cam))
    assert [(e.operation, e.code, e.subcode) for e in facts.read_errors] == [
        ("timg:GetImagingSettings", "DeviceFault", "ter:Action")]
    assert "Action failed" in facts.read_errors[0].message
    assert facts.imaging == []
    # The rest still reads.
    assert facts.device_info is not None
    assert facts.device_info.model == "IPC-HFW2241S-S-0360B"
    assert [e.encoding for e in facts.encoders] == ["H264", "H264"]
    assert facts.users


def test_fault_on_a_call_raises_device_fault(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2", faults=["fault-on=GetImagingSettings"])
    client = sim.client(cam)
    client.connect()
    with pytest.raises(DeviceFault) as err:
        client.imaging.get_imaging_settings("VideoSource000")
    assert type(err.value) is DeviceFault
    assert err.value.subcode == "ter:Action"
    assert err.value.exit_code == ExitCode.ERROR


def test_malformed_reply_is_bad_reply(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i", faults=["malformed=GetDeviceInformation"])
    client = sim.client(cam)
    client.connect()
    with pytest.raises(BadReply) as err:
        client.device.get_device_information()
    assert "GetDeviceInformation" in err.value.message
    facts = read_facts(client)
    assert [(e.operation, e.code) for e in facts.read_errors] == [("tds:GetDeviceInformation", "BadReply")]
    assert facts.device_info is None
    assert facts.encoders[0].encoding == "H265"


# --- a reboot in the middle of provisioning ------------------------------------------------------------

def test_reboot_after_set_goes_away_then_answers_with_the_new_state(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2-ready", faults=["reboot-after-set=1"])
    client = sim.client(cam, timeouts=Timeouts(connect=0.5, read=1.0))
    client.connect()
    client.device.set_hostname("after-reboot")

    errors: list[KitchencamError] = []
    deadline = time.monotonic() + 6.0
    name = None
    while time.monotonic() < deadline:
        try:
            name = client.device.get_hostname().Name
        except Unreachable as exc:
            errors.append(exc)
        else:
            if errors:
                break
        time.sleep(0.05)
    assert errors, "the camera never went away after the Set"
    assert all(isinstance(e, Unreachable) for e in errors)
    assert any(type(e) is Unreachable for e in errors)  # connection refused while it is down
    assert name == "after-reboot"
    assert cam.reboots == 1
    assert cam.running

    # Once: the next Set does not reboot it again.
    client.device.set_hostname("second-set")
    time.sleep(0.3)
    assert client.device.get_hostname().Name == "second-set"
    assert cam.reboots == 1


# --- clocks and HTML error pages -----------------------------------------------------------------------

def test_clock_skew_fault_replaces_the_persona_skew(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2", faults=["clock-skew=-3600"])  # the persona alone is -7200
    facts = read_facts(sim.client(cam))
    assert facts.read_errors == []
    assert facts.time is not None
    assert facts.time.clock_offset_s is not None
    assert abs(facts.time.clock_offset_s + 3600) < 2.0


def test_html_401_is_onvif_disabled_unauthenticated_and_auth_failed_authenticated(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2-ready", faults=["html-401"])
    client = sim.client(cam)
    # ONVIF Core says GetSystemDateAndTime needs no credentials: an HTML 401 there is a web
    # server guarding a switched-off ONVIF handler.
    with pytest.raises(OnvifDisabled):
        client.measure_clock()
    with pytest.raises(OnvifDisabled):
        read_facts(client)
    with pytest.raises(AuthFailed) as err:
        client.device.get_device_information()
    assert type(err.value) is AuthFailed
    assert client.uses_http_digest is True  # the Digest challenge was tried before giving up
    anonymous = sim.client(cam, anonymous=True)
    with pytest.raises(OnvifDisabled):
        anonymous.measure_clock()


def test_html_400_is_bad_reply(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd1023g0e-i", faults=["html-400"])
    client = sim.client(cam)
    with pytest.raises(BadReply) as err:
        client.device.get_device_information()
    assert "HTTP 400" in err.value.message
    assert err.value.exit_code == ExitCode.ERROR
    # Nothing at this address ever answered ONVIF (clock, services, capabilities: all HTML 400), so
    # read_facts cannot tell it from a web server that is no camera: NotACamera, exit 4, not a
    # camera with every rule UNKNOWN (which passed `check` before).
    with pytest.raises(NotACamera) as not_camera:
        read_facts(client)
    assert "HTTP 400" in not_camera.value.message
    assert "no ONVIF device" in not_camera.value.message
    assert not_camera.value.exit_code == ExitCode.UNREACHABLE
