"""Store + site config -> ``HandoverReport``: what the store holds for each camera, and where a
stage has not run, a sentence that says so (never a silent gap). Pure: no file, no network."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from kitchencam.errors import KitchencamError, UsageError
from kitchencam.i18n import LANGUAGES, _, speaking, translator
from kitchencam.report.connection import connection_lines
from kitchencam.report.model import (
    CameraSection,
    HandoverReport,
    Missing,
    PartyBlock,
    Picture,
    Subsection,
    Table,
)
from kitchencam.report.security import security_section
from kitchencam.report.texts import MONTHS_EN, texts
from kitchencam.rules.context import USER_LEVELS, user_level_name
from kitchencam.targets import host_of
from kitchencam.timezones import format_offset, utc_offset_minutes
from kitchencam.uplink import cameras_carried

if TYPE_CHECKING:
    from kitchencam.profile import Profile
    from kitchencam.settings import Party, SiteConfig
    from kitchencam.store import (
        BackupRecord,
        CameraAttestation,
        CheckRecord,
        ConnectionRecord,
        DeviceRow,
        OutboxItem,
        ProvisionRecord,
        SnapshotRecord,
        Store,
    )

#: Viet Nam time: UTC+7 all year (no daylight saving).
VIETNAM = timezone(timedelta(hours=7))

STAGES = ("inventory", "check", "provision", "snapshot", "rtsp", "registration")


@dataclass
class _Camera:
    """Everything the store holds about one camera, gathered from each stage's table."""

    device: DeviceRow | None = None
    check: CheckRecord | None = None  # the newest
    checks: list[CheckRecord] = field(default_factory=list)  # newest first
    backups: list[BackupRecord] = field(default_factory=list)
    provision: ProvisionRecord | None = None
    snapshot: SnapshotRecord | None = None
    registration: OutboxItem | None = None
    connection: ConnectionRecord | None = None  # the camera's dial-out to the centre (register)
    attestations: list[CameraAttestation] = field(default_factory=list)
    check_command: str = "check"
    serials: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)

    @property
    def serial(self) -> str | None:
        return (self.device.serial if self.device and self.device.serial else None) or (
            self.check.serial if self.check and self.check.serial else None) or next(iter(sorted(self.serials)), None)

    def value(self, name: str) -> str | None:
        """A device fact from the inventory, else from the newest check."""
        for source in (self.device, self.check):
            found = getattr(source, name, None) if source is not None else None
            if found:
                return str(found)
        return None

    @property
    def address(self) -> str | None:
        if self.device is not None:
            return self.device.address
        return next(iter(sorted(self.hosts)), None)


def _host(target: str | None) -> str | None:
    if not target:
        return None
    return host_of(target).strip("[]") or None


def _is_address(key: str) -> bool:
    """A camera key is the serial, or host:port when the camera gave no serial (targets.camera_key)."""
    host = _host(key) or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return ":" in key or "/" in key
    return True


class _Cameras:
    """Cameras keyed by serial and by host, so each stage's record lands on the right one."""

    def __init__(self) -> None:
        self.items: list[_Camera] = []
        self.by_device: dict[int, _Camera] = {}

    def add(self, cam: _Camera, *, serial: str | None, host: str | None) -> _Camera:
        self.items.append(cam)
        self.remember(cam, serial=serial, host=host)
        return cam

    def remember(self, cam: _Camera, *, serial: str | None, host: str | None) -> None:
        if serial:
            cam.serials.add(serial)
        if host:
            cam.hosts.add(host)

    def find(self, *, device_id: int | None = None, serial: str | None = None, key: str | None = None,
             target: str | None = None) -> _Camera | None:
        if device_id is not None and device_id in self.by_device:
            return self.by_device[device_id]
        for s in (serial, key):
            if s:
                found = next((c for c in self.items if s in c.serials), None)
                if found is not None:
                    return found
        for host in (_host(target), _host(key)):
            if host:
                found = next((c for c in self.items if host in c.hosts), None)
                if found is not None:
                    return found
        return None

    def place(self, *, device_id: int | None = None, serial: str | None = None, key: str | None = None,
              target: str | None = None) -> _Camera:
        """The camera a record belongs to; a new one when no camera matches (it is still reported)."""
        found = self.find(device_id=device_id, serial=serial, key=key, target=target)
        key_serial = key if key and not _is_address(key) else None
        if found is None:
            return self.add(_Camera(), serial=serial or key_serial, host=_host(target) or _host(key))
        self.remember(found, serial=serial or key_serial, host=_host(target))
        return found


