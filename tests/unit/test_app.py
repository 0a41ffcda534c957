"""The application layer's context (kitchencam/app.py): built once, each part loaded when first
asked for and then kept, and any part can be given beforehand (the demo's own world)."""

from __future__ import annotations

from typing import Any

import pytest

from kitchencam import app
from kitchencam.errors import UsageError
from kitchencam.settings import Credentials, Paths
from tests.conftest import SITE_ARGS


def test_without_a_site_config_the_run_is_local_with_the_default_profile():
    ctx = app.Context.from_paths(Paths.from_env())
    assert ctx.site is None
    assert (ctx.school.code, ctx.school.ntp_servers) == ("local", [])
    assert ctx.profile.id == app.DEFAULT_PROFILE
    assert ctx.profile is ctx.profile  # loaded once
    with pytest.raises(UsageError, match="site init"):
        ctx.centre_client()


def test_the_site_config_names_the_school_and_the_profile_option_wins(run: Any):
    assert run(*SITE_ARGS).exit_code == 0
    ctx = app.Context.from_paths(Paths.from_env(), profile_name="thanhtri-2024")
    assert ctx.site is not None
    assert (ctx.school.code, ctx.school.name) == ("MN-TTO", "Trường Mầm non Tả Thanh Oai")
    assert ctx.profile.id == "thanhtri-2024"


def test_given_parts_are_used_as_they_are(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KITCHENCAM_PASSWORD", "from-the-environment")
    ctx = app.Context(paths=None, site_file=None, store_file=None)
    ctx.credentials = Credentials("admin", "given", "demo")
    ctx.secrets = secrets = app.MemorySecrets()
    secrets.set("centre-account:x", "s3cret")
    assert ctx.credentials.password == "given"
    assert ctx.secrets.get("centre-account:x") == "s3cret"
    assert ctx.site is None


def test_credentials_come_from_the_environment_when_not_given(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KITCHENCAM_PASSWORD", "from-the-environment")
    ctx = app.Context.from_paths(Paths.from_env(), user="admin")
    assert (ctx.credentials.user, ctx.credentials.password, ctx.credentials.source) == (
        "admin", "from-the-environment", "env")
