"""Secrets at rest (issue 17): doctor names the backend that holds them; the plaintext fallback is
said loudly (where, how protected, how to get a real keyring); the file is 0600 in a 0700 folder."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

PASSWORD = "Bep-An-2024-an-toan"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def keyring_check(doc: dict) -> dict:
    return next(c for c in doc["data"]["checks"] if c["name"] == "keyring")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_fallback_file_is_0600_in_a_0700_folder_and_doctor_says_so_loudly(run, isolated: Path) -> None:
    data = isolated / "data"
    data.mkdir(mode=0o755)  # made earlier (by the store, or an older version) with the umask's mode
    data.chmod(0o755)
    result = run("credentials", "set", "--user", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    secrets = data / "secrets.json"
    assert mode(secrets) == 0o600
    assert mode(data) == 0o700

    _code, doc = run.json("doctor")
    check = keyring_check(doc)
    assert check["status"] == "warn"
    assert "plaintext file" in check["detail"]
    assert str(secrets) in check["detail"]
    fix = check["fix"]
    assert "PLAIN TEXT" in fix
    assert str(secrets) in fix
    assert "0600" in fix
    assert "0700" in fix
    assert "Secret Service" in fix  # how to get a real keyring
    assert "encrypted keyring backend" in fix


@posix_only
def test_fallback_created_from_nothing_is_0700(run, isolated: Path) -> None:
    result = run("credentials", "set", "--user", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert mode(isolated / "data") == 0o700


@posix_only
def test_doctor_fails_when_others_can_read_the_fallback(run, isolated: Path) -> None:
    assert run("credentials", "set", "--user", "admin", input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    secrets = isolated / "data" / "secrets.json"
    secrets.chmod(0o644)
    _code, doc = run.json("doctor")
    check = keyring_check(doc)
    assert check["status"] == "fail"
    assert f"{secrets} (0644)" in check["fix"]
    assert f"chmod 600 {secrets}" in check["fix"]


def test_doctor_names_a_real_keyring_backend(run, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class Vault(KeyringBackend):  # a working backend of this process, standing for the OS's
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise NotImplementedError

        def delete_password(self, service: str, username: str) -> None:
            raise NotImplementedError

    monkeypatch.delenv("KITCHENCAM_KEYRING")
    previous = keyring.get_keyring()
    keyring.set_keyring(Vault())
    try:
        _code, doc = run.json("doctor")
    finally:
        keyring.set_keyring(previous)
    check = keyring_check(doc)
    assert check["status"] == "ok"
    assert check["detail"].endswith("test_doctor_names_a_real_keyring_backend.<locals>.Vault")