def gather(store: Store, site_id: int) -> list[_Camera]:
    """Every camera of the site with what each stage recorded, in address order."""
    cams = _Cameras()
    commands = store.run_commands(site_id)
    for device in store.list_devices(site_id, kind="camera"):
        cam = cams.add(_Camera(device=device), serial=device.serial, host=device.address)
        cams.by_device[device.id] = cam
    for check in store.all_checks(site_id):  # newest first
        cam = cams.place(device_id=check.device_id, serial=check.serial, target=check.target)
        cam.checks.append(check)
        if cam.check is None:
            cam.check = check
            cam.check_command = commands.get(check.run_id or 0, "check")
    for backup in store.backups(site_id):
        if "registration" in backup.settings:
            continue  # register's backup of the dial-out, not provisioning's
        cams.place(key=backup.camera_key, target=backup.target).backups.append(backup)
    for result in store.provision_results(site_id):
        cams.place(key=result.camera_key, target=result.target).provision = result
    for shot in store.snapshots(site_id):
        cams.place(key=shot.camera_key, target=shot.target).snapshot = shot
    for item in store.registrations(site_id):
        cams.place(key=item.camera_key, target=item.target).registration = item
    for rec in store.connections(site_id):
        cams.place(key=rec.camera_key, target=rec.target).connection = rec
    for att in store.camera_attestations(site_id):
        attested = cams.find(device_id=att.device_id, serial=att.serial, target=att.target)
        if attested is not None:
            attested.attestations.append(att)
    return sorted(cams.items, key=_address_order)


def _address_order(cam: _Camera) -> tuple[int, Any, str]:
    address = cam.address or ""
    try:
        return (0, int(ipaddress.ip_address(address)), "")
    except ValueError:
        return (1, 0, address or (cam.serial or ""))


# --- formatting ------------------------------------------------------------------------------------

def nfc(text: str) -> str:
    """Vietnamese typed on a Mac arrives decomposed (NFD); fonts and PDF text want composed."""
    return unicodedata.normalize("NFC", text)


def local_time(iso: str | None) -> str:
    """A stored UTC time as Viet Nam time, "14:05 15/11/2024"."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def number(value: float, lang: str, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "vi" else text


def _date_parts(day: date) -> dict[str, Any]:
    # Vietnamese dates write days below 10 and the months January and February with a leading 0.
    return {"day": day.day, "month": day.month, "year": day.year, "month_name": MONTHS_EN[day.month - 1],
            "day_vi": f"{day.day:02d}", "month_vi": f"{day.month:02d}" if day.month <= 2 else str(day.month)}


def _nfc_tree(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_nfc_tree(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_nfc_tree(v) for v in value)
    if isinstance(value, dict):
        return {k: _nfc_tree(v) for k, v in value.items()}
    return value


# --- the report ------------------------------------------------------------------------------------

@dataclass
class ReportInput:
    site_code: str
    site_name: str
    config: SiteConfig | None
    profile: Profile | None
    lang: str
    now: datetime
    version: str
    draft: bool = False  # placeholders allowed; every page watermarked DRAFT_MARK


#: The watermark of a draft (both languages: a draft is never signed, whoever reads it).
DRAFT_MARK = "BẢN NHÁP / DRAFT"


def _is_placeholder(value: str) -> bool:
    """``site init``'s stand-ins: "(họ tên)", "(chức vụ)", "(full name)", ... or nothing at all."""
    text = value.strip()
    return not text or (text.startswith("(") and text.endswith(")"))


def placeholders(config: SiteConfig | None) -> list[str]:
    """The site config's fields a signable report needs that still hold ``site init``'s placeholder,
    as dotted paths ("parties.supplier.representative"); empty when the parties are not configured."""
    if config is None or config.parties is None:
        return []
    out = []
    for role in ("supplier", "school", "district"):
        party = getattr(config.parties, role)
        if party is None:
            continue
        for name in ("organisation", "representative", "position"):
            if _is_placeholder(str(getattr(party, name) or "")):
                out.append(f"parties.{role}.{name}")
    return out


