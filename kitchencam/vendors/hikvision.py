"""Hikvision's ISAPI (XML over HTTP, digest).

Not yet implemented: issue 14 fills it (deviceInfo, the main channel's codec and SmartCodec,
DDNS, EZVIZ/Hik-Connect, ISUP, SIP/GB28181, the illegal-login lock), citing the vendor's API
document beside each call. Until then every call raises ``NotSupported`` before anything is sent,
and the rules use the catalogue.
"""

from __future__ import annotations

from kitchencam.vendors.base import NotYetAdapter


class HikvisionAdapter(NotYetAdapter):
    vendor = "hikvision"
    api = "Hikvision ISAPI"
    manufacturers = ("hikvision",)
    model_prefixes = ("DS-",)
    # Many no-name cameras are Hikvision inside: no name tells, only the API answering does.
    oem_names = ()
