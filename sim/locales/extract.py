"""The messages the code marks for translation (``_()``, ``N_()``), found with Babel's
extractor, and the catalogues kept in step with them (``python -m sim.locales.extract``
writes new messages into every catalogue, untranslated, and lists what each misses)."""

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from sim.locales import FOLDER, LOCALES

ROOT = FOLDER.parents[1]
SOURCES = ("sim", "dashboards")
KEYWORDS = {"_": None, "N_": None, "gettext": None}
HEADER = "# Translations of the inclusion-pathways simulator's pages, report and tables (sim/locales/extract.py)."
CREATED = datetime(2026, 11, 29, tzinfo=UTC)
"""A fixed date in the header: a catalogue changes only when its messages do."""


def messages_in_code() -> dict[str, list[str]]:
    """Each marked message and where it is used (``path:line``)."""
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for filename, line, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append(f"{folder}/{filename}:{line}")
    return found


def catalogue_path(locale: str) -> Path:
    return FOLDER / f"{locale}.po"


def update() -> dict[str, int]:
    """Add the code's new messages to every catalogue (untranslated) and drop the ones the code
    no longer uses; return how many each catalogue has left to translate."""
    used = messages_in_code()
    missing = {}
    for locale in LOCALES:
        if locale == "en":
            continue
        path = catalogue_path(locale)
        if path.exists():
            with path.open("rb") as f:
                old = read_po(f, locale=locale)
        else:
            old = Catalog(locale=locale)
        new = Catalog(locale=locale, project="inclusion-pathways", charset="utf-8", header_comment=HEADER,
                      creation_date=CREATED, revision_date=CREATED)
        for message in used:
            kept = old.get(message)
            new.add(message, kept.string if kept is not None else "")
        with path.open("wb") as f:
            write_po(f, new, width=120, no_location=True, sort_output=True)
        missing[locale] = sum(1 for message in used if not new.get(message).string)
    return missing


if __name__ == "__main__":
    for locale, count in update().items():
        print(f"{locale}: {count} messages to translate")
