"""Kamailio (Debian ``kamailio``) as a third-party registrar for the simulated camera's SipDevice.

The other direction of tests/integration/test_gb28181_sipp.py: here the SIP server is not ours,
so SipDevice's REGISTER, its Digest answer to someone else's challenge, its keepalive MESSAGE
and its unregistration are checked by code kitchencam did not write. Kamailio listens on
127.0.97.1 only, runs in its own process group and is killed at the end of each test.
scripts/install-test-deps.sh installs it; without it these tests skip and say so.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.gb28181 import SipDevice, keepalive_body

KAMAILIO = shutil.which("kamailio")
TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "kamailio" / "gb28181-registrar.cfg"
IP = "127.0.97.1"
DOMAIN = "3402000000"
SERVER_ID = "34020000002000000001"
PASSWORD = "kamailio-domain-pass"
MODULE_DIRS = ["/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/aarch64-linux-gnu/kamailio/modules",
               "/usr/lib/kamailio/modules", "/usr/local/lib64/kamailio/modules"]

pytestmark = pytest.mark.skipif(
    KAMAILIO is None, reason="kamailio not installed (Debian package kamailio; run scripts/install-test-deps.sh)"
)


def free_udp_port(ip: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def send(port: int, method: str, from_user: str, extra: str = "", body: bytes = b"") -> bytes | None:
    """One raw request from 127.0.97.2; Kamailio's answer (or None within 0.3 s)."""
    data = (f"{method} sip:{SERVER_ID}@{DOMAIN} SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.97.2:9;rport;branch=z9hG4bKraw\r\n"
            f"From: <sip:{from_user}@{DOMAIN}>;tag=p\r\nTo: <sip:{SERVER_ID}@{DOMAIN}>\r\nCall-ID: raw-{method}\r\n"
            f"CSeq: 1 {method}\r\nMax-Forwards: 70\r\n{extra}Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.97.2", 0))
        s.settimeout(0.3)
        s.sendto(data, (IP, port))
        try:
            return s.recv(4096)
        except TimeoutError:
            return None


def answers(port: int) -> bool:
    """Kamailio is up when an OPTIONS gets any SIP answer (405 from this config)."""
    reply = send(port, "OPTIONS", "probe")
    return reply is not None and reply.startswith(b"SIP/2.0 ")


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[int]:
    assert KAMAILIO is not None
    mpath = next((d for d in MODULE_DIRS if Path(d, "registrar.so").exists()), None)
    if mpath is None:
        pytest.skip("kamailio's modules (registrar.so) not found")
    port = free_udp_port(IP)
    cfg = tmp_path / "kamailio.cfg"
    cfg.write_text(TEMPLATE.read_text().replace("@LISTEN@", f"udp:{IP}:{port}").replace("@MPATH@", mpath + "/")
                   .replace("@PASSWORD@", PASSWORD))
    log = (tmp_path / "kamailio.log").open("w")
    proc = subprocess.Popen(
        [KAMAILIO, "-f", str(cfg), "-DD", "-E", "-m", "16", "-M", "4", "-Y", str(tmp_path),
         "-P", str(tmp_path / "kamailio.pid")],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kamailio did not start: {(tmp_path / 'kamailio.log').read_text()[-2000:]}")
        yield port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()


def device(port: int, number: int, password: str = PASSWORD, **kwargs) -> SipDevice:
    return SipDevice((IP, port), server_id=SERVER_ID, domain=DOMAIN, device_id=f"{DOMAIN}132{number:07d}",
                     password=password, local_ip="127.0.97.2", timeout=2.0, retry_interval=0.2, **kwargs)


def test_sip_device_registers_and_keeps_alive_with_kamailio(kamailio: int) -> None:
    cam = device(kamailio, 1, expires=60, keepalive_interval=0.2)
    with cam:
        assert cam.wait_registered(10), cam.status
        deadline = time.monotonic() + 10
        while cam.status.keepalives_ok < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cam.status.keepalives_ok >= 3, cam.status  # Kamailio answers 200 only while registered
    assert cam.status.history[-1] == "unregistered"
    # After the unregistration Kamailio no longer knows the device: its keepalive is refused.
    keepalive = send(kamailio, "MESSAGE", cam.device_id, "Content-Type: Application/MANSCDP+xml\r\n",
                     keepalive_body(cam.device_id, 99))
    assert keepalive is not None
    assert keepalive.startswith(b"SIP/2.0 403 ")


def test_sip_device_with_the_wrong_password_is_not_registered_by_kamailio(kamailio: int) -> None:
    cam = device(kamailio, 2, password="not-it", max_failures=1)
    with cam:
        assert not cam.wait_registered(10)
        # Kamailio challenges a wrong answer again (401) where our registrar says 403.
        assert cam.status.last_status == 401
        assert cam.status.gave_up
