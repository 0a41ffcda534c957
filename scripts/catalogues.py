"""Keep the gettext catalogues in step with the source.

    python scripts/catalogues.py extract   # add new msgids from kitchencam/ to every .po
    python scripts/catalogues.py compile   # write the .mo files from the .po files
    python scripts/catalogues.py check     # exit 1 if a msgid is untranslated (vi) or a .mo is stale

English is the source language: its catalogue maps each msgid to itself, so the .mo exists for
`--lang en` and the tests can tell a missing translation from an English one.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kitchencam"
LOCALE = PACKAGE / "locale"
LANGS = ("vi", "en")
SKIP_DIRS = ("onvif/wsdl", "locale")


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "kitchencam.po"


def source_messages() -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    method_map = [("**.py", "python")]
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map, keywords={"_": None, "ngettext": (1, 2)}
    ):
        if any(part in filename for part in SKIP_DIRS):
            continue
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, []).append((f"kitchencam/{filename}", lineno))
    for key, location in command_docstrings():
        found.setdefault(key, []).append(location)
    return found


def command_docstrings() -> list[tuple[str, tuple[str, int]]]:
    """Each command's help, its function's docstring (Typer's help text): a msgid too, translated
    when the command is built (kitchencam/cli/clicktext.py)."""
    import inspect

    import typer

    from kitchencam.cli import app

    found = []
    pending = [typer.main.get_command(app)]
    while pending:
        command = pending.pop(0)
        subcommands = getattr(command, "commands", {})
        pending.extend(subcommands.values())
        callback = getattr(command, "callback", None)
        if subcommands or callback is None or not callback.__doc__:
            continue  # a group's help is a _() string already
        code = callback.__code__
        path = Path(code.co_filename).resolve().relative_to(ROOT).as_posix()
        found.append((inspect.getdoc(callback) or "", (path, code.co_firstlineno)))
    return found


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale=lang)
    return Catalog(locale=lang, domain="kitchencam", project="kitchencam")


def save(lang: str, catalog: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, sort_output=True, omit_header=False, include_lineno=False)
    path.write_bytes(buf.getvalue())


def extract() -> None:
    messages = source_messages()
    for lang in LANGS:
        catalog = load(lang)
        for msgid, locations in messages.items():
            existing = catalog.get(msgid)
            if existing is None:
                catalog.add(msgid, msgid if lang == "en" else "", locations=locations)
            else:
                existing.locations = locations
        for message in list(catalog):
            if message.id and message.id not in messages:
                catalog.delete(message.id)
        save(lang, catalog)
    print(f"{len(messages)} messages")


def compile_all() -> None:
    for lang in LANGS:
        catalog = load(lang)
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        (po_path(lang).with_suffix(".mo")).write_bytes(buf.getvalue())


def expected_messages(catalog: Catalog) -> dict[object, object]:
    """What a .mo compiled from this catalogue must hold: translated, non-fuzzy messages.

    The header entry (msgid "") is left out: it names the Babel version that wrote the file
    ("Generated-By"), so comparing bytes called a catalogue stale whenever Babel was updated.
    """
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def compiled_messages(mo: Path) -> dict[object, object]:
    with mo.open("rb") as fh:
        compiled = read_mo(fh)
    return {m.id: m.string for m in compiled if m.id}


def check() -> int:
    messages = source_messages()
    problems = []
    for lang in LANGS:
        catalog = load(lang)
        for msgid in messages:
            entry = catalog.get(msgid)
            if entry is None or not entry.string:
                problems.append(f"{lang}: untranslated: {msgid!r} ({messages[msgid][0][0]})")
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or compiled_messages(mo) != expected_messages(catalog):
            problems.append(f"{lang}: {mo.relative_to(ROOT)} is stale: run `make catalogues`")
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    verb = sys.argv[1] if len(sys.argv) > 1 else "check"
    if verb == "extract":
        extract()
    elif verb == "compile":
        compile_all()
    else:
        sys.exit(check())
