"""The command line: parse options, call one core function, render its result.

The only module that prints or exits. Heavy imports (zeep, pydantic models, the simulator) live
inside the commands that use them, so ``kitchencam --help`` stays fast (benchmarks/cli_startup.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.errors import ExitCode, KitchencamError
from kitchencam.i18n import _, pick_language, set_language

if TYPE_CHECKING:
    from rich.console import Console

    from kitchencam.models import ErrorItem
    from kitchencam.settings import Paths

# Help texts are translated when this module is imported, so pick the language from argv now.
set_language(pick_language(sys.argv[1:]))

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

JsonOpt = Annotated[bool, typer.Option("--json", help=_("Print one JSON document (see docs/reference/json.md)."))]
UserOpt = Annotated[
    str | None,
    typer.Option("--user", "-u", help=_("Camera user name (else KITCHENCAM_USER). The password is never an option.")),
]
SiteOpt = Annotated[
    Path | None,
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
    from kitchencam.models import ErrorItem
    from kitchencam.render import envelope, error_line, exit_code_for, print_json

    try:
        try:
            result = produce()
        except Exception as exc:
            # An SQLite failure outside the store's own mapping (a file damaged under a running
            # command) still gets the technician's words, not a traceback.
            if type(exc).__module__ != "sqlite3":
                raise
            from kitchencam.store import store_error

            raise store_error(ENV.paths.store_file, exc) from exc
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
        Path | None,
        typer.Option("--site", help=_("Where to write it (default: the user config folder).")),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite an existing file."))] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a site config to edit, then check it with: kitchencam site show.

    \b
    Example:
    kitchencam site init --school-name "Trường Mầm non Tả Thanh Oai" --school-code MN-TTO --centre-url https://centre.example/
    """
    from kitchencam.render import render_site
    from kitchencam.sitecmd import init_site

    target = path or ENV.paths.site_file
    finish(
        "site init",
        as_json,
        lambda: init_site(
            target,
            ENV.paths,
            school_name=school_name,
            school_code=school_code,
            address=address,
            centre_url=centre_url,
            force=force,
        ),
        render_site,
    )


