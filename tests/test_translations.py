"""Translations: every string the code marks is in every catalogue, with the same placeholders
and markup, and numbers follow each locale."""

import re

import pytest

from sim.locales import LOCALES, Translator, best_locale, catalogue
from sim.locales.extract import messages_in_code

TRANSLATED = [locale for locale in LOCALES if locale != "en"]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
MARKUP = re.compile(r"</?[a-z0-9]+>|\*\*|`[^`]*`")
"""HTML tags, bold markers and code spans (commands, file names: never translated)."""


@pytest.fixture(scope="module")
def used() -> dict[str, list[str]]:
    return messages_in_code()


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_the_code_uses_is_translated(used, locale):
    messages = catalogue(locale)
    missing = [f"{message!r} ({places[0]})" for message, places in used.items() if not messages.get(message)]
    assert not missing, f"{locale}.po lacks {len(missing)} messages (run python -m sim.locales.extract): {missing[:5]}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_placeholders_and_markup(used, locale):
    messages = catalogue(locale)
    for message in used:
        translated = messages[message]
        assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(message)), (locale, message)
        assert sorted(MARKUP.findall(translated)) == sorted(MARKUP.findall(message)), (locale, message)
        # A message appended to another (" (partial: ...)") keeps the space that separates them.
        assert translated[:1] == " " or message[:1] != " ", (locale, message)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogues_hold_no_message_the_code_no_longer_uses(used, locale):
    stale = sorted(set(catalogue(locale)) - set(used))
    assert not stale, f"{locale}.po: {stale[:5]} (run python -m sim.locales.extract)"


def test_numbers_follow_the_locale():
    assert Translator("en").number(12345.678, 1) == "12,345.7"
    assert Translator("fr").number(12345.678, 1) == "12\u202f345,7"  # narrow no-break space, decimal comma
    assert Translator("es").number(12345.678, 1) == "12.345,7"
    assert Translator("it").eur(1234567) == "1.234.567 EUR"
    from sim.experiments.report import _number  # the report's figures are the translator's
    assert _number(1234567.0, "eur", sign=True, tr=Translator("it")) == "+1.234.567 EUR"
    assert _number(53.4, "pct", tr=Translator("nl")) == "53,4 %"
    assert Translator("ca").rounded(0.5, 3) == "0,5"


def test_the_browsers_language_picks_the_catalogue():
    assert best_locale("fr-BE,fr;q=0.9,en;q=0.8") == "fr"
    assert best_locale("de-DE,es;q=0.5") == "es"  # German is not offered: the next one is
    assert best_locale("ca_ES.UTF-8") == "ca"
    assert best_locale("pt-PT") == best_locale(None) == best_locale("") == "en"
    with pytest.raises(ValueError, match="language 'de': one of en, fr, nl, es, ca, it"):
        Translator("de")


def test_the_report_speaks_the_language_asked(tmp_path):
    from sim.experiments import execute
    from sim.experiments.api import Settings, plan_compare
    from sim.experiments.report import comparison_html, open_comparison
    from sim.scenario import load

    plan = plan_compare({name: load(name) for name in ("liege/baseline", "liege/one_stop_shop")},
                        Settings(replications=2, months=6, migrants=1500, db=f"sqlite:///{tmp_path}/r.db"))
    execute.run(plan.engine, plan.experiment.id, plan.jobs)
    view = open_comparison(plan.engine, plan.experiment.name)
    english, french = comparison_html(view), comparison_html(view, Translator("fr"))
    assert '<html lang="en">' in english and "<h2>In one sentence</h2>" in english
    assert '<html lang="fr">' in french and "<h2>En une phrase</h2>" in french
    for heading in re.findall(r"<h2>([^<]+)</h2>", english):
        assert f"<h2>{heading}</h2>" not in french, heading
    # Figures with a decimal comma, never a decimal point, in the French sentence.
    sentence = re.search(r"<li>(liege/one_stop_shop : .+?)</li>", french).group(1)
    assert "intervalle à 95 %" in sentence and not re.search(r"\d\.\d", sentence)
