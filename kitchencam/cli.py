"""The command line: parse options, call one core function, render its result.

The only module that prints or exits. Heavy imports (zeep, pydantic models, the simulator) live
inside the commands that use them, so ``kitchencam --help`` stays fast (benchmarks/cli_startup.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from kitchencam.errors import ExitCode, KitchencamError
from kitchencam.i18n import _, pick_language, set_language

if TYPE_CHECKING:
    from rich.console import Console

    from kitchencam.render import ErrorItem
    from kitchencam.settings import Paths

# Help texts are translated when this module is imported, so pick the language from argv now.
set_language(pick_language(sys.argv[1:]))

app = typer.Typer(
    name="kitchencam",
    help=_(
        "Find, audit, set up and hand over the school-kitchen cameras of a district food-safety "
        "programme (ONVIF)."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
site_app = typer.Typer(help=_("Create and show the site config (school, centre, parties)."), no_args_is_help=True)
credentials_app = typer.Typer(help=_("Save or forget camera passwords in the OS keyring."), no_args_is_help=True)
app.add_typer(site_app, name="site")
app.add_typer(credentials_app, name="credentials")

JsonOpt = Annotated[bool, typer.Option("--json", help=_("Print one JSON document (see docs/reference/json.md)."))]
UserOpt = Annotated[
    Optional[str],  # noqa: UP045 - Typer needs Optional on Python 3.10 too
    typer.Option("--user", "-u", help=_("Camera user name (else KITCHENCAM_USER). The password is never an option.")),
]
SiteOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--site", help=_("Site config file (default: the user config folder).")),
]


@dataclass
class Env:
    """What a command needs from the outside world; tests replace pieces of it."""

    debug: bool = False
    _paths: Paths | None = None
    _out: Console | None = None
    _err: Console | None = None
    interactive: bool = field(default_factory=sys.stdin.isatty)

    @property
    def paths(self) -> Paths:
        if self._paths is None:
            from kitchencam.settings import Paths

            self._paths = Paths.from_env()
        return self._paths

    @property
    def out(self) -> Console:
        if self._out is None:
            from rich.console import Console

            self._out = Console(highlight=False)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True, highlight=False)
        return self._err

    def prompt(self, label: str, hide: bool) -> str:
        return str(typer.prompt(label, hide_input=hide))


ENV = Env()


def _version(value: bool) -> None:
    if value:
        from kitchencam import __version__

        typer.echo(f"kitchencam {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    lang: Annotated[
        Optional[str],  # noqa: UP045
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
    ENV.debug = debug


def finish(
    command: str,
    as_json: bool,
    produce: Callable[[], Any],
    human: Callable[[Console, Any], None],
    *,
    extra_errors: Callable[[Any], list[ErrorItem]] | None = None,
) -> None:
    """Run ``produce`` (core work returning a model), render it, exit with the contract's code.

    Expected failures (KitchencamError) become a message and their exit code; anything else is a
    bug and keeps its traceback.
    """
    from kitchencam.render import ErrorItem, envelope, error_line, exit_code_for, print_json

    try:
        result = produce()
    except KitchencamError as exc:
        item = ErrorItem.from_error(exc)
        if as_json:
            print_json(ENV.out, envelope(command, None, [item], status="error"))
        else:
            ENV.err.print(error_line(item), soft_wrap=True)
        if ENV.debug:
            raise
        raise typer.Exit(int(exc.exit_code)) from None
    errors = extra_errors(result) if extra_errors else []
    if as_json:
        print_json(ENV.out, envelope(command, result, errors))
    else:
        human(ENV.out, result)
        for item in errors:
            ENV.err.print(error_line(item), soft_wrap=True)
    code = exit_code_for(errors)
    if code != ExitCode.OK:
        raise typer.Exit(int(code))


# ---------------------------------------------------------------------------------------------
# site
# ---------------------------------------------------------------------------------------------


@site_app.command("init")
def site_init(
    school_name: Annotated[str, typer.Option("--school-name", help=_("School name, as on its seal."))],
    school_code: Annotated[str, typer.Option("--school-code", help=_("Short school code (letters, digits, - and _)."))],
    centre_url: Annotated[str, typer.Option("--centre-url", help=_("Base URL of the district centre API."))],
    address: Annotated[str, typer.Option("--address", help=_("School address."))] = "Thanh Trì, Hà Nội",
    path: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--site", help=_("Where to write it (default: the user config folder).")),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite an existing file."))] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a site config to edit, then check it with: kitchencam site show.

    Example: kitchencam site init --school-name "Trường Mầm non Tả Thanh Oai" --school-code MN-TTO --centre-url https://centre.example/
    """
    from kitchencam.sitecmd import init_site

    target = path or ENV.paths.site_file
    finish(
        "site init",
        as_json,
        lambda: init_site(target, ENV.paths, school_name=school_name, school_code=school_code,
                          address=address, centre_url=centre_url, force=force),
        _render_site,
    )


