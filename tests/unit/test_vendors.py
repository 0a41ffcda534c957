"""The vendor adapter interface and the registry's choice (kitchencam/vendors), without a network.

The registry is tested with a not-yet adapter of its own and with
adapters written here whose probes answer from a script: they stand in for an API's answer to the
registry, never for a camera, and send nothing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kitchencam.errors import AuthFailed, NotSupported, Unreachable
from kitchencam.logins import LoginBudget
from kitchencam.profile import load_catalogue
from kitchencam.vendors.base import (
    CloudP2p,
    Ddns,
    NotYetAdapter,
    Probe,
    Registration,
    Told,
    VendorAdapter,
    VendorCamera,
    VendorChange,
    VendorFacts,
    VendorWanted,
)
from kitchencam.vendors.dahua import DahuaAdapter
from kitchencam.vendors.hikvision import HikvisionAdapter
from kitchencam.vendors.registry import ADAPTERS, candidates, choose

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)


def names(found: list[tuple[type[VendorAdapter], str]]) -> list[tuple[str, str]]:
    return [(a.vendor, how) for a, how in found]


# --- which adapters a camera's ONVIF identity names -------------------------------------------------


@pytest.mark.parametrize(("manufacturer", "model", "expected"), [
    ("Dahua", "IPC-HFW2241S-S", [("dahua", "manufacturer")]),
    ("Dahua Technology", "IPC-HFW2231S-S-S2", [("dahua", "manufacturer")]),
    ("HIKVISION", "DS-2CD1023G0E-I", [("hikvision", "manufacturer")]),
    ("  hikvision ", "", [("hikvision", "manufacturer")]),
    ("ONVIF", "DS-2CD2023G2-I", [("hikvision", "model")]),  # a firmware that hides the maker
    ("", "DH-IPC-HFW2241S-S", [("dahua", "model")]),
    ("Amcrest", "IP2M-841", [("dahua", "api"), ("hikvision", "api")]),  # a reseller: Dahua first
    ("Lorex", "LNB8005", [("dahua", "api"), ("hikvision", "api")]),
    ("IPCAM", "IPC-720P-H264", [("dahua", "api"), ("hikvision", "api")]),  # no-name: the API tells
    (None, None, [("dahua", "api"), ("hikvision", "api")]),
])
def test_candidates_follow_the_onvif_identity(manufacturer, model, expected):
    assert names(candidates(manufacturer, model)) == expected


def test_every_catalogue_model_names_the_adapter_of_its_maker():
    """The shipped catalogue's makers as GetDeviceInformation spells them pick their own API."""
    catalogue = load_catalogue()
    seen = {}
    for entry in catalogue.models:
        seen[entry.model] = names(candidates(entry.manufacturer, entry.model))
        maker = entry.manufacturer.lower()
        if maker in {"dahua", "hikvision"}:
            assert seen[entry.model] == [(maker, "manufacturer")], entry.model
        else:
            assert all(how == "api" for _, how in seen[entry.model]), entry.model
    assert {"dahua", "hikvision"} <= {m.manufacturer.lower() for m in catalogue.models}


# --- an adapter not implemented yet says so before sending anything ---------------------------------


class NotYetShown(NotYetAdapter):
    """A not-yet adapter of its own (the shipped ones speak their APIs): it claims Hikvision names."""

    vendor = "hikvision"
    api = "Not Yet API"
    manufacturers = ("hikvision",)


@pytest.mark.parametrize("adapter_class", [a for a in ADAPTERS if issubclass(a, NotYetAdapter)] or [NotYetShown])
def test_a_not_yet_adapter_refuses_every_call_before_spending_a_login(adapter_class):
    # No login fits this budget: an adapter that reserved one would raise AuthFailed instead.
    budget = LoginBudget(max_refused=0)
    adapter = adapter_class(VendorCamera("127.0.0.9", 8080, "admin", "secret", budget=budget))
    facts = VendorFacts(vendor=adapter.vendor, api=adapter.api, target="127.0.0.9:8080", read_at=NOW)
    calls = [adapter.probe, adapter.read, lambda: adapter.plan(facts, VendorWanted(smart_codec=True)),
             lambda: adapter.apply([]), lambda: adapter.read_back([])]
    for call in calls:
        with pytest.raises(NotSupported) as raised:
            call()
        assert adapter.api in raised.value.message
        assert raised.value.target == "127.0.0.9:8080"
        assert "catalogue" in raised.value.message
    assert budget.refused_calls("127.0.0.9") == []
    assert budget.stopped_at("127.0.0.9") is None


