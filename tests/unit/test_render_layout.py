"""The layout DESIGN.md asks for: the cli package parses and calls the core, render.py holds the renderers.

kitchencam.cli must not pull rich or render.py in at import (``kitchencam --help`` stays fast), render.py
must not pull in zeep or the core modules, and every command hands ``finish`` a renderer from
render.py rather than one of its own.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kitchencam
from kitchencam import render

CLI = sorted((Path(kitchencam.__file__).parent / "cli").glob("*.py"))


def test_cli_import_does_not_load_rich_or_render():
    """Nor the application layer: kitchencam.app (and the core under it) loads when a command runs."""
    code = (
        "import sys; from kitchencam import cli; "
        "bad = sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.') "
        "or m in ('kitchencam.render', 'kitchencam.app')); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_render_import_stays_light():
    code = (
        "import sys; import kitchencam.render; "
        "heavy = ('zeep', 'kitchencam.onvif', 'kitchencam.check', 'kitchencam.provision', 'kitchencam.centre', "
        "'kitchencam.store', 'kitchencam.report', 'kitchencam.sim', 'kitchencam.discover', 'kitchencam.demo'); "
        "bad = sorted(m for m in sys.modules if m.startswith(heavy)); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _render_names(func: ast.FunctionDef) -> set[str]:
    return {alias.asname or alias.name for node in ast.walk(func) if isinstance(node, ast.ImportFrom)
            and node.module == "kitchencam.render" for alias in node.names}


def test_commands_render_with_render_py():
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in CLI]
    # A command is a top-level function of a cli module that hands its work to finish().
    commands = [node for tree in trees for node in tree.body if isinstance(node, ast.FunctionDef) and any(
        isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "finish"
        for call in ast.walk(node))]
    assert len(commands) >= 15
    for func in commands:
        nested = [n.name for n in ast.walk(func) if isinstance(n, ast.FunctionDef) and n is not func]
        assert "human" not in nested, f"{func.name}: a renderer belongs in render.py"
        imported = _render_names(func)
        for call in ast.walk(func):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "finish"):
                continue
            human = call.args[3]
            if func.name == "sim":  # serves until interrupted: not a renderer of a result
                continue
            names = [human.body, human.orelse] if isinstance(human, ast.IfExp) else [human]
            for name in names:
                assert isinstance(name, ast.Name), f"{func.name}: {ast.unparse(name)}"
                assert name.id in imported, f"{func.name}: {name.id} is not imported from kitchencam.render"
                assert name.id.startswith("render_")
                assert hasattr(render, name.id)
    top = [n.name for tree in trees for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert not [n for n in top if n.startswith("_render")], top


def test_rollback_with_some_problems_reports_them(run: Any, monkeypatch: pytest.MonkeyPatch):
    """Part restored, part not: exit 1 with one error per problem (its renderer and its errors)."""
    from kitchencam import provision
    from kitchencam.provision import RollbackResult

    def partial(target: str, *_a: Any, **_k: Any) -> RollbackResult:
        return RollbackResult(target=target, restored=["encoder"], problems=["imaging: the camera said no"])

    monkeypatch.setattr(provision, "rollback", partial)
    env = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": "x"}
    result = run("rollback", "127.0.0.1:9", "--yes", "--json", env=env)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["status"] == "partial"
    assert [e["code"] for e in doc["errors"]] == ["RollbackIncomplete"]
    result = run("rollback", "127.0.0.1:9", "--yes", env=env)
    assert result.exit_code == 1
    assert "127.0.0.1:9: restored encoder." in result.stdout
    assert "imaging: the camera said no" in result.stderr
