"""``HandoverReport`` -> one self-contained HTML file that prints like the PDF.

Everything is inline: the CSS, the pictures (data: URIs) and, unless asked not to, a subset of
Be Vietnam Pro (data: URIs too), so the file can be mailed or archived alone. The print CSS sets
A4 with the PDF's margins, page numbers in the page margin, and each camera on a page of its own.
The output is deterministic for a given report (the snapshot tests rely on it).
"""

from __future__ import annotations

import base64
import re
from html import escape

from kitchencam.report.model import HandoverReport, PartyBlock, Picture, Subsection, Table

CSS = """
@page { size: A4; margin: 20mm 15mm 20mm 25mm;
  @bottom-left { content: %(footer)s; font: italic 7.5pt %(family)s; color: #5a5a5a; }
  @bottom-right { content: %(page)s; font: italic 7.5pt %(family)s; color: #5a5a5a; } }
html { background: #e9e9e9; }
body { margin: 0; font-family: %(family)s; font-size: 11pt; line-height: 1.4; color: #000; }
.sheet { background: #fff; width: 170mm; margin: 8mm auto; padding: 20mm 15mm 20mm 25mm;
  box-shadow: 0 0 4mm rgba(0, 0, 0, 0.25); }
.national { text-align: center; font-weight: bold; }
.national .nation { font-size: 12pt; margin: 0; text-align: center; }
.national .motto { font-size: 12.5pt; margin: 0; display: inline-block; padding-bottom: 0.6mm;
  border-bottom: 0.35mm solid #000; }
.place-date { text-align: right; font-style: italic; margin: 5mm 0 6mm; }
h1 { font-size: 14pt; text-align: center; margin: 0; }
.at-school { text-align: center; font-style: italic; margin: 0 0 4mm; }
h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm; break-after: avoid; }
h3 { font-size: 12pt; margin: 0 0 1mm; break-after: avoid; }
h4 { font-size: 10.5pt; margin: 3.5mm 0 1mm; break-after: avoid; }
p { margin: 0 0 1.3mm; text-align: justify; }
.basis { font-style: italic; }
.party { margin: 0 0 1.5mm; break-inside: avoid; }
.party .name { font-weight: bold; margin: 0; }
.party dl { margin: 0 0 0 6mm; display: grid; grid-template-columns: max-content 1fr; column-gap: 3mm; }
.party dt, .party dd { margin: 0; }
.small { font-size: 9.5pt; }
.missing { font-style: italic; }
.note { font-style: italic; font-size: 9pt; }
table { width: 100%%; border-collapse: collapse; margin: 1mm 0 2mm; font-size: 8pt; line-height: 1.3; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.2mm solid #000; padding: 0.8mm 1mm; vertical-align: top; text-align: left;
  overflow-wrap: break-word; word-break: normal; hyphens: manual; }
th { background: #ebebeb; font-weight: bold; text-align: center; }
.camera { break-before: page; }
.closing { break-inside: avoid; }
.camera .where { font-style: italic; font-size: 9.5pt; }
figure { margin: 2mm 0; text-align: center; break-inside: avoid; }
figure img { width: 120mm; max-width: 100%%; height: auto; }
figcaption { font-style: italic; font-size: 7.5pt; overflow-wrap: anywhere; }
.signatures { display: grid; grid-template-columns: 1fr 1fr 1fr; text-align: center; margin-top: 6mm;
  break-inside: avoid; }
.signatures .title { font-weight: bold; font-size: 10pt; margin: 0; text-align: center; }
.signatures .hint { font-style: italic; font-size: 9.5pt; margin: 0; text-align: center; }
.signatures .signer { font-weight: bold; margin-top: 30mm; text-align: center; }
.draft { position: fixed; top: 45%%; left: 0; right: 0; text-align: center; transform: rotate(-45deg);
  font-size: 40pt; font-weight: bold; color: rgba(0, 0, 0, 0.12); pointer-events: none; z-index: 10; }
footer.screen { font-style: italic; font-size: 7.5pt; color: #5a5a5a; margin-top: 8mm; }
@media print {
  html { background: none; }
  .sheet { width: auto; margin: 0; padding: 0; box-shadow: none; }
  footer.screen { display: none; }
}
"""

FAMILY = "'Be Vietnam Pro', 'Noto Sans', Arial, sans-serif"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _page_content(label: str) -> str:
    """ "Trang {page}/{pages}" -> "Trang " counter(page) "/" counter(pages) (CSS generated content)."""
    out = []
    for piece in re.split(r"(\{page\}|\{pages\})", label):
        if piece == "{page}":
            out.append("counter(page)")
        elif piece == "{pages}":
            out.append("counter(pages)")
        elif piece:
            out.append(_css_string(piece))
    return " ".join(out) or '""'


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br>")