def build_report(store: Store, given: ReportInput) -> HandoverReport:
    site = store.get_site(given.site_code)
    cameras = gather(store, site.id) if site is not None else []
    if site is None or not cameras:
        raise KitchencamError(
            _("Nothing is recorded for site {site} in {path}. Run kitchencam discover and kitchencam check for "
              "this school first (with the same --site).").format(site=given.site_code, path=store.path))
    unfilled = placeholders(given.config)
    if unfilled and not given.draft:
        raise UsageError(
            _("The site config still holds placeholders where names go: {fields}. Write the real names and "
              "positions there (kitchencam site init made them), or write a draft with kitchencam report "
              "--draft.").format(fields=", ".join(unfilled)))
    t = texts(given.lang)
    lang = "vi" if given.lang == "vi" else "en"
    config = given.config
    school_name = config.school.name if config else _site_name(t, site.name)
    today = given.now.astimezone(VIETNAM).date()
    parts = _date_parts(today)
    city = config.school.city if config and config.school.city else "Hà Nội"

    basis = _basis(t, config, school_name)
    parties, parties_note = _parties(t, config)
    # the one source of every verdict and count
    states = [camera_state(cam, profile=given.profile, lang=lang) for cam in cameras]
    sections = [_camera_section(t, lang, n, cam, state)
                for n, (cam, state) in enumerate(zip(cameras, states, strict=True), start=1)]
    missing = [Missing(camera=n, serial=cam.serial, target=cam.address, stages=_missing(cam))
               for n, cam in enumerate(cameras, start=1)]
    site_missing = []
    bandwidth = store.latest_bandwidth(site.id)
    if bandwidth is None:
        site_missing.append("bandwidth")
    if config is None or config.parties is None:
        site_missing.append("parties")
    if config is None or config.letter is None:
        site_missing.append("letter")

    passed = sum(1 for s in states if s.overall in ("PASS", "WARN"))
    failed = sum(1 for s in states if s.overall == "FAIL")
    conclusion = [t["summary"].format(n=len(cameras), passed=passed, failed=failed,
                                      other=len(cameras) - passed - failed)]
    open_items = sum(len(s.open_items) for s in states)
    conclusion.append(t["open_items"].format(n=open_items) if open_items else t["no_open_items"])
    conclusion += [t["open_camera"].format(n=n, condition=_condition(t, s))
                   for n, s in enumerate(states, start=1) if s.open_items or s.overall in (None, "ERROR")]
    missing_lines = [t["missing_line"].format(n=m.camera, serial=m.serial or m.target or "?",
                                              stages=", ".join(t[f"stage_{s}"] for s in m.stages))
                     for m in missing if m.stages]
    missing_lines += [t[f"stage_{s}"] for s in site_missing]

    report = HandoverReport(
        lang=lang,
        title=t["title"],
        nation=t["nation"],
        motto=t["motto"],
        place_date=t["place_date"].format(city=city, **parts),
        at_school=t["at_school"].format(school=school_name),
        basis=basis,
        intro=t["intro"].format(date=t["date_long"].format(**parts),
                                school=_with_address(school_name, config.school.address if config else "")),
        parties=parties,
        parties_note=parties_note,
        agree=t["agree"],
        equipment_heading=t["sec_equipment"],
        equipment=_equipment(t, cameras, states),
        equipment_note=t["no_cameras"] if not cameras else None,
        cameras_heading=t["sec_cameras"],
        cameras=sections,
        site_heading=t["sec_site"],
        site_lines=_site_lines(t, lang, bandwidth, given.profile, len(cameras)),
        conclusion_heading=t["sec_conclusion"],
        conclusion=conclusion,
        missing_title=t["missing_title"],
        missing_lines=missing_lines,
        closing=[t["closing_received"], t["closing_copies"]],
        sign_hint=t["sign_hint"],
        footer=t["footer"].format(version=given.version, site=given.site_code),
        page_label=t["page"],
        doc_title=t["title"].capitalize() if lang == "en" else t["title"],
        doc_subject=t["doc_subject"].format(school=school_name),
        doc_author=config.parties.supplier.organisation if config and config.parties else "kitchencam",
        generated_at=given.now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        missing=missing,
        site_missing=site_missing,
        site_code=given.site_code,
        draft=DRAFT_MARK if given.draft else None,
    )
    return HandoverReport.model_validate(_nfc_tree(report.model_dump()))


def _said_in_any_language(text: str | None, msgid: str) -> bool:
    """``text`` is ``msgid`` as some command wrote it, in the language it spoke then."""
    return text is not None and text in {msgid, *(translator(lang).gettext(msgid) for lang in LANGUAGES)}


def _site_name(t: dict[str, str], name: str) -> str:
    """The stored name of the site, or the stand-in for no site config in the report's language
    (discover records it in the technician's language)."""
    return t["no_site_config"] if _said_in_any_language(name, "(no site config)") else name


def _shown_value(t: dict[str, str], setting: str, value: str | None, lang: str = "en") -> str | None:
    """A setting's value in the report's words: a time zone as "UTC+07:00" (never POSIX "<+07>-7"),
    the centre account's line in the report's language whatever language provisioning spoke."""
    if not value:
        return value
    if setting == "timezone":
        minutes = utc_offset_minutes(value)
        return format_offset(minutes) if minutes is not None else value
    if setting == "ntp" and value.startswith("Manual:"):  # ONVIF's DateTimeType, as provisioning saw it
        servers = value.removeprefix("Manual:").strip()
        return f'{t["time_manual"]}: {servers}' if servers else t["time_manual"]
    if setting == "centre_account":
        if _said_in_any_language(value, "exists, password unknown here"):
            return t["centre_account_unknown"]
        found = re.match(r"(?P<user>\S+) \((?P<level>[^()]+)\)", value)
        if found and value != found.group(0):
            return t["centre_account_target"].format(user=found["user"], level=_level_in(found["level"], lang))
    return value


