"""What the tests that drive `kitchencam handover` on a terminal share: a simulated school with its
centre, a new technician's environment, the command in a pty, and what the run left in the store.

Each test file gives its own loopback /29 (``base`` .1 the centre, .2- the cameras): files run in
parallel (pytest-xdist), and a sweep of one file's subnet must never find another file's cameras.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kitchencam.sim.school import SimulatedSchool
from kitchencam.store import CameraAttestation, DeviceRow, Store

PASSWORD = "Bep-An-2024-an-toan"


@contextmanager
def school_with_centre(personas: list[str], base: str, token: str, **options: Any) -> Iterator[SimulatedSchool]:
    """A simulated school on ``base`` (the centre) and the addresses after it (the cameras)."""
    sim = SimulatedSchool(personas=personas, bind_base=base, http_port=0, rtsp_port=0, user="admin",
                          password=PASSWORD, centre=True, centre_port=0, centre_token=token, **options)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def terminal_env(home: Path, token: str, *, login: bool = True, **extra: str) -> dict[str, str]:
    """The environment of a terminal with no kitchencam settings but folders under ``home``, the file
    keyring and the centre's token; ``login``: the camera login in the environment too."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITCHENCAM_", "LC_", "LANG"))}
    env.update({"KITCHENCAM_CONFIG_DIR": str(home / "config"), "KITCHENCAM_DATA_DIR": str(home / "data"),
                "KITCHENCAM_KEYRING": "file", "KITCHENCAM_CENTRE_TOKEN": token, "COLUMNS": "200",
                "TERM": "xterm", "PYTHONUNBUFFERED": "1"})
    if login:
        env.update({"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD})
    env.update(extra)
    return env


def spawn(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> Any:
    """``kitchencam ARGS`` in a pty (a pexpect child)."""
    import pexpect

    return pexpect.spawn(sys.executable, ["-m", "kitchencam", *args], env=env, cwd=str(cwd), timeout=timeout,
                         encoding="utf-8", dimensions=(50, 200))


def recorded(home: Path, code: str = "MN-TTO") -> tuple[list[DeviceRow], list[CameraAttestation]]:
    """The site's cameras and its attestations, as the run left them in the store under ``home``."""
    with Store(home / "data" / "kitchencam.db") as store:
        site = store.get_site(code)
        assert site is not None
        return store.list_devices(site.id, kind="camera"), store.camera_attestations(site.id)
