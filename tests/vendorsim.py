"""What the vendor-API CLI tests share: a simulated school per test (its personas, addresses and
faults from the test's ``@pytest.mark.sim(...)``), an independent raw Digest GET of a camera's
vendor API, and a verdict looked up in ``check --json``."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from kitchencam.sim.school import SimulatedSchool

PASSWORD = "Bep-An-2024-an-toan"  # 19 characters, upper, lower, digit, special


def school_from_marker(request: pytest.FixtureRequest, personas: list[str] | None = None,
                       base: str | None = None) -> Iterator[SimulatedSchool]:
    """The school the test's ``sim`` marker asks for (``personas``/``base`` as defaults), stopped after."""
    marker = request.node.get_closest_marker("sim")
    kwargs = marker.kwargs if marker else {}
    sim = SimulatedSchool(personas=kwargs.get("personas", personas), bind_base=kwargs.get("base", base),
                          http_port=0, rtsp_port=0, user="admin", password=PASSWORD, discovery=False,
                          faults=kwargs.get("faults", []))
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def raw_get(sim: SimulatedSchool, path: str) -> str:
    """A Digest GET with the standard library's own client: an independent look at the camera."""
    cam = sim.members[0].camera
    url = f"http://{cam.ip}:{cam.http_port}{path}"
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, "admin", PASSWORD)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPDigestAuthHandler(passwords))
    with opener.open(url, timeout=5.0) as reply:
        assert reply.status == 200
        return str(reply.read().decode("utf-8"))


def verdict(doc: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(v for v in doc["data"]["devices"][0]["verdicts"] if v["rule"] == rule)
