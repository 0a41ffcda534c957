"""pyproject.toml lists kitchencam's packages by hand (setuptools' `find` cannot see the mapped
profiles/ folder): every package in the tree must be in that list, and the profiles must be mapped
and covered by package-data, or a wheel would ship without them.
tests/integration/test_wheel_install.py proves the whole chain by installing a built wheel."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parents[2]


def _setuptools() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]


def test_every_package_in_the_tree_is_listed_for_the_wheel():
    in_tree = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "kitchencam").rglob("__init__.py")}
    listed = set(_setuptools()["packages"])
    missing = sorted(in_tree - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    assert sorted(listed - in_tree) == ["kitchencam.profiles"]


def test_the_top_level_profiles_are_mapped_into_the_package():
    config = _setuptools()
    assert config["package-dir"] == {"kitchencam.profiles": "profiles"}
    folder = ROOT / config["package-dir"]["kitchencam.profiles"]
    assert (folder / "__init__.py").is_file()  # the editable install maps only regular packages
    patterns = config["package-data"]["kitchencam.profiles"]
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml")]
    assert "thanhtri-2024.yaml" in files
    assert any(f.startswith("models/") for f in files)
    for name in files:
        assert any(fnmatch(name, pattern) for pattern in patterns), f"{name} would not be in the wheel"
