"""Spec profiles, the model catalogue and technicians' attestations: schemas and loading.

A profile (``profiles/<id>.yaml`` at the repository's top level, shipped in the package as
``kitchencam.profiles``; a site's own in ``<user config dir>/profiles/``) turns a district's letter
into rules; the model catalogue (``profiles/models/*.yaml``) holds the datasheet facts ONVIF
cannot show, each with its source. Both are edited by hand, so every load goes through
:func:`kitchencam.yamlfile.load_model` (errors name file, line and key) and then through the
semantic checks below (duplicate ids, a check given the wrong kind, a catalogue fact that does
not exist...), which name the line too. Nothing about kitchens lives in this module: it is all
in the profile, so a classroom profile is one more YAML file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from kitchencam.errors import ConfigError, UsageError
from kitchencam.i18n import _, current_language
from kitchencam.models import Attestation, RuleKind, Severity
from kitchencam.rules import registry
from kitchencam.settings import Paths
from kitchencam.yamlfile import line_of, load_model


def _packaged_profiles_dir() -> Path:
    """The repository's top-level profiles/, which pyproject.toml maps into the package as
    kitchencam.profiles: asking the import system (not this file's folder) finds it in a wheel and
    in an editable install alike. A source checkout put on sys.path without installing has no
    mapping: there it is the folder beside the package."""
    try:
        return Path(str(resources.files("kitchencam.profiles")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "profiles"


PROFILES_DIR = _packaged_profiles_dir()
MODELS_DIR = PROFILES_DIR / "models"

ProfileSource = Literal["packaged", "user"]

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- small value types ---------------------------------------------------------------------------


class Localized(_Model):
    """Catalogue text in both languages, ``{vi: "...", en: "..."}``, said in the current language
    (the minutes judge each language under ``i18n.speaking``). A plain string still loads: one text
    for every language."""

    vi: str
    en: str

    def __str__(self) -> str:
        return self.vi if current_language() == "vi" else self.en


#: A catalogue note or title: a plain string (any language) or ``{vi, en}``.
Text = str | Localized


def said(text: Text | None) -> str | None:
    """``text`` in the current language (a plain string as it is)."""
    return None if text is None else str(text)


_RESOLUTION = re.compile(r"^\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*$")


def parse_resolution(text: str) -> tuple[int, int]:
    """``"1920x1080"`` -> (1920, 1080); ValueError otherwise."""
    match = _RESOLUTION.match(str(text))
    if not match:
        raise ValueError(_("expected WIDTHxHEIGHT such as 1920x1080, got {value!r}").format(value=text))
    return int(match.group(1)), int(match.group(2))


CODECS = ("H264", "H265", "JPEG")
ONVIF_PROFILES = ("S", "T", "G", "M", "C", "A", "D")
# What the letter's vendor words ("DSS, DDNS, P2P, Auto Register, Auto Hik-Connect") ask for, as
# capabilities any vendor can have: no single camera has every vendor's words.
PLATFORM_CAPABILITIES = ("ddns", "p2p-cloud", "outbound-registration", "vms")

# --- the profile -----------------------------------------------------------------------------


class LetterSource(_Model):
    """The document a profile is written from."""

    number: str  # "1115/GD&ĐT"
    date: date
    issuer: str  # in the letter's language
    issuer_en: str | None = None
    subject: str | None = None
    file: str | None = None  # where the text is kept, for the record


class StreamTarget(_Model):
    """What one stream must run, and what provisioning sets."""

    codec: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    fps: float = Field(gt=0)
    bitrate_kbps_max: int = Field(gt=0)  # the cap (VBR ceiling or CBR rate)
    bitrate_kbps_min: int | None = Field(default=None, gt=0)
    why: str | None = None  # how the numbers were chosen

    def describe(self) -> str:
        floor = f"{self.bitrate_kbps_min}-" if self.bitrate_kbps_min else "≤"
        return f"{self.codec} {self.width}x{self.height} {self.fps:g} fps {floor}{self.bitrate_kbps_max} kbit/s"


class PlatformNeed(_Model):
    capability: str  # one of PLATFORM_CAPABILITIES
    words: list[str] = Field(default_factory=list)  # the letter's vendor words for it


class KnownDefault(_Model):
    """A vendor's factory login, publicly documented; matching it means "change the password"."""

    user: str
    password: str
    vendor: str | None = None  # manufacturer as GetDeviceInformation says it; None: any vendor
    note: str | None = None
    note_vi: str | None = None  # the note in the Vietnamese minutes (as title / title_vi)

    def said_note(self) -> str | None:
        """The note in the current language."""
        return self.note_vi if current_language() == "vi" and self.note_vi else self.note

    def label(self) -> str:
        who = f" ({self.vendor})" if self.vendor else ""
        shown = self.password if self.password else _("(empty)")
        return f"{self.user} / {shown}{who}"


def _expected(names: Iterable[str]) -> str:
    """``'a', 'b' or 'c'``: how pydantic lists a Literal's choices (the error text stays the same)."""
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


_COMMON = frozenset({"id", "check", "title", "title_vi", "short", "short_vi", "letter", "why", "severity", "kind",
                     "clause", "clause_vi"})
_RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Rule(_Model):
    """One requirement. Common keys, then the parameters its ``check`` takes.

    ``check`` is the id of a check registered in :mod:`kitchencam.rules` (``@register(...)``,
    which also says which of the parameter fields below that check needs and allows); the fields
    are the profile's YAML schema, shared by every check.
    """

    id: str
    check: str
    title: str
    title_vi: str
    #: A name of a few words for lists (the minutes' equipment table, conclusion); None: the title.
    short: str | None = None
    short_vi: str | None = None
    letter: str | None = None  # the letter's own words for this requirement (None: beyond the letter)
    why: str | None = None  # why the rule exists / how its numbers were chosen
    severity: Severity = "required"
    kind: RuleKind
    #: The legal text a rule beyond the letter rests on (a regulation's clause), in English and Vietnamese.
    clause: str | None = None
    clause_vi: str | None = None

    # parameters, by check
    min_resolution: str | None = None
    codec: str | None = None
    smart_codec: bool | None = None
    stream: str | None = None
    lens_mm: float | None = Field(default=None, gt=0)
    lens_tolerance_mm: float | None = Field(default=None, ge=0)
    ir_range_m: float | None = Field(default=None, gt=0)
    ir_cut_auto: bool | None = None
    wdr_db: int | None = Field(default=None, gt=0)
    true_wdr: bool | None = None
    onvif_profiles: list[str] | None = None
    ip_rating: str | None = None
    platform_features: list[PlatformNeed] | None = None
    series: list[str] | None = None
    equivalent_series: list[str] | None = None
    fact: str | None = None
    equals: bool | float | str | None = None
    max_clock_offset_s: float | None = Field(default=None, gt=0)
    timezone_offset_minutes: int | None = Field(default=None, ge=-720, le=840)
    allow_dst: bool | None = None
    known_defaults: list[KnownDefault] | None = None
    question: str | None = None
    question_vi: str | None = None
    overhead: float | None = Field(default=None, ge=1)
    headroom: float | None = Field(default=None, ge=1)
    min_password_length: int | None = Field(default=None, ge=1, le=128)
    password_classes: list[Literal["upper", "lower", "digit", "special"]] | None = None
    max_failed_logins: int | None = Field(default=None, ge=1, le=100)
    min_lock_minutes: float | None = Field(default=None, gt=0)
    factory_accounts: list[str] | None = None
    cloud_wanted: Literal["off", "on", "either"] | None = None

    @field_validator("check")
    @classmethod
    def _registered(cls, value: str) -> str:
        known = registry.specs()
        if value not in known:
            raise PydanticCustomError("literal_error", "Input should be {expected}",
                                      {"expected": _expected(known)})
        return value

    @field_validator("min_resolution")
    @classmethod
    def _resolution(cls, value: str | None) -> str | None:
        if value is not None:
            parse_resolution(value)
        return value

    @field_validator("ip_rating")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"IP\d[\dX]K?", value.strip().upper()):
            raise ValueError(_("expected an IP code such as IP67, got {value!r}").format(value=value))
        return value.strip().upper() if value else value

    def parameters(self) -> set[str]:
        """The parameter keys this rule was given in the file."""
        return set(self.model_fields_set) - _COMMON

    @property
    def resolution(self) -> tuple[int, int]:
        return parse_resolution(self.min_resolution or "0x0")