@site_app.command("show")
def site_show(
    path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate the site config and show it. Example: kitchencam site show --json"""
    from kitchencam.sitecmd import show_site

    target = path or ENV.paths.site_file
    finish("site show", as_json, lambda: show_site(target, ENV.paths), _render_site)


def _render_site(console: Console, result: Any) -> None:
    from kitchencam.render import key_value_table

    site = result.site
    rows = [
        (_("File"), result.path),
        (_("School"), f"{site.school.name} ({site.school.code})"),
        (_("Address"), site.school.address),
        (_("District centre"), site.centre.url),
        (_("Verify TLS"), _("yes") if site.centre.verify_tls else _("no")),
        (_("NTP servers"), ", ".join(site.ntp_servers) or "-"),
        (_("Profile"), site.profile),
        (_("Store"), result.store),
    ]
    if site.letter:
        rows.append((_("Letter"), f"{site.letter.number} ({site.letter.date.isoformat()})"))
    if site.parties:
        for label, party in ((_("Supplier"), site.parties.supplier), (_("School"), site.parties.school),
                             (_("District office"), site.parties.district)):
            rows.append((label, f"{party.organisation}: {party.representative}, {party.position}"))
    console.print(key_value_table(_("Site"), rows))
    if result.created:
        console.print(_("Written. Edit the parties and NTP servers, then run: kitchencam site show"))


# ---------------------------------------------------------------------------------------------
# credentials
# ---------------------------------------------------------------------------------------------


@credentials_app.command("set")
def credentials_set(user: UserOpt = None, as_json: JsonOpt = False) -> None:
    """Ask for a camera password (hidden) and keep it in the OS keyring.

    Example: kitchencam credentials set --user admin
    """
    from kitchencam.settings import SecretStore, camera_key

    def produce() -> Any:
        import os

        from kitchencam.errors import UsageError
        from kitchencam.sitecmd import CredentialsResult

        password = os.environ.get("KITCHENCAM_PASSWORD")
        if password is None and not ENV.interactive:
            raise UsageError(_("No terminal to ask for the password. Set KITCHENCAM_PASSWORD instead."))
        name = user or os.environ.get("KITCHENCAM_USER") or ENV.prompt(_("Camera user name"), False)
        if password is None:
            password = ENV.prompt(_("Password for {user}").format(user=name), True)
        secrets = SecretStore(ENV.paths)
        secrets.set(camera_key(name), password)
        return CredentialsResult(user=name, backend=secrets.backend_name, fallback_reason=secrets.fallback_reason)

    finish("credentials set", as_json, produce, _render_credentials)


@credentials_app.command("forget")
def credentials_forget(user: UserOpt = None, as_json: JsonOpt = False) -> None:
    """Remove a saved camera password. Example: kitchencam credentials forget --user admin"""
    from kitchencam.settings import SecretStore, camera_key

    def produce() -> Any:
        from kitchencam.errors import UsageError
        from kitchencam.sitecmd import CredentialsResult

        if not user:
            raise UsageError(_("Say whose password to forget: --user NAME"))
        secrets = SecretStore(ENV.paths)
        found = secrets.delete(camera_key(user))
        return CredentialsResult(user=user, backend=secrets.backend_name, fallback_reason=secrets.fallback_reason,
                                 removed=found)

    finish("credentials forget", as_json, produce, _render_credentials)


def _render_credentials(console: Console, result: Any) -> None:
    if result.removed is None:
        console.print(_("Saved the password for {user} in {backend}.").format(user=result.user, backend=result.backend))
    elif result.removed:
        console.print(_("Forgot the password for {user}.").format(user=result.user))
    else:
        console.print(_("No saved password for {user}.").format(user=result.user))
    if result.fallback_reason:
        console.print(_("Note: {reason}, so passwords go to a file only you can read.").format(
            reason=result.fallback_reason))
