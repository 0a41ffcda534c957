"""The minutes quote each verdict's evidence in their own language, whatever language the check ran in.

One simulated camera on 127.0.56.11 (loopback).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchencam.sim.school import SimulatedSchool

PASSWORD = "Bep-An-2024-an-toan"
ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}


@pytest.fixture
def school() -> Iterator[SimulatedSchool]:
    sim = SimulatedSchool(personas=["dahua-wizsense2-ready"], bind_base="127.0.56.10", http_port=0, rtsp_port=0,
                          user="admin", password=PASSWORD, discovery=False)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.mark.parametrize("ui", ["en", "vi"])
def test_evidence_follows_the_minutes_language(run, school, tmp_path: Path, ui: str):
    assert run("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
               "--centre-url", "http://127.0.0.1:8000/").exit_code == 0
    code, _doc = run.json("--lang", ui, "check", school.members[0].camera.device_xaddr, env=ENV)
    assert code in (0, 3)
    minutes = {}
    for lang in ("vi", "en"):
        out = tmp_path / f"minutes-{lang}.html"
        code, doc = run.json("report", "--draft", "--lang", lang, "--format", "html", "-o", str(out))
        assert code == 0, doc["errors"]
        minutes[lang] = out.read_text(encoding="utf-8")
    # The resolution rule's "seen": "up to 1920x1080 (2.1 MP)" / "tối đa 1920x1080 (2.1 MP)".
    assert "tối đa 1920x1080" in minutes["vi"]
    assert "up to 1920x1080" not in minutes["vi"]
    assert "up to 1920x1080" in minutes["en"]
    assert "tối đa 1920x1080" not in minutes["en"]