class CentreAccount(_Model):
    """A least-privilege ONVIF account made for the district centre (its password goes to the keyring)."""

    user: str = Field(pattern=r"^[A-Za-z0-9_.-]{3,32}$")
    level: Literal["User", "Operator"] = "User"


class ProvisionTarget(_Model):
    """How `kitchencam provision` sets each camera (the main stream's numbers come from ``streams``)."""

    rate_control: Literal["VBR", "CBR"] = "VBR"
    gov_length: int | None = Field(default=None, gt=0)  # frames between key frames
    wdr_mode: Literal["ON", "OFF"] | None = "ON"
    wdr_level: float | None = Field(default=None, ge=0, le=100)
    ir_cut: Literal["AUTO", "ON", "OFF"] | None = "AUTO"
    # Tried in order until the camera accepts one (firmwares differ in what they parse).
    timezones: list[str] = Field(default_factory=lambda: ["<+07>-7"], min_length=1)
    ntp: bool = True
    # Set when the site config names no NTP server and the camera has none of its own.
    ntp_servers: list[str] = Field(default_factory=list)
    hostname_pattern: str | None = None  # e.g. "{school_code}-BEP-{n}"
    centre_account: CentreAccount | None = None
    # The vendor's smart codec (the "+" of H.265+), set through its own HTTP API: ONVIF has no word for it.
    smart_codec: bool | None = None
    why: str | None = None