def _level_in(level: str, lang: str) -> str:
    """A user level as provisioning wrote it (ONVIF's word, or its name in either language) in ``lang``."""
    for onvif in USER_LEVELS:
        said = {onvif}
        for other in LANGUAGES:
            with speaking(other):
                said.add(user_level_name(onvif))
        if level in said:
            with speaking(lang):
                return user_level_name(onvif)
    return level


def _with_address(name: str, address: str) -> str:
    return f"{name} ({address})" if address else name


def _basis(t: dict[str, str], config: SiteConfig | None, school: str) -> list[str]:
    lines = []
    letter = config.letter if config else None
    if letter is None:
        lines.append(t["basis_no_letter"])
    else:
        issuer = letter.issuer or (config.parties.district.organisation if config and config.parties else "")
        when = letter.date.strftime("%d/%m/%Y")
        key = "basis_letter" if letter.subject else "basis_letter_short"
        lines.append(t[key].format(number=letter.number, date=when, issuer=issuer or "?",
                                   subject=_lower_first(letter.subject)))
    lines.append(t["basis_work"].format(school=school))
    return lines


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _parties(t: dict[str, str], config: SiteConfig | None) -> tuple[list[PartyBlock], str | None]:
    roles = (("supplier", "party_supplier", "sign_supplier"), ("school", "party_school", "sign_school"),
             ("district", "party_district", "sign_district"))
    blocks = []
    for role, heading, sign in roles:
        party: Party | None = getattr(config.parties, role) if config and config.parties else None
        if party is None:
            blocks.append(PartyBlock(heading=t[heading], organisation=t["not_configured"], sign_title=t[sign],
                                     lines=[(t["representative"], ""), (t["position"], "")]))
            continue
        lines = [(t["representative"], party.representative), (t["position"], party.position),
                 (t["address"], party.address or "-"), (t["phone"], party.phone or "-")]
        blocks.append(PartyBlock(heading=t[heading], organisation=party.organisation, lines=lines,
                                 sign_title=t[sign], representative=party.representative))
    note = t["no_parties"] if config is None or config.parties is None else None
    return blocks, note


INCONCLUSIVE = ("MANUAL", "UNKNOWN")
#: The rules about the camera itself (the site's rules have section III and the verdict tables).
CAMERA_KINDS = ("device", "catalogue", "manual")


def in_language(verdict: dict[str, Any], lang: str) -> dict[str, Any]:
    """A stored verdict's words (seen, required, detail, source) in ``lang`` when the check kept them
    in every language; else as recorded, in the language the check ran in."""
    words = (verdict.get("texts") or {}).get(lang)
    return words if isinstance(words, dict) else verdict


def verdicts_of(cam: _Camera) -> list[tuple[dict[str, Any], CheckRecord]]:
    """Per rule, the newest conclusive verdict of any check of the camera, else the newest one.

    Provisioning re-checks the camera without the technician's attestations; the check before it
    had them: both are in the store, and the minutes show each rule's latest real answer.
    """
    chosen: dict[str, tuple[dict[str, Any], CheckRecord]] = {}
    order: list[str] = []
    for check in cam.checks:
        if check.error_code:
            continue
        for v in check.verdicts:
            rule = str(v.get("rule"))
            if rule not in chosen:
                chosen[rule] = (v, check)
                order.append(rule)
            elif chosen[rule][0].get("status") in INCONCLUSIVE and v.get("status") not in INCONCLUSIVE:
                chosen[rule] = (v, check)
    return [chosen[rule] for rule in order]


def overall_of(verdicts: list[dict[str, Any]]) -> str:
    """As audit.summarise: FAIL, else INCOMPLETE, else WARN, else PASS."""
    statuses = {v.get("status") for v in verdicts}
    if "FAIL" in statuses:
        return "FAIL"
    if statuses & set(INCONCLUSIVE):
        return "INCOMPLETE"
    return "WARN" if "WARN" in statuses else "PASS"


@dataclass
class CameraState:
    """A camera's verdicts, overall and open items, computed once (camera_state) and shown alike by the
    equipment table, the camera's section and the conclusion: they cannot disagree."""

    verdicts: list[tuple[dict[str, Any], CheckRecord]]  # what the section's verdict table shows
    overall: str | None  # PASS, WARN, FAIL, INCOMPLETE; ERROR when never read; None when never checked
    error_code: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # rule id -> its short name in the report's language

    def rules(self, *statuses: str) -> list[str]:
        return [str(v["rule"]) for v, _check in self.verdicts if v.get("status") in statuses]

    def named(self, *statuses: str) -> str:
        """The rules with these statuses by their names in the report's language, as a list in words."""
        return ", ".join(self.names.get(rule, rule) for rule in self.rules(*statuses))

    @property
    def open_items(self) -> list[str]:
        """The rules still to fix (FAIL) or to confirm (MANUAL, UNKNOWN), in the table's order."""
        return self.rules("FAIL", *INCONCLUSIVE)


