"""Finding devices on the LAN: WS-Discovery (multicast per interface, unicast sweep) and an
HTTP check for cameras that do not answer discovery.

- :mod:`.interfaces`: which of this computer's interfaces to probe from (psutil, any OS).
- :mod:`.wsd`: the Probe message, ProbeMatches parsing, and :class:`~.wsd.Prober`.
- :mod:`.sweep`: subnets to host lists (bounded) and the ONVIF-over-HTTP check.

Merging what was found into devices, enrichment and storage live in ``kitchencam.discover``.
See docs/reference/discovery.md.
"""

from __future__ import annotations

from kitchencam.discovery.interfaces import Interface, list_interfaces, select_interfaces
from kitchencam.discovery.sweep import HttpFinding, expand_subnets, http_onvif_check
from kitchencam.discovery.wsd import (
    ALL_DEVICES_TYPE_SETS,
    CAMERA_TYPE_SETS,
    MalformedReply,
    ProbeMatch,
    Prober,
    ProbeResult,
    ProbeStats,
    SocketProblem,
    build_probe,
    parse_probe_matches,
)

__all__ = [
    "ALL_DEVICES_TYPE_SETS",
    "CAMERA_TYPE_SETS",
    "HttpFinding",
    "Interface",
    "MalformedReply",
    "ProbeMatch",
    "ProbeResult",
    "ProbeStats",
    "Prober",
    "SocketProblem",
    "build_probe",
    "expand_subnets",
    "http_onvif_check",
    "list_interfaces",
    "parse_probe_matches",
    "select_interfaces",
]
