"""store.py: migrations recorded, upserts never duplicate, damage gets a message."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from kitchencam.errors import StoreError
from kitchencam.store import MIGRATIONS, Store


def test_migrations_recorded_once(tmp_path: Path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        assert [v for v, _n, _t in store.migrations()] == [v for v, _n, _s in MIGRATIONS]
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with Store(path) as store:
        assert store.migrate() == []
        assert store.integrity_check() == ["ok"]


def test_device_upsert_updates_instead_of_duplicating(tmp_path: Path):
    with Store(tmp_path / "s.db") as store:
        site = store.upsert_site("MN-TTO", "Tả Thanh Oai")
        first = store.upsert_device(site.id, "urn:uuid:1", address="10.0.0.5", model="IPC-HFW2241S-S",
                                    serial="ABC123")
        second = store.upsert_device(site.id, "urn:uuid:1", address="10.0.0.6", serial=None)
        assert second.id == first.id
        assert second.address == "10.0.0.6"
        assert second.serial == "ABC123"  # a later run that could not read it keeps it
        store.upsert_device(site.id, "urn:uuid:2", address="10.0.0.7", kind="other")
        assert len(store.list_devices(site.id)) == 2
        assert [d.endpoint for d in store.list_devices(site.id, kind="camera")] == ["urn:uuid:1"]


def test_foreign_keys_enforced(tmp_path: Path):
    with Store(tmp_path / "s.db") as store, pytest.raises(StoreError):
        store.upsert_device(999, "urn:uuid:x", address="1.2.3.4")


def test_corrupt_file_gets_a_clear_message(tmp_path: Path):
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="damaged"):
        Store(path)


def test_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "s.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer kitchencam"):
        Store(path)


def test_locked_store_gets_a_clear_message(tmp_path: Path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        site = store.upsert_site("A", "A")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store(path, timeout_s=0.2) as store, pytest.raises(StoreError, match="locked"):
            store.upsert_device(site.id, "urn:uuid:1", address="1.1.1.1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert threading.active_count() >= 1


def test_upgrade_from_schema_1_keeps_devices_and_adds_discovery_fields(tmp_path: Path):
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0][2])
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT)")
    conn.execute("INSERT INTO schema_migrations VALUES (1, 'sites and devices', 'then')")
    conn.execute("INSERT INTO sites VALUES (1, 'A', 'A', NULL, 'then', 'then')")
    conn.execute("INSERT INTO devices(site_id, endpoint, address, first_seen, last_seen) "
                 "VALUES (1, 'urn:uuid:1', '10.0.0.5', 'then', 'then')")
    conn.commit()
    conn.close()
    with Store(path) as store:
        [old] = store.list_devices(1)
        assert old.endpoint == "urn:uuid:1"
        assert old.xaddrs == []
        assert old.onvif == "unknown"
        row = store.upsert_device(1, "urn:uuid:1", address="10.0.0.5", xaddrs=["http://10.0.0.5/onvif/device_service"],
                                  profiles=["Streaming", "T"], onvif="on", clock_offset_s=-7200.0)
        assert row.xaddrs == ["http://10.0.0.5/onvif/device_service"]
        assert row.profiles == ["Streaming", "T"]
        assert row.clock_offset_s == -7200.0
        assert [v for v, _n, _t in store.migrations()] == [v for v, _n, _s in MIGRATIONS]


def test_a_registered_camera_takes_the_endpoint_discovery_finds(tmp_path: Path):
    from kitchencam.store import registered_endpoint

    with Store(tmp_path / "s.db") as store:
        site = store.upsert_site("MN-TTO", "x")
        store.upsert_device(site.id, registered_endpoint("8H0A01"), address="192.168.1.64", serial="8H0A01",
                            install_location="Bếp ăn")
        store.adopt_device(site.id, "8H0A01", "urn:uuid:1234")
        store.upsert_device(site.id, "urn:uuid:1234", address="192.168.1.64", serial="8H0A01", location="country/cn")
        [device] = store.list_devices(site.id)
    assert device.endpoint == "urn:uuid:1234"
    assert device.where_installed() == "Bếp ăn"


def test_where_installed_ignores_the_factory_scope(tmp_path: Path):
    with Store(tmp_path / "s.db") as store:
        site = store.upsert_site("MN-TTO", "x")
        factory = store.upsert_device(site.id, "urn:a", address="10.0.0.1", location="country/china")
        named = store.upsert_device(site.id, "urn:b", address="10.0.0.2", location="Bep an")
    assert factory.where_installed() is None
    assert named.where_installed() == "Bep an"
