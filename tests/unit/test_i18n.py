"""Every user-facing string goes through one function, and both catalogues cover it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kitchencam.i18n import _, pick_language, set_language

ROOT = Path(__file__).resolve().parents[2]


def test_catalogues_complete_and_compiled():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "catalogues.py"), "check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_language_choice(monkeypatch):
    monkeypatch.delenv("KITCHENCAM_LANG", raising=False)
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert pick_language([]) == "vi"
    monkeypatch.setenv("KITCHENCAM_LANG", "en")
    assert pick_language([]) == "en"
    assert pick_language(["--lang", "vi"]) == "vi"
    assert pick_language(["site", "--lang=vi-VN"]) == "vi"


def test_translation_switches():
    set_language("vi")
    assert _("Address") == "Địa chỉ"
    set_language("en")
    assert _("Address") == "Address"


def test_speaking_is_for_this_thread_only():
    import threading

    from kitchencam.i18n import current_language, speaking

    set_language("en")
    seen: dict[str, str] = {}

    def other_thread() -> None:
        seen["other"] = _("Address")

    with speaking("vi"):
        assert _("Address") == "Địa chỉ"
        assert current_language() == "vi"
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert seen["other"] == "Address"  # another thread keeps the process's language
    assert _("Address") == "Address"
    assert current_language() == "en"