def camera_state(cam: _Camera, *, profile: Profile | None = None, lang: str = "en") -> CameraState:
    """Every verdict the section shows counts (a site rule such as power as much as the camera's own)."""
    merged = verdicts_of(cam)
    names = rule_names([v for v, _check in merged], profile, lang)
    error = next((c.error_code for c in cam.checks if c.error_code), None)
    if not cam.checks:
        return CameraState(verdicts=merged, overall=None, names=names)
    if not merged:
        return CameraState(verdicts=merged, overall="ERROR" if error else None, error_code=error, names=names)
    return CameraState(verdicts=merged, overall=overall_of([v for v, _check in merged]), error_code=error,
                       names=names)


def rule_names(verdicts: list[dict[str, Any]], profile: Profile | None, lang: str) -> dict[str, str]:
    """Each rule's name for the lists of the minutes (the equipment table's condition, the conclusion):
    the profile's short name in ``lang``, else the title the verdict was stored with, never the bare
    id (English words in the Vietnamese minutes)."""
    rules = {r.id: r for r in profile.rules} if profile is not None else {}
    vi = lang == "vi"
    names = {}
    for v in verdicts:
        rule_id = str(v.get("rule"))
        rule = rules.get(rule_id)
        short = (rule.short_vi if vi else rule.short) if rule is not None else None
        title = (v.get("title_vi") if vi and v.get("title_vi") else v.get("title")) or None
        names[rule_id] = short or title or rule_id
    return names


def _condition(t: dict[str, str], state: CameraState) -> str:
    overall = state.overall
    if overall is None:
        return t["cond_unchecked"]
    if overall == "ERROR":
        return t["cond_error"].format(code=state.error_code or "?")
    failed, unsure = state.named("FAIL"), state.named(*INCONCLUSIVE)
    if overall == "FAIL":
        if unsure:
            return t["cond_fail_open"].format(rules=failed, open=unsure)
        return t["cond_fail"].format(rules=failed)
    if overall == "INCOMPLETE":
        return t["cond_incomplete"].format(rules=unsure)
    if overall == "WARN":
        return t["cond_warn"].format(rules=state.named("WARN"))
    return t["cond_ok"]


def _equipment(t: dict[str, str], cameras: list[_Camera], states: list[CameraState]) -> Table:
    rows = []
    for n, (cam, state) in enumerate(zip(cameras, states, strict=True), start=1):
        make_model = " ".join(p for p in (cam.value("manufacturer"), cam.value("model")) if p) or t["not_recorded"]
        # The MAC under the serial: a long serial (Hikvision's carry the model) and a MAC side by side
        # left the condition a word a line, rows a page tall (issue 17).
        rows.append([str(n), t["device_camera"], make_model,
                     f'{cam.serial or t["not_recorded"]}\n{cam.value("mac") or t["not_recorded"]}',
                     _location(cam) or t["not_recorded"], cam.value("firmware") or t["not_recorded"],
                     _condition(t, state)])
    return Table(headings=[t["col_no"], t["col_device"], t["col_make_model"], t["col_serial_mac"],
                           t["col_location"], t["col_firmware"], t["col_condition"]],
                 rows=rows, widths=[8, 14, 23, 30, 18, 21, 40], keep_words=[2, 3, 5], least={4: 16.0, 6: 40.0})


def _location(cam: _Camera) -> str | None:
    return cam.device.where_installed() if cam.device is not None else None


def _missing(cam: _Camera) -> list[str]:
    out = []
    if cam.device is None:
        out.append("inventory")
    if cam.check is None:
        out.append("check")
    if (cam.provision is None and not cam.backups) or (cam.provision is not None and cam.provision.error):
        out.append("provision")
    if cam.snapshot is None or cam.snapshot.data is None:
        out.append("snapshot")
    if cam.provision is None or not cam.provision.rtsp:
        out.append("rtsp")
    if cam.registration is None or cam.registration.state != "sent" or (
            cam.connection is not None and not cam.connection.online):
        out.append("registration")
    return out


def _camera_section(t: dict[str, str], lang: str, n: int, cam: _Camera, state: CameraState) -> CameraSection:
    make_model = " ".join(p for p in (cam.value("manufacturer"), cam.value("model")) if p) or "?"
    return CameraSection(
        n=n,
        heading=t["camera_heading"].format(n=n, make_model=make_model, serial=cam.serial or t["not_recorded"]),
        subheading=t["camera_at"].format(address=cam.address or "-"),
        parts=[_settings(t, lang, cam), _verdicts(t, lang, cam, state), *_vendor_facts(t, state),
               _security(lang, state), _attestations(t, lang, cam),
               _snapshot(t, cam), _rtsp(t, lang, cam), _registration(t, cam, lang)],
    )


