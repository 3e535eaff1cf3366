"""Same scenario + seed + code gives the same numbers; another seed gives others."""

import json
import subprocess
import sys

import numpy as np

from tests.helpers import small_model


def _results(seed: int) -> dict:
    model = small_model(seed=seed, migrants=2000)
    model.run(24)
    results = model.results()
    results["provenance"].pop("created_utc")
    return results


def test_same_seed_same_results_different_seed_different_results():
    first, second, other = _results(11), _results(11), _results(12)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert first["monthly"]["employment_rate"] != other["monthly"]["employment_rate"]
    assert first["provenance"]["scenario_sha256"] == other["provenance"]["scenario_sha256"]


def test_population_state_is_identical_column_by_column():
    a, b = small_model(seed=5, migrants=1500), small_model(seed=5, migrants=1500)
    a.run(12)
    b.run(12)
    for name in ("status", "labour", "language", "bridging_ties", "employer", "person_id"):
        assert np.array_equal(getattr(a.pop, name), getattr(b.pop, name)), name


def test_cli_json_is_identical_across_runs_apart_from_the_timestamp(tmp_path):
    outputs = []
    for name in ("a.json", "b.json"):
        path = tmp_path / name
        done = subprocess.run(
            [sys.executable, "-m", "sim", "run", "liege/baseline", "--months", "12", "--seed", "3",
             "--migrants", "1500", "--out", str(path)],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
        data = json.loads(path.read_text())
        data["provenance"].pop("created_utc")
        outputs.append(data)
    assert outputs[0] == outputs[1]
    provenance = outputs[0]["provenance"]
    assert provenance["seed"] == 3 and provenance["migrants"] == 1500
    assert len(provenance["scenario_sha256"]) == 64
    assert {"mesa", "numpy", "python"} <= set(provenance["packages"])
