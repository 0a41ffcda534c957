"""``kitchencam check``, ``provision`` and ``rollback``: audit and set the cameras."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.cli import common
from kitchencam.cli.common import (
    AllOpt,
    JsonOpt,
    ListOpt,
    ProfileOpt,
    SiteOpt,
    TargetsArg,
    UserOpt,
    finish,
)
from kitchencam.errors import ExitCode, KitchencamError
from kitchencam.i18n import _

if TYPE_CHECKING:

    from kitchencam.models import ErrorItem


def check_cmd(
    targets: TargetsArg = None,
    use_all: AllOpt = False,
    profile_name: ProfileOpt = None,
    attest: Annotated[
        ListOpt,
        typer.Option("--attest", metavar="RULE=yes|no", help=_("The technician's answer to a rule (repeatable).")),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", metavar="NAME", help=_("Who attests (with --attest)."))] = None,
    attestations_file: Annotated[
        Path | None, typer.Option("--attestations", metavar="FILE", help=_("A file of the technician's answers."))
    ] = None,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit cameras against the district's spec profile, with the evidence for every verdict.

    Exit 3 if a camera fails a rule, 4 if one cannot be reached, 5 if one refuses the login.

    \b
    Examples:
    kitchencam check 192.168.1.64
    kitchencam check --all --attest power=yes --by "Nguyễn Văn An"
    """
    import os

    def produce() -> Any:
        from datetime import datetime, timezone

        from kitchencam.check import CheckOptions, check, record, site_facts_from_store, targets_or_all
        from kitchencam.profile import load_attestations, load_catalogue, load_profile, parse_attestations
        from kitchencam.settings import SecretStore, load_site, resolve_credentials
        from kitchencam.store import Store

        started = datetime.now(timezone.utc)
        site_file = site_path or common.ENV.paths.site_file
        site = load_site(site_file) if site_file.exists() else None
        code, name = (site.school.code, site.school.name) if site else ("local", _("(no site config)"))
        profile = load_profile(profile_name or (site.profile if site else "thanhtri-2024"))
        catalogue = load_catalogue()
        attestations = parse_attestations(attest or [], by, started, profile=profile)
        if attestations_file is not None:
            attestations += load_attestations(attestations_file, now=started, profile=profile)
        with Store(common.ENV.paths.store_file) as store:
            chosen = targets_or_all(targets or [], use_all, store, code)
            site_facts = site_facts_from_store(store, code)
        creds = resolve_credentials(user or os.environ.get("KITCHENCAM_USER"), SecretStore(common.ENV.paths),
                                    interactive=common.ENV.interactive, prompt=common.ENV.prompt)
        options = CheckOptions(targets=chosen, user=creds.user, password=creds.password, attestations=attestations,
                               site_facts=site_facts)
        if as_json or not common.ENV.err.is_terminal:
            result = check(options, profile, catalogue)
        else:
            from kitchencam.render import check_progress

            with check_progress(common.ENV.err, len(chosen)) as advance:
                result = check(options, profile, catalogue, progress=advance)
        with Store(common.ENV.paths.store_file) as store:
            return record(result, store, code, name, started.isoformat(timespec="seconds"))

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.check import errors_of

        return errors_of(result)

    from kitchencam.render import render_check

    finish("check", as_json, produce, render_check, extra_errors=errors)


