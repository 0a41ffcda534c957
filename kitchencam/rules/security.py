"""Security and privacy (issue 16): the camera a school hands over is not an open door.

Checked against Viet Nam's rules, which a profile cites per rule (``clause``/``clause_vi``):
QCVN 135:2024/BTTTT (camera security), Quyết định 724/QĐ-BTTTT (basic cybersecurity criteria
for cameras), Nghị định 13/2023/NĐ-CP and the Personal Data Protection Law 91/2025/QH15.

Where the evidence comes from: the login this run used (what its password is made of, never the
password), ONVIF (GetUsers, GetNetworkProtocols, GetDeviceInformation), one request without
credentials for the stream and one for the snapshot (kitchencam/exposure.py), the camera's own
vendor API (``Facts.vendor``: login lock, P2P, services; UNKNOWN with the reason when no vendor API
answered), and the advisory catalogue (kitchencam/advisories.py). No rule here ever tries a
password: the failed-login budget (kitchencam/logins.py) is untouched.
"""

from __future__ import annotations

from kitchencam.advisories import load_advisories
from kitchencam.i18n import _, current_language
from kitchencam.models import AnonymousProbe, NetworkProtocol, PasswordQuality, Verdict, VerdictStatus
from kitchencam.profile import Rule
from kitchencam.rules.context import (
    _SRC_DEVICE_INFO,
    Context,
    _read_error,
    _unknown_read,
    _verdict,
    user_level_name,
)
from kitchencam.rules.registry import register

_CLASSES = ("upper", "lower", "digit", "special")


def _class_words() -> dict[str, str]:
    return {"upper": _("upper case"), "lower": _("lower case"), "digit": _("digit"), "special": _("special character")}


def _basis(rule: Rule, detail: str) -> str:
    """``detail`` followed by the clause the rule rests on, in the current language."""
    clause = (rule.clause_vi if current_language() == "vi" else rule.clause) or rule.clause or rule.clause_vi
    if not clause:
        return detail
    basis = _("Basis: {clause}").format(clause=clause)
    return f"{detail} {basis}".strip()


def _v(rule: Rule, status: VerdictStatus, **kw: object) -> Verdict:
    detail = str(kw.pop("detail", ""))
    return _verdict(rule, status, detail=_basis(rule, detail), **kw)  # type: ignore[arg-type]


def _no_vendor(ctx: Context, rule: Rule, required: str, what: str) -> Verdict:
    """UNKNOWN because no vendor API told ``what``: the reason, from the vendor choice when known."""
    choice = ctx.facts.vendor_choice
    reason = (choice.note if choice is not None and choice.note else None) or _("no vendor API answered")
    return _v(rule, "UNKNOWN", required=required,
              detail=_("Only the camera's own vendor API tells {what}, and none answered ({reason}). Check it in "
                       "the camera's web page and attest it, or run the check again when the vendor API is "
                       "reachable.").format(what=what, reason=reason))


# --- password-strength ---------------------------------------------------------------------------

def _describe_quality(quality: PasswordQuality) -> str:
    words = _class_words()
    kinds = ", ".join(words[c] for c in quality.classes()) or _("no character classes")
    return _("{n} characters; {kinds}").format(n=quality.length, kinds=kinds)


def _short_of(quality: PasswordQuality, length: int, classes: list[str]) -> list[str]:
    words = _class_words()
    missing = []
    if quality.length < length:
        missing.append(_("shorter than {n} characters").format(n=length))
    missing += [_("no {kind}").format(kind=words[c]) for c in classes if not getattr(quality, c)]
    return missing


