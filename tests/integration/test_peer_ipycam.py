"""kitchencam against an ONVIF device that no one here wrote: ipycam (PyPI, MIT), through the real CLI.

ipycam ("Pure Python Virtual IP Camera with ONVIF support") is installed from PyPI by the ``test``
extra. Its ``IPCamera.start()`` binds 0.0.0.0, joins WS-Discovery multicast on the machine's
interface, multicasts a Hello and starts RTSP/MJPEG servers, so it is not called here. The tests
run ipycam's own ONVIF pieces instead, unchanged: ``ONVIFService`` (every SOAP reply),
``IPCameraHTTPHandler`` (the HTTP side, WS-UsernameToken check included) in a ThreadingHTTPServer
bound to 127.0.120.x, and ``WSDiscoveryServer``'s Probe handling on a socket bound to
127.0.120.x:3702 with no multicast membership and no Hello/Bye. Nothing leaves loopback.

Where ipycam 1.3.0 is not ONVIF-conformant, the comment next to the test that meets it says so:

- it routes by substring of the action, so ``GetVideoEncoderConfigurations`` and
  ``GetVideoEncoderConfigurationOptions`` are both answered with a
  ``trt:GetVideoEncoderConfigurationResponse`` (one configuration, the main one);
- with credentials set it refuses even ``GetSystemDateAndTime`` without a UsernameToken (ONVIF
  Core lets it go unauthenticated, so clients can correct their clock first), with HTTP 401 and a
  ``s:Receiver`` fault that has no ``ter:NotAuthorized`` subcode;
- its profiles' ``tt:VideoEncoderConfiguration`` lacks ``UseCount``, ``Multicast`` and
  ``SessionTimeout``, which onvif.xsd requires;
- its WS-Discovery answer puts ``d:ProbeMatch`` straight in the Body, without the
  ``d:ProbeMatches`` that WS-Discovery 2005/04 wraps it in;
- and writes ``d:EndpointReference`` where the schema has ``wsa:EndpointReference``;
- its scopes carry the camera's name unescaped: ``onvif://www.onvif.org/name/Bep MN`` is two
  scopes in WS-Discovery's space-separated list (a scope is a URI: ``Bep%20MN``);
- unsupported actions get a ``s:Receiver`` fault without the ``ter:ActionNotSupported`` subcode.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts
from kitchencam.store import Store

try:  # ipycam imports cv2, whose wheel needs libGL.so.1 and glib from the system
    from ipycam import __version__ as IPYCAM_VERSION  # noqa: N812
    from ipycam.config import CameraConfig
    from ipycam.discovery import WSDiscoveryServer
    from ipycam.http import IPCameraHTTPHandler
    from ipycam.onvif import ONVIFService
except ImportError as exc:  # pragma: no cover - depends on the machine
    pytest.skip(f"ipycam is not importable ({exc}): install the test extra and run "
                "scripts/install-test-deps.sh (libgl1, libglib2.0 for opencv-python)", allow_module_level=True)

USER, PASSWORD = "bep-truong", "Bep-An-2024-an-toan"
FAST = Timeouts(connect=1.0, read=3.0)
IDENTITY = {"name": "Bep MN Ta Thanh Oai", "manufacturer": "PeerCam", "model": "VC-2560", "serial_number": "PC-0042",
            "main_width": 2560, "main_height": 1440, "main_fps": 25, "main_bitrate": "4M",
            "sub_width": 640, "sub_height": 360, "sub_fps": 15, "sub_bitrate": "512K", "rtsp_port": 18554}


@dataclass
class Peer:
    """One ipycam ONVIF device on loopback, and the SOAP requests it received."""

    ip: str
    config: Any
    onvif: Any
    server: ThreadingHTTPServer
    discovery: Any = None
    requests: list[tuple[str, str, bool]] = field(default_factory=list)  # (path, SOAPAction, has token)

    @property
    def target(self) -> str:
        return f"{self.ip}:{self.config.onvif_port}"

    def actions(self) -> list[str]:
        return [a.rsplit("/", 1)[-1] for _p, a, _t in self.requests]


class _LoopbackDiscovery(WSDiscoveryServer):  # type: ignore[misc]
    """ipycam's Probe handling and ProbeMatch, on (ip, 3702) only: no multicast group, no Hello/Bye."""

    def __init__(self, onvif: Any, ip: str) -> None:
        threading.Thread.__init__(self, daemon=True)
        self.onvif = onvif
        self.running = True
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, WSDiscoveryServer.MULTICAST_PORT))
        self.sock.settimeout(0.1)  # the run loop looks at self.running this often

    def _send_announcement(self, action: str) -> None:
        return  # Hello/Bye go to 239.255.255.250: never from a test


def _wait_ready(peer: Peer, deadline_s: float = 5.0) -> None:
    """Bounded: the peer answers an ONVIF request (any HTTP status) within ``deadline_s``."""
    body = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
            b'<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>')
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection((peer.ip, peer.config.onvif_port), timeout=0.5) as s:
                s.sendall(b"POST /onvif/device_service HTTP/1.0\r\nContent-Type: application/soap+xml\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                if s.recv(12).startswith(b"HTTP/1."):
                    peer.requests.clear()
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"ipycam peer on {peer.target} did not answer within {deadline_s} s")


