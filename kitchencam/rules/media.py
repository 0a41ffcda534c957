"""The main stream's checks: what the sensor can give (resolution), the codec it offers and
runs, and the stream settings it runs (size, frame rate, bitrate).
"""

from __future__ import annotations

from kitchencam.i18n import _
from kitchencam.models import Verdict, VideoEncoder
from kitchencam.profile import Rule, parse_resolution
from kitchencam.rules.context import (
    _OPS_ENCODER,
    _SRC_ENCODER_OPTS,
    Context,
    _contradiction,
    _encoder_read_error,
    _encoder_source,
    _fixable,
    _main_encoder,
    _main_options,
    _no_model,
    _read_error,
    _unknown_read,
    _vendor_note,
    _verdict,
)
from kitchencam.rules.registry import register


@register("resolution", evidence={"device"}, needs={"min_resolution"})
def check_resolution(ctx: Context, rule: Rule) -> Verdict:
    """The main stream cannot reach the profile's ``min_resolution``.

    Why: the letter asks for "Camera IP thân hồng ngoại 2.0 MP"; a smaller sensor cannot show a
    cook's hands or a label. No setting changes the sensor, so a FAIL means replace the camera.
    Evidence: the encoder options (device), else a main stream running at or above the size, else
    the datasheet's ``max_resolution``.
    Example: ``up to 1280x720 (0.9 MP)`` against ``1920x1080 (2.1 MP)`` -> FAIL.
    """
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


def _running_resolution(ctx: Context, rule: Rule, enc: VideoEncoder | None, required: str, cat: object,
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


@register("codec", evidence={"device"}, needs={"codec"}, allows={"smart_codec"})
def check_codec(ctx: Context, rule: Rule) -> Verdict:
    """The main stream does not offer or run the profile's codec (and smart codec).

    Why: the letter asks for "Chuẩn nén H256+" (H.265+): it halves the school's upload and the
    centre's storage. Offered but not running: ``kitchencam provision`` fixes it; not offered:
    replace. A Media1-only camera cannot show H.265, so there the vendor API's main-stream codec,
    else the datasheet decides. The "+" is the vendor API's smart codec when it answered (off: a
    FAIL provisioning fixes through that API), else the datasheet's.
    Example: ``runs H264; offers H264, H265, JPEG`` against ``H265 + smart codec`` -> FAIL, fixable.
    """
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
    vendor = facts.vendor
    vendor_codec = vendor.main_codec if vendor is not None else None
    if offered is None and vendor_codec is not None:
        # ONVIF Media1 cannot name H.265, the vendor's own API can: it says what the main stream runs.
        seen = f"{seen}; " + _("{api}: main stream {codec}").format(api=vendor.api if vendor else "?",
                                                                   codec=vendor_codec.value)
        source = f"{source}; {vendor_codec.call}"
        if vendor_codec.value.upper() == target:
            offered, running = True, target
        elif cat_has:
            return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                            detail=_("The camera's own API says the main stream runs {running}; its datasheet lists "
                                     "{codec}, which ONVIF Media1 cannot set: set {codec} in the camera's web "
                                     "page.").format(running=vendor_codec.value, codec=target))
    if offered is None:
        fallback = _vendor_note(facts.vendor_choice) if vendor is None else ""
        if cat_has is False:
            return _verdict(rule, "FAIL", seen=seen, required=required, evidence="catalogue", source=cat_src,
                            detail=_join(_("The camera has no ONVIF Media2 (where H.265 is offered) and its datasheet "
                                           "lists no {codec}: replace the camera.").format(codec=target), fallback))
        if cat_has is None:
            return _no_model(ctx, rule, required, seen)
        return _verdict(rule, "WARN", seen=seen, required=required, evidence="catalogue", source=cat_src,
                        detail=_join(_("The datasheet lists {codec}, but the camera has no ONVIF Media2, so it cannot "
                                       "show it: check the codec in the camera's web page.").format(codec=target),
                                     fallback))
    if not offered:
        if cat_has:
            return _contradiction(rule, device=_("no {codec} among its encoder options").format(codec=target),
                                  catalogue=_("{codec} supported").format(codec=target), source=source,
                                  required=required, seen=seen)
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                        detail=_("The camera cannot encode {codec}: replace the camera.").format(codec=target))
    told_plus = vendor.smart_codec if vendor is not None and plus else None
    if running != target:
        detail = _("The main stream runs {running} although {codec} is offered.").format(running=running or "?",
                                                                                     codec=target)
        if told_plus is not None:
            # The "+" as the device tells it, so the technician sees both halves of "H.265+" at once.
            seen = f"{seen}; " + (_("smart codec on") if told_plus.value else _("smart codec off"))
            source = f"{source}; {told_plus.call}"
            if not told_plus.value:
                detail = _join(detail, _("Its smart codec (the \"+\") is off as well ({call}).").format(
                    call=told_plus.call))
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source, fixable=True,
                        detail=_fixable(detail))
    if cat_has is False:
        return _contradiction(rule, device=_("{codec} running").format(codec=target),
                              catalogue=_("no {codec}").format(codec=target), source=source, required=required,
                              seen=seen)
    if not plus:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=source)
    smart = ctx.match.entry.facts.smart_codec if ctx.match else None
    told = vendor.smart_codec if vendor is not None else None
    if told is not None:
        return _smart_codec_told(rule, told.value, told.call, seen=seen, required=required, source=source,
                                 codec=target)
    fallback = _smart_codec_fallback(ctx)
    if smart is None or ctx.match is None:
        ctx.catalogue_gaps.add(rule.id)
        return _verdict(rule, "WARN", seen=seen, required=required, evidence="device", source=source,
                        detail=_join(_("{codec} is confirmed on the camera; whether it has the smart codec (\"+\") "
                                       "only the datasheet can say, and the model is not in the catalogue.").format(
                                           codec=target), fallback))
    smart_src = ctx.datasheet(smart.source)
    smart_names = ", ".join(smart.value) or _("no smart codec")
    seen_plus = f"{seen}; {smart_names}"
    if not smart.value:
        return _verdict(rule, "FAIL", seen=seen_plus, required=required, evidence="catalogue", source=smart_src,
                        detail=_join(_("{codec} runs, but the datasheet lists no smart codec (H.265+): replace the "
                                       "camera.").format(codec=target), fallback))
    return _verdict(rule, "PASS", seen=seen_plus, required=required, evidence="device",
                    source=f"{source}; {smart_src}", detail=fallback)


