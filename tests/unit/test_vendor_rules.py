"""The codec and platform rules with what a vendor API told (issue 14), and their catalogue fallback.

Facts are read once from the real simulator over loopback; the vendor facts are built here, as a
vendor adapter would return them, so each rule branch is driven by exactly the value it judges.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kitchencam.errors import AuthFailed, KitchencamError, NotSupported
from kitchencam.logins import LoginBudget
from kitchencam.models import (
    CloudP2p,
    Ddns,
    Facts,
    Probe,
    ReadError,
    Registration,
    Told,
    VendorChoice,
    VendorFacts,
    Verdict,
)
from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts
from kitchencam.profile import Catalogue, load_catalogue, load_profile
from kitchencam.rules.engine import audit
from kitchencam.sim.camera import SimCamera
from kitchencam.sim.personas import get_persona
from kitchencam.vendors.base import NotYetAdapter, VendorAdapter, VendorCamera, VendorChange
from kitchencam.vendors.registry import read_vendor

NOW = datetime(2024, 11, 12, 2, 30, tzinfo=timezone.utc)
PERSONAS = ("dahua-wizsense2-ready", "hikvision-ds2cd2023g2-i", "generic-720p")
SMART = "Dahua HTTP API SmartEncode"


@pytest.fixture(scope="module")
def read_personas() -> dict[str, Facts]:
    out = {}
    for i, name in enumerate(PERSONAS, start=1):
        persona = get_persona(name)
        admin = persona.users[0]
        cam = SimCamera(persona, f"127.0.98.{i}", http_port=0)
        try:
            cam.start()
            with OnvifCamera(f"{cam.ip}:{cam.http_port}", user=admin.username, password=admin.password,
                             timeouts=Timeouts(connect=1.0, read=3.0)) as client:
                out[name] = read_facts(client)
        finally:
            cam.stop()
    return out


@pytest.fixture(scope="module")
def profile():
    return load_profile("thanhtri-2024")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def dahua(**values: object) -> VendorFacts:
    return VendorFacts(vendor="dahua", api="Dahua HTTP API", target="127.0.98.1:80", read_at=NOW, **values)


def hikvision(**values: object) -> VendorFacts:
    return VendorFacts(vendor="hikvision", api="Hikvision ISAPI", target="127.0.98.2:80", read_at=NOW, **values)


def judge(read_personas, profile, catalogue, name: str, vendor: VendorFacts | None = None,
          choice: VendorChoice | None = None) -> dict[str, Verdict]:
    facts = read_personas[name].model_copy(deep=True)
    facts.vendor, facts.vendor_choice = vendor, choice
    return {v.rule: v for v in audit(facts, profile, catalogue, [], now=NOW)}


# --- codec: the "+" from the device -----------------------------------------------------------------


def test_smart_codec_on_the_device_passes_with_the_api_call_as_source(read_personas, profile, catalogue):
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready",
              dahua(smart_codec=Told[bool](value=True, call=SMART)))["codec"]
    assert (v.status, v.evidence) == ("PASS", "device")
    assert SMART in (v.source or "")
    assert "smart codec on" in (v.seen or "")


def test_smart_codec_off_on_the_device_is_a_fail_provisioning_fixes(read_personas, profile, catalogue):
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready",
              dahua(smart_codec=Told[bool](value=False, call=SMART)))["codec"]
    assert (v.status, v.evidence, v.fixable_by_provision) == ("FAIL", "device", True)
    assert SMART in v.detail
    assert "kitchencam provision" in v.detail


def test_without_vendor_facts_the_catalogue_decides_and_says_why(read_personas, profile, catalogue):
    not_yet = VendorChoice(errors=[ReadError(operation="Dahua HTTP API probe", code="NotSupported", message="x")])
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", choice=not_yet)["codec"]
    assert v.status == "PASS"
    assert "datasheet" in (v.source or "").lower() or "catalogue" in (v.source or "").lower()
    assert "does not speak this camera's vendor API yet (Dahua HTTP API)" in v.detail
    silent = VendorChoice(errors=[ReadError(operation="Dahua HTTP API probe", code="DeviceTimeout",
                                            message="no answer in 5 s")])
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", choice=silent)["codec"]
    assert v.status == "PASS"
    assert "did not answer (Dahua HTTP API probe: no answer in 5 s)" in v.detail
    # Not asked at all (facts from a capture): the verdict is today's, word for word.
    assert judge(read_personas, profile, catalogue, "dahua-wizsense2-ready")["codec"].detail == ""


def test_a_vendor_api_that_could_not_tell_the_smart_codec_leaves_it_to_the_datasheet(read_personas, profile,
                                                                                      catalogue):
    failed = dahua(read_errors=[ReadError(operation="Dahua HTTP API SmartEncode", code="BadReply", message="cut")])
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", failed)["codec"]
    assert v.status == "PASS"
    assert "could not tell the smart codec (cut)" in v.detail


def test_the_vendor_main_codec_shows_h265_where_media1_cannot(read_personas, profile, catalogue):
    media1 = judge(read_personas, profile, Catalogue(models=[]), "generic-720p")["codec"]
    assert media1.status == "UNKNOWN"  # Media1 cannot show H.265 and no datasheet says
    told = dahua(main_codec=Told[str](value="H265", call="Dahua HTTP API Encode"),
                 smart_codec=Told[bool](value=True, call=SMART))
    v = judge(read_personas, profile, Catalogue(models=[]), "generic-720p", told)["codec"]
    assert (v.status, v.evidence) == ("PASS", "device"), v
    assert "Dahua HTTP API Encode" in (v.source or "")
    # The catalogue's entry for it lists no H.265: the camera's own API and the datasheet disagree.
    v = judge(read_personas, profile, catalogue, "generic-720p", told)["codec"]
    assert v.status == "WARN"
    assert "disagree" in v.detail
    assert "Dahua HTTP API Encode" in (v.source or "")


# --- platform: the capabilities on the device -------------------------------------------------------

DAHUA_PLATFORM = {
    "ddns": Told[Ddns](value=Ddns(enabled=False, provider="Dahua DDNS"), call="Dahua HTTP API DDNS"),
    "p2p": Told[CloudP2p](value=CloudP2p(name="P2P", enabled=True, status="online"), call="Dahua HTTP API T2UServer"),
    "registrations": [Told[Registration](value=Registration(kind="auto-register", enabled=False),
                                      call="Dahua HTTP API DVRIP")],
}


def test_platform_seen_on_a_dahua_camera_passes_and_explains_the_words(read_personas, profile, catalogue):
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", dahua(**DAHUA_PLATFORM))["platform"]
    assert (v.status, v.evidence) == ("PASS", "device")
    for call in ("Dahua HTTP API DDNS", "Dahua HTTP API T2UServer", "Dahua HTTP API DVRIP"):
        assert call in (v.source or "")
    assert "DDNS off" in (v.seen or "")
    assert "P2P on, online" in (v.seen or "")
    assert "Auto Register off" in (v.seen or "")  # present counts, whatever its state
    assert "Auto Hik-Connect is Hikvision's" in v.detail
    assert "This Dahua camera meets" in v.detail


def test_a_hikvision_camera_meets_registration_and_cloud_through_isup_and_hik_connect(read_personas, profile,
                                                                                     catalogue):
    told = hikvision(
        ddns=Told[Ddns](value=Ddns(enabled=True, provider="HiDDNS"), call="Hikvision ISAPI System/Network/DDNS"),
        registrations=[
            Told[Registration](value=Registration(kind="isup", enabled=False, status="offline"),
                               call="Hikvision ISAPI System/Network/Ehome"),
            Told[Registration](value=Registration(kind="hik-connect", enabled=True, status="online"),
                               call="Hikvision ISAPI System/Network/EZVIZ")])
    v = judge(read_personas, profile, catalogue, "hikvision-ds2cd2023g2-i", told)["platform"]
    assert (v.status, v.evidence) == ("PASS", "device")
    assert "ISUP off, offline" in (v.seen or "")
    assert "Hik-Connect on, online" in (v.seen or "")
    assert "This Hikvision camera meets" in v.detail
    assert "Hikvision ISAPI System/Network/EZVIZ" in (v.source or "")


def test_absent_on_the_device_but_in_the_datasheet_is_said_both_ways(read_personas, profile, catalogue):
    told = dahua(**{**DAHUA_PLATFORM, "ddns": None})
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", told)["platform"]
    assert v.status == "WARN"
    assert "the camera's API shows none, the datasheet lists" in v.detail


def test_an_unread_capability_falls_back_on_the_datasheet(read_personas, profile, catalogue):
    told = dahua(**{**DAHUA_PLATFORM, "ddns": None},
                 read_errors=[ReadError(operation="Dahua HTTP API DDNS", code="DeviceTimeout", message="slow")])
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", told)["platform"]
    assert v.status == "PASS"
    assert "could not be read" in (v.seen or "")


def test_absent_on_the_device_and_no_datasheet_fails(read_personas, profile, catalogue):
    v = judge(read_personas, profile, catalogue, "generic-720p", dahua(ddns=DAHUA_PLATFORM["ddns"]))["platform"]
    assert (v.status, v.evidence) == ("FAIL", "device")
    assert "outbound-registration" in v.detail


def test_platform_without_vendor_facts_is_today_catalogue_verdict_with_the_reason(read_personas, profile,
                                                                                  catalogue):
    before = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready")["platform"]
    choice = VendorChoice(errors=[ReadError(operation="Dahua HTTP API probe", code="NotSupported", message="x")])
    v = judge(read_personas, profile, catalogue, "dahua-wizsense2-ready", choice=choice)["platform"]
    assert (v.status, v.evidence, v.source) == (before.status, "catalogue", before.source)
    assert "model catalogue decides" in v.detail


# --- the registry's read: choose, then read; failures become the choice's errors ----------------------


class Answering(VendorAdapter):
    vendor = "dahua"
    api = "Dahua HTTP API"
    manufacturers = ("dahua",)
    outcome: VendorFacts | KitchencamError

    def probe(self) -> Probe:
        return Probe(vendor="dahua", api=self.api, answered=True, confirmed=True, call="Dahua HTTP API getSystemInfo")

    def read(self) -> VendorFacts:
        if isinstance(self.outcome, KitchencamError):
            raise self.outcome
        return self.outcome

    def apply(self, changes: list[VendorChange]) -> list[VendorChange]:
        raise AssertionError("not applied here")


def answering(outcome: VendorFacts | KitchencamError) -> type[VendorAdapter]:
    return type("Scripted", (Answering,), {"outcome": outcome})


CAMERA = VendorCamera("127.0.0.9", budget=LoginBudget())


def test_read_vendor_returns_what_the_chosen_api_told():
    told = dahua(smart_codec=Told[bool](value=False, call=SMART))
    adapter, facts, choice = read_vendor(CAMERA, "Dahua", "IPC-HFW2241S-S", (answering(told),))
    assert adapter is not None
    assert facts == told
    assert (choice.vendor, choice.how, choice.errors) == ("dahua", "manufacturer", [])


def test_a_read_that_fails_is_a_read_error_and_no_facts():
    adapter, facts, choice = read_vendor(CAMERA, "Dahua", None, (answering(AuthFailed("refused")),))
    assert facts is None
    assert adapter is not None
    assert [(e.operation, e.code) for e in choice.errors] == [("Dahua HTTP API read", "AuthFailed")]
    assert "catalogue" in (choice.note or "")


def test_an_api_not_spoken_yet_is_quiet():
    _, facts, choice = read_vendor(CAMERA, "Dahua", None, (answering(NotSupported("not yet")),))
    assert facts is None
    assert choice.errors == []
    assert "catalogue" in (choice.note or "")
    # An adapter kitchencam does not speak yet refuses before sending anything: the catalogue decides.
    not_yet = type("NotYet", (NotYetAdapter,), {"vendor": "dahua", "api": "Dahua HTTP API",
                                                 "manufacturers": ("dahua",)})
    adapter, facts, choice = read_vendor(CAMERA, "Dahua", None, (not_yet,))
    assert (adapter, facts) == (None, None)
    assert [e.code for e in choice.errors] == ["NotSupported"]
