"""The application layer: one function per use case, over a context built once per run.

A command (kitchencam/cli/) or the demo builds one :class:`Context` -- where the site config, the
store and the keyring are, which profile and user were asked for, whether a person can answer a
prompt, how to show progress -- and calls one use case with it. The use case assembles what it
needs from the context (each part loaded once, when first asked for, in the order the use case
asks), calls the core stages and returns their result models. It prints nothing and never exits:
the caller renders the result.

This module imports the core at the top; the cli imports it only inside a command, when the
command runs (the one lazy seam that keeps ``kitchencam --help`` fast).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol

from kitchencam import __version__
from kitchencam import bandwidth as bw
from kitchencam import centre as centre_mod
from kitchencam import check as check_mod
from kitchencam import discover as discover_mod
from kitchencam import provision as provision_mod
from kitchencam.errors import KitchencamError, UsageError
from kitchencam.i18n import _, current_language
from kitchencam.inspection import held_attestations
from kitchencam.models import Facts
from kitchencam.profile import Catalogue, Profile, load_attestations, load_catalogue, load_profile, parse_attestations
from kitchencam.report import ReportInput, ReportResult, write_report
from kitchencam.settings import (
    SECRET_METHODS,
    Connection,
    Credentials,
    Paths,
    SecretStore,
    SiteConfig,
    camera_user_key,
    connection_secret,
    connection_secret_key,
    load_site,
    resolve_credentials,
)
from kitchencam.store import Store
from kitchencam.targets import camera_key, centre_secret_key, host_of
from kitchencam.uplink import uplink_warning

#: The profile a run uses when neither --profile nor a site config names one.
DEFAULT_PROFILE = "thanhtri-2024"

#: ``progress(stage, total)``: a context manager giving the callback a stage reports its progress
#: to ("discover": counts so far; "check": one call per camera; "bandwidth": the meter's readings).
#: "check" also passes its targets, in the order it begins them (to name a camera still waited for).
ProgressFactory = Callable[..., AbstractContextManager[Callable[..., None]]]


class MemorySecrets(dict[str, str]):
    """A keyring that lives as long as the run (the demo's: its centre accounts' passwords)."""

    def set(self, key: str, value: str) -> None:
        self[key] = value


class Secrets(Protocol):
    """Where passwords and tokens are kept: the OS keyring (SecretStore) or, in the demo, a dict."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


