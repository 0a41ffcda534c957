"""``kitchencam handover``: the whole job on site, resumable, over the application layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from kitchencam.cli import common
from kitchencam.cli.common import JsonOpt, ListOpt, ProfileOpt, SiteOpt, UserOpt, finish
from kitchencam.i18n import _

if TYPE_CHECKING:
    from kitchencam.models import ErrorItem

T = TypeVar("T")


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

    On a terminal it asks what it needs as it goes: the school, the camera login, the centre's
    token, whether to apply the plan, each camera's place, what only the technician can answer,
    and the names the minutes print. Run it again after an interruption: it continues where it
    stopped and never provisions a finished camera twice (--restart starts over). Without a
    terminal it never asks: without --yes it stops at the provisioning plan.

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

    asking = not yes and not as_json and common.ENV.interactive

    def produce() -> Any:
        from kitchencam import handover as core
        from kitchencam.render import render_handover_event

        run_ctx = common.context(site_path, profile_name=profile_name, user=user,
                                 show_progress=not as_json and common.ENV.err.is_terminal)
        options = core.HandoverOptions(
            subnets=subnet or [], interfaces=interface or [], http_port=http_port, expect=expect, timeout_s=timeout,
            attest=attest or [], by=by, location=location, bandwidth_s=bandwidth_duration,
            fmt=fmt, lang=minutes_lang, output=output, draft=draft, restart=restart,  # type: ignore[arg-type]
            site_init=core.SiteInit(school_name=school_name, school_code=school_code, centre_url=centre_url,
                                    address=address))
        progress = None if as_json else (lambda event: render_handover_event(common.ENV.err, event))
        return core.handover(run_ctx, options, questions(yes=yes, asking=asking, secrets=not as_json
                                                         and common.ENV.interactive), progress)

    def errors(result: Any) -> list[ErrorItem]:
        return list(result.errors)

    from kitchencam import handover as core
    from kitchencam.render import render_handover, render_handover_asked

    def stopped(exc: KeyboardInterrupt) -> None:
        # HandoverInterrupted carries the result so far; a Ctrl-C before the run began, none.
        interrupted(exc.result if isinstance(exc, core.HandoverInterrupted) else None, as_json)

    # on a terminal the plan was shown with the question: not again after a "no"
    finish("handover", as_json, produce, render_handover_asked if asking else render_handover,
           extra_errors=errors, on_interrupt=stopped)


def interrupted(result: Any, as_json: bool) -> NoReturn:
    """Ctrl-C: what was finished, how to go on, exit 130 (common.interrupted, with handover's own words)."""
    from kitchencam.render import render_handover_interrupted

    common.interrupted("handover", as_json, result=result, errors=result.errors if result else (),
                       hint=_("Run kitchencam handover again: it continues where it stopped."),
                       human=lambda console: render_handover_interrupted(console, result))


#: The exit status of a run stopped by Ctrl-C (128 + SIGINT), as a shell reports it.
INTERRUPTED = common.INTERRUPTED


def _asked(ask: Callable[[], T]) -> T:
    """A prompt's answer; Ctrl-C at a prompt (the Abort of the Click that Typer runs on) stops the run
    like Ctrl-C anywhere."""
    try:
        return ask()
    except typer.Abort:
        raise KeyboardInterrupt from None


def _prompt(text: str) -> str:
    """A question Enter may leave unanswered ("")."""
    return str(_asked(lambda: typer.prompt(text, default="", show_default=False)))


def questions(*, yes: bool, asking: bool, secrets: bool = False) -> Any:
    """The run's questions: on a terminal without --yes/--json, prompts with defaults; else none
    (--yes applies the plan; without it the run stops at the plan). ``secrets``: a terminal without
    --json, where a missing secret is asked for even with --yes, as the camera login is."""
    from kitchencam import handover as core

    out = common.ENV.out

    def token(refused: bool) -> str | None:
        if refused:
            out.print(_("The centre refused that token. Check it with the district and type it again."))
        else:
            out.print(_("The district centre's token is not saved on this computer yet: it is kept in the keyring "
                        "once the centre accepts it."))
        return str(_asked(lambda: typer.prompt(_("The district centre's token (hidden; Enter: not now)"),
                                               default="", show_default=False, hide_input=True))) or None

    if not asking:
        return core.HandoverAsk(confirm=(lambda _plan: True) if yes else (lambda _plan: False),
                                token=token if secrets else None)

    def confirm(plan: Any) -> bool:
        from kitchencam.render import render_provision

        render_provision(out, plan, asking=True)
        return bool(_asked(lambda: typer.confirm(_("Apply these changes?"), default=False)))

    def manual(open_rules: list[core.ManualQuestion], by: str | None) -> core.ManualAnswers | None:
        from rich.markup import escape

        from kitchencam.profile import _answer

        out.print(_("Only you can answer these on site (yes, no, or Enter to leave it for later):"))
        answers: dict[str, bool] = {}
        for q in open_rules:
            out.print(f"[b]{escape(q.title)}[/] ({escape(q.rule)}, "
                      + _("{n} camera(s)").format(n=len(q.cameras)) + ")", soft_wrap=True)
            text = q.question or q.title
            while True:
                word = _prompt(text)
                if not word.strip():
                    break
                answer = _answer(word)
                if answer is not None:
                    answers[q.rule] = answer
                    break
                out.print(_("Answer yes or no (có / không), or press Enter to skip."))
        if not answers:
            return None
        name = ""
        while not name.strip():
            name = str(_asked(lambda: typer.prompt(_("Who attests these answers (your name)"), default=by or None)))
        return core.ManualAnswers(answers=answers, by=name.strip())

    def place(camera: core.CameraPlace) -> str | None:
        label = _("Where is camera {n} installed, {camera}? (Enter: leave empty)").format(
            n=camera.number, camera=camera.label)
        return _prompt(label) or None

    def site(init: core.SiteInit) -> core.SiteInit:
        out.print(_("No site config yet: a few questions to create it (as kitchencam site init)."))

        def ask(label: str, value: str | None) -> str:
            return str(_asked(lambda: typer.prompt(label, default=value)))

        return core.SiteInit(
            school_name=init.school_name or ask(_("School name, as on its seal"), None),
            school_code=init.school_code or ask(_("Short school code (letters, digits, - and _)"), None),
            centre_url=init.centre_url or ask(_("Base URL of the district centre API"), None),
            address=ask(_("School address"), init.address))

    def parties(missing: list[str]) -> dict[str, str]:
        from kitchencam.sitecmd import party_label, party_value_problem

        out.print(_("The minutes print who signs them, and the site config still holds placeholders there. "
                    "Type each name (Enter leaves it; the minutes then stop and say which are missing):"))
        answers: dict[str, str] = {}
        for dotted in missing:
            while True:
                word = _prompt(party_label(dotted)).strip()
                problem = party_value_problem(word) if word else None
                if problem is None:
                    break
                out.print(problem)
            if word:
                answers[dotted] = word
        return answers

    def save_login(offer: core.LoginOffer) -> None:
        from rich.markup import escape

        from kitchencam.errors import KitchencamError
        from kitchencam.models import ErrorItem
        from kitchencam.render import error_line

        out.print(escape(_("The camera login {user} you typed worked on {n} camera(s).").format(
            user=offer.user, n=len(offer.cameras))), soft_wrap=True)
        if offer.fallback_reason:
            out.print("[yellow]" + escape(_("Warning: no OS keyring is used ({reason}): the login would be kept in "
                                            "a {backend}.").format(reason=offer.fallback_reason,
                                                                    backend=offer.backend)) + "[/]", soft_wrap=True)
            question = _("Save the camera login in that plaintext file for next time?")
        else:
            out.print(escape(_("It would be kept in the OS keyring ({backend}).").format(backend=offer.backend)),
                      soft_wrap=True)
            question = _("Save the camera login in the keyring for next time?")
        if not _asked(lambda: typer.confirm(question, default=True)):
            out.print(escape(_("Not saved: the next run asks for it again (or save it with kitchencam credentials "
                               "set --user {user}).").format(user=offer.user)), soft_wrap=True)
            return
        try:
            offer.save()
        except KitchencamError as exc:  # the run goes on; the login is asked again next time
            common.ENV.err.print(error_line(ErrorItem.from_error(exc)), soft_wrap=True)
            return
        out.print(escape(_("Saved: the next run uses it without asking (forget it with kitchencam credentials "
                           "forget --user {user}).").format(user=offer.user)), soft_wrap=True)

    return core.HandoverAsk(confirm=confirm, manual=manual, location=place, site=site, parties=parties,
                            token=token, save_login=save_login)
