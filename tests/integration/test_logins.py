"""Logins through the real CLI: the truth about a password, and never a lockout.

Replay cameras (tests/replay.py) count every request that carried credentials and every one they
refused; each listens on its own 127.0.81.x address, because the login budget is kept per host
(kitchencam/logins.py) as a camera keeps its lockout counter.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.replay import CAPTURES, ReplayCamera, Reply, replay_camera, system_date_and_time

NVT = "onvif-nvt/"
RIGHT = "Right-Pass-2024"
WRONG = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": "typo-Pass-2024"}
GOOD = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": RIGHT}
PRE_AUTH = {"tds:GetSystemDateAndTime", "tds:GetServices", "tds:GetCapabilities"}


def hikvision_routes() -> dict[str, Any]:
    """A Hikvision DS-2DF7276 as captured (Media1): enough for check to read and judge."""
    return {
        # The replay checks tokens against its own (real) clock: a capture's old date would refuse all.
        "tds:GetSystemDateAndTime": lambda _req: system_date_and_time(datetime.now(timezone.utc)),
        "tds:GetServices": Reply.capture(NVT + "hikvision/core/GetServices.Response.xml"),
        "tds:GetDeviceInformation": Reply.capture(NVT + "hikvision/core/GetDeviceInformation.Response.xml"),
        "tds:GetScopes": Reply.capture(NVT + "hikvision/core/GetScopes.Response.xml"),
        "tds:GetNetworkInterfaces": Reply.capture(NVT + "hikvision/core/GetNetworkInterfaces.Response.xml"),
        "trt:GetProfiles": Reply.capture(NVT + "hikvision/media/GetProfiles.Response.xml"),
    }


assert (CAPTURES / NVT / "hikvision/core/GetServices.Response.xml").exists()


def by_target(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["target"]: d for d in doc["data"]["devices"]}


def verdict(device: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(v for v in device["verdicts"] if v["rule"] == rule)


# --- a wrong password is a wrong password, even where some calls need none ----------------------

def test_wrong_password_on_a_camera_answering_pre_auth_calls_is_exit_5(run) -> None:
    """GetServices and GetCapabilities answer anonymously; the password must still be judged."""
    with replay_camera(hikvision_routes(), ws_password=RIGHT, host="127.0.81.1") as good, \
            replay_camera(hikvision_routes(), ws_password="the-real-one", host="127.0.81.2",
                          anonymous=PRE_AUTH) as other:
        code, doc = run.json("check", good.target, other.target, env=GOOD)
    assert code == 5, doc["errors"]
    devices = by_target(doc)
    refused = devices[other.target]
    assert refused["overall"] == "ERROR"
    assert refused["error"]["code"] == "AuthFailed"
    assert "tds:GetDeviceInformation" in refused["error"]["hint"]  # which call was refused
    assert "default-credentials" not in {v["rule"] for v in refused["verdicts"]}  # no PASS for it
    assert other.refused == 1  # stopped at the first refusal
    # The camera with the right password is judged, its default-credentials rule included.
    assert devices[good.target]["overall"] != "ERROR"
    assert verdict(devices[good.target], "default-credentials")["status"] == "PASS"
    assert good.refused == 1  # the one deliberate wrong password, nothing else
    assert [e["target"] for e in doc["errors"] if e["code"] == "AuthFailed"] == [other.target]


# --- never a lockout -------------------------------------------------------------------------------

@contextmanager
def hikvisions(*hosts: str, password: str = RIGHT) -> Iterator[list[ReplayCamera]]:
    """Hikvision-like cameras on one port number: a refused token gets 401 + Digest, digest works."""
    with ExitStack() as stack:
        cams: list[ReplayCamera] = []
        for host in hosts:
            cams.append(stack.enter_context(replay_camera(
                hikvision_routes(), ws_password=password, ws_refusal_digest=True, host=host,
                port=cams[0].port if cams else 0)))
        yield cams


def test_discover_then_check_with_a_wrong_password_refuses_at_most_two_logins(run) -> None:
    """One process, discover then check, two cameras: never more than 2 refused logins per camera."""
    with hikvisions("127.0.81.10", "127.0.81.11") as cams:
        port = str(cams[0].port)
        code, doc = run.json("discover", "--subnet", "127.0.81.10/32", "--subnet", "127.0.81.11/32",
                             "--http-port", port, "--timeout", "1", env=WRONG)
        assert code == 5, doc["errors"]
        assert {e["target"] for e in doc["errors"]} == {"127.0.81.10", "127.0.81.11"}
        after_discover = [c.refused for c in cams]
        code, doc = run.json("check", *(c.target for c in cams), env=WRONG)
        assert code == 5, doc["errors"]
        for device in doc["data"]["devices"]:
            assert device["error"]["code"] == "AuthFailed"
            assert "no login tried" in device["error"]["message"]  # the budget, not the camera
    for cam in cams:
        assert 1 <= cam.refused <= 2, (cam.target, cam.refused)
        assert cam.logins == cam.refused  # nothing else carried the password
    assert after_discover == [c.refused for c in cams]  # check sent no password at all


def test_right_password_is_read_and_probed_once_without_a_digest_retry(run) -> None:
    """The probe's token is refused with 401 + Digest: the probe takes no digest second try."""
    with hikvisions("127.0.81.12", "127.0.81.13") as cams:
        code, doc = run.json("check", *(c.target for c in cams), env=GOOD)
    assert code in (0, 3), doc["errors"]
    for device in doc["data"]["devices"]:
        assert device["overall"] != "ERROR", device["error"]
        assert verdict(device, "default-credentials")["status"] == "PASS"
    for cam in cams:
        assert cam.refused == 1  # the random wrong password, once; never retried with digest
        assert cam.wrong_accepted == 0


