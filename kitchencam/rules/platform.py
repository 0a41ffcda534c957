"""How the district's systems reach the camera: the ONVIF profiles it announces and the
platform capabilities (DSS, DDNS, P2P, auto registration) of its datasheet.
"""

from __future__ import annotations

from kitchencam.i18n import _
from kitchencam.models import RegistrationKind, VendorFacts, Verdict
from kitchencam.profile import Rule
from kitchencam.rules.context import (
    _SRC_SCOPES,
    Context,
    _no_model,
    _read_error,
    _unknown_read,
    _vendor_note,
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
    vendor can have (vms, ddns, p2p-cloud, outbound-registration): seen on the camera through its
    vendor API when that answered (a Dahua camera meets outbound registration through Auto
    Register, a Hikvision through ISUP or Hik-Connect), else from the datasheet; GetDynamicDNS is noted.
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
    if facts.vendor is not None:
        return _platform_on_device(ctx, rule, facts.vendor, required, ddns_note)
    fallback = _vendor_note(facts.vendor_choice)
    if fact is None or ctx.match is None:
        verdict = _no_model(ctx, rule, required, ddns_note or None)
        return verdict.model_copy(update={"detail": _join(verdict.detail, fallback)})
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
                        detail=_join(_("The datasheet lists nothing for: {missing}. The camera cannot reach the "
                                       "district's platform the way the letter asks: replace it.").format(
                                           missing=names), fallback))
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="catalogue", source=source,
                    detail=fallback)


# --- the capabilities as the camera's own API shows them ----------------------------------------

_REGISTRATION_NAMES: dict[RegistrationKind, str] = {
    "auto-register": "Auto Register", "isup": "ISUP", "hik-connect": "Hik-Connect", "gb28181": "GB/T 28181"}
#: The vendor's own video management software, which speaks its API (the letter's "DSS" is Dahua's).
_VENDOR_VMS = {"dahua": "DSS", "hikvision": "iVMS / HikCentral"}
#: Words in a failed read's call that mean the capability could not be read (not that it is absent).
_READ_WORDS = {"ddns": ("ddns",), "p2p-cloud": ("p2p", "ezviz", "cloud", "hik-connect"),
               "outbound-registration": ("dvrip", "register", "ehome", "isup", "sip", "gb28181", "ezviz")}


def _state(enabled: bool | None, status: str | None = None) -> str:
    word = _("on") if enabled else _("off") if enabled is not None else "?"
    return f"{word}, {status}" if status else word


def _device_capabilities(vendor: VendorFacts) -> dict[str, tuple[list[str], list[str]]]:
    """Each capability the camera's API shows: (what it shows with its state, the calls that told it)."""
    shown: dict[str, tuple[list[str], list[str]]] = {}

    def add(cap: str, text: str, call: str) -> None:
        texts, calls = shown.setdefault(cap, ([], []))
        texts.append(text)
        if call not in calls:
            calls.append(call)

    if vendor.ddns is not None:
        d = vendor.ddns.value
        add("ddns", f"DDNS {_state(d.enabled)}" + (f" ({d.provider})" if d.provider else ""), vendor.ddns.call)
    if vendor.p2p is not None:
        p = vendor.p2p.value
        add("p2p-cloud", f"{p.name} {_state(p.enabled, p.status)}", vendor.p2p.call)
    for told in vendor.registrations:
        r = told.value
        text = f"{_REGISTRATION_NAMES.get(r.kind, r.kind)} {_state(r.enabled, r.status)}"
        add("outbound-registration", text, told.call)
        if r.kind == "hik-connect" and vendor.p2p is None:
            add("p2p-cloud", text, told.call)  # Hik-Connect is Hikvision's cloud as well
    return shown


def _mixed_words(vendor: VendorFacts) -> str:
    """The letter's vendor words, and which of them this camera's vendor meets them with."""
    words = _("The letter mixes two vendors' words: DSS and Auto Register are Dahua's, Auto Hik-Connect is "
              "Hikvision's; no camera has both.")
    if vendor.vendor == "dahua":
        return words + " " + _("This Dahua camera meets \"outbound registration\" through Auto Register (which DSS "
                               "uses) and the cloud through its P2P service.")
    return words + " " + _("This Hikvision camera meets \"outbound registration\" through ISUP (Ehome) or "
                           "Hik-Connect, and the cloud through Hik-Connect.")


def _platform_on_device(ctx: Context, rule: Rule, vendor: VendorFacts, required: str, ddns_note: str) -> Verdict:
    """The capabilities seen on the camera through its vendor API, the datasheet for what it could not read.

    A capability the API shows counts as present whatever its state (connecting to the centre is the
    ``centre-registration`` rule's business). One the API could not read falls back on the datasheet;
    one it answered without, while the datasheet lists it, is said both ways (WARN)."""
    needs = rule.platform_features or []
    shown = _device_capabilities(vendor)
    fact = ctx.match.entry.facts.platform if ctx.match else None
    datasheet: dict[str, list[str]] = {}
    for feature in fact.value if fact is not None else []:
        for cap in feature.provides:
            datasheet.setdefault(cap, []).append(feature.name)
    failed_reads = [e.operation.lower() for e in vendor.read_errors]
    seen_parts: list[str] = []
    calls: list[str] = []
    missing: list[str] = []
    both_ways: list[str] = []
    from_datasheet: list[str] = []
    for need in needs:
        cap = need.capability
        label = f"{cap} ({', '.join(need.words)})" if need.words else cap
        if cap == "vms":
            # The vendor's own VMS speaks the API that just answered.
            seen_parts.append(_("{api} answers ({vms})").format(api=vendor.api, vms=_VENDOR_VMS[vendor.vendor]))
            continue
        if cap in shown:
            texts, told_by = shown[cap]
            seen_parts.extend(texts)
            calls.extend(c for c in told_by if c not in calls)
            continue
        unread = any(word in op for op in failed_reads for word in _READ_WORDS.get(cap, ()))
        if cap in datasheet:
            names = ", ".join(datasheet[cap])
            if unread:
                from_datasheet.append(label)
                seen_parts.append(_("{names} (datasheet; the camera's API could not be read)").format(names=names))
            else:
                both_ways.append(_("{capability}: the camera's API shows none, the datasheet lists {names}").format(
                    capability=label, names=names))
                seen_parts.append(_("no {capability} on the camera; {names} in the datasheet").format(
                    capability=cap, names=names))
        else:
            missing.append(label)
            seen_parts.append(_("no {capability}").format(capability=cap))
    if ddns_note:
        seen_parts.append(ddns_note)
    # Hik-Connect is both a registration and the cloud: said once.
    seen = "; ".join(dict.fromkeys(seen_parts)) or _("none")
    source = "; ".join(calls) or vendor.api
    if (from_datasheet or both_ways) and fact is not None and ctx.match is not None:
        source = f"{source}; {ctx.datasheet(fact.source)}"
    mixed = _mixed_words(vendor)
    if missing:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                        detail=_join(_("Neither the camera's own API nor its datasheet shows: {missing}. The camera "
                                       "cannot reach the district's platform the way the letter asks: replace "
                                       "it.").format(missing=", ".join(missing)), mixed))
    if both_ways:
        return _verdict(rule, "WARN", seen=seen, required=required, evidence="device", source=source,
                        detail=_join(_("The camera and its datasheet disagree: {both}. Update the firmware or check "
                                       "the model label, then check again.").format(both="; ".join(both_ways)),
                                     mixed))
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=source, detail=mixed)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