def _smart_codec_told(rule: Rule, on: bool, call: str, *, seen: str, required: str, source: str,
                      codec: str) -> Verdict:
    """The "+" as the camera's own API tells it: on is a PASS; off is a FAIL provisioning fixes (the
    API that tells it is the one that sets it)."""
    seen_plus = f"{seen}; " + (_("smart codec on") if on else _("smart codec off"))
    source = f"{source}; {call}"
    if on:
        return _verdict(rule, "PASS", seen=seen_plus, required=required, evidence="device", source=source)
    return _verdict(rule, "FAIL", seen=seen_plus, required=required, evidence="device", source=source, fixable=True,
                    detail=_fixable(_("{codec} runs, but the camera's smart codec (the \"+\" of H.265+) is off "
                                      "({call}).").format(codec=codec, call=call)))


def _smart_codec_fallback(ctx: Context) -> str:
    """Why the datasheet decides the "+": no vendor API answered, or it did not tell the smart codec."""
    vendor = ctx.facts.vendor
    if vendor is None:
        return _vendor_note(ctx.facts.vendor_choice)
    error = next((e for e in vendor.read_errors if "smart" in e.operation.lower()), None)
    if error is not None:
        return _("The {api} could not tell the smart codec ({message}), so the datasheet decides.").format(
            api=vendor.api, message=error.message)
    return _("The {api} does not tell the smart codec, so the datasheet decides.").format(api=vendor.api)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


@register("main_stream", evidence={"device"}, allows={"stream"})
def check_main_stream(ctx: Context, rule: Rule) -> Verdict:
    """The main stream's codec, size, frame rate or bitrate is off the profile's stream target.

    Why: beyond the letter, what the camera really sends sizes the uplink and the centre's storage.
    Off target but offered: ``kitchencam provision`` sets it; not offered: replace the camera.
    Example: ``H264 1920x1080 25 fps 4096 kbit/s`` against ``H265 1920x1080 25 fps 1024-2048 kbit/s``.
    """
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


def _describe_encoder(enc: VideoEncoder) -> str:
    parts = [enc.encoding or "?", f"{enc.width}x{enc.height}" if enc.width and enc.height else "?x?"]
    if enc.fps is not None:
        parts.append(f"{enc.fps:g} fps")
    if enc.bitrate_kbps is not None:
        parts.append(f"{enc.bitrate_kbps} kbit/s")
    return " ".join(parts)


def _mp(width: int, height: int) -> str:
    return f"{width}x{height} ({width * height / 1_000_000:.1f} MP)"
