"""What only the datasheet tells about the camera's build: lens, housing (IP rating), and any
other catalogue fact a profile names.
"""

from __future__ import annotations

from kitchencam.i18n import _
from kitchencam.models import Verdict
from kitchencam.profile import ModelMatch, Rule, said
from kitchencam.rules.context import (
    Context,
    _no_model,
    _verdict,
)
from kitchencam.rules.registry import register


@register("lens", evidence={"catalogue"}, needs={"lens_mm"}, allows={"lens_tolerance_mm"})
def check_lens(ctx: Context, rule: Rule) -> Verdict:
    """The fitted lens is not the profile's focal length (within the tolerance).

    Why: the letter asks for "Ống kính cố định 3.6mm": the field of view the kitchen was planned
    for. The SKU in the model string tells the lens; a model sold with several lenses and no SKU in
    its string is MANUAL (read the label, attest it).
    Example: ``2.8 mm (SKU -0280B)`` against ``fixed 3.6 mm`` -> FAIL: exchange for the -0360B SKU.
    """
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


@register("ip_rating", evidence={"catalogue"}, needs={"ip_rating"})
def check_ip_rating(ctx: Context, rule: Rule) -> Verdict:
    """The housing's IP rating is below the profile's, on either digit.

    Why: the letter asks for "Chống bụi nước IP67": kitchens are washed down, and steam and grease
    get into a lesser housing. Only the datasheet tells; an unknown model may be attested.
    Example: ``IP66`` against ``IP67`` -> FAIL.
    """
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


@register("catalogue_fact", evidence={"catalogue"}, needs={"equals", "fact"})
def check_catalogue_fact(ctx: Context, rule: Rule) -> Verdict:
    """A datasheet fact of the model catalogue does not equal the profile's value.

    Why: for the letter's words that are one vendor's feature, e.g. "Hỗ trợ công nghệ Starlight"
    (a Dahua word: advisory, reported as WARN for other vendors).
    Example: ``starlight = no`` against ``starlight = yes`` -> FAIL (WARN when advisory).
    """
    name = rule.fact or ""
    want = rule.equals
    required = f"{name} = {_show(want)}"
    fact = getattr(ctx.match.entry.facts, name, None) if ctx.match else None
    if fact is None or ctx.match is None:
        return _no_model(ctx, rule, required)
    seen = f"{name} = {_show(fact.value)}"
    source = ctx.datasheet(fact.source)
    if fact.note:
        source = f"{source} ({said(fact.note)})"
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
