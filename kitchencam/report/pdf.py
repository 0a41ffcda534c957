"""``HandoverReport`` -> an A4 PDF (fpdf2), laid out like a Vietnamese administrative document.

Margins follow the usual form of such documents (left 25 mm for binding, right 15 mm, top and
bottom 20 mm); the font is Be Vietnam Pro, embedded (fpdf2 embeds the subset it uses), so the
file prints the same on any computer. Every page has its number; each camera starts a page.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from kitchencam.report.fonts import font_files
from kitchencam.report.model import HandoverReport, PartyBlock, Picture, Subsection, Table

FONT = "BeVietnamPro"
LEFT, RIGHT, TOP, BOTTOM = 25.0, 15.0, 20.0, 20.0
BODY = 11.0
SMALL = 8.5
LINE = 5.6  # mm per line of body text
GREY = (235, 235, 235)
_SEPARATED = re.compile(r"[^,;|]*(?:[,;|]+|$)")  # a word's pieces after list separators (never a MAC's ":")
LEAST_COLUMN = 12.0  # mm: what a column of words that may be cut gets at least
MIN_TABLE_SIZE = 6.0  # pt: the smallest a table's text gets so that no serial is cut
SEPARATORS = frozenset("/?&=,;:|-")  # where a word too wide for its column is cut first


def _pdf_class() -> Any:
    class _Minutes(FPDF):
        """FPDF with the report's footer: who made it, and "page n of N"."""

        footer_text = ""
        page_label = "{page}/{pages}"
        draft = ""  # the watermark of a draft, on every page

        def header(self) -> None:
            if not self.draft:
                return
            family, style, size = self.font_family, self.font_style, self.font_size_pt
            self.set_font(FONT, "B", 40)
            self.set_text_color(215, 215, 215)
            width = self.get_string_width(self.draft)
            with self.rotation(angle=45, x=self.w / 2, y=self.h / 2):
                self.text(self.w / 2 - width / 2, self.h / 2, self.draft)
            # And upright at the top, where a copier keeps it and a text search finds it.
            self.set_font(FONT, "B", 9)
            self.set_text_color(180, 0, 0)
            self.text(self.w - RIGHT - self.get_string_width(self.draft), TOP / 2 + 2, self.draft)
            self.set_text_color(0, 0, 0)
            if family:  # a page break inside a table: its font goes on
                self.set_font(family, style, size)

        def footer(self) -> None:
            self.set_y(-BOTTOM + 6)
            self.set_font(FONT, "I", 7.5)
            self.set_text_color(90, 90, 90)
            width = self.w - LEFT - RIGHT
            label = self.page_label.format(page=self.page_no(), pages=self.alias_nb_pages_value())
            self.cell(width * 0.75, 4, self.footer_text, align="L")
            self.cell(width * 0.25, 4, label, align="R")
            self.set_text_color(0, 0, 0)

        def alias_nb_pages_value(self) -> str:
            return str(self.str_alias_nb_pages)

    return _Minutes


def render_pdf(report: HandoverReport, *, created: datetime, creator: str) -> bytes:
    """The PDF file's bytes."""

    pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
    for style, path in font_files().items():
        if style != "BI":  # never used: parsing it would cost a tenth of a second
            pdf.add_font(FONT, style=style, fname=str(path))
    pdf.footer_text = report.footer
    pdf.page_label = report.page_label
    pdf.draft = report.draft or ""
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(auto=True, margin=BOTTOM)
    pdf.set_title(report.doc_title)
    pdf.set_author(report.doc_author)
    pdf.set_subject(report.doc_subject)
    pdf.set_creator(creator)
    pdf.set_keywords(" ".join(m.serial for m in report.missing if m.serial))
    pdf.set_creation_date(created)
    pdf.set_lang("vi-VN" if report.lang == "vi" else "en")
    pdf.add_page()
    layout = _Layout(pdf, XPos, YPos)
    layout.header(report)
    layout.front(report)
    for camera in report.cameras:
        pdf.add_page()
        if camera.n == 1:  # section II starts with the first camera's page
            layout.heading(report.cameras_heading, space=0)
        layout.heading(camera.heading, size=12, space=0 if camera.n > 1 else 2.0)
        layout.para(camera.subheading, style="I", size=9.5)
        for part in camera.parts:
            layout.subsection(part)
    layout.back(report)
    return bytes(pdf.output())