@register("password_strength", evidence={"device"}, needs={"min_password_length"}, allows={"password_classes"})
def check_password_strength(ctx: Context, rule: Rule) -> Verdict:
    """The administrator password this run used, or the centre account's, is weak.

    Why: QĐ 724/QĐ-BTTTT asks passwords of at least 8 characters mixing upper and lower case,
    digits and special characters; QCVN 135:2024/BTTTT asks that secrets resist guessing. Judged
    from what the password is made of (length, classes), computed in memory; the password is
    never stored, printed or sent anywhere but the camera. The centre account's password is read
    from the keyring when ``provision`` made one.
    Example: ``admin: 9 characters; lower case, digit`` -> FAIL (no upper case, no special character).
    """
    length = rule.min_password_length or 8
    classes = list(rule.password_classes or _CLASSES)
    words = _class_words()
    required = _("at least {n} characters with {kinds}").format(
        n=length, kinds=", ".join(words[c] for c in classes))
    creds = ctx.credentials
    source = _("the login used by this run and the centre account in the keyring (judged in memory, never kept)")
    if creds is None or creds.password_quality is None:
        return _v(rule, "UNKNOWN", required=required,
                  detail=_("Not known which password read the camera, so its strength cannot be judged."))
    if not creds.login_proven:
        return _v(rule, "UNKNOWN", required=required, evidence="device", source=source,
                  detail=_("The camera never accepted this login on a call that needs one, so it is not known to "
                           "be the camera's password. Check with the camera's working user name and password."))
    judged = [(creds.user, creds.password_quality)]
    notes = []
    if creds.centre_user:
        if creds.centre_password_quality is not None:
            judged.append((creds.centre_user, creds.centre_password_quality))
        else:
            notes.append(_("The centre account {user} has no password in the keyring here: not judged.").format(
                user=creds.centre_user))
    seen = "; ".join(f"{user}: {_describe_quality(q)}" for user, q in judged)
    weak = [(user, _short_of(q, length, classes)) for user, q in judged]
    weak = [(user, gaps) for user, gaps in weak if gaps]
    if weak:
        what = "; ".join(f"{user}: {', '.join(gaps)}" for user, gaps in weak)
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                  detail=" ".join([_("Weak password ({what}). Set a longer password mixing upper and lower case, "
                                     "digits and special characters on the camera (and in the keyring), then "
                                     "check again.").format(what=what), *notes]))
    return _v(rule, "PASS", seen=seen, required=required, evidence="device", source=source, detail=" ".join(notes))


# --- login-lockout -------------------------------------------------------------------------------

@register("login_lockout", evidence={"device"}, allows={"max_failed_logins", "min_lock_minutes"})
def check_login_lockout(ctx: Context, rule: Rule) -> Verdict:
    """The camera does not lock a login after a few wrong passwords, or not for long enough.

    Why: QĐ 724/QĐ-BTTTT asks a camera to lock a login after at most 5 failed attempts for at
    least 5 minutes, so a password cannot be guessed over the network. Only the vendor API tells
    the setting; nothing is tested by trying wrong passwords.
    Example: ``lock off`` -> FAIL; ``lock after 5 failures for 30 min`` -> PASS.
    """
    attempts = rule.max_failed_logins or 5
    minutes = rule.min_lock_minutes or 5.0
    required = _("lock after at most {n} failed logins, for at least {m:g} minutes").format(n=attempts, m=minutes)
    vendor = ctx.facts.vendor
    if vendor is None:
        return _no_vendor(ctx, rule, required, _("the login lock"))
    told = vendor.login_lock
    if told is None:
        error = next((e for e in vendor.read_errors if "lock" in e.operation.lower()), None)
        reason = error.message if error else _("it did not say")
        return _v(rule, "UNKNOWN", required=required, evidence="none", source=vendor.api,
                  detail=_("The {api} did not tell the login lock ({reason}). Check it in the camera's web page "
                           "and attest it.").format(api=vendor.api, reason=reason))
    lock = told.value
    source = told.call
    if lock.enabled is False:
        detail = (_("Anyone on the network can try passwords without end. kitchencam provision turns the login "
                    "lock on (at most {n} attempts, {m:g} minutes) and reads it back.")
                  if "login_lock" in vendor.settable else
                  _("Anyone on the network can try passwords without end. Turn the login lock on in the "
                    "camera's security settings (at most {n} attempts, {m:g} minutes), then check again."))
        return _v(rule, "FAIL", seen=_("login lock off"), required=required, evidence="device", source=source,
                  detail=detail.format(n=attempts, m=minutes))
    seen = _("lock after {n} failures for {m} minutes").format(
        n=lock.max_attempts if lock.max_attempts is not None else "?",
        m=f"{lock.lock_minutes:g}" if lock.lock_minutes is not None else "?")
    if lock.enabled is None or lock.max_attempts is None or lock.lock_minutes is None:
        return _v(rule, "UNKNOWN", seen=seen, required=required, evidence="device", source=source,
                  detail=_("The {api} told only part of the login lock. Check it in the camera's web page and "
                           "attest it.").format(api=vendor.api))
    short = []
    if lock.max_attempts > attempts:
        short.append(_("locks only after {n} failures").format(n=lock.max_attempts))
    if lock.lock_minutes < minutes:
        short.append(_("locks for only {m:g} minutes").format(m=lock.lock_minutes))
    if short:
        settable = {"login_lock_attempts", "login_lock_minutes"} <= set(vendor.settable)
        detail = (_("The login lock is weaker than required ({what}). kitchencam provision tightens it and reads "
                    "it back.") if settable else
                  _("The login lock is weaker than required ({what}). Set it in the camera's security "
                    "settings, then check again."))
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                  detail=detail.format(what=", ".join(short)))
    return _v(rule, "PASS", seen=seen, required=required, evidence="device", source=source)


