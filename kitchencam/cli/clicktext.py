"""Typer's own words in the UI language: the usage line, the help's headings and the usage errors.

Typer (0.29) runs on its own copy of Click (``typer._click``), whose words are English f-strings
("Usage: ", "Error: ", "No such option: --x", "Invalid value for '--x': ..."), not gettext calls;
only ``typer.core`` asks the stdlib ``gettext`` (``from gettext import gettext as _``) for its
headings and a few errors ("Options", "Arguments", "Commands", "default: {default}", "required",
"No such command {name!r}.", "Missing command."). So, each in one place:

- ``install()`` binds ``typer.core._`` to ``kitchencam.i18n._``: Typer's English msgids get their
  Vietnamese in our catalogue (kitchencam/locale), picked by ``--lang``/``KITCHENCAM_LANG``/the
  locale like every other message. The English catalogue maps them to themselves, so ``--lang en``
  prints what Typer prints.
- ``Command`` and ``Group`` (the classes of every kitchencam command) write the usage line with
  ``_("Usage: ")`` and the help option with ``_("Show this message and exit.")``, and translate the
  command's help, its function's docstring (a msgid collected by ``scripts/catalogues.py extract``).
- ``usage_message(exc)`` says a usage error in the UI language: the forms Click's copy writes
  (``_FORMS``) are matched and said again through our msgids; a value pydantic refused (Typer
  converts option values with it) is described like the site config's errors
  (``yamlfile.describe_error``). A form not listed stays as Click wrote it.
- ``show_usage_error(exc, message)`` prints Click's layout (usage line, "Try ... for help.",
  "Error: ...") with those words.

kitchencam's help uses Click's plain layout (``rich_markup_mode=None``), so the rich panels of
``typer.rich_utils`` (OPTIONS_PANEL_TITLE, ...) never show and are left alone. The covered messages
are listed in docs/reference/cli.md ("Language of Typer's own words").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import typer
import typer.core
from typer.core import TyperCommand, TyperGroup

from kitchencam.i18n import _

#: (English form Click's copy writes, how to say it again). Tried in order on the whole message;
#: a group named ``problem`` is itself said again (the inner message of "Invalid value for ...").
_FORMS: list[tuple[re.Pattern[str], Callable[[dict[str, str]], str]]] = [
    (re.compile(r"No such option: (?P<option>\S+) \(Possible options: (?P<options>.+)\)"),
     lambda g: _("No such option: {option} (Possible options: {options})").format(**g)),
    (re.compile(r"No such option: (?P<option>\S+)"),
     lambda g: _("No such option: {option}").format(**g)),
    (re.compile(r"Missing option (?P<name>.+)\."),
     lambda g: _("Missing option {name}.").format(**g)),
    (re.compile(r"Missing argument (?P<name>.+)\."),
     lambda g: _("Missing argument {name}.").format(**g)),
    (re.compile(r"Missing parameter (?P<name>.+)\."),
     lambda g: _("Missing parameter {name}.").format(**g)),
    (re.compile(r"Invalid value for (?P<name>.+?): (?P<problem>.+)", re.DOTALL),
     lambda g: _("Invalid value for {name}: {problem}").format(**g)),
    (re.compile(r"Invalid value: (?P<problem>.+)", re.DOTALL),
     lambda g: _("Invalid value: {problem}").format(**g)),
    (re.compile(r"Option (?P<option>'.+') requires an argument\."),
     lambda g: _("Option {option} requires an argument.").format(**g)),
    (re.compile(r"Option (?P<option>'.+') requires (?P<n>\d+) arguments\."),
     lambda g: _("Option {option} requires {n} arguments.").format(**g)),
    (re.compile(r"Option (?P<option>'.+') does not take a value\."),
     lambda g: _("Option {option} does not take a value.").format(**g)),
    (re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", re.DOTALL),
     lambda g: _("Got unexpected extra argument(s) ({args})").format(**g)),
    (re.compile(r"Value (?P<value>.+) is not a valid (?P<kind>\w+)\."),
     lambda g: _("Value {value} is not a valid {kind}.").format(**g)),
]
#: Typer's suggestion after "No such command 'chek'.": said apart, after the (gettext) message.
_DID_YOU_MEAN = re.compile(r"(?P<message>.*?)\.? Did you mean (?P<matches>.+)\?", re.DOTALL)


def typer_words() -> list[str]:
    """The msgids typer.core asks gettext for (Typer 0.29), written here so that
    ``scripts/catalogues.py extract`` keeps them in the catalogue; the tests check each has Vietnamese."""
    return [_("Options"), _("Arguments"), _("Commands"), _("default: {default}"), _("required"),
            _("env var: {var}"), _("(dynamic)"), _("Aborted!"), _("Missing command."),
            _("No such command {name!r}.")]


#: The help of the options Typer adds to the top-level group (typer/completion.py), said in ours.
_TYPER_OPTION_HELP: dict[str, Callable[[], str]] = {
    "Install completion for the current shell.": lambda: _("Install completion for the current shell."),
    "Show completion for the current shell, to copy it or customize the installation.":
        lambda: _("Show completion for the current shell, to copy it or customize the installation."),
}


def install() -> None:
    """Typer's gettext words through our catalogue (idempotent; see the module's doc)."""
    typer.core._ = _


def say(message: str, cause: BaseException | None = None) -> str:
    """``message`` (one of Click's English forms) in the UI language; unknown forms unchanged.

    ``cause`` is the exception behind the message: a pydantic ValidationError (a value Typer could
    not convert) is described with the site config's words instead of pydantic's English.
    """
    suggestion = _DID_YOU_MEAN.fullmatch(message)
    if suggestion:
        return _("{message}. Did you mean {matches}?").format(
            message=say(suggestion["message"], cause).rstrip("."), matches=suggestion["matches"])
    for pattern, reword in _FORMS:
        found = pattern.fullmatch(message)
        if found:
            groups = found.groupdict()
            if "problem" in groups:
                groups["problem"] = _pydantic(cause) or say(groups["problem"])
            return reword(groups)
    return message


def _pydantic(cause: BaseException | None) -> str | None:
    errors = getattr(cause, "errors", None)
    if type(cause).__name__ != "ValidationError" or not callable(errors):
        return None
    from kitchencam.yamlfile import describe_error

    found = errors()
    return describe_error(found[0]) if found else None


def usage_message(exc: Any) -> str:
    """A Click usage error's message in the UI language (what ``exc.format_message()`` says in English)."""
    return say(exc.format_message(), exc.__cause__)


def show_usage_error(exc: Any, message: str) -> None:
    """Click's layout of a usage error on stderr, in the UI language."""
    ctx = exc.ctx
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = _("Try '{command} {option}' for help.").format(
                command=ctx.command_path, option=ctx.help_option_names[0]) + "\n"
        typer.echo(f"{ctx.get_usage()}\n{hint}", err=True, color=ctx.color)
    typer.echo(_("Error: {message}").format(message=message), err=True, color=ctx.color if ctx else None)


class _Localised:
    """The usage line, the help option and the command's own help (its function's docstring, a msgid
    that ``scripts/catalogues.py extract`` collects) in the UI language."""

    help: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.help:
            self.help = _(self.help)

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:  # Typer's own options (--install/--show-completion), added after __init__
            if getattr(param, "help", None) in _TYPER_OPTION_HELP:
                param.help = _TYPER_OPTION_HELP[param.help]()
        return params

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage: "))

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = _("Show this message and exit.")
        return option


class Command(_Localised, TyperCommand):
    """Every kitchencam command: ``app.command(name, cls=Command)``."""


class Group(_Localised, TyperGroup):
    """Every kitchencam group of commands (``site``, ``credentials``, ``profile``)."""