class _Layout:
    """Places the report's blocks; text goes through ``write`` (our own wrapping, see ``table``)."""

    def __init__(self, pdf: Any, xpos: Any, ypos: Any) -> None:
        self.pdf = pdf
        self.X = xpos
        self.Y = ypos
        self.width = pdf.w - LEFT - RIGHT
        self._metrics: dict[tuple[str, float], _Metrics] = {}

    # -- blocks --------------------------------------------------------------------------------

    def header(self, r: HandoverReport) -> None:
        pdf = self.pdf
        self.write(r.nation, style="B", size=12, align="C", line_h=6)
        self.write(r.motto, style="B", size=12.5, align="C", line_h=6.5)
        # The rule under the motto, as long as the motto (Quốc hiệu và Tiêu ngữ).
        rule = self.metrics("B", 12.5).width(r.motto)
        middle = LEFT + self.width / 2
        pdf.set_line_width(0.35)
        pdf.line(middle - rule / 2, pdf.get_y() + 0.6, middle + rule / 2, pdf.get_y() + 0.6)
        pdf.ln(5)
        self.write(r.place_date, style="I", size=BODY, align="R")
        pdf.ln(6)
        self.write(r.title, style="B", size=14, align="C", line_h=7)
        self.write(r.at_school, style="I", size=BODY, align="C")
        pdf.ln(4)

    def front(self, r: HandoverReport) -> None:
        for line in r.basis:
            self.para(line, style="I")
        self.para(r.intro)
        for party in r.parties:
            self.party(party)
        if r.parties_note:
            self.para(r.parties_note, style="I", size=9.5)
        self.para(r.agree)
        self.heading(r.equipment_heading)
        if r.equipment.rows:
            self.table(r.equipment, size=7.5)
        if r.equipment_note:
            self.para(r.equipment_note, style="I")
        if not r.cameras:
            self.heading(r.cameras_heading)

    def back(self, r: HandoverReport) -> None:
        self.heading(r.site_heading, space=6.0)
        for line in r.site_lines:
            self.para(line)
        # The conclusion, the closing and the signatures stay on one page.
        self.keep(95 + 5 * len(r.missing_lines))
        self.heading(r.conclusion_heading)
        for line in r.conclusion:
            self.para(line)
        if r.missing_lines:
            self.para(r.missing_title, size=10, style="B")
            for line in r.missing_lines:
                self.para("- " + line, size=10, align="L")
        for line in r.closing:
            self.para(line)
        self.signatures(r)

    def party(self, p: PartyBlock) -> None:
        self.keep(4 * LINE)
        self.write(f"{p.heading}: {p.organisation}", style="B", size=BODY, align="L")
        label_w = max(self.metrics("", BODY).width(f"{label}:") for label, _value in p.lines) + 3
        for label, value in p.lines:
            top = self.pdf.get_y()
            self.write(f"{label}:", size=BODY, align="L", x=LEFT + 6, w=label_w)
            self.pdf.set_y(top)
            self.write(value or "." * 40, size=BODY, align="L", x=LEFT + 6 + label_w, w=self.width - label_w - 6)
        self.pdf.ln(1.5)

    def signatures(self, r: HandoverReport) -> None:
        pdf = self.pdf
        self.keep(50)
        pdf.ln(4)
        col = self.width / 3
        top = pdf.get_y()
        lines = max(len(self.metrics("B", 10).wrap(p.sign_title, col - 2)) for p in r.parties)
        for i, party in enumerate(r.parties):
            x = LEFT + i * col
            pdf.set_y(top)
            self.write(party.sign_title, style="B", size=10, align="C", line_h=5, x=x, w=col)
            pdf.set_y(top + 5 * lines)
            self.write(r.sign_hint, style="I", size=9.5, align="C", line_h=5, x=x, w=col)
        bottom = top + 5 * lines + 33
        for i, party in enumerate(r.parties):
            pdf.set_y(bottom)
            self.write(party.representative, style="B", size=10.5, align="C", line_h=5, x=LEFT + i * col, w=col)
        pdf.set_y(bottom + 8)

    def subsection(self, part: Subsection) -> None:
        if part.picture is not None:  # the heading goes with its picture
            self.keep(14 + len(part.paragraphs) * LINE + self._picture_height(part.picture) + 10)
        self.keep(3 * LINE + (12 if part.table else 0))
        self.heading(part.heading, size=10.5, space=2.5)
        for line in part.paragraphs:
            self.para(line, size=10, style="I" if part.missing else "")
        if part.table is not None:
            self.table(part.table, size=8)
        for line in part.notes:
            self.para(line, size=9, style="I")
        if part.picture is not None:
            self.picture(part.picture)

    # -- primitives ----------------------------------------------------------------------------

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit (a heading never ends a page)."""
        pdf = self.pdf
        if pdf.get_y() + height > pdf.h - BOTTOM:
            pdf.add_page()

    def heading(self, text: str, *, size: float = 11.5, space: float = 4.0) -> None:
        self.keep(space + 3 * LINE)
        self.pdf.ln(space)
        self.write(text, style="B", size=size, align="L", line_h=size * 0.5)
        self.pdf.ln(1)

    def para(self, text: str, *, style: str = "", size: float = BODY, align: str = "J") -> None:
        self.write(text, style=style, size=size, align=align, line_h=size * 0.5)
        self.pdf.ln(size * 0.12)

    def write(self, text: str, *, style: str = "", size: float = BODY, align: str = "L",
              line_h: float | None = None, x: float | None = None, w: float | None = None) -> None:
        """Wrapped text from the current y; "J" justifies every line but a paragraph's last."""
        pdf = self.pdf
        line_h = line_h or size * 0.5
        x = LEFT if x is None else x
        w = self.width if w is None else w
        metrics = self.metrics(style, size)
        pdf.set_font(FONT, style, size)
        em = size * 25.4 / 72
        for paragraph in text.split("\n"):
            lines = metrics.wrap(paragraph, w)
            for i, line in enumerate(lines):
                y = pdf.get_y()
                if y + line_h > pdf.h - BOTTOM:
                    pdf.add_page()
                    pdf.set_font(FONT, style, size)
                    y = pdf.get_y()
                baseline = y + (line_h - em) / 2 + 0.8 * em
                words = line.split(" ")
                if align == "J" and i < len(lines) - 1 and len(words) > 1:
                    gap = (w - sum(metrics.width(word) for word in words)) / (len(words) - 1)
                    left = x
                    for word in words:
                        pdf.text(left, baseline, word)
                        left += metrics.width(word) + gap
                else:
                    width = metrics.width(line)
                    left = x + {"C": (w - width) / 2, "R": w - width}.get(align, 0.0)
                    pdf.text(left, baseline, line)
                pdf.set_y(y + line_h)

    def table(self, table: Table, *, size: float) -> None:
        """A bordered table with a grey heading row repeated on each page.

        Laid out here rather than with fpdf2's table(): its line breaking measures the text again
        for every character it adds, which made 20 cameras' tables take seconds.
        """
        pdf = self.pdf
        pad_x, pad_y = 1.0, 0.8
        size, widths = self.fit(table, size, pad_x)
        line_h = size * 0.42
        page_bottom = pdf.h - BOTTOM
        usable = page_bottom - TOP - 2 * pad_y - line_h  # the most one row may take

        def lines_of(values: list[str], style: str) -> list[list[str]]:
            metrics = self.metrics(style, size)
            cap = max(1, int(usable / line_h) - 2)
            out = []
            for value, w in zip(values, widths, strict=True):
                lines = metrics.wrap(value, w - 2 * pad_x)
                out.append(lines[:cap] if len(lines) <= cap else [*lines[:cap - 1], lines[cap - 1] + " …"])
            return out

        def draw(cells: list[list[str]], style: str, top: float, align_centre: bool) -> float:
            height = max(len(c) for c in cells) * line_h + 2 * pad_y
            pdf.set_font(FONT, style, size)
            x = LEFT
            for lines, w in zip(cells, widths, strict=True):
                if style == "B":
                    pdf.set_fill_color(*GREY)
                    pdf.rect(x, top, w, height, style="DF")
                else:
                    pdf.rect(x, top, w, height)
                metrics = self.metrics(style, size)
                for i, line in enumerate(lines):
                    dx = (w - metrics.width(line)) / 2 if align_centre else pad_x
                    pdf.text(x + dx, top + pad_y + i * line_h + size * 0.3, line)
                x += w
            return top + height

        pdf.set_line_width(0.2)
        heading = lines_of(table.headings, "B")
        heading_h = max(len(c) for c in heading) * line_h + 2 * pad_y
        rows = [lines_of(values, "") for values in table.rows]
        first_h = max(len(c) for c in rows[0]) * line_h + 2 * pad_y if rows else 0
        self.keep(heading_h + first_h)
        y = draw(heading, "B", pdf.get_y(), True)
        for cells in rows:
            height = max(len(c) for c in cells) * line_h + 2 * pad_y
            if y + height > page_bottom:
                pdf.add_page()
                y = draw(heading, "B", pdf.get_y(), True)
            y = draw(cells, "", y, False)
        pdf.set_xy(LEFT, y)
        pdf.ln(2)

    def fit(self, table: Table, size: float, pad_x: float) -> tuple[float, list[float]]:
        """The font size and column widths: the given size when every word fits its column, else a
        smaller one (down to MIN_TABLE_SIZE) where they do."""
        # Whole heading words too, if that can be had; at worst long words cut after their separators
        # (a firmware's "...R,|Build:|2023"), never a serial without any.
        for headings, at_separators in ((True, False), (False, False), (False, True)):
            tried = MIN_TABLE_SIZE if at_separators else size  # the last resort: the smallest text, fewest cuts
            while tried >= MIN_TABLE_SIZE:
                widths = self.column_widths(table, tried, pad_x, headings=headings, at_separators=at_separators)
                if widths is not None:
                    return tried, widths
                tried = round(tried - 0.5, 1)
        total = sum(table.widths) or 1.0
        return size, [self.width * w / total for w in table.widths]

    def column_widths(self, table: Table, size: float, pad_x: float, *, headings: bool,
                      at_separators: bool = False) -> list[float] | None:
        """The table's relative widths, widened where a column's longest word (a serial, a model, a
        firmware) would not fit, taking the room from the columns that have some to spare: cells wrap
        at spaces, never inside such a word. None when the words cannot all fit at this size."""
        widths = table.widths
        regular, bold = self.metrics("", size), self.metrics("B", size)

        def words(value: str) -> list[str]:
            return [p for w in value.split() for p in (_SEPARATED.findall(w) if at_separators else [w])]

        def widest(metrics: _Metrics, values: list[str]) -> float:
            return max((metrics.width(word) for v in values for word in words(v)), default=0.0) + 2 * pad_x + 0.2

        columns = list(zip(*table.rows, strict=True)) if table.rows else [() for _w in widths]
        body = [max(widest(regular, list(col)), table.least.get(i, 0.0)) for i, col in enumerate(columns)]
        if at_separators:  # the last resort: only the identifiers' words kept whole, the rest cut if need be
            body = [b if i in table.keep_words else min(b, max(LEAST_COLUMN, table.least.get(i, 0.0)))
                    for i, b in enumerate(body)]
        with_heading = [max(b, widest(bold, [h])) for b, h in zip(body, table.headings, strict=True)]
        need = with_heading if headings else body
        if at_separators and sum(need) > self.width:  # the others share what the identifiers leave
            need = [n if i in table.keep_words else 0.0 for i, n in enumerate(need)]
        if sum(need) > self.width:
            return None
        # The last resort: the identifiers just their widest word, the rest shared as the widths say.
        fixed: dict[int, float] = {i: need[i] for i in table.keep_words} if at_separators else {}
        while True:
            free = self.width - sum(fixed.values())
            rest = [i for i in range(len(widths)) if i not in fixed]
            share = sum(table.widths[i] for i in rest) or 1.0
            grown = {i: need[i] for i in rest if free * table.widths[i] / share < need[i]}
            if not grown:
                return [fixed.get(i, free * table.widths[i] / share) for i in range(len(widths))]
            fixed.update(grown)

    def metrics(self, style: str, size: float) -> _Metrics:
        key = (style, size)
        found = self._metrics.get(key)
        if found is None:
            self.pdf.set_font(FONT, style, size)
            found = self._metrics[key] = _Metrics(self.pdf.current_font.cw, size, self.pdf.k)
        return found

    def _picture_height(self, picture: Picture) -> float:
        width_px, height_px = _pixel_size(picture.data)
        return min(120.0, self.width) * (height_px / width_px if width_px else 0.5625)

    def picture(self, picture: Picture) -> None:
        pdf = self.pdf
        w = min(120.0, self.width)
        h = self._picture_height(picture)
        self.keep(h + 12)
        x = LEFT + (self.width - w) / 2
        pdf.image(io.BytesIO(picture.data), x=x, w=w, h=h)
        pdf.ln(1)
        self.write(picture.caption, style="I", size=7.5, align="C", line_h=3.6)
        pdf.ln(1)


