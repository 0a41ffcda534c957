"""``kitchencam site init|show``: write and validate the site config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kitchencam.cli import common
from kitchencam.cli.common import (
    JsonOpt,
    SiteOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:

    pass


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

    target = path or common.ENV.paths.site_file
    finish(
        "site init",
        as_json,
        lambda: init_site(
            target,
            common.ENV.paths,
            school_name=school_name,
            school_code=school_code,
            address=address,
            centre_url=centre_url,
            force=force,
        ),
        render_site,
    )


def site_show(
    path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate the site config and show it. Example: kitchencam site show --json"""
    from kitchencam.render import render_site
    from kitchencam.sitecmd import show_site

    target = path or common.ENV.paths.site_file
    finish("site show", as_json, lambda: show_site(target, common.ENV.paths), render_site)
