"""Load a YAML file into a pydantic model, with errors that name the file, the line and the key.

Site configs and profiles are edited by hand on site; a typo must point at its line, never
surface as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kitchencam.errors import ConfigError
from kitchencam.i18n import _

M = TypeVar("M", bound=BaseModel)


def line_of(node: yaml.Node | None, loc: Iterable[int | str]) -> int | None:
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
    except ValueError as exc:  # a date YAML recognises but the calendar refuses: 2024-13-45
        raise ConfigError(_("{where}: not a real date ({reason}); write it as YYYY-MM-DD.").format(
            where=_bad_scalar(path, node), reason=exc)) from None
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
            key = ".".join(str(p) for p in loc) or _("(top level)")
            line = line_of(node, loc)
            where = f"{path}:{line}" if line else str(path)
            lines.append(
                _("{where}: {key}: {problem}").format(where=where, key=key, problem=_describe(err))
            )
        raise ConfigError("\n".join(lines)) from None


def _bad_scalar(path: Path, node: yaml.Node | None) -> str:
    """``file:line`` of the first value PyYAML cannot construct (an impossible date)."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(current, deep=True)
            except ValueError:
                return f"{path}:{current.start_mark.line + 1}"
        elif isinstance(current, yaml.MappingNode):
            stack[:0] = [n for pair in current.value for n in pair]
        elif isinstance(current, yaml.SequenceNode):
            stack[:0] = list(current.value)
    return str(path)


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


def _got(err: Any) -> str:
    """``, got 'x'`` when the rejected value is a short scalar worth showing."""
    value = err.get("input")
    if isinstance(value, (str, int, float, bool)) and len(str(value)) <= 60:
        return _(", got {value!r}").format(value=value)
    return ""


def _describe(err: Any) -> str:
    """pydantic's error, in the technician's language (its English is kept for types not met here)."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("required, but missing")
    if kind == "extra_forbidden":
        return _("unknown key (misspelt?)")
    if kind == "value_error":  # a validator's ValueError: its text is already the technician's
        return str(ctx.get("error", err.get("msg", kind)))
    plain = {
        "string_type": _("Input should be a valid string"),
        "int_type": _("Input should be a valid integer"),
        "int_parsing": _("Input should be a valid integer"),
        "int_from_float": _("Input should be a whole number, without a fractional part"),
        "float_type": _("Input should be a valid number"),
        "float_parsing": _("Input should be a valid number"),
        "bool_type": _("Input should be a valid boolean (true or false)"),
        "bool_parsing": _("Input should be a valid boolean (true or false)"),
        "date_type": _("Input should be a valid date (YYYY-MM-DD)"),
        "date_parsing": _("Input should be a valid date (YYYY-MM-DD)"),
        "date_from_datetime_parsing": _("Input should be a valid date (YYYY-MM-DD)"),
        "datetime_type": _("Input should be a valid date and time (YYYY-MM-DDTHH:MM:SS+07:00)"),
        "datetime_parsing": _("Input should be a valid date and time (YYYY-MM-DDTHH:MM:SS+07:00)"),
        "datetime_from_date_parsing": _("Input should be a valid date and time (YYYY-MM-DDTHH:MM:SS+07:00)"),
        "url_type": _("Input should be a valid URL such as https://centre.example.vn/"),
        "url_parsing": _("Input should be a valid URL such as https://centre.example.vn/"),
        "url_scheme": _("Input should be a URL starting with http:// or https://"),
        "list_type": _("Input should be a list (lines starting with - )"),
        "dict_type": _("Input should be a mapping of keys (key: value lines)"),
        "model_type": _("Input should be a mapping of keys (key: value lines)"),
        "model_attributes_type": _("Input should be a mapping of keys (key: value lines)"),
        "string_pattern_mismatch": _("Input does not have the expected form ({pattern})"),
        "literal_error": _("Input should be {expected}"),
        "enum": _("Input should be {expected}"),
        "greater_than": _("Input should be greater than {gt}"),
        "greater_than_equal": _("Input should be greater than or equal to {ge}"),
        "less_than": _("Input should be less than {lt}"),
        "less_than_equal": _("Input should be less than or equal to {le}"),
        "string_too_short": _("Input should have at least {min_length} character(s)"),
        "string_too_long": _("Input should have at most {max_length} character(s)"),
        "too_short": _("List should have at least {min_length} item(s)"),
        "too_long": _("List should have at most {max_length} item(s)"),
    }
    if kind not in plain:
        return str(err.get("msg", kind))
    values = {k: v for k, v in ctx.items() if isinstance(k, str)}
    expected = str(values.get("expected", ""))
    if " or " in expected:  # pydantic lists a Literal's choices as "'a', 'b' or 'c'"
        head, last = expected.rsplit(" or ", 1)
        values["expected"] = _("{choices} or {last}").format(choices=head, last=last)
    try:
        text = plain[kind].format(**values)
    except (KeyError, IndexError, ValueError):
        return str(err.get("msg", kind))
    return text + (_got(err) if kind not in ("too_short", "too_long", "dict_type", "model_type",
                                               "model_attributes_type", "list_type") else "")


#: One pydantic error in the technician's words, for the command line's option values too
#: (kitchencam/cli/clicktext.py).
describe_error = _describe


def dump_yaml(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
