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
from kitchencam.errors import ExitCode
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

    def produce() -> Any:
        from kitchencam import app as use_case

        ctx = common.context(site_path, profile_name=profile_name, user=user,
                             show_progress=not as_json and common.ENV.err.is_terminal)
        return use_case.check(ctx, targets=targets or [], use_all=use_all, attest=attest or [], by=by,
                              attestations_file=attestations_file)

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
    from kitchencam.render import render_provision

    def confirm(planned: Any) -> None:
        from kitchencam.errors import UsageError

        if yes:
            return
        if as_json or not common.ENV.interactive:
            raise UsageError(_("Add --yes to apply the plan without a terminal to confirm it "
                               "(or --dry-run to only see it)."))
        render_provision(common.ENV.out, planned, asking=True)
        if not typer.confirm(_("Apply these changes?"), default=False):
            raise typer.Exit(int(ExitCode.OK))

    def produce() -> Any:
        from kitchencam import app as use_case

        ctx = common.context(site_path, profile_name=profile_name, user=user)
        return use_case.provision(ctx, targets=targets or [], use_all=use_all, dry_run=dry_run, confirm=confirm)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.provision import errors_of

        return errors_of(result)

    finish("provision", as_json, produce, render_provision, extra_errors=errors)


def rollback_cmd(
    target: Annotated[str, typer.Argument(metavar="TARGET", help=_("HOST, HOST:PORT or an XAddr URL."))],
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_("Show what would be put back and stop."))] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("Put back without asking."))] = False,
    profile_name: ProfileOpt = None,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put back the settings a camera had before kitchencam first provisioned it, and verify them.

    \b
    Examples:
    kitchencam rollback 192.168.1.64 --dry-run
    kitchencam rollback 192.168.1.64 --yes
    """
    from kitchencam.render import render_rollback

    def confirm(planned: Any) -> None:
        render_rollback(common.ENV.out, planned, asking=True)
        if not typer.confirm(_("Put these settings back?"), default=False):
            raise typer.Exit(int(ExitCode.OK))

    def produce() -> Any:
        from kitchencam import app as use_case
        from kitchencam.errors import UsageError

        asking = not (yes or dry_run)
        if asking and (as_json or not common.ENV.interactive):
            raise UsageError(_("Add --yes to put the backup back without a terminal to confirm it "
                               "(or --dry-run to only see what it would put back)."))
        return use_case.rollback(common.context(site_path, profile_name=profile_name, user=user), target,
                                 dry_run=dry_run, confirm=confirm if asking else None)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.models import ErrorItem

        return [ErrorItem(code="RollbackIncomplete", exit_code=1, target=result.target, message=p)
                for p in result.problems]

    finish("rollback", as_json, produce, render_rollback, extra_errors=errors)
