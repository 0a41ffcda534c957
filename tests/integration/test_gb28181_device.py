"""The simulated camera's GB28181 client (SipDevice) against the simulated centre's registrar."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kitchencam.sim.gb28181 import Gb28181Registrar, SipDevice

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
