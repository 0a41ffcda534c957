"""Scope parsing (the Axis/Hikvision/Pelco GetScopes captures go through zeep in the integration tests)."""

from __future__ import annotations

from lxml import etree

from kitchencam.onvif.read import parse_scopes
from tests.replay import CAPTURES

TT = "{http://www.onvif.org/ver10/schema}"


def _items(relpath: str) -> list[str]:
    doc = etree.parse(str(CAPTURES / relpath))
    return [e.text or "" for e in doc.iter(f"{TT}ScopeItem")]


def test_axis() -> None:
    s = parse_scopes(_items("onvif-nvt/axis/core/GetScopes.Response.xml"))
    assert (s.name, s.hardware, s.location, s.profiles) == ("AXIS Q6045-E", "Q6045-E", None, ["Streaming"])
    assert len(s.raw) == 6


def test_hikvision() -> None:
    s = parse_scopes(_items("onvif-nvt/hikvision/core/GetScopes.Response.xml"))
    assert (s.name, s.hardware, s.location) == ("DS-2DF7276-AEL", "DS-2DF7276-AEL", "city/hangzhou")
    assert s.profiles == ["Streaming", "G"]


def test_pelco_vendor_scope_kept_raw() -> None:
    s = parse_scopes(_items("onvif-nvt/pelco/core/GetScopes.Response.xml"))
    assert s.profiles == ["G", "Q", "Streaming"]
    assert "urn:schemas-pelco-com:onvif:extensions:1" in s.raw
    assert s.location == "country/usa"


def test_profile_t_and_percent_encoding() -> None:
    s = parse_scopes(["onvif://www.onvif.org/Profile/T", "onvif://www.onvif.org/name/B%E1%BA%BFp%201",
                      "onvif://www.onvif.org/location/", " "])
    assert s.profiles == ["T"]
    assert s.name == "Bếp 1"
    assert s.location is None
