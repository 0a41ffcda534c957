"""The picture's checks read from ONVIF Imaging: day/night switching and infrared, wide dynamic range.
"""

from __future__ import annotations

from kitchencam.i18n import _
from kitchencam.models import Facts, Imaging, Verdict
from kitchencam.profile import Rule
from kitchencam.rules.context import (
    _OPS_IMAGING,
    _SRC_IMAGING,
    Context,
    _contradiction,
    _fixable,
    _no_model,
    _read_error,
    _unknown_read,
    _verdict,
)
from kitchencam.rules.registry import register


@register("ir", evidence={"device"}, needs={"ir_range_m"}, allows={"ir_cut_auto"})
def check_ir(ctx: Context, rule: Rule) -> Verdict:
    """The camera cannot switch day/night by itself, or its infrared reaches too short.

    Why: the letter asks for "tầm xa hồng ngoại 30m"; a kitchen is filmed before dawn. A filter
    forced ON/OFF fails on the device's word (provision fixes it); no AUTO mode or a short range
    means replace. Evidence: Imaging GetOptions/GetImagingSettings, the datasheet's ``ir_range_m``.
    Example: ``IR-cut ON (offers ON, OFF, AUTO); IR 30 m (datasheet)`` -> FAIL, fixable.
    """
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


@register("wdr", evidence={"device"}, needs={"wdr_db"}, allows={"true_wdr"})
def check_wdr(ctx: Context, rule: Rule) -> Verdict:
    """The camera has no true wide dynamic range of the profile's dB.

    Why: the letter asks for "Chống ngược sáng WDR (120dB)": a kitchen window behind the cooks
    blinds a camera without it. Digital WDR only (DWDR) means replace the camera.
    Example: ``WDR OFF (offers OFF); digital WDR`` against ``true WDR 120 dB`` -> FAIL.
    """
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


def _imaging(facts: Facts) -> Imaging | None:
    return facts.imaging[0] if facts.imaging else None
