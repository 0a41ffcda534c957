"""Simulated cameras dial out to the simulated centre (issue 15): real sockets on loopback.

A camera whose vendor settings enable a dial-out connects to the configured host and port, keeps
the session alive and drops it when disabled; the centre reports it online (its REST API) and says
why it refused one. Waits poll with a bound; nothing asserts on speed.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from kitchencam.sim.camera import SimCamera
from kitchencam.sim.centre import CentreServer
from kitchencam.sim.dialin import MAX_LINE, DialInServer, decode, encode, isup_mac
from kitchencam.sim.personas import get_persona
from kitchencam.sim.school import SimulatedSchool
from kitchencam.sim.vendorapi import dialout_status
from tests.integration.test_sim_cli import start_sim, stop_sim

CENTRE_IP = "127.0.171.1"
TOKEN = "tok-dialout"
ISUP_KEY = "isup-key-0042"
DAHUA = "dahua-wizsense2"
HIK = "hikvision-ds2cd2023g2-i"
_next_ip = iter(range(11, 250))


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def free_tcp_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def centre_server(**kwargs: Any) -> CentreServer:
    options: dict[str, Any] = {"sip_port": 0, "sip_keepalive_interval": 0.5, "auto_register_port": 0, "isup_port": 0,
                               "isup_key": ISUP_KEY, "dialin_keepalive_interval": 0.3, **kwargs}
    return CentreServer(CENTRE_IP, 0, token=TOKEN, **options)


@pytest.fixture
def centre() -> Iterator[CentreServer]:
    with centre_server() as server:
        yield server


@pytest.fixture
def cameras() -> Iterator[Callable[[str], SimCamera]]:
    started: list[SimCamera] = []

    def make(persona: str) -> SimCamera:
        cam = SimCamera(get_persona(persona), f"127.0.171.{next(_next_ip)}", http_port=0, index=len(started) + 1,
                        reboot_seconds=0.5)
        started.append(cam.start())
        return cam

    yield make
    for cam in started:
        cam.stop()


def connection(centre: CentreServer, device_id: str) -> dict[str, Any]:
    reply = requests.get(f"{centre.base_url}/api/v1/connections/{device_id}",
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    reply.raise_for_status()
    return dict(reply.json())


def dahua_set(cam: SimCamera, query: str) -> tuple[int, str]:
    """A raw Digest GET of the Dahua API's setConfig (the standard library's Digest, not ours)."""
    url = f"http://{cam.ip}:{cam.http_port}/cgi-bin/configManager.cgi?action=setConfig&{query}"
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, cam.user, cam.password)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPDigestAuthHandler(passwords))
    try:
        with opener.open(url, timeout=3.0) as reply:
            return reply.status, reply.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def dahua_auto_register(cam: SimCamera, host: str, port: int, device_id: str) -> None:
    # Address, port and ID straight into the vendor state (the API's write side for them is another
    # slice); the switch through the camera's own Dahua API.
    with cam._lock:
        cam.vendor_state.update({"DVRIP.Address": host, "DVRIP.Port": port, "DVRIP.DeviceID": device_id})
    assert dahua_set(cam, "DVRIP.RegisterServer.Enable=true") == (200, "OK\r\n")


def hik_isup(cam: SimCamera, host: str, port: int, device_id: str, key: str) -> None:
    with cam._lock:
        cam.vendor_state.update({"isup_enabled": True, "isup_address_type": "ipaddress", "isup_ip": host,
                                 "isup_port": port, "isup_device_id": device_id, "isup_key": key})


def test_dahua_auto_register_online_kept_alive_then_disabled(centre: CentreServer, cameras) -> None:
    cam = cameras(DAHUA)
    assert dialout_status(cam, "auto-register") == "offline"
    dahua_auto_register(cam, CENTRE_IP, centre.dialins["auto-register"].port, "SCH01-CAM01")
    assert wait_for(lambda: connection(centre, "SCH01-CAM01")["online"]), dialout_status(cam, "auto-register")
    assert wait_for(lambda: dialout_status(cam, "auto-register") == "online")
    record = connection(centre, "SCH01-CAM01")
    assert record["via"] == "auto-register"
    assert record["source"].startswith(f"{cam.ip}:")  # dialled from the camera's own address
    assert record["last_refusal"] is None
    listener = centre.dialins["auto-register"]
    assert wait_for(lambda: getattr(listener.record("SCH01-CAM01"), "keepalives", 0) >= 2)
    assert wait_for(lambda: connection(centre, "SCH01-CAM01")["last_keepalive"] is not None)

    assert dahua_set(cam, "DVRIP.RegisterServer.Enable=false") == (200, "OK\r\n")
    assert wait_for(lambda: not connection(centre, "SCH01-CAM01")["online"])
    assert wait_for(lambda: dialout_status(cam, "auto-register") == "offline")
    assert connection(centre, "SCH01-CAM01")["last_seen"] is not None


def test_wrong_port_is_unreachable_and_a_corrected_port_connects(centre: CentreServer, cameras) -> None:
    cam = cameras(DAHUA)
    dahua_auto_register(cam, CENTRE_IP, free_tcp_port(CENTRE_IP), "SCH01-CAM02")
    assert wait_for(lambda: dialout_status(cam, "auto-register") == "unreachable")
    assert connection(centre, "SCH01-CAM02")["online"] is False
    with cam._lock:  # the technician fixes the port: the camera reconnects to the new one
        cam.vendor_state["DVRIP.Port"] = centre.dialins["auto-register"].port
    assert wait_for(lambda: connection(centre, "SCH01-CAM02")["online"])
    assert wait_for(lambda: dialout_status(cam, "auto-register") == "online")


def test_a_camera_dials_loopback_literals_only(cameras) -> None:
    cam = cameras(DAHUA)
    dahua_auto_register(cam, "0.0.0.0", 7000, "SCH01-CAM03")  # the factory address: never dialled
    assert wait_for(lambda: dialout_status(cam, "auto-register") == "unreachable")
    link = cam.dialout.links["auto-register"] if cam.dialout else None
    assert link is not None
    assert "loopback" in (link.last_error or "")


def test_ill_formed_device_id_is_refused(centre: CentreServer, cameras) -> None:
    cam = cameras(DAHUA)
    dahua_auto_register(cam, CENTRE_IP, centre.dialins["auto-register"].port, "bad id/../")
    assert wait_for(lambda: dialout_status(cam, "auto-register") == "refused")
    assert centre.dialins["auto-register"].stats.refused >= 1


def test_isup_right_key_online_wrong_key_refused_with_the_reason(centre: CentreServer, cameras) -> None:
    cam = cameras(HIK)
    port = centre.dialins["isup"].port
    hik_isup(cam, CENTRE_IP, port, "SCH01-CAM04", ISUP_KEY)
    assert wait_for(lambda: connection(centre, "SCH01-CAM04")["online"]), dialout_status(cam, "isup")
    assert connection(centre, "SCH01-CAM04")["via"] == "isup"
    assert wait_for(lambda: dialout_status(cam, "isup") == "online")
    with cam._lock:
        cam.vendor_state["isup_key"] = "not-the-key"
    assert wait_for(lambda: dialout_status(cam, "isup") == "refused")
    record = connection(centre, "SCH01-CAM04")
    assert record["online"] is False
    assert record["last_refusal"] == "wrong-key"
    assert record["last_refusal_at"].endswith("Z")


def test_gb28181_registers_with_the_centre_and_a_wrong_password_is_refused(centre: CentreServer, cameras) -> None:
    cam = cameras(HIK)
    assert centre.registrar is not None
    device_id = f"{centre.sip_domain}1320000004"
    with cam._lock:
        cam.vendor_state.update({"gb28181": True, "gb28181_server": CENTRE_IP, "gb28181_port": centre.registrar.port,
                                 "gb28181_server_id": centre.sip_server_id, "gb28181_domain": centre.sip_domain,
                                 "gb28181_device_id": device_id, "gb28181_password": centre.sip_password})
    assert wait_for(lambda: connection(centre, device_id)["online"]), dialout_status(cam, "gb28181")
    assert connection(centre, device_id)["via"] == "gb28181"
    assert wait_for(lambda: dialout_status(cam, "gb28181") == "online")
    with cam._lock:
        cam.vendor_state["gb28181_password"] = "wrong-password"
    assert wait_for(lambda: dialout_status(cam, "gb28181") == "refused")
    record = connection(centre, device_id)
    assert record["online"] is False  # the old registration was withdrawn when the settings changed
    assert record["last_refusal"] == "wrong-password"
    # A device refused before it ever registered is listed too, with the reason.
    stranger = f"{centre.sip_domain}1320000099"
    with cam._lock:
        cam.vendor_state["gb28181_device_id"] = stranger
    assert wait_for(lambda: connection(centre, stranger)["last_refusal"] == "wrong-password")
    listed = requests.get(f"{centre.base_url}/api/v1/connections", headers={"Authorization": f"Bearer {TOKEN}"},
                          timeout=5).json()["connections"]
    assert {c["device_id"]: c["last_refusal"] for c in listed} == {device_id: "wrong-password",
                                                                   stranger: "wrong-password"}


def test_a_rebooting_camera_comes_back_online(centre: CentreServer, cameras) -> None:
    cam = cameras(DAHUA)
    dahua_auto_register(cam, CENTRE_IP, centre.dialins["auto-register"].port, "SCH01-CAM05")
    listener = centre.dialins["auto-register"]
    assert wait_for(lambda: listener.is_online("SCH01-CAM05"))
    cam.reboot(0.5)
    assert wait_for(lambda: cam.reboots == 1 and cam.running)
    # A new session after the reboot (the old one dropped with the camera).
    assert wait_for(lambda: getattr(listener.record("SCH01-CAM05"), "sessions", 0) >= 2 and
                    listener.is_online("SCH01-CAM05"))
    assert wait_for(lambda: dialout_status(cam, "auto-register") == "online")


def test_centre_down_is_unreachable_then_online_when_it_returns(cameras) -> None:
    first = centre_server()
    first.start()
    port = first.dialins["auto-register"].port
    cam = cameras(DAHUA)
    dahua_auto_register(cam, CENTRE_IP, port, "SCH01-CAM06")
    try:
        assert wait_for(lambda: first.dialins["auto-register"].is_online("SCH01-CAM06"))
    finally:
        first.stop()
    assert wait_for(lambda: dialout_status(cam, "auto-register") == "unreachable")
    with centre_server(auto_register_port=port) as second:
        assert wait_for(lambda: connection(second, "SCH01-CAM06")["online"])
        assert wait_for(lambda: dialout_status(cam, "auto-register") == "online")


def test_simulated_school_cameras_dial_its_centre() -> None:
    with SimulatedSchool(personas=[DAHUA, HIK], bind_base="127.0.173.10", http_port=0, rtsp_port=0, centre=True,
                         centre_port=0, centre_sip_port=None, centre_isup_key=ISUP_KEY, discovery=False) as school:
        assert school.centre_server is not None
        assert school.auto_register_port
        assert school.isup_port
        centre_line = school.endpoints()[0]
        assert centre_line["auto_register"] == f"tcp://127.0.173.10:{school.auto_register_port}"
        assert centre_line["isup"] == f"tcp://127.0.173.10:{school.isup_port}"
        assert centre_line["isup_key"] == ISUP_KEY
        assert "sip" not in centre_line
        dahua, hik = (m.camera for m in school.members)
        dahua_auto_register(dahua, "127.0.173.10", school.auto_register_port, "SCH03-CAM01")
        hik_isup(hik, "127.0.173.10", school.isup_port, "SCH03-CAM02", ISUP_KEY)
        server = school.centre_server
        assert wait_for(lambda: all(server.connection(d)["online"] for d in ("SCH03-CAM01", "SCH03-CAM02")))
        assert [c["via"] for c in server.connections()] == ["auto-register", "isup"]


def test_camera_without_vendor_api_has_no_dialout(cameras) -> None:
    assert cameras("generic-720p").dialout is None


# ------------------------------------------------------------------ the dial-in side, hostile clients
def hello(device_id: str, kind: str = "auto-register") -> bytes:
    return encode({"op": "hello", "v": 1, "kind": kind, "device_id": device_id, "serial": "S1", "model": "M"})


def read_line(sock: socket.socket) -> dict[str, Any]:
    sock.settimeout(5)
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return decode(data.rstrip(b"\n"))


def closed_by_peer(sock: socket.socket, timeout: float = 5.0) -> bool:
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def test_hostile_clients_leave_the_listener_alive(cameras) -> None:
    listener = DialInServer(CENTRE_IP, 0, kind="auto-register", keepalive_interval=0.3, max_clients=4,
                            handshake_timeout=1.0)
    with listener:
        addr = (CENTRE_IP, listener.port)
        # Garbage, bytes that are not UTF-8, JSON that is not an object, NaN, deep nesting: refused.
        for junk in (b"GET / HTTP/1.0\r\n\r\n", b"\xff\xfe\x00garbage\n", b"[1,2,3]\n", b'{"op": NaN}\n',
                     b"[" * 900 + b"\n", b'{"op":"hello","v":1,"kind":"auto-register","device_id":7}\n'):
            with socket.create_connection(addr, timeout=5) as s:
                s.sendall(junk)
                assert read_line(s)["reason"] == "bad-hello"
        # A line longer than the cap: cut off without reading on.
        before = listener.stats.malformed
        with socket.create_connection(addr, timeout=5) as s:
            with contextlib.suppress(OSError):  # the centre may reset us mid-send
                s.sendall(b"{" + b"x" * (MAX_LINE * 256))
            assert closed_by_peer(s)
        assert wait_for(lambda: listener.stats.malformed == before + 1)
        # Slowloris: one byte at a time never finishes the handshake; cut at the deadline.
        with socket.create_connection(addr, timeout=5) as s:
            with contextlib.suppress(OSError):  # sending on after the centre hung up fails
                for byte in hello("SLOW-1")[:20]:
                    s.sendall(bytes([byte]))
                    time.sleep(0.2)
            assert closed_by_peer(s)
        assert wait_for(lambda: listener.stats.timeouts == 1)
        # Idle connections up to the cap: the next is refused busy, and they are cut in time.
        idle = [socket.create_connection(addr, timeout=5) for _ in range(4)]
        try:
            assert wait_for(lambda: listener.stats.accepted >= 11)
            with socket.create_connection(addr, timeout=5) as s:
                assert read_line(s)["reason"] == "busy"
            assert all(closed_by_peer(s) for s in idle)
        finally:
            for s in idle:
                s.close()
        # An online client that falls silent is dropped after the keepalive timeout.
        with socket.create_connection(addr, timeout=5) as s:
            s.sendall(hello("SILENT-1"))
            assert read_line(s)["op"] == "welcome"
            assert listener.is_online("SILENT-1")
            assert closed_by_peer(s)
        assert wait_for(lambda: not listener.is_online("SILENT-1"))
        # Still serving: a real camera connects.
        cam = cameras(DAHUA)
        dahua_auto_register(cam, CENTRE_IP, listener.port, "SCH01-CAM07")
        assert wait_for(lambda: listener.is_online("SCH01-CAM07"))
        assert listener.stats.malformed >= 6
        assert listener.stats.timeouts >= 1
        assert listener.stats.busy >= 1


def test_unknown_device_id_is_refused_when_the_centre_knows_its_devices() -> None:
    listener = DialInServer(CENTRE_IP, 0, kind="isup", key=ISUP_KEY, known=lambda d: d.startswith("SCH01-"))
    with listener, socket.create_connection((CENTRE_IP, listener.port), timeout=5) as s:
        s.sendall(hello("OTHER-9", "isup"))
        assert read_line(s)["reason"] == "unknown-device-id"
    record = listener.record("OTHER-9")
    assert record is not None
    assert record.last_refusal == "unknown-device-id"
    assert not record.online


def test_sim_cli_prints_the_dial_in_sides_and_they_answer() -> None:
    proc, endpoints = start_sim("--bind-base", "127.0.172.10", "--http-port", "0", "--rtsp-port", "0", "--centre",
                                "--centre-port", "0", "--centre-sip-port", "0", "--centre-auto-register-port", "0",
                                "--centre-isup-port", "0", "--no-discovery", "--persona", DAHUA, expect=2)
    try:
        centre = endpoints[0]
        assert re.fullmatch(r"tcp://127\.0\.172\.10:\d+", centre["auto_register"])
        assert re.fullmatch(r"tcp://127\.0\.172\.10:\d+", centre["isup"])
        assert len(centre["isup_key"]) >= 12
        assert centre["sip"].startswith("udp://")
        host, port = centre["isup"].removeprefix("tcp://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as s:  # the test as an ISUP device
            s.sendall(hello("SCH02-CAM01", "isup"))
            challenge = read_line(s)
            assert challenge["op"] == "challenge"
            s.sendall(encode({"op": "auth", "mac": isup_mac(centre["isup_key"], challenge["nonce"], "SCH02-CAM01")}))
            assert read_line(s)["op"] == "welcome"
            record = requests.get(f"{centre['url']}/api/v1/connections/SCH02-CAM01",
                                  headers={"Authorization": f"Bearer {centre['token']}"}, timeout=5).json()
            assert (record["online"], record["via"]) == (True, "isup")
            s.sendall(encode({"op": "bye"}))
        listed = requests.get(f"{centre['url']}/api/v1/connections",
                              headers={"Authorization": f"Bearer {centre['token']}"}, timeout=5).json()
        assert json.dumps(listed)  # a JSON document
        assert [c["device_id"] for c in listed["connections"]] == ["SCH02-CAM01"]
    finally:
        code = stop_sim(proc)
    assert code == 0
