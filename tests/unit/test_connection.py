"""Connecting cameras to the centre (issue 15): the site config's centre.connection, device-ID
templates (GB/T 28181's 20 digits), the method/vendor refusal, the diagnosis of a camera configured
but not online, the store's record of it and check's centre-registration rule on it."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kitchencam.connection import CameraConnection, ReadBackSeen, diagnose, method_refusal, mismatches, probe_tcp
from kitchencam.errors import CentreAuthFailed, CentreUnreachable, ClockSkew, ConfigError, DeviceFault
from kitchencam.i18n import set_language
from kitchencam.models import Facts, SiteFacts
from kitchencam.profile import load_profile
from kitchencam.rules.context import Context
from kitchencam.rules.registry import check_for
from kitchencam.settings import Connection, is_gb28181_id, load_site, render_device_id
from kitchencam.store import Store
from kitchencam.vendors.base import RegistrationTarget

SITE = """school:
  name: Trường Mầm non Tả Thanh Oai
  code: MN-TTO
  address: Thanh Trì
centre:
  url: http://127.0.0.1:9/
"""


def write(tmp_path: Path, connection: str = "") -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE + connection, encoding="utf-8")
    return path


def test_an_old_site_file_keeps_working_as_record_only(tmp_path: Path):
    site = load_site(write(tmp_path))
    assert site.centre.connection.method == "none"
    assert site.centre.connection.kind is None


def test_a_dial_out_method_loads_with_its_default_template(tmp_path: Path):
    site = load_site(write(tmp_path, "  connection:\n    method: hikvision-isup\n    host: 127.0.0.1\n"
                                     "    port: 7660\n"))
    conn = site.centre.connection
    assert (conn.kind, conn.host, conn.port) == ("isup", "127.0.0.1", 7660)
    assert conn.device_id_for("MN-TTO", 3) == "MN-TTO-03"


@pytest.mark.parametrize(("text", "line", "key", "words"), [
    ("  connection:\n    method: dahua-auto-register\n    host: 127.0.0.1\n    port: 70000\n", 10,
     "centre.connection.port", "1 to 65535"),
    ("  connection:\n    method: dahua-auto-register\n    host: 127.0.0.1\n", 7, "centre.connection",
     "needs port"),
    ("  connection:\n    method: gb28181\n    host: 127.0.0.1\n    port: 5060\n    server_id: '123'\n"
     "    domain: '3402000000'\n", 11, "centre.connection.server_id", "20 digits"),
    ("  connection:\n    method: gb28181\n    host: 127.0.0.1\n    port: 5060\n"
     "    server_id: '34020000002000000001'\n    domain: '3402000000'\n    device_id: '{school_code}-{n}'\n",
     7, "centre.connection", "20 digits"),
    ("  connection:\n    method: isup\n", 8, "centre.connection.method", ""),
    ("  connection:\n    method: none\n    host: 'http://x/'\n", 9, "centre.connection.host", "without a scheme"),
])
def test_validation_names_the_line_and_the_key(tmp_path: Path, text: str, line: int, key: str, words: str):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    assert f"{path}:{line}: {key}" in caught.value.message
    assert words in caught.value.message


def test_validation_speaks_vietnamese(tmp_path: Path):
    path = write(tmp_path, "  connection:\n    method: dahua-auto-register\n    host: 127.0.0.1\n    port: 0\n")
    set_language("vi")
    try:
        with pytest.raises(ConfigError) as caught:
            load_site(path)
    finally:
        set_language("en")
    assert f"{path}:10: centre.connection.port" in caught.value.message
    assert "cổng" in caught.value.message.lower()


def test_device_id_templates():
    assert render_device_id("{school_code}-{n:02d}", school_code="MN-TTO", n=7) == "MN-TTO-07"
    gb = render_device_id("{domain}1320{n:06d}", school_code="MN-TTO", n=12, domain="3402000000")
    # GB/T 28181: centre code (8) + industry (2) + type 132 (IP camera) + network (1) + serial (6).
    assert gb == "34020000001320000012"
    assert is_gb28181_id(gb)
    assert gb[10:13] == "132"
    assert not is_gb28181_id("3402000000132000001")  # 19 digits
    with pytest.raises(ValueError, match="does not render"):
        render_device_id("{school}-{n}", school_code="MN-TTO", n=1)


def test_gb28181_default_template_gives_20_digits():
    conn = Connection(method="gb28181", host="127.0.0.1", port=5060, server_id="34020000002000000001",
                      domain="3402000000")
    assert [conn.device_id_for("MN-TTO", n) for n in (1, 20)] == ["34020000001320000001", "34020000001320000020"]


def test_a_method_the_camera_cannot_do_is_refused_with_the_ones_it_can():
    hik = ("isup", "hik-connect", "gb28181")
    message = method_refusal("dahua-auto-register", "Hikvision", hik)
    assert message is not None
    assert "Auto Register is Dahua's; this Hikvision camera can do hikvision-isup, hik-connect or gb28181" in message
    refused = method_refusal("hikvision-isup", "Dahua", ("auto-register",))
    assert refused is not None
    assert "dahua-auto-register" in refused
    assert method_refusal("gb28181", "Hikvision", hik) is None
    assert method_refusal("none", "Dahua", ()) is None
    nothing = method_refusal("gb28181", "Dahua", ())
    assert nothing is not None
    assert "web page" in nothing


WANT = RegistrationTarget(kind="isup", server="127.0.0.1", port=7660, device_id="MN-TTO-01")


def outcome(**parts: object) -> CameraConnection:
    base = {"target": "127.0.0.5:80", "method": "hikvision-isup", "device_id": "MN-TTO-01", "waited_s": 5.0,
            "read_back": ReadBackSeen(enabled=True, host="127.0.0.1", port=7660, device_id="MN-TTO-01")}
    base.update(parts)
    return CameraConnection.model_validate(base)


def test_read_back_mismatch_names_what_differs():
    seen = ReadBackSeen(enabled=True, host="127.0.0.1", port=7661, device_id="MN-TTO-01")
    assert mismatches(seen, WANT) == ["port 7661 (should be 7660)"]
    error = diagnose(outcome(read_back=seen), WANT, offset_s=None, reach=None, tcp=True)
    assert isinstance(error, DeviceFault)
    assert "port 7661 (should be 7660)" in error.message


def test_a_refused_key_is_an_auth_failure_naming_the_device_id():
    found = outcome(last_refusal="401 Unauthorized: digest response does not match")
    error = diagnose(found, WANT, offset_s=12.0, reach=lambda h, p: None, tcp=True)
    assert isinstance(error, CentreAuthFailed)
    assert "MN-TTO-01" in error.message
    assert "does not match" in error.message
    assert len(found.diagnosis) == 1  # the clock is fine and the platform answers


def test_a_clock_far_off_is_named():
    found = outcome()
    error = diagnose(found, WANT, offset_s=-3600.0, reach=lambda h, p: None, tcp=True)
    assert isinstance(error, ClockSkew)
    assert "60 minutes off" in error.message


def test_a_platform_unreachable_from_the_laptop_is_tried_for_real():
    with socket.socket() as sock:  # a port that refuses: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        want = WANT.model_copy(update={"port": port})
        found = outcome(read_back=ReadBackSeen(enabled=True, host="127.0.0.1", port=port, device_id="MN-TTO-01"))
        error = diagnose(found, want, offset_s=None, reach=probe_tcp, tcp=True)
    assert isinstance(error, CentreUnreachable)
    assert f"127.0.0.1:{port} does not answer from this laptop" in error.message
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert probe_tcp("127.0.0.1", server.getsockname()[1]) is None


def test_configured_reachable_but_never_seen_says_so():
    error = diagnose(outcome(), WANT, offset_s=None, reach=lambda h, p: None, tcp=True)
    assert isinstance(error, CentreUnreachable)
    assert "has not seen it online after 5 s" in error.message


def test_the_store_keeps_each_camera_number_and_the_centre_word(tmp_path: Path):
    with Store(tmp_path / "k.db") as store:
        site = store.upsert_site("MN-TTO", "A")
        numbers = store.connection_numbers(site.id, ["S2", "S1", "S2"])
        assert numbers == {"S2": 1, "S1": 2}
        store.save_connection(site.id, camera_key="S1", target="a:80", n=2, method="gb28181", device_id="X",
                              host="h", port=1, configured=True, read_back={"host": "h"}, online=True, via="sip",
                              last_seen="2026-01-01T00:00:00Z", last_refusal=None, diagnosis=[])
        store.save_connection(site.id, camera_key="S1", target="a:80", n=2, method="gb28181", device_id="X",
                              host="h", port=1, configured=None, read_back=None, online=False, via=None,
                              last_seen=None, last_refusal="refused", diagnosis=["why"])
        [rec] = store.connections(site.id)
        assert (rec.configured, rec.online, rec.last_refusal, rec.diagnosis) == (True, False, "refused", ["why"])
        assert rec.confirmed_at is not None
        assert rec.last_seen == "2026-01-01T00:00:00Z"
        assert store.connection_numbers(site.id, ["S3", "S1"]) == {"S3": 3, "S1": 2}
        # register's backup of the dial-out is not provision's backup, and rollback finds it apart.
        store.save_backup(site.id, "S1", "a:80", {"registration": {"kind": "isup", "enabled": False}})
        assert store.first_backup(site.id, "S1") is None
        [(_id, saved)] = store.registration_backups(site.id, "S1")
        assert saved["registration"]["kind"] == "isup"


def rule_verdict(site: SiteFacts | None):
    profile = load_profile("thanhtri-2024")
    rule = next(r for r in profile.rules if r.id == "centre-registration")
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    facts = Facts(target="x:80", device_xaddr="http://x/onvif/device_service", read_at=now)
    ctx = Context(facts=facts, profile=profile, match=None, model_string=None, attestations={}, site=site,
                  credentials=None, now=now)
    return check_for("centre_registration")(ctx, rule)  # the families load in their order


def test_rule_passes_only_on_the_centres_word():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    recorded_only = SiteFacts(registered=True, connection_method="gb28181")
    assert rule_verdict(recorded_only).status == "UNKNOWN"
    online = SiteFacts(registered=True, connection_method="gb28181", connection_configured=True, online=True,
                       online_checked_at=now, connection_device_id="34020000001320000001", connection_via="sip")
    verdict = rule_verdict(online)
    assert verdict.status == "PASS"
    assert "34020000001320000001 online" in (verdict.seen or "")
    offline = online.model_copy(update={"online": False, "connection_diagnosis": ["The centre refused it."]})
    verdict = rule_verdict(offline)
    assert verdict.status == "FAIL"
    assert verdict.detail == "The centre refused it."
    unasked = online.model_copy(update={"online": None})
    assert rule_verdict(unasked).status == "UNKNOWN"
    # Record only ("none"): the outbox decides, as before.
    assert rule_verdict(SiteFacts(registered=True, connection_method="none")).status == "PASS"
