"""A new city from a city office's figures: the vendored country defaults, the files written,
the fit from the country's posterior, and nothing half-written when a step fails."""

import csv
import dataclasses
import subprocess
import sys
import tomllib

import pytest

from sim.calibration import city_files, countries, new_city
from sim.calibration.city_files import CityError, CityFacts
from sim.calibration.targets import CALIBRATION_DIR, free_parameters
from sim.model import CityModel
from sim.scenario import load

# A fit small enough for the suite (about 20 s): it shows the steps work, not that the fit
# is good; the full-budget fit's figures are in the closing note and docs/user-guide.md.
TINY = new_city.FitBudget(population=10, simulations=20, generations=1, migrants=400, months=18, replications=2)
EU27 = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU",
        "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}


def test_every_member_state_has_its_defaults():
    table = countries.countries()
    assert set(table) == EU27
    for country in table.values():
        shares = country.reason_shares()
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
        assert all(0 <= share <= 1 for share in shares.values())
        assert 300_000 < country.population < 100_000_000
        # Employment is published for every member state (unemployment of non-EU citizens is not).
        assert 40 < country.rates_percent["employment_rate_non_eu"] < 90
        assert 60 < country.rates_percent["employment_rate_nationals"] < 90


def test_the_vendored_figures_agree_with_the_presets_own():
    """The presets' C-.. and P-.. targets were typed from Eurostat separately: the vendored table
    must give the same figures for their four countries."""
    with (CALIBRATION_DIR / "targets.csv").open(newline="") as handle:
        rows = {row["id"]: row["value"] for row in csv.DictReader(handle)}
    for code, city in city_files.TEMPLATE_CITY.items():
        country = countries.country(code)
        non_eu, nationals = (float(v) for v in rows[f"C-{code}"].split("/"))
        assert country.rates_percent["employment_rate_non_eu"] == non_eu
        assert country.rates_percent["employment_rate_nationals"] == nationals
        permits = [int(v) for v in rows[f"P-{code}"].split("/")]
        assert [country.first_permits[r] for r in ("work", "family", "study", "other")] == permits
        preset = load(f"{city}/baseline").inflow.reason_shares
        for reason, share in country.reason_shares().items():
            assert getattr(preset, reason) == pytest.approx(share, abs=1e-3)


def test_newcomers_follow_the_country_rate_per_inhabitant():
    # Liège's preset: 197,217 inhabitants at Belgium's 0.64 % a year gives 105 a month (its own
    # rounding of the population to 11.7 million); the vendored 11,754,000 gives 104.
    assert countries.country("BE").newcomers_per_month(197_217) == pytest.approx(105.0, rel=0.02)


def test_the_city_unemployment_replaces_the_nationals_and_keeps_the_gap():
    be = countries.country("BE")
    plain = {t.id: t.published for t in be.targets()}
    local = {t.id: t.published for t in be.targets(local_unemployment_percent=9.2)}
    assert plain["C-BE-N-U"] == pytest.approx(0.046) and local["C-BE-N-U"] == pytest.approx(0.092)
    assert local["C-BE-U"] / local["C-BE-N-U"] == pytest.approx(plain["C-BE-U"] / plain["C-BE-N-U"], rel=0.01)
    assert local["C-BE"] == plain["C-BE"]  # employment stays the country's
    # A new city fits its country's employment; unemployment is compared, with the reason
    # (the preset cities, with a longer fit, fit it too).
    fitted = {t.id: t.fit for t in be.targets()}
    assert fitted == {"C-BE": True, "C-BE-N": True, "C-BE-W": True, "C-BE-U": False, "C-BE-N-U": False}
    assert all(t.why_missed for t in be.targets() if not t.fit)


def test_a_figure_eurostat_does_not_publish_is_reported_not_fitted():
    croatia = {t.id: t for t in countries.country("HR").targets()}
    assert croatia["C-HR-U"].published is None and not croatia["C-HR-U"].fit and croatia["C-HR-U"].not_reachable
    assert croatia["C-HR"].fit and croatia["C-HR-W"].fit
    assert not countries.country("SK").targets()[2].fit  # Slovak non-EU women: not published