@site_app.command("show")
def site_show(
    path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate the site config and show it. Example: kitchencam site show --json"""
    from kitchencam.render import render_site
    from kitchencam.sitecmd import show_site

    target = path or ENV.paths.site_file
    finish("site show", as_json, lambda: show_site(target, ENV.paths), render_site)


# ---------------------------------------------------------------------------------------------
# credentials
# ---------------------------------------------------------------------------------------------


CentreTokenOpt = Annotated[
    bool, typer.Option("--centre-token", help=_("The district centre's bearer token for the site, not a camera's."))
]


@credentials_app.command("set")
def credentials_set(user: UserOpt = None, centre: CentreTokenOpt = False, site_path: SiteOpt = None,
                    as_json: JsonOpt = False) -> None:
    """Ask for a camera password (hidden), or the centre's token, and keep it in the OS keyring.

    \b
    Examples:
    kitchencam credentials set --user admin
    kitchencam credentials set --centre-token
    """
    from kitchencam.settings import SecretStore, camera_key

    def produce() -> Any:
        import os

        from kitchencam.errors import UsageError
        from kitchencam.sitecmd import CredentialsResult

        if centre:
            from kitchencam.centre import token_key

            token = os.environ.get("KITCHENCAM_CENTRE_TOKEN")
            if token is None and not ENV.interactive:
                raise UsageError(_("No terminal to ask for the token. Set KITCHENCAM_CENTRE_TOKEN instead."))
            if token is None:
                token = ENV.prompt(_("Centre token"), True)
            code = _site_context(site_path)[1].code
            secrets = SecretStore(ENV.paths)
            secrets.set(token_key(code), token.strip())
            return CredentialsResult(user=token_key(code), backend=secrets.backend_name,
                                     fallback_reason=secrets.fallback_reason, kind="centre-token")
        password = os.environ.get("KITCHENCAM_PASSWORD")
        if password is None and not ENV.interactive:
            raise UsageError(_("No terminal to ask for the password. Set KITCHENCAM_PASSWORD instead."))
        name = user or os.environ.get("KITCHENCAM_USER") or ENV.prompt(_("Camera user name"), False)
        if password is None:
            password = ENV.prompt(_("Password for {user}").format(user=name), True)
        secrets = SecretStore(ENV.paths)
        secrets.set(camera_key(name), password)
        return CredentialsResult(user=name, backend=secrets.backend_name, fallback_reason=secrets.fallback_reason)

    from kitchencam.render import render_credentials

    finish("credentials set", as_json, produce, render_credentials)


@credentials_app.command("forget")
def credentials_forget(user: UserOpt = None, centre: CentreTokenOpt = False, site_path: SiteOpt = None,
                       as_json: JsonOpt = False) -> None:
    """Remove a saved camera password (or the centre's token, --centre-token).

    Example: kitchencam credentials forget --user admin
    """
    from kitchencam.settings import SecretStore, camera_key

    def produce() -> Any:
        from kitchencam.errors import UsageError
        from kitchencam.sitecmd import CredentialsResult

        if centre:
            from kitchencam.centre import token_key

            key = token_key(_site_context(site_path)[1].code)
        elif user:
            key = camera_key(user)
        else:
            raise UsageError(_("Say whose password to forget: --user NAME"))
        secrets = SecretStore(ENV.paths)
        found = secrets.delete(key)
        return CredentialsResult(
            user=key if centre else str(user), backend=secrets.backend_name, fallback_reason=secrets.fallback_reason,
            removed=found, kind="centre-token" if centre else "password",
        )

    from kitchencam.render import render_credentials

    finish("credentials forget", as_json, produce, render_credentials)


# ---------------------------------------------------------------------------------------------
# sim
# ---------------------------------------------------------------------------------------------

ListOpt = list[str] | None
TargetsArg = Annotated[
    list[str] | None, typer.Argument(metavar="TARGET...", help=_("HOST, HOST:PORT or an XAddr URL."))
]
AllOpt = Annotated[bool, typer.Option("--all", help=_("Every camera in the site's inventory."))]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", metavar="NAME|PATH", help=_("Spec profile (default: the site's)."))
]


@app.command("sim")
def sim(
    cameras: Annotated[
        int | None,
        typer.Option(
            "--cameras",
            "-n",
            min=1,
            max=250,
            help=_("How many cameras (default: one per --persona)."),
        ),
    ] = None,
    persona: Annotated[
        ListOpt, typer.Option("--persona", "-p", metavar="NAME", help=_("Persona, repeatable, used round-robin."))
    ] = None,
    bind_base: Annotated[
        str,
        typer.Option("--bind-base", metavar="IP", help=_("Camera k listens on this address + k; the centre on it.")),
    ] = "127.0.0.10",
    http_port: Annotated[
        int, typer.Option("--http-port", min=0, max=65535, help=_("HTTP/ONVIF port of every camera (0: any free)."))
    ] = 80,
    rtsp_port: Annotated[
        int, typer.Option("--rtsp-port", min=0, max=65535, help=_("RTSP port of every camera (0: any free)."))
    ] = 554,
    user: Annotated[str | None, typer.Option("--user", help=_("Administrator user of the simulated cameras."))] = None,
    password: Annotated[
        str | None, typer.Option("--password", help=_("Password of the simulated cameras (simulator only)."))
    ] = None,
    fault: Annotated[
        ListOpt,
        typer.Option(
            "--fault",
            metavar="SPEC",
            help=_(
                "Camera fault, repeatable: latency=MS, drop=P, fault-on=OP, malformed=OP, reboot-after-set, "
                "clock-skew=S, html-401, html-400, refuse-tz=TEXT."
            ),
        ),
    ] = None,
    centre: Annotated[bool, typer.Option("--centre", help=_("Also serve a simulated district centre."))] = False,
    centre_port: Annotated[
        int, typer.Option("--centre-port", min=0, max=65535, help=_("Port of the centre (0: any free)."))
    ] = 8000,
    centre_token: Annotated[
        str | None, typer.Option("--centre-token", help=_("Bearer token the centre accepts (default: random)."))
    ] = None,
    centre_fault: Annotated[
        ListOpt,
        typer.Option(
            "--centre-fault", metavar="SPEC", help=_("Centre fault, repeatable: 500, 503, down, slow=MS, drop=P, 401.")
        ),
    ] = None,
    no_discovery: Annotated[bool, typer.Option("--no-discovery", help=_("Do not answer WS-Discovery."))] = False,
) -> None:
    """Serve a simulated school (ONVIF cameras, RTSP, WS-Discovery, the centre) until Ctrl+C.

    Prints one JSON line per endpoint, then serves. Example:

    \b
    kitchencam sim --cameras 3 --persona dahua-wizsense2 --persona generic-720p --http-port 8080 --centre
    """
    import json
    import signal
    import threading

    from kitchencam.errors import UsageError

    def produce() -> Any:
        from kitchencam.sim.school import SimulatedSchool

        try:
            school = SimulatedSchool(
                personas=persona or ["dahua-wizsense2"],
                cameras=cameras,
                bind_base=bind_base,
                http_port=http_port,
                rtsp_port=rtsp_port,
                user=user,
                password=password,
                faults=fault or [],
                centre=centre,
                centre_port=centre_port,
                centre_token=centre_token,
                centre_faults=centre_fault or [],
                discovery=not no_discovery,
            )
            endpoints = school.start()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        except PermissionError as exc:
            raise UsageError(
                _(
                    "Cannot listen ({reason}). Ports below 1024 need administrator rights: "
                    "use --http-port 8080 --rtsp-port 8554 --centre-port 8000."
                ).format(reason=exc)
            ) from None
        except OSError as exc:
            raise UsageError(
                _(
                    "Cannot listen on {base} ({reason}). Is another simulator running there? "
                    "Choose another --bind-base."
                ).format(base=bind_base, reason=exc)
            ) from None
        return school, endpoints

    def serve(console: Console, started: Any) -> None:
        school, endpoints = started
        for endpoint in endpoints:
            console.file.write(json.dumps(endpoint, ensure_ascii=False) + "\n")
        console.file.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            school.stop()

    finish("sim", False, produce, serve)


# ---------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------


@app.command("demo")
def demo(as_json: JsonOpt = False) -> None:
    """Run the whole job against a simulated school on loopback (no root, no fixed port).

    Example: kitchencam demo
    """

    def produce() -> Any:
        from kitchencam.demo import run_demo

        out_dir = ENV.paths.data_dir / "demo"
        if as_json:
            return run_demo(out_dir=out_dir)
        with ENV.err.status(_("Starting a simulated school on loopback...")) as status:
            return run_demo(progress=status.update, out_dir=out_dir)

    from kitchencam.render import render_demo

    finish("demo", as_json, produce, render_demo)


# ---------------------------------------------------------------------------------------------
# discover
# ---------------------------------------------------------------------------------------------


@app.command("discover")
def discover_cmd(
    interface: Annotated[
        ListOpt,
        typer.Option("--interface", "-i", metavar="NAME",
                     help=_("Search by multicast on this interface only (repeatable).")),
    ] = None,
    subnet: Annotated[
        ListOpt,
        typer.Option("--subnet", metavar="CIDR",
                     help=_("Also probe every address of this subnet by unicast, up to a /22 (repeatable).")),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="S", help=_(
            "Longest wait for answers, in seconds; a sweep ends sooner once every address has answered or refused.")),
    ] = 3.0,
    expect: Annotated[
        int | None,
        typer.Option("--expect", metavar="N", help=_("Stop as soon as N devices have answered.")),
    ] = None,
    http_port: Annotated[
        int, typer.Option("--http-port", min=1, max=65535, help=_("Port of the HTTP check for silent hosts."))
    ] = 80,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the cameras on the school LAN and record them in the site's inventory.

    Multicast WS-Discovery on every connected interface (or only --interface), plus a unicast
    sweep of --subnet for networks that block multicast. With credentials (--user, or
    KITCHENCAM_USER/KITCHENCAM_PASSWORD) it also reads model, serial, firmware and MAC.

    \b
    Examples:
    kitchencam discover
    kitchencam discover --subnet 192.168.1.0/24 --expect 6
    """
    import os

    def produce() -> Any:
        from kitchencam.discover import DiscoverOptions, discover, record
        from kitchencam.settings import SecretStore, load_site, resolve_credentials
        from kitchencam.store import Store

        name = user or os.environ.get("KITCHENCAM_USER")
        creds = None
        if name:
            creds = resolve_credentials(name, SecretStore(ENV.paths), interactive=ENV.interactive, prompt=ENV.prompt)
        options = DiscoverOptions(interfaces=interface or [], subnets=subnet or [], timeout_s=timeout,
                                  expect=expect, http_port=http_port,
                                  user=creds.user if creds else None, password=creds.password if creds else None)
        site_file = site_path or ENV.paths.site_file
        site = load_site(site_file) if site_file.exists() else None
        if as_json or not ENV.err.is_terminal:
            result = discover(options)
        else:
            with ENV.err.status(_("Searching...")) as status:

                def show(counts: dict[str, int]) -> None:
                    parts = ", ".join(f"{k}: {v}" for k, v in counts.items())
                    status.update(_("Searching... found {parts}").format(parts=parts))

                result = discover(options, progress=show)
        with Store(ENV.paths.store_file) as store:
            if site is not None:
                return record(result, store, site.school.code, site.school.name)
            return record(result, store, "local", _("(no site config)"))

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.discover import errors_of

        return errors_of(result, expect)

    from kitchencam.render import render_discover

    finish("discover", as_json, produce, render_discover, extra_errors=errors)


# ---------------------------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------------------------

profile_app = typer.Typer(help=_("List, show and validate spec profiles."), no_args_is_help=True)
app.add_typer(profile_app, name="profile")


@profile_app.command("list")
def profile_list(as_json: JsonOpt = False) -> None:
    """The spec profiles: those shipped with kitchencam and the site's own (user profiles folder).

    Example: kitchencam profile list
    """

    def produce() -> Any:
        from kitchencam.profile import list_profiles
        from kitchencam.sitecmd import ProfileList

        return ProfileList(profiles=list_profiles())

    from kitchencam.render import render_profile_list

    finish("profile list", as_json, produce, render_profile_list)


@profile_app.command("show")
def profile_show(
    name: Annotated[str, typer.Argument(help=_("A profile id (see profile list) or a YAML file."))] = "thanhtri-2024",
    as_json: JsonOpt = False,
) -> None:
    """Show a profile's rules, with the letter's words beside each. Example: kitchencam profile show thanhtri-2024"""

    def produce() -> Any:
        from kitchencam.profile import load_profile

        return load_profile(name)

    from kitchencam.render import render_profile

    finish("profile show", as_json, produce, render_profile)


@profile_app.command("validate")
def profile_validate(
    path: Annotated[Path, typer.Argument(help=_("The profile YAML file to check."))],
    as_json: JsonOpt = False,
) -> None:
    """Check a profile file; every problem names the file, the line and what was expected.

    Example: kitchencam profile validate my-profile.yaml
    """

    def produce() -> Any:
        from kitchencam.errors import ConfigError
        from kitchencam.profile import validate_profile
        from kitchencam.sitecmd import ProfileValidation

        problems = validate_profile(path)
        if problems:
            raise ConfigError("\n".join(problems))
        return ProfileValidation(path=str(path), valid=True)

    from kitchencam.render import render_profile_validation

    finish("profile validate", as_json, produce, render_profile_validation)


# ---------------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------------


@app.command("check")
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
        site_file = site_path or ENV.paths.site_file
        site = load_site(site_file) if site_file.exists() else None
        code, name = (site.school.code, site.school.name) if site else ("local", _("(no site config)"))
        profile = load_profile(profile_name or (site.profile if site else "thanhtri-2024"))
        catalogue = load_catalogue()
        attestations = parse_attestations(attest or [], by, started, profile=profile)
        if attestations_file is not None:
            attestations += load_attestations(attestations_file, now=started, profile=profile)
        with Store(ENV.paths.store_file) as store:
            chosen = targets_or_all(targets or [], use_all, store, code)
            site_facts = site_facts_from_store(store, code)
        creds = resolve_credentials(user or os.environ.get("KITCHENCAM_USER"), SecretStore(ENV.paths),
                                    interactive=ENV.interactive, prompt=ENV.prompt)
        options = CheckOptions(targets=chosen, user=creds.user, password=creds.password, attestations=attestations,
                               site_facts=site_facts)
        if as_json or not ENV.err.is_terminal:
            result = check(options, profile, catalogue)
        else:
            from kitchencam.render import check_progress

            with check_progress(ENV.err, len(chosen)) as advance:
                result = check(options, profile, catalogue, progress=advance)
        with Store(ENV.paths.store_file) as store:
            return record(result, store, code, name, started.isoformat(timespec="seconds"))

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.check import errors_of

        return errors_of(result)

    from kitchencam.render import render_check

    finish("check", as_json, produce, render_check, extra_errors=errors)


# ---------------------------------------------------------------------------------------------
# provision / rollback
# ---------------------------------------------------------------------------------------------


def _site_context(site_path: Path | None) -> tuple[Any, Any]:
    """(site config or None, SiteContext) for commands that act for a site."""
    from kitchencam.provision import SiteContext
    from kitchencam.settings import load_site

    site_file = site_path or ENV.paths.site_file
    site = load_site(site_file) if site_file.exists() else None
    if site is None:
        return None, SiteContext(code="local", name=_("(no site config)"), ntp_servers=[])
    return site, SiteContext(code=site.school.code, name=site.school.name, ntp_servers=list(site.ntp_servers))


@app.command("provision")
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
        site, ctx = _site_context(site_path)
        profile = load_profile(profile_name or (site.profile if site else "thanhtri-2024"))
        catalogue = load_catalogue()
        from kitchencam.uplink import uplink_warning

        with Store(ENV.paths.store_file) as store:
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
        secrets_store = SecretStore(ENV.paths)
        creds = resolve_credentials(user or os.environ.get("KITCHENCAM_USER"), secrets_store,
                                    interactive=ENV.interactive, prompt=ENV.prompt)
        options = ProvisionOptions(targets=chosen, user=creds.user, password=creds.password, dry_run=True,
                                   secrets_get=secrets_store.get, secrets_set=secrets_store.set)

        def store_backup(target: str, facts: Any, settings: dict[str, Any]) -> int:
            from kitchencam.targets import camera_key

            with Store(ENV.paths.store_file) as s:
                return s.save_backup(site_id, camera_key(facts), target, settings)

        def record_step(backup_id: int, step: str, status: str, detail: str | None) -> None:
            with Store(ENV.paths.store_file) as s:
                s.record_step(backup_id, step, status, detail)

        planned = provision(options, profile, catalogue, ctx, store_backup, record_step)
        planned.warnings = warnings
        if dry_run or not any(s.status == "planned" for c in planned.cameras for s in c.steps):
            return planned
        if not yes:
            if as_json or not ENV.interactive:
                raise UsageError(_("Add --yes to apply the plan without a terminal to confirm it "
                                   "(or --dry-run to only see it)."))
            render_provision(ENV.out, planned)
            if not typer.confirm(_("Apply these changes?"), default=False):
                raise typer.Exit(int(ExitCode.OK))
        options.dry_run = False
        result = provision(options, profile, catalogue, ctx, store_backup, record_step)
        result.warnings = warnings
        with Store(ENV.paths.store_file) as store:
            record(result, store, ctx.code, ctx.name, started.isoformat(timespec="seconds"))
        return result

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.provision import errors_of

        return errors_of(result)

    finish("provision", as_json, produce, render_provision, extra_errors=errors)


@app.command("rollback")
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
        from kitchencam.errors import KitchencamError
        from kitchencam.profile import load_profile
        from kitchencam.provision import ProvisionOptions, rollback
        from kitchencam.settings import SecretStore, resolve_credentials
        from kitchencam.store import Store

        site, ctx = _site_context(site_path)
        profile = load_profile(profile_name or (site.profile if site else "thanhtri-2024"))
        creds = resolve_credentials(user or os.environ.get("KITCHENCAM_USER"), SecretStore(ENV.paths),
                                    interactive=ENV.interactive, prompt=ENV.prompt)
        with Store(ENV.paths.store_file) as store:
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


# ---------------------------------------------------------------------------------------------
# register / sync / doctor
# ---------------------------------------------------------------------------------------------


def _centre_client(site: Any, ctx: Any) -> Any:
    """A client for the site's centre, with the token from the environment or the keyring."""
    from kitchencam.centre import CentreClient, centre_token, require_token
    from kitchencam.errors import UsageError
    from kitchencam.settings import SecretStore

    if site is None:
        raise UsageError(_("No site config: the centre's address comes from it. Create one with kitchencam site init, "
                           "or pass --site FILE."))
    token = require_token(centre_token(ctx.code, SecretStore(ENV.paths).get))
    return CentreClient(str(site.centre.url), token, verify_tls=site.centre.verify_tls)


@app.command("register")
def register_cmd(
    targets: TargetsArg = None,
    use_all: AllOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help=_("Send cameras that fail a rule too (their compliance says so)."))
    ] = False,
    location: Annotated[
        str | None, typer.Option("--location", metavar="TEXT", help=_("Where the camera is installed (one camera)."))
    ] = None,
    show_status: Annotated[
        bool, typer.Option("--status", help=_("Show what the centre has and what waits; send nothing."))
    ] = False,
    profile_name: ProfileOpt = None,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register cameras with the district centre (queued in the store first, so nothing is lost).

    Each camera is read and judged now; a compliant one (or any, with --force) is queued, then sent.
    When the centre cannot be reached it stays queued: run kitchencam sync later. Exit 4 if some
    wait, 5 if the centre refuses the token, 1 if it refuses a record, 3 if a camera is not compliant.

    \b
    Examples:
    kitchencam register --all
    kitchencam register 192.168.1.64 --location "Bếp ăn, khu sơ chế"
    kitchencam register --status
    """
    import os

    def produce() -> Any:
        from kitchencam.centre import RegisterRequest, register, status
        from kitchencam.check import CheckOptions, targets_or_all
        from kitchencam.profile import load_catalogue, load_profile
        from kitchencam.settings import SecretStore, resolve_credentials
        from kitchencam.store import Store

        site, ctx = _site_context(site_path)
        client = _centre_client(site, ctx)
        with client, Store(ENV.paths.store_file) as store:
            if show_status:
                return status(store, ctx.code, client)
            chosen = targets_or_all(targets or [], use_all, store, ctx.code)
            profile = load_profile(profile_name or site.profile)
            secrets = SecretStore(ENV.paths)
            creds = resolve_credentials(user or os.environ.get("KITCHENCAM_USER"), secrets,
                                        interactive=ENV.interactive, prompt=ENV.prompt)
            account = profile.provision.centre_account if profile.provision else None
            request = RegisterRequest(targets=chosen, school_code=ctx.code, school_name=ctx.name, force=force,
                                      location=location, centre_user=account.user if account else None)
            options = CheckOptions(targets=chosen, user=creds.user, password=creds.password)
            return register(request, profile, load_catalogue(), options, store, client, secrets.get)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.centre import errors_of
        from kitchencam.errors import NonCompliant
        from kitchencam.models import ErrorItem

        if show_status:
            return [result.centre_error] if result.centre_error else []
        skipped = [ErrorItem.from_error(NonCompliant(d.reason or "", target=d.target))
                   for d in result.cameras if d.state == "skipped"]
        return errors_of(result.cameras, result.stopped_by) + skipped

    from kitchencam.render import render_register, render_register_status

    finish("register", as_json, produce, render_register_status if show_status else render_register,
           extra_errors=errors)


@app.command("sync")
def sync_cmd(
    due: Annotated[
        bool, typer.Option("--due", help=_("Only items whose retry time has come (for a scheduled task).")),
    ] = False,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the registrations waiting in the store to the district centre.

    Each one is sent with its own Idempotency-Key, so a repeat never makes a second record. Exit 4
    if some still wait, 5 if the centre refuses the token, 1 if it refuses a record.

    \b
    Example: kitchencam sync
    """

    def produce() -> Any:
        from kitchencam.centre import sync
        from kitchencam.settings import SecretStore
        from kitchencam.store import Store

        site, ctx = _site_context(site_path)
        with _centre_client(site, ctx) as client, Store(ENV.paths.store_file) as store:
            site_id = store.upsert_site(ctx.code, ctx.name).id
            return sync(store, site_id, client, SecretStore(ENV.paths).get, due_only=due)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.centre import errors_of

        return errors_of(result.deliveries, result.stopped_by)

    from kitchencam.render import render_sync

    finish("sync", as_json, produce, render_sync, extra_errors=errors)


@app.command("doctor")
def doctor_cmd(profile_name: ProfileOpt = None, site_path: SiteOpt = None, as_json: JsonOpt = False) -> None:
    """Check this computer is ready: store, keyring, site config, profile, the centre and its token.

    Exit 1 if a check fails; each failure says what to do.

    \b
    Example: kitchencam doctor
    """

    def produce() -> Any:
        from kitchencam.doctor import doctor

        return doctor(ENV.paths, site_path or ENV.paths.site_file, profile_name=profile_name)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.models import ErrorItem

        return [ErrorItem(code="DoctorFailed", message=f"{c.name}: {c.detail}", exit_code=int(ExitCode.ERROR),
                          hint=c.fix) for c in result.failed]

    from kitchencam.render import render_doctor

    finish("doctor", as_json, produce, render_doctor, extra_errors=errors)


# ---------------------------------------------------------------------------------------------
# bandwidth
# ---------------------------------------------------------------------------------------------


@app.command("bandwidth")
def bandwidth_cmd(
    url: Annotated[
        str | None,
        typer.Option("--url", metavar="URL",
                     help=_("Where to upload (default: the site's centre URL + /api/v1/bandwidth/upload).")),
    ] = None,
    duration: Annotated[
        float, typer.Option("--duration", metavar="S", min=1, max=600, help=_("Seconds counted, after a warm-up."))
    ] = 20.0,
    streams: Annotated[
        int, typer.Option("--streams", metavar="N", min=1, max=4, help=_("Parallel connections (1-4)."))
    ] = 2,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure the school's sustained upload to the centre and how many cameras it carries.

    The token comes from KITCHENCAM_CENTRE_TOKEN or the keyring (credentials set --centre-token).
    Exit 4 if the centre cannot be reached, 5 if it refuses the token.

    \b
    Example: kitchencam bandwidth --duration 30 --streams 4
    """

    def produce() -> Any:
        from kitchencam import bandwidth as bw
        from kitchencam.errors import UsageError
        from kitchencam.profile import load_profile
        from kitchencam.store import Store

        site, ctx = _site_context(site_path)
        if url is None and site is None:
            raise UsageError(_("No site config to take the centre's address from: pass --url URL, or create one "
                               "with kitchencam site init."))
        target = url or str(site.centre.url).rstrip("/") + "/api/v1/bandwidth/upload"
        profile = load_profile(site.profile if site else "thanhtri-2024")
        with Store(ENV.paths.store_file) as store:
            site_id = store.upsert_site(ctx.code, ctx.name).id
            on_site = len(store.list_devices(site_id, kind="camera"))
        from kitchencam.centre import centre_token
        from kitchencam.settings import SecretStore

        options: dict[str, Any] = {
            "token": centre_token(ctx.code, SecretStore(ENV.paths).get), "duration_s": duration,
            "warmup_s": bw.WARMUP_S, "streams": streams, "verify_tls": site.centre.verify_tls if site else True,
            "cap_kbps": profile.main_stream.bitrate_kbps_max, "cameras_on_site": on_site,
        }
        if as_json or not ENV.err.is_terminal:
            result = bw.measure(target, **options)
        else:
            from kitchencam.render import bandwidth_progress

            with bandwidth_progress(ENV.err, duration + bw.WARMUP_S) as show:
                result = bw.measure(target, progress=show, **options)
        with Store(ENV.paths.store_file) as store:
            store.save_bandwidth(site_id, mean_mbps=result.mean_mbps, p10_mbps=result.p10_mbps,
                                 duration_s=result.duration_s, streams=result.streams, url=result.url)
        return result

    from kitchencam.render import render_bandwidth

    finish("bandwidth", as_json, produce, render_bandwidth)


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


@app.command("report")
def report_cmd(
    fmt: Annotated[
        str,
        typer.Option("--format", metavar="pdf|html|both",
                     help=_("The PDF to print, one self-contained HTML file, or both.")),
    ] = "pdf",
    report_lang: Annotated[
        str,
        typer.Option("--lang", metavar="vi|en",
                     help=_("Language of the minutes (default vi), whatever the language of messages.")),
    ] = "vi",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="PATH",
                     help=_("A .pdf or .html file, or a folder for the usual file names (default: the current "
                            "folder).")),
    ] = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the handover minutes (biên bản bàn giao) from what the store holds for the site.

    Every camera with its equipment row, the settings applied, the verdicts with their evidence,
    the technician's attestations, the snapshot taken at provisioning, the RTSP check and the
    centre's registration; where a stage has not run, the minutes say so.

    \b
    Examples:
    kitchencam report
    kitchencam report --format both --lang en -o reports/
    """
    if fmt not in ("pdf", "html", "both"):
        raise typer.BadParameter(_("choose pdf, html or both"), param_hint="--format")
    if report_lang.lower() not in ("vi", "en"):
        raise typer.BadParameter(_("choose vi or en"), param_hint="--lang")

    def produce() -> Any:
        from datetime import datetime, timezone

        from kitchencam import __version__
        from kitchencam.profile import load_profile
        from kitchencam.report import ReportInput, write_report
        from kitchencam.store import Store

        site, ctx = _site_context(site_path)
        profile = load_profile(site.profile if site else "thanhtri-2024")
        given = ReportInput(site_code=ctx.code, site_name=ctx.name, config=site, profile=profile,
                            lang=report_lang.lower(), now=datetime.now(timezone.utc), version=__version__)
        with Store(ENV.paths.store_file) as store:
            return write_report(store, given, fmt=fmt, output=output)  # type: ignore[arg-type]

    from kitchencam.render import render_report

    finish("report", as_json, produce, render_report)
