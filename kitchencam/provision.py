"""``kitchencam provision`` and ``rollback``: set each camera the way the profile says, safely.

Plan (current -> target, per step), back up every setting a step will touch (store, before the
first change), apply in a safe order (time, imaging, encoder, name, centre account), wait for a
camera that reboots and resume where it was, verify by reading everything back and by looking
at the real stream (RTSP DESCRIBE), then audit again. A second run on a compliant camera plans
nothing. Prints nothing.
"""

from __future__ import annotations

import math
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from kitchencam.errors import (
    AuthFailed,
    DeviceFault,
    InvalidArgument,
    KitchencamError,
    NotSupported,
    Unreachable,
    UsageError,
)
from kitchencam.exposure import probe_anonymous
from kitchencam.i18n import _
from kitchencam.inspection import VendorSeen, read_vendor_into, vendor_seen, with_vendor
from kitchencam.logins import login_evidence
from kitchencam.models import ErrorItem, Facts, Verdict, VideoEncoder
from kitchencam.onvif import write
from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts, read_time
from kitchencam.onvif.snapshot import fetch_snapshot, safe_uri, take_snapshot
from kitchencam.profile import Catalogue, Profile, ProvisionTarget, StreamTarget
from kitchencam.rtsp import describe
from kitchencam.rules.context import main_encoder, main_options, user_level_name
from kitchencam.rules.engine import audit, credentials_of, stored_verdicts, summarise, verdict_texts
from kitchencam.store import CheckRecord
from kitchencam.targets import camera_key, centre_secret_key, host_of
from kitchencam.timezones import utc_offset_minutes
from kitchencam.vendors.base import SettingValue, VendorAdapter, VendorCamera, VendorChange, VendorWanted
from kitchencam.vendors.registry import adapter_for
from kitchencam.workers import DaemonPool

#: "smart-codec" is set through the vendor's own HTTP API (ONVIF has no word for it), after the encoder;
#: "security" too (the login lock and P2P/cloud as the profile's security rules want them, issue 16).
STEP_ORDER = ("time", "imaging", "encoder", "smart-codec", "security", "hostname", "centre-account")
CLOCK_LIMIT_S = 5.0
REBOOT_WAIT_S = 90.0
MAX_WORKERS = 8


class Change(BaseModel):
    setting: str
    current: str | None
    target: str
    #: Why provisioning cannot make this change on this camera, and what would; None when it can.
    cannot: str | None = None


class Step(BaseModel):
    name: str  # one of STEP_ORDER
    how: str  # the ONVIF operation(s)
    changes: list[Change]
    status: Literal["planned", "done", "failed", "skipped"] = "planned"
    detail: str | None = None


class SnapshotTaken(BaseModel):
    """The picture taken at the end of provisioning (the bytes go to the store, not to --json)."""

    taken_at: datetime
    source: str
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    error: str | None = None  # why there is no picture; provisioning goes on without it


class CameraProvision(BaseModel):
    target: str
    xaddr: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    camera_key: str | None = None  # serial, else host:port: how the store files this camera
    state: Literal["planned", "no-op", "provisioned", "failed", "rolled-back"] = "planned"
    steps: list[Step] = []
    timezone_used: str | None = None
    timezone_refused: list[str] = []
    reboots_waited: int = 0
    rtsp: dict[str, Any] | None = None
    verify_problems: list[str] = []
    overall: str | None = None
    counts: dict[str, int] = {}
    verdicts: list[Verdict] = []
    #: The verdicts' words in each language, stored for the report, not printed.
    texts: dict[str, list[dict[str, str | None]]] = Field(default_factory=dict, exclude=True)
    #: What the vendor API told at verification, stored with the verdicts for the report, not printed.
    vendor: VendorSeen | None = Field(default=None, exclude=True)
    backup_id: int | None = None
    #: What the plan could not do at all on this camera, said once (e.g. no vendor API for the smart codec).
    notes: list[str] = []
    snapshot: SnapshotTaken | None = None
    error: ErrorItem | None = None
    _snapshot_data: bytes | None = PrivateAttr(default=None)

    @property
    def snapshot_data(self) -> bytes | None:
        return self._snapshot_data


class ProvisionResult(BaseModel):
    profile: str
    site: str
    dry_run: bool
    cameras: list[CameraProvision]
    elapsed_s: float
    warnings: list[str] = []


@dataclass
class SiteContext:
    code: str
    name: str
    ntp_servers: list[str]


@dataclass
class ProvisionOptions:
    targets: list[str]
    user: str
    password: str
    dry_run: bool = False
    reboot_wait_s: float = REBOOT_WAIT_S
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    workers: int = MAX_WORKERS
    verify_stream: bool = True
    take_snapshot: bool = True
    secrets_get: Callable[[str], str | None] = lambda _k: None
    secrets_set: Callable[[str, str], None] = lambda _k, _v: None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The camera's number on the site (``{n}`` in the hostname) by its camera key, from the store:
    #: kept once given. None: the camera's place in ``targets`` (no store).
    number: Callable[[str], int] | None = None


# ---------------------------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------------------------


def plan(facts: Facts, profile: Profile, site: SiteContext, n: int, options: ProvisionOptions) -> list[Step]:
    """The steps that would bring ``facts`` to the profile's target; [] when already there."""
    target = profile.provision or ProvisionTarget()
    steps = [
        s
        for s in (
            _plan_time(facts, target, site),
            _plan_imaging(facts, target),
            _plan_encoder(facts, profile.main_stream, target),
            _plan_smart_codec(facts, target),
            _plan_security(facts, profile),
            _plan_hostname(facts, target, site, n),
            _plan_centre_account(facts, target, site, options),
        )
        if s is not None
    ]
    return sorted(steps, key=lambda s: STEP_ORDER.index(s.name))


def actionable(steps: list[Step]) -> list[Step]:
    """The steps provisioning can carry out (a "skipped" step holds only changes it cannot make)."""
    return [s for s in steps if s.status == "planned"]


def _step(name: str, how: str, changes: list[Change]) -> Step | None:
    """A step for ``changes``; "skipped" when none of them can be made, with the reasons as detail."""
    if not changes:
        return None
    notes = list(dict.fromkeys(c.cannot for c in changes if c.cannot))
    status: Literal["planned", "skipped"] = "skipped" if all(c.cannot for c in changes) else "planned"
    return Step(name=name, how=how, changes=changes, status=status, detail=" ".join(notes) or None)


def ntp_servers_for(facts: Facts, target: ProvisionTarget, site: SiteContext) -> list[str]:
    """The NTP servers provisioning sets: the site config's; else the camera's own (kept, with NTP
    turned on); else the profile's default servers. [] when there is none anywhere."""
    if site.ntp_servers:
        return list(site.ntp_servers)
    own = facts.ntp.servers if facts.ntp else []
    return list(own) if own else list(target.ntp_servers)


