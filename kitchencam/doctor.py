"""``kitchencam doctor``: is this computer ready for a site visit? Each check says what to do when it fails.

Checks, in order: the store (opens, migrations, ``PRAGMA integrity_check``, the outbox), the
keyring backend, the site config, the profile, the centre (health, then the token). Prints nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from kitchencam.centre import CentreClient, centre_token
from kitchencam.errors import KitchencamError
from kitchencam.i18n import _
from kitchencam.profile import load_profile
from kitchencam.settings import Paths, SecretStore, load_site
from kitchencam.store import MIGRATIONS, Store, is_sqlite_file

Status = Literal["ok", "warn", "fail", "skipped"]


class DoctorCheck(BaseModel):
    name: str
    status: Status
    detail: str
    fix: str | None = None


class DoctorResult(BaseModel):
    checks: list[DoctorCheck]

    @property
    def failed(self) -> list[DoctorCheck]:
        return [c for c in self.checks if c.status == "fail"]


def _store(paths: Paths) -> list[DoctorCheck]:
    out = []
    try:
        with Store(paths.store_file) as store:
            integrity = store.integrity_check()
            done = store.migrations()
            waiting = sum(len(store.queued(s.id)) for s in store.list_sites())
    except KitchencamError as exc:
        return [DoctorCheck(name="store", status="fail", detail=exc.message, fix=_store_fix(paths.store_file))]
    newest = max(v for v, _n, _s in MIGRATIONS)
    out.append(DoctorCheck(
        name="store", status="ok" if integrity == ["ok"] else "fail",
        detail=_("{path}: integrity {result}").format(path=paths.store_file, result="; ".join(integrity[:5])),
        fix=None if integrity == ["ok"] else _("Copy the store aside, then recover what it holds with: "
                                                "sqlite3 FILE .recover > dump.sql")))
    out.append(DoctorCheck(
        name="migrations", status="ok" if done and done[-1][0] == newest else "fail",
        detail=_("schema {have} of {newest}").format(have=done[-1][0] if done else 0, newest=newest)))
    out.append(DoctorCheck(
        name="outbox", status="warn" if waiting else "ok",
        detail=_("{n} registration(s) waiting to be sent").format(n=waiting),
        fix=_("Run kitchencam sync when the school's internet is up.") if waiting else None))
    return out


def _store_fix(path: Path) -> str:
    """What to do about a store that would not open. A store SQLite can read is never moved aside:
    it holds the site's records, and what stops it (a lock, a permission, a newer schema) is fixed
    where it is."""
    if is_sqlite_file(path) or (path.is_file() and not os.access(path, os.R_OK)):
        return _("Keep the store where it is: it holds the site's records. Do what the message says (wait for "
                 "the other kitchencam, fix the permissions, or upgrade), then run kitchencam doctor again.")
    try:
        empty = path.is_file() and path.stat().st_size == 0
    except OSError:
        empty = False
    if empty:
        return _("Restore the store from a backup. Only if there is none: delete the empty file, and the next "
                 "command starts a fresh store.")
    if path.exists() and path.is_file():
        return _("The file is not a kitchencam store: move it aside (keep it for the audit trail); the next "
                 "command starts a fresh store.")
    return _("Do what the message says, then run kitchencam doctor again.")


def _real_keyring() -> str:
    return _("For a real keyring: on a desktop, log in to the session so the Secret Service (GNOME Keyring, "
             "KWallet) is unlocked; on a headless machine, run a Secret Service (gnome-keyring-daemon in a D-Bus "
             "session, unlocked) or an encrypted keyring backend chosen with PYTHON_KEYRING_BACKEND, and "
             "unset KITCHENCAM_KEYRING if it says file; then save the credentials again with kitchencam "
             "credentials set and delete the file.")


def _keyring(paths: Paths) -> DoctorCheck:
    secrets = SecretStore(paths)
    if secrets.fallback_reason:
        path = paths.secrets_file
        loose = secrets.loose_permissions()
        if loose:
            return DoctorCheck(name="keyring", status="fail", detail=secrets.backend_name, fix=_(
                "Others can read the secrets in PLAIN TEXT: {paths}. Run: chmod 600 {file}; chmod 700 {folder}. "
                "Then move the secrets to a real keyring.").format(
                    paths=", ".join(loose), file=path, folder=path.parent)
                + " " + _real_keyring())
        return DoctorCheck(name="keyring", status="warn", detail=secrets.backend_name, fix=_(
            "No OS keyring ({reason}): the camera passwords, centre accounts and token are kept in PLAIN TEXT "
            "in {file}, protected only by file permissions (file 0600, folder 0700): root, anyone logged in as "
            "you, and any copy or backup of the disk can read them.").format(
                reason=secrets.fallback_reason, file=path) + " " + _real_keyring())
    try:
        secrets.get("kitchencam-doctor-probe")
    except Exception as exc:  # noqa: BLE001 - any backend failure is the finding
        return DoctorCheck(name="keyring", status="fail", detail=f"{secrets.backend_name}: {exc}",
                           fix=_("Unlock the OS keyring (log in to the desktop session), or set "
                                 "KITCHENCAM_KEYRING=file."))
    return DoctorCheck(name="keyring", status="ok", detail=secrets.backend_name)


def _placeholders(site: Any) -> DoctorCheck:
    """Names the handover minutes print that still hold ``site init``'s placeholders."""
    from kitchencam.report.build import placeholders

    unfilled = placeholders(site)
    if not unfilled:
        return DoctorCheck(name="site-names", status="ok", detail=_("the minutes' names are filled in"))
    return DoctorCheck(name="site-names", status="warn",
                       detail=_("placeholders where names go: {fields}").format(fields=", ".join(unfilled)),
                       fix=_("Write the real names and positions in the site config: kitchencam report refuses "
                             "to print placeholders (except with --draft)."))