@pytest.fixture
def start_peer() -> Iterator[Callable[..., Peer]]:
    started: list[Peer] = []

    def start(ip: str, *, discovery: bool = False, **config: Any) -> Peer:
        handler: type = type("PeerHandler", (IPCameraHTTPHandler,), {})
        server = ThreadingHTTPServer((ip, 0), handler)
        server.daemon_threads = True
        # local_ip given: ipycam does not look for the machine's outward address
        cfg = CameraConfig(local_ip=ip, onvif_port=server.server_address[1], **{**IDENTITY, **config})
        onvif = ONVIFService(cfg, None)
        peer = Peer(ip=ip, config=cfg, onvif=onvif, server=server)
        started.append(peer)

        def handle_onvif(self: Any) -> None:  # record the request, then ipycam's own handler
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            peer.requests.append((self.path, self.headers.get("SOAPAction", "").strip('"'), b"UsernameToken" in raw))
            self.rfile = io.BytesIO(raw)
            IPCameraHTTPHandler.handle_onvif(self)

        handler.camera = type("Camera", (), {"onvif": onvif, "config": cfg})()
        handler.handle_onvif = handle_onvif
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        if discovery:
            peer.discovery = _LoopbackDiscovery(onvif, ip)
            peer.discovery.start()
        _wait_ready(peer)
        return peer

    yield start
    for peer in started:
        peer.server.shutdown()
        peer.server.server_close()
        if peer.discovery is not None:
            peer.discovery.stop()
            peer.discovery.join(2)


def verdicts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["rule"]: v for v in doc["data"]["devices"][0]["verdicts"]}


ENV = {"KITCHENCAM_USER": USER, "KITCHENCAM_PASSWORD": PASSWORD}


def test_ipycam_version_is_the_one_documented() -> None:
    # docs/explanation/independent-peers.md names the version the findings below were made with.
    assert IPYCAM_VERSION.split(".")[0] == "1"


def test_check_reads_identity_and_stream_the_peer_serves(run, start_peer, isolated: Path) -> None:
    peer = start_peer("127.0.120.11", username=USER, password=PASSWORD)
    code, doc = run.json("check", peer.target, env=ENV)
    [device] = doc["data"]["devices"]
    assert (device["manufacturer"], device["model"], device["serial"], device["firmware"]) == (
        "PeerCam", "VC-2560", "PC-0042", IPYCAM_VERSION)
    assert device["xaddr"] == f"http://{peer.target}/onvif/device_service"
    found = verdicts(doc)
    # the main stream as ipycam's profile and encoder replies describe it
    assert found["main-stream"]["seen"] == "H264 2560x1440 25 fps 4000 kbit/s"
    assert found["main-stream"]["status"] == "FAIL"  # H264, 2560x1440, 4 Mbit/s: off the profile's target
    assert found["onvif"]["status"] == "PASS"
    assert "2.05" in found["onvif"]["seen"]  # ipycam's GetServices says Major 2, Minor 5
    assert found["timezone"]["status"] == "FAIL"
    assert "UTC+00:00" in found["timezone"]["seen"]  # its TZ is "GMT+00:00"
    assert found["clock"]["status"] == "PASS"  # it serves the host's own clock
    # GetNTP is answered with a fault: UNKNOWN with the reason, never "NTP: none"
    assert found["ntp"]["status"] == "UNKNOWN"
    assert "GetNTP" in found["ntp"]["detail"]
    assert code == 3
    assert doc["status"] == "partial"
    [err] = doc["errors"]
    assert (err["code"], err["exit_code"], err["target"]) == ("NonCompliant", 3, peer.target)
    assert PASSWORD not in str(doc)
    # every credentialed request carried a UsernameToken that ipycam accepted: nothing came back 401
    assert "GetDeviceInformation" in peer.actions()
    with Store(isolated / "data" / "kitchencam.db") as store:
        [site] = store.list_sites()
        [stored] = store.latest_checks(site.id)
    assert (stored.target, stored.serial) == (peer.target, "PC-0042")


def test_reader_gets_profiles_encoders_and_stream_uris(start_peer) -> None:
    peer = start_peer("127.0.120.12", username=USER, password=PASSWORD)
    with OnvifCamera(peer.target, user=USER, password=PASSWORD, timeouts=FAST) as camera:
        facts = read_facts(camera)
    assert facts.media2 is False  # ipycam offers Media1 only
    assert [(p.token, p.name, p.encoder_token, p.video_source_token) for p in facts.profiles] == [
        ("Profile_Main", "MainStream", "VEC_1", "VS_1"), ("Profile_Sub", "SubStream", "VEC_2", "VS_1")]
    assert [p.stream_uri for p in facts.profiles] == [
        "rtsp://127.0.120.12:18554/video_main", "rtsp://127.0.120.12:18554/video_sub"]
    assert {p.snapshot_uri for p in facts.profiles} == {f"http://{peer.target}/snapshot.jpg"}
    by_token = {e.token: e for e in facts.encoders}
    main, sub = by_token["VEC_1"], by_token["VEC_2"]
    assert (main.encoding, main.width, main.height, main.fps, main.bitrate_kbps) == ("H264", 2560, 1440, 25.0, 4000)
    assert (sub.encoding, sub.width, sub.height, sub.fps, sub.bitrate_kbps) == ("H264", 640, 360, 15.0, 512)
    assert facts.device_info is not None
    assert facts.device_info.manufacturer == "PeerCam"
    assert facts.scopes is not None
    assert facts.scopes.name == "Bep MN Ta Thanh Oai"
    assert facts.time is not None
    assert facts.time.timezone == "GMT+00:00"
    # what ipycam does not implement is a classified gap, not a crash
    failed = {e.operation: e.code for e in facts.read_errors}
    assert failed["tds:GetNTP"] == "NotSupported"
    assert failed["timg:GetImagingSettings"] == "NotSupported"  # no imaging service advertised