class Profile(_Model):
    id: str
    title: str
    title_vi: str
    source: LetterSource
    deadline: date
    streams: dict[str, StreamTarget]
    rules: list[Rule] = Field(min_length=1)
    provision: ProvisionTarget | None = None

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def main_stream(self) -> StreamTarget:
        return self.streams["main"]


class ProfileSummary(_Model):
    id: str
    title: str
    title_vi: str
    letter: str  # "1115/GD&ĐT, 2024-10-28"
    deadline: date
    rules: int
    path: str
    packaged: bool
    source: ProfileSource  # "packaged" (shipped with kitchencam) or "user" (the user profiles folder)
    overrides: bool = False  # a user profile with a packaged profile's id: it is the one used


# --- the model catalogue -------------------------------------------------------------------


class CatalogueSource(_Model):
    title: Text  # "Dahua DH-IPC-HFW2241S-S datasheet V1.1", or {vi, en}
    url: str | None = None
    note: Text | None = None


class Fact(_Model, Generic[T]):
    """A datasheet value with where it comes from (a key of the file's ``sources``)."""

    value: T
    source: str
    note: Text | None = None  # doubts, variants, what to check on the label; {vi, en} for the minutes


class PlatformFeature(_Model):
    name: str  # the vendor's word: "Auto Register", "Hik-Connect", "DSS"
    provides: list[str]  # capabilities (PLATFORM_CAPABILITIES)


class CatalogueFacts(_Model):
    """Every fact the rules may use; None means the datasheet says nothing about it."""

    series: Fact[str] | None = None
    form_factor: Fact[str] | None = None
    max_resolution: Fact[str] | None = None
    lens_mm: Fact[list[float]] | None = None  # every lens the model is sold with
    lens_fixed: Fact[bool] | None = None
    ir_range_m: Fact[float] | None = None
    ir_cut: Fact[bool] | None = None
    wdr: Fact[Literal["true", "digital", "none"]] | None = None
    wdr_db: Fact[int] | None = None
    starlight: Fact[bool] | None = None
    min_illumination_lux: Fact[float] | None = None
    ip_rating: Fact[str] | None = None
    codecs: Fact[list[str]] | None = None
    smart_codec: Fact[list[str]] | None = None  # vendor names ("Smart H.265+"); [] = none
    platform: Fact[list[PlatformFeature]] | None = None
    onvif_profiles: Fact[list[str]] | None = None
    power: Fact[list[str]] | None = None

    @field_validator("max_resolution")
    @classmethod
    def _resolution(cls, value: Fact[str] | None) -> Fact[str] | None:
        if value is not None:
            parse_resolution(value.value)
        return value


