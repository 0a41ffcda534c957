"""``kitchencam bandwidth``: the school's upload to the centre."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

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


def bandwidth_cmd(
    url: Annotated[
        str | None,
        typer.Option("--url", metavar="URL",
                     help=_("Where to upload (default: the site's centre URL + /api/v1/bandwidth/upload).")),
    ] = None,
    duration: Annotated[
        float, typer.Option("--duration", metavar="S", min=1, max=600, help=_("Seconds counted, after a warm-up."))
    ] = 20.0,
    streams: Annotated[
        int, typer.Option("--streams", metavar="N", min=1, max=4, help=_("Parallel connections (1-4)."))
    ] = 2,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure the school's sustained upload to the centre and how many cameras it carries.

    The token comes from KITCHENCAM_CENTRE_TOKEN or the keyring (credentials set --centre-token).
    Exit 4 if the centre cannot be reached, 5 if it refuses the token.

    \b
    Example: kitchencam bandwidth --duration 30 --streams 4
    """

    def produce() -> Any:
        from kitchencam import app as use_case

        ctx = common.context(site_path, show_progress=not as_json and common.ENV.err.is_terminal)
        return use_case.bandwidth(ctx, url=url, duration_s=duration, streams=streams)

    from kitchencam.render import render_bandwidth

    finish("bandwidth", as_json, produce, render_bandwidth)
