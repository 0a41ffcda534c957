"""The PDF minutes read back with poppler: text, fonts, metadata, the snapshot, a rendered page.

poppler-utils (pdftotext, pdffonts, pdfinfo, pdfimages, pdftoppm) is installed by
scripts/install-test-deps.sh when the tests run as root; elsewhere these tests skip and say so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.report import write_report
from kitchencam.store import Store
from tests.report_store import CAMERAS, SCHOOL, SECRET_PASSWORD, SECRET_TOKEN, fill, report_input

POPPLER = ("pdftotext", "pdffonts", "pdfinfo", "pdfimages", "pdftoppm")
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils (pdftotext, pdffonts, pdfinfo, pdfimages, pdftoppm) is not installed: run "
           "scripts/install-test-deps.sh as root, or apt-get install poppler-utils",
)


def tool(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True, timeout=60).stdout


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def one_line(text: str) -> str:
    """pdftotext breaks lines where the page does: compare with whitespace collapsed."""
    return " ".join(nfc(text).split())


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("report-pdf")
    with Store(folder / "store.db") as store:
        fill(store)
        out = {}
        for lang in ("vi", "en"):
            # Vietnamese typed decomposed (NFD) must still come out composed.
            result = write_report(store, report_input(lang, nfd=True), fmt="pdf", output=folder / f"minutes-{lang}.pdf")
            out[lang] = Path(result.paths["pdf"])
    return out


def test_text_has_header_title_cameras_and_verdicts(pdfs: dict[str, Path]):
    text = one_line(tool("pdftotext", "-enc", "UTF-8", str(pdfs["vi"]), "-"))
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Hà Nội, ngày 12 tháng 11 năm 2024",
                     "BIÊN BẢN BÀN GIAO THIẾT BỊ CAMERA GIÁM SÁT BẾP ĂN",
                     "Căn cứ Công văn số 1115/GD&ĐT ngày 28/10/2024",
                     "BÊN GIAO", "BÊN NHẬN", "BÊN CHỨNG KIẾN", "(Ký, ghi rõ họ tên)",
                     "03 (ba) bản", "TT-MN-TTO-0001"):
        assert expected in text, expected
    for cam in CAMERAS:
        assert cam["serial"] in text.replace(" ", "") or cam["serial"] in text, cam["serial"]
        assert cam["mac"] in text.replace(" ", ""), cam["mac"]
    for status in ("PASS", "FAIL", "WARN", "MANUAL", "UNKNOWN"):
        assert f"({status})" in text, status


def test_vietnamese_survives_the_round_trip(pdfs: dict[str, Path]):
    """Composed (NFC) text out, whatever the input: every name and the national header."""
    raw = tool("pdftotext", "-enc", "UTF-8", str(pdfs["vi"]), "-")
    assert raw == nfc(raw), "pdftotext gave decomposed text: the PDF holds NFD"
    text = one_line(raw)
    for source in (SCHOOL, "Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Minh Tuấn", "Kỹ thuật viên", "Hiệu trưởng",
                   "Phòng Giáo dục và Đào tạo huyện Thanh Trì", "Công ty TNHH Thực phẩm sạch Hồng Hà",
                   "Chống ngược sáng WDR 120 dB", "Ống kính cố định 3.6 mm"):
        assert one_line(source) in text, source


def test_nothing_secret(pdfs: dict[str, Path]):
    for path in pdfs.values():
        text = tool("pdftotext", "-enc", "UTF-8", str(path), "-")
        data = path.read_bytes()
        for secret in (SECRET_PASSWORD, SECRET_TOKEN):
            assert secret not in text
            assert secret.encode() not in data
        assert "centre:MN-TTO:cam1" not in text  # the keyring entry's name is not for print either


def test_font_is_embedded(pdfs: dict[str, Path]):
    fonts = tool("pdffonts", str(pdfs["vi"])).splitlines()[2:]
    assert fonts, "no font in the PDF"
    for line in fonts:
        name, *_rest = line.split()
        assert "BeVietnamPro" in name, line
        columns = line.split()
        emb, sub = columns[-5], columns[-4]
        assert (emb, sub) == ("yes", "yes"), line


def test_metadata_and_pages(pdfs: dict[str, Path]):
    info = dict(line.split(":", 1) for line in tool("pdfinfo", str(pdfs["vi"])).splitlines() if ":" in line)
    assert info["Title"].strip() == "BIÊN BẢN BÀN GIAO THIẾT BỊ CAMERA GIÁM SÁT BẾP ĂN"
    assert info["Author"].strip() == "Công ty TNHH Thực phẩm sạch Hồng Hà"
    assert SCHOOL in info["Subject"]
    assert "2024" in info["CreationDate"]
    assert "A4" in info["Page size"]
    pages = int(info["Pages"])
    text = one_line(tool("pdftotext", "-enc", "UTF-8", str(pdfs["vi"]), "-"))
    assert f"Trang 1/{pages}" in text
    assert f"Trang {pages}/{pages}" in text


def test_english_minutes(pdfs: dict[str, Path]):
    text = one_line(tool("pdftotext", "-enc", "UTF-8", str(pdfs["en"]), "-"))
    for expected in ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness",
                     "Hà Nội, November 12, 2024", "MINUTES OF HANDOVER OF KITCHEN SURVEILLANCE CAMERA EQUIPMENT",
                     "HANDING OVER PARTY", "RECEIVING PARTY", "WITNESS", "(Signature and full name)", "Page 1 of"):
        assert expected in text, expected
    for status in ("PASS", "FAIL", "WARN", "MANUAL", "UNKNOWN"):
        assert status in text


def test_missing_stages_are_said(pdfs: dict[str, Path]):
    """Camera 3 was only checked: the minutes say it was never provisioned nor registered."""
    vi = one_line(tool("pdftotext", "-enc", "UTF-8", str(pdfs["vi"]), "-"))
    assert "Chưa cài đặt: chưa chạy kitchencam provision cho camera này." in vi
    assert "Chưa đăng ký: chưa có bản đăng ký nào của camera này" in vi
    assert f"Camera 3 ({CAMERAS[2]['serial']}): chưa dò tìm, chưa cài đặt" in vi
    en = one_line(tool("pdftotext", "-enc", "UTF-8", str(pdfs["en"]), "-"))
    assert "Not provisioned: kitchencam provision has not run for this camera." in en
    assert "Not registered: no registration of this camera is recorded" in en
    assert "Rejected by the centre: 422: lens does not meet the district's specification." in en


def test_snapshot_is_in_the_pdf(pdfs: dict[str, Path], tmp_path: Path):
    from PIL import Image

    listing = tool("pdfimages", "-list", str(pdfs["vi"])).splitlines()[2:]
    assert len(listing) == 1, listing  # camera 1's picture; camera 2's failed, camera 3 has none
    page, _num, kind, width, height, *_rest = listing[0].split()
    assert (kind, width, height) == ("image", "320", "240")
    # The page with the picture, rendered: not blank, and where the picture is, not one colour.
    tool("pdftoppm", "-png", "-r", "60", "-f", page, "-l", page, str(pdfs["vi"]), str(tmp_path / "page"))
    [png] = list(tmp_path.glob("page*.png"))
    with Image.open(png) as image:
        grey = image.convert("L")
        w, h = grey.size
        pixels = list(grey.tobytes())
    rows = [pixels[y * w:(y + 1) * w] for y in range(h)]
    assert len(set(pixels)) > 8, "the rendered page is blank"
    # Text rows are mostly white; the picture's rows (120 mm wide: ~280 px here) are not.
    picture_rows = [row for row in rows if sum(1 for p in row if p < 245) > 200]
    assert len(picture_rows) > 100, "no picture-sized region on the page"
    assert len({p for row in picture_rows for p in row}) > 5, "the picture region is uniform"


def test_table_cells_never_cut_a_serial_model_or_firmware(tmp_path: Path):
    """Issue 17: the equipment table printed `8H0A323607063|4`. Cells wrap at spaces and separators
    only: every serial, model and MAC comes back whole from the page, a firmware at worst cut after its
    separators (",", ":"), in both languages."""
    long = {"serial": "8H0A3236070634ABCD", "model": "DH-IPC-HFW2441S-S-0360B-S2",
            "firmware": "V2.800.0000000.31.R,Build:2023-05-18", "mac": "3c:ef:8c:12:34:56"}
    with Store(tmp_path / "store.db") as store:
        site_id = fill(store)
        store.upsert_device(site_id, "urn:uuid:cam-long", kind="camera", address="192.168.1.70",
                            xaddr="http://192.168.1.70/onvif/device_service", manufacturer="Dahua",
                            model=long["model"], firmware=long["firmware"], serial=long["serial"], mac=long["mac"],
                            location="Bếp ăn", found_by="multicast", onvif="on")
        for lang in ("vi", "en"):
            pdf = tmp_path / f"{lang}.pdf"
            write_report(store, report_input(lang), fmt="pdf", output=pdf)
            words = set(tool("pdftotext", "-f", "1", "-l", "2", "-enc", "UTF-8", str(pdf), "-").split())
            for cam in [*CAMERAS[:2], long]:
                for key in ("serial", "model", "mac"):
                    for word in cam[key].split():
                        assert word in words, (lang, key, word)
                pieces = [p for w in cam["firmware"].split() for p in re.findall(r"[^,:]*(?:[,:]+|$)", w) if p]
                assert all(any(p in w for w in words) for p in pieces), (lang, pieces)


def test_page_one_holds_the_equipment_of_a_four_camera_school(tmp_path: Path):
    """Issue 17: page 1 ended after one or two rows of the equipment table: a Hikvision serial (it
    carries the model) beside the MAC left the condition a word a line, each row a third of a page.
    The MAC now sits under the serial and the condition keeps a readable width: all four rows fit."""
    from kitchencam.store import CheckRecord
    from tests.report_store import fixed_clock

    with Store(tmp_path / "store.db") as store:
        fill(store)
        site = store.get_site("MN-TTO")
        assert site is not None
        power = {"rule": "power", "title": "Power", "title_vi": "Nguồn điện", "kind": "site", "status": "MANUAL",
                 "seen": None, "required": "yes", "evidence": "none", "source": None}
        record = CheckRecord(target="192.168.1.67:80", serial="4J0B1122334455", manufacturer="Dahua",
                             model="IPC-HDW1230T1", overall="INCOMPLETE", checked_at="2024-11-12T09:00:00+00:00",
                             verdicts=[power])
        with fixed_clock():
            store.record_check_run(site.id, "thanhtri-2024", "2024-11-12T09:00:00+00:00", [record], [])
        for lang in ("vi", "en"):
            pdf = write_report(store, report_input(lang), fmt="pdf", output=tmp_path / f"m-{lang}.pdf").paths["pdf"]
            first = "".join(tool("pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", pdf, "-").split())
            for serial in [*(c["serial"] for c in CAMERAS), "4J0B1122334455"]:
                assert serial in first, (lang, serial)
            assert "bc:ad:28:00:00:02" in first
            second = "".join(tool("pdftotext", "-f", "2", "-l", "2", "-enc", "UTF-8", pdf, "-").split())
            assert "4J0B1122334455" not in second  # no row carried over to a page of its own
