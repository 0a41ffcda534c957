"""`kitchencam site init|show`: a config technicians edit by hand, with errors that point at the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitchencam.store import Store
from tests.conftest import SITE_ARGS


def test_init_then_show_roundtrip(run, isolated: Path):
    result = run(*SITE_ARGS)
    assert result.exit_code == 0, result.stderr
    site_file = isolated / "config" / "site.yaml"
    assert site_file.exists()
    text = site_file.read_text(encoding="utf-8")
    assert "Trường Mầm non Tả Thanh Oai" in text  # written as UTF-8, not \u escapes
    code, doc = run.json("site", "show")
    assert code == 0
    site = doc["data"]["site"]
    assert site["letter"]["number"] == "1115/GD&ĐT"
    assert site["parties"]["school"]["position"] == "Hiệu trưởng"
    with Store(isolated / "data" / "kitchencam.db") as store:
        [row] = store.list_sites()
    assert row.code == "MN-TTO"


def test_init_refuses_to_overwrite(run):
    assert run(*SITE_ARGS).exit_code == 0
    result = run(*SITE_ARGS)
    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert run(*SITE_ARGS, "--force").exit_code == 0


def test_init_rejects_bad_values_without_writing(run, isolated: Path):
    result = run("site", "init", "--school-name", "X", "--school-code", "bad code!", "--centre-url", "not a url")
    assert result.exit_code == 2  # the options typed are wrong: a usage error
    assert "--school-code: " in result.stderr
    assert "--centre-url: " in result.stderr
    assert not (isolated / "config" / "site.yaml").exists()
    assert not (isolated / "config" / "site.tmp").exists()


@pytest.mark.parametrize(("lang", "options", "expected"), [
    ("en", ("--centre-url", "ftp://centre.example/"),
     ["--centre-url: Input should be a URL starting with http:// or https://, got 'ftp://centre.example/'"]),
    ("vi", ("--centre-url", "ftp://centre.example/"),
     ["--centre-url: Giá trị phải là URL bắt đầu bằng http:// hoặc https://, nhưng nhận 'ftp://centre.example/'"]),
    ("en", ("--centre-url", "http://x/", "--school-code", "M N", "--school-name", ""),
     ["--school-name: Input should have at least 1 character(s), got ''",
      "--school-code: Input does not have the expected form (^[A-Za-z0-9_-]{2,32}$), got 'M N'"]),
    ("en", ("--centre-url", "http://x/", "--connection", "gb28181"),
     ["--connection gb28181 needs --connection-host, --connection-port, --sip-server-id, --sip-domain."]),
    ("vi", ("--centre-url", "http://x/", "--connection", "gb28181", "--connection-host", "10.0.0.1",
            "--connection-port", "5060", "--sip-server-id", "34020000002000000001", "--sip-domain", "12"),
     ["--sip-domain: miền SIP gồm 10 chữ số"]),
    ("en", ("--centre-url", "http://x/", "--connection", "dahua-auto-register", "--connection-host", "10.0.0.1",
            "--connection-port", "70000"),
     ["--connection-port: the port is a number from 1 to 65535."]),
])
def test_init_names_the_option_not_a_temporary_file(run, isolated: Path, lang, options, expected):
    """A refused value names the option the technician typed (not site.tmp:13, a file never seen)."""
    argv = {"--school-name": "Trường Mầm non Tả Thanh Oai", "--school-code": "MN-TTO"}
    argv.update(dict(zip(options[::2], options[1::2], strict=True)))
    code, doc = run.json("--lang", lang, "site", "init", *[part for pair in argv.items() for part in pair])
    assert code == 2
    [error] = doc["errors"]
    assert error["code"] == "UsageError"
    lines = error["message"].split("\n")
    assert len(lines) == len(expected), lines
    for line, words in zip(lines, expected, strict=True):
        assert line.startswith(words), line
    assert ".tmp" not in error["message"]
    assert error["hint"] == ("Nothing was written: run it again with these options corrected." if lang == "en" else
                             "Chưa ghi tệp nào: hãy chạy lại lệnh với các tùy chọn trên đã sửa.")
    assert not (isolated / "config" / "site.yaml").exists()
    assert not (isolated / "config" / "site.tmp").exists()
    text = run("--lang", lang, "site", "init", *[part for pair in argv.items() for part in pair]).stderr
    assert expected[0] in text


def test_errors_name_file_line_and_key(run, tmp_path: Path):
    bad = tmp_path / "site.yaml"
    bad.write_text(
        "school:\n  name: A\n  code: MN-A\n  address: B\ncentre:\n  url: http://x/\n  verfy_tls: no\n"
        "ntp_servers: [a, '']\n",
        encoding="utf-8",
    )
    code, doc = run.json("site", "show", "--site", str(bad))
    assert code == 1
    message = doc["errors"][0]["message"]
    assert f"{bad}:7: centre.verfy_tls: unknown key" in message
    assert f"{bad}:8: ntp_servers.1" in message


def test_broken_yaml_is_a_message_not_a_traceback(run, tmp_path: Path):
    bad = tmp_path / "site.yaml"
    bad.write_text("school: [unclosed\n", encoding="utf-8")
    result = run("site", "show", "--site", str(bad))
    assert result.exit_code == 1
    assert "not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("text", "line", "words"), [
    # Unclosed quote on line 2: PyYAML only notices at the end of the file (line 6).
    ('school:\n  name: "Truong\n  code: MN-A\ncentre:\n  url: http://x/\n', 2,
     "a quote opened on this line is never closed"),
    # Closed by the next value's quote: PyYAML stops on line 3, the open quote is on line 2.
    ('school:\n  name: "A\n  code: "MN-A"\n', 2, "a quote opened on this line is never closed; noticed on line 3"),
    ("school: {name: A,\n  code: MN-A\ncentre: x\n", 1, "a [ or { opened on this line is never closed"),
    ("school:\n  name: A\n   code: MN-A\ncentre: x\n", 3, "mapping values are not allowed here"),
    ("ntp_servers:\n  - a\n  school: x\n", 3, "not indented like the lines around it"),
    ("school:\n\tname: A\n", 2, "indent with spaces, never tabs"),
])
def test_yaml_syntax_error_names_the_line_of_the_mistake(run, tmp_path: Path, text, line, words):
    bad = tmp_path / "site.yaml"
    bad.write_text(text, encoding="utf-8")
    code, doc = run.json("site", "show", "--site", str(bad))
    assert code == 1
    message = doc["errors"][0]["message"]
    assert message.startswith(f"{bad}:{line}: not valid YAML"), message
    assert words in message


def test_missing_site_says_how_to_create_one(run):
    result = run("site", "show")
    assert result.exit_code == 1
    assert "kitchencam site init" in result.stderr


def test_vietnamese_messages(run):
    result = run("--lang", "vi", "site", "show")
    assert result.exit_code == 1
    assert "Không tìm thấy" in result.stderr or "Chưa có" in result.stderr


PYDANTIC_ENGLISH = ("Input should", "String should", "List should", "Value error", "Field required",
                    "Extra inputs", "valid integer", "valid date", "valid boolean", " or '")


def test_validation_errors_are_vietnamese_with_lang_vi(run, tmp_path: Path):
    bad = tmp_path / "site.yaml"
    bad.write_text(
        "school:\n  name: A\n  code: 'M N'\n"  # 3: pattern; address missing (school, line 1)
        "centre:\n  url: ftp://x/\n  verify_tls: maybe\n"  # 5: URL scheme, 6: boolean
        "  connection: {method: gb28181x, port: many}\n"  # 7: literal, int
        "letter: {number: '1', date: tomorrow}\n"  # 8: date
        "ntp_servers: ['']\n"  # 9: too short
        "colour: red\n",  # 10: unknown key
        encoding="utf-8",
    )
    code, doc = run.json("--lang", "vi", "site", "show", "--site", str(bad))
    assert code == 1
    message = doc["errors"][0]["message"]
    for english in PYDANTIC_ENGLISH:
        assert english not in message, (english, message)
    for line, words in [(1, "school.address: bắt buộc"), (3, "school.code: Giá trị không đúng dạng"),
                        (5, "centre.url: Giá trị phải là URL bắt đầu bằng http:// hoặc https://"),
                        (6, "centre.verify_tls: Giá trị phải là đúng/sai"),
                        (7, "centre.connection.method: Giá trị phải là 'dahua-auto-register'"),
                        (7, "centre.connection.port: Giá trị phải là một số nguyên, nhưng nhận 'many'"),
                        (8, "letter.date: Giá trị phải là một ngày hợp lệ"),
                        (9, "ntp_servers.0: Giá trị phải có ít nhất 1 ký tự"),
                        (10, "colour: ")]:
        assert f"{bad}:{line}: {words}" in message, (line, words, message)
    # The same file in English keeps pydantic's wording, with the value that was refused.
    code, doc = run.json("--lang", "en", "site", "show", "--site", str(bad))
    english = doc["errors"][0]["message"]
    assert f"{bad}:7: centre.connection.port: Input should be a valid integer, got 'many'" in english


def test_an_impossible_date_names_its_line_instead_of_a_traceback(run, tmp_path: Path):
    bad = tmp_path / "site.yaml"
    bad.write_text("school:\n  name: A\n  code: MN-A\n  address: B\ncentre: {url: http://x/}\n"
                   "letter:\n  number: '1'\n  date: 2024-13-45\n", encoding="utf-8")
    code, doc = run.json("--lang", "vi", "site", "show", "--site", str(bad))
    assert code == 1
    assert doc["errors"][0]["message"].startswith(f"{bad}:8: không phải ngày có thật")


def test_profile_validation_errors_are_vietnamese_with_lang_vi(run):
    broken = Path(__file__).resolve().parents[1] / "data" / "profiles" / "broken"
    for path in sorted(broken.glob("*.yaml")):
        result = run("--lang", "vi", "profile", "validate", str(path))
        assert result.exit_code != 0, path
        for english in PYDANTIC_ENGLISH:
            assert english not in result.stdout + result.stderr, (path.name, english, result.stderr)