def _plan_time(facts: Facts, target: ProvisionTarget, site: SiteContext) -> Step | None:
    t = facts.time
    changes = []
    servers = ntp_servers_for(facts, target, site)
    if target.ntp:
        current = facts.ntp.servers if facts.ntp else []
        now = f"{t.date_time_type if t else '?'}: {', '.join(current)}"
        if servers and (t is None or t.date_time_type != "NTP" or current != servers):
            changes.append(Change(setting="ntp", current=now, target=f"NTP: {', '.join(servers)}"))
        elif not servers and (t is None or t.date_time_type != "NTP"):
            changes.append(Change(setting="ntp", current=now, target="NTP", cannot=_(
                "No NTP server to set: the site config names none, the camera has none and the profile names "
                "no default. Add ntp_servers to the site config, then run provision "
                "again.")))
    offset = utc_offset_minutes(t.timezone) if t and t.timezone else None
    want = utc_offset_minutes(target.timezones[0])
    if t is None or offset != want or t.dst:
        changes.append(Change(setting="timezone", current=t.timezone if t else None, target=target.timezones[0]))
    if (
        not (servers and target.ntp)
        and t is not None
        and t.clock_offset_s is not None
        and abs(t.clock_offset_s) > CLOCK_LIMIT_S
    ):
        changes.append(
            Change(setting="clock", current=f"{t.clock_offset_s:+.0f} s", target=_("this computer's UTC clock"))
        )
    return _step("time", "tds:SetNTP, tds:SetSystemDateAndTime", changes)


def _plan_imaging(facts: Facts, target: ProvisionTarget) -> Step | None:
    if not facts.imaging:
        return None
    img = facts.imaging[0]
    opts = img.options
    changes = []
    if target.wdr_mode and img.wdr_mode != target.wdr_mode and (opts is None or target.wdr_mode in opts.wdr_modes):
        changes.append(Change(setting="wdr", current=img.wdr_mode, target=target.wdr_mode))
    if (
        target.wdr_mode == "ON"
        and target.wdr_level is not None
        and img.wdr_level is not None
        and abs(img.wdr_level - target.wdr_level) > 0.5
        and (opts is None or "ON" in opts.wdr_modes)
    ):
        changes.append(Change(setting="wdr_level", current=f"{img.wdr_level:g}", target=f"{target.wdr_level:g}"))
    if target.ir_cut and img.ir_cut_filter != target.ir_cut and (opts is None or target.ir_cut in opts.ir_cut_modes):
        changes.append(Change(setting="ir_cut", current=img.ir_cut_filter, target=target.ir_cut))
    if not changes:
        return None
    return Step(name="imaging", how="timg:SetImagingSettings", changes=changes)


# Media1's tt:VideoEncoding enumeration: H.265 cannot even be named there.
_MEDIA1_ENCODINGS = ("JPEG", "MPEG4", "H264")


def _codec_cannot(facts: Facts, enc: VideoEncoder, codec: str) -> str | None:
    """Why the main encoder cannot be switched to ``codec`` over ONVIF, or None when it can."""
    if not facts.media2 and codec.upper() not in _MEDIA1_ENCODINGS:
        return _("{codec} cannot be set over ONVIF on this camera: it has no ONVIF Media2, and Media1 has no word "
                 "for {codec}. Set it in the camera's web page (or through the vendor's own HTTP API), then "
                 "check again.").format(codec=codec)
    options = main_options(facts, enc)
    offered = {o.encoding.upper() for o in options.options} if options else set()
    if offered and codec.upper() not in offered:
        return _("The camera does not offer {codec} among its encoder options ({offered}): no setting makes it "
                 "encode {codec}. Replace the camera.").format(codec=codec, offered=", ".join(sorted(offered)))
    return None


def _size_cannot(facts: Facts, enc: VideoEncoder, codec: str, width: int, height: int) -> str | None:
    """Why the main encoder cannot run ``width``x``height`` in ``codec``, or None when it can (or
    when its options do not say)."""
    options = main_options(facts, enc)
    if options is None:
        return None
    sizes = [(r.width, r.height) for o in options.options if o.encoding.upper() == codec.upper()
             for r in o.resolutions]
    if not sizes or (width, height) in sizes:
        return None
    return _("The camera does not offer {size} for {codec} (it offers {offered}): no setting gives that "
             "size. Replace the camera.").format(size=f"{width}x{height}", codec=codec,
                                                 offered=", ".join(f"{w}x{h}" for w, h in sizes))


def _plan_encoder(facts: Facts, stream: StreamTarget, target: ProvisionTarget) -> Step | None:
    enc = main_encoder(facts)
    if enc is None:
        return None
    changes = []
    codec_cannot = _codec_cannot(facts, enc, stream.codec) if enc.encoding != stream.codec else None
    if enc.encoding != stream.codec:
        changes.append(Change(setting="encoding", current=enc.encoding, target=stream.codec, cannot=codec_cannot))
    if (enc.width, enc.height) != (stream.width, stream.height):
        # The size is offered per codec: the one that will run after this step.
        runs = enc.encoding or stream.codec if codec_cannot else stream.codec
        changes.append(
            Change(
                setting="resolution", current=f"{enc.width}x{enc.height}", target=f"{stream.width}x{stream.height}",
                cannot=_size_cannot(facts, enc, runs, stream.width, stream.height),
            )
        )
    if enc.fps is None or abs(enc.fps - stream.fps) > 0.5:
        changes.append(Change(setting="fps", current=f"{enc.fps:g}" if enc.fps else None, target=f"{stream.fps:g}"))
    bitrate_ok = (
        enc.bitrate_kbps is not None
        and enc.bitrate_kbps <= stream.bitrate_kbps_max
        and (stream.bitrate_kbps_min is None or enc.bitrate_kbps >= stream.bitrate_kbps_min)
    )
    if not bitrate_ok:
        changes.append(
            Change(setting="bitrate_kbps", current=str(enc.bitrate_kbps), target=str(stream.bitrate_kbps_max))
        )
    if target.gov_length and enc.gop != target.gov_length:
        changes.append(Change(setting="gov_length", current=str(enc.gop), target=str(target.gov_length)))
    want_cbr = target.rate_control == "CBR"
    if enc.constant_bitrate is not None and enc.constant_bitrate != want_cbr:
        changes.append(
            Change(
                setting="rate_control", current="CBR" if enc.constant_bitrate else "VBR", target=target.rate_control
            )
        )
    how = "tr2:SetVideoEncoderConfiguration" if facts.media2 else "trt:SetVideoEncoderConfiguration"
    return _step("encoder", how, changes)


