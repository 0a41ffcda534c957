"""The HTML minutes: snapshot tests against a fixed store, self-containment, print CSS, fonts.

The expected files live in tests/data/report/. After an intended change to the minutes, write
them again with

    KITCHENCAM_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/test_report_html.py

and review the diff before committing it.
"""

from __future__ import annotations

import base64
import difflib
import io
import os
import re
from pathlib import Path

import pytest

from kitchencam.report import write_report
from kitchencam.store import Store
from tests.report_store import CAMERAS, SECRET_PASSWORD, SECRET_TOKEN, fill, report_input

DATA = Path(__file__).resolve().parents[1] / "data" / "report"
UPDATE = os.environ.get("KITCHENCAM_UPDATE_SNAPSHOTS") == "1"


def render(tmp_path: Path, lang: str, *, embed_fonts: bool = False, nfd: bool = False,
           mutate: bool = False) -> str:
    with Store(tmp_path / f"store-{lang}-{embed_fonts}-{nfd}-{mutate}.db") as store:
        site_id = fill(store)
        if mutate:  # one serial changed in the inventory: the snapshot must notice
            store.conn.execute("UPDATE devices SET mac = 'de:ad:be:ef:00:01' WHERE site_id = ? AND address = ?",
                               (site_id, CAMERAS[0]["address"]))
        result = write_report(store, report_input(lang, nfd=nfd), fmt="html",
                              output=tmp_path / f"out-{lang}-{embed_fonts}-{nfd}-{mutate}.html",
                              embed_fonts=embed_fonts)
    return Path(result.paths["html"]).read_text(encoding="utf-8")


def compare(actual: str, name: str) -> None:
    expected_path = DATA / name
    if UPDATE:
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), f"{expected_path} is missing: run with KITCHENCAM_UPDATE_SNAPSHOTS=1"
    expected = expected_path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(expected_path),
                                            "rendered", n=2))
        pytest.fail(f"the minutes differ from {expected_path} (KITCHENCAM_UPDATE_SNAPSHOTS=1 writes them again "
                    f"after an intended change):\n{diff[:6000]}")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_html_matches_snapshot(tmp_path: Path, lang: str):
    compare(render(tmp_path, lang), f"minutes-{lang}.html")


def test_snapshot_really_compares(tmp_path: Path):
    """The expected file holds the real minutes, and a one-field change is caught."""
    expected = (DATA / "minutes-vi.html").read_text(encoding="utf-8")
    for cam in CAMERAS:
        assert cam["serial"] in expected
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in expected
    assert len(expected) > 5000
    changed = render(tmp_path, "vi", mutate=True)
    assert changed != expected
    assert "de:ad:be:ef:00:01" in changed
    # Input typed decomposed (NFD) gives the very same composed document.
    assert render(tmp_path, "vi", nfd=True) == render(tmp_path, "vi")


def test_self_contained_and_prints_on_a4(tmp_path: Path):
    html = render(tmp_path, "vi")
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the file must not fetch anything"
    assert re.search(r"@page \{ size: A4; margin: 20mm 15mm 20mm 25mm;", html)
    assert 'content: "Trang " counter(page) "/" counter(pages)' in html
    assert ".camera { break-before: page; }" in html
    images = re.findall(r'<img src="data:image/jpeg;base64,([^"]+)"', html)
    assert len(images) == 1
    assert base64.b64decode(images[0])[:3] == b"\xff\xd8\xff"
    assert '<html lang="vi">' in html


def test_nothing_secret_in_html(tmp_path: Path):
    for lang in ("vi", "en"):
        html = render(tmp_path, lang)
        assert SECRET_PASSWORD not in html
        assert SECRET_TOKEN not in html
        assert "centre:MN-TTO" not in html


def test_embedded_font_subset_has_the_vietnamese_letters(tmp_path: Path):
    from fontTools.ttLib import TTFont

    html = render(tmp_path, "vi", embed_fonts=True)
    faces = re.findall(r"@font-face \{ font-family: 'Be Vietnam Pro'; font-weight: (\w+); font-style: (\w+); "
                       r"src: url\(data:font/ttf;base64,([A-Za-z0-9+/=]+)\)", html)
    assert {(w, s) for w, s, _data in faces} == {("normal", "normal"), ("bold", "normal"), ("normal", "italic")}
    for _w, _s, data in faces:
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        cmap = font.getBestCmap()
        for letter in "ỘỆẢữặđ":
            assert ord(letter) in cmap, letter
        assert "Be Vietnam Pro" in font["name"].getDebugName(1)
        assert font["name"].getDebugName(0)  # the copyright notice travels with the glyphs (OFL)
