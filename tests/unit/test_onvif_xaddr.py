"""Target parsing and XAddr repair (cameras behind NAT, with wrong IPs, or advertising 0.0.0.0)."""

from __future__ import annotations

import pytest

from kitchencam.errors import UsageError
from kitchencam.onvif.client import device_xaddr_for, local_schema, repair_xaddr

REACHED = "http://203.0.113.7:8080/onvif/device_service"


@pytest.mark.parametrize(("advertised", "expected"), [
    ("http://192.168.1.64/onvif/Media", "http://203.0.113.7:8080/onvif/Media"),
    ("http://0.0.0.0:80/onvif/media_service", "http://203.0.113.7:8080/onvif/media_service"),
    ("http://127.0.0.1/onvif/Imaging", "http://203.0.113.7:8080/onvif/Imaging"),
    ("https://10.0.0.2:443/onvif/Media2?x=1", "http://203.0.113.7:8080/onvif/Media2?x=1"),
    ("/onvif/Media", "http://203.0.113.7:8080/onvif/Media"),
    # the same host: trusted as is (a different port for a service is legitimate)
    ("http://203.0.113.7:8999/onvif/Media", "http://203.0.113.7:8999/onvif/Media"),
    ("http://203.0.113.7:8080/onvif/Media", "http://203.0.113.7:8080/onvif/Media"),
])
def test_repair_xaddr(advertised: str, expected: str) -> None:
    assert repair_xaddr(advertised, REACHED) == expected


def test_repair_xaddr_ipv6() -> None:
    assert repair_xaddr("http://[fe80::1]/onvif/Media", "http://[fd00::5]:80/onvif/device_service") == \
        "http://[fd00::5]:80/onvif/Media"


@pytest.mark.parametrize(("target", "xaddr"), [
    ("10.0.0.5", "http://10.0.0.5:80/onvif/device_service"),
    ("10.0.0.5:8000", "http://10.0.0.5:8000/onvif/device_service"),
    ("http://10.0.0.5/onvif/device_service", "http://10.0.0.5:80/onvif/device_service"),
    ("https://cam.local/onvif/dev", "https://cam.local:443/onvif/dev"),
    ("[fe80::1]:81", "http://[fe80::1]:81/onvif/device_service"),
])
def test_device_xaddr_for(target: str, xaddr: str) -> None:
    assert device_xaddr_for(target) == xaddr


@pytest.mark.parametrize("bad", ["", "ftp://x/", "10.0.0.5:notaport", "http://"])
def test_bad_targets_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        device_xaddr_for(bad)


@pytest.mark.parametrize("url", [
    "http://www.w3.org/2001/xml.xsd", "https://www.w3.org/2001/xml.xsd",
    "https://www.w3.org/2005/05/xmlmime", "http://docs.oasis-open.org/wsn/b-2.xsd",
    "https://www.w3.org/2003/05/soap-envelope", "http://www.w3.org/2005/08/addressing/ws-addr.xsd",
])
def test_remote_schemas_map_to_bundled_files(url: str) -> None:
    path = local_schema(url)
    assert path is not None
    assert path.is_file()
