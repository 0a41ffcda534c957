"""The local record of a site: SQLite (stdlib), WAL, foreign keys, numbered migrations.

The only module that speaks SQL. Later stages add their tables as new entries in
``MIGRATIONS``; a migration, once landed, is never edited.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kitchencam.errors import StoreError
from kitchencam.i18n import _

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "sites and devices",
        """
        CREATE TABLE sites (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            config_path TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            endpoint TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'camera' CHECK (kind IN ('camera', 'other')),
            address TEXT NOT NULL,
            xaddr TEXT,
            manufacturer TEXT,
            model TEXT,
            firmware TEXT,
            serial TEXT,
            mac TEXT,
            name TEXT,
            location TEXT,
            found_by TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            UNIQUE (site_id, endpoint)
        );
        CREATE INDEX devices_site ON devices(site_id);
        """,
    ),
    (
        2,
        "discovery details",
        """
        ALTER TABLE devices ADD COLUMN hardware TEXT;
        ALTER TABLE devices ADD COLUMN types TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE devices ADD COLUMN profiles TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE devices ADD COLUMN xaddrs TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE devices ADD COLUMN interfaces TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE devices ADD COLUMN onvif TEXT NOT NULL DEFAULT 'unknown'
            CHECK (onvif IN ('on', 'off', 'unknown'));
        ALTER TABLE devices ADD COLUMN clock_offset_s REAL;
        """,
    ),
    (
        3,
        "check runs, verdicts and attestations",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            command TEXT NOT NULL,
            profile TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE TABLE device_checks (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
            target TEXT NOT NULL,
            manufacturer TEXT, model TEXT, serial TEXT, firmware TEXT, mac TEXT,
            overall TEXT NOT NULL,
            error_code TEXT,
            error_message TEXT,
            checked_at TEXT NOT NULL
        );
        CREATE INDEX device_checks_device ON device_checks(device_id);
        CREATE TABLE verdicts (
            id INTEGER PRIMARY KEY,
            check_id INTEGER NOT NULL REFERENCES device_checks(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            rule TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('PASS', 'FAIL', 'WARN', 'MANUAL', 'UNKNOWN')),
            data TEXT NOT NULL,
            UNIQUE (check_id, rule)
        );
        CREATE TABLE attestations (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            rule TEXT NOT NULL,
            answer INTEGER NOT NULL,
            attested_by TEXT NOT NULL,
            attested_at TEXT NOT NULL,
            note TEXT,
            origin TEXT NOT NULL
        );
        """,
    ),
    (
        4,
        "provisioning backups and steps",
        """
        ALTER TABLE runs ADD COLUMN state TEXT;
        CREATE TABLE backups (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
            camera_key TEXT NOT NULL,
            target TEXT NOT NULL,
            settings TEXT NOT NULL,
            created_at TEXT NOT NULL,
            restored_at TEXT
        );
        CREATE INDEX backups_camera ON backups(site_id, camera_key);
        CREATE TABLE provision_steps (
            id INTEGER PRIMARY KEY,
            backup_id INTEGER NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
            step TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('done', 'failed', 'verified')),
            detail TEXT,
            at TEXT NOT NULL
        );
        """,
    ),
    (
        5,
        "upload bandwidth results",
        """
        CREATE TABLE bandwidth_results (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            measured_at TEXT NOT NULL,
            mean_mbps REAL NOT NULL,
            p10_mbps REAL NOT NULL,
            duration_s REAL,
            streams INTEGER,
            url TEXT
        );
        """,
    ),
    (
        6,
        "registration outbox",
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
            camera_key TEXT NOT NULL,
            target TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            payload TEXT NOT NULL,
            secret_ref TEXT,
            state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'rejected', 'superseded')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            http_status INTEGER,
            centre_device_id TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_site ON outbox(site_id, state);
        CREATE UNIQUE INDEX outbox_one_queued ON outbox(site_id, camera_key) WHERE state = 'queued';
        """,
    ),
    (
        7,
        "provisioning outcomes and snapshots",
        """
        CREATE TABLE provision_results (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            camera_key TEXT NOT NULL,
            target TEXT NOT NULL,
            backup_id INTEGER REFERENCES backups(id) ON DELETE SET NULL,
            state TEXT NOT NULL,
            steps TEXT NOT NULL DEFAULT '[]',
            rtsp TEXT,
            verify_problems TEXT NOT NULL DEFAULT '[]',
            timezone_used TEXT,
            error TEXT,
            finished_at TEXT NOT NULL
        );
        CREATE INDEX provision_results_camera ON provision_results(site_id, camera_key);
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            camera_key TEXT NOT NULL,
            target TEXT,
            taken_at TEXT NOT NULL,
            content_type TEXT,
            bytes BLOB,
            sha256 TEXT,
            source TEXT NOT NULL,
            error TEXT,
            CHECK ((bytes IS NULL) = (error IS NOT NULL))
        );
        CREATE INDEX snapshots_camera ON snapshots(site_id, camera_key);
        """,
    ),
    (
        8,
        "install location",
        """
        ALTER TABLE devices ADD COLUMN install_location TEXT;
        """,
    ),
    (
        9,
        "centre connections",
        """
        CREATE TABLE centre_connections (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            camera_key TEXT NOT NULL,
            target TEXT,
            n INTEGER NOT NULL,
            method TEXT NOT NULL,
            device_id TEXT,
            host TEXT,
            port INTEGER,
            configured INTEGER,
            read_back TEXT,
            online INTEGER,
            via TEXT,
            last_seen TEXT,
            last_refusal TEXT,
            diagnosis TEXT NOT NULL DEFAULT '[]',
            checked_at TEXT NOT NULL,
            configured_at TEXT,
            confirmed_at TEXT,
            UNIQUE (site_id, camera_key)
        );
        CREATE UNIQUE INDEX centre_connections_n ON centre_connections(site_id, n);
        """,
    ),
    (
        10,
        "handover progress",
        """
        CREATE TABLE handover_progress (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
            stage TEXT NOT NULL,
            item TEXT NOT NULL DEFAULT '',
            result TEXT,
            finished_at TEXT NOT NULL,
            UNIQUE (site_id, stage, item)
        );
        """,
    ),
]


class ConnectionRecord(BaseModel):
    """A camera's dial-out to the centre as ``register`` last saw it (issue 15)."""

    camera_key: str
    target: str | None = None
    n: int
    method: str
    device_id: str | None = None
    host: str | None = None
    port: int | None = None
    configured: bool | None = None
    read_back: dict[str, Any] | None = None
    online: bool | None = None
    via: str | None = None
    last_seen: str | None = None
    last_refusal: str | None = None
    diagnosis: list[str] = []
    checked_at: str
    configured_at: str | None = None
    confirmed_at: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ConnectionRecord:
        data = dict(row)
        for key in ("configured", "online"):
            data[key] = None if data[key] is None else bool(data[key])
        data["read_back"] = json.loads(data["read_back"]) if data["read_back"] else None
        data["diagnosis"] = json.loads(data["diagnosis"] or "[]")
        return cls(**{k: v for k, v in data.items() if k in cls.model_fields})


