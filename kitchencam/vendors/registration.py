"""Checks on the values an outbound registration writes to a camera (issue 15), before anything is sent.

A centre's host, port and device id come from the site config and end up in a Dahua query string
(``setConfig&DVRIP.RegisterServer.Servers[0].Address=...``) or an ISAPI XML document. Each is
checked here against a strict form first, so that no value can add a key to the query (``&``,
``=``), split a request (CR, LF) or carry anything a firmware would store and misread. A value
that fails is a ``ConfigError`` naming the field, never the secret itself.
"""

from __future__ import annotations

import ipaddress
import re

from kitchencam.errors import ConfigError
from kitchencam.i18n import _

#: A DNS label: letters, digits, inner hyphens, 1-63 characters.
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
#: A device id as the vendor APIs store it: letters, digits, ``.``, ``_``, ``-``.
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: GB/T 28181 codes: 20 digits (device and SIP server ids).
_GB_ID = re.compile(r"^[0-9]{20}$")
#: A secret (ISUP key, GB28181 password, Hik-Connect verification code): printable ASCII, no space.
_SECRET = re.compile(r"^[\x21-\x7e]{1,64}$")


def _refuse(target: str, field: str, what: str) -> ConfigError:
    return ConfigError(_("{target}: the centre's {field} is not {what}; nothing was sent to the camera. Correct "
                         "centre.connection in the site config, then retry.").format(
        target=target, field=field, what=what), target=target)


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_host(value: str | None, target: str, field: str | None = None) -> str:
    """A host name (RFC 1123 labels) or an IPv4/IPv6 address, nothing else."""
    host = value or ""
    if is_ip(host) and "%" not in host:
        return host
    labels = host.split(".")
    if 0 < len(host) <= 253 and all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit():
        return host
    raise _refuse(target, field or _("host"), _("a host name or IP address"))


def check_port(value: int | None, target: str, field: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise _refuse(target, field or _("port"), _("a port from 1 to 65535"))
    return value


def check_token(value: str | None, target: str, field: str | None = None) -> str:
    if not value or not _TOKEN.match(value):
        raise _refuse(target, field or _("device ID"), _("1 to 64 letters, digits, '.', '_' or '-'"))
    return value


def check_gb_id(value: str | None, target: str, field: str) -> str:
    if not value or not _GB_ID.match(value):
        raise _refuse(target, field, _("a GB/T 28181 code of 20 digits"))
    return value


def check_domain(value: str | None, target: str) -> str:
    """A GB28181 SIP domain: the 10-digit prefix of the server id, or a host name some platforms use."""
    if value and re.fullmatch(r"[0-9]{10}", value):
        return value
    return check_host(value, target, _("SIP domain"))


def check_secret(value: str | None, target: str, field: str) -> str:
    """Printable ASCII without spaces, 1-64 characters; the message names the field, never the value."""
    if not value or not _SECRET.match(value):
        raise _refuse(target, field, _("1 to 64 printable characters without spaces"))
    return value
