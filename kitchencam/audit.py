"""Facts + profile + catalogue + attestations -> one Verdict per rule. Pure: no I/O, no clock.

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
- ``severity: advisory`` rules report WARN where a required rule would FAIL.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from kitchencam.i18n import _, current_language
from kitchencam.models import (
    Attestation,
    CredentialFacts,
    EncoderOptions,
    Evidence,
    Facts,
    Imaging,
    ReadError,
    SiteFacts,
    Verdict,
    VerdictStatus,
    VideoEncoder,
)
from kitchencam.profile import Catalogue, KnownDefault, ModelMatch, Profile, Rule, parse_resolution
from kitchencam.timezones import format_offset, posix_tz, read_timezone

STATUSES: tuple[VerdictStatus, ...] = ("PASS", "FAIL", "WARN", "MANUAL", "UNKNOWN")

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


# --- context and small helpers ---------------------------------------------------------------


@dataclass
class _Context:
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


def _no_model(ctx: _Context, rule: Rule, required: str | None, seen_from_device: str | None = None) -> Verdict:
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


def _encoder_source(ctx: _Context) -> str:
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


def _describe_encoder(enc: VideoEncoder) -> str:
    parts = [enc.encoding or "?", f"{enc.width}x{enc.height}" if enc.width and enc.height else "?x?"]
    if enc.fps is not None:
        parts.append(f"{enc.fps:g} fps")
    if enc.bitrate_kbps is not None:
        parts.append(f"{enc.bitrate_kbps} kbit/s")
    return " ".join(parts)


def _mp(width: int, height: int) -> str:
    return f"{width}x{height} ({width * height / 1_000_000:.1f} MP)"


def _imaging(facts: Facts) -> Imaging | None:
    return facts.imaging[0] if facts.imaging else None


def _duration(seconds: float) -> str:
    s = round(abs(seconds))
    if s < 60:
        return f"{abs(seconds):.1f} s"
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h} h {m} min" if not sec else f"{h} h {m} min {sec} s"
    return f"{m} min {sec} s"


# --- device rules ----------------------------------------------------------------------------


def _check_resolution(ctx: _Context, rule: Rule) -> Verdict:
    want_w, want_h = rule.resolution
    required = _mp(want_w, want_h)
    facts = ctx.facts
    enc = _main_encoder(facts)
    opts = _main_options(facts, enc)
    cat = ctx.match.entry.facts.max_resolution if ctx.match else None
    cat_ok = None
    if cat is not None:
        cw, ch = parse_resolution(cat.value)
        cat_ok = cw >= want_w and ch >= want_h
    if opts is None or not any(o.resolutions for o in opts.options):
        running = _running_resolution(ctx, rule, enc, required, cat, cat_ok)
        if running is not None:
            return running
        error = _encoder_read_error(facts, enc)
        if error is not None:
            return _unknown_read(rule, error, required)
        if cat is None or ctx.match is None:
            seen = _("runs {resolution}").format(resolution=_mp(enc.width, enc.height)) \
                if enc is not None and enc.width and enc.height else None
            return _no_model(ctx, rule, required, seen)
        return _verdict(rule, "PASS" if cat_ok else "FAIL", seen=cat.value, required=required, evidence="catalogue",
                        source=ctx.datasheet(cat.source),
                        detail="" if cat_ok else _("The datasheet gives at most {seen}; the profile asks for "
                                                   "{required}. Replace the camera.").format(seen=cat.value,
                                                                                            required=required))
    resolutions = [r for o in opts.options if o.encoding != "JPEG" for r in o.resolutions] or \
        [r for o in opts.options for r in o.resolutions]
    best = max(resolutions, key=lambda r: r.width * r.height)
    device_ok = any(r.width >= want_w and r.height >= want_h for r in resolutions)
    seen = _("up to {resolution}").format(resolution=_mp(best.width, best.height))
    source = _SRC_ENCODER_OPTS.format(media=ctx.media)
    if cat_ok is not None and cat is not None and cat_ok != device_ok:
        return _contradiction(rule, device=seen, catalogue=cat.value, source=source, required=required, seen=seen)
    if device_ok:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=source)
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                    detail=_("The main stream offers at most {seen}; the profile asks for {required}. No setting "
                             "changes the sensor: replace the camera.").format(
                                 seen=_mp(best.width, best.height), required=required))


def _running_resolution(ctx: _Context, rule: Rule, enc: VideoEncoder | None, required: str, cat: object,
                        cat_ok: bool | None) -> Verdict | None:
    """With no resolutions among the options (empty, or not read), the main stream's running
    configuration still proves what the sensor can do: a stream at or above the size asked for
    is a PASS (or a contradiction with a datasheet that says less). None when it proves nothing."""
    want_w, want_h = rule.resolution
    if enc is None or not enc.width or not enc.height or enc.width < want_w or enc.height < want_h:
        return None
    seen = _("runs {resolution}").format(resolution=_mp(enc.width, enc.height))
    source = _encoder_source(ctx)
    if cat_ok is False:
        return _contradiction(rule, device=seen, catalogue=getattr(cat, "value", "?"), source=source,
                              required=required, seen=seen)
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=source)


def _check_codec(ctx: _Context, rule: Rule) -> Verdict:
    target = rule.codec or "H265"
    plus = bool(rule.smart_codec)
    required = f"{target} + smart codec" if plus else target
    facts = ctx.facts
    enc = _main_encoder(facts)
    opts = _main_options(facts, enc)
    running = enc.encoding if enc else None
    # A main stream running the codec proves the camera encodes it: the options (what it offers)
    # are needed only to tell "not running" from "cannot".
    if enc is None or (opts is None and running != target):
        error = _encoder_read_error(facts, enc)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("The camera reported no video encoder configuration."))
    cat_codecs = ctx.match.entry.facts.codecs if ctx.match else None
    cat_has = target in cat_codecs.value if cat_codecs else None
    cat_src = ctx.datasheet(cat_codecs.source) if cat_codecs and ctx.match else None
    offered_list = sorted({o.encoding for o in opts.options}) if opts else []
    # Media1 has no word for H.265 (its enum stops at H264): a Media1-only camera cannot show it.
    offered: bool | None = target in offered_list if (facts.media2 or target != "H265") else (
        True if target in offered_list else None)
    if running == target:
        offered = True
    seen = _("runs {running}; offers {offered}").format(running=running or "?",
                                                        offered=", ".join(offered_list) or "?")
    source = _encoder_source(ctx)
    if opts is not None:
        source = f"{_SRC_ENCODER_OPTS.format(media=ctx.media)}, {source}"
    if offered is None:
        if cat_has is False:
            return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=cat_src,
                            detail=_("The camera has no ONVIF Media2 (where H.265 is offered) and its datasheet "
                                     "lists no {codec}: replace the camera.").format(codec=target))
        if cat_has is None:
            return _no_model(ctx, rule, required, seen)
        return _verdict(rule, "WARN", seen=seen, required=required, evidence="catalogue", source=cat_src,
                        detail=_("The datasheet lists {codec}, but the camera has no ONVIF Media2, so it cannot show "
                                 "it: check the codec in the camera's web page.").format(codec=target))
    if not offered:
        if cat_has:
            return _contradiction(rule, device=_("no {codec} among its encoder options").format(codec=target),
                                  catalogue=_("{codec} supported").format(codec=target), source=source,
                                  required=required, seen=seen)
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                        detail=_("The camera cannot encode {codec}: replace the camera.").format(codec=target))
    if running != target:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source, fixable=True,
                        detail=_fixable(_("The main stream runs {running} although {codec} is offered.").format(
                            running=running or "?", codec=target)))
    if cat_has is False:
        return _contradiction(rule, device=_("{codec} running").format(codec=target),
                              catalogue=_("no {codec}").format(codec=target), source=source, required=required,
                              seen=seen)
    if not plus:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=source)
    smart = ctx.match.entry.facts.smart_codec if ctx.match else None
    if smart is None or ctx.match is None:
        ctx.catalogue_gaps.add(rule.id)
        return _verdict(rule, "WARN", seen=seen, required=required, evidence="device", source=source,
                        detail=_("{codec} is confirmed on the camera; whether it has the smart codec (\"+\") only "
                                 "the datasheet can say, and the model is not in the catalogue.").format(codec=target))
    smart_src = ctx.datasheet(smart.source)
    smart_names = ", ".join(smart.value) or _("no smart codec")
    seen_plus = f"{seen}; {smart_names}"
    if not smart.value:
        return _verdict(rule, "FAIL", seen=seen_plus, required=required, evidence="catalogue", source=smart_src,
                        detail=_("{codec} runs, but the datasheet lists no smart codec (H.265+): replace the "
                                 "camera.").format(codec=target))
    return _verdict(rule, "PASS", seen=seen_plus, required=required, evidence="device",
                    source=f"{source}; {smart_src}")


def _check_main_stream(ctx: _Context, rule: Rule) -> Verdict:
    target = ctx.profile.streams[rule.stream or "main"]
    required = target.describe()
    facts = ctx.facts
    enc = _main_encoder(facts)
    if enc is None:
        error = _read_error(facts, _OPS_ENCODER)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("The camera reported no video encoder configuration."))
    opts = _main_options(facts, enc)
    seen = _describe_encoder(enc)
    source = _encoder_source(ctx)
    wrong: list[str] = []
    impossible: list[str] = []
    media1_blind = not facts.media2 and target.codec == "H265"
    codec_opts = next((o for o in opts.options if o.encoding == target.codec), None) if opts else None
    cat_codecs = ctx.match.entry.facts.codecs if ctx.match else None
    if enc.encoding != target.codec:
        wrong.append(_("codec {seen} (wants {want})").format(seen=enc.encoding, want=target.codec))
        # Media1 cannot show H.265: there, only the datasheet can say the camera lacks it.
        if opts is not None and codec_opts is None and (
                not media1_blind or (cat_codecs is not None and target.codec not in cat_codecs.value)):
            impossible.append(target.codec)
    if (enc.width, enc.height) != (target.width, target.height):
        wrong.append(_("size {seen} (wants {want})").format(seen=f"{enc.width}x{enc.height}",
                                                             want=f"{target.width}x{target.height}"))
        offered = [r for o in ([codec_opts] if codec_opts else (opts.options if opts else [])) for r in o.resolutions]
        if offered and not any((r.width, r.height) == (target.width, target.height) for r in offered):
            impossible.append(f"{target.width}x{target.height}")
    if enc.fps is None or abs(enc.fps - target.fps) > 0.5:
        wrong.append(_("{seen} fps (wants {want})").format(seen=f"{enc.fps:g}" if enc.fps else "?",
                                                          want=f"{target.fps:g}"))
    if enc.bitrate_kbps is None or enc.bitrate_kbps > target.bitrate_kbps_max:
        wrong.append(_("{seen} kbit/s (cap {cap})").format(seen=enc.bitrate_kbps or "?", cap=target.bitrate_kbps_max))
    elif target.bitrate_kbps_min and enc.bitrate_kbps < target.bitrate_kbps_min:
        wrong.append(_("{seen} kbit/s (at least {floor})").format(seen=enc.bitrate_kbps,
                                                                  floor=target.bitrate_kbps_min))
    if not wrong:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=source)
    if impossible:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                        detail=_("The main stream is off target ({wrong}) and the camera does not offer {missing}: "
                                 "replace the camera.").format(wrong="; ".join(wrong), missing=", ".join(impossible)))
    if media1_blind and enc.encoding != target.codec:
        # Provisioning sets the encoder over Media2; Media1 has no H.265 to set.
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                        detail=_("The main stream is off target: {wrong}. The camera has no ONVIF Media2, so "
                                 "{codec} cannot be set over ONVIF: set it in the camera's web page.").format(
                            wrong="; ".join(wrong), codec=target.codec))
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source, fixable=True,
                    detail=_fixable(_("The main stream is off target: {wrong}.").format(wrong="; ".join(wrong))))


def _check_ir(ctx: _Context, rule: Rule) -> Verdict:
    want_m = rule.ir_range_m or 0
    need_auto = rule.ir_cut_auto is not False
    required = _("day/night (IR-cut AUTO), IR {range:g} m").format(range=want_m)
    facts = ctx.facts
    img = _imaging(facts)
    if img is None:
        error = _read_error(facts, _OPS_IMAGING)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("The camera reported no imaging settings (no ONVIF Imaging service)."))
    modes = img.options.ir_cut_modes if img.options else []
    auto_offered = "AUTO" in modes if modes else None
    cat = ctx.match.entry.facts if ctx.match else None
    seen_parts = [_("IR-cut {mode} (offers {modes})").format(mode=img.ir_cut_filter or "?",
                                                               modes=", ".join(modes) or "?")]
    source = _SRC_IMAGING
    if need_auto and auto_offered is False:
        # Only forced modes (ON only, or any single mode but AUTO): the camera is stuck over ONVIF,
        # whatever the datasheet says, so this is a FAIL on the device's own evidence.
        if cat and cat.ir_cut and cat.ir_cut.value:
            return _verdict(rule, "FAIL", seen=seen_parts[0], required=required, evidence="device", source=source,
                            detail=_("The camera offers only {modes} for its IR-cut filter over ONVIF, although its "
                                     "datasheet lists a day/night filter: set Day/Night to Auto in the camera's web "
                                     "page (or update its firmware), then check again.").format(modes=", ".join(modes)))
        return _verdict(rule, "FAIL", seen=seen_parts[0], required=required, evidence="device", source=source,
                        detail=_("The camera cannot switch day/night by itself (no AUTO IR-cut mode): "
                                 "replace the camera."))
    range_known = cat is not None and cat.ir_range_m is not None and ctx.match is not None
    if range_known:
        assert cat is not None
        assert cat.ir_range_m is not None
        assert ctx.match is not None
        seen_parts.append(_("IR {range:g} m (datasheet)").format(range=cat.ir_range_m.value))
        source = f"{_SRC_IMAGING}; {ctx.datasheet(cat.ir_range_m.source)}"
        if cat.ir_range_m.value < want_m:
            return _verdict(rule, "FAIL", seen="; ".join(seen_parts), required=required, evidence="catalogue",
                            source=source,
                            detail=_("The infrared reaches {seen:g} m; the profile asks for {want:g} m: replace the "
                                     "camera.").format(seen=cat.ir_range_m.value, want=want_m))
    seen = "; ".join(seen_parts)
    # A forced IR-cut is the device's own evidence: it fails whatever the datasheet says.
    if need_auto and img.ir_cut_filter and img.ir_cut_filter.upper() != "AUTO":
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source, fixable=True,
                        detail=_fixable(_("The IR-cut filter is forced {mode}: the picture will not switch between "
                                          "day and night.").format(mode=img.ir_cut_filter)))
    if not range_known:
        return _no_model(ctx, rule, required, seen_parts[0])
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=source)


def _check_wdr(ctx: _Context, rule: Rule) -> Verdict:
    want_db = rule.wdr_db or 0
    true_only = rule.true_wdr is not False
    required = _("true WDR {db} dB").format(db=want_db) if true_only else _("WDR {db} dB").format(db=want_db)
    facts = ctx.facts
    img = _imaging(facts)
    error = _read_error(facts, _OPS_IMAGING)
    if img is None and error is not None:
        return _unknown_read(rule, error, required)
    modes = img.options.wdr_modes if img and img.options else []
    device_on: bool | None = ("ON" in modes) if modes else None
    device_seen = _("WDR {mode} (offers {modes})").format(mode=img.wdr_mode or "?", modes=", ".join(modes) or "?") \
        if img else _("no imaging settings")
    cat = ctx.match.entry.facts if ctx.match else None
    kind = cat.wdr.value if cat and cat.wdr else None
    db = cat.wdr_db.value if cat and cat.wdr_db else None
    cat_true = kind == "true" if kind else None
    src = _SRC_IMAGING
    if cat and ctx.match and (cat.wdr or cat.wdr_db):
        src = f"{src}; {ctx.datasheet((cat.wdr or cat.wdr_db).source)}"  # type: ignore[union-attr]
    cat_text = (_("{kind} WDR").format(kind=kind) + (f" {db} dB" if db else "")) if kind else None
    seen = f"{device_seen}; {cat_text}" if cat_text else device_seen
    if device_on is False:
        if cat_true:
            return _contradiction(rule, device=_("no WDR mode ON over ONVIF"), catalogue=cat_text or "",
                                  source=src, required=required, seen=seen)
        why = _("digital WDR only (DWDR)") if kind == "digital" else _("no WDR the camera can switch on")
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=src,
                        detail=_("The camera has {why}; the profile asks for {required}: replace the "
                                 "camera.").format(why=why, required=required))
    if cat is None or kind is None or ctx.match is None:
        return _no_model(ctx, rule, required, device_seen)
    if device_on and kind != "true" and true_only:
        return _contradiction(rule, device=_("a WDR mode ON"), catalogue=cat_text or "", source=src,
                              required=required, seen=seen)
    if true_only and kind != "true":
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=src,
                        detail=_("The datasheet gives {seen}; the profile asks for {required}: replace the "
                                 "camera.").format(seen=cat_text, required=required))
    if db is None:
        return _no_model(ctx, rule, required, seen)
    if db < want_db:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=src,
                        detail=_("The datasheet gives {db} dB; the profile asks for {want} dB: replace the "
                                 "camera.").format(db=db, want=want_db))
    detail = ""
    if img and (img.wdr_mode or "").upper() == "OFF":
        detail = _("WDR is switched off at the moment; kitchencam provision switches it on.")
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device" if device_on else "catalogue",
                    source=src, detail=detail)


_PROFILE_NAMES = {"STREAMING": "S"}


def _check_onvif(ctx: _Context, rule: Rule) -> Verdict:
    wanted = rule.onvif_profiles or []
    required = _("ONVIF Profile {profiles}").format(profiles=", ".join(wanted))
    facts = ctx.facts
    device_ns = "http://www.onvif.org/ver10/device/wsdl"
    version = facts.services.get(device_ns).version if device_ns in facts.services else None  # type: ignore[union-attr]
    answered = _("answers ONVIF") + (f" {version}" if version else "")
    if facts.scopes is None or not facts.scopes.profiles:
        cat = ctx.match.entry.facts.onvif_profiles if ctx.match else None
        if cat is None or ctx.match is None:
            error = _read_error(facts, ("GetScopes",))
            if error is not None:
                return _unknown_read(rule, error, required)
            return _no_model(ctx, rule, required, answered)
        have = set(cat.value)
        seen = f"{answered}; " + _("Profile {profiles} (datasheet)").format(profiles=", ".join(cat.value))
        missing = [p for p in wanted if p not in have]
        src = f"{_SRC_SCOPES}; {ctx.datasheet(cat.source)}"
        if missing:
            return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=src,
                            detail=_("The datasheet lists no ONVIF Profile {missing}.").format(
                                missing=", ".join(missing)))
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="catalogue", source=src)
    have = {_PROFILE_NAMES.get(p.upper(), p.upper()) for p in facts.scopes.profiles}
    shown = sorted(have)
    seen = f"{answered}; " + _("Profile {profiles} (scopes)").format(profiles=", ".join(shown))
    missing = [p for p in wanted if p not in have]
    if missing:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_SCOPES,
                        detail=_("The camera does not announce ONVIF Profile {missing}: update its firmware or "
                                 "replace it.").format(missing=", ".join(missing)))
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=_SRC_SCOPES)


def _check_clock(ctx: _Context, rule: Rule) -> Verdict:
    limit = rule.max_clock_offset_s or 5.0
    required = _("within {limit:g} s of true time").format(limit=limit)
    time = ctx.facts.time
    if time is None or time.clock_offset_s is None:
        error = _read_error(ctx.facts, _OPS_TIME)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required, detail=_("The camera did not report its clock."))
    offset = time.clock_offset_s
    if abs(offset) <= limit:
        seen = _("{amount} ahead").format(amount=_duration(offset)) if offset > 0 else \
            _("{amount} behind").format(amount=_duration(offset))
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=_SRC_TIME)
    if offset > 0:
        seen = _("{amount} ahead").format(amount=_duration(offset))
        text = _("The camera clock is {amount} ahead of true time.").format(amount=_duration(offset))
    else:
        seen = _("{amount} behind").format(amount=_duration(offset))
        text = _("The camera clock is {amount} behind true time.").format(amount=_duration(offset))
    if time.date_time_type == "NTP":
        text += " " + _("NTP is on but not working: check that the camera can reach its NTP server "
                        "(gateway and DNS settings).")
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_TIME, fixable=True,
                    detail=_fixable(text))


def _check_ntp(ctx: _Context, rule: Rule) -> Verdict:
    required = _("time type NTP, with a server")
    facts = ctx.facts
    kind = facts.time.date_time_type if facts.time else None
    if kind is None:
        error = _read_error(facts, _OPS_TIME)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("The camera did not say whether its time comes from NTP."))
    servers = facts.ntp.servers if facts.ntp else []
    ntp_error = _read_error(facts, ("GetNTP",))
    # "none" only when GetNTP answered with no server; a failed read is said as such.
    if facts.ntp is None:
        shown = _("not read") if ntp_error is not None else "?"
    else:
        shown = ", ".join(servers) if servers else (_("from DHCP") if facts.ntp.from_dhcp else _("none"))
    seen = _("time type {kind}; NTP servers: {servers}").format(kind=kind, servers=shown)
    if kind != "NTP":
        text = _("The clock is set by hand (Manual), not by NTP.")
        if facts.ntp is None and ntp_error is not None:
            text += " " + _("Its NTP servers could not be read ({operation}): {message}").format(
                operation=ntp_error.operation, message=ntp_error.message)
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_NTP, fixable=True,
                        detail=_fixable(text))
    if facts.ntp is None:
        if ntp_error is not None:
            verdict = _unknown_read(rule, ntp_error, required)
            return verdict.model_copy(update={"seen": seen})
        return _verdict(rule, "UNKNOWN", seen=seen, required=required, evidence="device", source=_SRC_NTP,
                        detail=_("NTP is on, but the camera did not say which NTP server it uses."))
    if not servers and not facts.ntp.from_dhcp:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_NTP, fixable=True,
                        detail=_fixable(_("NTP is on but no NTP server is set.")))
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=_SRC_NTP)


def _check_timezone(ctx: _Context, rule: Rule) -> Verdict:
    want = rule.timezone_offset_minutes if rule.timezone_offset_minutes is not None else 0
    required = _("{offset}, no DST ({posix})").format(offset=format_offset(want), posix=posix_tz(want)) \
        if not rule.allow_dst else format_offset(want)
    time = ctx.facts.time
    if time is None or not time.timezone:
        error = _read_error(ctx.facts, _OPS_TIME)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required, detail=_("The camera did not report a time zone."))
    reading = read_timezone(time.timezone)
    if reading is None:
        return _verdict(rule, "UNKNOWN", seen=time.timezone, required=required, evidence="device", source=_SRC_TIME,
                        detail=_("The time zone {tz!r} could not be read as an offset; kitchencam provision "
                                 "sets it to {posix}.").format(tz=time.timezone, posix=posix_tz(want)))
    seen = f"{time.timezone} = {format_offset(reading.offset_minutes)}"
    dst = bool(time.dst) or reading.has_dst
    if reading.offset_minutes != want:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_TIME, fixable=True,
                        detail=_fixable(_("The camera keeps {seen} instead of {want}: its on-screen time is "
                                          "off by {hours}.").format(seen=format_offset(reading.offset_minutes),
                                                                   want=format_offset(want),
                                                                   hours=_duration((reading.offset_minutes - want)
                                                                                   * 60))))
    if dst and not rule.allow_dst:
        return _verdict(rule, "FAIL", seen=f"{seen}, DST", required=required, evidence="device", source=_SRC_TIME,
                        fixable=True, detail=_fixable(_("Daylight saving time is on; Viet Nam has none.")))
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=_SRC_TIME)


def _check_default_credentials(ctx: _Context, rule: Rule) -> Verdict:
    """Judges the camera: does it keep a factory login, or let in any password at all?

    Only a login the camera really accepted (on a call that needs one) says anything; then one
    deliberately wrong, random password tells a camera that checks passwords from one that does
    not. No other password is ever tried.
    """
    required = _("refuses wrong passwords; not a vendor default login")
    creds = ctx.credentials
    source = _("login used for this check, and one random wrong password")
    if creds is None:
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("Not known which login read the camera, so it cannot be compared with the "
                                 "vendors' defaults."))
    if not creds.login_proven:
        return _verdict(rule, "UNKNOWN", required=required, evidence="device", source=source,
                        detail=_("The camera never accepted the login on a call that needs one (it was refused, "
                                 "or only calls that need no password were answered): this proves nothing about "
                                 "its passwords. Check with the camera's working user name and password."))
    if creds.accepts_any_password:
        return _verdict(rule, "FAIL", seen=_("{user}: a random wrong password was accepted too").format(
                            user=creds.user),
                        required=required, evidence="device", source=source,
                        detail=_("The camera accepts any password: anyone on the network can log in to it. Turn "
                                 "on authentication for ONVIF in its web page (Hikvision: Network > Advanced > "
                                 "Integration Protocol; Dahua: Network > Access Platform), update its firmware, "
                                 "then check again."))
    if creds.vendor_default:
        return _verdict(rule, "FAIL", seen=_("{user}: a vendor default ({matched})").format(
                            user=creds.user, matched=creds.matched or "?"),
                        required=required, evidence="device", source=source,
                        detail=_("The camera still accepts a factory login that anyone can look up. Set a strong "
                                 "administrator password on the camera, then check again with it."))
    if creds.accepts_any_password is None:
        return _verdict(rule, "UNKNOWN", seen=_("{user}: not a known default").format(user=creds.user),
                        required=required, evidence="device", source=source,
                        detail=_("Not tested whether the camera refuses a wrong password ({why}). Run the check "
                                 "again later.").format(why=creds.probe_note or _("no answer")))
    return _verdict(rule, "PASS", seen=_("{user}: not a known default; a wrong password is refused").format(
                        user=creds.user),
                    required=required, evidence="device", source=source)


# --- catalogue rules -------------------------------------------------------------------------


def _check_lens(ctx: _Context, rule: Rule) -> Verdict:
    want = rule.lens_mm or 0
    tol = rule.lens_tolerance_mm if rule.lens_tolerance_mm is not None else 0.1
    required = _("fixed {mm:g} mm").format(mm=want)
    match = ctx.match
    if match is None or not match.lens_options:
        return _no_model(ctx, rule, required)
    options = match.lens_options
    shown = " / ".join(f"{mm:g} mm" for mm in options)
    fact_source = match.sku.source if match.sku is not None else (match.entry.facts.lens_mm.source
                                                                   if match.entry.facts.lens_mm else "")
    source = ctx.datasheet(fact_source)
    fits = [mm for mm in options if abs(mm - want) <= tol]
    if match.sku is not None or len(options) == 1:
        seen = _("{lens} (SKU {sku})").format(lens=shown, sku=match.sku.suffix) if match.sku else shown
        if fits:
            return _verdict(rule, "PASS", seen=seen, required=required, evidence="catalogue", source=source)
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=source,
                        detail=_lens_advice(match, want, tol))
    seen = _("{model} is sold with {lens}; the model string does not say which").format(
        model=match.entry.model, lens=shown)
    if not fits:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=source,
                        detail=_("No version of {model} has a {mm:g} mm lens: replace the camera.").format(
                            model=match.entry.model, mm=want))
    ctx.catalogue_gaps.add(rule.id)
    return _verdict(rule, "MANUAL", seen=seen, required=required, evidence="catalogue", source=source,
                    detail=_("Read the lens on the camera's label or box, then attest it: "
                             "--attest {rule}=yes --by NAME.").format(rule=rule.id))


def _lens_advice(match: ModelMatch, want: float, tol: float) -> str:
    sku = next((s for s in match.entry.skus if s.lens_mm is not None and abs(s.lens_mm - want) <= tol), None)
    if sku is not None:
        return _("This camera has the wrong lens: exchange it for {model}{suffix} ({mm:g} mm).").format(
            model=match.entry.model, suffix=sku.suffix, mm=want)
    return _("No version of {model} has a {mm:g} mm lens: replace the camera.").format(
        model=match.entry.model, mm=want)


def _ip_digits(code: str) -> tuple[int, int]:
    digits = code.upper().removeprefix("IP")
    solid = int(digits[0]) if digits[:1].isdigit() else 0
    liquid = int(digits[1]) if digits[1:2].isdigit() else 0
    return solid, liquid


def _check_ip_rating(ctx: _Context, rule: Rule) -> Verdict:
    want = rule.ip_rating or "IP67"
    fact = ctx.match.entry.facts.ip_rating if ctx.match else None
    if fact is None or ctx.match is None:
        return _no_model(ctx, rule, want)
    have_s, have_l = _ip_digits(fact.value)
    want_s, want_l = _ip_digits(want)
    source = ctx.datasheet(fact.source)
    if have_s >= want_s and have_l >= want_l:
        return _verdict(rule, "PASS", seen=fact.value, required=want, evidence="catalogue", source=source)
    return _verdict(rule, "FAIL", seen=fact.value, required=want, evidence="catalogue", source=source,
                    detail=_("The housing is rated {seen}; the profile asks for {want}: replace the "
                             "camera.").format(seen=fact.value, want=want))


def _check_platform(ctx: _Context, rule: Rule) -> Verdict:
    needs = rule.platform_features or []
    required = "; ".join(f"{n.capability} ({', '.join(n.words)})" if n.words else n.capability for n in needs)
    fact = ctx.match.entry.facts.platform if ctx.match else None
    facts = ctx.facts
    ddns_note = ""
    if facts.dynamic_dns is not None:
        ddns_note = _("GetDynamicDNS answers ({type})").format(type=facts.dynamic_dns.type or "?")
    else:
        error = _read_error(facts, ("GetDynamicDNS",))
        if error is not None:
            ddns_note = _("GetDynamicDNS failed: {message}").format(message=error.message)
    if fact is None or ctx.match is None:
        return _no_model(ctx, rule, required, ddns_note or None)
    provided: dict[str, list[str]] = {}
    for feature in fact.value:
        for cap in feature.provides:
            provided.setdefault(cap, []).append(feature.name)
    seen = ", ".join(f.name for f in fact.value) or _("none")
    if ddns_note:
        seen = f"{seen}; {ddns_note}"
    source = ctx.datasheet(fact.source)
    if facts.dynamic_dns is not None:
        source = f"{source}; ONVIF GetDynamicDNS"
    missing = [n for n in needs if n.capability not in provided]
    if missing:
        names = ", ".join(f"{n.capability} ({', '.join(n.words)})" if n.words else n.capability for n in missing)
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=source,
                        detail=_("The datasheet lists nothing for: {missing}. The camera cannot reach the "
                                 "district's platform the way the letter asks: replace it.").format(missing=names))
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="catalogue", source=source)


def _check_series(ctx: _Context, rule: Rule) -> Verdict:
    wanted = rule.series or []
    equivalents = rule.equivalent_series or []
    required = ", ".join(wanted)
    fact = ctx.match.entry.facts.series if ctx.match else None
    if fact is None or ctx.match is None:
        return _no_model(ctx, rule, required, ctx.model_string)
    seen = f"{ctx.match.entry.manufacturer} {ctx.match.entry.model}: {fact.value}"
    source = f"{_SRC_DEVICE_INFO}; {ctx.datasheet(fact.source)}"
    if fact.value in wanted:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="catalogue", source=source)
    if fact.value in equivalents:
        return _verdict(rule, "WARN", seen=seen, required=required, evidence="catalogue", source=source,
                        detail=_("{series} is offered as an equivalent of {wanted}: the district decides whether "
                                 "to accept it.").format(series=fact.value, wanted=required))
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=source,
                    detail=_("The letter names the {wanted} series; this camera is {series}.").format(
                        wanted=required, series=fact.value))


def _check_catalogue_fact(ctx: _Context, rule: Rule) -> Verdict:
    name = rule.fact or ""
    want = rule.equals
    required = f"{name} = {_show(want)}"
    fact = getattr(ctx.match.entry.facts, name, None) if ctx.match else None
    if fact is None or ctx.match is None:
        return _no_model(ctx, rule, required)
    seen = f"{name} = {_show(fact.value)}"
    source = ctx.datasheet(fact.source)
    if fact.note:
        source = f"{source} ({fact.note})"
    if fact.value == want:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="catalogue", source=source)
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=source,
                    detail=_("The datasheet of {model} gives {seen}; the profile asks for {required}.").format(
                        model=ctx.match.entry.model, seen=seen, required=required))


def _show(value: object) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


# --- manual and site rules -------------------------------------------------------------------


def _check_attestation(ctx: _Context, rule: Rule) -> Verdict:
    question = rule.question_vi if (rule.question_vi and current_language() == "vi") else (rule.question or "")
    return _verdict(rule, "MANUAL", required=question,
                    detail=_("Needs the technician's answer: --attest {rule}=yes|no --by NAME.").format(rule=rule.id))


def _check_uplink(ctx: _Context, rule: Rule) -> Verdict:
    stream = ctx.profile.streams[rule.stream or "main"]
    per_camera = stream.bitrate_kbps_max * (rule.overhead or 1.1) * (rule.headroom or 1.3)
    site = ctx.site
    cameras = (site.cameras_on_uplink if site and site.cameras_on_uplink else 1)
    need = per_camera * cameras
    required = _("≥ {need:.2f} Mbit/s sustained upload for {n} camera(s) ({per:.2f} Mbit/s each)").format(
        need=need / 1000, n=cameras, per=per_camera / 1000)
    if site is None or site.upload_kbps is None:
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("The school's upload has not been measured yet: run kitchencam bandwidth."))
    carries = int(site.upload_kbps // per_camera)
    seen = _("{up:.2f} Mbit/s sustained upload: carries {carries} camera(s)").format(
        up=site.upload_kbps / 1000, carries=carries)
    if site.upload_kbps >= need:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="site", source=_("upload test"))
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="site", source=_("upload test"),
                    detail=_("The school's line cannot carry {n} camera(s) at the profile's bitrate: ask the "
                             "internet provider for more upload, or put fewer cameras on this line.").format(n=cameras))


def _check_power(ctx: _Context, rule: Rule) -> Verdict:
    required = _("power at the camera's spot")
    if ctx.site is not None and ctx.site.poe_seen:
        return _verdict(rule, "PASS", seen=_("PoE seen on the switch port"), required=required, evidence="site",
                        source=_("switch"))
    return _verdict(rule, "MANUAL", required=required,
                    detail=_("Needs the technician's answer: --attest {rule}=yes|no --by NAME.").format(rule=rule.id))


def _check_centre_registration(ctx: _Context, rule: Rule) -> Verdict:
    required = _("registration confirmed by the district centre")
    site = ctx.site
    if site is None or site.registered is None:
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("Not registered with the centre yet: run kitchencam register."))
    if site.registered:
        seen = _("registered") + (f" ({site.centre_device_id})" if site.centre_device_id else "")
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="site", source=_("district centre"))
    return _verdict(rule, "FAIL", seen=_("not registered"), required=required, evidence="site",
                    source=_("district centre"),
                    detail=_("The centre has not confirmed this camera: run kitchencam register, then kitchencam "
                             "sync."))


def _check_installed_by_deadline(ctx: _Context, rule: Rule) -> Verdict:
    deadline = ctx.profile.deadline
    required = _("installed on or before {date}").format(date=deadline.isoformat())
    site = ctx.site
    if site is None or site.installed_on is None:
        return _verdict(rule, "UNKNOWN", required=required, detail=_("The install date is not recorded yet."))
    seen = site.installed_on.isoformat()
    if site.installed_on <= deadline:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="site", source=_("install record"))
    days = (site.installed_on - deadline).days
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="site", source=_("install record"),
                    detail=_("Installed {days} day(s) after the letter's deadline.").format(days=days))


_CHECKS = {
    "resolution": _check_resolution,
    "codec": _check_codec,
    "main_stream": _check_main_stream,
    "ir": _check_ir,
    "wdr": _check_wdr,
    "onvif": _check_onvif,
    "clock": _check_clock,
    "ntp": _check_ntp,
    "timezone": _check_timezone,
    "default_credentials": _check_default_credentials,
    "lens": _check_lens,
    "ip_rating": _check_ip_rating,
    "platform": _check_platform,
    "series": _check_series,
    "catalogue_fact": _check_catalogue_fact,
    "attestation": _check_attestation,
    "uplink": _check_uplink,
    "power": _check_power,
    "centre_registration": _check_centre_registration,
    "installed_by_deadline": _check_installed_by_deadline,
}


# --- attestations, severity, and the entry points ---------------------------------------------


def _apply_attestation(ctx: _Context, rule: Rule, verdict: Verdict) -> Verdict:
    att = ctx.attestations.get(rule.id)
    if att is None:
        return verdict
    answer = _("yes") if att.answer else _("no")
    who = _("{by} attested {answer} on {at}").format(by=att.by, answer=answer, at=att.at.isoformat(timespec="minutes"))
    if att.note:
        who = f"{who} ({att.note})"
    stamp = {"attested_by": att.by, "attested_at": att.at}
    may_answer = rule.kind in ("catalogue", "manual", "site") or rule.id in ctx.catalogue_gaps
    if verdict.status in ("MANUAL", "UNKNOWN") and may_answer:
        if verdict.status == "UNKNOWN" and rule.id not in ctx.catalogue_gaps and rule.kind == "device":
            return verdict
        status: VerdictStatus = "PASS" if att.answer else "FAIL"
        detail = who if att.answer else _("{who}: fix it, then attest again.").format(who=who)
        return verdict.model_copy(update={"status": status, "evidence": "technician", "seen": answer,
                                          "source": _("technician's attestation"), "detail": detail,
                                          "fixable_by_provision": False, **stamp})
    if verdict.status in ("PASS", "FAIL") and verdict.evidence in ("catalogue", "site"):
        agrees = (verdict.status == "PASS") == att.answer
        if agrees:
            return verdict.model_copy(update={"detail": f"{verdict.detail} {who}".strip(), **stamp})
        return verdict.model_copy(update={
            "status": "WARN", **stamp,
            "detail": _("The {evidence} says {status}, but {who}. Check on site which is right.").format(
                evidence=verdict.evidence, status=verdict.status, who=who)})
    # Device evidence outranks the technician: keep it, and say the attestation was not used.
    return verdict.model_copy(update={"detail": (verdict.detail + " " + _(
        "({who}; what the camera reports takes precedence.)").format(who=who)).strip()})


def _apply_severity(rule: Rule, verdict: Verdict) -> Verdict:
    if rule.severity == "advisory" and verdict.status == "FAIL":
        return verdict.model_copy(update={"status": "WARN", "detail": (
            verdict.detail + " " + _("(Advisory rule: reported, not failed.)")).strip()})
    return verdict


def audit(facts: Facts, profile: Profile, catalogue: Catalogue, attestations: Iterable[Attestation], *,
          site: SiteFacts | None = None, now: datetime, credentials: CredentialFacts | None = None) -> list[Verdict]:
    """One verdict per rule of ``profile``, in the profile's order. Pure: same inputs, same verdicts.

    ``credentials`` says whether the login used was a vendor default (see ``credential_facts``);
    without it the default-credentials rule is UNKNOWN. The latest attestation per rule counts.
    """
    model_string = None
    if facts.device_info is not None and facts.device_info.model:
        model_string = facts.device_info.model
    elif facts.scopes is not None and facts.scopes.hardware:
        model_string = facts.scopes.hardware
    latest: dict[str, Attestation] = {}
    for att in sorted(attestations, key=lambda a: a.at):
        latest[att.rule] = att
    ctx = _Context(facts=facts, profile=profile, match=catalogue.match(model_string), model_string=model_string,
                   attestations=latest, site=site, credentials=credentials, now=now)
    verdicts = []
    for rule in profile.rules:
        verdict = _CHECKS[rule.check](ctx, rule)
        verdict = _apply_attestation(ctx, rule, verdict)
        verdicts.append(_apply_severity(rule, verdict))
    return verdicts


#: The words of a verdict, which depend on the language (the rest does not).
TEXT_FIELDS = ("seen", "required", "detail", "source")


def verdict_texts(verdicts: list[Verdict], facts: Facts, profile: Profile, catalogue: Catalogue,
                  attestations: Iterable[Attestation], *, site: SiteFacts | None = None, now: datetime,
                  credentials: CredentialFacts | None = None) -> dict[str, list[dict[str, str | None]]]:
    """The words of ``verdicts`` (made in the current language) in every language, same order.

    The audit is pure, so judging the same facts again in the other language gives the same
    verdicts in other words: the minutes quote the evidence in their own language, whatever
    the technician's messages were in.
    """
    from kitchencam.i18n import LANGUAGES, speaking

    out = {current_language(): [{k: getattr(v, k) for k in TEXT_FIELDS} for v in verdicts]}
    attestations = list(attestations)
    for lang in LANGUAGES:
        if lang in out:
            continue
        with speaking(lang):
            again = audit(facts, profile, catalogue, attestations, site=site, now=now, credentials=credentials)
        out[lang] = [{k: getattr(v, k) for k in TEXT_FIELDS} for v in again]
    return out


def credential_facts(user: str, password: str, manufacturer: str | None, profile: Profile, *,
                     login_proven: bool = True, accepts_any_password: bool | None = None,
                     probe_note: str | None = None) -> CredentialFacts:
    """What the camera showed about its logins (see ``_check_default_credentials``). Keeps no password.

    ``login_proven``: the camera accepted this login on a call that needs one. A known vendor
    default counts only then: the camera keeps a factory login (a refused one proves nothing).
    ``accepts_any_password``: the answer to one random wrong password (None: not asked).
    """
    seen = CredentialFacts(user=user, vendor_default=False, login_proven=login_proven,
                           accepts_any_password=accepts_any_password, probe_note=probe_note)
    defaults: list[KnownDefault] = []
    for rule in profile.rules:
        if rule.check == "default_credentials":
            defaults += rule.known_defaults or []
    vendor = (manufacturer or "").strip().lower()
    for known in defaults:
        if known.vendor and known.vendor.lower() != vendor:
            continue
        if known.user == user and known.password == password:
            label = known.label() + (f", {known.note}" if known.note else "")
            return seen.model_copy(update={"vendor_default": True, "matched": label})
    return seen


def summarise(verdicts: Iterable[Verdict], *, kinds: Collection[str] | None = None) -> tuple[dict[str, int], str]:
    """Counts per status (all five keys) and one overall word.

    Overall: FAIL if any rule fails; else INCOMPLETE if any is UNKNOWN or MANUAL; else WARN if any
    warns; else PASS. ``kinds`` limits it to some rule kinds (e.g. ``{"device", "catalogue"}`` for
    the camera alone, while the site stages have not run).
    """
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for v in verdicts:
        if kinds is None or v.kind in kinds:
            counts[v.status] += 1
    if counts["FAIL"]:
        overall = "FAIL"
    elif counts["UNKNOWN"] or counts["MANUAL"]:
        overall = "INCOMPLETE"
    elif counts["WARN"]:
        overall = "WARN"
    else:
        overall = "PASS"
    return counts, overall


def has_failures(verdicts: Iterable[Verdict]) -> bool:
    """True when any rule FAILs (``kitchencam check`` then exits 3)."""
    return any(v.status == "FAIL" for v in verdicts)


# Shared with provisioning: which encoder is the main stream, and its options.
main_encoder = _main_encoder
main_options = _main_options
