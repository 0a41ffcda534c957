"""``kitchencam report``: the handover minutes."""

from __future__ import annotations

from pathlib import Path
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


def report_cmd(
    ctx: typer.Context,
    fmt: Annotated[
        str,
        typer.Option("--format", metavar="pdf|html|both",
                     help=_("The PDF to print, one self-contained HTML file, or both.")),
    ] = "pdf",
    report_lang: Annotated[
        str | None,
        typer.Option("--lang", metavar="vi|en",
                     help=_("Language of the minutes: vi, or en; default: the --lang given before the command, "
                            "else vi, whatever the language of messages.")),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="PATH",
                     help=_("A .pdf or .html file, or a folder for the usual file names (default: the current "
                            "folder).")),
    ] = None,
    draft: Annotated[
        bool,
        typer.Option("--draft", help=_("Write the minutes even while the site config still holds placeholder "
                                       "names; every page is marked BẢN NHÁP / DRAFT (not for signing).")),
    ] = False,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the handover minutes (biên bản bàn giao) from what the store holds for the site.

    Every camera with its equipment row, the settings applied, the verdicts with their evidence,
    the technician's attestations, the snapshot taken at provisioning, the RTSP check and the
    centre's registration; where a stage has not run, the minutes say so.

    \b
    Examples:
    kitchencam report
    kitchencam report --format both --lang en -o reports/
    """
    if fmt not in ("pdf", "html", "both"):
        raise typer.BadParameter(_("choose pdf, html or both"), param_hint="--format")
    if report_lang is None:
        # `kitchencam --lang en report`: the language asked for before the command holds for the minutes too.
        report_lang = str(ctx.meta.get("kitchencam.lang") or "vi")
    if report_lang.lower() not in ("vi", "en"):
        raise typer.BadParameter(_("choose vi or en"), param_hint="--lang")
    minutes_lang = report_lang.lower()

    def produce() -> Any:
        from kitchencam import app as use_case

        return use_case.report(common.context(site_path), fmt=fmt, lang=minutes_lang,  # type: ignore[arg-type]
                               output=output, draft=draft)

    from kitchencam.render import render_report

    finish("report", as_json, produce, render_report)
