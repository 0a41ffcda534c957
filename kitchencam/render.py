"""Two renderers of the same result models: rich tables for people, a versioned JSON envelope
for scripts. Only this module and cli.py write to the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kitchencam.errors import ExitCode, KitchencamError
from kitchencam.i18n import _

RESULT_VERSION = 1
Status = Literal["ok", "partial", "error"]


class ErrorItem(BaseModel):
    """One failure, as scripts see it. ``code`` is the error class name (stable)."""

    code: str
    message: str
    exit_code: int
    target: str | None = None
    hint: str | None = None

    @classmethod
    def from_error(cls, exc: KitchencamError) -> ErrorItem:
        return cls(
            code=exc.code,
            message=exc.message,
            exit_code=int(exc.exit_code),
            target=exc.target,
            hint=exc.hint,
        )


class Envelope(BaseModel):
    """The one JSON document ``--json`` prints on stdout (docs/reference/json.md)."""

    kitchencam_result_version: Literal[1] = 1
    command: str
    status: Status
    data: Any = None
    errors: list[ErrorItem] = []


def envelope(command: str, data: BaseModel | dict[str, Any] | None, errors: Sequence[ErrorItem] = (),
             status: Status | None = None) -> Envelope:
    if status is None:
        status = "ok" if not errors else ("partial" if data is not None else "error")
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return Envelope(command=command, status=status, data=payload, errors=list(errors))


def print_json(console: Console, env: Envelope) -> None:
    # Plain write, not console.print: no markup, no wrapping, no colour codes.
    console.file.write(json.dumps(env.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")
    console.file.flush()


def exit_code_for(errors: Sequence[ErrorItem]) -> ExitCode:
    """Several failures: the most specific one wins (auth > unreachable > non-compliant > error)."""
    if not errors:
        return ExitCode.OK
    codes = {e.exit_code for e in errors}
    for code in (ExitCode.USAGE, ExitCode.AUTH_FAILED, ExitCode.UNREACHABLE, ExitCode.NON_COMPLIANT):
        if int(code) in codes:
            return code
    return ExitCode.ERROR


def key_value_table(title: str, rows: Sequence[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, "" if value is None else str(value))
    return table


def error_line(err: ErrorItem) -> str:
    label = _("Error")
    target = f" [dim]{escape(err.target)}[/]" if err.target else ""
    text = err.message if not err.hint else f"{err.message} {err.hint}"
    return f"[bold red]{label}[/]{target}: {escape(text)}"


HumanRenderer = Callable[[Console, Any], None]