@dataclass
class Context:
    """What one run works with. Each part is loaded when a use case first asks for it, then kept;
    a caller may set a part beforehand (the demo gives its own site, credentials and keyring)."""

    paths: Paths | None  # the user's folders (the keyring's file fallback); None for the demo's own world
    site_file: Path | None
    store_file: Path | None
    profile_name: str | None = None
    user: str | None = None
    interactive: bool = False
    prompt: Callable[[str, bool], str] | None = None
    progress: ProgressFactory | None = None
    lang: str = field(default_factory=current_language)
    centre: centre_mod.CentreClient | None = None  # the demo's simulated centre; else built from the site

    @classmethod
    def from_paths(cls, paths: Paths, site_file: Path | None = None, **parts: Any) -> Context:
        """The usual context: the user's site config and store, unless told otherwise."""
        return cls(paths=paths, site_file=site_file or paths.site_file, store_file=paths.store_file, **parts)

    @cached_property
    def site(self) -> SiteConfig | None:
        return load_site(self.site_file) if self.site_file is not None and self.site_file.exists() else None

    @cached_property
    def school(self) -> provision_mod.SiteContext:
        """The site's code, name and time servers; "local" when there is no site config."""
        site = self.site
        if site is None:
            return provision_mod.SiteContext(code="local", name=_("(no site config)"), ntp_servers=[])
        return provision_mod.SiteContext(code=site.school.code, name=site.school.name,
                                         ntp_servers=list(site.ntp_servers))

    def reload_site(self) -> None:
        """The site config changed on disk (created, names filled in): read it, and what depends on it, again."""
        for part in ("site", "school", "profile"):
            self.__dict__.pop(part, None)

    @cached_property
    def profile(self) -> Profile:
        return load_profile(self.profile_name or (self.site.profile if self.site else DEFAULT_PROFILE))

    @cached_property
    def catalogue(self) -> Catalogue:
        return load_catalogue()

    @cached_property
    def secrets(self) -> Secrets:
        assert self.paths is not None, "a context without the user's folders brings its own keyring"
        return SecretStore(self.paths)

    @cached_property
    def credentials(self) -> Credentials:
        """The camera login: the environment, then the keyring, then a prompt (when one can be asked)."""
        secrets = self.secrets
        assert isinstance(secrets, SecretStore), "a context with its own keyring gives its credentials too"
        user = self.user or os.environ.get("KITCHENCAM_USER")
        saved = None if user else secrets.get(camera_user_key(self.school.code))
        return resolve_credentials(user, secrets, interactive=self.interactive, prompt=self.prompt,
                                   saved_user=saved)

    def store(self) -> Store:
        """The store, opened for one `with` block."""
        assert self.store_file is not None, "this run keeps no store"
        return Store(self.store_file)

    def centre_client(self, token: str | None = None, **options: Any) -> centre_mod.CentreClient:
        """A client for the site's centre, with ``token`` (one being tried), else the token from the
        environment or the keyring; ``options``: the client's own (``timeouts``)."""
        if self.centre is not None:
            return self.centre
        site = self.site
        if site is None:
            raise UsageError(_("No site config: the centre's address comes from it. Create one with kitchencam "
                               "site init, or pass --site FILE."))
        token = token or centre_mod.require_token(centre_mod.centre_token(self.school.code, self.secrets.get))
        return centre_mod.CentreClient(str(site.centre.url), token, verify_tls=site.centre.verify_tls, **options)


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------------------------
# discover
# ---------------------------------------------------------------------------------------------


def _known_credentials(ctx: Context) -> Credentials | None:
    """The camera login when the technician gave or saved one; None when discover should read only
    what a camera tells without a login (no prompt for a user nobody named)."""
    if ctx.user or os.environ.get("KITCHENCAM_USER"):
        return ctx.credentials
    if "credentials" in ctx.__dict__:  # given beforehand (the demo's world)
        return ctx.credentials
    secrets = ctx.secrets if ctx.paths is not None else None
    if not isinstance(secrets, SecretStore) or not secrets.get(camera_user_key(ctx.school.code)):
        return None
    return ctx.credentials


def discover(ctx: Context, *, interfaces: Sequence[str], subnets: Sequence[str], timeout_s: float,
             expect: int | None, http_port: int) -> discover_mod.DiscoverResult:
    """Find the cameras and record them in the site's inventory (reading identities with a login
    when a login is known: --user, KITCHENCAM_USER or the user saved with `credentials set --user`)."""
    creds = _known_credentials(ctx)
    options = discover_mod.DiscoverOptions(interfaces=list(interfaces), subnets=list(subnets), timeout_s=timeout_s,
                                           expect=expect, http_port=http_port,
                                           user=creds.user if creds else None,
                                           password=creds.password if creds else None)
    site = ctx.site
    if ctx.progress is None:
        result = discover_mod.discover(options)
    else:
        with ctx.progress("discover", 0) as show:
            result = discover_mod.discover(options, progress=show)
    with ctx.store() as store:
        if site is not None:
            return discover_mod.record(result, store, site.school.code, site.school.name)
        return discover_mod.record(result, store, "local", _("(no site config)"))


# ---------------------------------------------------------------------------------------------
# check / provision / rollback
# ---------------------------------------------------------------------------------------------


