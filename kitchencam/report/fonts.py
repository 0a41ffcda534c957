"""The report's typeface: Be Vietnam Pro, a family drawn for Vietnamese (every precomposed letter
with its stacked diacritics, ể ỗ ữ ặ...), SIL Open Font License 1.1.

It comes from the PyPI package ``fontpkg-be-vietnam-pro`` (static TTFs, licence inside), a
dependency of kitchencam, so the PDF never depends on fonts installed on the technician's
laptop. The PDF embeds the glyphs it uses; the HTML may embed a subset as data URIs.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path

from fontTools import subset

from kitchencam.errors import ConfigError
from kitchencam.i18n import _

FAMILY = "Be Vietnam Pro"
#: fpdf2 style -> (weight, style) of the file.
STYLES = {"": (400, "normal"), "B": (700, "normal"), "I": (400, "italic"), "BI": (700, "italic")}


@lru_cache(maxsize=1)
def font_files() -> dict[str, Path]:
    """fpdf2 style ("", "B", "I", "BI") -> the TTF file."""
    try:
        import fontpkg  # here, not at the top: a missing font package is a ConfigError with advice

        files = {style: Path(fontpkg.path(FAMILY, weight=weight, style=kind))
                 for style, (weight, kind) in STYLES.items()}
    except (ImportError, LookupError, OSError, ValueError) as exc:
        raise ConfigError(
            _("The report font {family} is not installed ({reason}). Reinstall kitchencam, or run: "
              "pip install fontpkg-be-vietnam-pro").format(family=FAMILY, reason=exc)) from None
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise ConfigError(_("The report font files are missing: {files}. Reinstall kitchencam.").format(
            files=", ".join(missing)))
    return files


def licence_text() -> str:
    """The font's OFL licence as shipped in its package."""
    regular = font_files()[""]
    for candidate in (regular.parent.parent / "LICENSE", regular.parent / "LICENSE", regular.parent / "OFL.txt"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return ""


def subset_data_uri(style: str, text: str) -> str:
    """A data: URI of the font reduced to the characters of ``text`` (for the self-contained HTML)."""
    options = subset.Options()
    # Names, copyright (0) and the licence and its URL (13, 14) stay with the glyphs (OFL 1.1).
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    # No OpenType layout features: the text is composed (NFC), so no mark positioning is needed, and
    # the PDF sets it without kerning too (same line breaks); subsetting GPOS was 90% of the time.
    options.layout_features = []
    font = subset.load_font(str(font_files()[style]), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))) + " ")
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return "data:font/ttf;base64," + base64.b64encode(out.getvalue()).decode("ascii")
