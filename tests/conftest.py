"""Shared fixtures: every test gets its own config/data folders and a fresh CLI environment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kitchencam import cli
from kitchencam.i18n import set_language


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep tests away from the developer's real config, store and keyring."""
    monkeypatch.setenv("KITCHENCAM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("KITCHENCAM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KITCHENCAM_KEYRING", "file")
    monkeypatch.setenv("KITCHENCAM_LANG", "en")
    for var in ("KITCHENCAM_USER", "KITCHENCAM_PASSWORD", "KITCHENCAM_SITE", "KITCHENCAM_STORE",
                "KITCHENCAM_CENTRE_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    set_language("en")
    monkeypatch.setattr(cli, "ENV", cli.Env(interactive=False))
    yield tmp_path
    set_language("en")


@pytest.fixture(autouse=True)
def fresh_login_budget() -> Iterator[None]:
    """Each test starts a new "run": the process-wide login budget (kitchencam/logins.py) forgets
    the refused logins of earlier tests, which share loopback hosts."""
    from kitchencam.logins import BUDGET

    BUDGET.reset()
    yield
    BUDGET.reset()


class Run:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        # A fresh Env per invocation, as a fresh process would have.
        cli.ENV = cli.Env(interactive=input is not None)
        return self.runner.invoke(cli.app, list(args), input=input, env=env, catch_exceptions=False)

    def json(self, *args: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        result = self(*args, "--json", **kw)
        return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def run() -> Run:
    return Run()


SITE_ARGS = ("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
             "--centre-url", "http://127.0.0.1:8000/")

