"""The rule registry: every check function under the check name a profile rule gives (``check:``).

A check is one function in its family's module, registered with ``@register("name")`` (as bandit
registers its tests by id). The families are imported the first time the engine asks for a
check, not when kitchencam starts: ``kitchencam --help`` never loads them. A new check is one
function in one family module, a row in docs/reference/rules.md (tests/unit/test_rules_registry.py
holds the two together) and its parameters in ``kitchencam.profile.CHECKS`` (the profile schema).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from kitchencam.models import Verdict
    from kitchencam.profile import Rule
    from kitchencam.rules.context import Context

    Check = Callable[[Context, Rule], Verdict]

#: The family modules of kitchencam.rules, each holding the checks of one kind of evidence.
FAMILIES = ("media", "imaging", "timekeeping", "identity", "hardware", "platform", "site")

_CHECKS: dict[str, Check] = {}

F = TypeVar("F", bound="Check")


def register(name: str) -> Callable[[F], F]:
    """Register the decorated function as the check called ``name`` (a profile's ``check:``)."""

    def decorate(func: F) -> F:
        known = _CHECKS.get(name)
        if known is not None and known is not func:
            raise ValueError(f"check {name!r} is registered twice: {known.__module__} and {func.__module__}")
        _CHECKS[name] = func
        return func

    return decorate


@functools.cache
def _load_families() -> None:
    for family in FAMILIES:
        importlib.import_module(f"{__package__}.{family}")


def checks() -> dict[str, Check]:
    """Every registered check by name, the families loaded on first call."""
    _load_families()
    return dict(_CHECKS)


def check_for(name: str) -> Check:
    """The check called ``name``. A profile's check names are validated when it loads
    (``kitchencam.profile``), so an unknown name here is a programming error: KeyError."""
    _load_families()
    return _CHECKS[name]
