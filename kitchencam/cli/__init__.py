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
from typing import Annotated

import typer

# common picks the language from argv before any help text is translated: import it first.
from kitchencam.cli import (
    bandwidth,
    cameras,
    centre,
    common,
    credentials,
    demo,
    discover,
    doctor,
    profile,
    report,
    sim,
    site,
)
from kitchencam.cli.common import Env
from kitchencam.i18n import _, set_language

__all__ = ["ENV", "Env", "app"]

app = typer.Typer(
    name="kitchencam",
    help=_("Find, audit, set up and hand over the school-kitchen cameras of a district food-safety programme (ONVIF)."),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
site_app = typer.Typer(help=_("Create and show the site config (school, centre, parties)."), no_args_is_help=True)
credentials_app = typer.Typer(help=_("Save or forget camera passwords in the OS keyring."), no_args_is_help=True)
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



app.command("sim")(sim.sim)
app.command("demo")(demo.demo)
app.command("discover")(discover.discover_cmd)

profile_app = typer.Typer(help=_("List, show and validate spec profiles."), no_args_is_help=True)
app.add_typer(profile_app, name="profile")
profile_app.command("list")(profile.profile_list)
profile_app.command("show")(profile.profile_show)
profile_app.command("validate")(profile.profile_validate)

app.command("check")(cameras.check_cmd)
app.command("provision")(cameras.provision_cmd)
app.command("rollback")(cameras.rollback_cmd)
app.command("register")(centre.register_cmd)
app.command("sync")(centre.sync_cmd)
app.command("doctor")(doctor.doctor_cmd)
app.command("bandwidth")(bandwidth.bandwidth_cmd)
app.command("report")(report.report_cmd)

site_app.command("init")(site.site_init)
site_app.command("show")(site.site_show)
credentials_app.command("set")(credentials.credentials_set)
credentials_app.command("forget")(credentials.credentials_forget)


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