@pytest.mark.parametrize(("change", "field"), [
    ({"country": "XX"}, "--country"),
    ({"country": "UK"}, "--country"),
    ({"inhabitants": 300}, "inhabitants"),
    ({"non_eu_residents": 300_000}, "non-EU residents"),
    ({"non_eu_residents": 0}, "non-EU residents"),
    ({"unemployment_rate_percent": 85.0}, "unemployment rate"),
    ({"sse_enterprises": 5000}, "SSE enterprises"),
    ({"existing": ("fountains",)}, "existing programmes"),
    ({"existing": ("regularisation_through_work",)}, "existing programmes"),  # a reform of the law, not a programme
    ({"origins": (("FR", 10.0),)}, "origins"),  # an EU country: its citizens are not non-EU residents
    ({"origins": (("MA", 70.0), ("TR", 40.0))}, "origins"),
    ({"origins": (("EU", 10.0),)}, "origins"),
    ({"language": "klingon"}, "language"),
    ({"name": "Gent!"}, "name"),
    ({"name": "liege"}, "name"),  # a preset's folder is never overwritten
])
def test_an_implausible_figure_is_named_with_its_range_and_nothing_is_written(tmp_path, change, field):
    from sim.scenario import loader

    folder = loader.SCENARIO_DIR if change.get("name") == "liege" else tmp_path
    facts = CityFacts(**{**dict(name="gent", country="BE", inhabitants=265_000, non_eu_residents=30_000), **change})
    before = sorted(folder.iterdir())
    with pytest.raises(CityError) as error:
        new_city.create(facts, TINY, "test", folder)
    message = str(error.value)
    assert message.startswith(field) and "\n" not in message
    assert any(word in message for word in ("allowed", "plausible", "exists already", "such as"))
    assert sorted(folder.iterdir()) == before


@pytest.fixture(scope="module")
def gent(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenarios")
    stages = []
    made = new_city.create(
        CityFacts("gent", "BE", 265_000, 30_000, sse_enterprises=4, existing=("mentoring",)),
        dataclasses.replace(TINY, db=f"sqlite:///{tmp_path_factory.mktemp('results')}/results.db"),
        "pathways city new gent --country BE", folder, progress=lambda stage, done, total: stages.append(stage))
    return made, stages


def test_a_new_city_is_written_whole_and_fitted(gent):
    made, stages = gent
    folder = made.folder
    assert stages[0] == "fit" and stages[-1] == "report"
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".new-")]
    baseline = load(folder / "baseline.toml")
    assert baseline.meta.country == "BE" and baseline.meta.city == "gent"
    assert baseline.law.rules == "BE"  # Belgium's rules come with the country's preset city
    assert baseline.population.initial_migrants == round(30_000 * city_files.WORKING_AGE_SHARE)
    assert baseline.sse.existing_enterprises == 4
    assert baseline.policies.mentoring.enabled  # a programme the city runs today
    # The fitted values in fit/gent.toml are the baseline's (not Liège's).
    with (folder / "fit" / "gent.toml").open("rb") as handle:
        fitted = tomllib.load(handle)
    assert fitted["labour_market"]["openings_scale"] == baseline.labour_market.openings_scale
    assert fitted["labour_market"]["openings_scale"] != load("liege/baseline").labour_market.openings_scale
    # The preset city's parameters start from Liège's posterior; a country-wide one Liège
    # does not fit takes the EU-27 fit's range.
    liege = {p.name for p in free_parameters("liege")}
    for parameter in made.fit.parameters:
        assert ("liege's posterior" in parameter.why) == (parameter.name in liege)
    assert {p.name for p in made.fit.parameters} - liege <= set(new_city.COUNTRY_PARAMETERS)
    assert {p.name for p in made.fit.parameters} >= set(new_city.COUNTRY_PARAMETERS)
    report = (folder / "fit" / "gent.md").read_text()
    for target in ("C-BE", "C-BE-N", "C-BE-W", "C-BE-U", "C-BE-N-U"):
        assert f"| {target} |" in report
    assert (folder / "fit" / "gent-posterior.csv").is_file()


def test_a_new_citys_levers_scale_with_it_and_change_only_their_lever(gent):
    made, _ = gent
    ratio = round(30_000 * city_files.WORKING_AGE_SHARE) / load("liege/baseline").population.initial_migrants
    baseline = load(made.folder / "baseline.toml").model_dump(mode="json")
    assert "mentoring.toml" not in {p.name for p in made.folder.iterdir()}  # already in the baseline
    one_stop = load(made.folder / "one_stop_shop.toml")
    liege = load("liege/one_stop_shop").policies.one_stop_shop
    assert one_stop.policies.one_stop_shop.capacity_clients_per_month == round(liege.capacity_clients_per_month * ratio)
    assert one_stop.policies.one_stop_shop.cost_eur_per_client == liege.cost_eur_per_client  # per person: unscaled
    lever = one_stop.model_dump(mode="json")
    changed = {section for section in baseline if section != "meta" and baseline[section] != lever[section]}
    assert changed == {"policies"}
    assert load(made.folder / "regularisation_through_work.toml").law.assumed_reform  # Belgium's reform, said so