CATALOGUE_FACTS = tuple(CatalogueFacts.model_fields)


class Sku(_Model):
    """An orderable variant, recognised by the suffix of the model string (``-0360B``)."""

    suffix: str
    lens_mm: float | None = None
    # Full model strings of this SKU when the suffix is not at the end (Dahua Lite puts the
    # lens in the middle: IPC-HFW2231S-S-0360B-S2).
    model_strings: list[str] = Field(default_factory=list)
    source: str
    note: Text | None = None


class CatalogueModel(_Model):
    model: str  # as GetDeviceInformation reports it, without the SKU suffix
    manufacturer: str
    name: str | None = None  # the vendor's product name
    aliases: list[str] = Field(default_factory=list)  # other spellings, e.g. "DH-IPC-HFW2241S-S"
    skus: list[Sku] = Field(default_factory=list)
    sources: dict[str, CatalogueSource]
    facts: CatalogueFacts
    path: str | None = None  # filled in when loaded

    def source_text(self, key: str) -> str:
        src = self.sources.get(key)
        if src is None:
            return key
        title = str(src.title)
        return f"{title} ({src.url})" if src.url else title


class ModelMatch(_Model):
    """How a device's model string was found in the catalogue."""

    device_model: str
    entry: CatalogueModel
    sku: Sku | None = None
    how: Literal["exact", "sku", "prefix"]

    @property
    def lens_options(self) -> list[float]:
        if self.sku is not None and self.sku.lens_mm is not None:
            return [self.sku.lens_mm]
        fact = self.entry.facts.lens_mm
        return list(fact.value) if fact else []


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


class Catalogue(_Model):
    models: list[CatalogueModel] = Field(default_factory=list)

    def match(self, device_model: str | None) -> ModelMatch | None:
        """Exact model (or alias), then model + a known SKU suffix, then the longest model prefix."""
        if not device_model or not device_model.strip():
            return None
        wanted = _norm(device_model)
        for entry in self.models:
            if wanted in {_norm(n) for n in (entry.model, *entry.aliases)}:
                return ModelMatch(device_model=device_model, entry=entry, how="exact")
        for entry in self.models:
            for name in (entry.model, *entry.aliases):
                for sku in entry.skus:
                    if wanted == _norm(name + sku.suffix) or wanted in {_norm(m) for m in sku.model_strings}:
                        return ModelMatch(device_model=device_model, entry=entry, sku=sku, how="sku")
        best: tuple[int, CatalogueModel] | None = None
        for entry in self.models:
            for name in (entry.model, *entry.aliases):
                n = _norm(name)
                # Only at a boundary: IPC-HFW2241S-S-0360C is a variant, IPC-HFW2241S-SX is not.
                if wanted.startswith(n) and wanted[len(n):len(n) + 1] in {"-", "(", "/", "_"} \
                        and (best is None or len(n) > best[0]):
                    best = (len(n), entry)
        if best is not None:
            return ModelMatch(device_model=device_model, entry=best[1], how="prefix")
        return None


# --- attestations ----------------------------------------------------------------------------


class AttestationEntry(_Model):
    answer: bool
    by: str | None = None
    at: datetime | None = None
    note: str | None = None


class AttestationFile(_Model):
    """A technician's answers: ``answers: {rule-id: yes|no | {answer, by, at, note}}``."""

    by: str | None = None  # default for every answer
    at: datetime | None = None  # default: when the file is read
    answers: dict[str, bool | AttestationEntry] = Field(min_length=1)


_YES = frozenset({"yes", "y", "true", "1", "có", "co", "đạt", "dat", "pass"})
_NO = frozenset({"no", "n", "false", "0", "không", "khong", "fail"})


