"""The minutes a school can sign (issue 17): never placeholder names, one verdict per camera
everywhere, no English in the Vietnamese minutes. Driven through the real CLI over a store filled
as the report tests fill it (tests/report_store.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kitchencam.store import Store
from tests.report_store import fill

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
SITE = ("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
        "--centre-url", "http://127.0.0.1:8000/")


def pages_text(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


@pytest.fixture
def filled(isolated: Path) -> Path:
    with Store(isolated / "data" / "kitchencam.db") as store:
        fill(store)
    return isolated


@needs_poppler
def test_placeholders_refused_unless_draft_which_is_marked_on_every_page(run, filled: Path, tmp_path: Path):
    assert run(*SITE).exit_code == 0  # its parties hold "(họ tên)", "(chức vụ)"
    code, doc = run.json("report", "-o", str(tmp_path / "out"))
    assert code == 2
    message = doc["errors"][0]["message"]
    for field in ("parties.supplier.representative", "parties.supplier.position", "parties.district.position"):
        assert field in message
    assert "--draft" in message
    assert not (tmp_path / "out").exists()

    code, doc = run.json("report", "--draft", "--format", "both", "-o", str(tmp_path / "out"))
    assert code == 0, doc["errors"]
    pages = pages_text(Path(doc["data"]["paths"]["pdf"]))
    assert len(pages) > 2
    for page in pages:
        assert "BẢN NHÁP / DRAFT" in page
    assert "BẢN NHÁP / DRAFT" in Path(doc["data"]["paths"]["html"]).read_text(encoding="utf-8")

    code, doc = run.json("doctor")
    names = {c["name"]: c for c in doc["data"]["checks"]}
    assert names["site-names"]["status"] == "warn"
    assert "parties.supplier.representative" in names["site-names"]["detail"]