def test_a_new_city_runs_like_a_preset(gent):
    made, _ = gent
    model = CityModel(load(made.folder / "baseline.toml"), rng=3, migrants=500)
    model.run(6)
    assert 0.2 < model.results()["non_eu_citizens"]["employment_rate"] < 0.9


def test_a_city_of_a_country_without_a_preset_uses_the_eu27_city_and_its_country_figures(tmp_path):
    facts = CityFacts("lisboa", "PT", 545_000, 60_000, unemployment_rate_percent=7.0)
    texts = city_files.files(facts, "test", tmp_path)
    assert 'extends = "eu27/baseline"' in texts["baseline.toml"]
    assert "regularisation_through_work.toml" not in texts  # Belgium's assumed reform is not Portugal's
    shares = countries.country("PT").reason_shares()
    folder = tmp_path / "lisboa"
    (folder / "fit").mkdir(parents=True)
    (folder / "fit" / "lisboa.toml").write_text("")
    for name, text in texts.items():
        (folder / name).write_text(text)
    scenario = load(folder / "baseline.toml")
    assert scenario.law.rules is None and scenario.meta.country == "PT"
    assert scenario.inflow.reason_shares.work == pytest.approx(shares["work"])
    assert scenario.inflow.newcomers_per_month == pytest.approx(
        countries.country("PT").newcomers_per_month(545_000), abs=0.05)
    targets = {t.id: t.published for t in countries.country("PT").targets(7.0)}
    assert targets["C-PT"] == pytest.approx(0.763)


def test_main_origins_set_who_arrives_speaking_the_city_language(tmp_path):
    # Liège's preset has 35 % arriving fluent. Listed origins replace that guess for their share:
    # Suriname has Dutch as an official language, Morocco and Turkey do not (CLDR).
    facts = CityFacts("gent", "BE", 265_000, 30_000, origins=city_files.parse_origins("MA:30, TR:15, SR:2"))
    assert facts.city_language() == "nl"
    assert facts.host_language_speakers_share(0.35) == pytest.approx(0.02 + 0.53 * 0.35, abs=1e-3)
    liege_like = CityFacts("liege2", "BE", 197_000, 17_000, origins=(("MA", 30.0),), language="fr")
    assert liege_like.host_language_speakers_share(0.35) == pytest.approx(0.30 + 0.70 * 0.35, abs=1e-3)
    lisbon = CityFacts("lisboa", "PT", 545_000, 60_000, origins=city_files.parse_origins("BR:40, CV:10, IN:10"))
    texts = city_files.files(lisbon, "test", tmp_path)
    # Brazil and Cape Verde have Portuguese as an official language, India does not; the unlisted
    # 40 % keep the EU-27 city's 20 %.
    assert "host_language_speakers_share = 0.58   #" in texts["baseline.toml"]
    assert CityFacts("x1", "BE", 10_000, 1_000).host_language_speakers_share(0.35) is None  # no origins, no change
    with pytest.raises(CityError, match="^origins: 'MA30' must be CODE:PERCENT"):
        city_files.parse_origins("MA30")


def test_an_interrupted_fit_leaves_nothing(tmp_path):
    def interrupt(stage, done, total):
        raise KeyboardInterrupt

    folder = tmp_path / "scenarios"
    folder.mkdir()
    budget = new_city.FitBudget(population=10, simulations=12, generations=2, migrants=300, months=12, replications=1,
                                db=f"sqlite:///{tmp_path}/results.db")
    with pytest.raises(KeyboardInterrupt):
        new_city.create(CityFacts("lisboa", "PT", 545_000, 60_000), budget, "test", folder, progress=interrupt)
    assert list(folder.iterdir()) == []


def test_the_command_refuses_bad_input_in_one_line():
    from sim.scenario import loader

    result = subprocess.run(
        [sys.executable, "-m", "sim", "city", "new", "gent", "--country", "BE", "--inhabitants", "265000",
         "--non-eu-residents", "400000"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: non-EU residents: 400,000")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (loader.SCENARIO_DIR / "gent").exists()
