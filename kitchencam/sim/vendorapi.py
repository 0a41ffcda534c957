"""The simulator's side of the vendors' own HTTP APIs: what a vendor module gets and returns.

A persona with ``vendor_api`` answers that vendor's API on the same HTTP port as ONVIF
(:mod:`kitchencam.sim.dahua_api` under ``/cgi-bin/``, :mod:`kitchencam.sim.hikvision_api` under
``/ISAPI/``), with HTTP Digest against the camera's own accounts. The camera has already
checked the credentials when a module sees a request (``user`` is the caller); the vendor
state lives in ``SimCamera.vendor_state`` beside the ONVIF state, under the camera's lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kitchencam.sim.personas import Persona


@dataclass(frozen=True)
class VendorRequest:
    method: str  # GET, PUT, POST, HEAD
    path: str  # without the query
    query: str  # raw query string (no "?")
    headers: dict[str, str]
    body: bytes
    user: str  # the authenticated account
    level: str  # its level: Administrator | Operator | User


@dataclass
class VendorReply:
    status: int
    body: bytes
    content_type: str = "text/plain;charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    #: Run after the reply went out (a reboot after a change, as ONVIF Set calls may do).
    after: Callable[[], None] | None = None


@dataclass(frozen=True)
class DialOut:
    """One outbound registration as the camera's vendor settings hold it (issue 15): what the
    simulated camera's dial-out (kitchencam/sim/dialout.py) connects to. ``secret`` is the ISUP key
    or the GB28181 password the camera was given; the simulator keeps it, a real camera too."""

    kind: str  # "auto-register" | "isup" | "hik-connect" | "gb28181"
    enabled: bool
    host: str
    port: int
    device_id: str
    secret: str | None = None
    server_id: str | None = None  # GB28181: the SIP server's 20-digit id
    domain: str | None = None  # GB28181: the SIP domain (10 digits)


#: Where the dial-out writes what happened, for the vendor APIs' registerStatus and the tests:
#: ``camera.vendor_state[DIALOUT_STATUS][kind] = "online" | "offline" | "refused" | "unreachable"``.
DIALOUT_STATUS = "dialout_status"


def dialout_status(camera: SimDevice, kind: str) -> str:
    """The dial-out's last word for ``kind`` ("offline" when it never ran)."""
    with camera._lock:
        return str(camera.vendor_state.get(DIALOUT_STATUS, {}).get(kind, "offline"))


class SimDevice(Protocol):
    """What a vendor module may use of ``SimCamera`` (kitchencam/sim/camera.py), which imports it."""

    persona: Persona
    serial: str
    mac: str
    vendor_state: dict[str, Any]
    state: Any  # camera.DeviceState: clock, NTP, hostname, users
    encoders: list[Any]  # camera.EncoderState, shared with ONVIF: [0] is the main stream
    _lock: threading.RLock

    def fault_on(self, name: str) -> bool: ...

    def malformed(self, name: str) -> bool: ...

    def reboot_after_change(self) -> Callable[[], None] | None: ...


Responder = Callable[[SimDevice, VendorRequest], VendorReply]