# ipycam 1.3.0 answers trt:GetVideoEncoderConfigurations and GetVideoEncoderConfigurationOptions with
# a trt:GetVideoEncoderConfigurationResponse (a defect in the peer). zeep fills the expected type from
# it; kitchencam checks the response element's name and reports a malformed reply instead.
def test_reply_of_the_wrong_element_is_an_error_not_an_empty_encoder(start_peer) -> None:
    peer = start_peer("127.0.120.14", username=USER, password=PASSWORD)
    with OnvifCamera(peer.target, user=USER, password=PASSWORD, timeouts=FAST) as camera:
        facts = read_facts(camera)
    assert "" not in {e.token for e in facts.encoders}
    assert facts.error_for("trt:GetVideoEncoderConfigurations") is not None
    assert facts.error_for("trt:GetVideoEncoderConfigurationOptions") is not None


def test_wrong_password_exits_5_after_at_most_two_refused_logins(run, start_peer) -> None:
    peer = start_peer("127.0.120.15", username=USER, password=PASSWORD)
    code, doc = run.json("check", peer.target, env={"KITCHENCAM_USER": USER, "KITCHENCAM_PASSWORD": "sai-mat-khau"})
    assert code == 5
    [err] = doc["errors"]
    assert (err["code"], err["exit_code"], err["target"]) == ("AuthFailed", 5, peer.target)
    assert doc["data"]["devices"][0]["error"]["code"] == "AuthFailed"
    # ipycam refuses every request without a valid token, GetSystemDateAndTime too (not conformant:
    # ONVIF Core lets that one through unauthenticated). kitchencam sends it once without
    # credentials, then stops at the first refused credentialed request or the one after.
    credentialed = [a for _p, a, token in peer.requests if token]
    assert 1 <= len(credentialed) <= 2, peer.requests
    assert "sai-mat-khau" not in str(doc)


def test_unreachable_peer_is_exit_4(run, start_peer) -> None:
    peer = start_peer("127.0.120.16", username=USER, password=PASSWORD)
    target = peer.target
    peer.server.shutdown()
    peer.server.server_close()
    code, doc = run.json("check", target, env=ENV)
    assert code == 4
    assert doc["errors"][0]["code"] == "Unreachable"


def test_peer_that_accepts_any_password_fails_default_credentials(run, start_peer) -> None:
    # ipycam with no credentials configured (its default) accepts any user name and password: after
    # the real login, one deliberately wrong password is accepted too (kitchencam/logins.py).
    peer = start_peer("127.0.120.17")  # ipycam's default: authentication off
    _code, doc = run.json("check", peer.target, env=ENV)
    found = verdicts(doc)
    assert found["default-credentials"]["status"] == "FAIL"
    assert "any password" in (found["default-credentials"]["seen"] or "") + found["default-credentials"]["detail"]


def test_discover_finds_the_peer_by_unicast_ws_discovery(run, start_peer) -> None:
    peer = start_peer("127.0.120.18", discovery=True, username=USER, password=PASSWORD)
    code, doc = run.json("discover", "--subnet", "127.0.120.18/32", "--http-port", str(peer.config.onvif_port),
                         "--timeout", "2", env=ENV)
    assert code == 0, doc["errors"]
    [device] = doc["data"]["devices"]
    assert device["address"] == "127.0.120.18"
    assert device["kind"] == "camera"
    assert device["onvif"] == "on"
    # ipycam's ProbeMatch comes without the ProbeMatches wrapper (peer defect); read all the same
    assert "unicast" in device["found_by"]
    assert device["endpoint"] == peer.onvif.device_uuid
    assert device["xaddr"] == f"http://{peer.target}/onvif/device_service"
    # ipycam writes the name into its scopes unescaped (a scope is a URI: the spaces should be %20),
    # so the space-separated Scopes list cuts it at the first space (peer defect; GetScopes is whole)
    assert device["name"] == "Bep"
    assert "Streaming" in device["profiles"]
    # with credentials: the identity read over ONVIF
    assert (device["manufacturer"], device["model"], device["serial"]) == ("PeerCam", "VC-2560", "PC-0042")
    [searched] = [s for s in doc["data"]["searched"] if s["interface"] == "unicast"]
    assert searched["malformed"] == 0