def test_the_registry_falls_back_to_the_catalogue_while_no_adapter_speaks():
    camera = VendorCamera("127.0.0.9", user="admin", password="secret", budget=LoginBudget())
    adapter, choice = choose(camera, "Hikvision", "DS-2CD1023G0E-I", (NotYetShown,))
    assert adapter is None
    assert choice.vendor is None
    assert [(e.operation, e.code) for e in choice.errors] == [("Not Yet API probe", "NotSupported")]
    assert choice.note
    assert "catalogue" in choice.note


def test_the_camera_never_shows_its_password():
    camera = VendorCamera("127.0.0.9", 80, "admin", "s3cret-pw")
    assert "s3cret-pw" not in repr(camera)
    assert camera.target == "127.0.0.9:80"


# --- the registry's choice, with scripted probe answers ---------------------------------------------


def scripted(vendor: str, outcome: Probe | Exception, log: list[str]) -> type[VendorAdapter]:
    base = {"dahua": DahuaAdapter, "hikvision": HikvisionAdapter}[vendor]

    class Scripted(VendorAdapter):
        def probe(self) -> Probe:
            log.append(self.vendor)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        def read(self) -> VendorFacts:
            raise AssertionError("not read here")

        def apply(self, changes: list[VendorChange]) -> list[VendorChange]:
            raise AssertionError("not applied here")

    Scripted.vendor = base.vendor
    Scripted.api = base.api
    Scripted.manufacturers = base.manufacturers
    Scripted.model_prefixes = base.model_prefixes
    Scripted.oem_names = base.oem_names
    return Scripted


def answer(vendor: str, confirmed: bool) -> Probe:
    return Probe(vendor=vendor, api=vendor, answered=True, confirmed=confirmed, call=f"{vendor} identify")  # type: ignore[arg-type]


CAMERA = VendorCamera("127.0.0.9", budget=LoginBudget())


def test_a_reseller_camera_is_confirmed_by_the_api_that_answers():
    log: list[str] = []
    adapters = (scripted("dahua", answer("dahua", confirmed=False), log),
                scripted("hikvision", answer("hikvision", confirmed=True), log))
    adapter, choice = choose(CAMERA, "IPCAM", "IPC-720P-H264", adapters)
    assert log == ["dahua", "hikvision"]
    assert adapter is not None
    assert adapter.vendor == "hikvision"
    assert (choice.vendor, choice.api, choice.how, choice.note) == ("hikvision", "Hikvision ISAPI", "api", None)
    assert [p.confirmed for p in choice.probes] == [False, True]


def test_a_named_camera_is_probed_with_its_own_api_only():
    log: list[str] = []
    adapters = (scripted("dahua", answer("dahua", confirmed=False), log),
                scripted("hikvision", answer("hikvision", confirmed=True), log))
    adapter, choice = choose(CAMERA, "Dahua", "IPC-HFW2241S-S", adapters)
    assert log == ["dahua"]  # not Hikvision's, although it would have answered
    assert adapter is None
    assert choice.vendor is None
    assert choice.note


@pytest.mark.parametrize("error", [AuthFailed("refused", target="127.0.0.9:80"),
                                   Unreachable("no answer", target="127.0.0.9:80")])
def test_a_refusal_or_silence_stops_the_search(error):
    log: list[str] = []
    adapters = (scripted("dahua", error, log), scripted("hikvision", answer("hikvision", confirmed=True), log))
    adapter, choice = choose(CAMERA, "Lorex", None, adapters)
    assert log == ["dahua"]
    assert adapter is None
    assert [(e.operation, e.code) for e in choice.errors] == [("Dahua HTTP API probe", type(error).__name__)]


def test_an_api_that_is_not_there_lets_the_next_one_answer():
    log: list[str] = []
    adapters = (scripted("dahua", NotSupported("404"), log), scripted("hikvision", answer("hikvision", True), log))
    adapter, choice = choose(CAMERA, "Amcrest", None, adapters)
    assert log == ["dahua", "hikvision"]
    assert adapter is not None
    assert choice.vendor == "hikvision"
    assert choice.how == "api"


# --- plan, backup and read back -------------------------------------------------------------------


def facts(**values: object) -> VendorFacts:
    return VendorFacts(vendor="dahua", api="Dahua HTTP API", target="127.0.0.9:80", read_at=NOW, **values)


