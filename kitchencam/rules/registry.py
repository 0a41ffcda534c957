"""The rule registry: every check a profile rule may name (``check:``), with what it takes.

A check is one function in its family's module, registered with its id and its parameters (as
bandit registers its tests by id)::

    @register("timezone", evidence={"device"}, needs={"timezone_offset_minutes"}, allows={"allow_dst"})
    def check_timezone(ctx: Context, rule: Rule) -> Verdict: ...

``evidence`` is the kinds a rule with this check may be declared as (``kind:``), ``needs`` the
Rule fields it must be given, ``allows`` the ones it may be given; anything else on the rule is a
mistake :mod:`kitchencam.profile` reports when it validates a profile, reading this registry.
That registration is the one declaration of a check: a new check is one function in one family
module plus a row in docs/reference/rules.md and profile-format.md (tests/unit/test_rules_registry.py
holds them together, and checks that every declared field exists on ``profile.Rule``, the
profile's YAML schema).

The families are imported the first time a profile is validated or the engine asks for a check,
not when kitchencam starts: ``kitchencam --help`` never loads them. This module imports no other
kitchencam module (not even for typing), so the profile schema can read it without a cycle.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

#: The family modules of kitchencam.rules, each holding the checks of one kind of evidence.
FAMILIES = ("media", "imaging", "timekeeping", "identity", "hardware", "platform", "site", "security")

#: A check: ``(Context, Rule) -> Verdict`` (typed loosely here: the registry sits below both).
Check = Callable[..., Any]

F = TypeVar("F", bound=Check)


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its function and the profile parameters it takes."""

    name: str
    func: Check
    evidence: frozenset[str]  # the rule kinds it may be declared as: device, catalogue, manual, site
    needs: frozenset[str]  # Rule fields the rule must give
    allows: frozenset[str]  # Rule fields the rule may give as well

    @property
    def parameters(self) -> frozenset[str]:
        """Every Rule field this check reads."""
        return self.needs | self.allows


_SPECS: dict[str, CheckSpec] = {}


def register(name: str, *, evidence: Iterable[str], needs: Iterable[str] = (),
             allows: Iterable[str] = ()) -> Callable[[F], F]:
    """Register the decorated function as the check called ``name`` (a profile's ``check:``),
    taking its evidence from the kinds ``evidence``, with the parameters ``needs`` (required)
    and ``allows`` (optional)."""
    kinds, required, optional = frozenset(evidence), frozenset(needs), frozenset(allows)
    if not kinds:
        raise ValueError(f"check {name!r} names no evidence kind")
    if required & optional:
        raise ValueError(f"check {name!r}: {sorted(required & optional)} both needed and allowed")

    def decorate(func: F) -> F:
        known = _SPECS.get(name)
        if known is not None and known.func is not func:
            raise ValueError(f"check {name!r} is registered twice: {known.func.__module__} and {func.__module__}")
        _SPECS[name] = CheckSpec(name=name, func=func, evidence=kinds, needs=required, allows=optional)
        return func

    return decorate


@functools.cache
def _load_families() -> None:
    for family in FAMILIES:
        importlib.import_module(f"{__package__}.{family}")


def specs() -> dict[str, CheckSpec]:
    """Every registered check by name, in registration order (family by family), the families
    loaded on first call."""
    _load_families()
    return dict(_SPECS)


def checks() -> dict[str, Check]:
    """Every registered check's function by name, the families loaded on first call."""
    return {name: spec.func for name, spec in specs().items()}


def spec_for(name: str) -> CheckSpec | None:
    """The check called ``name`` with its parameters, or None when no family registers it."""
    _load_families()
    return _SPECS.get(name)


def check_for(name: str) -> Check:
    """The check called ``name``. A profile's check names are validated when it loads
    (``kitchencam.profile``), so an unknown name here is a programming error: KeyError."""
    _load_families()
    return _SPECS[name].func
