"""What every check is given (:class:`Context`) and the helpers the families share: making a
verdict, a failed read as UNKNOWN, a gap in the catalogue, a contradiction, the main stream.

How a verdict is reached (docs/reference/rules.md has it per rule):

- Device evidence (what ONVIF showed) outranks the catalogue (the datasheet). When both speak
  and disagree, the verdict is WARN and its detail names both, so a person looks.
- A read that failed is never silence: the rules that needed it are UNKNOWN, with the read
  error's message (which says what to try) as the reason.
- A model missing from the catalogue gets UNKNOWN, never PASS, for what only a datasheet can
  tell (lens, IP rating, platform...). The technician's attestation can answer those, and the
  MANUAL rules; it never overrides what the device itself reports.
- A FAIL that ``kitchencam provision`` can turn into a PASS (codec offered but not running, NTP
  off, clock off, wrong time zone, stream settings) says so and has ``fixable_by_provision``.

The helpers keep their leading underscore: they are the families' shared internals, not
kitchencam's API (``main_encoder``/``main_options`` are, for provisioning).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from kitchencam.i18n import _
from kitchencam.models import (
    Attestation,
    CredentialFacts,
    EncoderOptions,
    Evidence,
    Facts,
    ReadError,
    SiteFacts,
    VendorChoice,
    Verdict,
    VerdictStatus,
    VideoEncoder,
)
from kitchencam.profile import ModelMatch, Profile, Rule

# Where each kind of device evidence comes from, for Verdict.source.
_SRC_ENCODER_OPTS = "ONVIF {media} GetVideoEncoderConfigurationOptions"
_SRC_ENCODER = "ONVIF {media} GetVideoEncoderConfigurations"
_SRC_PROFILES = "ONVIF {media} GetProfiles"
_SRC_IMAGING = "ONVIF Imaging GetOptions / GetImagingSettings"
_SRC_TIME = "ONVIF GetSystemDateAndTime"
_SRC_NTP = "ONVIF GetNTP + GetSystemDateAndTime"
_SRC_SCOPES = "ONVIF GetScopes / GetServices"
_SRC_DEVICE_INFO = "ONVIF GetDeviceInformation"

# Operations each group of rules depends on (matched on the local name: Media1 and Media2 alike).
_OPS_ENCODER = ("GetVideoEncoderConfigurationOptions", "GetVideoEncoderConfigurations", "GetProfiles")
_OPS_IMAGING = ("GetImagingSettings", "GetOptions")
_OPS_TIME = ("GetSystemDateAndTime",)


@dataclass
class Context:
    """What a check is given: the camera's facts, the profile, its catalogue entry (``match``), the
    latest attestation per rule, the site's facts, the login's facts and the time of the audit."""

    facts: Facts
    profile: Profile
    match: ModelMatch | None
    model_string: str | None
    attestations: dict[str, Attestation]
    site: SiteFacts | None
    credentials: CredentialFacts | None
    now: datetime
    # Rules whose UNKNOWN comes only from a missing datasheet fact: an attestation may answer them.
    catalogue_gaps: set[str] = field(default_factory=set)

    @property
    def media(self) -> str:
        return "Media2" if self.facts.media2 else "Media1"

    def datasheet(self, fact_source: str) -> str:
        assert self.match is not None
        return self.match.entry.source_text(fact_source)


def _verdict(rule: Rule, status: VerdictStatus, *, seen: str | None = None, required: str | None = None,
             evidence: Evidence = "none", source: str | None = None, detail: str = "",
             fixable: bool = False) -> Verdict:
    return Verdict(rule=rule.id, title=rule.title, title_vi=rule.title_vi, kind=rule.kind,
                   severity=rule.severity, status=status, seen=seen, required=required, evidence=evidence,
                   source=source, detail=detail, fixable_by_provision=fixable and status == "FAIL")


def _read_error(facts: Facts, operations: Iterable[str]) -> ReadError | None:
    wanted = set(operations)
    return next((e for e in facts.read_errors if e.operation.rpartition(":")[2] in wanted), None)


def _unknown_read(rule: Rule, error: ReadError, required: str | None) -> Verdict:
    return _verdict(rule, "UNKNOWN", required=required, evidence="none", source=f"ONVIF {error.operation}",
                    detail=_("The camera could not be asked ({operation}): {message}").format(
                        operation=error.operation, message=error.message))


def _no_model(ctx: Context, rule: Rule, required: str | None, seen_from_device: str | None = None) -> Verdict:
    """UNKNOWN for a fact only a datasheet (or the technician) can give."""
    ctx.catalogue_gaps.add(rule.id)
    if ctx.model_string is None:
        error = ctx.facts.error_for("tds:GetDeviceInformation")
        reason = error.message if error else _("the camera did not report its model.")
        detail = _("The model is not known, so the datasheet cannot be looked up: {reason}").format(reason=reason)
    elif ctx.match is None:
        detail = _("Model {model} is not in the model catalogue, so this cannot be checked from its datasheet. "
                   "Add the model to the catalogue, or have the technician attest it: "
                   "--attest {rule}=yes --by NAME.").format(model=ctx.model_string, rule=rule.id)
    else:
        detail = _("The datasheet of {model} in the catalogue says nothing about this. Have the technician "
                   "check it and attest it: --attest {rule}=yes --by NAME.").format(
                       model=ctx.match.entry.model, rule=rule.id)
    return _verdict(rule, "UNKNOWN", seen=seen_from_device, required=required,
                    evidence="device" if seen_from_device else "none", detail=detail)


def _contradiction(rule: Rule, *, device: str, catalogue: str, source: str, required: str | None,
                   seen: str) -> Verdict:
    return _verdict(rule, "WARN", seen=seen, required=required, evidence="device", source=source,
                    detail=_("The camera and its datasheet disagree: the camera reports {device}, the catalogue "
                             "says {catalogue}. Check the firmware and the model label, then correct the "
                             "catalogue or replace the camera.").format(device=device, catalogue=catalogue))


def _fixable(text: str) -> str:
    return text + " " + _("kitchencam provision fixes this.")


def _main_encoder(facts: Facts) -> VideoEncoder | None:
    """The main stream: the first media profile's encoder (every vendor lists it first)."""
    by_token = {e.token: e for e in facts.encoders}
    for profile in facts.profiles:
        if profile.encoder_token and profile.encoder_token in by_token:
            return by_token[profile.encoder_token]
    if not facts.encoders:
        return None
    # No profile names it: the largest video encoder (an MJPEG one is a snapshot/preview stream).
    return max(facts.encoders, key=lambda e: (e.encoding not in ("JPEG", "MJPEG"), (e.width or 0) * (e.height or 0)))