def _answer(word: str) -> bool | None:
    word = word.strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def parse_attestations(pairs: Sequence[str], by: str | None, now: datetime,
                       *, profile: Profile | None = None, note: str | None = None) -> list[Attestation]:
    """``--attest RULE=yes|no`` pairs, recorded with ``--by NAME`` and the time ``now``."""
    if not pairs:
        return []
    name = (by or "").strip()
    if not name:
        raise UsageError(_("--attest needs --by NAME: an attestation is recorded with who made it."))
    result = []
    for pair in pairs:
        rule, sep, word = pair.partition("=")
        rule = rule.strip()
        answer = _answer(word) if sep else None
        if not rule or answer is None:
            raise UsageError(_("--attest {pair!r}: expected RULE=yes or RULE=no, e.g. --attest power=yes.")
                             .format(pair=pair))
        if profile is not None and profile.rule(rule) is None:
            raise UsageError(_("--attest {rule}: the profile {profile} has no such rule. Its rules: {rules}.")
                             .format(rule=rule, profile=profile.id, rules=", ".join(r.id for r in profile.rules)))
        result.append(Attestation(rule=rule, answer=answer, by=name, at=now, note=note, origin="command-line"))
    return result


def load_attestations(path: Path, *, now: datetime, profile: Profile | None = None) -> list[Attestation]:
    """Read a technician's attestation file; ConfigError naming file:line for anything wrong."""
    path = Path(path)
    data = load_model(path, AttestationFile)
    node = _compose(path)
    problems = []
    result = []
    for rule, value in data.answers.items():
        entry = value if isinstance(value, AttestationEntry) else AttestationEntry(answer=value)
        where = _where(path, node, ("answers", rule))
        if profile is not None and profile.rule(rule) is None:
            problems.append(_("{where}: answers.{rule}: the profile {profile} has no such rule "
                              "(its rules: {rules}).").format(where=where, rule=rule, profile=profile.id,
                                                             rules=", ".join(r.id for r in profile.rules)))
            continue
        who = (entry.by or data.by or "").strip()
        if not who:
            problems.append(_("{where}: answers.{rule}: who attested it? Add `by: NAME` to the answer "
                              "or at the top of the file.").format(where=where, rule=rule))
            continue
        at = entry.at or data.at or now
        if at.tzinfo is None:
            problems.append(_("{where}: answers.{rule}: the time {at} has no time zone; write it like "
                              "2024-11-12T09:30:00+07:00.").format(where=where, rule=rule, at=at.isoformat()))
            continue
        result.append(Attestation(rule=rule, answer=entry.answer, by=who, at=at, note=entry.note, origin="file"))
    if problems:
        raise ConfigError("\n".join(problems))
    return result


# --- loading and validation ----------------------------------------------------------------


def _compose(path: Path) -> yaml.Node | None:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _where(path: Path, node: yaml.Node | None, loc: Iterable[int | str]) -> str:
    line = line_of(node, loc)
    return f"{path}:{line}" if line else str(path)