class SiteRow(BaseModel):
    id: int
    code: str
    name: str
    config_path: str | None
    created_at: str
    updated_at: str


class DeviceRow(BaseModel):
    id: int
    site_id: int
    endpoint: str
    kind: str
    address: str
    xaddr: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    serial: str | None = None
    mac: str | None = None
    name: str | None = None
    location: str | None = None
    found_by: str | None = None
    hardware: str | None = None
    types: list[str] = []
    profiles: list[str] = []
    xaddrs: list[str] = []
    interfaces: list[str] = []
    onvif: str = "unknown"
    clock_offset_s: float | None = None
    install_location: str | None = None  # where the technician says it hangs (register --location)
    first_seen: str
    last_seen: str

    def where_installed(self) -> str | None:
        """The technician's words (``register --location``), else the camera's ONVIF location scope,
        unless that is the factory's ("country/china", "city/hangzhou": where it was made)."""
        if self.install_location:
            return self.install_location
        if not self.location or self.location.lower().startswith(("country/", "city/")):
            return None
        return self.location

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> DeviceRow:
        data = dict(row)
        for key in JSON_FIELDS:
            data[key] = json.loads(data.get(key) or "[]")
        return cls(**data)


class CheckRecord(BaseModel):
    """One camera's check as stored: verdicts kept as the JSON of ``models.Verdict``."""

    target: str
    device_id: int | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    mac: str | None = None
    overall: str
    error_code: str | None = None
    error_message: str | None = None
    checked_at: str
    verdicts: list[dict[str, Any]] = []
    run_id: int | None = None
    profile: str | None = None


class OutboxItem(BaseModel):
    """One registration in the outbox. The payload never holds the centre password: ``secret_ref``
    names its keyring entry, read at send time."""

    id: int
    site_id: int
    device_id: int | None = None
    camera_key: str
    target: str
    idempotency_key: str
    payload: dict[str, Any]
    secret_ref: str | None = None
    state: str
    attempts: int = 0
    next_attempt_at: str | None = None
    last_error: str | None = None
    http_status: int | None = None
    centre_device_id: str | None = None
    created_at: str
    updated_at: str
    sent_at: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxItem:
        data = dict(row)
        data["payload"] = json.loads(data["payload"])
        return cls(**data)


class AttestationRecord(BaseModel):
    rule: str
    answer: bool
    by: str
    at: str
    note: str | None = None
    origin: str


class CameraAttestation(AttestationRecord):
    """An attestation, with the camera check of the run it was given in (the report's view)."""

    run_id: int
    device_id: int | None = None
    target: str
    serial: str | None = None


class BackupRecord(BaseModel):
    """A provisioning backup with the steps applied after it (oldest first)."""

    id: int
    camera_key: str
    target: str
    settings: dict[str, Any]
    created_at: str
    restored_at: str | None = None
    steps: list[dict[str, Any]] = []  # {"step", "status", "detail", "at"}


class ProvisionRecord(BaseModel):
    """One camera's provisioning outcome: the changes planned and their status, the stream check."""

    id: int
    camera_key: str
    target: str
    backup_id: int | None = None
    state: str
    steps: list[dict[str, Any]] = []
    rtsp: dict[str, Any] | None = None
    verify_problems: list[str] = []
    timezone_used: str | None = None
    error: str | None = None  # the camera could not be provisioned at all (unreachable, login refused)
    finished_at: str


class SnapshotRecord(BaseModel):
    """A picture taken from a camera, or why there is none (``error``)."""

    id: int
    camera_key: str
    target: str | None = None
    taken_at: str
    content_type: str | None = None
    data: bytes | None = None
    sha256: str | None = None
    source: str
    error: str | None = None

    def __repr__(self) -> str:
        size = len(self.data) if self.data is not None else 0
        return f"SnapshotRecord({self.camera_key!r}, {size} bytes, error={self.error!r})"


