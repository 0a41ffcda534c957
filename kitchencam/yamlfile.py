"""Load a YAML file into a pydantic model, with errors that name the file, the line and the key.

Site configs and profiles are edited by hand on site; a typo must point at its line, never
surface as a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kitchencam.errors import ConfigError
from kitchencam.i18n import _

M = TypeVar("M", bound=BaseModel)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Walk the composed YAML node tree along a pydantic error location; return a 1-based line."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == key:
                    node = v
                    line = k.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def load_model(path: Path, model: type[M]) -> M:
    """Parse ``path`` and validate it as ``model``; raise ConfigError naming file:line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(_("File not found: {path}.").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_("Cannot read {path}: {reason}").format(path=path, reason=exc)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_syntax_error(path, exc, text)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(_("{path}: expected a mapping of keys at the top level.").format(path=path))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(node, loc)
            where = f"{path}:{line}" if line else str(path)
            lines.append(
                _("{where}: {key}: {problem}").format(where=where, key=key, problem=_describe(err))
            )
        raise ConfigError("\n".join(lines)) from None


def _runaway_quote(text: str, line: int) -> int | None:
    """The line a quote was opened on, when a quoted value spanning lines ends on ``line``.

    ``name: "A`` then ``code: "B"`` two lines below: the first quote closes at the second one and
    the error shows there; the mistake is the quote left open above.
    """
    found = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'") \
                    and token.start_mark.line < token.end_mark.line == line:
                found = token.start_mark.line
    except yaml.YAMLError:
        pass
    return found


def _syntax_error(path: Path, exc: yaml.YAMLError, text: str) -> str:
    """Name the line the mistake is on, not the line where PyYAML gave up.

    An unclosed quote or bracket is only noticed at the end of the file (or at the next quote):
    PyYAML's ``context_mark`` is where that quote or bracket was opened, which is the line to fix.
    Any other error is on its ``problem_mark``.
    """
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    context = str(getattr(exc, "context", None) or "")
    raw = str(getattr(exc, "problem", None) or exc)
    unclosed = context_mark is not None and ("quoted scalar" in context or "flow" in context)
    noticed: int | None = problem_mark.line + 1 if problem_mark is not None else None
    line: int | None = context_mark.line + 1 if unclosed and context_mark is not None else noticed
    opened = _runaway_quote(text, noticed - 1) if noticed is not None and not unclosed else None
    if opened is not None:
        return _("{where}: not valid YAML (a quote opened on this line is never closed; noticed on line "
                 "{line}). Check indentation and quotes on that line.").format(
            where=f"{path}:{opened + 1}", line=noticed)
    where = f"{path}:{line}" if line is not None else str(path)
    if unclosed and "quoted scalar" in context:
        problem = _("a quote opened on this line is never closed")
    elif unclosed:
        problem = _("a [ or { opened on this line is never closed")
    else:
        problem = _yaml_problem(raw)
    if unclosed and raw != "found unexpected end of stream" and noticed is not None and noticed != line:
        problem += _("; noticed on line {line}").format(line=noticed)
    return _("{where}: not valid YAML ({problem}). Check indentation and quotes on that line.").format(
        where=where, problem=problem)


def _yaml_problem(raw: str) -> str:
    """PyYAML's English for the mistakes met by hand-editing, in the technician's language."""
    known = {
        "mapping values are not allowed here": _("mapping values are not allowed here"),
        "found unexpected end of stream": _("found unexpected end of stream"),
        "found character '\\t' that cannot start any token": _(
            "a tab character: indent with spaces, never tabs"),
    }
    if raw in known:
        return known[raw]
    if raw.startswith("expected <block end>"):
        return _("this line is not indented like the lines around it")
    if raw.startswith("found duplicate anchor") or raw.startswith("found undefined alias"):
        return _("an & or * that YAML reads as an anchor: quote the value")
    if raw.startswith("found character"):
        return _("a character that cannot start a value here ({detail}): quote the value").format(
            detail=raw.removeprefix("found character ").removesuffix(" that cannot start any token"))
    return raw


def _describe(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return _("required, but missing")
    if kind == "extra_forbidden":
        return _("unknown key (misspelt?)")
    return str(err.get("msg", kind))


def dump_yaml(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
