"""This computer's network interfaces, and which ones to probe from.

A technician's laptop often has Wi-Fi, a VPN or docker bridges besides the cable to the school
switch, and the OS sends a multicast probe out of *one* default interface, often the wrong
one. So discovery opens a socket per interface address and picks the interface itself.

psutil, not ``/proc`` or ``ip``: it works the same on Windows laptops. Its ``flags`` (POSIX only)
say whether an interface does multicast; where there are none (Windows) we assume it does.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Sequence

import psutil
from pydantic import BaseModel, ConfigDict, Field

from kitchencam.errors import UsageError
from kitchencam.i18n import _


class Interface(BaseModel):
    """One network interface and its IPv4 addresses (with prefix length)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    addresses: list[ipaddress.IPv4Interface] = Field(default_factory=list)
    up: bool = True
    multicast: bool = True
    loopback: bool = False

    @property
    def usable_for_multicast(self) -> bool:
        """Up, multicast-capable, not loopback, with an IPv4 address: worth probing from."""
        return self.up and self.multicast and not self.loopback and bool(self.addresses)


def _flags(stats: object) -> set[str] | None:
    raw = getattr(stats, "flags", None)
    if not raw or not isinstance(raw, str):
        return None
    return {f.strip() for f in raw.split(",") if f.strip()}


def list_interfaces() -> list[Interface]:
    """Every interface psutil reports, in its order, with its IPv4 addresses."""

    addrs = psutil.net_if_addrs()
    stats = psutil.net_if_stats()
    out: list[Interface] = []
    for name in dict.fromkeys([*addrs, *stats]):
        v4: list[ipaddress.IPv4Interface] = []
        for snic in addrs.get(name, []):
            if snic.family != socket.AF_INET or not snic.address:
                continue
            try:
                v4.append(ipaddress.IPv4Interface(f"{snic.address}/{snic.netmask or '255.255.255.255'}"))
            except ValueError:
                continue
        st = stats.get(name)
        flags = _flags(st) if st is not None else None
        up = bool(st.isup) if st is not None else bool(v4)
        loopback = ("loopback" in flags) if flags is not None else (
            bool(v4) and all(a.ip.is_loopback for a in v4))
        # Windows has no flags: assume multicast, as every Ethernet/Wi-Fi adapter there does it.
        multicast = True if flags is None or sys.platform == "win32" else "multicast" in flags
        out.append(Interface(name=name, addresses=v4, up=up, multicast=multicast and not loopback,
                             loopback=loopback))
    return out


def select_interfaces(names: Sequence[str] | None = None, *,
                      available: Sequence[Interface] | None = None) -> list[Interface]:
    """The interfaces named (in that order), or every one worth a multicast probe.

    ``available`` defaults to :func:`list_interfaces`. A name that does not exist is a
    :class:`UsageError` listing the ones that do. A named interface is taken as asked even if it
    is down or has no IPv4 address; the prober reports that as a problem for that interface.
    """
    pool = list(available) if available is not None else list_interfaces()
    if not names:
        return [i for i in pool if i.usable_for_multicast]
    by_name = {i.name: i for i in pool}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        choices = ", ".join(i.name for i in pool if not i.loopback) or "-"
        raise UsageError(
            _("No network interface named {names} on this computer. Choose from: {choices}.").format(
                names=", ".join(unknown), choices=choices))
    return [by_name[n] for n in dict.fromkeys(names)]
