"""What every command shares: the outside world (``Env``), the options, and ``finish``, which runs
a command's work and renders its result with the contract's exit code.

With render.py, the cli package is the only code that prints or exits. Heavy imports (zeep,
pydantic models, the simulator, rich) stay inside the functions that use them, so
``kitchencam --help`` stays fast (benchmarks/cli_startup.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from kitchencam.errors import ExitCode, KitchencamError
from kitchencam.i18n import _, pick_language, set_language

if TYPE_CHECKING:
    from rich.console import Console

    from kitchencam.app import Context
    from kitchencam.models import ErrorItem
    from kitchencam.settings import Paths

# Help texts are translated when the command modules are imported, so pick the language from argv now.
set_language(pick_language(sys.argv[1:]))

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

    def prompt(self, label: str, hide: bool, confirm: bool = False) -> str:
        """Ask on the terminal; ``confirm`` asks to type it again (a new password)."""
        again = _("Type it again to confirm") if confirm else False
        return str(typer.prompt(label, hide_input=hide, confirmation_prompt=again))


ENV = Env()


def finish(
    command: str,
    as_json: bool,
    produce: Callable[[], Any],
    human: Callable[[Console, Any], None],
    *,
    extra_errors: Callable[[Any], list[ErrorItem]] | None = None,
    on_interrupt: Callable[[KeyboardInterrupt], None] | None = None,
) -> None:
    """Run ``produce`` (core work returning a model), render it, exit with the contract's code.

    Expected failures (KitchencamError) become a message and their exit code; anything else is a
    bug and keeps its traceback. Ctrl-C (while it runs or at a prompt) goes to ``on_interrupt``, by
    default :func:`interrupted`: exit 130.
    """
    def stop(exc: KeyboardInterrupt) -> NoReturn:
        if on_interrupt is not None:
            on_interrupt(exc)
        interrupted(command, as_json)

    try:
        _finish(command, as_json, produce, human, extra_errors=extra_errors)
    except KeyboardInterrupt as exc:
        stop(exc)
    except typer.Abort as exc:
        if not isinstance(exc.__context__, KeyboardInterrupt):
            raise  # end of input at a prompt: Click's own words
        stop(exc.__context__)


def _finish(
    command: str,
    as_json: bool,
    produce: Callable[[], Any],
    human: Callable[[Console, Any], None],
    *,
    extra_errors: Callable[[Any], list[ErrorItem]] | None = None,
) -> None:
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


#: The exit status of a run stopped by Ctrl-C (128 + SIGINT), as a shell reports it.
INTERRUPTED = 130


def interrupted_hint(command: str) -> str:
    """After Ctrl-C: that nothing half-done is lost, and what to run next."""
    if command == "provision":
        return _("Nothing half-done is lost: each camera's settings were backed up before its first change. "
                 "Run kitchencam provision again to finish, or kitchencam rollback TARGET to put a camera back.")
    return _("Nothing half-done is lost: what was already recorded stays. "
             "Run kitchencam {command} again.").format(command=command)


def interrupted(command: str, as_json: bool, *, result: Any = None, errors: Sequence[ErrorItem] = (),
                hint: str | None = None, human: Callable[[Console], None] | None = None) -> NoReturn:
    """Ctrl-C: say the command stopped and how to go on, exit 130. Under ``--json``, the envelope with an
    ``Interrupted`` error (after ``errors``, with ``result`` as its data); else ``human`` says it on stderr
    (by default one line: stopped, and ``hint``)."""
    from kitchencam.models import ErrorItem
    from kitchencam.render import envelope, print_json

    hint = hint or interrupted_hint(command)
    if as_json:
        item = ErrorItem(code="Interrupted", message=_("Stopped by Ctrl-C."), exit_code=INTERRUPTED, hint=hint)
        print_json(ENV.out, envelope(command, result, [*errors, item]))
    elif human is not None:
        human(ENV.err)
    else:
        from rich.markup import escape

        ENV.err.print()
        ENV.err.print(f"[b]{escape(_('Stopped by Ctrl-C.'))}[/] {escape(hint)}", soft_wrap=True)
    raise typer.Exit(INTERRUPTED)


ListOpt = list[str] | None
TargetsArg = Annotated[
    list[str] | None, typer.Argument(metavar="TARGET...", help=_("HOST, HOST:PORT or an XAddr URL."))
]
AllOpt = Annotated[bool, typer.Option("--all", help=_("Every camera in the site's inventory."))]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", metavar="NAME|PATH", help=_("Spec profile (default: the site's)."))
]


CentreTokenOpt = Annotated[
    bool, typer.Option("--centre-token", help=_("The district centre's bearer token for the site, not a camera's."))
]


def context(site_path: Path | None = None, *, profile_name: str | None = None, user: str | None = None,
            show_progress: bool = False) -> Context:
    """The one context of this run (kitchencam/app.py), from the environment and the command's options.

    This is the lazy seam: the application layer, and the core under it, load here, when a command
    runs, never for ``--help``. With ``show_progress`` (a person watching a terminal) the stages
    report their progress on stderr.
    """
    from kitchencam.app import Context

    return Context.from_paths(ENV.paths, site_path, profile_name=profile_name, user=user,
                              interactive=ENV.interactive, prompt=ENV.prompt,
                              progress=_progress if show_progress else None)


#: A camera still busy this long after its check began is named on stderr, then again every
#: WAIT_EVERY_S: a camera that accepts the connection and never answers is otherwise silence.
WAIT_NOTICE_S = 5.0
WAIT_EVERY_S = 10.0


def host_port(target: str, default_port: int = 80) -> str:
    """HOST:PORT of a target given as HOST, HOST:PORT or an XAddr URL."""
    netloc = target.rsplit("//", maxsplit=1)[-1].split("/", maxsplit=1)[0]
    if netloc.endswith("]") or ":" not in netloc:
        return f"{netloc}:{default_port}"
    return netloc


class Waiting:
    """Which cameras a stage is still waiting for. The stage begins its targets in order, ``workers``
    at a time (a thread pool); ``finished`` is told each one that is done; ``tick`` (called about
    once a second) says "waiting for HOST:PORT (N s)" through ``say`` for each camera still busy
    after ``after_s``, then every ``every_s``."""

    def __init__(self, targets: list[str], workers: int, say: Callable[[str], None], *,
                 after_s: float = WAIT_NOTICE_S, every_s: float = WAIT_EVERY_S,
                 clock: Callable[[], float] | None = None) -> None:
        import time

        self._clock = clock or time.monotonic
        self._queue = list(targets)
        self._say = say
        self._after_s = after_s
        self._every_s = every_s
        self._busy: dict[str, tuple[float, float]] = {}  # target -> (began, next notice at)
        for _k in range(max(1, workers)):
            self._begin_next()

    def _begin_next(self) -> None:
        if self._queue:
            now = self._clock()
            self._busy[self._queue.pop(0)] = (now, now + self._after_s)

    def finished(self, target: str) -> None:
        if self._busy.pop(target, None) is not None:
            self._begin_next()

    def tick(self) -> None:
        now = self._clock()
        for target, (began, due) in list(self._busy.items()):
            if now >= due:
                self._busy[target] = (began, due + self._every_s)
                self._say(_("waiting for {camera} ({seconds} s)").format(camera=host_port(target),
                                                                        seconds=int(now - began)))


@contextmanager
def _waiting_notices(targets: list[str], workers: int) -> Iterator[Waiting]:
    """A Waiting whose ticks run in a thread for as long as the stage runs (stops with it)."""
    import threading

    from rich.markup import escape

    waiting = Waiting(targets, workers, lambda text: ENV.err.print(escape(text), highlight=False),
                      after_s=WAIT_NOTICE_S,
                      every_s=WAIT_EVERY_S)
    stop = threading.Event()

    def ticks() -> None:
        while not stop.wait(1.0):
            waiting.tick()

    thread = threading.Thread(target=ticks, name="kitchencam-waiting", daemon=True)
    thread.start()
    try:
        yield waiting
    finally:
        stop.set()
        thread.join(timeout=2.0)


@contextmanager
def _progress(stage: str, total: float, targets: list[str] | None = None) -> Iterator[Callable[..., None]]:
    """A stage's progress on stderr: discovery's counts in a status line, bars for check and bandwidth;
    for check, the cameras still waited for after a few seconds are named."""
    from kitchencam.render import bandwidth_progress, check_progress

    if stage == "check":
        from kitchencam.inspection import MAX_WORKERS

        with check_progress(ENV.err, int(total)) as advance, \
                _waiting_notices(list(targets or []), MAX_WORKERS) as waiting:

            def done(device: Any) -> None:
                waiting.finished(device.target)
                advance(device)

            yield done
    elif stage == "bandwidth":
        with bandwidth_progress(ENV.err, total) as show:
            yield show
    elif stage == "register":
        from rich.markup import escape

        yield lambda text: ENV.err.print(escape(text))
    else:
        with ENV.err.status(_("Searching...")) as status:

            def show_counts(counts: dict[str, int]) -> None:
                parts = ", ".join(f"{k}: {v}" for k, v in counts.items())
                status.update(_("Searching... found {parts}").format(parts=parts))

            yield show_counts
