"""The unicast sweep's address list, and the HTTP check for hosts that ignore WS-Discovery.

Where the school's switch blocks multicast, ``--subnet`` probes each address by unicast
(:class:`kitchencam.discovery.wsd.Prober`). Hosts that stay silent get one HTTP request: an
unauthenticated ``GetSystemDateAndTime`` (ONVIF Core: allowed before login) to
``/onvif/device_service``. A SOAP answer is a camera whose discovery is off; an HTML answer
(401/403/404/405 or a login page) is a web server without ONVIF, e.g. a Hikvision camera as it
ships, with ONVIF off.
"""

from __future__ import annotations

import html
import ipaddress
import re
import time
from collections.abc import Sequence
from typing import Literal

import requests
from lxml import etree
from pydantic import BaseModel, ConfigDict

from kitchencam.errors import UsageError
from kitchencam.i18n import _
from kitchencam.workers import DaemonPool

#: Largest subnet one ``--subnet`` may sweep: a /22 is 1022 hosts, about 10 s at 200 probes/s.
MAX_PREFIX = 22
#: Bytes of an HTTP answer we read: enough for a SOAP reply or a login page's <title>.
MAX_BODY = 64 * 1024

_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")  # RFC 1122 "this host on this network": never a target

NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
DEVICE_SERVICE_PATH = "/onvif/device_service"
GET_SYSTEM_DATE_AND_TIME = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    b'<s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body>'
    b"</s:Envelope>"
)
_HEADERS = {
    "Content-Type": 'application/soap+xml; charset=utf-8; '
                    'action="http://www.onvif.org/ver10/device/wsdl/GetSystemDateAndTime"',
    "User-Agent": "kitchencam",
}
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class HttpFinding(BaseModel):
    """A host that answered HTTP on the ONVIF device service path."""

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int
    kind: Literal["onvif_on", "http_only"]
    status: int  # HTTP status of the answer
    content_type: str | None = None
    server: str | None = None  # Server header: "App-webs/", "Webs", "lighttpd"...
    title: str | None = None  # HTML <title>, e.g. a Hikvision login page's

    @property
    def onvif_on(self) -> bool:
        return self.kind == "onvif_on"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{DEVICE_SERVICE_PATH}"


def expand_subnets(cidrs: Sequence[str]) -> list[str]:
    """Host addresses of each ``CIDR`` (``192.168.1.0/24``; ``192.168.1.7/24`` means its
    subnet; a bare address is itself), in order, without repeats.

    Refused with :class:`UsageError`: anything but IPv4, a subnet larger than a /22, and
    multicast, broadcast or reserved ranges (a "sweep" there would not be unicast).
    """
    out: dict[str, None] = {}
    for cidr in cidrs:
        text = cidr.strip()
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise UsageError(_("{cidr} is not a subnet. Write it like 192.168.1.0/24.").format(cidr=cidr)) from None
        if not isinstance(net, ipaddress.IPv4Network):
            raise UsageError(_("{cidr} is not IPv4: the sweep covers IPv4 subnets only, "
                               "like 192.168.1.0/24.").format(cidr=cidr))
        if net.prefixlen < MAX_PREFIX:
            raise UsageError(_("{cidr} is too large to sweep: at most a /{limit} ({hosts} addresses) per "
                               "--subnet. Give the camera subnet, like 192.168.1.0/24.").format(
                cidr=cidr, limit=MAX_PREFIX, hosts=2 ** (32 - MAX_PREFIX) - 2))
        if (net.is_multicast or net.is_reserved or net.subnet_of(_THIS_NETWORK)
                or net.broadcast_address == ipaddress.IPv4Address("255.255.255.255")):
            raise UsageError(_("{cidr} is not a subnet of devices (multicast, broadcast or reserved "
                               "addresses).").format(cidr=cidr))
        for host in net.hosts() if net.prefixlen < 31 else net:
            out[str(host)] = None
    return list(out)


def _is_soap(body: bytes) -> bool:
    if b"<!DOCTYPE" in body[:512].upper() or b"<!ENTITY" in body:
        return False
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return False
    return root.tag in (f"{{{NS_SOAP12}}}Envelope", f"{{{NS_SOAP11}}}Envelope")


def _title(body: bytes) -> str | None:
    found = _TITLE.search(body)
    if not found:
        return None
    text = " ".join(html.unescape(found.group(1).decode("utf-8", "replace")).split())
    return text[:200] or None


def _check_one(host: str, port: int, timeout: float) -> HttpFinding | None:
    url = f"http://{host}:{port}{DEVICE_SERVICE_PATH}"
    give_up = time.monotonic() + 2 * timeout  # a server dripping bytes must not hold us
    with requests.Session() as session:
        # No proxy from the environment may carry a probe of the school's LAN elsewhere.
        session.trust_env = False
        try:
            response = session.post(url, data=GET_SYSTEM_DATE_AND_TIME, headers=_HEADERS,
                                    timeout=(timeout, timeout), allow_redirects=False, stream=True)
        except requests.RequestException:
            return None  # refused, timed out, reset: nothing answers HTTP there
        with response:
            status = response.status_code
            server = response.headers.get("Server")
            ctype = response.headers.get("Content-Type")
            body = b""
            try:
                for chunk in response.iter_content(8192):
                    body += chunk
                    if len(body) >= MAX_BODY or time.monotonic() > give_up:
                        break
            except requests.RequestException:
                pass  # it answered HTTP; a body cut short is still an answer
    return HttpFinding(host=host, port=port, kind="onvif_on" if _is_soap(body[:MAX_BODY]) else "http_only",
                       status=status, content_type=ctype, server=server, title=_title(body[:MAX_BODY]))


def http_onvif_check(hosts: Sequence[str], port: int = 80, timeout: float = 1.0,
                     concurrency: int = 32) -> list[HttpFinding]:
    """POST ``GetSystemDateAndTime`` to each host's ONVIF device service, ``concurrency`` at a
    time; a finding per host that answered HTTP at all, in the order of ``hosts``.

    A SOAP envelope (a Fault too) is ``onvif_on``; any other HTTP answer is ``http_only``.
    Refused connections and timeouts are no finding. Redirects are not followed.
    """
    if not hosts:
        return []
    if timeout <= 0 or concurrency < 1:
        raise ValueError("timeout must be > 0 and concurrency >= 1")
    workers = min(concurrency, len(hosts))
    with DaemonPool(max_workers=workers, thread_name_prefix="http-onvif-check") as pool:
        results = list(pool.map(lambda h: _check_one(h, port, timeout), hosts))
    return [r for r in results if r is not None]