def render_html(report: HandoverReport, *, creator: str, fonts: dict[str, str] | None = None) -> str:
    """The HTML document. ``fonts``: style ("", "B", "I", "BI") -> data: URI of the font, or None."""
    css = CSS % {"footer": _css_string(report.footer), "page": _page_content(report.page_label), "family": FAMILY}
    faces = []
    for style, uri in sorted((fonts or {}).items()):
        weight = "bold" if "B" in style else "normal"
        slant = "italic" if "I" in style else "normal"
        faces.append(f"@font-face {{ font-family: 'Be Vietnam Pro'; font-weight: {weight}; font-style: {slant}; "
                     f"src: url({uri}) format('truetype'); }}")
    out: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{"vi" if report.lang == "vi" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(report.doc_title)}</title>",
        f'<meta name="author" content="{escape(report.doc_author)}">',
        f'<meta name="description" content="{escape(report.doc_subject)}">',
        f'<meta name="generator" content="{escape(creator)}">',
        f'<meta name="dcterms.created" content="{escape(report.generated_at)}">',
        "<style>",
        *faces,
        css.strip(),
        "</style>",
        "</head>",
        "<body>",
        '<main class="sheet">',
    ]
    if report.draft:
        out.append(f'<div class="draft" aria-hidden="true">{_text(report.draft)}</div>')
    out += _front(report)
    for camera in report.cameras:
        out.append(f'<section class="camera" id="camera-{camera.n}">')
        if camera.n == 1:  # section II starts with the first camera's page, as in the PDF
            out.append(f"<h2>{_text(report.cameras_heading)}</h2>")
        out.append(f"<h3>{_text(camera.heading)}</h3>")
        out.append(f'<p class="where">{_text(camera.subheading)}</p>')
        for part in camera.parts:
            out += _subsection(part)
        out.append("</section>")
    out += _back(report)
    out.append(f'<footer class="screen">{_text(report.footer)}</footer>')
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _front(r: HandoverReport) -> list[str]:
    out = [
        '<header class="national">',
        f'<p class="nation">{_text(r.nation)}</p>',
        f'<p class="motto">{_text(r.motto)}</p>',
        "</header>",
        f'<p class="place-date">{_text(r.place_date)}</p>',
        f"<h1>{_text(r.title)}</h1>",
        f'<p class="at-school">{_text(r.at_school)}</p>',
    ]
    out += [f'<p class="basis">{_text(line)}</p>' for line in r.basis]
    out.append(f"<p>{_text(r.intro)}</p>")
    for party in r.parties:
        out += _party(party)
    if r.parties_note:
        out.append(f'<p class="small missing">{_text(r.parties_note)}</p>')
    out.append(f"<p>{_text(r.agree)}</p>")
    out.append(f"<h2>{_text(r.equipment_heading)}</h2>")
    if r.equipment.rows:
        out += _table(r.equipment)
    if r.equipment_note:
        out.append(f'<p class="missing">{_text(r.equipment_note)}</p>')
    if not r.cameras:
        out.append(f"<h2>{_text(r.cameras_heading)}</h2>")
    return out


def _party(p: PartyBlock) -> list[str]:
    out = ['<div class="party">', f'<p class="name">{_text(p.heading)}: {_text(p.organisation)}</p>', "<dl>"]
    for label, value in p.lines:
        out.append(f"<dt>{_text(label)}:</dt><dd>{_text(value) if value else '.' * 40}</dd>")
    out += ["</dl>", "</div>"]
    return out


def _subsection(part: Subsection) -> list[str]:
    out = [f"<h4>{_text(part.heading)}</h4>"]
    css = ' class="missing"' if part.missing else ""
    out += [f"<p{css}>{_text(line)}</p>" for line in part.paragraphs]
    if part.table is not None:
        out += _table(part.table)
    out += [f'<p class="note">{_text(line)}</p>' for line in part.notes]
    if part.picture is not None:
        out += _picture(part.picture)
    return out


def _table(table: Table) -> list[str]:
    total = sum(table.widths) or 1.0
    out = ["<table>", "<colgroup>"]
    out += [f'<col style="width: {w * 100 / total:.1f}%">' for w in table.widths]
    out += ["</colgroup>", "<thead><tr>"]
    out += [f"<th>{_text(h)}</th>" for h in table.headings]
    out.append("</tr></thead>")
    out.append("<tbody>")
    for row in table.rows:
        out.append("<tr>" + "".join(f"<td>{_text(v)}</td>" for v in row) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _picture(picture: Picture) -> list[str]:
    uri = f"data:{picture.content_type};base64,{base64.b64encode(picture.data).decode('ascii')}"
    return ["<figure>", f'<img src="{uri}" alt="{escape(picture.caption)}">',
            f"<figcaption>{_text(picture.caption)}</figcaption>", "</figure>"]


def _back(r: HandoverReport) -> list[str]:
    out = ['<section class="back">', f"<h2>{_text(r.site_heading)}</h2>"]
    out += [f"<p>{_text(line)}</p>" for line in r.site_lines]
    out.append('<div class="closing">')
    out.append(f"<h2>{_text(r.conclusion_heading)}</h2>")
    out += [f"<p>{_text(line)}</p>" for line in r.conclusion]
    if r.missing_lines:
        out.append(f'<p class="small"><b>{_text(r.missing_title)}</b></p>')
        out.append('<ul class="small">')
        out += [f"<li>{_text(line)}</li>" for line in r.missing_lines]
        out.append("</ul>")
    out += [f"<p>{_text(line)}</p>" for line in r.closing]
    out.append('<div class="signatures">')
    for party in r.parties:
        out += ["<div>", f'<p class="title">{_text(party.sign_title)}</p>', f'<p class="hint">{_text(r.sign_hint)}</p>',
                f'<p class="signer">{_text(party.representative) or "&nbsp;"}</p>', "</div>"]
    out += ["</div>", "</div>", "</section>"]
    return out