def vendor_wanted(target: ProvisionTarget) -> VendorWanted:
    """What the profile asks of the camera's vendor API."""
    return VendorWanted(smart_codec=target.smart_codec)


def _vendor_changes(facts: Facts, target: ProvisionTarget, adapter: VendorAdapter | None = None) -> list[VendorChange]:
    """The vendor API changes the profile asks for; [] without vendor facts or an adapter that plans them."""
    return _vendor_changes_for(facts, vendor_wanted(target), adapter)


def _vendor_changes_for(facts: Facts, wanted: VendorWanted,
                        adapter: VendorAdapter | None = None) -> list[VendorChange]:
    """The changes that bring the vendor API to ``wanted``; sends nothing."""
    if facts.vendor is None or wanted == VendorWanted():
        return []
    adapter = adapter or adapter_for(facts.vendor.vendor, VendorCamera(host_of(facts.target)))
    if adapter is None:
        return []
    try:
        return adapter.plan(facts.vendor, wanted)  # sends nothing
    except NotSupported:
        return []


def _setting_text(value: SettingValue) -> str | None:
    if isinstance(value, bool):
        return _("on") if value else _("off")
    return None if value is None else str(value)


def _plan_smart_codec(facts: Facts, target: ProvisionTarget) -> Step | None:
    """The smart codec ("+" of H.265+) through the vendor API; nothing when no vendor API answered
    (``plan_notes`` says so)."""
    changes = _vendor_changes(facts, target)
    if not changes:
        return None
    return Step(name="smart-codec", how=", ".join(dict.fromkeys(c.call for c in changes)),
                changes=[Change(setting=c.setting if c.kind is None else f"{c.setting}:{c.kind}",
                                current=_setting_text(c.before), target=_setting_text(c.after) or "?")
                         for c in changes])


# --- the security step (issue 16) ------------------------------------------------------------------

#: The step each vendor setting's change belongs to (backup and rollback name it).
_VENDOR_STEP = {"smart_codec": "smart-codec", "login_lock": "security", "login_lock_attempts": "security",
                "login_lock_minutes": "security", "p2p": "security"}


def security_wanted(profile: Profile) -> VendorWanted:
    """What the profile's security rules ask of the vendor API: the login lock on, with at most
    ``max_failed_logins`` attempts and at least ``min_lock_minutes`` (login-lockout), and P2P/cloud
    as ``cloud_wanted`` says (cloud-exposure; ``either`` leaves it)."""
    lockout = next((r for r in profile.rules if r.check == "login_lockout"), None)
    cloud = next((r for r in profile.rules if r.check == "cloud_exposure"), None)
    wanted = VendorWanted()
    if lockout is not None:
        wanted.login_lock = True
        wanted.login_lock_max_attempts = lockout.max_failed_logins or 5
        wanted.login_lock_min_minutes = math.ceil(lockout.min_lock_minutes or 5)
    if cloud is not None and cloud.cloud_wanted in ("off", "on"):
        wanted.p2p = cloud.cloud_wanted == "on"
    return wanted


def _security_changes(facts: Facts, profile: Profile, adapter: VendorAdapter | None = None) -> list[VendorChange]:
    return [c for c in _vendor_changes_for(facts, security_wanted(profile), adapter)
            if _VENDOR_STEP.get(c.setting) == "security"]


def _plan_security(facts: Facts, profile: Profile) -> Step | None:
    """The login lock and P2P/cloud through the vendor API; nothing when no vendor API told them
    (the security rules say UNKNOWN with the reason)."""
    changes = _security_changes(facts, profile)
    if not changes:
        return None
    return Step(name="security", how=", ".join(dict.fromkeys(c.call for c in changes)),
                changes=[Change(setting=c.setting, current=_setting_text(c.before),
                                target=_setting_text(c.after) or "?") for c in changes])


def _anonymous_notes(facts: Facts) -> list[str]:
    """Anonymous stream/snapshot access (issue 16): no vendor API call that turns it off could be
    verified against a published source, so provisioning does not send one; the plan says what to do."""
    served = [p for p in (facts.anonymous or []) if p.outcome == "served"]
    if not served:
        return []
    names = {"rtsp": _("RTSP stream"), "snapshot": _("snapshot")}
    return [_("The camera gives its {what} to a request without a password, and kitchencam provision does not "
              "change that (no vendor API call for it is known well enough to send): turn off anonymous access "
              "in the camera's web page (Hikvision: System > Security > Authentication; Dahua: System > Safety), "
              "then check again.").format(what=", ".join(names[p.what] for p in served))]


def plan_notes(facts: Facts, profile: Profile) -> list[str]:
    """What provisioning cannot do on this camera at all, for the plan: the smart codec without a vendor
    API, anonymous access to the stream or snapshot."""
    return _smart_codec_notes(facts, profile) + _anonymous_notes(facts)


def _smart_codec_notes(facts: Facts, profile: Profile) -> list[str]:
    target = profile.provision or ProvisionTarget()
    if target.smart_codec is None:
        return []
    if facts.vendor is not None:
        if facts.vendor.smart_codec is not None:
            return []
        return [_("The profile asks for the smart codec (H.265+), but the {api} did not tell it: set H.265+ in the "
                  "camera's web page, then check again.").format(api=facts.vendor.api)]
    api = facts.vendor_choice.api if facts.vendor_choice and facts.vendor_choice.api else None
    return [_("The profile asks for the smart codec (H.265+), but no vendor API of this camera answered{api}: set "
              "H.265+ in the camera's web page, then check again.").format(api=f" ({api})" if api else "")]


def hostname_for(target: ProvisionTarget, site: SiteContext, n: int) -> str | None:
    if not target.hostname_pattern:
        return None
    return target.hostname_pattern.format(school_code=site.code, n=n)


def _plan_hostname(facts: Facts, target: ProvisionTarget, site: SiteContext, n: int) -> Step | None:
    want = hostname_for(target, site, n)
    current = facts.hostname.name if facts.hostname else None
    if want is None or current == want:
        return None
    return Step(
        name="hostname", how="tds:SetHostname", changes=[Change(setting="hostname", current=current, target=want)]
    )


def _plan_centre_account(
    facts: Facts, target: ProvisionTarget, site: SiteContext, options: ProvisionOptions
) -> Step | None:
    account = target.centre_account
    if account is None:
        return None
    exists = any(u.name == account.user for u in facts.users)
    known = options.secrets_get(centre_secret_key(site.code, camera_key(facts), account.user)) is not None
    if exists and known:
        return None
    current = _("exists, password unknown here") if exists else None
    return Step(
        name="centre-account",
        how="tds:CreateUsers" if not exists else "tds:SetUser",
        changes=[
            Change(
                setting="centre_account",
                current=current,
                target=_("{user} ({level}), password in the keyring").format(user=account.user,
                                                                              level=user_level_name(account.level)),
            )
        ],
    )