class Settable(VendorAdapter):
    """Holds its settings in memory: the interface's default plan and read_back over it."""

    vendor = "dahua"
    api = "Dahua HTTP API"

    def __init__(self, camera: VendorCamera, state: VendorFacts) -> None:
        super().__init__(camera)
        self.state = state

    def probe(self) -> Probe:
        return answer("dahua", confirmed=True)

    def read(self) -> VendorFacts:
        return self.state

    def set_calls(self):
        return {"smart_codec": "Dahua HTTP API setConfig SmartEncode", "registration": "Dahua HTTP API setConfig DVRIP"}

    def apply(self, changes: list[VendorChange]) -> list[VendorChange]:
        return changes  # a camera that answers 200 and ignores the change


def test_plan_changes_only_what_differs_and_what_the_api_can_set():
    now = facts(smart_codec=Told(value=False, call="Dahua HTTP API SmartEncode"),
                ddns=Told(value=Ddns(enabled=True), call="Dahua HTTP API DDNS"),
                registrations=[Told(value=Registration(kind="auto-register", enabled=True, server="10.0.0.5"),
                                    call="Dahua HTTP API DVRIP")])
    adapter = Settable(CAMERA, now)
    wanted = VendorWanted(smart_codec=True, ddns=False, p2p=False,
                          registrations={"auto-register": True, "gb28181": True})
    plan = adapter.plan(now, wanted)
    # ddns differs but has no set call here; p2p and gb28181 are not known; auto-register is as wanted
    assert [(c.setting, c.before, c.after, c.call) for c in plan] == [
        ("smart_codec", False, True, "Dahua HTTP API setConfig SmartEncode")]
    assert plan[0].reverse().before is True
    assert plan[0].reverse().after is False


def test_read_back_catches_a_change_the_camera_ignored():
    adapter = Settable(CAMERA, facts(smart_codec=Told(value=False, call="Dahua HTTP API SmartEncode")))
    plan = adapter.plan(adapter.read(), VendorWanted(smart_codec=True))
    applied = adapter.apply(plan)
    back = adapter.read_back(applied)
    assert [(b.change.setting, b.seen, b.ok) for b in back] == [("smart_codec", False, False)]
    adapter.state = facts(smart_codec=Told(value=True, call="Dahua HTTP API SmartEncode"))
    assert [b.ok for b in adapter.read_back(applied)] == [True]


def test_vendor_facts_keep_the_call_behind_every_value():
    told = facts(smart_codec=Told(value=True, call="Dahua HTTP API SmartEncode"),
                 p2p=Told(value=CloudP2p(name="P2P", enabled=False, status="offline"), call="Dahua HTTP API P2P"))
    again = VendorFacts.model_validate_json(told.model_dump_json())
    assert again == told
    assert again.setting("p2p") is False
    assert again.setting("registration", "isup") is None
    with pytest.raises(ValueError, match="call"):
        Told[bool].model_validate({"value": True})


def test_the_login_locks_numbers_are_planned_only_where_the_camera_is_laxer_than_the_bounds():
    from kitchencam.models import LoginLock
    from kitchencam.vendors.base import plan_changes

    calls = {"login_lock": "PUT lock", "login_lock_attempts": "PUT lock", "login_lock_minutes": "PUT lock"}
    wanted = VendorWanted(login_lock=True, login_lock_max_attempts=5, login_lock_min_minutes=5)

    def lock(enabled: bool | None, attempts: int | None, minutes: float | None) -> VendorFacts:
        return facts(login_lock=Told(value=LoginLock(enabled=enabled, max_attempts=attempts, lock_minutes=minutes),
                                     call="Hikvision ISAPI Security/illegalLoginLock"))

    laxer = plan_changes(lock(False, 7, 2.0), wanted, calls)
    assert [(c.setting, c.before, c.after) for c in laxer] == [
        ("login_lock", False, True), ("login_lock_attempts", 7, 5), ("login_lock_minutes", 2, 5)]
    assert plan_changes(lock(True, 3, 30.0), wanted, calls) == []  # stricter already: left as it is
    assert plan_changes(lock(True, None, None), wanted, calls) == []  # numbers not told: not touched
    assert plan_changes(lock(False, 7, 2.0), wanted, {"login_lock": "PUT lock"}) == [
        VendorChange(setting="login_lock", before=False, after=True, call="PUT lock")]  # no set call: left out
