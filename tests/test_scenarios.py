"""Scenario files: loading, `extends`, and a one-line error (exit code 2) for every bad file."""

import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario import ScenarioError, available, content_hash, load, with_overrides

PATHWAYS = [sys.executable, "-m", "sim"]


def test_presets_load_and_resolve_by_name():
    assert {"eu27/baseline", "liege/baseline"} <= set(available())
    liege = load("liege/baseline")
    assert liege.meta.country == "BE"
    # Inherited from eu27/baseline, overridden where Liège differs.
    assert liege.asylum.recognition_rate == load("eu27/baseline").asylum.recognition_rate
    assert liege.permits.naturalisation_after_months == 60.0
    assert len(liege.labour_market.sectors) == 8


def test_path_and_name_give_the_same_scenario():
    path = Path(__file__).resolve().parents[1] / "scenarios" / "liege" / "baseline.toml"
    assert content_hash(load(path)) == content_hash(load("liege/baseline"))


def test_overrides_change_the_identity():
    base = load("liege/baseline")
    changed = with_overrides(base, {"inflow.newcomers_per_month": 50.0})
    assert changed.inflow.newcomers_per_month == 50.0
    assert content_hash(changed) != content_hash(base)
    with pytest.raises(ScenarioError, match="unknown field 'nope'"):
        with_overrides(base, {"inflow.nope": 1})


BAD_FILES = {
    "unknown_field": ('[inflow]\nnewcomers_per_mnth = 3\n', "unknown field 'inflow.newcomers_per_mnth'"),
    "wrong_type": ('[inflow]\nnewcomers_per_month = "many"\n', "field 'inflow.newcomers_per_month'"),
    "negative_duration": ("[asylum]\ndecision_mean_months = -2.0\n", "field 'asylum.decision_mean_months'"),
    "share_above_one": ("[asylum]\nrecognition_rate = 1.5\n", "field 'asylum.recognition_rate'"),
    "shares_not_summing": ("[inflow.reason_shares]\nwork = 0.9\n", "must add up to 1"),
    "bad_toml": ("[inflow\n", "not valid TOML"),
    "bool_for_number": ("[population]\ninitial_migrants = true\n", "field 'population.initial_migrants'"),
    "nan": ("[asylum]\nrecognition_rate = nan\n", "field 'asylum.recognition_rate'"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gets_one_line_error_naming_the_field(tmp_path, case):
    body, expected = BAD_FILES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text('extends = "liege/baseline"\n' + body)
    with pytest.raises(ScenarioError) as raised:
        load(path)
    message = str(raised.value)
    assert expected in message
    assert str(path) in message and "\n" not in message
    _assert_cli_fails_cleanly(path, expected)


def test_missing_extends_target(tmp_path):
    path = tmp_path / "orphan.toml"
    path.write_text('extends = "nowhere/at_all"\n')
    with pytest.raises(ScenarioError, match="field 'extends': scenario 'nowhere/at_all' not found"):
        load(path)
    _assert_cli_fails_cleanly(path, "not found")


def test_extends_cycle(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match=r"forms a cycle \(a.toml -> b.toml -> a.toml\)"):
        load(tmp_path / "a.toml")
    _assert_cli_fails_cleanly(tmp_path / "a.toml", "cycle")


def test_unknown_scenario_name_lists_the_available_ones():
    with pytest.raises(ScenarioError, match="available: .*liege/baseline"):
        load("atlantis/baseline")


def test_unknown_sector_field_names_allowed_fields(tmp_path):
    path = tmp_path / "sector.toml"
    sectors = load("liege/baseline").labour_market.sectors
    body = "".join(
        f'[[labour_market.sectors]]\nname = "{s.name}"\nwages = 3\n' for s in sectors[:1]
    )
    path.write_text('extends = "liege/baseline"\n' + body)
    with pytest.raises(ScenarioError, match=r"unknown field 'labour_market.sectors.0.wages' \(allowed: name, elementary_openings_per_1000_per_month"):
        load(path)


def _assert_cli_fails_cleanly(path: Path, expected: str) -> None:
    done = subprocess.run([*PATHWAYS, "run", str(path), "--months", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]


def test_a_scenario_name_cannot_reach_outside_the_scenarios_folder():
    for name in ("../calibration/fitted/eu27", "liege/../../calibration/fitted/eu27", "/etc/passwd"):
        with pytest.raises(ScenarioError, match="outside|not found"):
            load(name)


def test_an_uploaded_scenario_is_size_limited_and_extends_only_shipped_scenarios():
    from sim.scenario import from_text
    from sim.scenario.loader import MAX_UPLOAD_BYTES

    accepted = from_text('extends = "liege/baseline"\n[meta]\nname = "plan"\n[policies.mentoring]\nenabled = true\n')
    assert accepted.policies.mentoring.enabled and accepted.meta.name == "plan"
    assert accepted.inflow == load("liege/baseline").inflow
    refused = {
        'extends = "scenarios/liege/baseline.toml"': "must name a shipped scenario",
        'extends = "../../etc/passwd"': "must name a shipped scenario",
        "extends = 5": "must name a shipped scenario",
        'calibration = "../../etc"': "field 'calibration' must be a preset name",
        "x" * (MAX_UPLOAD_BYTES + 1): "larger than 100 kB",
        "[meta": "not valid TOML",
    }
    for text, message in refused.items():
        with pytest.raises(ScenarioError, match=message):
            from_text(text)
