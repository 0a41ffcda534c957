"""``kitchencam handover``: the whole job on site, resumable, over the application layer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.cli import common
from kitchencam.cli.common import JsonOpt, ListOpt, ProfileOpt, SiteOpt, UserOpt, finish
from kitchencam.i18n import _

if TYPE_CHECKING:
    from kitchencam.models import ErrorItem


def handover_cmd(
    ctx: typer.Context,
    subnet: Annotated[
        ListOpt, typer.Option("--subnet", metavar="CIDR",
                              help=_("Sweep this subnet by unicast, as discover --subnet does (repeatable)."))] = None,
    interface: Annotated[
        ListOpt, typer.Option("--interface", "-i", metavar="NAME",
                              help=_("Search by multicast on this interface only (repeatable)."))] = None,
    http_port: Annotated[
        int, typer.Option("--http-port", min=1, max=65535, help=_("Port of the HTTP check for silent hosts."))
    ] = 80,
    expect: Annotated[
        int | None, typer.Option("--expect", metavar="N", help=_("Stop searching as soon as N devices have answered."))
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="S", help=_("Longest wait for discovery answers, in seconds."))
    ] = 3.0,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("Apply the provisioning plan without asking."))] = False,
    attest: Annotated[
        ListOpt, typer.Option("--attest", metavar="RULE=yes|no",
                              help=_("The technician's answer to a rule, for every camera (repeatable)."))] = None,
    by: Annotated[str | None, typer.Option("--by", metavar="NAME", help=_("Who attests (with --attest)."))] = None,
    location: Annotated[
        str | None, typer.Option("--location", metavar="TEXT",
                                 help=_("Where the cameras are installed, sent to the centre and printed in the "
                                        "minutes."))] = None,
    bandwidth_duration: Annotated[
        float, typer.Option("--bandwidth-duration", metavar="S", min=1, max=600,
                            help=_("Seconds the upload to the centre is measured, after a warm-up."))] = 20.0,
    fmt: Annotated[
        str, typer.Option("--format", metavar="pdf|html|both", help=_("The minutes as PDF, HTML or both."))
    ] = "pdf",
    report_lang: Annotated[
        str | None, typer.Option("--lang", metavar="vi|en",
                                 help=_("Language of the minutes (default: the --lang given before the command, "
                                        "else vi)."))] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="PATH",
                                  help=_("Where to write the minutes: a file or a folder (default: the current "
                                         "folder)."))] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help=_("Write the minutes while the site config still holds placeholder names "
                                             "(every page marked BẢN NHÁP / DRAFT)."))] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help=_("Forget what earlier runs finished and start over."))] = False,
    school_name: Annotated[
        str | None, typer.Option("--school-name", help=_("To create the site config: the school name."))] = None,
    school_code: Annotated[
        str | None, typer.Option("--school-code", help=_("To create the site config: the short school code."))
    ] = None,
    centre_url: Annotated[
        str | None, typer.Option("--centre-url", help=_("To create the site config: the district centre API URL."))
    ] = None,
    address: Annotated[
        str, typer.Option("--address", help=_("To create the site config: the school address."))
    ] = "Thanh Trì, Hà Nội",
    profile_name: ProfileOpt = None,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The whole handover in one run: site, discover, check, provision, bandwidth, register,
    attestations, minutes.

    Run it again after an interruption: it continues where it stopped and never provisions a
    finished camera twice (--restart starts over). Without a terminal it never asks: without
    --yes it stops at the provisioning plan.

    \b
    Examples:
    kitchencam handover --subnet 192.168.1.0/24 --expect 4
    kitchencam handover --yes --attest power=yes --by "Nguyễn Văn An" --json
    """
    if fmt not in ("pdf", "html", "both"):
        raise typer.BadParameter(_("choose pdf, html or both"), param_hint="--format")
    minutes_lang = (report_lang or str(ctx.meta.get("kitchencam.lang") or "vi")).lower()
    if minutes_lang not in ("vi", "en"):
        raise typer.BadParameter(_("choose vi or en"), param_hint="--lang")

    def confirm(plan: Any) -> bool:
        from kitchencam.render import render_provision

        if yes:
            return True
        if as_json or not common.ENV.interactive:
            return False
        render_provision(common.ENV.out, plan, asking=True)
        return bool(typer.confirm(_("Apply these changes?"), default=False))

    def produce() -> Any:
        from kitchencam import handover as core

        run_ctx = common.context(site_path, profile_name=profile_name, user=user,
                                 show_progress=not as_json and common.ENV.err.is_terminal)
        options = core.HandoverOptions(
            subnets=subnet or [], interfaces=interface or [], http_port=http_port, expect=expect, timeout_s=timeout,
            attest=attest or [], by=by, location=location, bandwidth_s=bandwidth_duration,
            fmt=fmt, lang=minutes_lang, output=output, draft=draft, restart=restart,  # type: ignore[arg-type]
            site_init=core.SiteInit(school_name=school_name, school_code=school_code, centre_url=centre_url,
                                    address=address))
        return core.handover(run_ctx, options, confirm)

    def errors(result: Any) -> list[ErrorItem]:
        return list(result.errors)

    from kitchencam.render import render_handover

    finish("handover", as_json, produce, render_handover, extra_errors=errors)

