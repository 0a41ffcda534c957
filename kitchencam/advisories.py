"""The advisory catalogue: known-exploited vulnerabilities by vendor, model and firmware.

Each ``profiles/advisories/*.yaml`` is one advisory (CVE id, vendor, model patterns, affected
firmware ranges, the fixed version, its sources), validated on load like the model catalogue
(:mod:`kitchencam.profile`): a mistake names the file and line. The ``known-vulnerabilities`` rule
(kitchencam/rules/security.py) compares a camera's firmware string with the ranges here.

Firmware strings differ by vendor and are compared robustly (:func:`parse_firmware`):
Hikvision writes ``V5.5.800 build 210628``, Dahua ``2.840.0000000.28.R, Build Date 2023-06-08``
or ``V2.800.0000000.16.R.210630``. What a range needs (a build date, a version) and cannot be read
from the string is never guessed: the rule is UNKNOWN and says why. Pure, no I/O but reading
the packaged files.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kitchencam.errors import ConfigError
from kitchencam.i18n import _
from kitchencam.profile import PROFILES_DIR
from kitchencam.yamlfile import load_model

ADVISORIES_DIR = PROFILES_DIR / "advisories"

_VERSION = re.compile(r"(?<![\d.])[vV]?(\d{1,6}(?:\.\d{1,10}){1,6})(?![\d])")
_BUILD_ISO = re.compile(r"build\s*(?:date|time)?\s*[:=]?\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", re.I)
_BUILD_YYMMDD = re.compile(r"build\s*[:=]?\s*(\d{2})(\d{2})(\d{2})(?!\d)", re.I)
_DAHUA_TAIL = re.compile(r"\.R\.(\d{6}|\d{8})(?!\d)", re.I)
MAX_FIRMWARE_TEXT = 256


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Firmware:
    """What a firmware string tells: its dotted version and its build date (either may be None)."""

    text: str
    version: tuple[int, ...] | None
    build: date | None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_firmware(text: str) -> Firmware:
    """The version numbers and build date in a vendor's firmware string; None for what is not there.

    Never raises: a string with neither gives ``Firmware(text, None, None)``. A date that is no
    date (``build 219999``) is not a build date.
    """
    text = (text or "")[:MAX_FIRMWARE_TEXT]
    build: date | None = None
    if m := _BUILD_ISO.search(text):
        build = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif m := _BUILD_YYMMDD.search(text):
        build = _date(2000 + int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif m := _DAHUA_TAIL.search(text):
        digits = m.group(1)
        build = (_date(int(digits[:4]), int(digits[4:6]), int(digits[6:])) if len(digits) == 8
                 else _date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:])))
    version = None
    if m := _VERSION.search(text):
        version = tuple(int(part) for part in m.group(1).split("."))
    return Firmware(text=text, version=version, build=build)


def _version_tuple(text: str) -> tuple[int, ...]:
    m = _VERSION.fullmatch(text.strip())
    if not m:
        raise ValueError(f"expected a dotted version such as 5.5.800, got {text!r}")
    return tuple(int(part) for part in m.group(1).split("."))


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """Compare dotted versions, the shorter padded with zeros (5.5 == 5.5.0)."""
    width = max(len(a), len(b))
    pa, pb = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (pa > pb) - (pa < pb)


class AffectedRange(_Model):
    """Firmware affected: every bound given must hold (``from`` inclusive, ``before`` exclusive).

    ``verified`` says whether a source kitchencam could read states this range (the CVE record,
    the vendor's advisory, the researcher's tested list); ``basis`` names it. A range that is not
    verified (e.g. taken from memory of a vendor table nobody could read) never gives a FAIL: a
    firmware inside it is ``unconfirmed`` (WARN, "cannot confirm")."""

    build_from: date | None = None
    build_before: date | None = None
    version_from: str | None = None
    version_before: str | None = None
    verified: bool = False
    basis: str | None = None  # the source that states this range (title and URL), required when verified

    @field_validator("version_from", "version_before")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None:
            _version_tuple(value)
        return value

    @model_validator(mode="after")
    def _bounded(self) -> AffectedRange:
        if not any((self.build_from, self.build_before, self.version_from, self.version_before)):
            raise ValueError("an affected range needs at least one bound (build_before, version_before...)")
        if self.build_from and self.build_before and self.build_from >= self.build_before:
            raise ValueError("build_from must be before build_before")
        if self.verified and not (self.basis or "").strip():
            raise ValueError("a verified range needs its basis: the source that states it")
        return self

    def needs_build(self) -> bool:
        return self.build_from is not None or self.build_before is not None

    def needs_version(self) -> bool:
        return self.version_from is not None or self.version_before is not None

    def contains(self, fw: Firmware) -> bool | None:
        """True/False, or None when the firmware string lacks what this range needs."""
        if self.needs_build():
            if fw.build is None:
                return None
            if self.build_from and fw.build < self.build_from:
                return False
            if self.build_before and fw.build >= self.build_before:
                return False
        if self.needs_version():
            if fw.version is None:
                return None
            if self.version_from and _cmp(fw.version, _version_tuple(self.version_from)) < 0:
                return False
            if self.version_before and _cmp(fw.version, _version_tuple(self.version_before)) >= 0:
                return False
        return True


class AdvisorySource(_Model):
    title: str
    url: str = Field(pattern=r"^https://")


class Advisory(_Model):
    """One known-exploited vulnerability and the firmware it affects."""

    id: str = Field(pattern=r"^CVE-\d{4}-\d{4,7}$")
    vendor: str
    kev: bool = False
    title: str
    title_vi: str
    models: list[str] = Field(min_length=1)  # shell patterns on the model string, any case
    affected: list[AffectedRange] = Field(min_length=1)
    #: Builds from the end of ``affected`` up to this date are reported (WARN) for checking.
    review_build_before: date | None = None
    fixed: str
    fixed_vi: str
    verification: str  # how the ranges were checked, and what is still uncertain
    sources: list[AdvisorySource] = Field(min_length=1)
    path: str | None = None  # filled in when loaded

    def applies_to(self, manufacturer: str | None, model: str | None) -> bool:
        if not manufacturer or manufacturer.strip().lower() != self.vendor.lower():
            return False
        name = (model or "").strip().upper()
        return bool(name) and any(fnmatch.fnmatchcase(name, pattern.upper()) for pattern in self.models)

    def judge(self, firmware: str) -> tuple[str, str | None]:
        """``("affected" | "unconfirmed" | "review" | "clear" | "unknown", reason)`` for a firmware string.

        ``affected`` only from a verified range; a firmware only inside ranges that are not verified
        is ``unconfirmed``, with the reason (what is not verified)."""
        fw = parse_firmware(firmware)
        answers = [(r, r.contains(fw)) for r in self.affected]
        if any(a is True and r.verified for r, a in answers):
            return "affected", None
        if any(a is True for _r, a in answers):
            return "unconfirmed", _("the affected range this firmware falls in was not verified against the "
                                    "vendor's advisory")
        if any(a is None for _r, a in answers):
            if any(r.needs_build() for r in self.affected) and fw.build is None:
                return "unknown", _no_build(fw)
            return "unknown", _("kitchencam cannot read a version number in the firmware string {firmware!r}").format(
                firmware=fw.text)
        if self.review_build_before is not None:
            if fw.build is None:
                return "unknown", _no_build(fw)
            if fw.build < self.review_build_before:
                return "review", None
        return "clear", None

    def source_text(self) -> str:
        return "; ".join(f"{s.title} ({s.url})" for s in self.sources)


def _no_build(fw: Firmware) -> str:
    return _("kitchencam cannot read a build date in the firmware string {firmware!r}").format(firmware=fw.text)


class AdvisoryCatalogue(_Model):
    advisories: list[Advisory] = Field(default_factory=list)

    def for_camera(self, manufacturer: str | None, model: str | None) -> list[Advisory]:
        return [a for a in self.advisories if a.applies_to(manufacturer, model)]


def load_advisories(directory: Path | None = None) -> AdvisoryCatalogue:
    """Every ``*.yaml`` of the advisory catalogue (the packaged one by default); ConfigError if invalid."""
    if directory is None:
        return _packaged()
    return _load_dir(Path(directory))


@lru_cache(maxsize=1)
def _packaged() -> AdvisoryCatalogue:
    return _load_dir(ADVISORIES_DIR)


def _load_dir(directory: Path) -> AdvisoryCatalogue:
    found: list[Advisory] = []
    seen: dict[str, str] = {}
    problems = []
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        entry = load_model(path, Advisory)
        entry.path = str(path)
        if entry.id in seen:
            problems.append(_("{path}: advisory {id} is also in {other}: one file per advisory.").format(
                path=path, id=entry.id, other=seen[entry.id]))
        seen[entry.id] = str(path)
        found.append(entry)
    if problems:
        raise ConfigError("\n".join(problems))
    return AdvisoryCatalogue(advisories=found)
