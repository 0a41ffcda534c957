"""``kitchencam check``: read each camera, judge it against a profile, keep the evidence.

Cameras are read concurrently (one ONVIF session each, the WSDLs parsed once per process); a
camera that cannot be read at all gets its error, never a silent gap; every read that failed
inside a camera becomes UNKNOWN verdicts through the audit. Prints nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, Field

from kitchencam.errors import KitchencamError, NonCompliant, UsageError
from kitchencam.i18n import _
from kitchencam.logins import login_evidence
from kitchencam.models import Attestation, CredentialFacts, ErrorItem, Facts, SiteFacts, Verdict
from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts
from kitchencam.profile import Catalogue, Profile
from kitchencam.rules.engine import audit, credential_facts, has_failures, summarise, verdict_texts
from kitchencam.store import AttestationRecord, CheckRecord, Store
from kitchencam.targets import host_of

MAX_WORKERS = 16


class DeviceCheck(BaseModel):
    """One camera's audit (docs/reference/json.md: ``data.devices[]`` of ``check``)."""

    target: str
    xaddr: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    mac: str | None = None
    overall: str  # PASS, WARN, INCOMPLETE, FAIL, or ERROR when it could not be read
    counts: dict[str, int] = {}
    verdicts: list[Verdict] = []
    error: ErrorItem | None = None
    checked_at: datetime
    #: The verdicts' words in each language (``audit.verdict_texts``): stored for the report, not printed.
    texts: dict[str, list[dict[str, str | None]]] = Field(default_factory=dict, exclude=True)


class CheckResult(BaseModel):
    profile: str
    profile_title: str
    site: str | None = None
    devices: list[DeviceCheck]
    attestations: list[Attestation] = []
    run_id: int | None = None
    elapsed_s: float


@dataclass
class CheckOptions:
    targets: list[str]
    user: str
    password: str
    attestations: list[Attestation] = field(default_factory=list)
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    workers: int = MAX_WORKERS
    #: What the site's later stages recorded, by the camera's serial (see ``site_facts_from_store``).
    site_facts: Callable[[str | None], SiteFacts | None] | None = None


def site_facts_from_store(store: Store, site_code: str) -> Callable[[str | None], SiteFacts | None]:
    """The uplink measured (``bandwidth``: its 10th percentile, shared by the site's cameras) and each
    camera's registration (``register``/``sync``), for the site rules of the audit."""
    site = store.get_site(site_code)
    if site is None:
        return lambda _serial: None
    uplink = store.latest_bandwidth(site.id)
    cameras = len(store.list_devices(site.id, kind="camera")) or 1
    registrations = {item.camera_key: item for item in store.registrations(site.id)}

    def for_camera(serial: str | None) -> SiteFacts:
        facts = SiteFacts(cameras_on_uplink=cameras)
        if uplink is not None:
            facts.upload_kbps = float(uplink["p10_mbps"]) * 1000
            facts.upload_measured_at = datetime.fromisoformat(uplink["measured_at"])
        item = registrations.get(serial or "")
        if item is not None:
            # Queued or refused: the centre has not confirmed it (FAIL until sync delivers it).
            facts.registered = item.state == "sent"
            facts.centre_device_id = item.centre_device_id
            facts.registered_at = datetime.fromisoformat(item.sent_at) if item.sent_at else None
        return facts

    return for_camera


def check_one(target: str, profile: Profile, catalogue: Catalogue, options: CheckOptions) -> DeviceCheck:
    return inspect(target, profile, catalogue, options)[0]


def inspect(target: str, profile: Profile, catalogue: Catalogue,
            options: CheckOptions) -> tuple[DeviceCheck, Facts | None]:
    """Read one camera and audit it: the check, and the facts it was made from (None if unread)."""

    now = datetime.now(timezone.utc)
    timeouts = Timeouts(connect=options.connect_timeout_s, read=options.read_timeout_s)
    try:
        with OnvifCamera(target, user=options.user, password=options.password, timeouts=timeouts) as camera:
            facts = read_facts(camera)
            facts.login = login_evidence(camera)
    except KitchencamError as exc:
        return DeviceCheck(target=target, overall="ERROR", error=ErrorItem.from_error(exc), checked_at=now), None
    return judge(facts, profile, catalogue, options, now), facts


def judge(facts: Facts, profile: Profile, catalogue: Catalogue, options: CheckOptions,
          now: datetime) -> DeviceCheck:
    """Audit facts already read (pure): the check of one camera at ``now``."""
    info = facts.device_info
    creds = credentials_of(facts, options.user, options.password, profile)
    site = options.site_facts(info.serial if info else None) if options.site_facts else None
    verdicts = audit(facts, profile, catalogue, options.attestations, site=site, now=now, credentials=creds)
    texts = verdict_texts(verdicts, facts, profile, catalogue, options.attestations, site=site, now=now,
                          credentials=creds)
    counts, overall = summarise(verdicts)
    return DeviceCheck(
        target=facts.target, xaddr=facts.device_xaddr,
        manufacturer=info.manufacturer if info else None, model=info.model if info else None,
        serial=info.serial if info else None, firmware=info.firmware if info else None,
        mac=next((n.mac for n in facts.network_interfaces if n.mac), None),
        overall=overall, counts=counts, verdicts=verdicts, checked_at=now, texts=texts,
    )


