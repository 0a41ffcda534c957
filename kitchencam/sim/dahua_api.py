"""The Dahua HTTP API (CGI) of a simulated Dahua camera: not served yet (issue 14 fills it)."""

from __future__ import annotations

from typing import Any

from kitchencam.sim.vendorapi import SimDevice, VendorReply, VendorRequest

PREFIX = "/cgi-bin/"


def initial_state(camera: SimDevice) -> dict[str, Any]:
    """The vendor-only settings at the persona's factory values (``Persona.vendor_defaults``)."""
    return dict(camera.persona.vendor_defaults)


def respond(camera: SimDevice, request: VendorRequest) -> VendorReply:
    return VendorReply(404, b"Error\r\nBad Request!\r\n")
