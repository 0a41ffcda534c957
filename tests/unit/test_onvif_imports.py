"""Only kitchencam/onvif may import zeep (DESIGN.md, STYLE.md 5)."""

from __future__ import annotations

import ast
from pathlib import Path

import kitchencam

ROOT = Path(kitchencam.__file__).parent


def _imports_zeep(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "zeep" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "zeep":
            return True
    return False


def test_only_onvif_imports_zeep() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
                 if "onvif" not in p.relative_to(ROOT).parts[:1] and _imports_zeep(p)]
    assert offenders == []


def test_the_scan_sees_zeep_imports() -> None:
    assert _imports_zeep(ROOT / "onvif" / "client.py")
