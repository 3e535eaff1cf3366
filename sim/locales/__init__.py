"""Translations: the dashboard, the comparison report and the CLI's tables in six languages.

Catalogues are gettext ``.po`` files in this folder, one per locale (``fr.po``...), read
with Babel, which also formats numbers, percentages and amounts by locale. English is
the source language: a message without a translation shows in English. The strings a
catalogue must hold are those the code marks with ``_()`` (extracted with Babel,
``tests/test_translations.py``). A locale is always passed in, never set for the process:
one dashboard server serves tabs in several languages at once.
"""

import functools
import re
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = {"en": "English", "fr": "Français", "nl": "Nederlands", "es": "Español", "ca": "Català", "it": "Italiano"}
"""The languages, each named in itself (what a language selector shows)."""
FOLDER = Path(__file__).parent


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is defined (a label in a table of
    constants) and translated where it is shown (gettext's ``gettext_noop``)."""
    return message


@functools.cache
def catalogue(locale: str) -> dict[str, str]:
    """msgid -> translation of a locale's catalogue (empty for English, the source)."""
    path = FOLDER / f"{locale}.po"
    if locale == "en" or not path.exists():
        return {}
    with path.open("rb") as f:
        read = read_po(f, locale=locale)
    return {message.id: message.string for message in read if message.id and message.string}


class Translator:
    """Messages and numbers in one locale."""

    def __init__(self, locale: str):
        if locale not in LOCALES:
            raise ValueError(f"language '{locale}': one of {', '.join(LOCALES)}")
        self.locale = locale
        self.messages = catalogue(locale)

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def number(self, value: float, digits: int = 0) -> str:
        """A number with the locale's separators and ``digits`` decimals."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def rounded(self, value: float, digits: int = 3) -> str:
        """A number with the locale's separators and at most ``digits`` decimals."""
        return format_decimal(value, format="#,##0" + ("." + "#" * digits if digits else ""), locale=self.locale)

    def signed(self, value: float, digits: int = 0) -> str:
        return ("+" if value > 0 else "") + self.number(value, digits)

    def eur(self, value: float) -> str:
        return f"{self.number(value)} EUR"

    def country(self, code: str) -> str:
        """A country's name in the locale, from its Eurostat code (EL is ISO's GR)."""
        iso = {"EL": "GR"}.get(code, code)
        return Locale.parse(self.locale).territories.get(iso, code)


@functools.cache
def translator(locale: str = "en") -> Translator:
    return Translator(locale)


def best_locale(accept_language: str | None) -> str:
    """The first of the browser's (``Accept-Language``) or the environment's (``fr_BE.UTF-8``)
    languages that we have; English otherwise."""
    for part in re.split(r"[,:]", accept_language or ""):
        tag = part.split(";")[0].split(".")[0].strip().replace("-", "_")
        if not tag:
            continue
        try:
            language = Locale.parse(tag).language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LOCALES:
            return language
    return "en"