class _Metrics:
    """Text widths and word wrapping for one font style and size, from the font's advance widths."""

    def __init__(self, advances: Any, size_pt: float, k: float) -> None:
        self.advances = advances
        self.scale = size_pt * 0.001 / k  # font units -> mm
        self._words: dict[str, float] = {}

    def width(self, text: str) -> float:
        found = self._words.get(text)
        if found is None:
            advances = self.advances
            found = self._words[text] = sum(advances[ord(c)] for c in text) * self.scale
        return found

    def wrap(self, text: str, max_width: float) -> list[str]:
        """Greedy word wrap; a word wider than the column (a URL, a hash) is cut where it must be."""
        lines: list[str] = []
        space = self.width(" ")
        for paragraph in text.split("\n"):
            line, line_w = "", 0.0
            for word in paragraph.split(" "):
                w = self.width(word)
                if line and line_w + space + w <= max_width:
                    line, line_w = f"{line} {word}", line_w + space + w
                    continue
                if line:
                    lines.append(line)
                pieces = self._cut(word, max_width) if w > max_width else [word]
                lines.extend(pieces[:-1])
                line, line_w = pieces[-1], self.width(pieces[-1])
            lines.append(line)
        return lines

    def _cut(self, word: str, max_width: float) -> list[str]:
        """A word wider than the column: cut after a separator (/ ? & = , ; : | -) where one fits, else
        where it must be."""
        pieces, start, used, after_sep = [], 0, 0.0, -1
        for i, c in enumerate(word):
            w = self.advances[ord(c)] * self.scale
            if used + w > max_width and i > start:
                end = after_sep if after_sep > start else i
                pieces.append(word[start:end])
                start, used = end, self.width(word[end:i])
            used += w
            if c in SEPARATORS:
                after_sep = i + 1
        pieces.append(word[start:])
        return pieces


def _pixel_size(data: bytes) -> tuple[int, int]:

    with Image.open(io.BytesIO(data)) as image:
        return image.size