DEVICE_FIELDS = (
    "kind", "address", "xaddr", "manufacturer", "model", "firmware", "serial", "mac", "name",
    "location", "found_by", "hardware", "types", "profiles", "xaddrs", "interfaces", "onvif", "clock_offset_s",
    "install_location",
)
JSON_FIELDS = ("types", "profiles", "xaddrs", "interfaces")


#: The method of a centre_connections row that only holds a camera's number (given by provision;
#: ``register`` fills in the connection): no connection yet.
NUMBER_ONLY = "number-only"

#: The origin of an attestations row that revokes the camera's earlier answers to the rule.
REVOKED = "revoked"


def _camera_of(att: CameraAttestation) -> str:
    """Which camera an attestation is about: its serial, else its inventory row, else its address."""
    if att.serial:
        return f"serial:{att.serial}"
    if att.device_id is not None:
        return f"device:{att.device_id}"
    return f"target:{att.target}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def registered_endpoint(serial: str) -> str:
    """The inventory key of a camera registered before any discover saw it."""
    return f"urn:kitchencam:serial:{serial}"


def store_error(path: Path, exc: BaseException) -> StoreError:
    """The technician's words for an SQLite failure: locked, damaged, or anything else."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreError(
            _("The store {path} is locked by another kitchencam. Wait for it to finish, "
              "then retry.").format(path=path)
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(
            _("The store {path} cannot be written ({reason}): the file or its folder is read-only. Make both "
              "writable by you (chmod u+rw FILE, chmod u+rwx FOLDER) and run the command again.").format(
                path=path, reason=exc))
    if ("malformed" in text or "corrupt" in text) and is_sqlite_file(path):
        return StoreError(
            _("The store {path} is damaged ({reason}). Keep it where it is; copy it aside and recover what it "
              "holds with: sqlite3 COPY .recover > dump.sql (kitchencam doctor checks it).").format(
                path=path, reason=exc))
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            _("The store {path} is damaged ({reason}). Move it aside (keep it for the "
              "audit trail) and run the command again to start a fresh store.").format(
                path=path, reason=exc
            )
        )
    return StoreError(_("Store error in {path}: {reason}").format(path=path, reason=exc))


SQLITE_HEADER = b"SQLite format 3\x00"
#: Files kitchencam keeps beside its store: when one is there, an empty store is not a first run.
_OUR_FILES = ("secrets.json", "demo", "site.yaml")


def is_sqlite_file(path: Path) -> bool:
    """True when ``path`` is a readable file starting with SQLite's header (a store worth keeping)."""
    try:
        with path.open("rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _signs_of_use(path: Path) -> list[str]:
    """Other kitchencam files beside ``path``: the reason an empty store there is a lost one."""
    try:
        entries = sorted(path.parent.iterdir())
    except OSError:
        return []
    return [e.name for e in entries if e != path and not e.name.startswith(path.name + "-")
            and (e.name in _OUR_FILES or e.suffix == ".db")]


def check_store_path(path: Path) -> None:
    """Refuse, with what is wrong and what to do, a store path that cannot be (or should not be) opened.

    Creates a missing store folder 0700 and a missing store file 0600 (the store holds the site's
    camera inventory and backups of camera settings).
    """
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise StoreError(_("The data folder {folder} is a file, not a folder, so the store {path} cannot be "
                           "opened. Move that file away, or set KITCHENCAM_DATA_DIR to another folder.").format(
            folder=folder, path=path))
    if path.is_dir():
        raise StoreError(_("The store {path} is a folder, not a file. Move that folder away, or set "
                           "KITCHENCAM_STORE to a file path.").format(path=path))
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(_("Cannot create the data folder {folder} ({reason}). Check that its parent exists and "
                           "is writable by you, or set KITCHENCAM_DATA_DIR to another folder.").format(
            folder=folder, reason=exc.strerror or exc)) from None
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(_("The store {path} is read-only or not yours (permission denied). Make it "
                               "readable and writable by you: chmod u+rw {path}; do not delete it: it holds "
                               "the site's records.").format(path=path))
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreError(_("The data folder {folder} is read-only: the store {path} cannot write its journal "
                               "there. Make the folder writable by you: chmod u+rwx {folder}.").format(
                folder=folder, path=path))
        signs = _signs_of_use(path)
        if path.stat().st_size == 0 and signs:
            raise StoreError(_("The store {path} is empty (0 bytes), yet kitchencam has been used here ({files}): "
                               "the store was truncated (a full disk, an interrupted copy or sync?). Restore it "
                               "from a backup; to start a new, empty store instead, delete the empty file and "
                               "run the command again.").format(path=path, files=", ".join(signs)))
        return
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(_("The data folder {folder} is read-only: kitchencam cannot create its store {path} "
                           "there. Make the folder writable by you (chmod u+rwx {folder}), or set "
                           "KITCHENCAM_DATA_DIR to another folder.").format(folder=folder, path=path))
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(_("Cannot create the store {path} ({reason}). Check that {folder} is writable by you, "
                           "or set KITCHENCAM_DATA_DIR to another folder.").format(
            path=path, reason=exc.strerror or exc, folder=folder)) from None


class Store:
    """One open store file. Use as a context manager, or call ``close()``."""

    def __init__(self, path: Path, *, timeout_s: float = 5.0) -> None:
        self.path = path
        check_store_path(path)
        try:
            self.conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                _("Cannot open the store {path}: {reason}. Check the folder exists and is writable.").format(
                    path=path, reason=exc
                )
            ) from None
        self.conn.row_factory = sqlite3.Row
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise self._error(exc) from None

    def _error(self, exc: sqlite3.Error) -> StoreError:
        return store_error(self.path, exc)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One change, one transaction: all or nothing, durable once it returns."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    # -- migrations ----------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply every migration not yet recorded; return the versions applied now."""
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self.conn.execute("SELECT version FROM schema_migrations")}
        newest_known = max(v for v, _n, _s in MIGRATIONS)
        if done and max(done) > newest_known:
            raise StoreError(
                _("The store {path} was written by a newer kitchencam (schema {found} > {known}). "
                  "Upgrade kitchencam: pipx upgrade kitchencam").format(
                    path=self.path, found=max(done), known=newest_known
                )
            )
        applied = []
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            # executescript commits implicitly; wrap the statements in our own transaction.
            self.conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\n"
                f"INSERT INTO schema_migrations(version, name, applied_at) "
                f"VALUES ({version}, '{name}', '{_now()}');\nCOMMIT;"
            )
            applied.append(version)
        return applied

    def migrations(self) -> list[tuple[int, str, str]]:
        rows = self.conn.execute("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
        return [(r[0], r[1], r[2]) for r in rows]

    def integrity_check(self) -> list[str]:
        try:
            return [r[0] for r in self.conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    # -- sites ---------------------------------------------------------------------------------

    def upsert_site(self, code: str, name: str, config_path: str | None = None) -> SiteRow:
        now = _now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO sites(code, name, config_path, created_at, updated_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT(code) DO UPDATE SET name=excluded.name,"
                " config_path=COALESCE(excluded.config_path, sites.config_path),"
                " updated_at=excluded.updated_at",
                (code, name, config_path, now, now),
            )
        site = self.get_site(code)
        assert site is not None
        return site

    def get_site(self, code: str) -> SiteRow | None:
        row = self.conn.execute("SELECT * FROM sites WHERE code = ?", (code,)).fetchone()
        return SiteRow(**dict(row)) if row else None

    def list_sites(self) -> list[SiteRow]:
        return [SiteRow(**dict(r)) for r in self.conn.execute("SELECT * FROM sites ORDER BY code")]

    # -- devices -------------------------------------------------------------------------------

    def upsert_device(self, site_id: int, endpoint: str, **fields: object) -> DeviceRow:
        """Insert or update by (site, endpoint reference): a second discover updates, never duplicates.

        Fields passed as None keep what is stored (a later run that could not read the serial does
        not erase it).
        """
        unknown = set(fields) - set(DEVICE_FIELDS)
        if unknown:
            raise ValueError(f"unknown device fields: {sorted(unknown)}")
        now = _now()
        cols = [k for k in DEVICE_FIELDS if k in fields]
        values = [json.dumps(fields[k]) if k in JSON_FIELDS and fields[k] is not None else fields[k] for k in cols]
        if "address" not in cols:
            raise ValueError("address is required")
        updates = ", ".join(f"{c}=COALESCE(excluded.{c}, devices.{c})" for c in cols)
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO devices(site_id, endpoint, {', '.join(cols)}, first_seen, last_seen)"  # noqa: S608 - column names from DEVICE_FIELDS
                f" VALUES (?, ?, {', '.join('?' for _ in cols)}, ?, ?)"
                f" ON CONFLICT(site_id, endpoint) DO UPDATE SET {updates}, last_seen=excluded.last_seen",
                (site_id, endpoint, *values, now, now),
            )
        row = self.conn.execute(
            "SELECT * FROM devices WHERE site_id = ? AND endpoint = ?", (site_id, endpoint)
        ).fetchone()
        return DeviceRow.from_row(row)

    def adopt_device(self, site_id: int, serial: str, endpoint: str) -> None:
        """A camera first recorded by ``register`` (no discovery, so no endpoint reference) takes the
        endpoint reference a later discover found for the same serial: one row, not two."""
        with self.transaction() as conn:
            taken = conn.execute("SELECT 1 FROM devices WHERE site_id = ? AND endpoint = ?",
                                 (site_id, endpoint)).fetchone()
            if taken is None:
                conn.execute("UPDATE devices SET endpoint = ? WHERE site_id = ? AND serial = ? AND endpoint = ?",
                             (endpoint, site_id, serial, registered_endpoint(serial)))

    def find_device(self, site_id: int, *, serial: str | None = None, address: str | None = None) -> DeviceRow | None:
        """The inventory row for a camera checked by address: same serial first, else same address."""
        if serial:
            row = self.conn.execute("SELECT * FROM devices WHERE site_id = ? AND serial = ? ORDER BY last_seen DESC",
                                    (site_id, serial)).fetchone()
            if row:
                return DeviceRow.from_row(row)
        if address:
            row = self.conn.execute("SELECT * FROM devices WHERE site_id = ? AND address = ? ORDER BY last_seen DESC",
                                    (site_id, address)).fetchone()
            if row:
                return DeviceRow.from_row(row)
        return None

    # -- check runs ----------------------------------------------------------------------------

    def record_check_run(self, site_id: int, profile: str, started_at: str, checks: list[CheckRecord],
                         attestations: list[AttestationRecord], *, command: str = "check") -> int:
        """One check run, every camera's verdicts and the attestations used, in one transaction."""
        with self.transaction() as conn:
            run_id = conn.execute(
                "INSERT INTO runs(site_id, command, profile, started_at, finished_at) VALUES (?, ?, ?, ?, ?)",
                (site_id, command, profile, started_at, _now()),
            ).lastrowid
            assert run_id is not None
            for c in checks:
                check_id = conn.execute(
                    "INSERT INTO device_checks(run_id, device_id, target, manufacturer, model, serial, firmware, mac,"
                    " overall, error_code, error_message, checked_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (run_id, c.device_id, c.target, c.manufacturer, c.model, c.serial, c.firmware, c.mac,
                     c.overall, c.error_code, c.error_message, c.checked_at),
                ).lastrowid
                conn.executemany(
                    "INSERT INTO verdicts(check_id, position, rule, status, data) VALUES (?,?,?,?,?)",
                    [(check_id, i, v["rule"], v["status"], json.dumps(v, ensure_ascii=False))
                     for i, v in enumerate(c.verdicts)],
                )
            conn.executemany(
                "INSERT INTO attestations(run_id, rule, answer, attested_by, attested_at, note, origin)"
                " VALUES (?,?,?,?,?,?,?)",
                [(run_id, a.rule, int(a.answer), a.by, a.at, a.note, a.origin) for a in attestations],
            )
        return int(run_id)

    # -- provisioning ---------------------------------------------------------------------------

    def save_backup(self, site_id: int, camera_key: str, target: str, settings: dict[str, Any]) -> int:
        """The settings a provision is about to touch, stored before the first change."""
        with self.transaction() as conn:
            backup_id = conn.execute(
                "INSERT INTO backups(site_id, camera_key, target, settings, created_at) VALUES (?,?,?,?,?)",
                (site_id, camera_key, target, json.dumps(settings, ensure_ascii=False), _now()),
            ).lastrowid
        assert backup_id is not None
        return int(backup_id)

    def first_backup(self, site_id: int, camera_key: str) -> tuple[int, dict[str, Any]] | None:
        """The oldest unrestored backup of a camera: its settings before kitchencam first touched it."""
        for row in self.conn.execute(
            "SELECT id, settings FROM backups WHERE site_id = ? AND camera_key = ? AND restored_at IS NULL"
            " ORDER BY id", (site_id, camera_key),
        ):
            settings = json.loads(row[1])
            if isinstance(settings, dict) and "registration" in settings:
                continue  # register's backup of the dial-out: registration_backups()
            return int(row[0]), settings
        return None

    def mark_restored(self, site_id: int, camera_key: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE backups SET restored_at = ? WHERE site_id = ? AND camera_key = ? "
                         "AND restored_at IS NULL", (_now(), site_id, camera_key))

    def record_step(self, backup_id: int, step: str, status: str, detail: str | None = None) -> None:
        """One applied (or failed) step, durable at once: a dropped camera leaves a resumable record."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO provision_steps(backup_id, step, status, detail, at) VALUES (?,?,?,?,?)",
                         (backup_id, step, status, detail, _now()))

    def steps(self, backup_id: int) -> list[tuple[str, str, str | None]]:
        return [(r[0], r[1], r[2]) for r in self.conn.execute(
            "SELECT step, status, detail FROM provision_steps WHERE backup_id = ? ORDER BY id", (backup_id,))]

    # -- bandwidth ------------------------------------------------------------------------------

    def save_bandwidth(self, site_id: int, *, mean_mbps: float, p10_mbps: float, duration_s: float | None = None,
                       streams: int | None = None, url: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO bandwidth_results(site_id, measured_at, mean_mbps, p10_mbps, duration_s, streams, url)"
                " VALUES (?,?,?,?,?,?,?)", (site_id, _now(), mean_mbps, p10_mbps, duration_s, streams, url))

    def latest_bandwidth(self, site_id: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM bandwidth_results WHERE site_id = ? ORDER BY id DESC LIMIT 1",
                                (site_id,)).fetchone()
        return dict(row) if row else None

    def latest_checks(self, site_id: int) -> list[CheckRecord]:
        """The newest check of each camera of the site (by serial, else by device, else by target: a
        camera checked before it entered the inventory is still one camera)."""
        rows = self.conn.execute(
            "SELECT dc.*, r.profile FROM device_checks dc JOIN runs r ON r.id = dc.run_id"
            " WHERE r.site_id = ? ORDER BY dc.id DESC", (site_id,),
        ).fetchall()
        seen: set[str] = set()
        out = []
        for row in rows:
            if row["serial"]:
                key = f"s{row['serial']}"
            else:
                key = f"d{row['device_id']}" if row["device_id"] is not None else f"t{row['target']}"
            if key in seen:
                continue
            seen.add(key)
            verdicts = [json.loads(v[0]) for v in self.conn.execute(
                "SELECT data FROM verdicts WHERE check_id = ? ORDER BY position", (row["id"],))]
            data = {k: row[k] for k in row.keys() if k not in ("id", "run_id", "profile")}  # noqa: SIM118 - a Row iterates values
            out.append(CheckRecord(**data, run_id=row["run_id"], profile=row["profile"], verdicts=verdicts))
        return out

    def list_devices(self, site_id: int, kind: str | None = None) -> list[DeviceRow]:
        if kind is None:
            rows = self.conn.execute("SELECT * FROM devices WHERE site_id = ? ORDER BY address", (site_id,))
        else:
            rows = self.conn.execute(
                "SELECT * FROM devices WHERE site_id = ? AND kind = ? ORDER BY address", (site_id, kind)
            )
        return [DeviceRow.from_row(r) for r in rows]

    # -- registration outbox ----------------------------------------------------------------------

    def enqueue_registration(self, site_id: int, *, camera_key: str, target: str, idempotency_key: str,
                             payload: dict[str, Any], secret_ref: str | None, device_id: int | None) -> OutboxItem:
        """Queue one camera's registration, durable before anything is sent.

        A camera already waiting has its queued item replaced (the newest facts win); one already
        sent keeps its row as history, and the new item is sent as an update.
        """
        now = _now()
        with self.transaction() as conn:
            conn.execute("UPDATE outbox SET state = 'superseded', updated_at = ? WHERE site_id = ? AND camera_key = ?"
                         " AND state = 'queued'", (now, site_id, camera_key))
            item_id = conn.execute(
                "INSERT INTO outbox(site_id, device_id, camera_key, target, idempotency_key, payload, secret_ref,"
                " state, next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,'queued',?,?,?)",
                (site_id, device_id, camera_key, target, idempotency_key, json.dumps(payload, ensure_ascii=False),
                 secret_ref, now, now, now),
            ).lastrowid
        item = self.outbox_item(int(item_id or 0))
        assert item is not None
        return item

    def outbox_item(self, item_id: int) -> OutboxItem | None:
        row = self.conn.execute("SELECT * FROM outbox WHERE id = ?", (item_id,)).fetchone()
        return OutboxItem.from_row(row) if row else None

    def queued(self, site_id: int, *, due_by: str | None = None) -> list[OutboxItem]:
        """Items waiting to be sent, oldest first; with ``due_by``, only those whose backoff has passed."""
        sql = "SELECT * FROM outbox WHERE site_id = ? AND state = 'queued'"
        args: list[Any] = [site_id]
        if due_by is not None:
            sql += " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            args.append(due_by)
        return [OutboxItem.from_row(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def mark_sent(self, item_id: int, *, http_status: int, centre_device_id: str | None) -> None:
        now = _now()
        with self.transaction() as conn:
            conn.execute("UPDATE outbox SET state = 'sent', attempts = attempts + 1, http_status = ?,"
                         " centre_device_id = ?, last_error = NULL, next_attempt_at = NULL, sent_at = ?,"
                         " updated_at = ? WHERE id = ? AND state = 'queued'",
                         (http_status, centre_device_id, now, now, item_id))

    def mark_failed(self, item_id: int, *, reason: str, http_status: int | None, retry_at: str | None) -> None:
        """A failed attempt: kept queued with the reason and when to retry, or rejected (``retry_at`` None)."""
        state = "queued" if retry_at is not None else "rejected"
        with self.transaction() as conn:
            conn.execute("UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, http_status = ?,"
                         " next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'",
                         (state, reason, http_status, retry_at, _now(), item_id))

    def registrations(self, site_id: int) -> list[OutboxItem]:
        """Each camera's newest registration item (any state but superseded), by camera."""
        rows = self.conn.execute(
            "SELECT * FROM outbox WHERE site_id = ? AND state != 'superseded' ORDER BY id DESC", (site_id,)
        ).fetchall()
        seen: set[str] = set()
        out = []
        for row in rows:
            if row["camera_key"] in seen:
                continue
            seen.add(row["camera_key"])
            out.append(OutboxItem.from_row(row))
        return sorted(out, key=lambda i: i.target)

    # -- centre connections (dial-out) ----------------------------------------------------------

    def connection_numbers(self, site_id: int, camera_keys: list[str]) -> dict[str, int]:
        """Each camera's number on the site for its device ID: kept once given (``save_connection``),
        the next free ones for cameras new here, in the order given."""
        known = {str(r[0]): int(r[1]) for r in self.conn.execute(
            "SELECT camera_key, n FROM centre_connections WHERE site_id = ?", (site_id,))}
        top = max(known.values(), default=0)
        out: dict[str, int] = {}
        for key in camera_keys:
            if key in known:
                out[key] = known[key]
            elif key not in out:
                top += 1
                out[key] = top
        return out

    def camera_number(self, site_id: int, camera_key: str) -> int:
        """The camera's number on the site (its hostname's ``{n}``, its device ID's), given now if it
        has none: the numbering of ``connection_numbers``, kept as a row ``register`` fills in later."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO centre_connections(site_id, camera_key, n, method, checked_at)"
                " SELECT ?, ?, COALESCE(MAX(n), 0) + 1, ?, ? FROM centre_connections WHERE site_id = ?"
                " ON CONFLICT (site_id, camera_key) DO NOTHING",
                (site_id, camera_key, NUMBER_ONLY, _now(), site_id))
            row = conn.execute("SELECT n FROM centre_connections WHERE site_id = ? AND camera_key = ?",
                               (site_id, camera_key)).fetchone()
        return int(row[0])

    def save_connection(self, site_id: int, *, camera_key: str, target: str | None, n: int, method: str,
                        device_id: str | None, host: str | None, port: int | None, configured: bool | None,
                        read_back: dict[str, Any] | None, online: bool | None, via: str | None,
                        last_seen: str | None, last_refusal: str | None, diagnosis: list[str]) -> None:
        """What ``register`` (or ``register --status``) just saw of one camera's dial-out."""
        now = _now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO centre_connections(site_id, camera_key, target, n, method, device_id, host, port,"
                " configured, read_back, online, via, last_seen, last_refusal, diagnosis, checked_at, configured_at,"
                " confirmed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (site_id, camera_key) DO UPDATE SET target = excluded.target, method = excluded.method,"
                " device_id = excluded.device_id, host = excluded.host, port = excluded.port,"
                " configured = COALESCE(excluded.configured, centre_connections.configured),"
                " read_back = COALESCE(excluded.read_back, centre_connections.read_back),"
                " online = excluded.online, via = excluded.via,"
                " last_seen = COALESCE(excluded.last_seen, centre_connections.last_seen),"
                " last_refusal = excluded.last_refusal, diagnosis = excluded.diagnosis,"
                " checked_at = excluded.checked_at,"
                " configured_at = COALESCE(excluded.configured_at, centre_connections.configured_at),"
                " confirmed_at = COALESCE(excluded.confirmed_at, centre_connections.confirmed_at)",
                (site_id, camera_key, target, n, method, device_id, host, port,
                 None if configured is None else int(configured),
                 json.dumps(read_back, ensure_ascii=False) if read_back is not None else None,
                 None if online is None else int(online), via, last_seen, last_refusal,
                 json.dumps(diagnosis, ensure_ascii=False), now, now if configured else None,
                 now if online else None))

    def connections(self, site_id: int) -> list[ConnectionRecord]:
        return [ConnectionRecord.from_row(r) for r in self.conn.execute(
            "SELECT * FROM centre_connections WHERE site_id = ? AND method != ? ORDER BY n",
            (site_id, NUMBER_ONLY))]

    def registration_backups(self, site_id: int, camera_key: str) -> list[tuple[int, dict[str, Any]]]:
        """The unrestored backups ``register`` kept of a camera's dial-out settings, oldest first."""
        rows = self.conn.execute(
            "SELECT id, settings FROM backups WHERE site_id = ? AND camera_key = ? AND restored_at IS NULL"
            " ORDER BY id", (site_id, camera_key)).fetchall()
        found = [(int(r[0]), json.loads(r[1])) for r in rows]
        return [(i, s) for i, s in found if isinstance(s, dict) and "registration" in s]

    # -- snapshots and report -------------------------------------------------------------------

    def save_provision_result(self, site_id: int, *, camera_key: str, target: str, backup_id: int | None,
                              state: str, steps: list[dict[str, Any]], rtsp: dict[str, Any] | None,
                              verify_problems: list[str], timezone_used: str | None, error: str | None = None) -> int:
        """One camera's provisioning outcome (the report's "settings applied" and RTSP check)."""
        with self.transaction() as conn:
            row_id = conn.execute(
                "INSERT INTO provision_results(site_id, camera_key, target, backup_id, state, steps, rtsp,"
                " verify_problems, timezone_used, error, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (site_id, camera_key, target, backup_id, state, json.dumps(steps, ensure_ascii=False),
                 json.dumps(rtsp, ensure_ascii=False) if rtsp is not None else None,
                 json.dumps(verify_problems, ensure_ascii=False), timezone_used, error, _now()),
            ).lastrowid
        return int(row_id or 0)

    def provision_results(self, site_id: int) -> list[ProvisionRecord]:
        """Each camera's newest provisioning outcome."""
        out: dict[str, ProvisionRecord] = {}
        for row in self.conn.execute("SELECT * FROM provision_results WHERE site_id = ? ORDER BY id DESC",
                                     (site_id,)):
            if row["camera_key"] in out:
                continue
            data = dict(row)
            data.pop("site_id")
            data["steps"] = json.loads(data["steps"])
            data["rtsp"] = json.loads(data["rtsp"]) if data["rtsp"] else None
            data["verify_problems"] = json.loads(data["verify_problems"])
            out[row["camera_key"]] = ProvisionRecord(**data)
        return list(out.values())

    def backups(self, site_id: int) -> list[BackupRecord]:
        """Every provisioning backup of the site, oldest first, with the steps recorded after each."""
        out = []
        for row in self.conn.execute("SELECT * FROM backups WHERE site_id = ? ORDER BY id", (site_id,)):
            steps = [dict(s) for s in self.conn.execute(
                "SELECT step, status, detail, at FROM provision_steps WHERE backup_id = ? ORDER BY id", (row["id"],))]
            out.append(BackupRecord(id=row["id"], camera_key=row["camera_key"], target=row["target"],
                                    settings=json.loads(row["settings"]), created_at=row["created_at"],
                                    restored_at=row["restored_at"], steps=steps))
        return out

    def save_snapshot(self, site_id: int, *, camera_key: str, target: str | None, source: str,
                      content_type: str | None = None, data: bytes | None = None, sha256: str | None = None,
                      error: str | None = None, taken_at: str | None = None) -> int:
        """A picture taken from a camera (``data``), or a failed attempt (``error``), durable at once."""
        if (data is None) == (error is None):
            raise ValueError("a snapshot has either data or an error")
        with self.transaction() as conn:
            row_id = conn.execute(
                "INSERT INTO snapshots(site_id, camera_key, target, taken_at, content_type, bytes, sha256, source,"
                " error) VALUES (?,?,?,?,?,?,?,?,?)",
                (site_id, camera_key, target, taken_at or _now(), content_type,
                 sqlite3.Binary(data) if data is not None else None, sha256, source, error),
            ).lastrowid
        return int(row_id or 0)

    def snapshots(self, site_id: int) -> list[SnapshotRecord]:
        """Per camera, the newest picture; a camera without any picture gets its newest failed attempt."""
        pictures: dict[str, SnapshotRecord] = {}
        failures: dict[str, SnapshotRecord] = {}
        for row in self.conn.execute("SELECT * FROM snapshots WHERE site_id = ? ORDER BY id DESC", (site_id,)):
            key = row["camera_key"]
            found = pictures if row["bytes"] is not None else failures
            if key in found:
                continue
            found[key] = SnapshotRecord(
                id=row["id"], camera_key=key, target=row["target"], taken_at=row["taken_at"],
                content_type=row["content_type"], data=bytes(row["bytes"]) if row["bytes"] is not None else None,
                sha256=row["sha256"], source=row["source"], error=row["error"])
        return list(pictures.values()) + [f for k, f in failures.items() if k not in pictures]

    def camera_attestations(self, site_id: int) -> list[CameraAttestation]:
        """Every attestation of the site's check runs, once per camera checked in that run, oldest first."""
        rows = self.conn.execute(
            "SELECT a.rule, a.answer, a.attested_by, a.attested_at, a.note, a.origin, a.run_id,"
            " dc.device_id, dc.target, dc.serial FROM attestations a"
            " JOIN runs r ON r.id = a.run_id JOIN device_checks dc ON dc.run_id = a.run_id"
            " WHERE r.site_id = ? ORDER BY a.attested_at, a.id, dc.id", (site_id,))
        found = [CameraAttestation(rule=r["rule"], answer=bool(r["answer"]), by=r["attested_by"],
                                   at=r["attested_at"], note=r["note"], origin=r["origin"], run_id=r["run_id"],
                                   device_id=r["device_id"], target=r["target"], serial=r["serial"])
                 for r in rows]
        # A revocation (``check --attest RULE=revoke``) ends that camera's attestations of the rule
        # given in earlier runs; it is no attestation itself.
        revoked: dict[tuple[str, str], int] = {}
        for a in found:
            if a.origin == REVOKED:
                key = (_camera_of(a), a.rule)
                revoked[key] = max(revoked.get(key, 0), a.run_id)
        return [a for a in found
                if a.origin != REVOKED and a.run_id >= revoked.get((_camera_of(a), a.rule), 0)]

    def run_commands(self, site_id: int) -> dict[int, str]:
        """Which command made each run of the site (check, provision): the report names it."""
        return {int(r[0]): str(r[1]) for r in self.conn.execute("SELECT id, command FROM runs WHERE site_id = ?",
                                                                (site_id,))}

    def all_checks(self, site_id: int) -> list[CheckRecord]:
        """Every camera check of the site with its verdicts, newest first (``profile`` holds the run's
        profile; the report picks, per rule, the newest conclusive verdict)."""
        rows = self.conn.execute(
            "SELECT dc.*, r.profile FROM device_checks dc JOIN runs r ON r.id = dc.run_id"
            " WHERE r.site_id = ? ORDER BY dc.checked_at DESC, dc.id DESC", (site_id,)).fetchall()
        verdicts: dict[int, list[dict[str, Any]]] = {}
        for v in self.conn.execute(
                "SELECT v.check_id, v.data FROM verdicts v JOIN device_checks dc ON dc.id = v.check_id"
                " JOIN runs r ON r.id = dc.run_id WHERE r.site_id = ? ORDER BY v.check_id, v.position", (site_id,)):
            verdicts.setdefault(int(v[0]), []).append(json.loads(v[1]))
        out = []
        for row in rows:
            data = {k: row[k] for k in row.keys() if k not in ("id", "run_id", "profile")}  # noqa: SIM118 - a Row iterates values
            out.append(CheckRecord(**data, run_id=row["run_id"], profile=row["profile"],
                                   verdicts=verdicts.get(int(row["id"]), [])))
        return out

    # -- handover -------------------------------------------------------------------------------

    def handover_mark(self, site_id: int, stage: str, item: str = "", result: dict[str, Any] | None = None) -> None:
        """``kitchencam handover`` finished ``stage`` (``item``: one camera of a per-camera stage)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO handover_progress(site_id, stage, item, result, finished_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT(site_id, stage, item) DO UPDATE SET result = excluded.result,"
                " finished_at = excluded.finished_at",
                (site_id, stage, item, json.dumps(result, ensure_ascii=False) if result is not None else None,
                 _now()))

    def handover_progress(self, site_id: int) -> dict[tuple[str, str], dict[str, Any] | None]:
        """What ``handover`` has finished for the site: (stage, item) -> the stage's stored result."""
        return {(str(r[0]), str(r[1])): json.loads(r[2]) if r[2] else None for r in self.conn.execute(
            "SELECT stage, item, result FROM handover_progress WHERE site_id = ? ORDER BY id", (site_id,))}

    def handover_reset(self, site_id: int) -> int:
        """``handover --restart``: forget what it finished (the checks, backups and results stay)."""
        with self.transaction() as conn:
            return int(conn.execute("DELETE FROM handover_progress WHERE site_id = ?", (site_id,)).rowcount)
