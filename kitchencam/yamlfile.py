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
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            _("{where}: not valid YAML ({problem}). Check indentation and quotes on that line.").format(
                where=where, problem=problem
            )
        ) from None
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


def _describe(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return _("required, but missing")
    if kind == "extra_forbidden":
        return _("unknown key (misspelt?)")
    return str(err.get("msg", kind))


def dump_yaml(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