# ---------------------------------------------------------------------------------------------
# backup
# ---------------------------------------------------------------------------------------------


def backup_of(facts: Facts, target: ProvisionTarget | None = None, profile: Profile | None = None) -> dict[str, Any]:
    """Every setting provisioning may touch, as it is now (no password: user names only).

    ``vendor`` holds the vendor API settings the profile (``target``) will change, as the API told
    them, and the changes themselves: rollback applies them reversed."""
    enc = main_encoder(facts)
    img = facts.imaging[0] if facts.imaging else None
    t = facts.time
    return {
        "media2": facts.media2,
        "encoder": enc.model_dump() if enc else None,
        "imaging": img.model_dump(exclude={"options"}) if img else None,
        "ntp": facts.ntp.model_dump() if facts.ntp else None,
        "time": {"date_time_type": t.date_time_type, "timezone": t.timezone, "dst": t.dst} if t else None,
        "hostname": facts.hostname.name if facts.hostname else None,
        "users": [u.name for u in facts.users],
        "vendor": _vendor_backup(facts, target, profile) if target is not None or profile is not None else None,
    }


def _vendor_backup(facts: Facts, target: ProvisionTarget | None, profile: Profile | None = None
                   ) -> dict[str, Any] | None:
    changes = _vendor_changes(facts, target) if target is not None else []
    if profile is not None:  # the security step's changes (issue 16), backed up with the rest
        changes += _security_changes(facts, profile)
    if facts.vendor is None or not changes:
        return None
    return {"vendor": facts.vendor.vendor, "api": facts.vendor.api,
            "values": {c.setting if c.kind is None else f"{c.setting}:{c.kind}": c.before for c in changes},
            "changes": [c.model_dump(mode="json") for c in changes]}


# ---------------------------------------------------------------------------------------------
# applying
# ---------------------------------------------------------------------------------------------


class _Camera:
    """One camera's ONVIF session, re-opened after a reboot."""

    def __init__(self, target: str, options: ProvisionOptions) -> None:
        self.target = target
        self.options = options
        self.session: Any = None
        #: The camera's vendor API (None: none answered), with ONVIF's account and the run's login budget.
        self.vendor: VendorAdapter | None = None
        self._vendor_refused = False

    def open(self) -> Any:
        self.close()
        self.session = OnvifCamera(
            self.target,
            user=self.options.user,
            password=self.options.password,
            timeouts=Timeouts(connect=self.options.connect_timeout_s, read=self.options.read_timeout_s),
        )
        return self.session

    def read(self) -> Facts:
        facts = read_facts(self.open())
        self.read_vendor(facts)
        return facts

    def read_vendor(self, facts: Facts) -> None:
        """The vendor API's facts into ``facts``. A refused vendor login is never tried again."""
        if self._vendor_refused:
            return
        session = self.session
        camera = VendorCamera(session.host, session.port, self.options.user, self.options.password,
                              https=str(session.device_xaddr).startswith("https:"))
        self.vendor = read_vendor_into(facts, camera)
        choice = facts.vendor_choice
        self._vendor_refused = bool(choice and any(e.code in ("AuthFailed", "ClockSkew") for e in choice.errors))

    def wait_back(self) -> bool:
        """After a Set the camera may reboot: poll its clock (bounded) until it answers again."""

        deadline = time.monotonic() + self.options.reboot_wait_s
        host, _sep, port = self.session.target.rpartition(":")
        while time.monotonic() < deadline:
            try:
                read_time(host.strip("[]"), int(port))
                return True
            except KitchencamError:
                time.sleep(0.5)
        return False

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def centre_password() -> str:
    """A new random password for the centre's account: 24 characters with upper and lower case,
    digits and a special character in every one (QĐ 724/QĐ-BTTTT's classes, the password-strength
    rule), from ``secrets``; ``token_urlsafe`` alone lacks a special character about half the time."""
    special = "-_.~!@"
    while True:
        password = secrets.token_urlsafe(18)[:20] + "".join(
            secrets.choice(pool) for pool in (string.ascii_uppercase, string.ascii_lowercase, string.digits, special))
        chars = list(password)
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        if not password.startswith(("-", "!", "@")):  # never read as an option or a mail address
            return password


def _apply_step(
    cam: Any,
    facts: Facts,
    step: Step,
    profile: Profile,
    site: SiteContext,
    n: int,
    options: ProvisionOptions,
    outcome: CameraProvision,
) -> None:
    target = profile.provision or ProvisionTarget()
    if step.name == "time":
        servers = ntp_servers_for(facts, target, site) if target.ntp else []
        manual = datetime.now(timezone.utc) if not servers else None
        result = write.set_time(
            cam,
            ntp_servers=servers,
            timezone_candidates=target.timezones,
            manual_utc=manual,
        )
        outcome.timezone_used = result.timezone_used
        outcome.timezone_refused = list(result.refused)
    elif step.name == "imaging":
        img = facts.imaging[0]
        wdr = target.wdr_mode if any(c.setting == "wdr" for c in step.changes) else None
        level = target.wdr_level if any(c.setting == "wdr_level" for c in step.changes) or wdr == "ON" else None
        ir = target.ir_cut if any(c.setting == "ir_cut" for c in step.changes) else None
        write.set_imaging(cam, img.video_source_token, wdr_mode=wdr, wdr_level=level, ir_cut=ir)
    elif step.name == "encoder":
        stream = profile.main_stream
        enc = main_encoder(facts)
        assert enc is not None
        cannot = {c.setting for c in step.changes if c.cannot}
        write.set_video_encoder(
            cam,
            facts,
            enc.token,
            encoding=None if "encoding" in cannot else stream.codec,
            width=None if "resolution" in cannot else stream.width,
            height=None if "resolution" in cannot else stream.height,
            fps=stream.fps,
            bitrate_kbps=stream.bitrate_kbps_max,
            gov_length=target.gov_length,
            constant_bitrate=target.rate_control == "CBR",
        )
    elif step.name == "hostname":
        name = hostname_for(target, site, n)
        assert name is not None
        write.set_hostname(cam, name)
    elif step.name == "centre-account":
        account = target.centre_account
        assert account is not None
        password = centre_password()
        if any(u.name == account.user for u in facts.users):
            write.set_user_password(cam, account.user, password, account.level)
        else:
            write.create_user(cam, account.user, password, account.level)
        # Kept only in the OS keyring: the register stage sends it to the centre over its API.
        options.secrets_set(centre_secret_key(site.code, camera_key(facts), account.user), password)


