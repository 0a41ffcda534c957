"""Credentials: env, keyring or a 0600 file; never echoed, never in JSON."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from kitchencam.errors import CredentialError
from kitchencam.settings import Paths, SecretStore, camera_key, resolve_credentials

SECRET = "S3cret-Kitchen-42"


def test_env_wins(monkeypatch):
    monkeypatch.setenv("KITCHENCAM_USER", "admin")
    monkeypatch.setenv("KITCHENCAM_PASSWORD", SECRET)
    creds = resolve_credentials(None, SecretStore(Paths.from_env()), interactive=False)
    assert (creds.user, creds.password, creds.source) == ("admin", SECRET, "env")
    assert SECRET not in repr(creds)


def test_file_fallback_is_private_and_says_so(isolated: Path):
    secrets = SecretStore(Paths.from_env())
    assert secrets.fallback_reason
    secrets.set(camera_key("admin"), SECRET)
    path = isolated / "data" / "secrets.json"
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    creds = resolve_credentials("admin", secrets, interactive=False)
    assert creds.password == SECRET
    assert creds.source == "file"


def test_missing_password_non_interactive_explains(isolated: Path):
    with pytest.raises(CredentialError, match="KITCHENCAM_PASSWORD"):
        resolve_credentials("admin", SecretStore(Paths.from_env()), interactive=False)


def test_prompt_is_hidden(isolated: Path):
    asked = []

    def prompt(label: str, hide: bool) -> str:
        asked.append((label, hide))
        return SECRET

    creds = resolve_credentials("admin", SecretStore(Paths.from_env()), interactive=True, prompt=prompt)
    assert creds.password == SECRET
    assert asked == [("Password for admin", True)]


def test_credentials_set_never_prints_the_secret(run, isolated: Path):
    result = run("credentials", "set", "--user", "admin", "--json", env={"KITCHENCAM_PASSWORD": SECRET})
    assert result.exit_code == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "secrets.json" in result.stdout
    store_file = isolated / "data" / "kitchencam.db"
    if store_file.exists():
        assert SECRET.encode() not in store_file.read_bytes()
    result = run("credentials", "forget", "--user", "admin")
    assert result.exit_code == 0
    assert "Forgot" in result.stdout


def test_saved_user_comes_after_option_and_env(isolated: Path, monkeypatch):
    secrets = SecretStore(Paths.from_env())
    secrets.set(camera_key("admin"), SECRET)
    secrets.set(camera_key("tech"), "other")
    assert resolve_credentials(None, secrets, interactive=False, saved_user="admin").user == "admin"
    assert resolve_credentials("tech", secrets, interactive=False, saved_user="admin").password == "other"
    monkeypatch.setenv("KITCHENCAM_USER", "tech")
    assert resolve_credentials(None, secrets, interactive=False, saved_user="admin").user == "tech"
