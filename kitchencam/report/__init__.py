"""``kitchencam report``: the handover minutes (biên bản bàn giao), PDF and HTML, vi and en.

``build.py`` turns the store and the site config into a ``HandoverReport`` (text in the report's
language); ``pdf.py`` and ``html.py`` lay it out. What each part comes from is in
docs/reference/report.md. Prints nothing.
"""

from __future__ import annotations

import os
import string
from datetime import timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from kitchencam.errors import KitchencamError, UsageError
from kitchencam.i18n import _
from kitchencam.report.build import VIETNAM, ReportInput, build_report
from kitchencam.report.model import HandoverReport, Missing

if TYPE_CHECKING:
    from kitchencam.store import Store

Format = Literal["pdf", "html", "both"]

__all__ = ["HandoverReport", "ReportInput", "ReportResult", "build_report", "output_paths", "write_report"]


class ReportResult(BaseModel):
    """What ``kitchencam report`` wrote (docs/reference/json.md: ``data`` of ``report``)."""

    site: str
    lang: str
    paths: dict[str, str]  # "pdf" / "html" -> the file written
    cameras: int
    missing: list[Missing]  # per camera, the stages not done yet
    site_missing: list[str]  # bandwidth, parties, letter
    generated_at: str


def default_stem(site_code: str, lang: str, given: ReportInput) -> str:
    day = given.now.astimezone(VIETNAM).strftime("%Y%m%d")
    return f"bien-ban-ban-giao-{site_code}-{day}" if lang == "vi" else f"handover-{site_code}-{day}"


def output_paths(output: Path | None, fmt: Format, stem: str, cwd: Path) -> dict[str, Path]:
    """Where each format goes. ``-o FILE.pdf`` / ``FILE.html``: that file (both formats: the same name
    with each suffix); ``-o FOLDER`` (any other name): FOLDER/<stem>.pdf|.html; none: the current folder."""
    kinds = ["pdf", "html"] if fmt == "both" else [fmt]
    if output is None:
        base = cwd / stem
    elif output.suffix.lower() in (".pdf", ".html", ".htm") and not output.is_dir():
        if fmt != "both":
            return {fmt: output}
        base = output.with_suffix("")
    else:
        base = output / stem
    return {kind: base.parent / f"{base.name}.{kind}" for kind in kinds}


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise KitchencamError(_("Cannot write the report to {path}: {reason}. Choose another place with -o.").format(
            path=path, reason=exc.strerror or exc)) from None


def write_report(store: Store, given: ReportInput, *, fmt: Format = "pdf", output: Path | None = None,
                 cwd: Path | None = None, embed_fonts: bool = True) -> ReportResult:
    """Build the report from the store and write it as PDF, HTML or both."""
    if fmt not in ("pdf", "html", "both"):
        raise UsageError(_("--format takes pdf, html or both."))
    report = build_report(store, given)
    creator = f"kitchencam {given.version}"
    paths = output_paths(output, fmt, default_stem(given.site_code, report.lang, given), cwd or Path.cwd())
    created = given.now if given.now.tzinfo else given.now.replace(tzinfo=timezone.utc)
    # Each format's layout (fpdf2, fontTools) loads only when that format is written: the renderer
    # imports this package for every report it prints.
    if "pdf" in paths:
        from kitchencam.report.pdf import render_pdf

        _write(paths["pdf"], render_pdf(report, created=created, creator=creator))
    if "html" in paths:
        from kitchencam.report.html import render_html

        fonts = _html_fonts(report) if embed_fonts else None
        _write(paths["html"], render_html(report, creator=creator, fonts=fonts).encode("utf-8"))
    return ReportResult(site=given.site_code, lang=report.lang, paths={k: str(v) for k, v in paths.items()},
                        cameras=len(report.cameras), missing=report.missing, site_missing=report.site_missing,
                        generated_at=report.generated_at)


def _html_fonts(report: HandoverReport) -> dict[str, str]:
    """Be Vietnam Pro reduced to the characters the report uses (a few tens of kB per style)."""
    from kitchencam.report.fonts import subset_data_uri  # with the HTML's fonts only (see write_report)

    chars: set[str] = set(string.printable)

    def walk(value: object) -> None:
        if isinstance(value, str):
            chars.update(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(report.model_dump(exclude={"cameras": {"__all__": {"parts": {"__all__": {"picture": {"data"}}}}}}))
    text = "".join(sorted(chars))
    return {style: subset_data_uri(style, text) for style in ("", "B", "I")}
