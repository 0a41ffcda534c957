"""Facts + profile + catalogue + attestations -> one Verdict per rule. Pure: no I/O, no clock.

The engine runs each rule of the profile through the check its ``check:`` names (found in the
registry, :mod:`kitchencam.rules.registry`), then applies the technician's attestations and the
rule's severity. How a check reaches its verdict is in :mod:`kitchencam.rules.context` and in the
family modules; docs/reference/rules.md has it per rule.

- ``severity: advisory`` rules report WARN where a required rule would FAIL.
- The latest attestation per rule counts; it answers MANUAL rules and catalogue gaps, and never
  overrides what the device itself reports.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from kitchencam.i18n import LANGUAGES, _, current_language, speaking
from kitchencam.models import (
    Attestation,
    CredentialFacts,
    Facts,
    PasswordQuality,
    SiteFacts,
    Verdict,
    VerdictStatus,
)
from kitchencam.profile import Catalogue, KnownDefault, Profile, Rule
from kitchencam.rules.context import Context
from kitchencam.rules.registry import check_for

STATUSES: tuple[VerdictStatus, ...] = ("PASS", "FAIL", "WARN", "MANUAL", "UNKNOWN")


def _apply_attestation(ctx: Context, rule: Rule, verdict: Verdict) -> Verdict:
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
    ctx = Context(facts=facts, profile=profile, match=catalogue.match(model_string), model_string=model_string,
                   attestations=latest, site=site, credentials=credentials, now=now)
    verdicts = []
    for rule in profile.rules:
        verdict = check_for(rule.check)(ctx, rule)
        verdict = _apply_attestation(ctx, rule, verdict)
        verdicts.append(_apply_severity(rule, verdict))
    return verdicts


TEXT_FIELDS = ("seen", "required", "detail", "source")


def verdict_texts(verdicts: list[Verdict], facts: Facts, profile: Profile, catalogue: Catalogue,
                  attestations: Iterable[Attestation], *, site: SiteFacts | None = None, now: datetime,
                  credentials: CredentialFacts | None = None) -> dict[str, list[dict[str, str | None]]]:
    """The words of ``verdicts`` (made in the current language) in every language, same order.

    The audit is pure, so judging the same facts again in the other language gives the same
    verdicts in other words: the minutes quote the evidence in their own language, whatever
    the technician's messages were in.
    """
    out = {current_language(): [{k: getattr(v, k) for k in TEXT_FIELDS} for v in verdicts]}
    attestations = list(attestations)
    for lang in LANGUAGES:
        if lang in out:
            continue
        with speaking(lang):
            again = audit(facts, profile, catalogue, attestations, site=site, now=now, credentials=credentials)
        out[lang] = [{k: getattr(v, k) for k in TEXT_FIELDS} for v in again]
    return out


def stored_verdicts(verdicts: list[Verdict], texts: dict[str, list[dict[str, str | None]]]) -> list[dict[str, Any]]:
    """Verdicts as the store keeps them: each with its words in every language (``texts``)."""
    out = []
    for i, v in enumerate(verdicts):
        data = v.model_dump(mode="json")
        words = {lang: rows[i] for lang, rows in texts.items() if i < len(rows)}
        if words:
            data["texts"] = words
        out.append(data)
    return out


def credential_facts(user: str, password: str, manufacturer: str | None, profile: Profile, *,
                     login_proven: bool = True, accepts_any_password: bool | None = None,
                     probe_note: str | None = None) -> CredentialFacts:
    """What the camera showed about its logins (see
    ``kitchencam.rules.identity.check_default_credentials``). Keeps no password.

    ``login_proven``: the camera accepted this login on a call that needs one. A known vendor
    default counts only then: the camera keeps a factory login (a refused one proves nothing).
    ``accepts_any_password``: the answer to one random wrong password (None: not asked).
    """
    seen = CredentialFacts(user=user, vendor_default=False, login_proven=login_proven,
                           accepts_any_password=accepts_any_password, probe_note=probe_note,
                           password_quality=PasswordQuality.of(password))
    defaults: list[KnownDefault] = []
    for rule in profile.rules:
        if rule.check == "default_credentials":
            defaults += rule.known_defaults or []
    vendor = (manufacturer or "").strip().lower()
    for known in defaults:
        if known.vendor and known.vendor.lower() != vendor:
            continue
        if known.user == user and known.password == password:
            label = known.label() + (f", {known.said_note()}" if known.note else "")
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


def credentials_of(facts: Facts, user: str, password: str, profile: Profile, *,
                   centre: tuple[str, str | None] | None = None) -> CredentialFacts:
    """The default-credentials evidence of ``facts``: the login used and what the camera did with it.

    ``centre``: the centre account's user and its keyring password (None when none was kept);
    only what the password is made of is kept (``PasswordQuality``), never the password.
    """
    info = facts.device_info
    login = facts.login
    creds = credential_facts(user, password, info.manufacturer if info else None, profile,
                             login_proven=login.proven if login is not None else True,
                             accepts_any_password=login.accepts_any_password if login is not None else None,
                             probe_note=login.probe_note if login is not None else None)
    if centre is not None:
        centre_user, centre_password = centre
        quality = PasswordQuality.of(centre_password) if centre_password else None
        creds = creds.model_copy(update={"centre_user": centre_user, "centre_password_quality": quality})
    return creds
