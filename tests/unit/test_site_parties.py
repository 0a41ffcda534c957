"""``update_parties``: the handover writes the names typed on site into the site config in place."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from kitchencam.errors import ConfigError, UsageError
from kitchencam.report.build import placeholders
from kitchencam.settings import load_site, site_template
from kitchencam.sitecmd import party_value_problem, update_parties

NAMES = {
    "parties.supplier.organisation": "Công ty TNHH Thực phẩm Sạch Thanh Trì",
    "parties.supplier.representative": "Lê Văn Cường",
    "parties.supplier.position": "Giám đốc",
    "parties.school.representative": "Phạm Thị Dung",
    "parties.district.representative": "Hoàng Văn Em",
    "parties.district.position": "Chuyên viên",
}


def _site(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    text = site_template(school_name="Trường Mầm non Tả Thanh Oai", school_code="MN-TTO",
                         address="Thanh Trì, Hà Nội", centre_url="https://centre.example.vn/")
    # a technician's comments and a value with a colon: the writer keeps them as they are
    text = text.replace("subject: Lắp đặt camera giám sát bếp ăn bán trú",
                        "subject: 'Lắp đặt: camera'  # giữ nguyên\n  # chú thích")
    text = text.replace("    representative: (họ tên)\n", "    representative: (họ tên)  # điền sau\n", 1)
    path.write_text("# sửa tên các bên trước khi in biên bản\n" + text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def test_placeholders_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    path = _site(tmp_path)
    before = path.read_text(encoding="utf-8")
    assert sorted(placeholders(load_site(path))) == sorted(NAMES)

    site = update_parties(path, NAMES)

    assert placeholders(site) == []
    assert site.parties is not None
    assert site.parties.supplier.representative == "Lê Văn Cường"
    assert site.parties.district.position == "Chuyên viên"
    after = path.read_text(encoding="utf-8")
    assert "# sửa tên các bên trước khi in biên bản" in after
    assert "# giữ nguyên" in after
    assert "# chú thích" in after
    assert 'representative: "Lê Văn Cường"  # điền sau' in after
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    for dotted, value in NAMES.items():  # only these keys changed
        _, role, name = dotted.split(".")
        assert new["parties"][role][name] == value
        new["parties"][role][name] = old["parties"][role][name]
    assert new == old
    # the lines that held no name are byte for byte the same
    changed = [b for b, a in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == len(NAMES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_site(path) == site


@pytest.mark.parametrize("value", ["", "   ", "(họ tên)", "Lê\nVăn", "x" * 201])
def test_invalid_value_is_refused_and_nothing_written(tmp_path: Path, value: str) -> None:
    path = _site(tmp_path)
    before = path.read_text(encoding="utf-8")
    assert party_value_problem(value) is not None
    with pytest.raises(UsageError):
        update_parties(path, {"parties.supplier.organisation": "Công ty A",
                              "parties.supplier.representative": value})
    assert path.read_text(encoding="utf-8") == before


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    path = _site(tmp_path)
    with pytest.raises(UsageError):
        update_parties(path, {"school.name": "Trường khác"})
    with pytest.raises(UsageError):
        update_parties(path, {"parties.supplier.phone": "0900"})


def test_quotes_and_yaml_characters_are_written_safely(tmp_path: Path) -> None:
    path = _site(tmp_path)
    name = 'Công ty "Sạch": #1 & *Bếp* - {A}'
    site = update_parties(path, {"parties.supplier.organisation": name})
    assert site.parties is not None
    assert site.parties.supplier.organisation == name


def test_a_file_without_parties_says_so(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    data = yaml.safe_load(_site(tmp_path).read_text(encoding="utf-8"))
    del data["parties"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError):
        update_parties(path, {"parties.supplier.representative": "Lê Văn Cường"})


def test_an_empty_value_in_the_file_is_filled(tmp_path: Path) -> None:
    path = _site(tmp_path)
    text = path.read_text(encoding="utf-8").replace("representative: (họ tên hiệu trưởng)", "representative: ''")
    path.write_text(text, encoding="utf-8")
    site = update_parties(path, {"parties.school.representative": "Phạm Thị Dung"})
    assert site.parties is not None
    assert site.parties.school.representative == "Phạm Thị Dung"