# --- anonymous-access ----------------------------------------------------------------------------

@register("anonymous_access", evidence={"device"})
def check_anonymous_access(ctx: Context, rule: Rule) -> Verdict:
    """The camera gives its stream or its snapshot to a request without credentials.

    Why: QCVN 135:2024/BTTTT and QĐ 724/QĐ-BTTTT ask that every access to the camera's data be
    authenticated; Decree 13/2023 and Law 91/2025 make the children's and staff's images personal
    data. ``check`` sends ONE RTSP DESCRIBE and ONE HTTP GET without credentials, to the camera's
    own host only; they spend no login.
    Example: ``RTSP DESCRIBE without a password: 200`` -> FAIL.
    """
    required = _("the stream and the snapshot refuse requests without a password")
    probes = ctx.facts.anonymous
    source = _("one RTSP DESCRIBE and one HTTP GET without credentials, at check time")
    if probes is None:
        return _v(rule, "UNKNOWN", required=required,
                  detail=_("Not probed: only `kitchencam check` asks the camera without credentials. Run it."))
    names = {"rtsp": _("RTSP stream"), "snapshot": _("snapshot")}

    def line(p: AnonymousProbe) -> str:
        state = {"refused": _("refused ({status})"), "served": _("SERVED ({status})"),
                 "unclear": _("answered {status}"), "error": _("no answer"), "no-uri": _("no address")}[p.outcome]
        return f"{names[p.what]}: {state.format(status=p.status)}"

    seen = "; ".join(line(p) for p in probes)
    served = [p for p in probes if p.outcome == "served"]
    if served:
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                  detail=_("Anyone who reaches the camera can watch the kitchen without a password ({what}). Turn "
                           "on authentication for RTSP and snapshots in the camera's web page (Hikvision: "
                           "System > Security > Authentication; Dahua: System > Safety), then check again.").format(
                               what=", ".join(names[p.what] for p in served)))
    unclear = [p for p in probes if p.outcome in ("unclear", "error")]
    if unclear or not any(p.outcome == "refused" for p in probes):
        notes = " ".join(f"{names[p.what]}: {p.note}" for p in probes if p.note)
        return _v(rule, "UNKNOWN", seen=seen, required=required, evidence="device", source=source,
                  detail=_("The camera's answer does not tell whether it refuses requests without a password. "
                           "{notes}").format(notes=notes).strip())
    return _v(rule, "PASS", seen=seen, required=required, evidence="device", source=source)


# --- extra-admins --------------------------------------------------------------------------------