# Where each provisioned setting sits in the backup (provision.backup_of).
def _from_backup(settings: dict[str, Any], setting: str) -> str | None:
    enc = settings.get("encoder") or {}
    img = settings.get("imaging") or {}
    tm = settings.get("time") or {}
    ntp = settings.get("ntp") or {}
    values: dict[str, Any] = {
        "encoding": enc.get("encoding"),
        "resolution": f"{enc['width']}x{enc['height']}" if enc.get("width") and enc.get("height") else None,
        "fps": f"{enc['fps']:g}" if isinstance(enc.get("fps"), (int, float)) else None,
        "bitrate_kbps": enc.get("bitrate_kbps"),
        "gov_length": enc.get("gop"),
        "rate_control": ("CBR" if enc["constant_bitrate"] else "VBR") if enc.get("constant_bitrate") is not None
        else None,
        "wdr": img.get("wdr_mode"),
        "wdr_level": f"{img['wdr_level']:g}" if isinstance(img.get("wdr_level"), (int, float)) else None,
        "ir_cut": img.get("ir_cut_filter"),
        "timezone": tm.get("timezone"),
        "ntp": f"{tm.get('date_time_type') or '?'}: {', '.join(ntp.get('servers') or [])}" if tm else None,
        "hostname": settings.get("hostname"),
    }
    found = values.get(setting)
    return str(found) if found is not None else None


def _settings(t: dict[str, str], lang: str, cam: _Camera) -> Subsection:
    part = Subsection(heading=t["h_settings"])
    prov = cam.provision
    live = [b for b in cam.backups if b.restored_at is None]
    restored = [b for b in cam.backups if b.restored_at is not None]
    if prov is None and not cam.backups:
        part.paragraphs.append(t["prov_missing"])
        part.missing = True
        return part
    first = live[0] if live else None
    if prov is not None:
        backup = next((b for b in cam.backups if b.id == prov.backup_id), first)
        if backup is not None:
            part.paragraphs.append(t["provisioned_at"].format(time=local_time(prov.finished_at),
                                                              backup=local_time(backup.created_at)))
        else:
            part.paragraphs.append(t["provisioned_at_nobackup"].format(time=local_time(prov.finished_at)))
        part.paragraphs.append(t["prov_state"].format(state=t.get(f"state_{prov.state}", prov.state)))
        if prov.error:
            part.notes.append(t["prov_error"].format(message=prov.error))
    step_status: dict[str, str] = {}
    for b in live or cam.backups:
        for s in b.steps:
            step_status[s["step"]] = s["status"]
    rows = []
    if prov is not None:
        for step in prov.steps:
            status = step_status.get(step.get("name", ""), step.get("status", "planned"))
            label = t.get(f"step_{status}", status)
            if step.get("detail"):
                label = f"{label}: {step['detail']}"
            for change in step.get("changes") or []:
                setting = change.get("setting", "")
                before = (_from_backup(first.settings, setting) if first is not None else None) or change.get("current")
                rows.append([t.get(f"set_{setting}", setting), _shown_value(t, setting, before, lang) or "-",
                             _shown_value(t, setting, change.get("target"), lang) or "-", label])
        if not prov.steps and not prov.error:
            part.paragraphs.append(t["prov_noop"])
        if prov.verify_problems:
            part.notes.append(t["prov_problems"].format(problems="; ".join(prov.verify_problems)))
    else:
        for b in cam.backups:
            for s in b.steps:
                rows.append([s["step"], "-", "-", t.get(f"step_{s['status']}", s["status"])])
        part.notes.append(t["prov_no_details"])
    if rows:
        part.table = Table(headings=[t["col_setting"], t["col_before"], t["col_after"], t["col_result"]], rows=rows,
                           widths=[28, 26, 26, 20])
    if restored and not live and (prov is None or max(b.restored_at or "" for b in restored) >= prov.finished_at):
        part.notes.append(t["prov_rolled_back"].format(time=local_time(max(b.restored_at or "" for b in restored))))
    return part


