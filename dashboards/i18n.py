"""The tab's language: the browser's at first (``Accept-Language``, or ``?lang=`` in the
address), then the selector's. Per tab, like every page state (a ``solara.reactive`` lives
in the tab's own kernel), never for the whole server, which serves every tab."""

from urllib.parse import parse_qs

import solara
import solara.lab

from sim.locales import LOCALES, Translator, best_locale, translator

locale = solara.reactive("en")
settled = solara.reactive(False)
"""Whether this tab's language has been taken from its browser yet."""


def _(message: str) -> str:
    """``message`` in the tab's language (read inside a component, it redraws on a change)."""
    return translator(locale.value).gettext(message)


def here() -> Translator:
    """The tab's translator, for numbers and amounts in its locale."""
    return translator(locale.value)


@solara.component
def LanguageSelect():
    """The language selector of the app bar; the first time, the browser's language."""
    router = solara.use_router()

    def from_browser() -> None:
        if settled.value:
            return
        asked = parse_qs((router.search or "").lstrip("?")).get("lang", [None])[-1]
        headers = solara.lab.headers.value or {}
        accepted = ",".join(headers.get("accept-language", []))
        locale.set(asked if asked in LOCALES else best_locale(accepted))
        settled.set(True)

    solara.use_effect(from_browser, [])
    by_name = {name: code for code, name in LOCALES.items()}
    with solara.Column(classes=["language-select"], style={"min-width": "9em"}):
        solara.Select(_("Language"), value=LOCALES[locale.value], values=list(by_name), dense=True,
                      on_value=lambda name: locale.set(by_name[name]))