@register("extra_admins", evidence={"device"}, allows={"factory_accounts"})
def check_extra_admins(ctx: Context, rule: Rule) -> Verdict:
    """The camera has administrator accounts besides the one used, or a known factory account.

    Why: QĐ 724/QĐ-BTTTT asks that accounts be managed and default ones removed or changed; an
    administrator nobody at the school knows about is a way in. Listed from ONVIF GetUsers (names
    and levels only); their passwords are never tried.
    Example: ``admin (Administrator), 888888 (Administrator)`` -> FAIL.
    """
    required = _("one administrator account (the one used); no factory accounts")
    source = "ONVIF GetUsers"
    error = _read_error(ctx.facts, ("GetUsers",))
    users = ctx.facts.users
    if error is not None and not users:
        return _unknown_read(rule, error, required)
    if not users:
        return _v(rule, "UNKNOWN", required=required, evidence="none", source=source,
                  detail=_("The camera listed no user accounts. Check the accounts in its web page and attest it."))
    used = ctx.credentials.user if ctx.credentials is not None else None
    factory = {name.lower() for name in (rule.factory_accounts or [])}
    seen = ", ".join(f"{u.name} ({user_level_name(u.level)})" for u in users)
    others = [u.name for u in users if u.level == "Administrator" and u.name != used]
    known = [u.name for u in users if u.name.lower() in factory and u.name != used]
    problems = []
    if others:
        problems.append(_("other administrators: {names}").format(names=", ".join(others)))
    if known:
        problems.append(_("factory accounts: {names}").format(names=", ".join(known)))
    if problems:
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                  detail=_("{what}. Delete the accounts nobody needs, or lower them to operator or user, in the "
                           "camera's user settings; then check again.").format(what="; ".join(problems)))
    return _v(rule, "PASS", seen=seen, required=required, evidence="device", source=source)


# --- https -----------------------------------------------------------------------------------------

def _protocol(protocols: list[NetworkProtocol], name: str) -> NetworkProtocol | None:
    return next((p for p in protocols if p.name.upper() == name), None)


def _shown(p: NetworkProtocol) -> str:
    """``HTTPS on``: the name and state (ports stay in the facts; a NAT changes them anyway)."""
    state = _("on") if p.enabled else _("off") if p.enabled is False else "?"
    return f"{p.name} {state}"


@register("https", evidence={"device"})
def check_https(ctx: Context, rule: Rule) -> Verdict:
    """The camera offers its web page only over plain HTTP, or runs telnet.

    Why: QCVN 135:2024/BTTTT asks for secure channels for management; over plain HTTP the login
    and the settings cross the school network in clear text. Plaintext services (HTTP, RTSP) are
    reported; telnet where the vendor API tells it is a FAIL, SSH is reported.
    Example: ``HTTP 80 on, HTTPS 443 off, RTSP 554 on`` -> FAIL (HTTP only).
    """
    required = _("HTTPS offered; no telnet")
    source = "ONVIF GetNetworkProtocols"
    protocols = ctx.facts.network_protocols
    error = _read_error(ctx.facts, ("GetNetworkProtocols",))
    if error is not None and not protocols:
        return _unknown_read(rule, error, required)
    services = [s.value for s in ctx.facts.vendor.services] if ctx.facts.vendor is not None else []
    extra = [s for s in services if s.name.lower() in ("telnet", "ssh")]
    seen = "; ".join([_shown(p) for p in protocols]
                     + [f"{s.name} {_('on') if s.enabled else _('off') if s.enabled is False else '?'}"
                        for s in extra])
    if ctx.facts.vendor is not None and extra:
        source += f"; {ctx.facts.vendor.api}"
    telnet = [s for s in extra if s.name.lower() == "telnet" and s.enabled]
    https = _protocol(protocols, "HTTPS")
    http = _protocol(protocols, "HTTP")
    plain = [p.name for p in protocols if p.name in ("HTTP", "RTSP") and p.enabled]
    note = _("Plaintext services: {names}.").format(names=", ".join(plain)) if plain else ""
    if telnet:
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                  detail=_("Telnet is on: it sends the administrator password in clear text and is a common way "
                           "in. Turn it off in the camera's network settings, then check again.") + " " + note)
    if not protocols:
        return _v(rule, "UNKNOWN", required=required, evidence="none", source=source,
                  detail=_("The camera listed no network protocols. Check HTTPS in its web page and attest it."))
    if https is None or not https.enabled:
        what = _("HTTP only") if http is not None and http.enabled else _("HTTPS not offered")
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source=source,
                  detail=_("{what}: the web login crosses the network in clear text. Turn HTTPS on in the camera's "
                           "network settings (Hikvision: Network > Advanced > HTTPS; Dahua: Network > HTTPS), "
                           "then check again.").format(what=what) + " " + note)
    if not ctx.facts.vendor:
        note = (note + " " + _("Telnet/SSH not known: no vendor API answered.")).strip()
    return _v(rule, "PASS", seen=seen, required=required, evidence="device", source=source, detail=note)


