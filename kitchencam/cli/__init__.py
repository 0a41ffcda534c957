"""The command line: the Typer app and its command table.

Each command lives in the module of its group (site, credentials, sim, demo, discover, profile,
cameras: check/provision/rollback, centre: register/sync, doctor, bandwidth, report): it parses its
options, calls the core, and hands the result to a renderer in render.py through
``common.finish``. Only this package and render.py print or exit. The table below registers the
commands in the order ``kitchencam --help`` lists them.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from typing import Annotated, Any

import typer

# common picks the language from argv before any help text is translated: import it first.
from kitchencam.cli import (
    bandwidth,
    cameras,
    centre,
    clicktext,
    common,
    credentials,
    demo,
    discover,
    doctor,
    handover,
    profile,
    report,
    sim,
    site,
)
from kitchencam.cli.clicktext import Command, Group
from kitchencam.cli.common import Env
from kitchencam.errors import ExitCode
from kitchencam.i18n import _, set_language

__all__ = ["ENV", "Env", "app"]


# Click's UsageError (unknown option, missing argument, bad value), from the Click that Typer runs on
# (a copy of its own in recent Typer): the base of typer.BadParameter.
_ClickUsageError: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def _leading_lang(argv: list[str]) -> str | None:
    """The value of a ``--lang`` among the options before the command (``kitchencam --lang vi chek``)."""
    for i, arg in enumerate(argv):
        if not arg.startswith("-"):
            return None
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1].lower()
        if arg == "--lang":
            return argv[i + 1].lower() if i + 1 < len(argv) else None
    return None


clicktext.install()  # Typer's own words (help headings, usage errors) in the UI language


class _Group(Group):
    """The top-level group: a usage error (an unknown option, a missing argument, a bad value) is
    said in the UI language (cli/clicktext.py); with ``--json`` among the arguments it is the JSON
    envelope with a ``UsageError`` and exit 2, not Click's text (docs/reference/json.md)."""

    json_errors = False
    argv: list[str] = []  # noqa: RUF012 - replaced, never changed in place

    def main(self, args: Sequence[str] | None = None, *a: Any, **kw: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        self.argv = argv
        self.json_errors = "--json" in (argv[:argv.index("--")] if "--" in argv else argv)
        lang = _leading_lang(argv)
        if lang in ("vi", "en"):  # before parsing: an error in the top-level options speaks it too
            set_language(lang)
        return super().main(argv, *a, **kw)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except _ClickUsageError as exc:
            self._usage_error(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _ClickUsageError as exc:
            self._usage_error(exc)
            raise
        except KeyboardInterrupt:  # Ctrl-C outside common.finish (it handles its own)
            common.interrupted(self._command_name(), self.json_errors)
        except typer.Abort as exc:
            if not isinstance(exc.__context__, KeyboardInterrupt):
                raise  # end of input at a prompt: Click's own words
            common.interrupted(self._command_name(), self.json_errors)

    def _command_name(self) -> str:
        """The command the arguments name (``site init``), for the envelope of a Ctrl-C."""
        words: list[str] = []
        group: Any = self
        for arg in self.argv:
            if arg == "--":
                break
            sub = getattr(group, "commands", {}).get(arg)
            if sub is None:
                if words:
                    break
                continue  # an option of kitchencam itself or its value (--lang vi)
            words.append(arg)
            group = sub
        return " ".join(words)

    def _usage_error(self, exc: Any) -> None:
        if type(exc).__name__ == "NoArgsIsHelpError" and not self.json_errors:
            return  # the help itself (``no_args_is_help``), already in the UI language
        message = clicktext.usage_message(exc)
        if not self.json_errors:
            clicktext.show_usage_error(exc, message)
            raise typer.Exit(int(ExitCode.USAGE)) from None
        from kitchencam.models import ErrorItem
        from kitchencam.render import envelope, print_json

        path = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
        command = " ".join(path)
        item = ErrorItem(code="UsageError", message=message, exit_code=int(ExitCode.USAGE),
                         hint=_("See: kitchencam {command} --help").format(command=command).replace("  ", " "))
        print_json(common.ENV.out, envelope(command, None, [item], status="error"))
        raise typer.Exit(int(ExitCode.USAGE)) from None


app = typer.Typer(
    cls=_Group,
    name="kitchencam",
    help=_("Find, audit, set up and hand over the school-kitchen cameras of a district food-safety programme (ONVIF)."),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
site_app = typer.Typer(cls=Group, help=_("Create and show the site config (school, centre, parties)."),
                       no_args_is_help=True)
credentials_app = typer.Typer(cls=Group, help=_("Save or forget camera passwords in the OS keyring."),
                              no_args_is_help=True)
app.add_typer(site_app, name="site")
app.add_typer(credentials_app, name="credentials")


def _version(value: bool) -> None:
    if value:
        from kitchencam import __version__

        typer.echo(f"kitchencam {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help=_("Language of messages and reports: vi or en (else KITCHENCAM_LANG, else the locale)."),
            metavar="vi|en",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help=_("Show tracebacks for errors."))] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help=_("Show the version and exit."))
    ] = False,
) -> None:
    if lang is not None:
        if lang.lower() not in ("vi", "en"):
            raise typer.BadParameter(_("choose vi or en"), param_hint="--lang")
        set_language(lang)
        ctx.meta["kitchencam.lang"] = lang.lower()  # the reports' language too (cli/report.py)
    common.ENV.debug = debug



app.command("sim", cls=Command)(sim.sim)
app.command("demo", cls=Command)(demo.demo)
app.command("discover", cls=Command)(discover.discover_cmd)

profile_app = typer.Typer(cls=Group, help=_("List, show and validate spec profiles."), no_args_is_help=True)
app.add_typer(profile_app, name="profile")
profile_app.command("list", cls=Command)(profile.profile_list)
profile_app.command("show", cls=Command)(profile.profile_show)
profile_app.command("validate", cls=Command)(profile.profile_validate)

app.command("check", cls=Command)(cameras.check_cmd)
app.command("provision", cls=Command)(cameras.provision_cmd)
app.command("rollback", cls=Command)(cameras.rollback_cmd)
app.command("register", cls=Command)(centre.register_cmd)
app.command("sync", cls=Command)(centre.sync_cmd)
app.command("doctor", cls=Command)(doctor.doctor_cmd)
app.command("bandwidth", cls=Command)(bandwidth.bandwidth_cmd)
app.command("report", cls=Command)(report.report_cmd)
app.command("handover", cls=Command)(handover.handover_cmd)

site_app.command("init", cls=Command)(site.site_init)
site_app.command("show", cls=Command)(site.site_show)
credentials_app.command("set", cls=Command)(credentials.credentials_set)
credentials_app.command("forget", cls=Command)(credentials.credentials_forget)


class _CliModule(types.ModuleType):
    """``kitchencam.cli.ENV`` is ``kitchencam.cli.common.ENV``, read and replaced through here: the
    tests give every invocation a fresh ``Env`` as a fresh process would have (tests/conftest.py)."""

    @property
    def ENV(self) -> Env:  # noqa: N802 - the module attribute's name
        return common.ENV

    @ENV.setter
    def ENV(self, value: Env) -> None:  # noqa: N802
        common.ENV = value


sys.modules[__name__].__class__ = _CliModule