# --- default-credentials judges the camera --------------------------------------------------------

def test_a_camera_that_accepts_any_password_fails_default_credentials(run) -> None:
    with replay_camera(hikvision_routes(), ws_password=RIGHT, accept_any_password=True,
                       host="127.0.81.20") as careless, \
            replay_camera(hikvision_routes(), ws_password=RIGHT, host="127.0.81.21") as careful:
        code, doc = run.json("check", careless.target, careful.target, env=GOOD)
        # A second check in the same run asks no second wrong password.
        code_again, _doc = run.json("check", careless.target, careful.target, env=GOOD)
    assert code == code_again == 3, doc["errors"]
    devices = by_target(doc)
    bad = verdict(devices[careless.target], "default-credentials")
    assert bad["status"] == "FAIL"
    assert "accepts any password" in bad["detail"]
    assert careless.wrong_accepted == 1  # exactly one deliberately wrong password, ever
    assert verdict(devices[careful.target], "default-credentials")["status"] == "PASS"
    assert careful.refused == 1


# --- a web server is no camera ---------------------------------------------------------------------

class _PrinterPage(http.server.BaseHTTPRequestHandler):
    """A printer's web page: 200 and HTML for anything."""

    def log_message(self, format: str, *args: object) -> None:
        return

    def _page(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 1 << 16))
        body = b"<!DOCTYPE html><html><body><h1>LaserJet status</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page  # noqa: N815 (http.server's names)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def web_server(host: str, handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("handler", [_Quiet, _PrinterPage], ids=["http.server", "printer-page"])
def test_a_web_server_is_not_a_camera(run, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
    with web_server("127.0.81.30", handler) as page, \
            replay_camera(hikvision_routes(), ws_password=RIGHT, host="127.0.81.31") as camera:
        code, doc = run.json("check", page, camera.target, env=GOOD)
    assert code == 4, doc["errors"]
    devices = by_target(doc)
    assert devices[page]["overall"] == "ERROR"
    assert devices[page]["error"]["code"] == "NotACamera"
    assert "no ONVIF device" in devices[page]["error"]["message"]
    assert devices[page]["verdicts"] == []  # nothing passes
    assert devices[camera.target]["overall"] != "ERROR"