# --- known-vulnerabilities -------------------------------------------------------------------------

@register("known_vulnerabilities", evidence={"device"})
def check_known_vulnerabilities(ctx: Context, rule: Rule) -> Verdict:
    """The camera's firmware is in the affected range of a known-exploited vulnerability.

    Why: QCVN 135:2024/BTTTT asks for vulnerability handling and updates; the advisory catalogue
    (profiles/advisories/) starts with CISA's known-exploited list for these vendors (Hikvision
    CVE-2021-36260, Dahua CVE-2021-33044 and CVE-2021-33045). A firmware string kitchencam cannot
    read is UNKNOWN with the reason, never PASS. Only a range verified from a source kitchencam
    read gives a FAIL; a firmware inside a range not verified is a WARN that says it cannot confirm.
    Example: ``HIKVISION DS-2CD2023G2-I V5.5.113 build 210317`` -> FAIL CVE-2021-36260 (a firmware the
    researcher tested vulnerable); ``V5.6.3 build 200827`` -> WARN (cannot confirm).
    """
    required = _("no known-exploited vulnerability (advisory catalogue)")
    info = ctx.facts.device_info
    firmware = info.firmware if info is not None and info.firmware else None
    source = _SRC_DEVICE_INFO
    if not firmware and ctx.facts.vendor is not None and ctx.facts.vendor.firmware is not None:
        firmware, source = ctx.facts.vendor.firmware.value, ctx.facts.vendor.firmware.call
    if info is None or not firmware:
        error = ctx.facts.error_for("tds:GetDeviceInformation")
        if error is not None:
            return _unknown_read(rule, error, required)
        return _v(rule, "UNKNOWN", required=required,
                  detail=_("The camera did not report its firmware version, so it cannot be compared with the "
                           "advisories."))
    seen = f"{info.manufacturer} {info.model} {firmware}".strip()
    advisories = load_advisories().for_camera(info.manufacturer, info.model)
    if not advisories:
        return _v(rule, "PASS", seen=seen, required=required, evidence="device", source=source,
                  detail=_("No advisory in the catalogue names this vendor and model."))
    vi = current_language() == "vi"
    found: dict[str, list[str]] = {"affected": [], "unconfirmed": [], "review": [], "unknown": []}
    sources = [source]
    for adv in advisories:
        state, reason = adv.judge(firmware)
        title = adv.title_vi if vi else adv.title
        fixed = adv.fixed_vi if vi else adv.fixed
        sources.append(adv.source_text())
        if state == "affected":
            found["affected"].append(_("{cve} ({title}): update to {fixed}").format(cve=adv.id, title=title,
                                                                                  fixed=fixed))
        elif state == "review":
            found["review"].append(_("{cve}: this build is close to the fix and the fixed build differs by "
                                     "platform; confirm with the vendor's advisory ({fixed})").format(
                                         cve=adv.id, fixed=fixed))
        elif state == "unconfirmed":
            found["unconfirmed"].append(_("{cve}: cannot confirm: {reason}. Check the camera's serial number or "
                                          "firmware with the vendor's advisory ({fixed})").format(
                                              cve=adv.id, reason=reason, fixed=fixed))
        elif state == "unknown":
            found["unknown"].append(f"{adv.id}: {reason}")
    checked = ", ".join(a.id for a in advisories)
    if found["affected"]:
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source="; ".join(sources),
                  detail=_("The firmware is affected by a vulnerability attackers already use: {what}. Update the "
                           "firmware from the vendor's site, then check again.").format(
                               what="; ".join(found["affected"])))
    if found["unknown"]:
        return _v(rule, "UNKNOWN", seen=seen, required=required, evidence="device", source="; ".join(sources),
                  detail=_("Cannot compare the firmware with the advisories: {what}. Check the firmware version "
                           "in the camera's web page against the vendor's advisory, and attest it.").format(
                               what="; ".join(found["unknown"])))
    if found["unconfirmed"] or found["review"]:
        return _v(rule, "WARN", seen=seen, required=required, evidence="device", source="; ".join(sources),
                  detail="; ".join(found["unconfirmed"] + found["review"]) + ".")
    return _v(rule, "PASS", seen=seen, required=required, evidence="device", source="; ".join(sources),
              detail=_("Not in the affected range of {cves}.").format(cves=checked))