def _apply_vendor(cam: _Camera, facts: Facts, target: ProvisionTarget, outcome: CameraProvision) -> None:
    """The vendor API step: set, then read back (vendor APIs answer 200 and may ignore a change).

    A camera that drops off after the change (it reboots) is waited for, then read back."""
    adapter = cam.vendor
    if adapter is None or facts.vendor is None:
        raise NotSupported(_("{target}: the camera's vendor API no longer answers: set H.265+ in the camera's web "
                             "page.").format(target=cam.target), target=cam.target)
    _set_and_read_back(cam, adapter, _vendor_changes(facts, target, adapter), outcome)


def _apply_security(cam: _Camera, facts: Facts, profile: Profile, outcome: CameraProvision) -> None:
    """The security step: the login lock and P2P/cloud through the vendor API, then read back."""
    adapter = cam.vendor
    if adapter is None or facts.vendor is None:
        raise NotSupported(_("{target}: the camera's vendor API no longer answers: set the login lock and P2P in "
                             "the camera's web page.").format(target=cam.target), target=cam.target)
    _set_and_read_back(cam, adapter, _security_changes(facts, profile, adapter), outcome)


def _set_and_read_back(cam: _Camera, adapter: VendorAdapter, changes: list[VendorChange],
                       outcome: CameraProvision) -> None:
    applied = adapter.apply(changes)
    try:
        backs = adapter.read_back(applied)
    except Unreachable:
        if not cam.wait_back():
            raise
        outcome.reboots_waited += 1
        backs = adapter.read_back(applied)
    not_held = [b for b in backs if not b.ok]
    if not_held:
        raise DeviceFault(_("The camera accepted {what} but reading it back shows it did not keep it: set it in the "
                            "camera's web page, then check again.").format(
            what="; ".join(_("{call} ({before} -> {after}; now {seen})").format(
                call=b.call, before=_setting_text(b.change.before), after=_setting_text(b.change.after),
                seen=_setting_text(b.seen)) for b in not_held)), target=cam.target)


def provision_one(
    target: str,
    n: int,
    profile: Profile,
    catalogue: Catalogue,
    site: SiteContext,
    options: ProvisionOptions,
    store_backup: Callable[[Facts, dict[str, Any]], int],
    record_step: Callable[[int, str, str, str | None], None],
) -> CameraProvision:
    outcome = CameraProvision(target=target)
    cam = _Camera(target, options)
    try:
        facts = cam.read()
        if any(r.check == "anonymous_access" for r in profile.rules):
            # One request without credentials each, as check makes them (no login spent): the plan
            # then says to turn anonymous access off where the camera serves it.
            facts.anonymous = probe_anonymous(facts, Timeouts(connect=options.connect_timeout_s,
                                                              read=options.read_timeout_s))
        _identify(outcome, facts)
        if options.number is not None:
            n = options.number(outcome.camera_key or camera_key(facts))
        steps = plan(facts, profile, site, n, options)
        outcome.steps = steps
        outcome.notes = plan_notes(facts, profile)
        if options.dry_run:
            outcome.state = "planned" if actionable(steps) else "no-op"
            return outcome
        if not actionable(steps):
            outcome.state = "no-op"
            facts = _verify(cam, outcome, profile, catalogue, site, n, options)
            _snapshot(cam, facts, outcome, options)
            return outcome
        outcome.backup_id = store_backup(facts, backup_of(facts, profile.provision, profile))
        failed = False
        done: set[str] = set()
        while True:
            pending = [s for s in actionable(plan(facts, profile, site, n, options)) if s.name not in done]
            if not pending:
                break
            step = pending[0]
            try:
                if step.name == "smart-codec":
                    _apply_vendor(cam, facts, profile.provision or ProvisionTarget(), outcome)
                elif step.name == "security":
                    _apply_security(cam, facts, profile, outcome)
                else:
                    _apply_step(cam.session, facts, step, profile, site, n, options, outcome)
            except Unreachable:
                # A camera that reboots after a Set (Dahua does for encoder changes): wait, resume.
                if not cam.wait_back():
                    raise
                outcome.reboots_waited += 1
                facts = cam.read()
                if outcome.reboots_waited > len(STEP_ORDER) + 1:
                    raise
                continue
            except InvalidArgument as exc:
                # The hint carries the allowed range from the camera's options and the nearest value.
                detail = f"{exc.message} {exc.hint}" if exc.hint else exc.message
                failed = True
                done.add(step.name)
                _mark(outcome, step.name, "failed", detail)
                record_step(outcome.backup_id, step.name, "failed", detail)
                continue
            except KitchencamError as exc:
                if isinstance(exc, Unreachable):
                    raise
                failed = True
                done.add(step.name)
                _mark(outcome, step.name, "failed", exc.message)
                record_step(outcome.backup_id, step.name, "failed", exc.message)
                continue
            done.add(step.name)
            _mark(outcome, step.name, "done", None)
            record_step(outcome.backup_id, step.name, "done", None)
            # The steps touch separate settings, so the plan made from the first read holds; the
            # camera is read again only after a reboot, and in full at verification. Setting the
            # time moves the camera's clock: measure it again, or the next token is stale.
            if step.name == "time":
                cam.session.measure_clock()
        facts = _verify(cam, outcome, profile, catalogue, site, n, options)
        outcome.state = "failed" if failed or outcome.verify_problems else "provisioned"
        _snapshot(cam, facts, outcome, options)
    except KitchencamError as exc:
        outcome.state = "failed"
        outcome.error = ErrorItem.from_error(exc)
    finally:
        cam.close()
    return outcome


def _identify(outcome: CameraProvision, facts: Facts) -> None:
    info = facts.device_info
    outcome.xaddr = facts.device_xaddr
    if info is not None:
        outcome.manufacturer, outcome.model, outcome.serial = info.manufacturer, info.model, info.serial
    outcome.camera_key = camera_key(facts)


def _mark(outcome: CameraProvision, name: str, status: Literal["done", "failed"], detail: str | None) -> None:
    for s in outcome.steps:
        if s.name == name:
            # What the plan said it cannot do stays said after the rest of the step is done.
            s.status, s.detail = status, detail if detail is not None or status == "failed" else s.detail
            return
    outcome.steps.append(Step(name=name, how="", changes=[], status=status, detail=detail))


