"""A simulated school network: ONVIF cameras (personas), WS-Discovery, RTSP, the district centre.

``SimCamera`` (camera.py) is one device's HTTP/SOAP side; ``PERSONAS`` (personas.py) are the
device models it can be. Imports are lazy so ``import kitchencam.sim.discovery`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PERSONAS", "Persona", "SimCamera", "get_persona", "parse_fault"]


def __getattr__(name: str) -> Any:
    if name in ("SimCamera", "parse_fault"):
        from kitchencam.sim import camera

        return getattr(camera, name)
    if name in ("PERSONAS", "Persona", "get_persona"):
        from kitchencam.sim import personas

        return getattr(personas, name)
    raise AttributeError(f"module 'kitchencam.sim' has no attribute {name!r}")
