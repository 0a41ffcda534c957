"""``kitchencam profile list|show|validate``: the spec profiles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.cli.common import (
    JsonOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:

    pass


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