def _verdicts(t: dict[str, str], lang: str, cam: _Camera, state: CameraState) -> Subsection:
    part = Subsection(heading=t["h_verdicts"])
    check = cam.check
    if check is None:
        part.paragraphs.append(t["check_missing"])
        part.missing = True
        return part
    part.paragraphs.append(t["checked_at"].format(time=local_time(check.checked_at), command=cam.check_command,
                                                  profile=check.profile or "-"))
    if check.error_code:
        part.paragraphs.append(t["check_error"].format(message=check.error_message or check.error_code))
    merged = state.verdicts
    part.paragraphs.append(t["camera_condition"].format(condition=_condition(t, state)))
    if not merged:
        return part
    attested = _latest_attestations(cam)
    rows = []
    for v, source in merged:
        status = str(v.get("status", "UNKNOWN"))
        title = (v.get("title_vi") if lang == "vi" and v.get("title_vi") else v.get("title")) or ""
        words = in_language(v, lang)
        evidence = t.get(f"ev_{v.get('evidence', 'none')}", str(v.get("evidence")))
        if words.get("source"):
            evidence += f": {words['source']}"
        by = v.get("attested_by")
        att = attested.get(str(v.get("rule")))
        if by:
            evidence += "; " + t["attested_by_note"].format(by=by, time=local_time(v.get("attested_at")))
        elif att is not None:
            evidence += "; " + t["attested_note"].format(answer=t["yes"] if att.answer else t["no"], by=att.by,
                                                       time=local_time(att.at))
        if source is not check:
            evidence += "; " + t["from_check"].format(time=local_time(source.checked_at))
        rows.append([f"{v.get('rule')}\n{title}", _status(t, lang, status), _no_posix(words.get("seen")) or "-",
                     _no_posix(words.get("required")) or "-", evidence])
    part.table = Table(headings=[t["col_rule"], t["col_verdict"], t["col_seen"], t["col_required"],
                                 t["col_evidence"]], rows=rows, widths=[19, 13, 21, 17, 30])
    return part


# --- what the camera's own vendor API told (issue 14) -------------------------------------------

_REGISTRATION_WORDS = {"auto-register": "Auto Register", "isup": "ISUP", "hik-connect": "Hik-Connect",
                       "gb28181": "GB/T 28181"}


def _vendor_facts(t: dict[str, str], shown: CameraState) -> list[Subsection]:
    """The vendor API's facts behind the verdicts shown (kept with them: inspection.with_vendor), each
    with the call that told it; nothing when no verdict shown was decided by a vendor API."""
    seen = next((v["vendor"] for v, _check in shown.verdicts if isinstance(v.get("vendor"), dict)), None)
    facts = seen.get("facts") if seen else None
    if not isinstance(facts, dict):
        return []

    def state(enabled: object, status: object = None) -> str:
        word = t["vendor_on"] if enabled is True else t["vendor_off"] if enabled is False else "?"
        return f"{word} ({status})" if status else word

    rows: list[list[str]] = []

    def told(key: str) -> dict[str, Any] | None:
        item = facts.get(key)
        return item if isinstance(item, dict) and "call" in item else None

    if (item := told("main_codec")) is not None:
        rows.append([t["vendor_main_codec"], str(item.get("value")), str(item["call"])])
    if (item := told("smart_codec")) is not None:
        rows.append([t["vendor_smart_codec"], state(item.get("value")), str(item["call"])])
    if (item := told("ddns")) is not None:
        d = item.get("value") or {}
        extra = ", ".join(str(x) for x in (d.get("provider"), d.get("hostname")) if x)
        rows.append(["DDNS", state(d.get("enabled")) + (f"; {extra}" if extra else ""), str(item["call"])])
    if (item := told("p2p")) is not None:
        p = item.get("value") or {}
        rows.append([str(p.get("name") or "P2P"), state(p.get("enabled"), p.get("status")), str(item["call"])])
    for item in facts.get("registrations") or []:
        if not isinstance(item, dict):
            continue
        r = item.get("value") or {}
        where = f"{r.get('server')}:{r.get('port')}" if r.get("server") and r.get("port") else r.get("server")
        rows.append([_REGISTRATION_WORDS.get(str(r.get("kind")), str(r.get("kind"))),
                     state(r.get("enabled"), r.get("status")) + (f"; {where}" if where else ""),
                     str(item.get("call") or "")])
    if not rows:
        return []
    part = Subsection(heading=t["h_vendor"].format(api=seen.get("api") if seen else "?"))
    part.paragraphs.append(t["vendor_intro"].format(api=seen.get("api") if seen else "?",
                                                    time=local_time(facts.get("read_at"))))
    part.table = Table(headings=[t["col_setting"], t["vendor_col_state"], t["vendor_col_call"]], rows=rows,
                       widths=[30, 35, 35])
    return [part]


def _security(lang: str, state: CameraState) -> Subsection:
    """The security section (kitchencam/report/security.py), from the same verdicts as the table."""
    t = texts(lang)
    return security_section(lang, [v for v, _check in state.verdicts], names=state.names,
                            statuses={s: _status(t, lang, s) for s in ("PASS", "FAIL", "WARN", "MANUAL", "UNKNOWN")})


#: A POSIX TZ string in brackets, "(<+07>-7)": what provision writes, for the technician, not the minutes.
#: Also as the camera's own word before its UTC offset: "<+07>-7 = UTC+07:00".
_POSIX_TZ = re.compile(r" \(<[+-]\d{2}(?::?\d{2})?>[+-]?\d{1,2}(?::\d{2})?\)"
                       r"|<[+-]\d{2}(?::?\d{2})?>[+-]?\d{1,2}(?::\d{2})? = ")


