"""How the district's systems reach the camera: the ONVIF profiles it announces and the
platform capabilities (DSS, DDNS, P2P, auto registration) of its datasheet.
"""

from __future__ import annotations

from kitchencam.i18n import _
from kitchencam.models import Verdict
from kitchencam.profile import Rule
from kitchencam.rules.context import (
    _SRC_SCOPES,
    Context,
    _no_model,
    _read_error,
    _unknown_read,
    _verdict,
)
from kitchencam.rules.registry import register

_PROFILE_NAMES = {"STREAMING": "S"}


@register("onvif", evidence={"device"}, needs={"onvif_profiles"})
def check_onvif(ctx: Context, rule: Rule) -> Verdict:
    """The camera does not announce the ONVIF profiles the profile asks for.

    Why: the letter asks for "Hỗ trợ chuẩn ONVIF": the centre's software reaches every vendor's
    camera through ONVIF Profile S. Evidence: GetScopes (``Profile/Streaming`` = S), else the datasheet.
    Example: ``answers ONVIF 2.60; Profile T (scopes)`` against ``ONVIF Profile S`` -> FAIL.
    """
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


@register("platform", evidence={"catalogue"}, needs={"platform_features"})
def check_platform(ctx: Context, rule: Rule) -> Verdict:
    """The datasheet lacks a capability behind the letter's vendor platform words.

    Why: the letter asks for "Hỗ trợ tính năng DSS, DDNS, P2P, Auto register, Auto Hikconnect":
    the district's platform reaches the camera through them. Each is read as a capability any
    vendor can have (vms, ddns, p2p-cloud, outbound-registration); GetDynamicDNS is noted.
    Example: ``DSS, P2P (DMSS)`` against ``vms (DSS); ddns (DDNS); ...`` -> FAIL.
    """
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
