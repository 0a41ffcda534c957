"""The outbox loses nothing and sends nothing twice: a process killed mid-sync, a reply lost after the
centre committed, a damaged or locked store. The centre is simulated on 127.0.54.200 (loopback).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kitchencam import centre as centre_mod
from kitchencam.centre import CentreClient, idempotency_key, sync
from kitchencam.sim.centre import CentreServer
from kitchencam.store import Store

TOKEN = "tt-centre-token-durable"
IP = "127.0.54.200"


@pytest.fixture
def centre(request: pytest.FixtureRequest) -> Iterator[CentreServer]:
    marker = request.node.get_closest_marker("sim")
    server = CentreServer(IP, 0, token=TOKEN, faults=marker.kwargs.get("faults") if marker else None)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def site(run: Any, url: str) -> None:
    result = run("site", "init", "--school-name", "Trường Tiểu học Ngũ Hiệp", "--school-code", "TH-NH",
                 "--centre-url", url)
    assert result.exit_code == 0, result.output


def store_path(isolated: Path) -> Path:
    return isolated / "data" / "kitchencam.db"


def queue(isolated: Path, n: int) -> list[str]:
    """``n`` registrations queued directly in the store, as ``register`` leaves them when the centre is down."""
    serials = [f"8H0A{i:010d}" for i in range(n)]
    with Store(store_path(isolated)) as store:
        site_id = store.upsert_site("TH-NH", "Trường Tiểu học Ngũ Hiệp").id
        for i, serial in enumerate(serials):
            payload = {"school_code": "TH-NH", "serial": serial, "manufacturer": "Dahua", "model": "IPC-HFW2441S-S",
                       "mac": f"3c:ef:8c:00:{i // 256:02x}:{i % 256:02x}", "name": f"TH-NH-BEP-{i + 1}",
                       "onvif_xaddr": f"http://192.168.1.{10 + i % 200}/onvif/device_service",
                       "rtsp_urls": [f"rtsp://192.168.1.{10 + i % 200}:554/cam/realmonitor?channel=1&subtype=0"],
                       "compliance": {"status": "PASS", "summary": "PASS 12", "profile": "thanhtri-2024"}}
            store.enqueue_registration(site_id, camera_key=serial, target=f"192.168.1.{10 + i % 200}",
                                       idempotency_key=idempotency_key("TH-NH", serial, payload), payload=payload,
                                       secret_ref=None, device_id=None)
    return serials


def states(isolated: Path) -> dict[str, int]:
    with Store(store_path(isolated)) as store:
        site_row = store.get_site("TH-NH")
        assert site_row is not None
        items = store.registrations(site_row.id)
    out: dict[str, int] = {}
    for item in items:
        out[item.state] = out.get(item.state, 0) + 1
    return out


@pytest.mark.sim(faults=["slow=40"])
def test_kill_9_in_the_middle_of_sync_loses_nothing_and_duplicates_nothing(run, centre, isolated):
    site(run, centre.base_url)
    serials = queue(isolated, 40)
    env = {**os.environ, "KITCHENCAM_CENTRE_TOKEN": TOKEN, "KITCHENCAM_LANG": "en"}
    proc = subprocess.Popen([sys.executable, "-m", "kitchencam", "sync", "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while len(centre.devices("TH-NH")) < 8 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "sync ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    middle = states(isolated)
    assert sum(middle.values()) == 40, middle
    assert middle.get("queued", 0) > 0, middle
    assert middle.get("sent", 0) >= 7, middle

    code, doc = run.json("sync", env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    assert code == 0, doc["errors"]
    assert states(isolated) == {"sent": 40}
    held = centre.devices("TH-NH")
    assert sorted(d["serial"] for d in held) == serials
    assert len({d["device_id"] for d in held}) == 40
    code, doc = run.json("sync", env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    assert code == 0
    assert doc["data"]["deliveries"] == []
    assert len(centre.devices("TH-NH")) == 40
    for stream in (out, err):
        assert TOKEN.encode() not in stream


def test_a_reply_lost_after_the_centre_committed_is_replayed_not_duplicated(run, centre, isolated, monkeypatch):
    site(run, centre.base_url)
    queue(isolated, 3)
    with Store(store_path(isolated)) as store:
        site_id = store.upsert_site("TH-NH", "x").id
        real = store.mark_sent
        calls = {"n": 0}

        def crash_on_second(item_id: int, **kw: Any) -> None:
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt  # the process dies between the centre's commit and ours
            real(item_id, **kw)

        monkeypatch.setattr(store, "mark_sent", crash_on_second)
        with CentreClient(centre.base_url, TOKEN) as client, pytest.raises(KeyboardInterrupt):
            sync(store, site_id, client, lambda _k: None)
        monkeypatch.undo()
        assert len(centre.devices("TH-NH")) == 2  # the centre has the second; our store does not know
        with CentreClient(centre.base_url, TOKEN) as client:
            result = sync(store, site_id, client, lambda _k: None)
    assert [(d.state, d.replayed) for d in result.deliveries] == [("sent", True), ("sent", False)]
    assert len(centre.devices("TH-NH")) == 3


def test_backoff_doubles_and_honours_retry_after() -> None:
    assert centre_mod.backoff_s(1) == centre_mod.BACKOFF_BASE_S
    assert centre_mod.backoff_s(3) == 4 * centre_mod.BACKOFF_BASE_S
    assert centre_mod.backoff_s(30) == centre_mod.BACKOFF_MAX_S
    assert centre_mod.backoff_s(1, retry_after=120) == 120


def test_idempotency_key_follows_the_record() -> None:
    a = idempotency_key("TH-NH", "S1", {"serial": "S1", "name": "a"})
    assert a == idempotency_key("TH-NH", "S1", {"name": "a", "serial": "S1"})
    assert a != idempotency_key("TH-NH", "S1", {"serial": "S1", "name": "b"})
    assert a.startswith("kitchencam:TH-NH:S1:")


def test_a_damaged_store_gets_a_clear_message(run, centre, isolated):
    site(run, centre.base_url)
    queue(isolated, 2)
    path = store_path(isolated)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"this is not an SQLite file, it was overwritten" * 100)
    for args in (("sync",), ("register", "--status"), ("doctor",)):
        code, doc = run.json(*args, env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
        assert code == 1, (args, doc)
        text = json.dumps(doc, ensure_ascii=False)
        assert "damaged" in text
        assert "Move it aside" in text


def test_a_store_damaged_inside_gets_a_clear_message(run, centre, isolated):
    site(run, centre.base_url)
    queue(isolated, 200)
    path = store_path(isolated)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 3, min(len(data), 4096 * 12), 97):  # scribble over pages past the header
        data[offset] = 0xA5
    path.write_bytes(bytes(data))
    code, doc = run.json("doctor", env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    assert code == 1
    [store_check] = [c for c in doc["data"]["checks"] if c["name"] == "store"]
    assert store_check["status"] == "fail"
    assert "damaged" in store_check["detail"]
    code, doc = run.json("sync", env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    assert code == 1
    assert "damaged" in doc["errors"][0]["message"]


def test_a_locked_store_gets_a_clear_message(run, centre, isolated):
    site(run, centre.base_url)
    queue(isolated, 1)
    holder = sqlite3.connect(store_path(isolated), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        code, doc = run.json("sync", env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert "locked by another kitchencam" in doc["errors"][0]["message"]
    assert states(isolated) == {"queued": 1}