def doctor(paths: Paths, site_file: Path, *, profile_name: str | None = None,
           centre_factory: Callable[[Any, str | None], Any] | None = None) -> DoctorResult:
    """Run every check; ``centre_factory(site, token)`` gives a CentreClient (tests swap it)."""

    checks = _store(paths)
    checks.append(_keyring(paths))
    site = None
    try:
        site = load_site(site_file)
        checks.append(DoctorCheck(name="site", status="ok", detail=_("{path}: {school} ({code})").format(
            path=site_file, school=site.school.name, code=site.school.code)))
        checks.append(_placeholders(site))
    except KitchencamError as exc:
        checks.append(DoctorCheck(name="site", status="fail", detail=exc.message,
                                  fix=_("Create it with kitchencam site init, or pass --site FILE.")))
    name = profile_name or (site.profile if site else "thanhtri-2024")
    try:
        profile = load_profile(name)
        checks.append(DoctorCheck(name="profile", status="ok", detail=f"{profile.id}: {profile.title}"))
    except KitchencamError as exc:
        checks.append(DoctorCheck(name="profile", status="fail", detail=exc.message,
                                  fix=_("See kitchencam profile list, and kitchencam profile validate FILE.")))
    if site is None:
        checks.append(DoctorCheck(name="centre", status="skipped", detail=_("no site config, so no centre address")))
        return DoctorResult(checks=checks)
    if not site.centre.verify_tls:
        checks.append(DoctorCheck(
            name="centre-tls", status="warn", detail=_("TLS certificate checks are off (centre.verify_tls: false)"),
            fix=_("Anyone between this laptop and the centre could read the token and the camera passwords: get "
                  "the centre's certificate and set centre.verify_tls: true.")))
    token = centre_token(site.school.code, SecretStore(paths).get)
    factory = centre_factory or (lambda s, t: CentreClient(str(s.centre.url), t, verify_tls=s.centre.verify_tls,
                                                           timeouts=(3.0, 5.0)))
    with factory(site, token) as client:
        try:
            health = client.health()
        except KitchencamError as exc:
            checks.append(DoctorCheck(name="centre", status="fail", detail=exc.message,
                                      fix=_("Check the school's internet and the centre URL in the site config.")))
            return DoctorResult(checks=checks)
        checks.append(DoctorCheck(name="centre", status="ok", detail=_("{url}: {status}, API {version}").format(
            url=client.base_url, status=health.get("status", "?"), version=health.get("version", "?"))))
        if not token:
            checks.append(DoctorCheck(name="centre-token", status="warn", detail=_("no token"),
                                      fix=_("Set KITCHENCAM_CENTRE_TOKEN, or save it with: kitchencam credentials "
                                            "set --centre-token")))
            return DoctorResult(checks=checks)
        try:
            client.devices(site.school.code)
            checks.append(DoctorCheck(name="centre-token", status="ok", detail=_("accepted")))
        except KitchencamError as exc:
            checks.append(DoctorCheck(name="centre-token", status="fail", detail=exc.message,
                                      fix=_("Ask the district for the school's token.")))
    return DoctorResult(checks=checks)
