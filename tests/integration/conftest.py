"""Fixtures for the ONVIF client tests: simulated cameras on 127.0.x.y, always stopped afterwards.

Every camera gets an address of its own in 127.0.60.0-127.0.69.255 and HTTP/RTSP port 0 (the
kernel picks a free port), so tests never collide with each other, with other test files (they
use 127.0.0.x, 127.0.23.x, 127.0.24.x) or with a `kitchencam sim` left running on port 80.
Traffic stays on 127.0.0.0/8. Cameras, schools and client sessions are stopped/closed in the
fixture's teardown, which pytest runs when the test fails too.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.sim.camera import SimCamera
from kitchencam.sim.personas import get_persona
from kitchencam.sim.school import SimulatedSchool

# Short timeouts: a simulated camera on loopback answers in milliseconds unless a fault says not.
FAST = Timeouts(connect=1.0, read=3.0)

_FIRST = int(ipaddress.IPv4Address("127.0.60.1"))
_LAST = int(ipaddress.IPv4Address("127.0.69.250"))
_addresses = itertools.count(_FIRST)
_school_bases = itertools.count(0)


def fresh_ip() -> str:
    """An unused loopback address for one camera (one per camera per test session)."""
    n = next(_addresses)
    assert n <= _LAST, "ran out of test addresses in 127.0.60.0/20"
    return str(ipaddress.IPv4Address(n))


class Sim:
    """Starts simulated cameras/schools and client sessions, and stops every one of them."""

    def __init__(self) -> None:
        self.cameras: list[SimCamera] = []
        self.schools: list[SimulatedSchool] = []
        self.clients: list[OnvifCamera] = []

    def camera(self, persona: str, *, faults: list[str] | tuple[str, ...] = (), index: int = 1,
               reboot_seconds: float = 1.0, **kw: Any) -> SimCamera:
        """A running SimCamera of ``persona`` on its own address, HTTP port picked by the kernel."""
        cam = SimCamera(get_persona(persona), fresh_ip(), http_port=0, faults=list(faults), index=index,
                        reboot_seconds=reboot_seconds, **kw)
        self.cameras.append(cam)  # before start(): a half-started camera is stopped too
        return cam.start()

    def school(self, personas: list[str], **kw: Any) -> SimulatedSchool:
        """A running SimulatedSchool (cameras + RTSP), no WS-Discovery: these tests speak ONVIF only."""
        base = 10 * next(_school_bases)
        assert base < 250, "ran out of school addresses in 127.0.70.0/24"
        school = SimulatedSchool(personas=personas, bind_base=f"127.0.70.{base}", http_port=0, rtsp_port=0,
                                 discovery=False, **kw)
        self.schools.append(school)
        school.start()
        return school

    def client(self, cam: SimCamera, *, user: str | None = None, password: str | None = None,
               timeouts: Timeouts = FAST, anonymous: bool = False) -> OnvifCamera:
        """The real kitchencam client for ``cam``, with the camera's admin unless told otherwise."""
        if anonymous:
            user = password = None
        else:
            user = cam.user if user is None else user
            password = cam.password if password is None else password
        client = OnvifCamera(f"{cam.ip}:{cam.http_port}", user=user, password=password, timeouts=timeouts)
        self.clients.append(client)
        return client

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        for cam in reversed(self.cameras):
            cam.stop()
        for school in reversed(self.schools):
            school.stop()
        self.clients.clear()
        self.cameras.clear()
        self.schools.clear()


@pytest.fixture
def sim() -> Iterator[Sim]:
    """Cameras for one test."""
    fleet = Sim()
    try:
        yield fleet
    finally:
        fleet.stop()


@pytest.fixture(scope="module")
def module_sim() -> Iterator[Sim]:
    """Cameras shared by the tests of one module (read-only tests only)."""
    fleet = Sim()
    try:
        yield fleet
    finally:
        fleet.stop()
