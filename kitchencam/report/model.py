"""The handover minutes as data: every string already in the report's language and NFC, so the
HTML and PDF renderers only lay it out (and cannot disagree about what it says)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PartyBlock(BaseModel):
    heading: str  # "A. BÊN GIAO (...)": organisation follows
    organisation: str
    lines: list[tuple[str, str]] = []  # (label, value): representative, position, address, phone
    sign_title: str  # "ĐẠI DIỆN BÊN GIAO"
    representative: str = ""


class Table(BaseModel):
    headings: list[str]
    rows: list[list[str]]
    widths: list[float]  # relative column widths (PDF and HTML alike)
    keep_words: list[int] = []  # columns of identifiers (serial, model, firmware): never cut inside a word
    #: The least width (mm) of a column of words in the PDF (the condition): the identifiers do not
    #: squeeze it to a word a line, which made rows a page tall; the text gets smaller instead.
    least: dict[int, float] = {}


class Picture(BaseModel):
    model_config = ConfigDict(ser_json_bytes="base64")

    content_type: str
    data: bytes = Field(repr=False)
    caption: str


class Subsection(BaseModel):
    heading: str
    paragraphs: list[str] = []  # before the table
    table: Table | None = None
    notes: list[str] = []  # after the table
    picture: Picture | None = None
    missing: bool = False  # the stage has not run: the text says so


class CameraSection(BaseModel):
    n: int
    heading: str
    subheading: str
    parts: list[Subsection]


class Missing(BaseModel):
    """A camera's stages not done yet (also in the --json envelope)."""

    camera: int
    serial: str | None
    target: str | None
    stages: list[str]  # stable codes: inventory, check, provision, snapshot, rtsp, registration


class HandoverReport(BaseModel):
    lang: str
    title: str
    nation: str
    motto: str
    place_date: str
    at_school: str
    basis: list[str]
    intro: str
    parties: list[PartyBlock]
    parties_note: str | None = None
    agree: str
    equipment_heading: str
    equipment: Table
    equipment_note: str | None = None
    cameras_heading: str
    cameras: list[CameraSection]
    site_heading: str
    site_lines: list[str]
    conclusion_heading: str
    conclusion: list[str]
    missing_title: str
    missing_lines: list[str]
    closing: list[str]
    sign_hint: str
    footer: str
    page_label: str  # "Trang {page}/{pages}"
    # Document metadata.
    doc_title: str
    doc_subject: str
    doc_author: str
    generated_at: str  # ISO, UTC
    missing: list[Missing] = []
    site_missing: list[str] = []  # bandwidth, parties, letter
    site_code: str
    draft: str | None = None  # the watermark on every page ("BẢN NHÁP / DRAFT") when not signable