def credentials_of(facts: Facts, user: str, password: str, profile: Profile) -> CredentialFacts:
    """The default-credentials evidence of ``facts``: the login used and what the camera did with it."""
    info = facts.device_info
    login = facts.login
    return credential_facts(user, password, info.manufacturer if info else None, profile,
                            login_proven=login.proven if login is not None else True,
                            accepts_any_password=login.accepts_any_password if login is not None else None,
                            probe_note=login.probe_note if login is not None else None)


def check(options: CheckOptions, profile: Profile, catalogue: Catalogue,
          progress: Callable[[DeviceCheck], None] | None = None) -> CheckResult:
    started = time.monotonic()

    def one(target: str) -> DeviceCheck:
        result = check_one(target, profile, catalogue, options)
        if progress is not None:
            progress(result)
        return result

    workers = max(1, min(options.workers, len(options.targets)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        devices = list(pool.map(one, options.targets))
    return CheckResult(profile=profile.id, profile_title=profile.title, devices=devices,
                       attestations=options.attestations, elapsed_s=round(time.monotonic() - started, 2))


def record(result: CheckResult, store: Store, site_code: str, site_name: str, started_at: str) -> CheckResult:
    """Store the run, each camera's verdicts and the attestations, for the report."""
    site = store.upsert_site(site_code, site_name)
    records = []
    for d in result.devices:
        row = store.find_device(site.id, serial=d.serial, address=host_of(d.target))
        records.append(CheckRecord(
            target=d.target, device_id=row.id if row else None, manufacturer=d.manufacturer, model=d.model,
            serial=d.serial, firmware=d.firmware, mac=d.mac, overall=d.overall,
            error_code=d.error.code if d.error else None, error_message=d.error.message if d.error else None,
            checked_at=d.checked_at.isoformat(timespec="seconds"),
            verdicts=stored_verdicts(d.verdicts, d.texts),
        ))
    attestations = [AttestationRecord(rule=a.rule, answer=a.answer, by=a.by, at=a.at.isoformat(), note=a.note,
                                      origin=a.origin) for a in result.attestations]
    run_id = store.record_check_run(site.id, result.profile, started_at, records, attestations)
    return result.model_copy(update={"site": site_code, "run_id": run_id})


def stored_verdicts(verdicts: list[Verdict], texts: dict[str, list[dict[str, str | None]]]) -> list[dict[str, Any]]:
    """Verdicts as the store keeps them: each with its words in every language (``texts``)."""
    out = []
    for i, v in enumerate(verdicts):
        data = v.model_dump(mode="json")
        words = {lang: rows[i] for lang, rows in texts.items() if i < len(rows)}
        if words:
            data["texts"] = words
        out.append(data)
    return out


def errors_of(result: CheckResult) -> list[ErrorItem]:
    """A device that could not be read keeps its own error; a failing one is NonCompliant (exit 3)."""
    errors: list[ErrorItem] = []
    for d in result.devices:
        if d.error is not None:
            errors.append(d.error)
        elif has_failures(d.verdicts):
            failed = [v.rule for v in d.verdicts if v.status == "FAIL"]
            fixable = all(v.fixable_by_provision for v in d.verdicts if v.status == "FAIL")
            hint = _("kitchencam provision fixes all of them.") if fixable else None
            errors.append(ErrorItem.from_error(NonCompliant(
                _("{target} fails {n} rule(s): {rules}.").format(target=d.target, n=len(failed),
                                                                 rules=", ".join(failed)),
                target=d.target, hint=hint)))
    return errors


def inventory_targets(store: Store, site_code: str) -> list[str]:
    """``--all``: every camera of the site's inventory with ONVIF on, by its XAddr."""
    site = store.get_site(site_code)
    if site is None:
        return []
    return [d.xaddr or d.address for d in store.list_devices(site.id, kind="camera") if d.onvif != "off"]


def targets_or_all(targets: Sequence[str], use_all: bool, store: Store, site_code: str) -> list[str]:
    if targets and use_all:
        raise UsageError(_("Give camera addresses or --all, not both."))
    if use_all:
        found = inventory_targets(store, site_code)
        if not found:
            raise UsageError(_("The inventory of site {site} has no camera yet. Run kitchencam discover first, "
                               "or give the camera addresses.").format(site=site_code))
        return found
    if not targets:
        raise UsageError(_("Give one or more camera addresses (HOST, HOST:PORT or an XAddr URL), or --all."))
    return list(targets)
