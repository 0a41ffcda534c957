"""One camera read and judged against a profile, and the evidence kept: below the stages.

The ``check`` stage runs this over many cameras; ``register`` (:mod:`kitchencam.centre`) judges
the cameras it sends with it and keeps the same evidence. Both import this module, neither imports
the other. Prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, Field

from kitchencam.errors import KitchencamError
from kitchencam.exposure import probe_anonymous
from kitchencam.logins import login_evidence
from kitchencam.models import Attestation, ErrorItem, Facts, ReadError, SiteFacts, VendorFacts, Verdict
from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts
from kitchencam.profile import Catalogue, Profile
from kitchencam.rules.engine import audit, credentials_of, stored_verdicts, summarise, verdict_texts
from kitchencam.store import REVOKED, AttestationRecord, CheckRecord, Store
from kitchencam.targets import host_of
from kitchencam.vendors.base import VendorAdapter, VendorCamera
from kitchencam.vendors.registry import read_vendor

MAX_WORKERS = 16


class VendorSeen(BaseModel):
    """What the camera's own vendor API told (docs/reference/json.md: ``data.devices[].vendor``).

    ``facts`` is None when no API answered or its read failed (``errors``, ``note``): the rules then
    used the catalogue. Each value in ``facts`` carries the API call that told it. No secret: an
    ISUP key is write-only on the camera, and passwords are never read."""

    vendor: str | None = None  # "dahua", "hikvision"
    api: str | None = None  # "Dahua HTTP API", "Hikvision ISAPI"
    how: str | None = None  # what named it: "manufacturer", "model" or "api" (an OEM recognised by its API)
    facts: VendorFacts | None = None
    errors: list[ReadError] = []
    note: str | None = None


def vendor_seen(facts: Facts) -> VendorSeen | None:
    """The ``vendor`` object of a check from its facts; None when the vendor API was not asked."""
    choice = facts.vendor_choice
    if choice is None and facts.vendor is None:
        return None
    vendor = facts.vendor
    return VendorSeen(vendor=vendor.vendor if vendor else choice.vendor if choice else None,
                      api=vendor.api if vendor else choice.api if choice else None,
                      how=choice.how if choice else None, facts=vendor,
                      errors=list(choice.errors) if choice else [], note=choice.note if choice else None)


def with_vendor(stored: list[dict[str, Any]], seen: VendorSeen | None) -> list[dict[str, Any]]:
    """Stored verdicts (``stored_verdicts``) with the vendor API's facts kept beside each verdict they
    decided (its source names the API), so the minutes can show them with their calls; the store
    keeps a verdict as JSON, so no new column is needed."""
    if seen is None or seen.facts is None:
        return stored
    told = seen.model_dump(mode="json")
    for verdict in stored:
        if seen.facts.api in str(verdict.get("source") or ""):
            verdict["vendor"] = told
    return stored


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
    #: What the vendor API told (None: not asked, e.g. the camera could not be read over ONVIF).
    vendor: VendorSeen | None = None
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
    #: The centre account's user and its keyring password for a camera (password-strength judges
    #: what it is made of, never keeps it); None when the profile makes no centre account.
    centre_login: Callable[[Facts], tuple[str, str | None]] | None = None
    #: The attestations a camera was given in earlier runs and that still hold (not revoked), by
    #: its serial and target (``held_attestations``): they answer its rules again, as given.
    held: Callable[[str | None, str], list[Attestation]] | None = None


def held_attestations(store: Store, site_code: str, *, except_rules: set[str] | None = None
                      ) -> Callable[[str | None, str], list[Attestation]]:
    """Each camera's attestations of earlier check runs that were not revoked, oldest first; the
    rules in ``except_rules`` (revoked by this run) left out."""
    site = store.get_site(site_code)
    rows = store.camera_attestations(site.id) if site is not None else []
    skip = except_rules or set()

    def for_camera(serial: str | None, target: str) -> list[Attestation]:
        mine = [r for r in rows if (r.serial == serial if serial and r.serial else r.target == target)]
        return [Attestation(rule=r.rule, answer=r.answer, by=r.by, at=datetime.fromisoformat(r.at), note=r.note,
                            origin="file" if r.origin == "file" else "command-line")
                for r in mine if r.rule not in skip]

    return for_camera


def site_facts_from_store(store: Store, site_code: str,
                          method: str | None = None) -> Callable[[str | None], SiteFacts | None]:
    """The uplink measured (``bandwidth``: its 10th percentile, shared by the site's cameras) and each
    camera's registration (``register``/``sync``), for the site rules of the audit. ``method`` is the
    site's ``centre.connection.method``: with a dial-out one, each camera's connection as the centre
    last confirmed it (``register`` / ``register --status``)."""
    site = store.get_site(site_code)
    if site is None:
        return lambda _serial: None
    uplink = store.latest_bandwidth(site.id)
    cameras = len(store.list_devices(site.id, kind="camera")) or 1
    registrations = {item.camera_key: item for item in store.registrations(site.id)}
    connections = {c.camera_key: c for c in store.connections(site.id)} if method not in (None, "none") else {}

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
        if method not in (None, "none"):
            facts.connection_method = method
            conn = connections.get(serial or "")
            if conn is not None and conn.method == method:
                facts.connection_device_id = conn.device_id
                facts.connection_configured = conn.configured
                facts.online = conn.online
                facts.online_checked_at = datetime.fromisoformat(conn.checked_at)
                facts.online_confirmed_at = (datetime.fromisoformat(conn.confirmed_at) if conn.confirmed_at
                                             else None)
                facts.connection_via = conn.via
                facts.connection_diagnosis = list(conn.diagnosis)
        return facts

    return for_camera


def inspect(target: str, profile: Profile, catalogue: Catalogue,
            options: CheckOptions) -> tuple[DeviceCheck, Facts | None]:
    """Read one camera and audit it: the check, and the facts it was made from (None if unread)."""

    now = datetime.now(timezone.utc)
    timeouts = Timeouts(connect=options.connect_timeout_s, read=options.read_timeout_s)
    try:
        with OnvifCamera(target, user=options.user, password=options.password, timeouts=timeouts) as camera:
            facts = read_facts(camera)
            facts.login = login_evidence(camera)
            read_vendor_into(facts, VendorCamera(camera.host, camera.port, options.user, options.password,
                                                 https=camera.device_xaddr.startswith("https:")))
        # After the session: one request without credentials each for the stream and the snapshot.
        facts.anonymous = probe_anonymous(facts, timeouts)
    except KitchencamError as exc:
        return DeviceCheck(target=target, overall="ERROR", error=ErrorItem.from_error(exc), checked_at=now), None
    return judge(facts, profile, catalogue, options, now), facts


def read_vendor_into(facts: Facts, camera: VendorCamera) -> VendorAdapter | None:
    """Read the camera's vendor API with ONVIF's account (after ONVIF answered) into
    ``facts.vendor`` / ``facts.vendor_choice``; the adapter that answered, if any.

    Never raises for the camera: what failed is in ``facts.vendor_choice`` and the rules fall back
    on the catalogue. The login budget is the run's (``camera.budget``): a refused vendor login
    stops that camera's logins and is never tried again.
    """
    info = facts.device_info
    adapter, vendor, choice = read_vendor(camera, info.manufacturer if info else None,
                                          info.model if info else None)
    facts.vendor, facts.vendor_choice = vendor, choice
    return adapter


def judge(facts: Facts, profile: Profile, catalogue: Catalogue, options: CheckOptions,
          now: datetime) -> DeviceCheck:
    """Audit facts already read (pure): the check of one camera at ``now``."""
    info = facts.device_info
    centre = options.centre_login(facts) if options.centre_login is not None else None
    creds = credentials_of(facts, options.user, options.password, profile, centre=centre)
    site = options.site_facts(info.serial if info else None) if options.site_facts else None
    # Earlier answers first: the engine keeps the latest of each rule, so this run's answers win.
    held = options.held(info.serial if info else None, facts.target) if options.held else []
    attestations = [*held, *options.attestations]
    verdicts = audit(facts, profile, catalogue, attestations, site=site, now=now, credentials=creds)
    texts = verdict_texts(verdicts, facts, profile, catalogue, attestations, site=site, now=now,
                          credentials=creds)
    counts, overall = summarise(verdicts)
    return DeviceCheck(
        target=facts.target, xaddr=facts.device_xaddr,
        manufacturer=info.manufacturer if info else None, model=info.model if info else None,
        serial=info.serial if info else None, firmware=info.firmware if info else None,
        mac=next((n.mac for n in facts.network_interfaces if n.mac), None),
        overall=overall, counts=counts, verdicts=verdicts, checked_at=now, texts=texts, vendor=vendor_seen(facts),
    )


def record(result: CheckResult, store: Store, site_code: str, site_name: str, started_at: str,
           *, revoked: Sequence[str] = (), revoked_by: str | None = None) -> CheckResult:
    """Store the run, each camera's verdicts and the attestations, for the report; ``revoked``: the
    rules whose earlier attestations this run ended for its cameras (``--attest RULE=revoke``)."""
    site = store.upsert_site(site_code, site_name)
    records = []
    for d in result.devices:
        row = store.find_device(site.id, serial=d.serial, address=host_of(d.target))
        records.append(CheckRecord(
            target=d.target, device_id=row.id if row else None, manufacturer=d.manufacturer, model=d.model,
            serial=d.serial, firmware=d.firmware, mac=d.mac, overall=d.overall,
            error_code=d.error.code if d.error else None, error_message=d.error.message if d.error else None,
            checked_at=d.checked_at.isoformat(timespec="seconds"),
            verdicts=with_vendor(stored_verdicts(d.verdicts, d.texts), d.vendor),
        ))
    attestations = [AttestationRecord(rule=a.rule, answer=a.answer, by=a.by, at=a.at.isoformat(), note=a.note,
                                      origin=a.origin) for a in result.attestations]
    attestations += [AttestationRecord(rule=rule, answer=False, by=revoked_by or "", at=started_at, origin=REVOKED)
                     for rule in revoked]
    run_id = store.record_check_run(site.id, result.profile, started_at, records, attestations)
    return result.model_copy(update={"site": site_code, "run_id": run_id})