def check(ctx: Context, *, targets: Sequence[str], use_all: bool, attest: Sequence[str] = (), by: str | None = None,
          attestations_file: Path | None = None) -> check_mod.CheckResult:
    """Audit the cameras against the profile and record the verdicts."""
    started = _now()
    school = ctx.school
    profile = ctx.profile
    catalogue = ctx.catalogue
    answers, revoked = _revocations(attest, profile)
    attestations = parse_attestations(answers, by, started, profile=profile)
    if attestations_file is not None:
        attestations += load_attestations(attestations_file, now=started, profile=profile)
    with ctx.store() as store:
        chosen = check_mod.targets_or_all(list(targets), use_all, store, school.code)
        connection = _connection(ctx)
        site_facts = check_mod.site_facts_from_store(store, school.code,
                                                     connection.method if connection is not None else None)
        held = held_attestations(store, school.code, except_rules=set(revoked))
    creds = ctx.credentials
    options = check_mod.CheckOptions(targets=chosen, user=creds.user, password=creds.password,
                                     attestations=attestations, site_facts=site_facts,
                                     centre_login=_centre_login(ctx, profile, school.code), held=held)
    if ctx.progress is None:
        result = check_mod.check(options, profile, catalogue)
    else:
        with ctx.progress("check", len(chosen), chosen) as advance:
            result = check_mod.check(options, profile, catalogue, progress=advance)
    with ctx.store() as store:
        return check_mod.record(result, store, school.code, school.name, started.isoformat(timespec="seconds"),
                                revoked=revoked, revoked_by=by)


#: ``--attest RULE=revoke``: the camera's earlier answer to RULE no longer holds.
REVOKE = "revoke"


def _revocations(pairs: Sequence[str], profile: Profile) -> tuple[list[str], list[str]]:
    """Split ``--attest`` pairs into answers and revoked rules (checked against the profile)."""
    answers, revoked = [], []
    for pair in pairs:
        rule, sep, word = pair.partition("=")
        if not sep or word.strip().lower() != REVOKE:
            answers.append(pair)
            continue
        rule = rule.strip()
        if profile.rule(rule) is None:
            raise UsageError(_("--attest {rule}: the profile {profile} has no such rule. Its rules: {rules}.")
                             .format(rule=rule, profile=profile.id, rules=", ".join(r.id for r in profile.rules)))
        revoked.append(rule)
    return answers, revoked


def _centre_login(ctx: Context, profile: Profile, site_code: str
                  ) -> Callable[[Facts], tuple[str, str | None]] | None:
    """The centre account's user and keyring password of a camera, for password-strength."""
    account = profile.provision.centre_account if profile.provision else None
    if account is None:
        return None
    secrets = ctx.secrets

    def login(facts: Facts) -> tuple[str, str | None]:
        return account.user, secrets.get(centre_secret_key(site_code, camera_key(facts), account.user))

    return login


def provision(ctx: Context, *, targets: Sequence[str], use_all: bool, dry_run: bool,
              confirm: Callable[[provision_mod.ProvisionResult], None]) -> provision_mod.ProvisionResult:
    """Plan (backing up first), then -- unless ``dry_run`` or nothing to change -- ask ``confirm``
    (which raises to stop) and apply, verify and record."""
    started = _now()
    school = ctx.school
    profile = ctx.profile
    catalogue = ctx.catalogue
    with ctx.store() as store:
        chosen = check_mod.targets_or_all(list(targets), use_all, store, school.code)
        site_id = store.upsert_site(school.code, school.name).id
        uplink = store.latest_bandwidth(site_id)
        on_site = len(store.list_devices(site_id, kind="camera"))
    warnings = []
    if uplink is not None:
        warning = uplink_warning(profile.main_stream.bitrate_kbps_max, max(on_site, len(chosen)),
                                 float(uplink["p10_mbps"]))
        if warning:
            warnings.append(warning)
    secrets = ctx.secrets
    creds = ctx.credentials
    with ctx.store() as store:
        # Cameras the inventory knows get their numbers in the order given; the others when read.
        for target in chosen:
            device = store.find_device(site_id, address=host_of(target))
            if device is not None and device.serial:
                store.camera_number(site_id, device.serial)

    def number(key: str) -> int:
        with ctx.store() as s:
            return s.camera_number(site_id, key)

    options = provision_mod.ProvisionOptions(targets=chosen, user=creds.user, password=creds.password, dry_run=True,
                                             secrets_get=secrets.get, secrets_set=secrets.set, number=number)

    def store_backup(target: str, facts: Any, settings: dict[str, Any]) -> int:
        with ctx.store() as s:
            return s.save_backup(site_id, camera_key(facts), target, settings)

    def record_step(backup_id: int, step: str, status: str, detail: str | None) -> None:
        with ctx.store() as s:
            s.record_step(backup_id, step, status, detail)

    planned = provision_mod.provision(options, profile, catalogue, school, store_backup, record_step)
    planned.warnings = warnings
    if dry_run or not any(s.status == "planned" for c in planned.cameras for s in c.steps):
        return planned
    confirm(planned)
    options.dry_run = False
    result = provision_mod.provision(options, profile, catalogue, school, store_backup, record_step)
    result.warnings = warnings
    with ctx.store() as store:
        provision_mod.record(result, store, school.code, school.name, started.isoformat(timespec="seconds"))
    return result