def _semantic_problems(profile: Profile, path: Path) -> list[str]:
    """What the schema cannot see: duplicate ids, wrong kinds, missing or stray parameters..."""
    node = _compose(path)
    problems: list[str] = []

    def add(loc: tuple[int | str, ...], message: str) -> None:
        key = ".".join(str(p) for p in loc)
        problems.append(_("{where}: {key}: {problem}").format(where=_where(path, node, loc), key=key,
                                                             problem=message))

    if profile.deadline < profile.source.date:
        add(("deadline",), _("the deadline {deadline} is before the letter's date {date}.").format(
            deadline=profile.deadline, date=profile.source.date))
    if "main" not in profile.streams:
        add(("streams",), _("expected a `main` stream target."))
    for name, stream in profile.streams.items():
        if stream.codec not in CODECS:
            add(("streams", name, "codec"), _("expected one of {choices}, got {value!r}.").format(
                choices=", ".join(CODECS), value=stream.codec))
        if stream.bitrate_kbps_min and stream.bitrate_kbps_min > stream.bitrate_kbps_max:
            add(("streams", name, "bitrate_kbps_min"), _("is above bitrate_kbps_max ({cap}).").format(
                cap=stream.bitrate_kbps_max))

    seen: dict[str, int] = {}
    for i, rule in enumerate(profile.rules):
        loc: tuple[int | str, ...] = ("rules", i)
        if not _RULE_ID.match(rule.id):
            add((*loc, "id"), _("rule ids are lowercase words joined by hyphens (e.g. main-stream), "
                                "got {value!r}.").format(value=rule.id))
        if rule.id in seen:
            add((*loc, "id"), _("duplicate rule id {id!r} (first used by rules.{first}); rule ids must be "
                                "unique: reports and scripts depend on them.").format(id=rule.id, first=seen[rule.id]))
        else:
            seen[rule.id] = i
        spec = registry.specs()[rule.check]
        kinds, required, optional = spec.evidence, spec.needs, spec.allows
        if rule.kind not in kinds:
            add((*loc, "kind"), _("check {check} takes its evidence from {kinds}, not {kind}.").format(
                check=rule.check, kinds=" or ".join(sorted(kinds)), kind=rule.kind))
        given = rule.parameters()
        for missing in sorted(required - given):
            add(loc, _("check {check} needs the parameter {param}.").format(check=rule.check, param=missing))
        for stray in sorted(given - required - optional):
            allowed = ", ".join(sorted(required | optional)) or _("none")
            add((*loc, stray), _("check {check} does not use {param} (it takes: {allowed}).").format(
                check=rule.check, param=stray, allowed=allowed))
        _param_problems(rule, profile, loc, add)
    return problems


def _param_problems(rule: Rule, profile: Profile, loc: tuple[int | str, ...],
                    add: Callable[[tuple[int | str, ...], str], None]) -> None:
    """Values that are well-typed but meaningless for their check."""
    if rule.codec is not None and rule.codec not in CODECS:
        add((*loc, "codec"), _("expected one of {choices}, got {value!r}.").format(
            choices=", ".join(CODECS), value=rule.codec))
    if rule.stream is not None and rule.stream not in profile.streams:
        add((*loc, "stream"), _("no stream target called {value!r} under streams: (have: {have}).").format(
            value=rule.stream, have=", ".join(profile.streams)))
    for j, name in enumerate(rule.onvif_profiles or []):
        if name not in ONVIF_PROFILES:
            add((*loc, "onvif_profiles", j), _("expected an ONVIF profile letter ({choices}), got {value!r}.")
                .format(choices=", ".join(ONVIF_PROFILES), value=name))
    for j, need in enumerate(rule.platform_features or []):
        if need.capability not in PLATFORM_CAPABILITIES:
            add((*loc, "platform_features", j, "capability"),
                _("expected one of {choices}, got {value!r}.").format(
                    choices=", ".join(PLATFORM_CAPABILITIES), value=need.capability))
    if rule.fact is not None and rule.fact not in CATALOGUE_FACTS:
        add((*loc, "fact"), _("the model catalogue has no fact {value!r}; it has: {choices}.").format(
            value=rule.fact, choices=", ".join(CATALOGUE_FACTS)))


def user_profiles_dir() -> Path:
    """The site's own profiles: ``<user config dir>/profiles`` (``KITCHENCAM_CONFIG_DIR`` moves it)."""
    return Paths.from_env().profiles_dir


def _by_id(text: str) -> Path | None:
    """The file a profile id names: the user folder's first (it overrides), then the packaged one."""
    if "/" in text or "\\" in text or text.endswith((".yaml", ".yml")):
        return None
    for folder in (user_profiles_dir(), PROFILES_DIR):
        candidate = folder / f"{text}.yaml"
        if candidate.is_file():
            return candidate
    return None


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    found = _by_id(text)
    if found is not None:
        return found
    path = Path(text).expanduser()
    if path.exists():
        return path
    known = ", ".join(p.id for p in list_profiles()) or _("none")
    raise ConfigError(_("No profile {name!r}: not a packaged profile nor one in {folder} (known: {known}), "
                        "and no such file.").format(name=text, folder=user_profiles_dir(), known=known))


def load_profile(name_or_path: str | Path) -> Profile:
    """A packaged profile by id (``thanhtri-2024``), else a YAML file; ConfigError if invalid."""
    path = _resolve(name_or_path)
    profile = load_model(path, Profile)
    problems = _semantic_problems(profile, path)
    if problems:
        raise ConfigError("\n".join(problems))
    return profile