def _verify(
    cam: _Camera,
    outcome: CameraProvision,
    profile: Profile,
    catalogue: Catalogue,
    site: SiteContext,
    n: int,
    options: ProvisionOptions,
) -> Facts:
    """Read everything back, look at the real stream, audit again; the facts read back."""
    facts = cam.read()
    left = plan(facts, profile, site, n, options)
    # What the plan already said it cannot do is no verification problem: it was never tried.
    outcome.verify_problems = [
        f"{c.setting}: {c.current} -> {c.target}"
        for s in left
        for c in s.changes
        if not c.cannot and (outcome.state != "no-op" or s.name != "centre-account")
    ]
    if options.verify_stream and facts.profiles and facts.profiles[0].stream_uri:

        try:
            # read_facts moved a stream URI naming another host onto the camera; describe() checks again.
            check = describe(facts.profiles[0].stream_uri, user=options.user, password=options.password,
                             camera_host=cam.session.host)
            outcome.rtsp = check.model_dump(exclude={"sdp"})
            codec, width, height = _expected_stream(profile.main_stream, facts, left)
            if check.codec != codec or (check.width, check.height) != (width, height):
                outcome.verify_problems.append(
                    _("RTSP stream: {codec} {w}x{h}, not {want}").format(
                        codec=check.codec,
                        w=check.width,
                        h=check.height,
                        want=f"{codec} {width}x{height}",
                    )
                )
        except KitchencamError as exc:
            outcome.verify_problems.append(_("RTSP check failed: {message}").format(message=exc.message))

    facts.login = login_evidence(cam.session)
    creds = credentials_of(facts, options.user, options.password, profile)
    now = datetime.now(timezone.utc)
    outcome.verdicts = _not_fixed_here(audit(facts, profile, catalogue, [], now=now, credentials=creds),
                                       profile, outcome.steps + left)
    outcome.texts = verdict_texts(outcome.verdicts, facts, profile, catalogue, [], now=now, credentials=creds)
    outcome.vendor = vendor_seen(facts)
    outcome.counts, outcome.overall = summarise(outcome.verdicts, kinds={"device", "catalogue"})
    return facts


def _expected_stream(stream: StreamTarget, facts: Facts, left: list[Step]) -> tuple[str | None, int | None,
                                                                                   int | None]:
    """(codec, width, height) the main stream should run now: the profile's, except where the plan
    said the camera cannot take it (then what the camera runs)."""
    cannot = {c.setting for s in left if s.name == "encoder" for c in s.changes if c.cannot}
    enc = main_encoder(facts)
    codec = enc.encoding if "encoding" in cannot and enc else stream.codec
    width, height = (enc.width, enc.height) if "resolution" in cannot and enc else (stream.width, stream.height)
    return codec, width, height


# The step that would fix each check's FAIL.
_STEP_OF_CHECK = {"codec": "encoder", "main_stream": "encoder", "resolution": "encoder", "ntp": "time",
                  "clock": "time", "timezone": "time", "ir": "imaging", "wdr": "imaging"}


def _not_fixed_here(verdicts: list[Verdict], profile: Profile, steps: list[Step]) -> list[Verdict]:
    """The verdicts after provisioning, without "kitchencam provision fixes this" where provisioning
    just failed, or said it cannot: the reason is given instead."""
    why: dict[str, str] = {}
    for step in steps:
        reason = step.detail if step.status in ("failed", "skipped") else " ".join(
            dict.fromkeys(c.cannot for c in step.changes if c.cannot))
        if reason and step.name not in why:
            why[step.name] = reason
    if "smart-codec" in why:  # the codec rule's "+" is the smart-codec step's
        why.setdefault("encoder", why["smart-codec"])
    suffix = " " + _("kitchencam provision fixes this.")
    out = []
    for v in verdicts:
        rule = profile.rule(v.rule)
        name = _STEP_OF_CHECK.get(rule.check) if rule else None
        if v.fixable_by_provision and name is not None and name in why:
            detail = v.detail[: -len(suffix)] if v.detail.endswith(suffix) else v.detail
            out.append(v.model_copy(update={"fixable_by_provision": False, "detail": detail + " " + _(
                "kitchencam provision could not fix this on this camera: {why}").format(why=why[name])}))
        else:
            out.append(v)
    return out


def _snapshot(cam: _Camera, facts: Facts, outcome: CameraProvision, options: ProvisionOptions) -> None:
    """The last step: a picture of the kitchen from the camera, as proof of placement.

    A camera without a snapshot, or one that refuses it, is recorded as such: provisioning never
    fails for it.
    """
    if not options.take_snapshot:
        return

    now = datetime.now(timezone.utc)
    main = facts.profiles[0] if facts.profiles else None
    timeouts = Timeouts(connect=options.connect_timeout_s, read=options.read_timeout_s)
    source = "tr2:GetSnapshotUri" if facts.media2 else "trt:GetSnapshotUri"
    try:
        if main is not None and main.snapshot_uri:
            # read_facts already asked for it: no second SOAP call.
            picture = fetch_snapshot(main.snapshot_uri, user=options.user, password=options.password,
                                     timeouts=timeouts, operation=source, camera_host=cam.session.host)
        else:
            picture = take_snapshot(cam.session, user=options.user, password=options.password,
                                    profile_token=main.token if main else None, timeouts=timeouts)
    except KitchencamError as exc:
        where = safe_uri(main.snapshot_uri) if main is not None and main.snapshot_uri else ""
        outcome.snapshot = SnapshotTaken(taken_at=now, source=f"{source} {where}".strip(), error=exc.message)
        return
    outcome.snapshot = SnapshotTaken(taken_at=now, source=picture.source, content_type=picture.content_type,
                                     size=len(picture.data), sha256=picture.sha256)
    outcome._snapshot_data = picture.data


def provision(
    options: ProvisionOptions,
    profile: Profile,
    catalogue: Catalogue,
    site: SiteContext,
    store_backup: Callable[[str, Facts, dict[str, Any]], int],
    record_step: Callable[[int, str, str, str | None], None],
    progress: Callable[[CameraProvision], None] | None = None,
) -> ProvisionResult:
    if profile.provision is None:
        raise UsageError(
            _("The profile {profile} has no provision: section, so there is nothing to set.").format(
                profile=profile.id
            )
        )
    started = time.monotonic()

    def one(item: tuple[int, str]) -> CameraProvision:
        n, target = item
        result = provision_one(
            target,
            n,
            profile,
            catalogue,
            site,
            options,
            lambda facts, settings: store_backup(target, facts, settings),
            record_step,
        )
        if progress is not None:
            progress(result)
        return result

    workers = max(1, min(options.workers, len(options.targets)))
    with DaemonPool(max_workers=workers) as pool:
        cameras = list(pool.map(one, enumerate(options.targets, start=1)))
    return ProvisionResult(
        profile=profile.id,
        site=site.code,
        dry_run=options.dry_run,
        cameras=cameras,
        elapsed_s=round(time.monotonic() - started, 2),
    )


