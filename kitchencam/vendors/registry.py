"""Which vendor API applies to a camera: named by its ONVIF identity, confirmed by the API answering.

The ONVIF manufacturer (or model prefix) names the candidates: a camera that calls itself Dahua
is tried with the Dahua adapter only, and if that API does not answer or refuses, the rules fall
back to the catalogue. A camera whose name claims no vendor (a reseller's name such as Amcrest or
Lorex, or a no-name brand) is tried with every adapter, the ones whose known resellers include
its name first, and the first API that confirms it is its own is the camera's (issue 14: an OEM
camera is recognised by its API). A refused login or an unreachable port stops the search: the
login budget is shared with ONVIF, and every adapter speaks on the same web port.
"""

from __future__ import annotations

from typing import Literal

from kitchencam.errors import AuthFailed, KitchencamError, NotSupported, Unreachable
from kitchencam.i18n import _
from kitchencam.models import ReadError, VendorChoice, VendorFacts
from kitchencam.vendors.base import VendorAdapter, VendorCamera
from kitchencam.vendors.dahua import DahuaAdapter
from kitchencam.vendors.hikvision import HikvisionAdapter

#: Every adapter, in the order a camera that names no vendor is tried.
ADAPTERS: tuple[type[VendorAdapter], ...] = (DahuaAdapter, HikvisionAdapter)

How = Literal["manufacturer", "model", "api"]


def candidates(manufacturer: str | None, model: str | None,
               adapters: tuple[type[VendorAdapter], ...] = ADAPTERS) -> list[tuple[type[VendorAdapter], How]]:
    """The adapters to probe, in order, each with what named it. Sends nothing."""
    claimed: list[tuple[type[VendorAdapter], How]] = []
    for adapter in adapters:
        how = adapter.claims(manufacturer, model)
        if how is not None:
            claimed.append((adapter, how))
    if claimed:
        return claimed
    hinted = [a for a in adapters if a.oem_hint(manufacturer)]
    return [(a, "api") for a in hinted + [a for a in adapters if a not in hinted]]


def choose(camera: VendorCamera, manufacturer: str | None, model: str | None,
           adapters: tuple[type[VendorAdapter], ...] = ADAPTERS) -> tuple[VendorAdapter | None, VendorChoice]:
    """The adapter whose API confirms the camera (None: the rules use the catalogue), and why."""
    choice = VendorChoice()
    for adapter_class, how in candidates(manufacturer, model, adapters):
        adapter = adapter_class(camera)
        try:
            probe = adapter.probe()
        except KitchencamError as exc:
            choice.errors.append(ReadError(operation=f"{adapter_class.api} probe", code=exc.code, message=str(exc)))
            if isinstance(exc, AuthFailed | Unreachable):
                break
            continue
        choice.probes.append(probe)
        if probe.confirmed:
            choice.vendor, choice.api, choice.how = adapter_class.vendor, adapter_class.api, how
            return adapter, choice
    choice.note = _("No vendor API confirmed this camera, so the rules judge smart codec, DDNS, P2P and "
                    "outbound registration from the model catalogue.")
    return None, choice


def read_vendor(camera: VendorCamera, manufacturer: str | None, model: str | None,
                adapters: tuple[type[VendorAdapter], ...] = ADAPTERS,
                ) -> tuple[VendorAdapter | None, VendorFacts | None, VendorChoice]:
    """Choose the camera's vendor API and read it: the adapter, what it told, and the choice.

    Never raises for the camera: a failed read is a ``ReadError`` in ``choice.errors`` (facts
    None), an API kitchencam does not speak yet (``NotSupported``) only sets the note, and in
    every such case the rules judge from the catalogue. The adapter is returned even when its
    read failed (provisioning plans nothing without facts).
    """
    adapter, choice = choose(camera, manufacturer, model, adapters)
    if adapter is None:
        return None, None, choice
    try:
        facts = adapter.read()
    except NotSupported:
        choice.note = _not_read_note(adapter.api)
        return adapter, None, choice
    except KitchencamError as exc:
        choice.errors.append(ReadError(operation=f"{adapter.api} read", code=exc.code, message=str(exc)))
        choice.note = _not_read_note(adapter.api)
        return adapter, None, choice
    facts.settable = sorted(adapter.set_calls())
    return adapter, facts, choice


def _not_read_note(api: str) -> str:
    return _("The {api} answered but could not be read, so the rules judge smart codec, DDNS, P2P and outbound "
             "registration from the model catalogue.").format(api=api)



def adapter_for(vendor: str, camera: VendorCamera,
                adapters: tuple[type[VendorAdapter], ...] = ADAPTERS) -> VendorAdapter | None:
    """The adapter of the vendor a read named (``VendorFacts.vendor``), for ``camera``; None if unknown."""
    adapter_class = next((a for a in adapters if a.vendor == vendor), None)
    return adapter_class(camera) if adapter_class is not None else None
