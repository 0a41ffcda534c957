"""Typer's own words (usage line, help headings, usage errors) in the UI language (issue 17).

Usage errors run in-process (``--lang vi`` before the command is set by the top-level callback
before the command's options are parsed); help texts are translated when the command modules are
imported, so the help and the language from the environment run in a fresh process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from kitchencam.cli import clicktext
from kitchencam.i18n import translator

ENGLISH = ("Usage:", "Error:", "for help", "No such", "Missing", "Invalid value", "requires an argument",
           "does not take", "Did you mean", "Input should")


@pytest.mark.parametrize(("argv", "vi", "en"), [
    (("check", "--x"), "Lỗi: Không có tùy chọn: --x", "Error: No such option: --x"),
    (("rollback",), "Lỗi: Thiếu đối số 'TARGET'.", "Error: Missing argument 'TARGET'."),
    (("chek",), "Lỗi: Không có lệnh 'chek'. Có phải ý bạn là 'check'?",
     "Error: No such command 'chek'. Did you mean 'check'?"),
    (("bandwidth", "--duration", "abc"), "Lỗi: Giá trị không hợp lệ cho '--duration': Giá trị phải là một số",
     "Error: Invalid value for '--duration': Input should be a valid number"),
    (("bandwidth", "--streams", "9"), "'--streams': Giá trị phải nhỏ hơn hoặc bằng 4",
     "'--streams': Input should be less than or equal to 4"),
    (("bandwidth", "--duration"), "Lỗi: Tùy chọn '--duration' cần một giá trị đi kèm.",
     "Error: Option '--duration' requires an argument."),
    (("check", "--all=1"), "Lỗi: Tùy chọn '--all' không nhận giá trị.",
     "Error: Option '--all' does not take a value."),
    (("check", "--all", "--profile"), "Lỗi: Tùy chọn '--profile' cần một giá trị đi kèm.",
     "Error: Option '--profile' requires an argument."),
])
def test_usage_errors_speak_the_ui_language(run, argv, vi, en):
    result = run("--lang", "vi", *argv)
    assert result.exit_code == 2, result.output
    assert vi in result.stderr, result.stderr
    assert not [word for word in ENGLISH if word in result.stderr], result.stderr
    english = run("--lang", "en", *argv)
    assert english.exit_code == 2
    assert en in english.stderr, english.stderr


def test_usage_error_layout_is_clicks_in_both_languages(run):
    assert run("--lang", "vi", "check", "--x").stderr == (
        "Cách dùng: kitchencam check [OPTIONS] [TARGET...]...\n"
        "Xem hướng dẫn: 'kitchencam check -h'.\n\n"
        "Lỗi: Không có tùy chọn: --x\n")
    assert run("--lang", "en", "check", "--x").stderr == (
        "Usage: kitchencam check [OPTIONS] [TARGET...]...\n"
        "Try 'kitchencam check -h' for help.\n\n"
        "Error: No such option: --x\n")


def test_the_json_envelope_of_a_usage_error_is_localised(run):
    result = run("--lang", "vi", "discover", "--timeout", "soon", "--json")
    assert result.exit_code == 2
    [error] = json.loads(result.stdout)["errors"]
    assert error["message"] == "Giá trị không hợp lệ cho '--timeout': Giá trị phải là một số, nhưng nhận 'soon'"
    assert error["hint"] == "Xem: kitchencam discover --help"


def _kitchencam(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("KITCHENCAM_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    environ.update(env, COLUMNS="100")
    return subprocess.run([sys.executable, "-m", "kitchencam", *args], env=environ, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "en_US.UTF-8"}, ("--lang", "vi")),
    ({"KITCHENCAM_LANG": "vi"}, ()),
    ({"LANG": "vi_VN.UTF-8"}, ()),
])
def test_help_headings_in_vietnamese(env, lang):
    args = (*lang, "site", "init", "--help")
    vi = _kitchencam(*args, **env)
    assert vi.returncode == 0, vi.stderr
    for words in ("Cách dùng: kitchencam site init", "Tùy chọn:", "[mặc định: Thanh Trì, Hà Nội]", "[bắt buộc]",
                  "Hiện hướng dẫn này rồi thoát."):
        assert words in vi.stdout
    for words in ("Usage:", "Options:", "default:", "required]", "Show this message"):
        assert words not in vi.stdout
    group = _kitchencam(*args[:-2], "--help", **env)
    assert "Lệnh:" in group.stdout
    assert "Commands:" not in group.stdout
    arguments = _kitchencam(*args[:-3], "check", "--help", **env)
    assert "Đối số:" in arguments.stdout
    assert "Arguments:" not in arguments.stdout


def test_help_headings_stay_english_with_lang_en():
    en = _kitchencam("--lang", "en", "site", "init", "--help", LANG="vi_VN.UTF-8")
    for words in ("Usage: kitchencam site init", "Options:", "[default: Thanh Trì, Hà Nội]", "[required]",
                  "Show this message and exit."):
        assert words in en.stdout


def test_an_error_before_the_command_speaks_the_environment_language():
    result = _kitchencam("--bogus", KITCHENCAM_LANG="vi")
    assert result.returncode == 2
    assert result.stderr.endswith("Lỗi: Không có tùy chọn: --bogus\n"), result.stderr


def test_every_word_typer_asks_gettext_for_has_vietnamese():
    vi = translator("vi")
    en_words = clicktext.typer_words()
    assert [word for word in en_words if vi.gettext(word) == word] == []


_EVERY_HELP = """
import json, typer
from typer.testing import CliRunner
from kitchencam.cli import app
runner, pages, pending = CliRunner(), {}, [((), typer.main.get_command(app))]
while pending:
    path, command = pending.pop(0)
    pages[" ".join(path)] = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"}).stdout
    pending += [((*path, name), sub) for name, sub in getattr(command, "commands", {}).items()]
print(json.dumps(pages))
"""
#: English words no Vietnamese help line has ("an" and "a" are Vietnamese words too).
_ENGLISH_WORD = re.compile(r"\b(the|and|of|with|or|is|for|this|when|each|every)\b")


def test_no_english_left_in_any_vietnamese_help():
    """Every command's own help (its docstring), its options' help and Typer's words, in Vietnamese."""
    environ = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    environ["KITCHENCAM_LANG"] = "vi"
    done = subprocess.run([sys.executable, "-c", _EVERY_HELP], env=environ, capture_output=True, text=True,
                          timeout=120, check=True)
    pages = json.loads(done.stdout)
    assert len(pages) >= 20  # kitchencam, its commands and groups
    english = {command: [line for line in page.splitlines() if _ENGLISH_WORD.search(line)]
               for command, page in pages.items()}
    assert {command: lines for command, lines in english.items() if lines} == {}
    assert all(page.startswith("Cách dùng: kitchencam") for page in pages.values())
