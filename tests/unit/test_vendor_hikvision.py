"""The Hikvision ISAPI adapter against recorded replies (tests/data/vendors/hikvision, sources in
tests/data/vendors/README) and against hostile ones.

The parsers are tested on the recordings directly; the adapter talks to a tiny ISAPI server on
127.0.0.1 that answers those recordings behind HTTP Digest (the simulator's DigestAuthority), so
the real VendorHttp, login budget and parsing run end to end. The server stops with the test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree

from kitchencam.errors import AuthFailed, BadReply, ConfigError, DeviceFault, NotSupported
from kitchencam.logins import LoginBudget
from kitchencam.sim.wsse import DigestAuthority
from kitchencam.vendors import hikvision as hik
from kitchencam.vendors.base import RegistrationTarget, VendorCamera, VendorFacts, VendorWanted
from kitchencam.vendors.registration import check_host

DATA = Path(__file__).resolve().parents[1] / "data" / "vendors" / "hikvision"
NS = "http://www.hikvision.com/ver20/XMLSchema"
USER, PASSWORD = "admin", "Recorded-Pw1"


def recording(name: str) -> bytes:
    return (DATA / name).read_bytes()


def root_of(name: str):
    return hik.parse_xml(recording(name), "test")


# --- the parsers on the recordings ----------------------------------------------------------------


def test_device_info_of_a_ds_2cd2386g2():
    assert hik.parse_device_info(root_of("deviceInfo_DS-2CD2386G2-IU.xml")) == (
        "DS-2CD2386G2-IU", "DS-2CD2386G2-IU00000000AAWRJ00000000", "V5.7.14")


def test_main_channel_codec_and_smart_codec():
    assert hik.parse_channel(root_of("streamingChannel101_DS-2CD2386G2-IU.xml")) == ("H264", False)


def test_ezviz_is_hik_connect_and_never_keeps_the_verification_code():
    cloud, registration = hik.parse_ezviz(root_of("ezviz_DS-K1A340FWX.xml"))
    assert (cloud.name, cloud.enabled, cloud.status) == ("Hik-Connect", False, "offline")
    assert (registration.kind, registration.enabled, registration.server) == (
        "hik-connect", False, "litedev.hik-connect.com")
    assert "verification" not in registration.model_dump_json().lower()


def test_ehome_factory_and_after_use():
    factory = hik.parse_ehome(root_of("ehome_factory_DS-K1A340FWX.xml"))
    assert (factory.kind, factory.enabled, factory.server, factory.port, factory.device_id) == (
        "isup", False, None, None, None)
    used = hik.parse_ehome(root_of("ehome_disabled_after_use_DS-K1A340FWX.xml"))
    assert (used.server, used.port, used.device_id, used.protocol_version, used.status) == (
        "0.0.0.0", 1024, "0", "v5.0", "offline")


def test_the_ehome_key_is_never_read():
    body = recording("ehome_disabled_after_use_DS-K1A340FWX.xml").replace(
        b"<deviceID>", b"<key>s3cret-isup-key</key><deviceID>")
    assert "s3cret" not in hik.parse_ehome(hik.parse_xml(body, "test")).model_dump_json()


def test_login_lock_in_seconds_and_in_minutes():
    lock = hik.parse_login_lock(root_of("illegalLoginLock_DS-K1A340FWX.xml"))
    assert (lock.enabled, lock.max_attempts, lock.lock_minutes) == (True, 5, 30.0)  # 1800 s
    minutes = hik.parse_xml(f'<IllegalLoginLock xmlns="{NS}"><enabled>false</enabled><maxIllegalLoginTimes>7'
                            "</maxIllegalLoginTimes><maxIllegalLoginLockTime>30</maxIllegalLoginLockTime>"
                            "</IllegalLoginLock>".encode(), "test")
    assert hik.parse_login_lock(minutes).model_dump() == {"enabled": False, "max_attempts": 7, "lock_minutes": 30.0}


def test_admin_accesses_keep_an_absent_enabled_as_unknown():
    services = hik.parse_admin_accesses(root_of("adminAccesses_DS-K1A340FWX.xml"))
    assert [(s.name, s.enabled, s.port) for s in services] == [
        ("HTTP", True, 80), ("DEV_MANAGE", None, 8000), ("HTTPS", True, 443)]


@pytest.mark.parametrize(("name", "expected"), [
    ("ddns_noip_nvr.xml", (True, "NoIpDns", "all.ddnskey.com")),
    ("ddnsList_psia_ver10.xml", (False, "HiDDNS", None)),  # the old std-cgi ver10 namespace
])
def test_ddns_in_both_forms(name, expected):
    ddns = hik.parse_ddns(root_of(name))
    assert (ddns.enabled, ddns.provider, ddns.hostname) == expected


def test_sip_standard_block():
    sip = hik.parse_sip(root_of("sipServerList_DS-KV6114.xml"))
    assert (sip.kind, sip.enabled, sip.server, sip.port, sip.device_id) == (
        "gb28181", True, "192.0.0.64", 5060, "100")


@pytest.mark.parametrize(("name", "status"), [("responseStatus_badXmlContent.xml", (6, "Invalid XML Content",
                                                                                     "badXmlContent")),
                                               ("responseStatus_deviceError.xml", (3, "Device Error", "deviceError"))])
def test_response_status(name, status):
    assert hik.response_status(root_of(name)) == status


# --- hostile replies ------------------------------------------------------------------------------

CHANNEL = recording("streamingChannel101_DS-2CD2386G2-IU.xml")

HOSTILE = {
    "dtd": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "H.265">]><StreamingChannel><Video>'
           b"<videoCodecType>&x;</videoCodecType></Video></StreamingChannel>",
    "external entity": b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><DeviceInfo>&x;</DeviceInfo>',
    "utf-16 dtd": '<!DOCTYPE d [<!ENTITY x "y">]><StreamingChannel/>'.encode("utf-16"),
    "binary": bytes(range(256)) * 4,
    "html": b"<html><body><h1>404 Not Found</h1></body></html>",
    "truncated": CHANNEL[: len(CHANNEL) // 2],
    "empty": b"",
    "wrong boolean": CHANNEL.replace(b"<SmartCodec><enabled>false", b"<SmartCodec><enabled>1"),
    "huge string": CHANNEL.replace(b"H.264", b"H" * 5000),
    "control characters": CHANNEL.replace(b"H.264", b"H.2\x1b[31m64"),
    "no Video": b"<StreamingChannel><id>101</id></StreamingChannel>",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_channel_reply_is_a_bad_reply(case):
    with pytest.raises(BadReply):
        hik.parse_channel(hik.parse_xml(HOSTILE[case], "test"))


@pytest.mark.parametrize(("body", "parser"), [
    (b"<DeviceInfo><model>DS-2CD</model></DeviceInfo>", hik.parse_device_info),  # no serial, no firmware
    (b"<Ehome><portNo>70000</portNo></Ehome>", hik.parse_ehome),  # port out of range
    (b"<Ehome><portNo>12ab</portNo></Ehome>", hik.parse_ehome),  # not a number
    (b"<IllegalLoginLock><maxIllegalLoginTimes>-3</maxIllegalLoginTimes></IllegalLoginLock>", hik.parse_login_lock),
    (b"<EZVIZ><enabled>yes</enabled></EZVIZ>", hik.parse_ezviz),
    (b"<DeviceInfo/>", hik.parse_ehome),  # another document than asked for
])
def test_wrong_types_and_missing_elements_are_bad_replies(body, parser):
    with pytest.raises(BadReply):
        parser(hik.parse_xml(body, "test"))


# --- the adapter against a loopback ISAPI server with the recordings ---------------------------------


@dataclass
class Isapi:
    """What the server answers (path -> (status, body)) and what it was asked."""

    routes: dict[str, tuple[int, bytes]]
    requests: list[tuple[str, str, bool]] = field(default_factory=list)  # (method, path, had credentials)
    puts: dict[str, bytes] = field(default_factory=dict)
    put_reply: tuple[int, bytes] | None = None  # None: ResponseStatus OK
    port: int = 0


@contextmanager
def isapi_server(routes: dict[str, tuple[int, bytes]], password: str = PASSWORD) -> Iterator[Isapi]:
    state = Isapi(dict(routes))
    digest = DigestAuthority("IP Camera(00000000)", lambda: {USER: password})

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "PUT" else b""
            auth = self.headers.get("Authorization")
            state.requests.append((method, self.path, auth is not None))
            user, stale = digest.check(method, self.path, auth)
            if user is None:
                self._send(401, b"<html>401</html>", {"WWW-Authenticate": digest.challenge(stale)})
                return
            if method == "PUT" and state.put_reply is not None:
                state.puts[self.path] = body
                self._send(*state.put_reply)
                return
            if method == "PUT":
                state.puts[self.path] = body
                ok = f"<ResponseStatus xmlns=\"{NS}\"><statusCode>1</statusCode><statusString>OK</statusString>"
                self._send(200, (ok + "<subStatusCode>ok</subStatusCode></ResponseStatus>").encode())
                return
            status, reply = state.routes.get(self.path, (404, recording("responseStatus_badXmlContent.xml")))
            self._send(status, reply)

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_PUT(self) -> None:
            self._answer("PUT")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


RECORDED = {
    "/ISAPI/System/deviceInfo": (200, recording("deviceInfo_DS-2CD2386G2-IU.xml")),
    "/ISAPI/Streaming/channels/101": (200, recording("streamingChannel101_DS-2CD2386G2-IU.xml")),
    "/ISAPI/System/Network/DDNS": (200, recording("ddnsList_psia_ver10.xml")),
    "/ISAPI/System/Network/EZVIZ": (200, recording("ezviz_DS-K1A340FWX.xml")),
    "/ISAPI/System/Network/Ehome": (200, recording("ehome_factory_DS-K1A340FWX.xml")),
    "/ISAPI/System/Network/SIP": (200, recording("sipServerList_DS-KV6114.xml")),
    "/ISAPI/Security/illegalLoginLock": (200, recording("illegalLoginLock_DS-K1A340FWX.xml")),
    "/ISAPI/Security/adminAccesses": (200, recording("adminAccesses_DS-K1A340FWX.xml")),
    "/ISAPI/System/Network/telnetd": (500, recording("responseStatus_deviceError.xml")),
}


def adapter(server: Isapi, budget: LoginBudget | None = None, password: str = PASSWORD) -> hik.HikvisionAdapter:
    return hik.HikvisionAdapter(VendorCamera("127.0.0.1", server.port, USER, password,
                                             budget=budget or LoginBudget(), timeout_s=3.0))


def test_probe_confirms_with_one_login_and_asks_first_without_credentials():
    with isapi_server(RECORDED) as server:
        probe = adapter(server).probe()
    assert (probe.confirmed, probe.answered, probe.model, probe.logins) == (True, True, "DS-2CD2386G2-IU", 1)
    assert probe.call == "Hikvision ISAPI System/deviceInfo"
    assert server.requests[0] == ("GET", "/ISAPI/System/deviceInfo", False)


def test_probe_of_a_web_page_is_answered_but_not_confirmed():
    with isapi_server({"/ISAPI/System/deviceInfo": (200, b"<html><body>router</body></html>")}) as server:
        probe = adapter(server).probe()
    assert (probe.answered, probe.confirmed) == (True, False)
    assert probe.error is not None
    assert probe.error.code == "BadReply"


def test_read_from_the_recordings():
    with isapi_server(RECORDED) as server:
        facts = adapter(server).read()
    assert facts.model is not None
    assert (facts.model.value, facts.model.call) == ("DS-2CD2386G2-IU", "Hikvision ISAPI System/deviceInfo")
    assert facts.main_codec is not None
    assert facts.main_codec.value == "H264"
    assert facts.smart_codec is not None
    assert (facts.smart_codec.value, facts.smart_codec.call) == (False, "Hikvision ISAPI Streaming/channels/101")
    assert facts.p2p is not None
    assert facts.p2p.value.enabled is False
    assert facts.login_lock is not None
    assert facts.login_lock.value.max_attempts == 5
    assert {r.value.kind for r in facts.registrations} == {"hik-connect", "isup", "gb28181"}
    # the one call that failed is a read error; the rest are still read
    assert [(e.operation, e.code, e.subcode) for e in facts.read_errors] == [
        ("Hikvision ISAPI System/Network/telnetd", "DeviceFault", "deviceError")]


def test_a_missing_resource_is_not_supported_and_the_rest_is_read():
    routes = dict(RECORDED)
    routes["/ISAPI/System/Network/SIP"] = (404, b"<html>404</html>")  # a firmware without GB28181
    with isapi_server(routes) as server:
        facts = adapter(server).read()
    errors = {e.operation: e.code for e in facts.read_errors}
    assert errors["Hikvision ISAPI System/Network/SIP"] == "NotSupported"
    assert facts.smart_codec is not None


def test_a_wrong_password_is_one_refused_login_and_raises():
    budget = LoginBudget()
    with isapi_server(RECORDED) as server, pytest.raises(AuthFailed):
        adapter(server, budget, password="wrong").read()
    assert budget.refused_calls("127.0.0.1") == ["Hikvision ISAPI System/deviceInfo"]


def test_apply_puts_the_whole_channel_document_back_with_smart_codec_on():
    with isapi_server(RECORDED) as server:
        isapi = adapter(server)
        facts = isapi.read()
        plan = isapi.plan(facts, VendorWanted(smart_codec=True))
        applied = isapi.apply(plan)
    assert [(c.setting, c.before, c.after, c.call) for c in applied] == [
        ("smart_codec", False, True, "Hikvision ISAPI PUT Streaming/channels/101")]
    sent = hik.parse_xml(server.puts["/ISAPI/Streaming/channels/101"], "test")
    assert hik.parse_channel(sent) == ("H264", True)
    # everything else went back as it came: the Transport block, resolution, bitrate
    assert hik.text(hik.child(sent, "Video"), "vbrUpperCap", "t") == "12288"
    assert hik.child(hik.child(sent, "Transport"), "Multicast") is not None


def test_the_plan_leaves_gb28181_alone_and_hik_connect_to_p2p():
    facts = VendorFacts.model_validate({
        "vendor": "hikvision", "api": "Hikvision ISAPI", "target": "x", "read_at": "2025-01-01T00:00:00Z",
        "p2p": {"value": {"name": "Hik-Connect", "enabled": False}, "call": "c"},
        "registrations": [{"value": {"kind": "hik-connect", "enabled": False}, "call": "c"},
                          {"value": {"kind": "gb28181", "enabled": False}, "call": "c"},
                          {"value": {"kind": "isup", "enabled": True}, "call": "c"}]})
    plan = hik.HikvisionAdapter(VendorCamera("127.0.0.1")).plan(facts, VendorWanted(
        p2p=True, registrations={"hik-connect": True, "gb28181": True, "isup": False}))
    assert [(c.setting, c.kind, c.call) for c in plan] == [
        ("p2p", None, "Hikvision ISAPI PUT System/Network/EZVIZ"),
        ("registration", "isup", "Hikvision ISAPI PUT System/Network/Ehome")]


def test_a_huge_reply_is_refused_for_that_call_only():
    routes = dict(RECORDED)
    padding = b" " * (300 * 1024)
    routes["/ISAPI/Streaming/channels/101"] = (200, b"<StreamingChannel>" + padding + b"</StreamingChannel>")
    with isapi_server(routes) as server:
        facts = adapter(server).read()
    errors = {e.operation: e.code for e in facts.read_errors}
    assert errors["Hikvision ISAPI Streaming/channels/101"] == "BadReply"
    assert facts.smart_codec is None
    assert facts.model is not None


def test_a_refused_put_is_a_device_fault():
    with isapi_server(RECORDED) as server:
        isapi = adapter(server)
        plan = isapi.plan(isapi.read(), VendorWanted(login_lock=False))
        # the camera answers the PUT with statusCode 6 (Invalid XML Content) in an HTTP 200
        server.put_reply = (200, recording("responseStatus_badXmlContent.xml"))
        with pytest.raises(DeviceFault) as raised:
            isapi.apply(plan)
    assert raised.value.subcode == "badXmlContent"
    assert "/ISAPI/Security/illegalLoginLock" in server.puts


# --- outbound registrations (issue 15) ------------------------------------------------------------

ISAPI_ORG = "http://www.isapi.org/ver20/XMLSchema"
ISUP_KEY = "Isup-Key-0c5e"


@pytest.mark.parametrize(("said", "normal"), [
    ("true", "online"), ("false", "offline"), ("online", "online"), ("offline", "offline"), ("ONLINE", "online"),
    ("registered", "online"), ("unregistered", "offline"), ("1", "online"), ("0", "offline"),
    ("connecting", "connecting"), ("", None), (None, None)])
def test_register_status_is_online_or_offline_whichever_form_the_firmware_says(said, normal):
    assert hik._status(said) == normal


def test_isup_is_written_into_the_document_read_in_its_own_namespace_with_the_key():
    with isapi_server(RECORDED) as server:
        before = adapter(server).set_registration(RegistrationTarget(
            kind="isup", server="203.0.113.9", port=7660, device_id="KC-01", secret=ISUP_KEY,
            protocol_version="v5.0"))
    assert before == hik.parse_ehome(root_of("ehome_factory_DS-K1A340FWX.xml"))
    sent = hik.parse_xml(server.puts["/ISAPI/System/Network/Ehome"], "test")
    assert etree_namespace(sent) == ISAPI_ORG
    values = {name: hik.text(sent, name, "t") for name in (
        "enabled", "addressingFormatType", "ipAddress", "portNo", "deviceID", "protocolVersion", "key")}
    assert values == {"enabled": "true", "addressingFormatType": "ipaddress", "ipAddress": "203.0.113.9",
                      "portNo": "7660", "deviceID": "KC-01", "protocolVersion": "v5.0", "key": ISUP_KEY}
    assert hik.child(sent, "registerStatus") is None  # read-only: not sent back
    assert all(etree_namespace(e) == ISAPI_ORG for e in sent)


def etree_namespace(element) -> str | None:
    return etree.QName(element).namespace


def test_gb28181_on_an_intercom_sip_document_is_not_supported_and_nothing_is_put():
    with isapi_server(RECORDED) as server, pytest.raises(NotSupported):
        adapter(server).set_registration(RegistrationTarget(kind="gb28181", server="203.0.113.9", port=5060))
    assert server.puts == {}


SIP_ALIASES = f"""<?xml version="1.0" encoding="UTF-8"?>
<SIPServerList version="2.0" xmlns="{NS}"><SIPServer><id>1</id><GB28181>
<enabled>false</enabled><serverSipAddress>198.51.100.1</serverSipAddress><serverSipPort>5060</serverSipPort>
<serverID>11000000002000000001</serverID><deviceId>11000000001320000001</deviceId>
<authID>11000000001320000001</authID><deviceStatus>online</deviceStatus>
</GB28181></SIPServer></SIPServerList>""".encode()


def test_gb28181_in_the_other_names_sources_use_is_read_and_written_in_those_names():
    routes = {**RECORDED, "/ISAPI/System/Network/SIP": (200, SIP_ALIASES)}
    with isapi_server(routes) as server:
        before = adapter(server).set_registration(RegistrationTarget(
            kind="gb28181", server="203.0.113.9", port=15060, device_id="34020000001320000001",
            server_id="34020000002000000001", domain="3402000000", secret="Gb-Pw-1"))
    assert (before.enabled, before.server, before.port, before.device_id, before.protocol_version, before.status) == (
        False, "198.51.100.1", 5060, "11000000001320000001", "11000000002000000001", "online")
    block = hik.child(hik.child(hik.parse_xml(server.puts["/ISAPI/System/Network/SIP"], "t"), "SIPServer"), "GB28181")
    got = {e.tag.split("}")[1]: e.text for e in block}
    assert got == {"enabled": "true", "serverSipAddress": "203.0.113.9", "serverSipPort": "15060",
                   "serverID": "34020000002000000001", "deviceId": "34020000001320000001",
                   "authID": "34020000001320000001", "deviceStatus": "online",
                   "serverDomain": "3402000000", "password": "Gb-Pw-1"}


def test_a_refused_registration_put_is_a_device_fault_without_the_key():
    with isapi_server(RECORDED) as server:
        server.put_reply = (200, recording("responseStatus_badXmlContent.xml"))
        with pytest.raises(DeviceFault) as raised:
            adapter(server).set_registration(RegistrationTarget(kind="isup", server="203.0.113.9", port=7660,
                                                                secret=ISUP_KEY))
    assert raised.value.subcode == "badXmlContent"
    assert ISUP_KEY not in str(raised.value)
    assert ISUP_KEY not in repr(raised.value)


def test_a_bad_value_sends_nothing():
    with isapi_server(RECORDED) as server, pytest.raises(ConfigError):
        adapter(server).set_registration(RegistrationTarget(kind="isup", server="a\r\nb", port=7660))
    assert server.requests == []


@pytest.mark.parametrize("host", ["10.0.0.1", "centre.example.vn", "centre", "fd00::1", "a-b.c-d.example"])
def test_hosts_accepted(host):
    assert check_host(host, "t") == host


@pytest.mark.parametrize("host", ["", " centre", "centre.example ", "a&b", "a=b", "a\r\nb", "a/b", "a..b", "-a.b",
                                  "1.2.3.256", "a" * 64 + ".example", "x%0d%0a", "centre.example:7660", "fe80::1%eth0"])
def test_hosts_refused(host):
    with pytest.raises(ConfigError):
        check_host(host, "t")
