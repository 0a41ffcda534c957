"""SIPp (Debian ``sip-tester``) as a GB/T 28181 device against the simulated centre's registrar.

Third-party proof that the registrar speaks SIP as others do: SIPp builds the REGISTER, reads
our 401 challenge and computes the Digest answer itself ([authentication], -au/-ap), and checks
the 200's Expires and GB 9.10 Date, then sends the MANSCDP keepalive. scripts/install-test-deps.sh
installs it; without it these tests skip and say so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.centre import CentreServer

SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "sipp"
IP = "127.0.96.1"

pytestmark = pytest.mark.skipif(
    SIPP is None, reason="sipp not installed (Debian package sip-tester; run scripts/install-test-deps.sh)"
)


@pytest.fixture
def centre() -> Iterator[CentreServer]:
    with CentreServer(IP, 0, token="tok-sipp", sip_port=0) as server:
        yield server


def free_udp_port(ip: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def sipp_command(centre: CentreServer, scenario: str, device_id: str, password: str, local_ip: str) -> list[str]:
    """The exact command line: one call (-m 1), bound to loopback, a global timeout that fails."""
    assert SIPP is not None
    assert centre.registrar is not None
    return [
        SIPP, f"{IP}:{centre.registrar.port}",
        "-sf", str(SCENARIOS / scenario),
        "-i", local_ip, "-bind_local", "-p", str(free_udp_port(local_ip)),
        "-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin",
        "-key", "server_id", centre.sip_server_id,
        "-key", "domain", centre.sip_domain,
        "-key", "device_id", device_id,
        "-au", device_id, "-ap", password,
        "-trace_err", "-error_file", "sipp_errors.log",
    ]


def run_sipp(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=30, check=False,
                          stdin=subprocess.DEVNULL)


def explain(result: subprocess.CompletedProcess[str], cwd: Path) -> str:
    errors = cwd / "sipp_errors.log"
    return (f"sipp exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}\n"
            + (errors.read_text(errors="replace")[-2000:] if errors.exists() else ""))


def test_sipp_registers_with_digest_and_keeps_alive(centre: CentreServer, tmp_path: Path) -> None:
    device_id = f"{centre.sip_domain}1320000101"
    result = run_sipp(sipp_command(centre, "gb28181_register_keepalive.xml", device_id, centre.sip_password,
                                   "127.0.96.2"), tmp_path)
    assert result.returncode == 0, explain(result, tmp_path)
    record = centre.connection(device_id)
    assert record["online"] is True
    assert record["via"] == "gb28181"
    assert record["last_keepalive"] is not None
    assert record["source"].startswith("127.0.96.2:")
    assert centre.registrar is not None
    assert centre.registrar.stats.challenged == 1
    assert centre.registrar.stats.keepalives == 1


def test_sipp_with_the_wrong_password_is_refused(centre: CentreServer, tmp_path: Path) -> None:
    device_id = f"{centre.sip_domain}1320000102"
    result = run_sipp(sipp_command(centre, "gb28181_register_wrong_password.xml", device_id, "not-the-password",
                                   "127.0.96.3"), tmp_path)
    assert result.returncode == 0, explain(result, tmp_path)  # the scenario expects the 403
    assert centre.connection(device_id)["online"] is False
    assert centre.registrar is not None
    assert centre.registrar.stats.refused == 1


def test_sipp_keepalive_scenario_fails_with_the_wrong_password(centre: CentreServer, tmp_path: Path) -> None:
    """The scenario can fail: with a wrong password SIPp gets 403 where it wants 200, and says so."""
    device_id = f"{centre.sip_domain}1320000103"
    result = run_sipp(sipp_command(centre, "gb28181_register_keepalive.xml", device_id, "not-the-password",
                                   "127.0.96.4"), tmp_path)
    assert result.returncode != 0
    assert centre.connection(device_id)["online"] is False
