"""Dahua's HTTP API (the CGI interface every Dahua IPC serves on its web port, HTTP digest).

Not yet implemented: issue 14 fills it (system info, Encode, SmartEncode, DDNS, P2P, DVRIP
Auto Register, the login-failure lock), citing the vendor's API document beside each call. Until
then every call raises ``NotSupported`` before anything is sent, and the rules use the catalogue.
"""

from __future__ import annotations

from kitchencam.vendors.base import NotYetAdapter


class DahuaAdapter(NotYetAdapter):
    vendor = "dahua"
    api = "Dahua HTTP API"
    manufacturers = ("dahua",)
    model_prefixes = ("DH-",)
    # Resold Dahua cameras (issue 14): named by the reseller, recognised by the API answering.
    oem_names = ("amcrest", "lorex")