def _no_posix(text: str | None) -> str | None:
    """``text`` without a POSIX time zone in brackets (issue 17: never ``<+07>-7`` in the minutes)."""
    return _POSIX_TZ.sub("", text) if text else text


def _status(t: dict[str, str], lang: str, status: str) -> str:
    return status if lang == "en" else f"{t.get(status, status)} ({status})"


def _latest_attestations(cam: _Camera) -> dict[str, CameraAttestation]:
    latest: dict[str, CameraAttestation] = {}
    for att in cam.attestations:
        if att.rule not in latest or att.at >= latest[att.rule].at:
            latest[att.rule] = att
    return latest


def _attestations(t: dict[str, str], lang: str, cam: _Camera) -> Subsection:
    part = Subsection(heading=t["h_attest"])
    latest = _latest_attestations(cam)
    if not latest:
        part.paragraphs.append(t["attest_none"])
        return part
    titles = {}
    for v in (cam.check.verdicts if cam.check else []):
        titles[str(v.get("rule"))] = (v.get("title_vi") if lang == "vi" and v.get("title_vi") else v.get("title"))
    rows = []
    for rule, att in sorted(latest.items(), key=lambda kv: kv[1].at):
        answer = t["yes"] if att.answer else t["no"]
        if att.note:
            answer += f" ({att.note})"
        rows.append([f"{rule}\n{titles.get(rule) or ''}".strip(), answer, att.by, local_time(att.at)])
    part.table = Table(headings=[t["col_rule"], t["col_answer"], t["col_by"], t["col_time"]], rows=rows,
                       widths=[40, 20, 22, 18])
    return part


def _snapshot(t: dict[str, str], cam: _Camera) -> Subsection:
    part = Subsection(heading=t["h_snapshot"])
    shot = cam.snapshot
    if shot is None:
        part.paragraphs.append(t["snapshot_missing"])
        part.missing = True
        return part
    if shot.data is None:
        part.paragraphs.append(t["snapshot_failed"].format(time=local_time(shot.taken_at), error=shot.error or "?"))
        part.missing = True
        return part
    part.picture = Picture(content_type=shot.content_type or "image/jpeg", data=shot.data,
                           caption=t["snapshot_caption"].format(time=local_time(shot.taken_at), source=shot.source,
                                                                sha256=shot.sha256 or "-"))
    return part


def _rtsp(t: dict[str, str], lang: str, cam: _Camera) -> Subsection:
    part = Subsection(heading=t["h_rtsp"])
    rtsp = cam.provision.rtsp if cam.provision else None
    if not rtsp:
        part.paragraphs.append(t["rtsp_missing"])
        problems = [p for p in (cam.provision.verify_problems if cam.provision else []) if "RTSP" in p]
        part.notes.extend(problems)
        part.missing = True
        return part
    fps = rtsp.get("fps")
    part.paragraphs.append(t["rtsp_result"].format(
        codec=rtsp.get("codec") or "?", width=rtsp.get("width") or "?", height=rtsp.get("height") or "?",
        fps=number(float(fps), lang, 0) if isinstance(fps, (int, float)) else "?"))
    return part


def _registration(t: dict[str, str], cam: _Camera, lang: str = "vi") -> Subsection:
    part = Subsection(heading=t["h_registration"])
    if cam.connection is not None:
        lines, online = connection_lines(lang, cam.connection, local_time)
        part.paragraphs.extend(lines)
        part.missing = not online
    item = cam.registration
    if item is None:
        part.paragraphs.append(t["reg_missing"])
        part.missing = True
        return part
    if item.state == "sent":
        part.paragraphs.append(t["reg_sent"].format(time=local_time(item.sent_at),
                                                    device_id=item.centre_device_id or "-"))
    elif item.state == "rejected":
        part.paragraphs.append(t["reg_rejected"].format(error=item.last_error or "-"))
        part.missing = True
    else:
        error = t["last_error"].format(error=item.last_error) if item.last_error else ""
        part.paragraphs.append(t["reg_queued"].format(error=error))
        part.missing = True
    return part


def _site_lines(t: dict[str, str], lang: str, bandwidth: dict[str, Any] | None, profile: Profile | None,
                cameras: int) -> list[str]:
    if bandwidth is None:
        return [t["bw_missing"]]
    lines = [t["bw_result"].format(time=local_time(bandwidth.get("measured_at")),
                                   mean=number(float(bandwidth["mean_mbps"]), lang),
                                   p10=number(float(bandwidth["p10_mbps"]), lang))]
    if profile is not None:
        cap = profile.main_stream.bitrate_kbps_max
        lines.append(t["bw_carries"].format(n=cameras_carried(float(bandwidth["p10_mbps"]), cap), cap=cap,
                                            m=cameras))
    return lines