def errors_of(result: ProvisionResult) -> list[ErrorItem]:
    errors = []
    for cam in result.cameras:
        if cam.error is not None:
            errors.append(cam.error)
        elif cam.state == "failed":
            failed = [f"{s.name}: {s.detail}" for s in cam.steps if s.status == "failed"] + cam.verify_problems
            errors.append(
                ErrorItem(
                    code="ProvisionFailed",
                    exit_code=1,
                    target=cam.target,
                    message=_(
                        "{target}: not fully provisioned: {what}. The backup is kept: "
                        "run provision again to resume, or kitchencam rollback {target}."
                    ).format(target=cam.target, what="; ".join(failed)),
                )
            )
    return errors


def record(result: ProvisionResult, store: Any, site_code: str, site_name: str, started_at: str) -> None:
    """The verdicts after provisioning, stored as a run of its own (the report shows them)."""

    site = store.upsert_site(site_code, site_name)
    records = []
    for cam in result.cameras:
        if not cam.verdicts and cam.error is None:
            continue
        row = store.find_device(site.id, serial=cam.serial, address=host_of(cam.target))
        records.append(CheckRecord(
            target=cam.target, device_id=row.id if row else None, manufacturer=cam.manufacturer, model=cam.model,
            serial=cam.serial, overall=cam.overall or "ERROR", error_code=cam.error.code if cam.error else None,
            error_message=cam.error.message if cam.error else None, checked_at=started_at,
            verdicts=with_vendor(stored_verdicts(cam.verdicts, cam.texts), cam.vendor),
        ))
    if records:
        store.record_check_run(site.id, result.profile, started_at, records, [], command="provision")
    if result.dry_run:
        return
    for cam in result.cameras:
        # A camera never read is filed under its address: the report says provisioning could not reach it.
        key = cam.camera_key or host_of(cam.target)
        store.save_provision_result(
            site.id, camera_key=key, target=cam.target, backup_id=cam.backup_id or None, state=cam.state,
            steps=[s.model_dump(mode="json") for s in cam.steps], rtsp=cam.rtsp, verify_problems=cam.verify_problems,
            timezone_used=cam.timezone_used, error=cam.error.message if cam.error else None)
        if cam.camera_key is None:
            continue
        shot = cam.snapshot
        if shot is not None:
            store.save_snapshot(site.id, camera_key=cam.camera_key, target=cam.target, source=shot.source,
                                content_type=shot.content_type, data=cam.snapshot_data, sha256=shot.sha256,
                                error=(shot.error or _("no picture")) if cam.snapshot_data is None else None,
                                taken_at=shot.taken_at.isoformat(timespec="seconds"))


# ---------------------------------------------------------------------------------------------
# rollback
# ---------------------------------------------------------------------------------------------


class RollbackResult(BaseModel):
    target: str
    serial: str | None = None
    restored: list[str] = []
    problems: list[str] = []
    backup_taken_at: str | None = None
    dry_run: bool = False
    planned: list[str] = []  # what the backup would put back (dry run, or the plan confirmed)


def _rollback_plan(facts: Facts, saved: dict[str, Any], dial_outs: list[tuple[int, dict[str, Any]]],
                   profile: Profile) -> list[str]:
    """The names ``rollback`` would list in ``restored`` for this backup and the camera as it is now."""
    planned = []
    if saved.get("encoder") and main_encoder(facts) is not None:
        planned.append("encoder")
    for section in ("imaging", "time"):
        if saved.get(section):
            planned.append(section)
    if saved.get("hostname") and (facts.hostname is None or facts.hostname.name != saved["hostname"]):
        planned.append("hostname")
    vendor_saved = saved.get("vendor") or {}
    for change in vendor_saved.get("changes") or []:
        step = _VENDOR_STEP.get(VendorChange.model_validate(change).setting, "vendor")
        if step not in planned:
            planned.append(step)
    kinds = {_id_saved[1]["registration"].get("kind") for _id_saved in dial_outs}
    planned += sorted(f"registration:{kind}" for kind in kinds if kind)
    account = profile.provision.centre_account if profile.provision and not saved.get("registration_only") else None
    if account and account.user not in saved.get("users", []) and any(u.name == account.user for u in facts.users):
        planned.append("centre-account")
    return planned


def rollback(target: str, options: ProvisionOptions, profile: Profile,
             find_backup: Callable[[str], tuple[int, dict[str, Any]] | None],
             mark_restored: Callable[[str], None],
             find_registrations: Callable[[str], list[tuple[int, dict[str, Any]]]] | None = None,
             *, dry_run: bool = False) -> RollbackResult:
    """Put back every setting saved before kitchencam first provisioned ``target``, then verify; and
    the camera's dial-out settings as they were before ``register`` first changed them.

    With ``dry_run`` only read the camera and the backup and say what would be put back (``planned``)."""

    cam = _Camera(target, options)
    result = RollbackResult(target=target)
    try:
        facts = cam.read()
        key = camera_key(facts)
        result.serial = facts.device_info.serial if facts.device_info else None
        found = find_backup(key)
        dial_outs = find_registrations(key) if find_registrations is not None else []
        if found is None and dial_outs:
            found = (0, {"registration_only": True})
        if found is None:
            raise UsageError(_("No backup of {target} (serial {serial}): kitchencam has not provisioned it, or it "
                               "was rolled back already.").format(target=target, serial=result.serial or "?"))
        _backup_id, saved = found
        result.planned = _rollback_plan(facts, saved, dial_outs, profile)
        if dry_run:
            result.dry_run = True
            return result
        session = cam.session
        enc_saved = saved.get("encoder")
        enc = main_encoder(facts)
        if enc_saved and enc is not None:
            write.set_video_encoder(session, facts, enc_saved["token"], encoding=enc_saved["encoding"],
                                    width=enc_saved["width"], height=enc_saved["height"], fps=enc_saved["fps"],
                                    bitrate_kbps=enc_saved["bitrate_kbps"], gov_length=enc_saved["gop"],
                                    constant_bitrate=enc_saved["constant_bitrate"], profile=enc_saved["profile"])
            result.restored.append("encoder")
            facts = _reread_after_set(cam)
        img_saved = saved.get("imaging")
        if img_saved:
            write.set_imaging(cam.session, img_saved["video_source_token"], wdr_mode=img_saved["wdr_mode"],
                              wdr_level=img_saved["wdr_level"], ir_cut=img_saved["ir_cut_filter"])
            result.restored.append("imaging")
            facts = _reread_after_set(cam)
        time_saved = saved.get("time") or {}
        ntp_saved = saved.get("ntp") or {}
        if time_saved:
            ntp_on = time_saved.get("date_time_type") == "NTP"
            write.set_time(cam.session, ntp_servers=list(ntp_saved.get("servers") or []) if ntp_on else [],
                           timezone_candidates=[time_saved["timezone"]] if time_saved.get("timezone") else [],
                           manual_utc=None if ntp_on else datetime.now(timezone.utc))
            result.restored.append("time")
            facts = _reread_after_set(cam)
        if saved.get("hostname") and (facts.hostname is None or facts.hostname.name != saved["hostname"]):
            write.set_hostname(cam.session, saved["hostname"])
            result.restored.append("hostname")
            facts = _reread_after_set(cam)
        vendor_saved = saved.get("vendor")
        if vendor_saved and vendor_saved.get("changes"):
            facts = _restore_vendor(cam, facts, vendor_saved, result)
        dial_out_problems: list[str] = []
        if dial_outs:
            facts = _restore_registrations(cam, facts, dial_outs, result, dial_out_problems)
        account = (profile.provision.centre_account if profile.provision else None)
        if saved.get("registration_only"):
            account = None  # register's backup alone says nothing of the camera's accounts
        if account and account.user not in saved.get("users", []) and any(u.name == account.user for u in facts.users):
            write.delete_user(cam.session, account.user)
            result.restored.append("centre-account")
        facts = cam.read()
        # Problems met while restoring (a vendor setting the camera did not take) stay: the backup
        # is marked restored only when nothing at all is left to do.
        result.problems = result.problems + _compare_with_backup(facts, saved) + dial_out_problems
        if not result.problems:
            mark_restored(key)
    except KitchencamError as exc:
        if not result.restored and isinstance(exc, (Unreachable, AuthFailed)):
            raise  # nothing done: the camera's own exit code (4 unreachable, 5 login refused), as check has
        result.problems.append(exc.message)
    finally:
        cam.close()
    return result


