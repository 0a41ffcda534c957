"""How a camera is named across the stages: the host of a target, the key the store files it by,
the keyring key of its centre account.

check, provision, centre and the report all find a camera's rows by these, so they sit below all
of them (issue 13: shared helpers live in the lowest module that needs them). Prints nothing.
"""

from __future__ import annotations

from kitchencam.models import Facts


def host_of(target: str) -> str:
    """The host of a target given as HOST, HOST:PORT or an XAddr URL (to find its inventory row)."""
    netloc = target.rsplit("//", maxsplit=1)[-1].split("/", maxsplit=1)[0]
    return netloc.rsplit(":", maxsplit=1)[0]


def camera_key(facts: Facts) -> str:
    """The serial, else the target (host:port): how the store files a camera."""
    return facts.device_info.serial if facts.device_info and facts.device_info.serial else facts.target


def centre_secret_key(site_code: str, camera_key: str, user: str) -> str:
    """The keyring key of a camera's centre account password."""
    return f"centre:{site_code}:{camera_key}:{user}"
