"""The extension point: a lever written outside the core (examples/childcare_places.py),
loaded through PATHWAYS_PLUGINS, validated, run in this process and in worker processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.experiments import store
from sim.model import CityModel
from sim.scenario import ScenarioError, load, with_overrides
from sim.scenario import extensions
from sim.states import LabourState, Sex

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = str(ROOT / "examples" / "childcare_places.py")
SCENARIO = str(ROOT / "examples" / "childcare.toml")


def pathways(*args: str, plugins: str | None = PLUGIN) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PATHWAYS_PLUGINS"}
    if plugins is not None:
        env["PATHWAYS_PLUGINS"] = plugins
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=600,
                          env=env, cwd=ROOT)


@pytest.fixture
def childcare(monkeypatch):
    monkeypatch.setenv("PATHWAYS_PLUGINS", PLUGIN)
    extensions.load_plugins()
    return load(SCENARIO)


def test_a_plugin_lever_runs_and_lifts_care_duties(childcare):
    without = with_overrides(childcare, {"policies.extensions.childcare_places.enabled": False})
    inactive, employed = {}, {}
    for label, params in (("with", childcare), ("without", without)):
        inactive[label], employed[label] = [], []
        for seed in (1, 2, 3, 4):
            model = CityModel(params, rng=seed, migrants=3000)
            model.run(24)
            women = model.counts.window(12)[:, :, Sex.FEMALE, :].sum(axis=(0, 2))
            inactive[label].append(women[LabourState.INACTIVE] / women.sum())
            employed[label].append(model.results()["employment_rate_by_sex"]["female"])
            if label == "with":
                assert model.municipality.spending_eur["childcare_places"] > 0
            else:
                assert "childcare_places" not in model.municipality.spending_eur
    # The same seeds give both arms the same warm-up and draws (common random numbers), so
    # each seed's gap is the lever's effect. Its direct effect, the care duties it lifts,
    # keeps 2-6 points fewer women out of the labour force in every seed (seeds 1-8 measured).
    assert all(w < wo for w, wo in zip(inactive["with"], inactive["without"], strict=True))
    # Some of them find work: about 1.5 points more women employed on average, with a
    # spread of 0.75 points between seeds (seeds 1-8), so the mean of four seeds is above
    # zero by about four standard errors; a single seed's gain can be small.
    gains = [w - wo for w, wo in zip(employed["with"], employed["without"], strict=True)]
    assert sum(gains) / len(gains) > 0


def test_plugin_parameters_are_validated_naming_the_field(childcare):
    with pytest.raises(ScenarioError, match=r"childcare_places\.places_per_month"):
        with_overrides(childcare, {"policies.extensions.childcare_places.places_per_month": -1})
    with pytest.raises(ScenarioError, match=r"childcare_places\.unknown"):
        with_overrides(childcare, {"policies.extensions.childcare_places": {"enabled": True, "unknown": 1}})


def test_the_cli_runs_a_plugin_scenario_and_names_a_missing_plugin(tmp_path):
    out = tmp_path / "r.json"
    done = pathways("run", SCENARIO, "--months", "12", "--migrants", "2000", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["municipal_spending_eur"]["childcare_places"] > 0
    missing = pathways("run", SCENARIO, "--months", "12", "--migrants", "2000", plugins=None)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "childcare_places" in missing.stderr and "PATHWAYS_PLUGINS" in missing.stderr
    broken = pathways("run", SCENARIO, "--months", "12", plugins=str(tmp_path / "nowhere.py"))
    assert broken.returncode == 2 and "nowhere.py" in broken.stderr and "Traceback" not in broken.stderr


def test_worker_processes_load_the_plugin(tmp_path):
    # Two spawned worker processes run the plugin's lever: they import PATHWAYS_PLUGINS
    # themselves, since nothing of this process's registry travels with the jobs.
    db = f"sqlite:///{tmp_path / 'results.db'}"
    done = pathways("compare", "liege/baseline", SCENARIO, "--reps", "2", "--months", "12", "--migrants", "1500",
                    "--workers", "2", "--db", db, "--name", "plugin")
    assert done.returncode == 0, done.stderr
    engine = store.connect(db)
    experiment = store.load_experiment(engine, "plugin")
    runs = store.load_runs(engine, experiment.id)
    assert set(runs["status"]) == {"done"} and len(runs) == 4
    spending = store.load_metrics(engine, experiment.id, ["municipal_spending_eur.childcare_places"])
    assert len(spending) == 2 and (spending["municipal_spending_eur.childcare_places"] > 0).all()


def test_a_plugin_is_named_by_its_content_so_any_checkout_draws_the_same_numbers(tmp_path):
    # The model seeds each mechanism's random stream by its module's name: a name taken
    # from the plugin's place would give another clone of the project other numbers.
    copy = tmp_path / "elsewhere" / "childcare_places.py"
    copy.parent.mkdir()
    copy.write_bytes(Path(PLUGIN).read_bytes())
    assert extensions.module_name(copy) == extensions.module_name(Path(PLUGIN))
    copy.write_text(copy.read_text() + "\n# edited\n")
    assert extensions.module_name(copy) != extensions.module_name(Path(PLUGIN))
