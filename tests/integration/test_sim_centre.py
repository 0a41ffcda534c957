"""The simulated district centre over real HTTP: auth, idempotency, one record per camera, faults."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from kitchencam.sim.centre import CentreServer, parse_faults

TOKEN = "centre-test-token-7f3a"


@pytest.fixture
def make_centre() -> Iterator[Callable[..., CentreServer]]:
    started: list[CentreServer] = []

    def make(faults: list[str] | None = None, **kw: Any) -> CentreServer:
        server = CentreServer("127.0.0.1", 0, token=TOKEN, faults=faults or [], rng_seed=1, **kw)
        started.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def centre(make_centre: Callable[..., CentreServer]) -> CentreServer:
    return make_centre()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False  # never through a proxy: this is 127.0.0.1
        yield s


def auth(key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def device(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "school_code": "MN-TTO",
        "serial": "8H0A1B2PAZ12345",
        "manufacturer": "Dahua",
        "model": "IPC-HFW2241S-S-0360B",
        "mac": "3c:ef:8c:12:34:56",
        "firmware": "2.820.0000000.5.R",
        "name": "Bếp ăn - Camera 1",
        "location": "Bếp ăn tầng 1",
        "onvif_xaddr": "http://192.168.1.108/onvif/device_service",
        "rtsp_urls": ["rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0"],
        "centre_user": "tt-mn-tto-01",
        "centre_password": "S3cret-Centre-Pass",
        "compliance": {"status": "PASS", "summary": "10/10 rules pass", "profile": "thanhtri-2024"},
    }
    body.update(kw)
    return body


def test_health_needs_no_token(centre: CentreServer, http: requests.Session) -> None:
    r = http.get(centre.base_url + "/api/v1/health", timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["time"].endswith("Z")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_api_needs_the_bearer_token(centre: CentreServer, http: requests.Session, headers: dict[str, str]) -> None:
    r = http.get(centre.base_url + "/api/v1/devices", headers=headers, timeout=5)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["error"] in ("unauthorized", "invalid_token")
    r = http.post(centre.base_url + "/api/v1/devices", json=device(),
                  headers={**headers, "Idempotency-Key": "k1"}, timeout=5)
    assert r.status_code == 401
    assert centre.devices() == []


def test_register_is_idempotent_and_one_record_per_camera(centre: CentreServer, http: requests.Session) -> None:
    url = centre.base_url + "/api/v1/devices"
    first = http.post(url, json=device(), headers=auth("key-1"), timeout=5)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["device_id"].startswith("TT-")
    assert created["created"] is True
    assert "centre_password" not in created
    assert created["centre_password_set"] is True
    # Same key, same body (a retry after a lost reply): the first answer again, nothing new.
    again = http.post(url, json=device(), headers=auth("key-1"), timeout=5)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == created
    # Same key, different body: refused.
    clash = http.post(url, json=device(name="Another"), headers=auth("key-1"), timeout=5)
    assert clash.status_code == 409
    assert clash.json()["error"] == "idempotency_conflict"
    # A new key for the same (school, serial) updates the one record.
    update = http.post(url, json=device(firmware="2.840.0", centre_password="New-Pass-2"),
                       headers=auth("key-2"), timeout=5)
    assert update.status_code == 200
    assert update.json()["device_id"] == created["device_id"]
    assert update.json()["created"] is False
    listed = http.get(url, headers=auth(), timeout=5).json()
    assert listed["count"] == 1
    assert listed["devices"][0]["firmware"] == "2.840.0"
    assert listed["devices"][0]["name"] == "Bếp ăn - Camera 1"
    # The password was delivered (hash matches) but never shows up anywhere.
    assert centre.password_matches(created["device_id"], "New-Pass-2")
    assert not centre.password_matches(created["device_id"], "S3cret-Centre-Pass")
    for text in (first.text, again.text, update.text, http.get(url, headers=auth(), timeout=5).text,
                 http.get(f"{url}/{created['device_id']}", headers=auth(), timeout=5).text):
        assert "S3cret-Centre-Pass" not in text
        assert "New-Pass-2" not in text
    # A second camera at the same school gets its own record; filter by school works.
    other = http.post(url, json=device(serial="8H0A1B2PAZ99999"), headers=auth("key-3"), timeout=5)
    assert other.status_code == 201
    assert other.json()["device_id"] != created["device_id"]
    http.post(url, json=device(school_code="TH-NGOCHOI"), headers=auth("key-4"), timeout=5)
    assert http.get(url, params={"school_code": "MN-TTO"}, headers=auth(), timeout=5).json()["count"] == 2
    assert http.get(url, params={"school_code": "TH-NGOCHOI"}, headers=auth(), timeout=5).json()["count"] == 1
    assert http.get(url + "/TT-999999", headers=auth(), timeout=5).status_code == 404


def test_idempotency_key_is_required(centre: CentreServer, http: requests.Session) -> None:
    r = http.post(centre.base_url + "/api/v1/devices", json=device(), headers=auth(), timeout=5)
    assert r.status_code == 400
    assert r.json()["error"] == "idempotency_key_required"


def test_validation_names_the_fields(centre: CentreServer, http: requests.Session) -> None:
    body = device(mac="not-a-mac", rtsp_urls=["http://x"], compliance={"status": "GOOD"}, colour="red")
    del body["serial"]
    r = http.post(centre.base_url + "/api/v1/devices", json=body, headers=auth("v-1"), timeout=5)
    assert r.status_code == 422
    fields = {f["field"] for f in r.json()["fields"]}
    assert fields == {"serial", "mac", "rtsp_urls[0]", "compliance.status", "colour"}
    # Not JSON at all.
    r = http.post(centre.base_url + "/api/v1/devices", data=b"{nope",
                  headers={**auth("v-2"), "Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 400
    r = http.post(centre.base_url + "/api/v1/devices", data=b"a=b",
                  headers={**auth("v-3"), "Content-Type": "application/x-www-form-urlencoded"}, timeout=5)
    assert r.status_code == 415
    assert centre.devices() == []


def test_records_survive_a_restart(make_centre: Callable[..., CentreServer], tmp_path,
                                   http: requests.Session) -> None:
    db = str(tmp_path / "centre.sqlite3")
    first = make_centre(db_path=db)
    r = http.post(first.base_url + "/api/v1/devices", json=device(), headers=auth("p-1"), timeout=5)
    first.stop()
    second = make_centre(db_path=db)
    again = http.post(second.base_url + "/api/v1/devices", json=device(), headers=auth("p-1"), timeout=5)
    assert again.status_code == 200
    assert again.json()["device_id"] == r.json()["device_id"]
    assert len(second.devices()) == 1


def test_upload_counts_bytes_without_keeping_them(centre: CentreServer, http: requests.Session) -> None:
    size = 5 * 1024 * 1024
    r = http.post(centre.base_url + "/api/v1/bandwidth/upload", data=b"\0" * size,
                  headers={**auth(), "Content-Type": "application/octet-stream"}, timeout=30)
    assert r.status_code == 200
    assert r.json()["bytes"] == size
    assert r.json()["seconds"] >= 0

    def chunks() -> Iterator[bytes]:
        for _ in range(80):
            yield b"x" * 65536

    r = http.post(centre.base_url + "/api/v1/bandwidth/upload", data=chunks(), headers=auth(), timeout=30)
    assert r.status_code == 200
    assert r.json()["bytes"] == 80 * 65536
    r = http.post(centre.base_url + "/api/v1/bandwidth/upload", data=b"x" * 1000, timeout=5)
    assert r.status_code == 401


def test_fault_500_spares_health(make_centre: Callable[..., CentreServer], http: requests.Session) -> None:
    centre = make_centre(["500"])
    assert http.get(centre.base_url + "/api/v1/health", timeout=5).status_code == 200
    r = http.post(centre.base_url + "/api/v1/devices", json=device(), headers=auth("f-1"), timeout=5)
    assert r.status_code == 500
    assert r.json()["error"] == "server_error"
    assert http.get(centre.base_url + "/api/v1/devices", headers=auth(), timeout=5).status_code == 500
    assert centre.devices() == []


def test_fault_503_and_401(make_centre: Callable[..., CentreServer], http: requests.Session) -> None:
    busy = make_centre(["503"])
    r = http.get(busy.base_url + "/api/v1/devices", headers=auth(), timeout=5)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    revoked = make_centre(["401"])
    assert http.get(revoked.base_url + "/api/v1/devices", headers=auth(), timeout=5).status_code == 401


def test_fault_down_refuses_connections(make_centre: Callable[..., CentreServer]) -> None:
    centre = make_centre(["down"])
    assert not centre.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", centre.port), timeout=2).close()


def test_fault_slow_and_drop(make_centre: Callable[..., CentreServer], http: requests.Session) -> None:
    slow = make_centre(["slow=300"])
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(slow.base_url + "/api/v1/health", timeout=(2, 0.1))
    assert http.get(slow.base_url + "/api/v1/health", timeout=5).status_code == 200
    dropping = make_centre(["drop=1"])
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(dropping.base_url + "/api/v1/health", timeout=5)


def test_fault_parsing() -> None:
    assert parse_faults(["500", "slow=20", "drop=0.5"]) == {
        "status": 500, "down": False, "slow_ms": 20, "drop": 0.5, "auth": False}
    for bad in ("drop=2", "slow=fast", "teapot"):
        with pytest.raises(ValueError, match="fault"):
            parse_faults([bad])
    with pytest.raises(ValueError, match="token"):
        CentreServer("127.0.0.1", token="")


def test_unknown_path_is_404(centre: CentreServer, http: requests.Session) -> None:
    r = http.get(centre.base_url + "/api/v2/anything", headers=auth(), timeout=5)
    assert r.status_code == 404
    key = str(uuid.uuid4())
    r = http.put(centre.base_url + "/api/v1/devices", json=device(), headers=auth(key), timeout=5)
    assert r.status_code == 405
    assert "POST" in r.headers["Allow"]