def _restore_vendor(cam: _Camera, facts: Facts, saved: dict[str, Any], result: RollbackResult) -> Facts:
    """Put back the vendor API settings of the backup (its changes reversed), verified by reading back."""
    adapter = cam.vendor
    if adapter is None or facts.vendor is None or facts.vendor.vendor != saved.get("vendor"):
        result.problems.append(_("The backup holds settings of the {api}, which did not answer now: set them back in "
                                 "the camera's web page ({values}).").format(
            api=saved.get("api") or "?",
            values=", ".join(f"{k} = {_setting_text(v)}" for k, v in (saved.get("values") or {}).items())))
        return facts
    wanted = [VendorChange.model_validate(c).reverse() for c in saved["changes"]]
    # Only what differs now (a setting already back needs no call), from the value the camera holds now.
    changes = [c.model_copy(update={"before": now}) for c in wanted
               if (now := facts.vendor.setting(c.setting, c.kind)) != c.after]
    if changes:
        try:
            applied = adapter.apply(changes)
        except Unreachable:
            if not cam.wait_back():
                raise
            applied = changes
        try:
            backs = adapter.read_back(applied)
        except Unreachable:
            if not cam.wait_back():
                raise
            backs = adapter.read_back(applied)
        for back in backs:
            if not back.ok:
                result.problems.append(f"{back.call}: {_setting_text(back.seen)} != {_setting_text(back.change.after)}")
        result.restored += list(dict.fromkeys(_VENDOR_STEP.get(c.setting, "vendor") for c in changes))
    return _reread_after_set(cam)


def _restore_registrations(cam: _Camera, facts: Facts, backups: list[tuple[int, dict[str, Any]]],
                           result: RollbackResult, problems: list[str]) -> Facts:
    """Put back the dial-out settings ``register`` found (the oldest backup of each kind), read back.

    The secret cannot be put back (a camera never gives one out); with the registration as it was
    (usually off) it is not used."""
    from kitchencam.models import Registration

    oldest: dict[str, Registration] = {}
    for _id, saved in backups:
        reg = Registration.model_validate(saved["registration"])
        oldest.setdefault(reg.kind, reg)
    adapter = cam.vendor
    if adapter is None or facts.vendor is None:
        problems.append(_("The camera's vendor API did not answer, so its dial-out to the centre could not be "
                                 "put back: set it in the camera's web page ({values}).").format(
            values="; ".join(_registration_text(r) for r in oldest.values())))
        return facts
    for before in oldest.values():
        try:
            adapter.restore_registration(before)
        except Unreachable:
            if not cam.wait_back():
                raise
        except KitchencamError as exc:
            problems.append(exc.message)
            continue
        facts = _reread_after_set(cam)
        told = facts.vendor.registration(before.kind) if facts.vendor is not None else None
        now = told.value if told is not None else None
        if now is None or bool(now.enabled) != bool(before.enabled) or (
                before.enabled and (now.server, now.port, now.device_id) != (before.server, before.port,
                                                                             before.device_id)):
            problems.append(_("{kind}: read back {seen}, should be {want}").format(
                kind=before.kind, seen=_registration_text(now) if now else "?", want=_registration_text(before)))
            continue
        result.restored.append(f"registration:{before.kind}")
    return facts


def _registration_text(reg: Any) -> str:
    if not reg.enabled:
        return f"{reg.kind}: off"
    return f"{reg.kind}: {reg.server or '?'}:{reg.port or '?'} {reg.device_id or ''}".strip()


def _reread_after_set(cam: _Camera) -> Facts:
    try:
        return cam.read()
    except Unreachable:
        if not cam.wait_back():
            raise
        return cam.read()


def _compare_with_backup(facts: Facts, saved: dict[str, Any]) -> list[str]:
    problems = []
    enc, enc_saved = main_encoder(facts), saved.get("encoder")
    if enc and enc_saved:
        for key in ("encoding", "width", "height"):
            if getattr(enc, key) != enc_saved[key]:
                problems.append(f"encoder.{key}: {getattr(enc, key)} != {enc_saved[key]}")
    img_saved = saved.get("imaging")
    if img_saved and facts.imaging:
        for key in ("wdr_mode", "ir_cut_filter"):
            if getattr(facts.imaging[0], key) != img_saved[key]:
                problems.append(f"imaging.{key}: {getattr(facts.imaging[0], key)} != {img_saved[key]}")
    time_saved = saved.get("time") or {}
    if time_saved and facts.time and facts.time.date_time_type != time_saved.get("date_time_type"):
        problems.append(f"time.date_time_type: {facts.time.date_time_type} != {time_saved.get('date_time_type')}")
    if saved.get("hostname") and (facts.hostname is None or facts.hostname.name != saved["hostname"]):
        problems.append(f"hostname: {facts.hostname.name if facts.hostname else None} != {saved['hostname']}")
    return problems