# --- cloud-exposure --------------------------------------------------------------------------------

@register("cloud_exposure", evidence={"device"}, needs={"cloud_wanted"})
def check_cloud_exposure(ctx: Context, rule: Rule) -> Verdict:
    """The vendor's P2P/cloud service is on (or off) against what the profile chose.

    Why: the letter asks that P2P be supported, not that it be on; a P2P service makes the camera
    reachable through the vendor's cloud from anywhere, which Decree 13/2023 and Law 91/2025 ask
    to weigh for personal data. The profile decides (``cloud_wanted: off | on | either``) and the
    verdict says which it chose.
    Example: ``Dahua P2P on`` with ``cloud_wanted: off`` -> FAIL.
    """
    wanted = rule.cloud_wanted or "either"
    required = {"off": _("P2P/cloud off (the profile's choice; the letter asks only that it be supported)"),
                "on": _("P2P/cloud on (the profile's choice)"),
                "either": _("P2P/cloud on or off (the profile leaves it to the site)")}[wanted]
    vendor = ctx.facts.vendor
    if vendor is None:
        return _no_vendor(ctx, rule, required, _("whether the vendor's P2P/cloud service is on"))
    told = vendor.p2p
    if told is None or told.value.enabled is None:
        return _v(rule, "UNKNOWN", required=required, evidence="none", source=vendor.api,
                  detail=_("The {api} did not tell whether P2P/cloud is on. Check it in the camera's web page "
                           "and attest it.").format(api=vendor.api))
    p2p = told.value
    state = _("on") if p2p.enabled else _("off")
    seen = f"{p2p.name} {state}" + (f" ({p2p.status})" if p2p.status else "")
    if wanted == "off" and p2p.enabled:
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source=told.call,
                  detail=(_("{name} is on: the camera can be reached through the vendor's cloud. kitchencam "
                            "provision turns it off (the centre connection does not need it).")
                          if "p2p" in vendor.settable else
                          _("{name} is on: the camera can be reached through the vendor's cloud. Turn it off in the "
                            "camera's network settings (the centre connection does not need it), then check "
                            "again.")).format(name=p2p.name))
    if wanted == "on" and not p2p.enabled:
        return _v(rule, "FAIL", seen=seen, required=required, evidence="device", source=told.call,
                  detail=(_("{name} is off, and the profile wants it on. kitchencam provision turns it on.")
                          if "p2p" in vendor.settable else
                          _("{name} is off, and the profile wants it on. Turn it on in the camera's network "
                            "settings, then check again.")).format(name=p2p.name))
    return _v(rule, "PASS", seen=seen, required=required, evidence="device", source=told.call)


# --- privacy-notice --------------------------------------------------------------------------------

@register("privacy_notice", evidence={"manual"}, allows={"question", "question_vi"})
def check_privacy_notice(ctx: Context, rule: Rule) -> Verdict:
    """Whether people filmed in the kitchen are told: MANUAL until the technician attests it.

    Why: a person's image is personal data (Decree 13/2023/NĐ-CP, Law 91/2025/QH15); the people
    filmed must be told, by a notice posted where the camera films.
    Example: ``--attest privacy-notice=yes --by NAME`` -> PASS.
    """
    question = (rule.question_vi if current_language() == "vi" else rule.question) or rule.question
    required = question or _("a camera notice posted in the kitchen")
    return _v(rule, "MANUAL", required=required,
              detail=_("Needs the technician's answer: --attest {rule}=yes|no --by NAME.").format(rule=rule.id))
