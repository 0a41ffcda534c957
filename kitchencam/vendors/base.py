"""What a vendor's own HTTP API can read and set beyond ONVIF: the adapter interface and its models.

ONVIF cannot see a smart codec ("H.265+"), P2P/cloud or the outbound registrations a platform
uses (Dahua Auto Register, Hikvision ISUP and Hik-Connect, GB/T 28181), nor the login-lock
policy; each vendor's own HTTP API can (issue 14). One ``VendorAdapter`` per API speaks it; the
rest of kitchencam sees only the models below, never a vendor's paths (tests/unit/
test_vendor_api_paths.py fails when a module outside ``kitchencam/vendors`` names them).

The contract every adapter keeps:

- It talks to one camera, ``VendorCamera``: host, port, the same account as ONVIF, and the same
  login budget (``kitchencam.logins.BUDGET`` unless a test gives its own). Every request that
  carries the password reserves a login there first (``budget.attempt(host, call)``) and ends it
  with ``ok()``, ``refused()`` or ``cancel()``: the vendor API and ONVIF of one camera share its
  account lockout, so together they get at most ``MAX_REFUSED`` refused logins per run.
- ``probe()`` says whether this API answers on that port and whether it is this vendor's API;
  ``read()`` returns ``VendorFacts``; ``plan()`` / ``apply()`` change settings, ``apply`` returns
  the changes with the values found before them (the backup that ``rollback`` applies in
  reverse); ``read_back()`` reads again and compares, because vendor APIs answer 200 and may
  ignore a change.
- Every reply is untrusted: at most ``MAX_REPLY_BYTES`` in ``VendorCamera.timeout_s`` seconds,
  XML parsed without entities; a failure is a ``KitchencamError`` (the classes of errors.py),
  a read that failed is a ``ReadError`` in ``VendorFacts.read_errors``, never a gap.
- Each value carries the API call that told it (``Told.call``, e.g. "Dahua HTTP API
  SmartEncode"), which the rules show as a verdict's source.

Which adapter applies to a camera is ``kitchencam.vendors.registry``'s choice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from kitchencam.errors import NotSupported
from kitchencam.i18n import _
from kitchencam.logins import BUDGET, LoginBudget

# What an API tells is modelled in kitchencam.models (Facts carries it); re-exported here.
from kitchencam.models import (
    CloudP2p,
    Ddns,
    ExposedService,
    LoginLock,
    Probe,
    ReadError,
    Registration,
    RegistrationKind,
    SettingName,
    SettingValue,
    Told,
    VendorFacts,
    VendorName,
)

__all__ = ["DEFAULT_TIMEOUT_S", "MAX_REPLY_BYTES", "CloudP2p", "Ddns", "ExposedService", "LoginLock", "NotYetAdapter",
           "Probe", "ReadBack", "ReadError", "Registration", "RegistrationKind", "RegistrationTarget", "SettingName",
           "SettingValue", "Told", "VendorAdapter", "VendorCamera", "VendorChange", "VendorFacts", "VendorName",
           "VendorWanted", "plan_changes"]


#: Largest vendor API reply read (bytes); a longer one is a BadReply.
MAX_REPLY_BYTES = 256 * 1024
#: Seconds from connecting to a reply's last byte.
DEFAULT_TIMEOUT_S = 5.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VendorWanted(_Model):
    """The settings a profile asks a vendor API for; ``None`` leaves a setting as it is."""

    smart_codec: bool | None = None
    ddns: bool | None = None
    p2p: bool | None = None
    registrations: dict[RegistrationKind, bool] = Field(default_factory=dict)
    login_lock: bool | None = None
    #: The lock's numbers as bounds (issue 16, QĐ 724): lock after at most this many failed logins...
    login_lock_max_attempts: int | None = Field(default=None, ge=1)
    #: ...for at least this many minutes. A camera already stricter is left as it is.
    login_lock_min_minutes: int | None = Field(default=None, ge=1)


class RegistrationTarget(_Model):
    """The outbound registration a centre wants a camera to make (issue 15): written by
    ``VendorAdapter.set_registration``. ``secret`` (ISUP key, GB28181 password) is sent to the
    camera being worked on and nowhere else, and is never in a dump, a log or the store."""

    kind: RegistrationKind
    enabled: bool = True
    server: str | None = None  # host name or address the camera dials
    port: int | None = Field(default=None, ge=1, le=65535)
    device_id: str | None = None
    secret: SecretStr | None = None
    server_id: str | None = None  # GB28181: the SIP server's 20-digit id
    domain: str | None = None  # GB28181: the SIP domain
    protocol_version: str | None = None  # ISUP: e.g. "v5.0"


class VendorChange(_Model):
    """One setting to change: ``before`` is the backup that rollback restores."""

    setting: SettingName
    kind: RegistrationKind | None = None  # for ``registration``
    before: SettingValue
    after: SettingValue
    call: str  # the set call, e.g. "Dahua HTTP API setConfig SmartEncode"

    def reverse(self) -> VendorChange:
        return self.model_copy(update={"before": self.after, "after": self.before})


class ReadBack(_Model):
    """A change read again after it was applied: vendor APIs answer 200 and may ignore a change."""

    change: VendorChange
    seen: SettingValue
    ok: bool
    call: str


@dataclass(frozen=True)
class VendorCamera:
    """The one camera an adapter talks to, with ONVIF's account and the run's login budget."""

    host: str
    port: int = 80
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    budget: LoginBudget = field(default=BUDGET, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    https: bool = False

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"


def plan_changes(facts: VendorFacts, wanted: VendorWanted, set_call: dict[SettingName, str]) -> list[VendorChange]:
    """The changes from ``facts`` to ``wanted``: only what differs, nothing for an unknown setting.

    ``set_call`` names each setting's set call in the adapter's API; a setting without one is not
    settable through that API and is left out.
    """
    simple: list[tuple[SettingName, bool | None]] = [
        ("smart_codec", wanted.smart_codec), ("ddns", wanted.ddns), ("p2p", wanted.p2p),
        ("login_lock", wanted.login_lock)]
    wishes: list[tuple[SettingName, RegistrationKind | None, bool]] = [
        (name, None, value) for name, value in simple if value is not None]
    wishes += [("registration", kind, value) for kind, value in wanted.registrations.items()]
    changes = []
    for name, kind, value in wishes:
        if name not in set_call:
            continue
        before = facts.setting(name, kind)
        if before is None or before == value:
            continue
        changes.append(VendorChange(setting=name, kind=kind, before=before, after=value, call=set_call[name]))
    changes += _lock_number_changes(facts, wanted, set_call)
    return changes


def _lock_number_changes(facts: VendorFacts, wanted: VendorWanted,
                         set_call: dict[SettingName, str]) -> list[VendorChange]:
    """The login lock's attempts and minutes, changed only where the camera is laxer than the bound
    (more attempts, or a shorter lock); nothing for a number the API did not tell."""
    bounds: list[tuple[SettingName, int | None, bool]] = [
        ("login_lock_attempts", wanted.login_lock_max_attempts, True),
        ("login_lock_minutes", wanted.login_lock_min_minutes, False)]
    changes = []
    for name, bound, at_most in bounds:
        if bound is None or name not in set_call:
            continue
        before = facts.setting(name)
        if not isinstance(before, int) or isinstance(before, bool):
            continue
        if (before > bound) if at_most else (before < bound):
            changes.append(VendorChange(setting=name, before=before, after=bound, call=set_call[name]))
    return changes


class VendorAdapter(ABC):
    """One vendor's HTTP API for one camera. Subclasses set the class attributes and the methods."""

    vendor: ClassVar[VendorName]
    api: ClassVar[str]  # shown in verdicts and the minutes: "Dahua HTTP API"
    #: ONVIF manufacturer names (lower case, prefix match) that claim this API.
    manufacturers: ClassVar[tuple[str, ...]] = ()
    #: ONVIF model prefixes (upper case) that claim this API when the manufacturer is another word.
    model_prefixes: ClassVar[tuple[str, ...]] = ()
    #: OEM manufacturer names (lower case, prefix match) known to resell this vendor's cameras:
    #: tried first, but only the API answering confirms them.
    oem_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, camera: VendorCamera) -> None:
        self.camera = camera
        #: The changes the last ``apply()`` made, each with its backup, kept as they are made: when
        #: a later change of the same call fails (and ``apply`` raises), these are still known, so
        #: provisioning records them and rollback can restore them.
        self.applied: list[VendorChange] = []

    @classmethod
    def claims(cls, manufacturer: str | None, model: str | None) -> Literal["manufacturer", "model"] | None:
        """Whether the ONVIF identity names this vendor, and by which part."""
        maker = (manufacturer or "").strip().lower()
        if maker and maker.startswith(cls.manufacturers):
            return "manufacturer"
        name = (model or "").strip().upper()
        if name and cls.model_prefixes and name.startswith(cls.model_prefixes):
            return "model"
        return None

    @classmethod
    def oem_hint(cls, manufacturer: str | None) -> bool:
        maker = (manufacturer or "").strip().lower()
        return bool(maker and cls.oem_names and maker.startswith(cls.oem_names))

    @abstractmethod
    def probe(self) -> Probe:
        """Does this API answer on the camera's port, and is it this vendor's? Spends at most one login."""

    @abstractmethod
    def read(self) -> VendorFacts:
        """Everything this API tells about the camera; failed reads are ``read_errors``."""

    def plan(self, facts: VendorFacts, wanted: VendorWanted) -> list[VendorChange]:
        """The changes that would bring the camera to ``wanted``; sends nothing."""
        return plan_changes(facts, wanted, self.set_calls())

    def set_calls(self) -> dict[SettingName, str]:
        """Each settable setting's set call in this API (none: nothing settable)."""
        return {}

    #: The outbound registrations this API can write (``set_registration``).
    registration_kinds: ClassVar[tuple[RegistrationKind, ...]] = ()

    def set_registration(self, target: RegistrationTarget) -> Registration:
        """Write one outbound registration (server, port, device id, secret, enabled) and return
        it as it was just before (the backup: no secret, a camera never gives one back). The
        caller reads back with ``read()``; vendor APIs answer OK and may ignore a change."""
        raise NotSupported(
            _("{target}: the {api} cannot set {kind} registration; set it in the camera's web page.").format(
                target=self.camera.target, api=self.api, kind=target.kind), target=self.camera.target)

    def restore_registration(self, before: Registration) -> None:
        """Put a registration back as ``before`` says (rollback). A secret cannot be restored: the
        camera keeps the one last written, and with the registration off it is not used."""
        raise NotSupported(
            _("{target}: the {api} cannot set {kind} registration; set it in the camera's web page.").format(
                target=self.camera.target, api=self.api, kind=before.kind), target=self.camera.target)

    @abstractmethod
    def apply(self, changes: list[VendorChange]) -> list[VendorChange]:
        """Send the changes; return them with ``before`` as found just before (the backup).

        Resets ``self.applied`` and appends each change to it as soon as the camera accepted it."""

    def read_back(self, changes: list[VendorChange]) -> list[ReadBack]:
        """Read again and say, for each change, whether the camera now holds it."""
        facts = self.read()
        return [ReadBack(change=c, seen=(seen := facts.setting(c.setting, c.kind)), ok=seen == c.after,
                         call=c.call) for c in changes]


class NotYetAdapter(VendorAdapter):
    """An adapter whose API kitchencam does not speak yet: every call raises ``NotSupported``
    before anything is sent, so no login is spent and the rules fall back to the catalogue."""

    def _not_yet(self) -> NotSupported:
        return NotSupported(
            _("{target}: kitchencam cannot read or set the camera through the {api} yet. The rules use the "
              "model catalogue for what that API would tell; nothing was sent to the camera.").format(
                target=self.camera.target, api=self.api),
            target=self.camera.target)

    def probe(self) -> Probe:
        raise self._not_yet()

    def read(self) -> VendorFacts:
        raise self._not_yet()

    def plan(self, facts: VendorFacts, wanted: VendorWanted) -> list[VendorChange]:
        raise self._not_yet()

    def apply(self, changes: list[VendorChange]) -> list[VendorChange]:
        raise self._not_yet()

    def read_back(self, changes: list[VendorChange]) -> list[ReadBack]:
        raise self._not_yet()
