"""A read-only, misplaced or truncated data folder: said plainly, never papered over (issue 17)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from kitchencam.errors import StoreError
from kitchencam.store import Store
from tests.conftest import SITE_ARGS


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_store_site_config_and_their_folders_are_private(run, isolated: Path):
    result = run(*SITE_ARGS)
    assert result.exit_code == 0, result.stderr
    assert mode(isolated / "config" / "site.yaml") == 0o600
    assert mode(isolated / "data" / "kitchencam.db") == 0o600
    assert mode(isolated / "config") == 0o700
    assert mode(isolated / "data") == 0o700
    # --force rewrites an existing, once world-readable, config as 0600 too.
    (isolated / "config" / "site.yaml").chmod(0o644)
    assert run(*SITE_ARGS, "--force").exit_code == 0
    assert mode(isolated / "config" / "site.yaml") == 0o600


def test_a_data_folder_that_is_a_file_is_named(run, isolated: Path):
    (isolated / "data").write_text("not a folder", encoding="utf-8")
    code, doc = run.json("doctor")
    assert code == 1
    [check] = [c for c in doc["data"]["checks"] if c["name"] == "store"]
    assert f"The data folder {isolated / 'data'} is a file, not a folder" in check["detail"]
    assert "KITCHENCAM_DATA_DIR" in check["detail"]
    assert "aside" not in (check["fix"] or "")


def test_a_read_only_data_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "data"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
    else:  # root writes anywhere: ask the same question the code asks, with the answer a user would get
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == folder else real(p, m))
    try:
        with pytest.raises(StoreError) as info:
            Store(folder / "kitchencam.db")
    finally:
        folder.chmod(0o700)
    assert f"The data folder {folder} is read-only" in info.value.message
    assert "chmod u+rwx" in info.value.message
    assert not (folder / "kitchencam.db").exists()


def test_an_empty_store_beside_other_kitchencam_files_is_reported_not_replaced(tmp_path: Path):
    store = tmp_path / "kitchencam.db"
    (tmp_path / "secrets.json").write_text("{}", encoding="utf-8")
    store.write_bytes(b"")
    with pytest.raises(StoreError) as info:
        Store(store)
    assert "is empty (0 bytes)" in info.value.message
    assert "secrets.json" in info.value.message
    assert store.stat().st_size == 0  # left as found, for whoever restores it


def test_an_empty_store_alone_is_a_first_run(tmp_path: Path):
    store = tmp_path / "kitchencam.db"
    store.write_bytes(b"")
    with Store(store) as s:
        assert s.migrations()


def test_doctor_never_advises_moving_a_readable_store_aside(run, isolated: Path):
    assert run(*SITE_ARGS).exit_code == 0
    path = isolated / "data" / "kitchencam.db"
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    conn.commit()
    conn.close()
    code, doc = run.json("doctor")
    assert code == 1
    [check] = [c for c in doc["data"]["checks"] if c["name"] == "store"]
    assert "newer kitchencam" in check["detail"]
    assert "aside" not in check["fix"]
    assert "Keep the store where it is" in check["fix"]


def test_doctor_reports_an_empty_store_with_a_restore_first(run, isolated: Path):
    assert run(*SITE_ARGS).exit_code == 0
    path = isolated / "data" / "kitchencam.db"
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"")
    (isolated / "data" / "secrets.json").write_text("{}", encoding="utf-8")
    code, doc = run.json("doctor")
    assert code == 1
    [check] = [c for c in doc["data"]["checks"] if c["name"] == "store"]
    assert "is empty (0 bytes)" in check["detail"]
    assert check["fix"].startswith("Restore the store from a backup")
    assert path.stat().st_size == 0