def rollback(ctx: Context, target: str, *, dry_run: bool = False,
             confirm: Callable[[provision_mod.RollbackResult], None] | None = None) -> provision_mod.RollbackResult:
    """Put back what a camera had before kitchencam first provisioned it; nothing restored is an error.

    With ``dry_run`` only say what would be put back; with ``confirm``, show that plan to it first
    (it raises to stop), as provision does."""
    school = ctx.school
    profile = ctx.profile
    creds = ctx.credentials

    def run(dry: bool) -> provision_mod.RollbackResult:
        with ctx.store() as store:
            site_id = store.upsert_site(school.code, school.name).id
            return provision_mod.rollback(
                target, provision_mod.ProvisionOptions(targets=[target], user=creds.user, password=creds.password),
                profile, lambda key: store.first_backup(site_id, key), lambda key: store.mark_restored(site_id, key),
                lambda key: store.registration_backups(site_id, key), dry_run=dry)

    if dry_run or confirm is not None:
        planned = run(True)
        if planned.problems and not planned.planned:
            raise KitchencamError("; ".join(planned.problems), target=target)
        if dry_run:
            return planned
        if planned.planned and confirm is not None:
            confirm(planned)
    result = run(False)
    if result.problems and not result.restored:
        raise KitchencamError("; ".join(result.problems), target=target)
    return result


# ---------------------------------------------------------------------------------------------
# register / sync
# ---------------------------------------------------------------------------------------------


def register_status(ctx: Context) -> centre_mod.StatusResult:
    """What the centre has for the site and what waits in the store; sends nothing to a camera.
    With a dial-out method, each camera's connection as the centre sees it now (kept for check)."""
    school = ctx.school
    with ctx.centre_client() as client, ctx.store() as store:
        return centre_mod.status(store, school.code, client, connection=_connection(ctx))


def _connection(ctx: Context) -> Connection | None:
    site = ctx.site
    return site.centre.connection if site is not None else None


def _connection_secret(ctx: Context, connection: Connection | None) -> str | None:
    """The centre's ISUP key / GB28181 password: the environment, the keyring (``site init``), or a prompt."""
    if connection is None or connection.method not in SECRET_METHODS:
        return None
    secret = connection_secret(ctx.school.code, connection.method, ctx.secrets.get)
    if secret is None and ctx.interactive and ctx.prompt is not None:
        secret = ctx.prompt(_("The centre's {method} secret (ISUP key or SIP password)").format(
            method=connection.method), True) or None
        if secret:
            ctx.secrets.set(connection_secret_key(ctx.school.code, connection.method), secret)
    if secret is None:
        raise UsageError(_("No secret for {method}: the centre gives each school an ISUP key or a SIP password. Set "
                           "KITCHENCAM_CONNECTION_SECRET, or run kitchencam site init again in a terminal to save it "
                           "in the keyring.").format(method=connection.method))
    return secret