def _encoder_source(ctx: Context) -> str:
    """Where the running encoder settings come from: GetVideoEncoderConfigurations, or the
    configurations embedded in GetProfiles when that call failed (onvif.read falls back on them)."""
    if _read_error(ctx.facts, ("GetVideoEncoderConfigurations",)) is not None:
        return _SRC_PROFILES.format(media=ctx.media)
    return _SRC_ENCODER.format(media=ctx.media)


def _encoder_read_error(facts: Facts, encoder: VideoEncoder | None) -> ReadError | None:
    """The failed read behind missing encoder evidence. Once the main encoder is known (from
    GetProfiles if need be), what is missing is its options, whatever else failed."""
    if encoder is not None:
        error = _read_error(facts, ("GetVideoEncoderConfigurationOptions",))
        if error is not None:
            return error
    return _read_error(facts, _OPS_ENCODER)


def _main_options(facts: Facts, encoder: VideoEncoder | None) -> EncoderOptions | None:
    if encoder is not None:
        for opts in facts.encoder_options:
            if opts.encoder_token == encoder.token:
                return opts
    return facts.encoder_options[0] if facts.encoder_options else None


def _vendor_note(choice: VendorChoice | None) -> str:
    """Why no vendor API decided, in one sentence for a verdict falling back on the catalogue: the
    first real failure (not an API kitchencam does not speak yet), else the choice's note."""
    if choice is None:
        return ""  # not asked (facts from a capture or a file): the catalogue decides as it always did
    failed = next((e for e in choice.errors if e.code != "NotSupported"), None)
    if failed is not None:
        return _("The vendor API did not answer ({operation}: {message}), so the model catalogue decides.").format(
            operation=failed.operation, message=failed.message)
    unspoken = next((e for e in choice.errors if e.code == "NotSupported"), None)
    if unspoken is not None:
        return _("kitchencam does not speak this camera's vendor API yet ({api}), so the model catalogue "
                 "decides.").format(api=unspoken.operation.removesuffix(" probe"))
    # choice.note was written in the language of the run; the minutes judge again in each language.
    return _("No vendor API answered, so the model catalogue decides.")


#: ONVIF's user levels (tt:UserLevel in onvif.xsd), in the order they rank.
USER_LEVELS = ("Administrator", "Operator", "User", "Anonymous", "Extended")


def user_level_name(level: str) -> str:
    """An ONVIF user level (tt:UserLevel) in the current language: "User" -> "người dùng" in the
    Vietnamese minutes. Anything else as the camera said it."""
    names = {"Administrator": _("Administrator"), "Operator": _("Operator"), "User": _("User"),
             "Anonymous": _("Anonymous"), "Extended": _("Extended")}
    return names.get(level, level)


# Shared with provisioning: which encoder is the main stream, and its options.
main_encoder = _main_encoder
main_options = _main_options
