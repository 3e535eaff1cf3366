"""Sharing a comparison: its link, its command and its Python lines reproduce it."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sim.experiments import share, store
from sim.experiments.api import Settings, plan_compare
from sim.scenario import load

ROOT = Path(__file__).resolve().parents[1]
EDITS = {"liege/mentoring": {"policies.mentoring.places": 150, "policies.mentoring.enabled": True}}


def test_a_link_gives_back_its_recipe():
    recipe = share.Recipe(("liege/baseline", "liege/one_stop_shop"), EDITS, 7, 36, 11, 2500, "liege", "0.1.0+gabc",
                          "compare-0123456789ab")
    assert share.from_query(share.query(recipe)) == recipe
    plain = share.Recipe(("paris/baseline", "paris/mentoring"))
    assert share.from_query("?" + share.query(plain)) == plain


@pytest.mark.parametrize(("query", "message"), [
    ("scenario=liege/baseline&scenario=nowhere/x", "scenario 'nowhere/x' is not a shipped scenario"),
    ("scenario=liege/baseline", "at least two scenarios"),
    ("scenario=liege/baseline&scenario=liege/mentoring&reps=many", "reps must be a whole number"),
    ("scenario=liege/baseline&edit=liege/mentoring:{places", "the edits of 'liege/mentoring' are not readable"),
    ("scenario=liege/baseline&edit=liege/mentoring:{}", "must name at least one field"),
])
def test_a_bad_link_is_refused_naming_what_is_wrong(query, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        share.from_query(query)


def test_the_command_and_the_python_lines_run_the_stored_comparison_again(tmp_path):
    # The dashboard's comparison (two shipped scenarios and an edited one) is stored; its
    # recipe's command and its Python lines, run on their own, store the same experiment
    # (same name: same scenarios, edits, seeds and code) with the same numbers.
    settings = Settings(replications=2, months=6, migrants=1500, db=f"sqlite:///{tmp_path}/dashboard.db")
    scenarios = {name: load(name) for name in ("liege/baseline", "liege/one_stop_shop")}
    plan = plan_compare(scenarios, settings, EDITS)
    from sim.experiments import execute

    execute.run(plan.engine, plan.experiment.id, plan.jobs)
    recipe = share.recipe(json.loads(plan.experiment.spec_json), plan.experiment.name)
    assert recipe.edits == EDITS and recipe.scenarios == tuple(scenarios)
    expected = store.load_metrics(plan.engine, plan.experiment.id)[["label", "replication", "employment_rate"]]

    environment = {**os.environ, "PATHWAYS_DB": f"sqlite:///{tmp_path}/command.db"}
    command = shlex.split(share.command(recipe))
    assert command[:2] == ["pathways", "compare"]
    done = subprocess.run([sys.executable, "-m", "sim", *command[1:]], env=environment, cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert f"Experiment '{plan.experiment.name}'" in done.stdout
    assert f"Reproduce it: {share.command(recipe)}" in done.stdout

    environment["PATHWAYS_DB"] = f"sqlite:///{tmp_path}/python.db"
    done = subprocess.run([sys.executable, "-c", share.python(recipe) + "\nprint('experiment', experiment.name)"],
                          env=environment, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert f"experiment {plan.experiment.name}" in done.stdout
    for db in ("command.db", "python.db"):
        engine = store.connect(f"sqlite:///{tmp_path}/{db}")
        again = store.load_metrics(engine, store.load_experiment(engine, plan.experiment.name).id)
        assert again[expected.columns].sort_values(["label", "replication"]).reset_index(drop=True).equals(
            expected.sort_values(["label", "replication"]).reset_index(drop=True))


def test_a_comparison_with_an_uploaded_file_has_no_link(tmp_path):
    from sim.scenario import from_text

    uploaded = from_text('extends = "liege/baseline"\n[meta]\nname = "mine"\n', source="pasted")
    plan = plan_compare({"liege/baseline": load("liege/baseline"), "uploaded: mine": uploaded},
                        Settings(replications=2, months=6, migrants=1500, db=f"sqlite:///{tmp_path}/u.db"))
    assert share.recipe(json.loads(plan.experiment.spec_json)) is None


def test_an_edit_on_the_command_line_is_read_as_the_dashboard_types_it():
    assert share.parse_edit("liege/mentoring:policies.mentoring.places=150") == (
        "liege/mentoring", "policies.mentoring.places", 150)
    assert share.parse_edit('paris/baseline:meta.description="a b"') == ("paris/baseline", "meta.description", "a b")
    assert share.parse_edit("paris/baseline:law.rules=FR") == ("paris/baseline", "law.rules", "FR")
    with pytest.raises(ValueError, match="expected SCENARIO:FIELD=VALUE"):
        share.parse_edit("liege/mentoring")


def test_a_runs_command_and_python_lines_give_the_same_numbers(tmp_path):
    # Explore's Reproduce tab: one run of an edited scenario, as a command (--set) and as
    # Python lines; both give the same indicators (the JSON the command writes).
    edits = {"policies.mentoring.enabled": True, "policies.mentoring.places": 40}
    command = shlex.split(share.run_command("liege/baseline", edits, 3, 4, 1500))
    assert command[-2:] == ["--out", "run.json"]
    done = subprocess.run([sys.executable, "-m", "sim", *command[1:]], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    by_command = json.loads((tmp_path / "run.json").read_text())
    lines = share.run_python("liege/baseline", edits, 3, 4, 1500)
    namespace: dict = {}
    exec(lines, namespace)  # noqa: S102 (the lines the page shows, run as a user would)
    by_python = namespace["results"]
    for key in ("employment_rate", "lever_spending_eur", "declared_employed_20_64", "in_work_poverty_rate"):
        assert by_python[key] == by_command[key]
    assert by_command["lever_spending_eur"] > 0  # the edit took: mentoring ran


def test_only_a_comparisons_query_is_a_link():
    assert share.is_link("?scenario=liege/baseline&scenario=liege/mentoring")
    assert share.is_link("experiment=compare-0123")
    assert not share.is_link("?lang=fr") and not share.is_link("")


def test_a_shipped_name_with_other_content_has_no_link(tmp_path):
    # A scenario given under a shipped name but changed is not that shipped file: a link naming
    # the file would reproduce something else.
    from sim.scenario import with_overrides

    changed = with_overrides(load("liege/mentoring"), {"policies.mentoring.places": 7})
    plan = plan_compare({"liege/baseline": load("liege/baseline"), "liege/mentoring": changed},
                        Settings(replications=2, months=6, migrants=1500, db=f"sqlite:///{tmp_path}/c.db"))
    assert share.recipe(json.loads(plan.experiment.spec_json)) is None
