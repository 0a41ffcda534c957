"""The one translation function for every user-facing string.

Message ids are English; catalogues live in ``kitchencam/locale/<lang>/LC_MESSAGES/kitchencam.mo``
(built from the ``.po`` next to them by ``make catalogues``; the tests check they are in step).
The language comes from ``--lang``, then ``KITCHENCAM_LANG``, then the locale, else English.
"""

from __future__ import annotations

import gettext
import locale
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LANGUAGES = ("vi", "en")
DOMAIN = "kitchencam"
LOCALE_DIR = Path(__file__).parent / "locale"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_current = "en"
#: A language for this thread or task only (``speaking``), over the process's ``_current``.
_speaking: ContextVar[tuple[str, gettext.NullTranslations] | None] = ContextVar("kitchencam_speaking", default=None)


def _from_locale() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    try:
        name = locale.getlocale()[0] or ""
    except ValueError:
        name = ""
    # Windows reports "Vietnamese_Vietnam"; POSIX "vi_VN".
    return "vi" if name.lower().startswith(("vi", "vietnamese")) else "en"


def pick_language(argv: Sequence[str] | None = None) -> str:
    """``--lang X`` / ``--lang=X`` in argv, then ``KITCHENCAM_LANG``, then the locale."""
    args = list(argv or [])
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return normalise(args[i + 1])
        if arg.startswith("--lang="):
            return normalise(arg.split("=", 1)[1])
    env = os.environ.get("KITCHENCAM_LANG")
    if env:
        return normalise(env)
    return _from_locale()


def normalise(lang: str) -> str:
    lang = lang.strip().lower().replace("-", "_")
    return "vi" if lang.startswith("vi") else "en"


def set_language(lang: str) -> None:
    global _translation, _current
    _current = normalise(lang)
    _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[_current], fallback=True)


def current_language() -> str:
    override = _speaking.get()
    return override[0] if override else _current


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Messages in ``lang`` inside the block, for this thread only (the UI's language elsewhere):
    the audit's words kept in both languages while cameras are checked in parallel."""
    token = _speaking.set((normalise(lang), translator(lang)))
    try:
        yield
    finally:
        _speaking.reset(token)


def translator(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang`` on its own, for text whose language is not the UI's (the report)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[normalise(lang)], fallback=True)


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    override = _speaking.get()
    return (override[1] if override else _translation).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    override = _speaking.get()
    return (override[1] if override else _translation).ngettext(singular, plural, n)


set_language(pick_language([]))