def validate_profile(path: str | Path) -> list[str]:
    """Every problem with a profile file (schema and semantics), each naming file:line; [] if fine."""
    try:
        resolved = _resolve(path)
        profile = load_model(resolved, Profile)
    except ConfigError as exc:
        return exc.message.splitlines()
    return _semantic_problems(profile, resolved)


def list_profiles() -> list[ProfileSummary]:
    """Every profile a name can pick: the packaged ones and the user folder's, by id.

    A user profile with a packaged profile's id replaces it (``overrides``), as it does for
    ``--profile ID``. A user profile must be named ``<its id>.yaml``, since that is how an id finds it.
    """
    found: dict[str, ProfileSummary] = {}
    user_dir = user_profiles_dir()
    folders: tuple[tuple[ProfileSource, Path], ...] = (("packaged", PROFILES_DIR), ("user", user_dir))
    for source, folder in folders:
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            profile = load_model(path, Profile)
            if source == "user" and profile.id != path.stem:
                raise ConfigError(_("{path}: the profile's id is {id!r} but the file is named {name}; "
                                    "rename the file to {id}.yaml so that --profile {id} finds it.")
                                  .format(path=path, id=profile.id, name=path.name))
            found[profile.id] = ProfileSummary(
                id=profile.id, title=profile.title, title_vi=profile.title_vi,
                letter=f"{profile.source.number}, {profile.source.date.isoformat()}", deadline=profile.deadline,
                rules=len(profile.rules), path=str(path), packaged=source == "packaged", source=source,
                overrides=source == "user" and profile.id in found)
    return sorted(found.values(), key=lambda s: (s.source != "packaged", s.id))


def _catalogue_problems(entry: CatalogueModel, path: Path) -> list[str]:
    node = _compose(path)
    problems = []
    refs: list[tuple[tuple[int | str, ...], str]] = []
    for name in CATALOGUE_FACTS:
        fact = getattr(entry.facts, name)
        if fact is not None:
            refs.append((("facts", name, "source"), fact.source))
    refs += [(("skus", i, "source"), sku.source) for i, sku in enumerate(entry.skus)]
    for loc, key in refs:
        if key not in entry.sources:
            problems.append(_("{where}: {key}: source {value!r} is not listed under sources: (have: {have}).")
                            .format(where=_where(path, node, loc), key=".".join(map(str, loc)), value=key,
                                    have=", ".join(entry.sources) or _("none")))
    if entry.facts.platform is not None:
        for i, feature in enumerate(entry.facts.platform.value):
            for cap in feature.provides:
                if cap not in PLATFORM_CAPABILITIES:
                    loc = ("facts", "platform", "value", i, "provides")
                    problems.append(_("{where}: {key}: expected one of {choices}, got {value!r}.").format(
                        where=_where(path, node, loc), key=".".join(map(str, loc)),
                        choices=", ".join(PLATFORM_CAPABILITIES), value=cap))
    return problems


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Every ``*.yaml`` in the model catalogue (the packaged one by default); ConfigError if invalid.

    The packaged catalogue is read once per process; treat the result as read-only.
    """
    if directory is None:
        return _packaged_catalogue()
    return _load_catalogue_dir(Path(directory))


@lru_cache(maxsize=1)
def _packaged_catalogue() -> Catalogue:
    return _load_catalogue_dir(MODELS_DIR)


def _load_catalogue_dir(directory: Path) -> Catalogue:
    models: list[CatalogueModel] = []
    problems: list[str] = []
    owners: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        entry = load_model(path, CatalogueModel)
        entry.path = str(path)
        problems += _catalogue_problems(entry, path)
        for name in (entry.model, *entry.aliases):
            key = _norm(name)
            if key in owners:
                problems.append(_("{path}: model {model} is also in {other}: one file per model.").format(
                    path=path, model=name, other=owners[key]))
            owners[key] = str(path)
        models.append(entry)
    if problems:
        raise ConfigError("\n".join(problems))
    return Catalogue(models=models)