def provision_cmd(
    targets: TargetsArg = None,
    use_all: AllOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_("Show the plan and stop."))] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("Apply without asking."))] = False,
    profile_name: ProfileOpt = None,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set each camera the way the district wants: plan, back up, apply, verify.

    \b
    Examples:
    kitchencam provision --all --dry-run
    kitchencam provision 192.168.1.64 --yes
    """
    import os

    from kitchencam.render import render_provision

    def produce() -> Any:
        from datetime import datetime, timezone

        from kitchencam.check import targets_or_all
        from kitchencam.errors import UsageError
        from kitchencam.profile import load_catalogue, load_profile
        from kitchencam.provision import ProvisionOptions, provision, record
        from kitchencam.settings import SecretStore, resolve_credentials
        from kitchencam.store import Store

        started = datetime.now(timezone.utc)
        site, ctx = common.site_context(site_path)
        profile = load_profile(profile_name or (site.profile if site else "thanhtri-2024"))
        catalogue = load_catalogue()
        from kitchencam.uplink import uplink_warning

        with Store(common.ENV.paths.store_file) as store:
            chosen = targets_or_all(targets or [], use_all, store, ctx.code)
            site_id = store.upsert_site(ctx.code, ctx.name).id
            uplink = store.latest_bandwidth(site_id)
            on_site = len(store.list_devices(site_id, kind="camera"))
        warnings = []
        if uplink is not None:
            warning = uplink_warning(profile.main_stream.bitrate_kbps_max, max(on_site, len(chosen)),
                                     float(uplink["p10_mbps"]))
            if warning:
                warnings.append(warning)
        secrets_store = SecretStore(common.ENV.paths)
        creds = resolve_credentials(user or os.environ.get("KITCHENCAM_USER"), secrets_store,
                                    interactive=common.ENV.interactive, prompt=common.ENV.prompt)
        options = ProvisionOptions(targets=chosen, user=creds.user, password=creds.password, dry_run=True,
                                   secrets_get=secrets_store.get, secrets_set=secrets_store.set)

        def store_backup(target: str, facts: Any, settings: dict[str, Any]) -> int:
            from kitchencam.targets import camera_key

            with Store(common.ENV.paths.store_file) as s:
                return s.save_backup(site_id, camera_key(facts), target, settings)

        def record_step(backup_id: int, step: str, status: str, detail: str | None) -> None:
            with Store(common.ENV.paths.store_file) as s:
                s.record_step(backup_id, step, status, detail)

        planned = provision(options, profile, catalogue, ctx, store_backup, record_step)
        planned.warnings = warnings
        if dry_run or not any(s.status == "planned" for c in planned.cameras for s in c.steps):
            return planned
        if not yes:
            if as_json or not common.ENV.interactive:
                raise UsageError(_("Add --yes to apply the plan without a terminal to confirm it "
                                   "(or --dry-run to only see it)."))
            render_provision(common.ENV.out, planned)
            if not typer.confirm(_("Apply these changes?"), default=False):
                raise typer.Exit(int(ExitCode.OK))
        options.dry_run = False
        result = provision(options, profile, catalogue, ctx, store_backup, record_step)
        result.warnings = warnings
        with Store(common.ENV.paths.store_file) as store:
            record(result, store, ctx.code, ctx.name, started.isoformat(timespec="seconds"))
        return result

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.provision import errors_of

        return errors_of(result)

    finish("provision", as_json, produce, render_provision, extra_errors=errors)


def rollback_cmd(
    target: Annotated[str, typer.Argument(metavar="TARGET", help=_("HOST, HOST:PORT or an XAddr URL."))],
    profile_name: ProfileOpt = None,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put back the settings a camera had before kitchencam first provisioned it, and verify them.

    Example: kitchencam rollback 192.168.1.64
    """
    import os

    def produce() -> Any:
        from kitchencam.profile import load_profile
        from kitchencam.provision import ProvisionOptions, rollback
        from kitchencam.settings import SecretStore, resolve_credentials
        from kitchencam.store import Store

        site, ctx = common.site_context(site_path)
        profile = load_profile(profile_name or (site.profile if site else "thanhtri-2024"))
        creds = resolve_credentials(user or os.environ.get("KITCHENCAM_USER"), SecretStore(common.ENV.paths),
                                    interactive=common.ENV.interactive, prompt=common.ENV.prompt)
        with Store(common.ENV.paths.store_file) as store:
            site_id = store.upsert_site(ctx.code, ctx.name).id
            result = rollback(target, ProvisionOptions(targets=[target], user=creds.user, password=creds.password),
                              profile, lambda key: store.first_backup(site_id, key),
                              lambda key: store.mark_restored(site_id, key))
        if result.problems and not result.restored:
            raise KitchencamError("; ".join(result.problems), target=target)
        return result

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.models import ErrorItem

        return [ErrorItem(code="RollbackIncomplete", exit_code=1, target=result.target, message=p)
                for p in result.problems]

    from kitchencam.render import render_rollback

    finish("rollback", as_json, produce, render_rollback, extra_errors=errors)
