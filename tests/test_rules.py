"""The rules library: dated, sourced rule sets; a run follows the rules in force month by month."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import rules
from sim.model import CityModel, in_month, warm_up_key
from sim.scenario import ScenarioError, content_hash, load, validate, with_overrides

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("code", rules.available())
def test_every_rule_set_loads_and_sets_only_scenario_fields_with_valid_values(code):
    rule_set = rules.load(code)
    assert rule_set.rules and all(r.source and r.summary for r in rule_set.rules)
    base = load("eu27/baseline")
    for rule in rule_set.rules:
        if rule.parameter is not None:  # refused with a one-line error if the field or value is wrong
            with_overrides(base, {rule.parameter: rule.value})


def test_shipped_rule_sets_cover_the_presets_countries():
    assert {"BE", "FR", "ES", "IT", "EU", "CH-GE"} <= set(rules.available())


def test_spain_switches_arraigo_in_may_2025():
    # Real Decreto 1155/2024, in force 20 May 2025: arraigo asks 2 years' presence, not 3.
    assert rules.settings("ES", dt.date(2025, 5, 19))["policies.regularisation.arraigo_presence_months"] == 36
    assert rules.settings("ES", dt.date(2025, 5, 20))["policies.regularisation.arraigo_presence_months"] == 24


def _month_by_month(scenario: str, law: dict, months: int, read) -> tuple[CityModel, list]:
    """Run ``scenario`` under ``law`` for ``months``, reading ``read(params)`` after each month."""
    model = CityModel(with_overrides(load(scenario), law), rng=1, migrants=1000)
    seen = []
    for _ in range(months):
        model.step()
        seen.append(read(model.params))
    return model, seen


def test_a_run_crossing_20_may_2025_in_spain_switches_that_month():
    model, presence = _month_by_month("barcelona/baseline", {"law.rules": "ES", "law.start": "2025-01"}, 7,
                                      lambda p: p.policies.regularisation.arraigo_presence_months)
    assert presence == [36, 36, 36, 36, 24, 24, 24]  # January-April, then May 2025 on
    assert model.calendar_changes == [{"month": 4, "calendar_month": "2025-05",
                                       "changes": {"policies.regularisation.arraigo_presence_months": 24.0}}]
    assert model.results()["provenance"]["calendar_changes"] == model.calendar_changes
    # The rules, not the scenario's own values, hold: arraigo is Spain's route in 2025.
    assert model.params.policies.regularisation.regime == "arraigo"


def test_the_eu_ceiling_caps_a_longer_national_wait_from_june_2026(tmp_path, monkeypatch):
    # A member state allowing asylum seekers to work after 9 months (the 2013 directive's
    # longest) must allow it after 6 from 12 June 2026 (Directive (EU) 2024/1346 art. 17):
    # an asylum seeker may work after 9 months in 2025, after 6 in 2027.
    (tmp_path / "EU.toml").write_text((ROOT / "rules" / "EU.toml").read_text())
    (tmp_path / "BE.toml").write_text(
        'country = "BE"\nname = "Test"\nchecked = "2026-11-29"\n[[rules]]\nid = "asylum_work_access"\n'
        'topic = "asylum_work"\nparameter = "asylum.work_waiting_months"\nvalue = 9.0\n'
        'in_force_from = "2014-01-01"\nsource = "test"\nsummary = "test"\nverified = false\n')
    monkeypatch.setattr(rules, "RULES_DIR", tmp_path)
    rules.load.cache_clear()
    try:
        assert rules.settings("BE", dt.date(2025, 6, 30))["asylum.work_waiting_months"] == 9
        assert rules.settings("BE", dt.date(2027, 1, 31))["asylum.work_waiting_months"] == 6
    finally:
        rules.load.cache_clear()


def test_overlapping_versions_or_competing_rules_are_refused(tmp_path, monkeypatch):
    rule = ('[[rules]]\nid = "{id}"\ntopic = "asylum_work"\nparameter = "asylum.work_waiting_months"\n'
            'value = {value}\nin_force_from = "{start}"\nsource = "s"\nsummary = "s"\nverified = false\n')
    head = 'country = "BE"\nname = "Test"\nchecked = "2026-11-29"\n'
    cases = {
        "overlap": rule.format(id="a", value=6.0, start="2014-01-01") + rule.format(id="a", value=4.0, start="2015-01-01"),
        "compete": rule.format(id="a", value=6.0, start="2014-01-01") + rule.format(id="b", value=4.0, start="2015-01-01"),
    }
    monkeypatch.setattr(rules, "RULES_DIR", tmp_path)
    for name, body in cases.items():
        (tmp_path / "BE.toml").write_text(head + body)
        rules.load.cache_clear()
        with pytest.raises(rules.RulesError, match="overlap|override"):
            rules.load("BE")
    rules.load.cache_clear()


def test_a_one_off_window_opens_in_the_month_its_rule_takes_effect():
    # Geneva's Opération Papyrus: 21 February 2017 to 31 December 2018.
    values = rules.model_settings("CH-GE", "2016-01", 13)
    assert values["policies.regularisation.regime"] == "one_off"
    assert values["policies.regularisation.one_off_start_month"] == 13  # February 2017
    assert values["policies.regularisation.one_off_window_months"] == 23  # to December 2018
    assert rules.model_settings("CH-GE", "2016-01", 36)["policies.regularisation.regime"] == "none"
    # Italy's emersione, 1 June to 15 August 2020, in a run from July: it opened a month
    # before month 0 and closes in August, month 1 (three months: June, July, August).
    values = rules.model_settings("IT", "2020-07", 0)
    assert values["policies.regularisation.one_off_start_month"] == -1
    assert values["policies.regularisation.one_off_window_months"] == 3


def test_bad_law_sections_get_one_line_errors():
    base = load("barcelona/baseline")
    for overrides, named in (({"law.rules": "XX", "law.start": "2024-01"}, "allowed: BE"),
                             ({"law.rules": "ES", "law.start": None}, "law.rules needs law.start"),
                             ({"law.rules": "ES", "law.start": "2024-13"}, "law.start")):
        with pytest.raises(ScenarioError, match=named) as error:
            with_overrides(base, overrides)
        assert "\n" not in str(error.value)


def test_the_rules_command_prints_the_rules_in_force_with_sources():
    result = subprocess.run([sys.executable, "-m", "sim", "rules", "ES", "--date", "2025-06"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "rules in force on 2025-06-30" in result.stdout
    assert "arraigo_presence" in result.stdout and "1155/2024" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "sim", "rules", "XX"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "allowed: BE" in bad.stderr
    # Before any rule of the set: none, and why.
    early = subprocess.run([sys.executable, "-m", "sim", "rules", "ES", "--date", "1900-01"],
                           capture_output=True, text=True, timeout=120)
    first = min(rule.in_force_from for rule in rules.load("ES").rules)
    assert early.returncode == 0 and f"the earliest rule encoded here came into force on {first}" in early.stdout


def test_docs_rules_md_is_generated_from_the_rule_sets():
    assert (ROOT / "docs" / "rules.md").read_text() == rules.markdown() + "\n"


def test_a_field_returns_to_the_scenarios_value_when_its_rule_expires():
    # Italy's 2020 regularisation window (1 June to 15 August 2020) replaces the Prato
    # scenario's regime while open, August included; from September the scenario's own
    # regime and approval come back.
    model, regimes = _month_by_month("prato/regularisation_through_work", {"law.rules": "IT", "law.start": "2020-01"},
                                     10, lambda p: p.policies.regularisation.regime)
    assert regimes == ["prato"] * 5 + ["one_off"] * 3 + ["prato"] * 2
    own = load("prato/regularisation_through_work").policies.regularisation.approval_probability
    assert model.params.policies.regularisation.approval_probability == own


def test_a_timeline_sets_its_inputs_from_their_calendar_month():
    # Yearly inputs of a replay: newcomers double from January 2015; labour demand falls in
    # 2016 for the migrants and for the nationals, who share the labour market.
    timeline = [{"month": "2015-01", "settings": {"inflow.newcomers_per_month": 2 * 55.0}},
                {"month": "2016-01", "settings": {"labour_market.openings_scale": 0.5}}]
    model, seen = _month_by_month("liege/baseline", {"inflow.newcomers_per_month": 55.0, "law.rules": None, "law.start": "2014-11",
                                                      "timeline": timeline}, 15,
                                  lambda p: (p.inflow.newcomers_per_month, p.labour_market.openings_scale))
    scale = load("liege/baseline").labour_market.openings_scale
    assert seen == [(55.0, scale)] * 2 + [(110.0, scale)] * 12 + [(110.0, 0.5)]
    assert [change["calendar_month"] for change in model.calendar_changes] == ["2015-01", "2016-01"]
    assert model.nationals.params.labour_market.openings_scale == 0.5
    assert model.nationals.params.inflow.newcomers_per_month != 110.0  # the nationals' newcomers are their own


def test_nationals_share_only_the_timeline_s_labour_demand():
    # The nationals' labour market differs from the migrants' (no discrimination, fewer
    # temporary contracts): a timeline step setting those fields for the migrants leaves
    # the nationals' own values; the openings scale, the economy's demand, they share.
    base = load("liege/baseline")
    step = {"month": "2024-03", "settings": {"labour_market.discrimination_logit_penalty": 0.9,
                                             "labour_market.openings_scale": 0.7}}
    model = CityModel(with_overrides(base, {"law.rules": None, "timeline": [step]}), rng=1, migrants=1000)
    model.run(4)
    nationals = model.nationals.params.labour_market
    assert model.params.labour_market.discrimination_logit_penalty == 0.9
    assert nationals.discrimination_logit_penalty == 0.0 and nationals.openings_scale == 0.7


def test_bad_timelines_get_one_line_errors_naming_the_step():
    base = load("liege/baseline")
    step = {"month": "2015-01", "settings": {"inflow.newcomers_per_month": 10.0}}
    for overrides, named in (({"law.rules": None, "law.start": None, "timeline": [step]}, "needs law.start"),
                             ({"law.start": "2014-01", "timeline": [{**step, "settings": {"inflow.nobody": 1.0}}]},
                              r"timeline\[0\].settings 'inflow.nobody': unknown field 'nobody' \(allowed: newcomers_per_month"),
                             ({"law.start": "2014-01", "timeline": [{**step, "settings": {"asylum.recognition_rate": 1.5}}]},
                              r"timeline\[0\] \(2015-01\): asylum.recognition_rate"),
                             ({"law.start": "2014-01", "timeline": [step, {**step, "month": "2014-06"}]}, "calendar order"),
                             ({"law.start": "2014-01", "timeline": [{**step, "settings": {"policies.mentoring.enabled": True}}]},
                              r"switched on or off for the whole run, in \[policies.mentoring\]")):
        with pytest.raises(ScenarioError, match=named) as error:
            with_overrides(base, overrides)
        assert "\n" not in str(error.value)


def test_a_national_route_s_settings_are_part_of_the_warm_up():
    # Spain's arraigo runs in the warm-up (it is the law): two Barcelona scenarios that
    # differ in how often the eligible apply do not share a warm-up; in Liège, where no
    # route is in force, the same difference is a lever's and they do.
    for city, shared in (("barcelona", False), ("liege", True)):
        base = load(f"{city}/baseline")
        other = with_overrides(base, {"policies.regularisation.application_rate_per_month": 0.5})
        assert (warm_up_key(in_month(base, -1)) == warm_up_key(in_month(other, -1))) == shared, city


def test_italy_s_2020_window_files_in_the_window_and_decides_after_it_closes():
    # D.L. 34/2020 art. 103: applications from 1 June to 15 August 2020, decided over the
    # following years (rules/IT.toml). The rules' one-off regime lapses with the window;
    # the authority goes on deciding what was filed in it.
    model = CityModel(with_overrides(load("prato/baseline"), {"law.start": "2020-04"}), rng=2, migrants=3000)
    applications = []
    for _ in range(12):
        model.step()
        applications.append(model.regularisation_applications)
    filed = np.diff([0, *applications])
    assert filed[2:5].sum() > 0 and filed[:2].sum() == 0 and filed[5:].sum() == 0  # June-August only
    assert model.params.policies.regularisation.regime == "none"  # the window has closed
    assert model.regularisations > 0


def test_italy_s_2020_applications_are_decided_at_the_window_s_approval_rate():
    # rules/IT.toml regularisation_2020_approval: 68 % of the 2020 applications decided were
    # approved, a rule in force only during the window; the applications are decided for
    # years after it, and must keep that rate, not take the later route's.
    from sim.policies.regularisation import approval_when_filed

    model = CityModel(with_overrides(load("prato/baseline"), {"law.start": "2020-04"}), rng=2, migrants=3000)
    model.run(12)  # to March 2021: the window has closed
    assert model.params.policies.regularisation.approval_probability != 0.68
    filed = np.array([2, 3, 4, 9])  # June, July, August 2020; January 2021
    chance = approval_when_filed(model, filed)
    assert list(chance[:3]) == [0.68] * 3
    assert chance[3] == model.params.policies.regularisation.approval_probability


def test_provenance_keeps_the_reform_so_that_the_run_can_be_replayed():
    # The scenario as given, not as it stood in the last month: its assumed reform and its
    # rules, which re-validated give the same month 0.
    model = CityModel("liege/regularisation_through_work", rng=1, migrants=1000)
    model.run(2)
    stored = validate(model.results()["provenance"]["scenario"])
    assert stored.law.reformed == {"policies.regularisation.regime": "prato"}
    assert in_month(stored, 0).policies.regularisation.regime == "prato"
    assert content_hash(stored) == model.results()["provenance"]["scenario_sha256"]


def test_a_sweep_of_a_field_the_rules_set_is_refused_in_one_line(tmp_path):
    # Spain's rules set asylum seekers' wait: a sweep of it on Barcelona would give the
    # rules' 6 months at every point. Without rules (the EU-27 preset) it is a parameter.
    done = subprocess.run([sys.executable, "-m", "sim", "sweep", "barcelona/baseline", "--param",
                           "asylum.work_waiting_months=1:12:3", "--reps", "1", "--months", "2", "--migrants", "500",
                           "--db", f"sqlite:///{tmp_path / 'r.db'}"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "asylum.work_waiting_months: set by the national rules ES" in done.stderr
