"""The Dahua HTTP API adapter (kitchencam/vendors/dahua.py) against recorded and hostile replies.

The replies in tests/data/vendors/dahua (sources and licences in tests/data/vendors/README) are
served by a small HTTP server on 127.0.0.1 with HTTP Digest (the simulator's own authority), so
the adapter runs its real client over a real socket; hostile replies go through the same path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kitchencam.errors import AuthFailed, BadReply, DeviceFault, NotSupported
from kitchencam.logins import LoginBudget
from kitchencam.sim.wsse import DigestAuthority
from kitchencam.vendors.base import RegistrationTarget, VendorCamera, VendorChange, VendorWanted
from kitchencam.vendors.dahua import (
    MAX_LINES,
    SOFTWARE_VERSION,
    SYSTEM_INFO,
    DahuaAdapter,
    codec_name,
    get_config_path,
    parse_key_values,
    set_config_path,
)

DATA = Path(__file__).parents[1] / "data" / "vendors" / "dahua"
PASSWORD = "Recorded-1"


def recorded(name: str) -> bytes:
    return (DATA / name).read_bytes()


RECORDED: dict[str, tuple[int, bytes]] = {
    SYSTEM_INFO: (200, recorded("getSystemInfo.txt")),
    SOFTWARE_VERSION: (200, recorded("getSoftwareVersion.txt")),
    **{get_config_path(name): (200, recorded(f"{name}.txt"))
       for name in ("Encode", "SmartEncode", "DDNS", "T2UServer", "DVRIP", "Telnet")},
}


class DahuaReplies:
    """Serves fixed replies by path (query included) on 127.0.0.1, Digest for every path but ``open``."""

    def __init__(self, routes: dict[str, tuple[int, bytes]], *, open_paths: tuple[str, ...] = ()) -> None:
        self.routes = dict(routes)
        self.open_paths = open_paths
        self.seen: list[str] = []
        self.digest = DigestAuthority("Login to 12345", lambda: {"admin": PASSWORD})
        owner = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5

            def do_GET(self) -> None:
                if self.path not in owner.open_paths:
                    user, stale = owner.digest.check("GET", self.path, self.headers.get("Authorization"))
                    if user is None:
                        self._send(401, b"", {"WWW-Authenticate": owner.digest.challenge(stale)})
                        return
                owner.seen.append(self.path)
                status, body = owner.routes.get(self.path, (400, b"Error\r\nBad Request!\r\n"))
                self._send(status, body)

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "text/plain;charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def camera(self, password: str = PASSWORD, budget: LoginBudget | None = None) -> VendorCamera:
        return VendorCamera("127.0.0.1", self.server.server_address[1], "admin", password,
                            budget=budget or LoginBudget(), timeout_s=3.0)


@pytest.fixture
def serve() -> Iterator[type[DahuaReplies]]:
    started: list[DahuaReplies] = []

    class Started(DahuaReplies):
        def __init__(self, *args: object, **kw: object) -> None:
            super().__init__(*args, **kw)  # type: ignore[arg-type]
            started.append(self)
            self.thread.start()

    try:
        yield Started
    finally:
        for s in started:
            s.server.shutdown()
            s.server.server_close()
            s.thread.join(timeout=5)


# --- the parser, on the recordings ---------------------------------------------------------------


def test_the_recorded_system_info_parses_to_its_values() -> None:
    kv = parse_key_values(recorded("getSystemInfo.txt"), target="t", call="c")
    assert (kv.text("deviceType"), kv.text("serialNumber"), kv.boolean("appAutoStart")) == ("IP4M-1041B", "12345", True)
    assert kv.text("updateSerialCloudUpgrade") == "IPC-AW46WN-....."


@pytest.mark.parametrize(("raw", "onvif"), [("H.264", "H264"), ("H.264H", "H264"), ("H.264B", "H264"),
                                            ("H.265", "H265"), ("MJPG", "JPEG"), ("SVAC", "SVAC")])
def test_dahua_compression_words_in_onvif_spelling(raw: str, onvif: str) -> None:
    assert codec_name(raw) == onvif


# --- the adapter, on the recordings --------------------------------------------------------------


def test_read_against_the_recordings(serve: type[DahuaReplies]) -> None:
    server = serve(RECORDED)
    facts = DahuaAdapter(server.camera()).read()
    assert facts.read_errors == []
    assert (facts.model and facts.model.value, facts.serial and facts.serial.value) == ("IP4M-1041B", "12345")
    assert facts.firmware is not None
    assert facts.firmware.value == "2.212.0000.0.R,build:2013-11-14"
    assert facts.main_codec is not None
    assert (facts.main_codec.value, facts.main_codec.call) == ("H265", "Dahua HTTP API Encode")
    assert facts.smart_codec is not None
    assert (facts.smart_codec.value, facts.smart_codec.call) == (False, "Dahua HTTP API SmartEncode")
    assert facts.ddns is not None  # the first enabled entry, [1]
    assert facts.ddns.value.model_dump() == {"enabled": True, "provider": "Dahua DDNS",
                                             "hostname": "kitchen.dahuaddns.com"}
    assert facts.p2p is not None
    assert (facts.p2p.value.name, facts.p2p.value.enabled) == ("P2P", True)
    auto = facts.registration("auto-register")
    assert auto is not None
    assert (auto.value.enabled, auto.value.server, auto.value.port, auto.value.device_id) == (
        True, "10.20.0.5", 9500, "kitchen-01")
    assert [(s.value.name, s.value.enabled, s.value.port) for s in facts.services] == [
        ("DVRIP", None, 37777), ("Telnet", False, None)]
    assert facts.login_lock is None


def test_probe_confirms_with_one_login(serve: type[DahuaReplies]) -> None:
    server = serve(RECORDED)
    budget = LoginBudget()
    probe = DahuaAdapter(server.camera(budget=budget)).probe()
    assert (probe.answered, probe.confirmed, probe.logins, probe.model) == (True, True, 1, "IP4M-1041B")


def test_an_html_404_is_answered_but_not_dahua_and_spends_no_login(serve: type[DahuaReplies]) -> None:
    server = serve({SYSTEM_INFO: (404, b"<html><body>404 Not Found</body></html>")}, open_paths=(SYSTEM_INFO,))
    budget = LoginBudget(max_refused=0)  # a login would fail the test
    probe = DahuaAdapter(server.camera(budget=budget)).probe()
    assert (probe.answered, probe.confirmed, probe.logins) == (True, False, 0)
    assert probe.error is not None


def test_an_html_200_is_not_dahua(serve: type[DahuaReplies]) -> None:
    page = b'<html><head><meta charset="utf-8"></head><body>login</body></html>'
    server = serve({SYSTEM_INFO: (200, page)}, open_paths=(SYSTEM_INFO,))
    probe = DahuaAdapter(server.camera()).probe()
    assert (probe.answered, probe.confirmed) == (True, False)
    assert probe.error is not None
    assert probe.error.code == "BadReply"


def test_the_indexed_p2p_form_is_read_and_set_in_that_form(serve: type[DahuaReplies]) -> None:
    routes = dict(RECORDED)
    routes[get_config_path("T2UServer")] = (200, recorded("T2UServer-indexed.txt"))
    routes[set_config_path([("T2UServer[0].Enable", "true")])] = (200, recorded("setConfig-ok.txt"))
    server = serve(routes)
    adapter = DahuaAdapter(server.camera())
    facts = adapter.read()
    assert facts.p2p is not None
    assert facts.p2p.value.enabled is False
    done = adapter.apply(adapter.plan(facts, VendorWanted(p2p=True)))
    assert [(c.setting, c.before, c.after) for c in done] == [("p2p", False, True)]
    assert server.seen[-1] == set_config_path([("T2UServer[0].Enable", "true")])


def test_a_set_not_answered_ok_is_a_device_fault_naming_what_was_applied(serve: type[DahuaReplies]) -> None:
    routes = dict(RECORDED)
    routes[set_config_path([("SmartEncode[0].Enable", "true")])] = (200, recorded("setConfig-ok.txt"))
    routes[set_config_path([("DVRIP.RegisterServer.Enable", "false")])] = (200, recorded("error-bad-request.txt"))
    server = serve(routes)
    adapter = DahuaAdapter(server.camera())
    changes = [VendorChange(setting="smart_codec", before=False, after=True,
                            call="Dahua HTTP API setConfig SmartEncode"),
               VendorChange(setting="registration", kind="auto-register", before=True, after=False,
                            call="Dahua HTTP API setConfig DVRIP")]
    with pytest.raises(DeviceFault) as raised:
        adapter.apply(changes)
    assert "setConfig DVRIP" in raised.value.message
    assert "setConfig SmartEncode" in raised.value.message  # applied before it
    assert [c.setting for c in adapter.applied] == ["smart_codec"]


def test_a_wrong_password_is_one_refused_login(serve: type[DahuaReplies]) -> None:
    server = serve(RECORDED)
    budget = LoginBudget()
    with pytest.raises(AuthFailed):
        DahuaAdapter(server.camera(password="wrong", budget=budget)).read()
    assert budget.refused_calls("127.0.0.1") == ["Dahua HTTP API getSystemInfo"]
    assert server.seen == []


# --- hostile replies: each a classified error for its call, the rest still read ------------------


HOSTILE: list[tuple[str, int, bytes, str]] = [
    ("binary", 200, b"table.SmartEncode[0].Enable=\xff\xfe\x00\x01", "BadReply"),
    ("nul", 200, b"table.SmartEncode[0].Enable=true\x00\r\n", "BadReply"),
    ("wrong type", 200, b"table.SmartEncode[0].Enable=yes\r\n", "BadReply"),
    ("missing key", 200, b"table.SmartEncode[0].Other=true\r\n", "BadReply"),
    ("no equals", 200, b"table.SmartEncode[0].Enable\r\n", "BadReply"),
    ("empty", 200, b"", "BadReply"),
    ("too many lines", 200, b"table.X[0].Y=1\r\n" * (MAX_LINES + 1), "BadReply"),
    ("value too long", 200, b"table.SmartEncode[0].Enable=" + b"t" * 300 + b"\r\n", "BadReply"),
    ("huge", 200, b"a=" + b"x" * (300 * 1024), "BadReply"),
    ("error body", 400, b"Error\r\nBad Request!\r\n", "NotSupported"),
    ("error body with 200", 200, b"Error\r\nBad Request!\r\n", "NotSupported"),
    ("server error", 500, b"Error\r\nInternal Error\r\n", "DeviceFault"),
]


@pytest.mark.parametrize(("label", "status", "body", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_smart_encode_reply_is_a_read_error_for_that_call(serve: type[DahuaReplies], label: str,
                                                                    status: int, body: bytes, code: str) -> None:
    routes = dict(RECORDED)
    routes[get_config_path("SmartEncode")] = (status, body)
    facts = DahuaAdapter(serve(routes).camera()).read()
    assert [(e.operation, e.code) for e in facts.read_errors] == [("Dahua HTTP API SmartEncode", code)]
    assert facts.smart_codec is None
    assert facts.main_codec is not None  # the rest still read
    assert facts.p2p is not None


@pytest.mark.parametrize("port", [b"65536", b"-1", b"9500x", b"99999999999999999999"])
def test_a_port_out_of_range_is_bad_reply(port: bytes) -> None:
    kv = parse_key_values(b"table.DVRIP.RegisterServer.Servers[0].Port=" + port + b"\r\n", target="t", call="c")
    with pytest.raises(BadReply):
        kv.integer("table.DVRIP.RegisterServer.Servers[0].Port", 0, 65535)


def test_a_long_value_is_refused_only_when_used() -> None:
    kv = parse_key_values(b"table.Other=" + b"y" * 1000 + b"\r\ntable.Telnet.Enable=true\r\n", target="t", call="c")
    assert kv.boolean("table.Telnet.Enable") is True
    with pytest.raises(BadReply):
        kv.text("table.Other")


# --- Auto Register (issue 15) ---------------------------------------------------------------------

SET_REGISTER = set_config_path([("DVRIP.RegisterServer.Enable", "true"),
                                ("DVRIP.RegisterServer.Servers[0].Address", "dss.district.example"),
                                ("DVRIP.RegisterServer.Servers[0].Port", "9000"),
                                ("DVRIP.RegisterServer.DeviceID", "KC-0101-01")])


def test_auto_register_is_one_set_config_of_every_key_after_reading_the_backup(serve: type[DahuaReplies]) -> None:
    server = serve({**RECORDED, SET_REGISTER: (200, b"OK\r\n")})
    before = DahuaAdapter(server.camera()).set_registration(RegistrationTarget(
        kind="auto-register", server="dss.district.example", port=9000, device_id="KC-0101-01"))
    assert (before.enabled, before.server, before.port, before.device_id, before.status) == (
        True, "10.20.0.5", 9500, "kitchen-01", None)
    assert server.seen == [get_config_path("DVRIP"), SET_REGISTER]


def test_restore_writes_the_backup_back(serve: type[DahuaReplies]) -> None:
    restore = set_config_path([("DVRIP.RegisterServer.Enable", "true"),
                               ("DVRIP.RegisterServer.Servers[0].Address", "10.20.0.5"),
                               ("DVRIP.RegisterServer.Servers[0].Port", "9500"),
                               ("DVRIP.RegisterServer.DeviceID", "kitchen-01")])
    server = serve({**RECORDED, restore: (200, b"OK\r\n")})
    adapter = DahuaAdapter(server.camera())
    before, _port = adapter.auto_register()
    adapter.restore_registration(before)
    assert server.seen[-1] == restore


@pytest.mark.parametrize(("status", "body"), [(200, b"Error\r\nBad Request!\r\n"), (200, b"O"), (500, b"Error")])
def test_a_refused_auto_register_set_is_a_device_fault(serve: type[DahuaReplies], status: int, body: bytes) -> None:
    server = serve({**RECORDED, SET_REGISTER: (status, body)})
    with pytest.raises(DeviceFault) as raised:
        DahuaAdapter(server.camera()).set_registration(RegistrationTarget(
            kind="auto-register", server="dss.district.example", port=9000, device_id="KC-0101-01"))
    assert "not changed" in str(raised.value)


def test_gb28181_is_not_set_through_the_dahua_http_api() -> None:
    adapter = DahuaAdapter(VendorCamera("127.0.0.1", 9, "admin", PASSWORD, budget=LoginBudget()))
    with pytest.raises(NotSupported):
        adapter.set_registration(RegistrationTarget(kind="gb28181", server="10.0.0.1", port=5060))
    assert adapter.http.logins == 0
