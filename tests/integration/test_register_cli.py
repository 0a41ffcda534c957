"""`kitchencam register`, `sync` and `register --status` against simulated cameras and a simulated centre.

Cameras on 127.0.53.x, the centre on 127.0.53.200: loopback only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kitchencam.sim.centre import CentreServer
from kitchencam.sim.school import SimulatedSchool
from kitchencam.store import Store

PASSWORD = "Bep-An-2024-an-toan"
TOKEN = "tt-centre-token-7f3a9c"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD, "KITCHENCAM_CENTRE_TOKEN": TOKEN}
CENTRE_IP = "127.0.53.200"


@pytest.fixture
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=["dahua-wizsense2", "dahua-wizsense2"], bind_base="127.0.53.10",
                          http_port=0, rtsp_port=0, user="admin", password=PASSWORD, discovery=False)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


class Centres:
    """Centres started by a test, all stopped after it."""

    def __init__(self) -> None:
        self.started: list[CentreServer] = []

    def __call__(self, faults: list[str] | None = None, port: int = 0) -> CentreServer:
        server = CentreServer(CENTRE_IP, port, token=TOKEN, faults=faults)
        self.started.append(server)
        server.start()
        return server


@pytest.fixture
def centres() -> Iterator[Centres]:
    made = Centres()
    try:
        yield made
    finally:
        for server in made.started:
            server.stop()


def site(run: Any, url: str) -> None:
    result = run("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
                 "--centre-url", url)
    assert result.exit_code == 0, result.output


def xaddr(sim: SimulatedSchool, k: int) -> str:
    return sim.members[k].camera.device_xaddr


def serial(sim: SimulatedSchool, k: int) -> str:
    return str(sim.members[k].camera.serial)


def provision(run: Any, sim: SimulatedSchool, k: int) -> None:
    code, doc = run.json("provision", xaddr(sim, k), "--yes", env=ENV)
    assert code == 0, doc["errors"]


def secrets(isolated: Path) -> dict[str, str]:
    return json.loads((isolated / "data" / "secrets.json").read_text(encoding="utf-8"))


def test_register_sends_the_compliant_camera_and_holds_back_the_other(run, school, centres, isolated):
    centre = centres()
    site(run, centre.base_url)
    provision(run, school, 0)
    code, doc = run.json("register", xaddr(school, 0), xaddr(school, 1), env=ENV)
    assert code == 3, doc  # the factory camera fails rules: not sent, exit 3
    by_serial = {c["serial"]: c for c in doc["data"]["cameras"]}
    sent, held = by_serial[serial(school, 0)], by_serial[serial(school, 1)]
    assert sent["state"] == "sent"
    assert sent["http_status"] == 201
    assert sent["created"] is True
    assert held["state"] == "skipped"
    assert "provision" in held["reason"]

    [record] = centre.devices("MN-TTO")
    cam = school.members[0].camera
    assert record["serial"] == sent["serial"] == cam.serial
    assert record["device_id"] == sent["centre_device_id"]
    assert record["centre_user"] == "ttgd-centre"
    assert record["onvif_xaddr"] == xaddr(school, 0)
    assert record["rtsp_urls"]
    assert all(u.startswith("rtsp://") for u in record["rtsp_urls"])
    assert record["mac"]
    assert record["firmware"]
    assert record["model"]
    assert record["compliance"]["profile"] == "thanhtri-2024"
    assert record["compliance"]["status"] in ("PASS", "WARN", "MANUAL")
    # The password generated at provisioning reached the centre, and nowhere it should not.
    [password] = [v for k, v in secrets(isolated).items() if k.startswith("centre:")]
    assert centre.password_matches(record["device_id"], password)
    store_bytes = (isolated / "data" / "kitchencam.db").read_bytes()
    wal = isolated / "data" / "kitchencam.db-wal"
    store_bytes += wal.read_bytes() if wal.exists() else b""
    for secret in (password, TOKEN, PASSWORD):
        assert secret.encode() not in store_bytes
        assert secret not in json.dumps(doc)

    # --force sends the failing one too, its compliance saying FAIL.
    code, doc = run.json("register", xaddr(school, 1), "--force", env=ENV)
    assert code == 0, doc["errors"]
    statuses = {d["serial"]: d["compliance"]["status"] for d in centre.devices("MN-TTO")}
    assert statuses[school.members[1].camera.serial] == "FAIL"
    assert "centre_user" not in centre.devices("MN-TTO")[1]  # no account was made on it


def test_register_twice_keeps_one_record(run, school, centres):
    centre = centres()
    site(run, centre.base_url)
    provision(run, school, 0)
    for _ in range(2):
        code, doc = run.json("register", xaddr(school, 0), "--location", "Bếp ăn, khu chia thức ăn", env=ENV)
        assert code == 0, doc["errors"]
    [record] = centre.devices("MN-TTO")
    assert record["location"] == "Bếp ăn, khu chia thức ăn"
    assert doc["data"]["cameras"][0]["created"] is False


def test_the_install_location_survives_discovery_and_reaches_the_minutes(run, school, centres, isolated, tmp_path):
    centre = centres()
    site(run, centre.base_url)
    provision(run, school, 0)
    code, doc = run.json("register", xaddr(school, 0), "--location", "Bếp ăn, khu sơ chế", env=ENV)
    assert code == 0, doc["errors"]
    with Store(isolated / "data" / "kitchencam.db") as store:
        site_row = store.get_site("MN-TTO")
        assert site_row is not None
        [device] = [d for d in store.list_devices(site_row.id) if d.serial == serial(school, 0)]
        # A later discover writes the camera's own ONVIF location scope; the technician's words stay.
        store.upsert_device(site_row.id, device.endpoint, address=device.address, location="country/china")
        again = store.find_device(site_row.id, serial=serial(school, 0))
    assert again is not None
    assert again.where_installed() == "Bếp ăn, khu sơ chế"
    code, doc = run.json("report", "--draft", "--format", "html", "-o", str(tmp_path / "minutes.html"), env=ENV)
    assert code == 0, doc["errors"]
    html = (tmp_path / "minutes.html").read_text(encoding="utf-8")
    assert "Bếp ăn, khu sơ chế" in html
    assert "country/china" not in html


def test_centre_down_then_up_queue_then_sync_exactly_once(run, school, centres, isolated):
    down = centres(["down"])
    site(run, down.base_url)
    provision(run, school, 0)
    provision(run, school, 1)
    code, doc = run.json("register", xaddr(school, 0), xaddr(school, 1), env=ENV)
    assert code == 4, doc
    assert {c["state"] for c in doc["data"]["cameras"]} == {"queued"}, [c["reason"] for c in doc["data"]["cameras"]]
    assert doc["data"]["cameras"][0]["next_attempt_at"]
    code, doc = run.json("register", "--status", env=ENV)
    assert code == 4  # the centre cannot be asked; what waits is still shown
    assert {c["local_state"] for c in doc["data"]["cameras"]} == {"queued"}
    assert all(c["at_centre"] is None for c in doc["data"]["cameras"])

    up = centres(port=down.port)
    code, doc = run.json("sync", env=ENV)
    assert code == 0, doc["errors"]
    assert [d["state"] for d in doc["data"]["deliveries"]] == ["sent", "sent"]
    code, doc = run.json("sync", env=ENV)
    assert code == 0
    assert doc["data"]["deliveries"] == []
    assert len(up.devices("MN-TTO")) == 2

    code, doc = run.json("register", "--status", env=ENV)
    assert code == 0
    assert {(c["local_state"], c["at_centre"]) for c in doc["data"]["cameras"]} == {("sent", True)}
    human = run("register", "--status", env=ENV)
    assert "MN-TTO" in human.stdout
    assert school.members[0].camera.serial in human.stdout


def test_server_error_stays_queued_with_its_reason(run, school, centres):
    centre = centres(["500"])
    site(run, centre.base_url)
    provision(run, school, 0)
    code, doc = run.json("register", xaddr(school, 0), env=ENV)
    assert code == 4
    [cam] = doc["data"]["cameras"]
    assert cam["state"] == "queued"
    assert cam["http_status"] == 500
    assert "500" in cam["reason"]
    code, doc = run.json("sync", env=ENV)
    assert code == 4
    [again] = doc["data"]["deliveries"]
    assert again["state"] == "queued"
    assert again["attempts"] == 2
    code, doc = run.json("sync", "--due", env=ENV)  # the backoff has not passed: nothing is sent
    assert doc["data"]["deliveries"] == []
    assert doc["data"]["not_due"] == 1
    assert centre.devices("MN-TTO") == []


def test_a_refused_record_is_reported_and_not_retried(run, school, centres):
    centre = centres()
    site(run, centre.base_url)
    provision(run, school, 0)
    code, doc = run.json("register", xaddr(school, 0), "--location", "x" * 300, env=ENV)
    assert code == 1
    [cam] = doc["data"]["cameras"]
    assert cam["state"] == "rejected"
    assert cam["http_status"] == 422
    assert "location" in cam["reason"]
    code, doc = run.json("sync", env=ENV)
    assert code == 0
    assert doc["data"]["deliveries"] == []


def test_wrong_token_stops_and_keeps_everything_queued(run, school, centres):
    centre = centres()
    site(run, centre.base_url)
    provision(run, school, 0)
    code, doc = run.json("register", xaddr(school, 0), env={**ENV, "KITCHENCAM_CENTRE_TOKEN": "wrong"})
    assert code == 5
    assert doc["data"]["cameras"][0]["state"] == "queued"
    assert "wrong" not in json.dumps(doc)
    code, doc = run.json("sync", env=ENV)
    assert code == 0
    assert [d["state"] for d in doc["data"]["deliveries"]] == ["sent"]
    assert len(centre.devices("MN-TTO")) == 1


def test_token_from_the_keyring(run, school, centres):
    centre = centres()
    site(run, centre.base_url)
    assert run("credentials", "set", "--centre-token", env={"KITCHENCAM_CENTRE_TOKEN": TOKEN}).exit_code == 0
    env = {k: v for k, v in ENV.items() if k != "KITCHENCAM_CENTRE_TOKEN"}
    code, doc = run.json("register", "--status", env=env)
    assert code == 0, doc["errors"]
    assert run("credentials", "forget", "--centre-token").exit_code == 0
    code, doc = run.json("sync", env=env)
    assert code == 2
    assert "KITCHENCAM_CENTRE_TOKEN" in doc["errors"][0]["message"]


def test_no_site_config_is_a_usage_error(run):
    code, doc = run.json("sync", env=ENV)
    assert code == 2
    assert "site init" in doc["errors"][0]["message"]


def test_store_keeps_the_reason_and_backoff(run, school, centres, isolated):
    down = centres(["down"])
    site(run, down.base_url)
    provision(run, school, 0)
    run.json("register", xaddr(school, 0), env=ENV)
    with Store(isolated / "data" / "kitchencam.db") as store:
        site_row = store.get_site("MN-TTO")
        assert site_row is not None
        [item] = store.queued(site_row.id)
    assert item.attempts == 1
    assert item.last_error
    assert "Cannot reach" in item.last_error
    assert "refused" in item.last_error
    assert "HTTPConnectionPool" not in item.last_error
    assert item.next_attempt_at
    assert item.next_attempt_at > item.created_at
    assert "centre_password" not in item.payload
    assert item.secret_ref


def verdict(doc: dict[str, Any], rule: str) -> dict[str, Any]:
    [device] = doc["data"]["devices"]
    return next(v for v in device["verdicts"] if v["rule"] == rule)


def test_the_site_rules_follow_the_centre_and_the_uplink(run, school, centres, isolated):
    down = centres(["down"])
    site(run, down.base_url)
    provision(run, school, 0)
    code, doc = run.json("check", xaddr(school, 0), env=ENV)
    assert verdict(doc, "centre-registration")["status"] == "UNKNOWN"
    assert verdict(doc, "uplink")["status"] == "UNKNOWN"

    code, doc = run.json("register", xaddr(school, 0), env=ENV)
    assert code == 4  # queued: the camera itself was eligible, the site rules do not hold it back
    code, doc = run.json("check", xaddr(school, 0), env=ENV)
    registration = verdict(doc, "centre-registration")
    assert registration["status"] == "FAIL"
    assert "sync" in registration["detail"]

    centres(port=down.port)
    assert run.json("sync", env=ENV)[0] == 0
    with Store(isolated / "data" / "kitchencam.db") as store:
        site_row = store.get_site("MN-TTO")
        assert site_row is not None
        store.save_bandwidth(site_row.id, mean_mbps=3.5, p10_mbps=2.5)  # < 2.93 Mbit/s for one camera
    code, doc = run.json("check", xaddr(school, 0), env=ENV)
    registration = verdict(doc, "centre-registration")
    assert registration["status"] == "PASS"
    assert "TT-000001" in registration["seen"]
    uplink = verdict(doc, "uplink")
    assert uplink["status"] == "FAIL"
    assert "2.50 Mbit/s" in uplink["seen"]


def test_the_evidence_register_keeps_says_what_the_centre_answered(run, school, centres, isolated):
    centre = centres()
    site(run, centre.base_url)
    provision(run, school, 0)
    code, doc = run.json("register", xaddr(school, 0), env=ENV)
    assert code == 0, doc["errors"]
    with Store(isolated / "data" / "kitchencam.db") as store:
        site_row = store.get_site("MN-TTO")
        assert site_row is not None
        [latest] = [c for c in store.latest_checks(site_row.id) if c.serial == serial(school, 0)]
    registration = next(v for v in latest.verdicts if v["rule"] == "centre-registration")
    assert registration["status"] == "PASS"
    assert doc["data"]["cameras"][0]["centre_device_id"] in registration["seen"]


def test_tls_checks_off_is_said_once_by_doctor(run, centres, isolated):
    centre = centres()
    site(run, centre.base_url)
    site_file = isolated / "config" / "site.yaml"
    text = site_file.read_text(encoding="utf-8")
    assert "verify_tls: true" in text
    site_file.write_text(text.replace("verify_tls: true", "verify_tls: false"), encoding="utf-8")
    code, doc = run.json("doctor", env=ENV)
    assert code == 0  # a warning, not a failure
    [tls] = [c for c in doc["data"]["checks"] if c["name"] == "centre-tls"]
    assert tls["status"] == "warn"
    assert "verify_tls: true" in tls["fix"]
    assert {c["name"]: c["status"] for c in doc["data"]["checks"]}["centre-token"] == "ok"
