"""`kitchencam register` connecting each camera to the centre (issue 15), through the real CLI.

Simulated cameras (127.0.172.x) really dial out to the simulated centre (127.0.172.1): Dahua
Auto Register and Hikvision ISUP through the simulator's stand-in handshake, GB/T 28181 through
SIP REGISTER with Digest. Each test sets the site's centre.connection with `site init`, runs
`register --json` and reads what the cameras' own APIs, the centre's REST API and the store say.
Loopback only; waits are bounded by `--wait`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("kitchencam.sim.dialout")  # the simulated cameras' dial-out (issue 15)

from kitchencam.sim.camera import SimCamera
from kitchencam.sim.centre import CentreServer
from kitchencam.sim.personas import get_persona
from kitchencam.store import Store

PASSWORD = "Bep-An-2024-an-toan"
TOKEN = "tt-centre-token-dial"
ISUP_KEY = "isup-key-mn-tto"
CENTRE_IP = "127.0.172.1"
DAHUA = "dahua-wizsense2"
HIK = "hikvision-ds2cd2023g2-i"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD, "KITCHENCAM_CENTRE_TOKEN": TOKEN}
_next_ip = iter(range(10, 250))


@pytest.fixture
def centre() -> Iterator[CentreServer]:
    server = CentreServer(CENTRE_IP, 0, token=TOKEN, sip_port=0, sip_keepalive_interval=0.5, auto_register_port=0,
                          isup_port=0, isup_key=ISUP_KEY, dialin_keepalive_interval=0.3)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def camera() -> Iterator[Callable[..., SimCamera]]:
    started: list[SimCamera] = []

    def make(persona: str, faults: tuple[str, ...] = ()) -> SimCamera:
        cam = SimCamera(get_persona(persona), f"127.0.172.{next(_next_ip)}", http_port=0, user="admin",
                        password=PASSWORD, faults=faults, index=len(started) + 1, reboot_seconds=0.5)
        started.append(cam.start())
        return cam

    yield make
    for cam in started:
        cam.stop()


def port_of(url: str | None) -> int:
    assert url is not None
    return int(url.rsplit(":", 1)[1])


def site(run: Any, centre: CentreServer, method: str, port: int, *extra: str, secret: str | None = None) -> None:
    env = {"KITCHENCAM_CONNECTION_SECRET": secret} if secret else {}
    result = run("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
                 "--centre-url", centre.base_url + "/", "--connection", method, "--connection-host", CENTRE_IP,
                 "--connection-port", str(port), *extra, env=env)
    assert result.exit_code == 0, result.output


def register(run: Any, cam: SimCamera, *extra: str) -> tuple[int, dict[str, Any]]:
    return run.json("register", cam.device_xaddr, "--force", "--wait", "20", *extra, env=ENV)


def connections(isolated: Path) -> list[Any]:
    with Store(isolated / "data" / "kitchencam.db") as store:
        site = store.get_site("MN-TTO")
        assert site is not None
        return store.connections(site.id)


def test_dahua_auto_register_online_recorded_checked_and_rolled_back(run, isolated: Path, centre: CentreServer,
                                                                     camera):
    cam = camera(DAHUA)
    site(run, centre, "dahua-auto-register", port_of(centre.dialin_url("auto-register")))
    code, doc = register(run, cam)
    assert code == 0, doc["errors"]
    [conn] = doc["data"]["connections"]
    assert (conn["state"], conn["device_id"], conn["configured"], conn["online"]) == ("online", "MN-TTO-01", True,
                                                                                       True)
    assert conn["read_back"]["port"] == port_of(centre.dialin_url("auto-register"))
    assert centre.connection("MN-TTO-01")["online"] is True  # the centre's own word
    [sent] = doc["data"]["cameras"]
    assert sent["state"] == "sent"  # recorded only once online
    assert [d["serial"] for d in centre.devices("MN-TTO")] == [str(cam.serial)]
    # --status: configured (read back), online (asked now), recorded.
    code, doc = run.json("register", "--status", env=ENV)
    assert code == 0, doc["errors"]
    [row] = doc["data"]["cameras"]
    assert row["local_state"] == "sent"
    assert row["connection"]["online"] is True
    assert row["connection"]["read_back"]["device_id"] == "MN-TTO-01"
    assert row["connection"]["confirmed_at"]
    shown = run("register", "--status", env=ENV)
    assert "Dial-out to the centre" in shown.stdout
    assert "MN-TTO-01" in shown.stdout
    # check's centre-registration: PASS on the centre's word.
    code, doc = run.json("check", cam.device_xaddr, env=ENV)
    [verdict] = [v for v in doc["data"]["devices"][0]["verdicts"] if v["rule"] == "centre-registration"]
    assert verdict["status"] == "PASS", verdict
    # The handover minutes say the same, with times.
    minutes = isolated / "minutes.html"
    result = run("report", "--draft", "--lang", "en", "--format", "html", "-o", str(minutes), env=ENV)
    assert result.exit_code in (0, 3), result.output
    text = minutes.read_text(encoding="utf-8")
    assert "Dial-out (dahua-auto-register) written to the camera and read back at" in text
    assert "Online at the district centre: confirmed by the centre at" in text
    # rollback: the camera's Auto Register as it was (off); the centre sees it go.
    code, doc = run.json("rollback", cam.device_xaddr, "--yes", env=ENV)
    assert code == 0, doc["errors"]
    assert "registration:auto-register" in doc["data"]["restored"]
    assert cam.vendor_state["DVRIP.RegisterServer"] in (False, 0, "false")


def test_hikvision_isup_with_the_right_key_then_a_refused_key(run, isolated: Path, centre: CentreServer, camera):
    cam = camera(HIK)
    site(run, centre, "hikvision-isup", port_of(centre.dialin_url("isup")), secret=ISUP_KEY)
    code, doc = register(run, cam)
    assert code == 0, doc["errors"]
    [conn] = doc["data"]["connections"]
    assert conn["state"] == "online"
    assert conn["read_back"]["status"] in ("online", None)  # the camera's registerStatus where it says it
    other = camera(HIK)
    code, doc = run.json("register", other.device_xaddr, "--force", "--wait", "6", env={
        **ENV, "KITCHENCAM_CONNECTION_SECRET": "not-the-key"})
    assert code == 5, doc["errors"]
    [conn] = doc["data"]["connections"]
    assert conn["state"] == "not-online"
    assert conn["last_refusal"]
    assert "refused the camera" in conn["diagnosis"][0]
    assert [c["state"] for c in doc["data"]["cameras"]] == ["skipped"]  # never recorded
    assert len(centre.devices("MN-TTO")) == 1


def test_gb28181_on_a_hikvision(run, isolated: Path, centre: CentreServer, camera):
    cam = camera(HIK)
    site(run, centre, "gb28181", port_of(centre.sip_url), "--sip-server-id", centre.sip_server_id, "--sip-domain",
         centre.sip_domain, secret=centre.sip_password)
    code, doc = register(run, cam)
    assert code == 0, doc["errors"]
    [conn] = doc["data"]["connections"]
    assert conn["device_id"] == f"{centre.sip_domain}1320000001"
    assert len(conn["device_id"]) == 20
    assert conn["state"] == "online"
    assert centre.connection(conn["device_id"])["via"]


def test_a_method_the_camera_cannot_do_is_refused_with_what_it_can(run, isolated: Path, centre: CentreServer,
                                                                   camera):
    cam = camera(HIK)
    site(run, centre, "dahua-auto-register", port_of(centre.dialin_url("auto-register")))
    code, doc = register(run, cam)
    assert code == 1
    [conn] = doc["data"]["connections"]
    assert conn["state"] == "refused-method"
    assert "this Hikvision camera can do hikvision-isup, hik-connect or gb28181" in conn["diagnosis"][0]
    assert not conn["backup_saved"]


def test_the_wrong_port_is_diagnosed_from_the_laptop(run, isolated: Path, centre: CentreServer, camera):
    cam = camera(DAHUA)
    with socket.socket() as sock:  # bound, never listening: refuses
        sock.bind((CENTRE_IP, 0))
        wrong = sock.getsockname()[1]
        site(run, centre, "dahua-auto-register", wrong)
        code, doc = run.json("register", cam.device_xaddr, "--force", "--wait", "3", env=ENV)
    assert code == 4, doc["errors"]
    [conn] = doc["data"]["connections"]
    assert conn["configured"] is True  # the camera holds what was written: the site's port is wrong
    assert f"{CENTRE_IP}:{wrong} does not answer from this laptop" in " ".join(conn["diagnosis"])
    [rec] = connections(isolated)
    assert rec.online is False
    code, doc = run.json("check", cam.device_xaddr, env=ENV)
    [verdict] = [v for v in doc["data"]["devices"][0]["verdicts"] if v["rule"] == "centre-registration"]
    assert verdict["status"] == "FAIL"


def test_the_centre_down(run, isolated: Path, camera):
    cam = camera(DAHUA)
    with CentreServer(CENTRE_IP, 0, token=TOKEN, faults=["down"]) as down:
        site(run, down, "dahua-auto-register", down.port)
        code, doc = run.json("register", cam.device_xaddr, "--force", "--wait", "2", env=ENV)
    assert code == 4, doc["errors"]
    [conn] = doc["data"]["connections"]
    assert conn["online"] is None  # the centre could not be asked
    assert any("does not answer from this laptop" in d for d in conn["diagnosis"])


def test_a_camera_that_reboots_after_the_change_still_comes_online(run, isolated: Path, centre: CentreServer,
                                                                    camera):
    cam = camera(DAHUA, faults=("reboot-after-set=1",))
    site(run, centre, "dahua-auto-register", port_of(centre.dialin_url("auto-register")))
    code, doc = register(run, cam)
    assert code == 0, doc["errors"]
    [conn] = doc["data"]["connections"]
    assert conn["state"] == "online"
    assert cam.reboots >= 1
