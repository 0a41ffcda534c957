"""The rendered minutes' pages in docs/ (issue 17): referenced from the report's reference, small,
and made by a script anybody can run again."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORT_MD = ROOT / "docs" / "reference" / "report.md"
PNG = b"\x89PNG\r\n\x1a\n"


def test_the_minutes_page_images_are_referenced_small_and_reproducible() -> None:
    text = REPORT_MD.read_text(encoding="utf-8")
    linked = re.findall(r"!\[[^\]]*\]\(\.\./images/([^)]+)\)", text)
    assert "minutes-page-1.png" in linked
    assert any(name.startswith("minutes-camera-") for name in linked)
    for name in linked:
        image = ROOT / "docs" / "images" / name
        data = image.read_bytes()
        assert data.startswith(PNG), name
        assert len(data) < 150 * 1024, f"{name}: {len(data)} bytes; render at a lower resolution"
    script = ROOT / "scripts" / "minutes-images.sh"
    assert "pdftoppm -r 60" in script.read_text(encoding="utf-8")
    assert "make minutes-images" in text
    assert "minutes-images:" in (ROOT / "Makefile").read_text(encoding="utf-8")