def register(ctx: Context, *, targets: Sequence[str], use_all: bool, force: bool = False,
             location: str | None = None, wait_s: float | None = None) -> centre_mod.RegisterResult:
    """Judge each camera now; with a dial-out method, configure it and wait until the centre sees it
    online; queue the eligible (online) ones in the store, then send them to the centre."""
    school = ctx.school
    connection = _connection(ctx)
    secret = _connection_secret(ctx, connection)
    with ctx.centre_client() as client, ctx.store() as store:
        chosen = check_mod.targets_or_all(list(targets), use_all, store, school.code)
        profile = ctx.profile
        secrets = ctx.secrets
        creds = ctx.credentials
        account = profile.provision.centre_account if profile.provision else None
        request = centre_mod.RegisterRequest(targets=chosen, school_code=school.code, school_name=school.name,
                                             force=force, location=location,
                                             centre_user=account.user if account else None,
                                             connection=connection, connection_secret=secret, user=creds.user,
                                             password=creds.password, wait_s=wait_s)
        options = check_mod.CheckOptions(targets=chosen, user=creds.user, password=creds.password)
        if ctx.progress is None or connection is None or connection.method == "none":
            return centre_mod.register(request, profile, ctx.catalogue, options, store, client, secrets.get)
        with ctx.progress("register", len(chosen)) as show:
            request.progress = show
            return centre_mod.register(request, profile, ctx.catalogue, options, store, client, secrets.get)


def sync(ctx: Context, *, due_only: bool = False) -> centre_mod.SyncResult:
    """Send what waits in the store to the centre."""
    school = ctx.school
    with ctx.centre_client() as client, ctx.store() as store:
        site_id = store.upsert_site(school.code, school.name).id
        return centre_mod.sync(store, site_id, client, ctx.secrets.get, due_only=due_only)


# ---------------------------------------------------------------------------------------------
# bandwidth / report
# ---------------------------------------------------------------------------------------------


def bandwidth(ctx: Context, *, url: str | None, duration_s: float, streams: int) -> bw.BandwidthResult:
    """Measure the upload to the centre (its bandwidth endpoint, or ``url``) and keep the figure."""
    site = ctx.site
    school = ctx.school
    if url is None and site is None:
        raise UsageError(_("No site config to take the centre's address from: pass --url URL, or create one "
                           "with kitchencam site init."))
    target = url or str(site.centre.url).rstrip("/") + "/api/v1/bandwidth/upload"  # type: ignore[union-attr]
    profile = ctx.profile
    with ctx.store() as store:
        site_id = store.upsert_site(school.code, school.name).id
        on_site = len(store.list_devices(site_id, kind="camera"))
    options: dict[str, Any] = {
        "token": centre_mod.centre_token(school.code, ctx.secrets.get), "duration_s": duration_s,
        "warmup_s": bw.WARMUP_S, "streams": streams, "verify_tls": site.centre.verify_tls if site else True,
        "cap_kbps": profile.main_stream.bitrate_kbps_max, "cameras_on_site": on_site,
    }
    if ctx.progress is None:
        result = bw.measure(target, **options)
    else:
        with ctx.progress("bandwidth", duration_s + bw.WARMUP_S) as show:
            result = bw.measure(target, progress=show, **options)
    with ctx.store() as store:
        store.save_bandwidth(site_id, mean_mbps=result.mean_mbps, p10_mbps=result.p10_mbps,
                             duration_s=result.duration_s, streams=result.streams, url=result.url)
    return result


def report(ctx: Context, *, fmt: Literal["pdf", "html", "both"], lang: str,
           output: Path | None, draft: bool = False) -> ReportResult:
    """Write the handover minutes from what the store holds for the site."""
    school = ctx.school
    given = ReportInput(site_code=school.code, site_name=school.name, config=ctx.site, profile=ctx.profile,
                        lang=lang, now=_now(), version=__version__, draft=draft)
    with ctx.store() as store:
        return write_report(store, given, fmt=fmt, output=output)
