"""A wheel built from this tree works on a technician's laptop: installed into a fresh venv outside
the source tree, it finds its packaged profiles (mapped from the top-level profiles/ folder), a
user-folder profile beside them, and runs the demo. The editable install (`make test`, `make demo`)
finds the same folder.

Slow-ish (a wheel build, a venv, the dependencies from pip's cache or the registry, pinned by
constraints.txt); it stays in the default run because nothing else proves the packaging.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints.txt"
# What a build needs is pyproject.toml, README.md, kitchencam/ and profiles/; the rest stays out
# (a stale build/ or egg-info would leak old files into the wheel).
IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
                                "tests", "benchmarks", "docs", "scripts")
PIP_TIMEOUT = 600
RUN_TIMEOUT = 120

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@dataclass
class Laptop:
    source: Path  # a copy of the tree the wheel was built from
    venv: Path
    home: Path  # HOME, the platformdirs folders and KITCHENCAM_* folders all live under here
    workdir: Path

    @property
    def bin(self) -> Path:
        return self.venv / ("Scripts" if os.name == "nt" else "bin")

    @property
    def python(self) -> Path:
        return self.bin / ("python.exe" if os.name == "nt" else "python")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("KITCHENCAM_", "PYTHON", "VIRTUAL_ENV", "XDG_"))}
        env.update({
            "HOME": str(self.home), "USERPROFILE": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"), "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"), "APPDATA": str(self.home / "AppData" / "Roaming"),
            "LOCALAPPDATA": str(self.home / "AppData" / "Local"),
            "KITCHENCAM_CONFIG_DIR": str(self.home / "config"), "KITCHENCAM_DATA_DIR": str(self.home / "data"),
            "KITCHENCAM_KEYRING": "file", "KITCHENCAM_LANG": "en", "PYTHONNOUSERSITE": "1",
            "PIP_CONSTRAINT": str(CONSTRAINTS), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        })
        # pip's own cache stays the developer's (that is what makes this fast), not the fake HOME's.
        cache = _pip_cache_dir()
        if cache:
            env.setdefault("PIP_CACHE_DIR", cache)
        return env

    def run(self, *argv: str | Path, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in argv], cwd=self.workdir, env=self.env(), capture_output=True,
                              text=True, timeout=timeout, check=False)

    def pip(self, *args: str | Path) -> None:
        done = self.run(self.python, "-m", "pip", "install", "-q", *args, timeout=PIP_TIMEOUT)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    def kitchencam(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.bin / "kitchencam", *args)


@functools.cache
def _pip_cache_dir() -> str:
    done = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True,
                          timeout=60, check=False)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else ""


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> Laptop:
    base = tmp_path_factory.mktemp("laptop")
    assert not base.resolve().is_relative_to(ROOT), "the venv must be outside the source tree"
    venv = base / "venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"cannot create a virtual environment here ({exc}); the wheel cannot be tried")
    home = base / "home"
    workdir = base / "work"
    for folder in (home, workdir):
        folder.mkdir()
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    return Laptop(source=source, venv=venv, home=home, workdir=workdir)


def test_the_wheel_finds_its_profiles_and_runs_the_demo(laptop: Laptop) -> None:
    wheels = laptop.home.parent / "wheels"
    built = laptop.run(laptop.python, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, laptop.source,
                       timeout=PIP_TIMEOUT)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = wheels.glob("kitchencam-*.whl")
    laptop.pip(wheel)

    # A site's own profile in the user folder, beside the packaged one.
    user_dir = laptop.home / "config" / "profiles"
    user_dir.mkdir(parents=True)
    packaged_text = (ROOT / "profiles" / "thanhtri-2024.yaml").read_text(encoding="utf-8")
    (user_dir / "classroom-2030.yaml").write_text(
        packaged_text.replace("id: thanhtri-2024\n", "id: classroom-2030\n", 1), encoding="utf-8")

    done = laptop.kitchencam("profile", "list", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["status"] == "ok"
    rows = {p["id"]: p for p in doc["data"]["profiles"]}
    packaged = rows["thanhtri-2024"]
    assert (packaged["source"], packaged["packaged"], packaged["overrides"]) == ("packaged", True, False)
    # Read from the installed package, not from any source tree.
    path = Path(packaged["path"])
    assert path.is_relative_to(laptop.venv), path
    assert path.parent.name == "profiles"
    assert path.parent.parent.name == "kitchencam"
    assert (path.parent / "models").is_dir()
    assert (rows["classroom-2030"]["source"], Path(rows["classroom-2030"]["path"])) == (
        "user", user_dir / "classroom-2030.yaml")

    shown = laptop.kitchencam("profile", "show", "thanhtri-2024", "--json")
    assert shown.returncode == 0, shown.stderr
    source_rules = yaml.safe_load((ROOT / "profiles" / "thanhtri-2024.yaml").read_text(encoding="utf-8"))["rules"]
    assert len(json.loads(shown.stdout)["data"]["rules"]) == len(source_rules)

    demo = laptop.kitchencam("demo")
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    # Everything the demo wrote is under the stand-in folders, none in the working directory.
    assert list((laptop.home / "data" / "demo").glob("*.pdf"))
    assert not list(laptop.workdir.iterdir())


def test_the_editable_install_maps_the_same_folder(laptop: Laptop) -> None:
    # An editable install of the copied tree, as `make test` and `make demo` install it (after the
    # wheel test the dependencies are there already, and it replaces the wheel).
    laptop.pip("-e", laptop.source)
    probe = ("from kitchencam.profile import PROFILES_DIR, MODELS_DIR, load_catalogue, load_profile; "
             "print(PROFILES_DIR); print(load_profile('thanhtri-2024').id); print(len(load_catalogue().models))")
    done = laptop.run(laptop.python, "-c", probe)
    assert done.returncode == 0, done.stderr
    folder, profile_id, models = done.stdout.split()
    assert Path(folder).resolve() == (laptop.source / "profiles").resolve()
    assert profile_id == "thanhtri-2024"
    assert int(models) == len(list((ROOT / "profiles" / "models").glob("*.yaml")))
