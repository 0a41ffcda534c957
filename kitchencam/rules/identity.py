"""Who the camera is and who can log in to it: its product line, and its logins.
"""

from __future__ import annotations

from kitchencam.i18n import _
from kitchencam.models import Verdict
from kitchencam.profile import Rule
from kitchencam.rules.context import (
    _SRC_DEVICE_INFO,
    Context,
    _no_model,
    _verdict,
)
from kitchencam.rules.registry import register


@register("default_credentials", evidence={"device"}, needs={"known_defaults"})
def check_default_credentials(ctx: Context, rule: Rule) -> Verdict:
    """The camera keeps a factory login, or lets in any password at all.

    Why: beyond the letter, factory logins are public; a kitchen camera on the school network must
    not keep one. Only a login the camera really accepted (on a call that needs one) says anything;
    then one deliberately wrong, random password tells a camera that checks passwords from one that
    does not. No other password is ever tried.
    Example: ``admin: a vendor default (admin / 12345 (HIKVISION), ...)`` -> FAIL.
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


@register("series", evidence={"catalogue"}, needs={"series"}, allows={"equivalent_series"})
def check_series(ctx: Context, rule: Rule) -> Verdict:
    """The camera is not of the product line the letter names (an equivalent line: WARN).

    Why: the letter says "Camera IP thân hồng ngoại 2.0 MP dòng Wiz Sense 2"; another line that
    meets every other rule is reported for the district to accept (the rule is advisory).
    Example: ``Dahua IPC-HFW1230S: Lite`` against ``WizSense 2`` -> WARN.
    """
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
