"""The simulated camera's GB28181 client (SipDevice) against the simulated centre's registrar."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests

from kitchencam.sim.centre import CentreServer
from kitchencam.sim.gb28181 import Gb28181Registrar, SipDevice
from tests.integration.test_sim_cli import start_sim, stop_sim

IP = "127.0.94.1"
DOMAIN = "3402000000"
SERVER_ID = "34020000002000000001"
PASSWORD = "centre-pass-7"


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def registrar() -> Iterator[Gb28181Registrar]:
    reg = Gb28181Registrar(IP, server_id=SERVER_ID, domain=DOMAIN, password=PASSWORD, keepalive_interval=0.5)
    with reg:
        yield reg


def device(reg: Gb28181Registrar, number: int = 1, password: str = PASSWORD, **kwargs) -> SipDevice:
    options = {"expires": 3600, "keepalive_interval": 0.2, "timeout": 2.0, "retry_interval": 0.1, **kwargs}
    return SipDevice((IP, reg.port), server_id=SERVER_ID, domain=DOMAIN, device_id=f"{DOMAIN}132{number:07d}",
                     password=password, local_ip="127.0.94.2", **options)


def test_device_registers_keeps_alive_and_unregisters(registrar: Gb28181Registrar) -> None:
    cam = device(registrar)
    cam.start()
    try:
        assert cam.wait_registered(10), cam.status
        assert registrar.is_online(cam.device_id)
        assert wait_for(lambda: getattr(registrar.connection(cam.device_id), "keepalives", 0) >= 3)
        conn = registrar.connection(cam.device_id)
        assert conn is not None
        assert conn.source == f"127.0.94.2:{cam.local_port}"
        assert cam.status.server_date is not None  # the 200 carried the §9.10 Date
    finally:
        cam.stop()
    conn = registrar.connection(cam.device_id)
    assert conn is not None
    assert not conn.registered
    assert not registrar.is_online(cam.device_id)


def test_device_registers_again_before_expiry(registrar: Gb28181Registrar) -> None:
    cam = device(registrar, 2, expires=2, reregister_margin=1.0, keepalive_interval=5)
    with cam:
        assert cam.wait_registered(10)
        assert wait_for(lambda: cam.status.registrations >= 3, timeout=10), cam.status
        # Never lapsed: each registration came before the previous one expired.
        assert registrar.is_online(cam.device_id)


def test_wrong_password_gives_up_after_bounded_retries(registrar: Gb28181Registrar) -> None:
    cam = device(registrar, 3, password="wrong", max_failures=3)
    with cam:
        assert not cam.wait_registered(10)
        assert cam.status.gave_up
        assert cam.status.last_status == 403
        assert cam._thread is not None
        assert wait_for(lambda: not cam._thread.is_alive(), 5)
    assert registrar.connection(cam.device_id) is None
    assert registrar.stats.refused == 3


def test_device_registers_again_when_the_registrar_forgets_it() -> None:
    reg = Gb28181Registrar(IP, server_id=SERVER_ID, domain=DOMAIN, password=PASSWORD)
    reg.start()
    port = reg.port
    cam = device(reg, 4, keepalive_interval=0.2, max_failures=50)
    try:
        cam.start()
        assert cam.wait_registered(10)
        reg.stop()  # the centre restarts and remembers nobody
        reg = Gb28181Registrar(IP, port, server_id=SERVER_ID, domain=DOMAIN, password=PASSWORD)
        reg.start()
        # The next keepalive is refused (403): the device registers again by itself.
        assert wait_for(lambda: reg.is_online(cam.device_id), timeout=10), cam.status
    finally:
        cam.stop()
        reg.stop()


def test_centre_down_is_bounded(registrar: Gb28181Registrar) -> None:
    cam = SipDevice(("127.0.94.9", 9), server_id=SERVER_ID, domain=DOMAIN, device_id=f"{DOMAIN}1320000005",
                    password=PASSWORD, local_ip="127.0.94.2", timeout=0.5, retry_interval=0.05, max_failures=2)
    with cam:
        assert not cam.wait_registered(10)
        assert cam.status.gave_up
        assert "no answer" in (cam.status.last_error or "")
        assert cam._thread is not None
        assert wait_for(lambda: not cam._thread.is_alive(), 5)


# ------------------------------------------------------------------ through the simulated centre
def test_centre_reports_online_via_gb28181() -> None:
    centre = CentreServer("127.0.94.20", 0, token="tok-gb", sip_port=0, sip_keepalive_interval=0.5)
    with centre, requests.Session() as http:
        http.trust_env = False
        headers = {"Authorization": "Bearer tok-gb"}
        assert centre.registrar is not None
        assert centre.sip_url == f"udp://127.0.94.20:{centre.registrar.port}"
        device_id = f"{centre.sip_domain}1320000011"
        url = f"{centre.base_url}/api/v1/connections/{device_id}"
        before = http.get(url, headers=headers, timeout=5).json()
        assert before == {"device_id": device_id, "online": False, "via": None, "last_seen": None,
                          "registered": False, "expires_at": None, "last_keepalive": None, "source": None,
                          "last_refusal": None, "last_refusal_at": None}
        assert http.get(url, timeout=5).status_code == 401  # the bearer token guards it like the rest
        cam = SipDevice(("127.0.94.20", centre.registrar.port), server_id=centre.sip_server_id,
                        domain=centre.sip_domain, device_id=device_id, password=centre.sip_password,
                        local_ip="127.0.94.21", keepalive_interval=0.2, timeout=2.0)
        with cam:
            assert cam.wait_registered(10)
            assert wait_for(lambda: http.get(url, headers=headers, timeout=5).json()["last_keepalive"] is not None)
            now = http.get(url, headers=headers, timeout=5).json()
            assert now["online"] is True
            assert now["via"] == "gb28181"
            assert now["registered"] is True
            assert now["last_seen"].endswith("Z")
            assert now["source"] == f"127.0.94.21:{cam.local_port}"
            listed = http.get(f"{centre.base_url}/api/v1/connections", headers=headers, timeout=5).json()
            assert listed["count"] == 1
            assert listed["connections"][0]["device_id"] == device_id
        after = http.get(url, headers=headers, timeout=5).json()
        assert after["online"] is False  # unregistered on stop
        assert after["via"] == "gb28181"
        assert after["last_seen"] is not None


def test_centre_without_sip_has_no_registrar() -> None:
    with CentreServer("127.0.94.22", 0, token="tok") as centre:
        assert centre.registrar is None
        assert centre.sip_url is None
        reply = requests.get(f"{centre.base_url}/api/v1/connections/34020000001320000001",
                             headers={"Authorization": "Bearer tok"}, timeout=5)
        assert reply.json()["online"] is False


def test_sim_cli_prints_the_registrar_and_a_device_registers_with_it() -> None:
    proc, endpoints = start_sim("--bind-base", "127.0.95.10", "--http-port", "0", "--rtsp-port", "0",
                                "--centre", "--centre-port", "0", "--centre-sip-port", "0", "--no-discovery",
                                expect=2)
    try:
        centre = endpoints[0]
        assert centre["kind"] == "centre"
        assert re.fullmatch(r"udp://127\.0\.95\.10:\d+", centre["sip"])
        assert re.fullmatch(r"\d{20}", centre["sip_server_id"])
        assert re.fullmatch(r"\d{10}", centre["sip_domain"])
        assert centre["sip_server_id"].startswith(centre["sip_domain"])
        assert len(centre["sip_password"]) >= 12
        host, port = centre["sip"].removeprefix("udp://").rsplit(":", 1)
        device_id = f"{centre['sip_domain']}1320000001"
        cam = SipDevice((host, int(port)), server_id=centre["sip_server_id"], domain=centre["sip_domain"],
                        device_id=device_id, password=centre["sip_password"], local_ip="127.0.95.30")
        with cam:
            assert cam.wait_registered(10), cam.status
            record = requests.get(f"{centre['url']}/api/v1/connections/{device_id}",
                                  headers={"Authorization": f"Bearer {centre['token']}"}, timeout=5).json()
            assert record["online"] is True
            assert record["via"] == "gb28181"
        wrong = SipDevice((host, int(port)), server_id=centre["sip_server_id"], domain=centre["sip_domain"],
                          device_id=f"{centre['sip_domain']}1320000002", password="not-the-password",
                          local_ip="127.0.95.30", max_failures=1)
        with wrong:
            assert not wrong.wait_registered(10)
            assert wrong.status.last_status == 403
    finally:
        code = stop_sim(proc)
    assert code == 0
