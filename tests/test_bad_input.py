"""Malformed scenario files and parameter values, generated (hypothesis): each gets a
one-line error naming the field, exit code 2, no traceback, and nothing written to the
results database."""

import contextlib
import io
import json
import math
import re
import sqlite3
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pydantic import BaseModel

from sim.cli import main
from sim.experiments import store
from sim.scenario import Scenario, load

def without_nulls(node: Any) -> Any:
    """TOML has no null: an optional field left unset is simply absent."""
    if isinstance(node, dict):
        return {key: without_nulls(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [without_nulls(value) for value in node]
    return node


BASE = without_nulls(load("liege/baseline").model_dump(mode="json"))
"""A complete valid scenario (no ``extends``): every mutation below makes it invalid."""

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
"""Derandomised: CI runs the same examples every time (a failure is reproducible)."""


def leaves(node: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in leaves(value, (*path, key))]
    if isinstance(node, list) and node and isinstance(node[0], dict):
        return [leaf for i, value in enumerate(node) for leaf in leaves(value, (*path, i))]
    return [(path, node)]


LEAVES = leaves(BASE)
TABLES = [path for path, _ in leaves(BASE)]  # a leaf's parent is a table


def bad_values(value: Any) -> st.SearchStrategy:
    """Values the leaf's field must refuse, whatever its range: wrong types, NaN, infinities, huge sizes."""
    wrong_types = st.sampled_from(["text", "ünïcødé ☃", [1, 2], {"nested": 1}])
    if isinstance(value, bool):
        return st.one_of(wrong_types, st.sampled_from([1, 0.0]))
    if isinstance(value, int | float):
        refused = [math.nan, math.inf, -math.inf, 1e300, -1e300, True]
        if isinstance(value, int):
            refused += [1.5, 10**18, -5]
        return st.one_of(wrong_types, st.sampled_from(refused))
    if isinstance(value, str):
        return st.sampled_from([5, 2.5, True, [1], {"nested": 1}])
    return wrong_types


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value == math.inf else "-inf" if value == -math.inf else repr(value))
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters (DEL included) escaped."""
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else "\\" + c if c in '"\\' else c
                      for c in text)
    return f'"{escaped}"'


def toml_document(data: dict[str, Any]) -> str:
    return "\n".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items()) + "\n"


def with_leaf(data: Any, path: tuple, value: Any, delete: bool = False) -> Any:
    data = json.loads(json.dumps(data))
    node = data
    for part in path[:-1]:
        node = node[part]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


def cli(*args: str) -> tuple[int, str]:
    """Run ``pathways ARGS`` in this process, as the console entry point does; (exit code, stderr)."""
    stderr, stdout = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["pathways", *args]
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    return code, stderr.getvalue()


def assert_one_line_error(code: int, stderr: str, *names: str) -> None:
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    assert any(name in lines[0] for name in names), (names, lines[0])


@SETTINGS
@given(data=st.data())
def test_a_wrong_value_anywhere_is_refused_naming_its_field(tmp_path_factory, data):
    path, value = data.draw(st.sampled_from(LEAVES), label="field")
    bad = data.draw(bad_values(value), label="value")
    file = tmp_path_factory.mktemp("bad") / "scenario.toml"
    file.write_text(toml_document(with_leaf(BASE, path, bad)), encoding="utf-8")
    code, stderr = cli("check", str(file))
    assert_one_line_error(code, stderr, ".".join(str(p) for p in path))


@SETTINGS
@given(data=st.data())
def test_a_missing_field_is_named(tmp_path_factory, data):
    path, _ = data.draw(st.sampled_from(LEAVES), label="field")
    file = tmp_path_factory.mktemp("missing") / "scenario.toml"
    file.write_text(toml_document(with_leaf(BASE, path, None, delete=True)), encoding="utf-8")
    code, stderr = cli("check", str(file))
    if required(path):
        assert_one_line_error(code, stderr, ".".join(str(p) for p in path))
    elif path[0] == "public_finances" and len(path) == 3 and code != 0:
        # A share of a split by level defaults to 0: left out, a non-zero share breaks the
        # split's sum to 1, which the error names by the split's table.
        assert_one_line_error(code, stderr, ".".join(str(p) for p in path[:2]))
    else:  # a field with a default (the levers, descriptions) may be left out
        assert code == 0, stderr


def required(path: tuple) -> bool:
    """Whether the schema requires the field at ``path`` (no default)."""
    model, info = Scenario, None
    for part in path:
        if isinstance(part, int):
            continue
        info = model.model_fields[part]
        inner = typing.get_args(info.annotation)[0] if typing.get_args(info.annotation) else info.annotation
        model = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else model
    return info.is_required()


@SETTINGS
@given(data=st.data(), key=st.text(min_size=1, max_size=30).filter(lambda k: k.strip() and "\x00" not in k))
def test_an_unknown_field_is_named_with_the_allowed_ones(tmp_path_factory, data, key):
    table = data.draw(st.sampled_from(TABLES), label="table")[:-1]
    target = json.loads(json.dumps(BASE))
    node = target
    for part in table:
        node = node[part]
    if key in node:
        return
    node[key] = 1
    file = tmp_path_factory.mktemp("unknown") / "scenario.toml"
    file.write_text(toml_document(target), encoding="utf-8")
    code, stderr = cli("check", str(file))
    assert_one_line_error(code, stderr, "unknown field")
    assert "allowed: " in stderr


@pytest.mark.parametrize(("override", "names"), [
    # A section given where a field is expected: its own fields, as dotted names to type.
    ("labour_market=1", ["'labour_market' is a section, not a field", "labour_market.openings_scale"]),
    ("policies.mentoring=1", ["'mentoring' is a section", "policies.mentoring.referral_probability"]),
    # An unknown section or top-level name: the sections there are, not only the top-level fields.
    ("nothing.here=1", ["no section 'nothing'", "asylum.FIELD", "labour_market.FIELD"]),
    ("extends=liege/baseline", ["unknown field 'extends'", "policies.FIELD"]),
    ("asylum.nothing=1", ["unknown field 'nothing'", "recognition_rate"]),
])
def test_an_override_of_no_field_names_what_may_be_set(tmp_path, override, names):
    code, stderr = cli("run", "liege/baseline", "--months", "1", "--migrants", "500", "--set", override,
                       "--out", str(tmp_path / "r.json"))
    assert_one_line_error(code, stderr, names[0])
    assert all(name in stderr for name in names), stderr
    assert not (tmp_path / "r.json").exists()


@SETTINGS
@given(text=st.text(max_size=300))
def test_arbitrary_text_never_gives_a_traceback(tmp_path_factory, text):
    file = tmp_path_factory.mktemp("text") / "scenario.toml"
    file.write_text(text, encoding="utf-8")
    code, stderr = cli("check", str(file))
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


@pytest.mark.parametrize("depth, valid", [(3, True), (15, True), (25, False), (60, False)])
def test_deep_extends_chains(tmp_path, depth, valid):
    previous = "liege/baseline"
    for i in range(depth):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "{previous}"\n')
        previous = f"s{i}.toml"
    code, stderr = cli("check", str(tmp_path / f"s{depth - 1}.toml"))
    if valid:
        assert code == 0, stderr
    else:
        assert_one_line_error(code, stderr, "field 'extends' is nested deeper than")


BAD_OPTIONS = [
    (("run", "liege/baseline", "--months", "nan"), "--months"), (("run", "liege/baseline", "--months", "0"), "--months"),
    (("run", "liege/baseline", "--months", "99999"), "--months"), (("run", "liege/baseline", "--migrants", "-3"), "--migrants"),
    (("run", "liege/baseline", "--seed", "1e3"), "--seed"),
    (("compare", "liege/baseline", "liege/mentoring", "--reps", "-1"), "--reps"),
    (("compare", "liege/baseline", "liege/mentoring", "--workers", "0"), "--workers"),
    (("compare", "liege/baseline"), "at least two scenarios"),
    (("sweep", "liege/baseline", "--param", "inflow.newcomers_per_month=abc"), "inflow.newcomers_per_month"),
    (("sweep", "liege/baseline", "--param", "no.such.field=0:1"), "no.such.field"),
    (("sweep", "liege/baseline", "--param", "x"), "--param"),
    (("run", "no/such/city"), "no/such/city"), (("run", "../../etc/passwd"), "outside"),
    (("run", "x" * 300), "cannot be read"), (("compare", "liege/baseline", "liege/mentoring", "--posterior", "../../x"),
                                            "--posterior"),
    (("app", "--port", "70000"), "--port"),
    # Designs refused before any run: a parameter given twice (the second range replaced the
    # first at every point), a swept size that --migrants overrides, an output no run has,
    # a Morris screening of one parameter, a grid where the sampler picks the values.
    (("sweep", "liege/baseline", "--param", "inflow.newcomers_per_month=0:1", "--param",
      "inflow.newcomers_per_month=0:2"), "given twice"),
    (("sweep", "liege/baseline", "--param", "population.initial_migrants=0:1000:3", "--migrants", "500"),
     "--param population.initial_migrants"),
    (("sensitivity", "liege/baseline", "--output", "nonsense", "--param", "inflow.newcomers_per_month=0:2", "--param",
      "asylum.recognition_rate=0.05:0.4"), "--output 'nonsense': no such indicator of a run (allowed: months"),
    (("sensitivity", "liege/baseline", "--param", "inflow.newcomers_per_month=0:2"), "two parameters or more"),
    (("sensitivity", "liege/baseline", "--param", "inflow.newcomers_per_month=0:2:5", "--param",
      "asylum.recognition_rate=0.05:0.4"), "sampler chooses the values"),
    (("sensitivity", "liege/baseline", "--output", "nothing.here", "--param", "inflow.newcomers_per_month=0:2",
      "--param", "asylum.recognition_rate=0.05:0.4"), "or TABLE.KEY of one of"),
    # A comparison pairs runs of one city; a posterior holds one city's fitted parameters.
    (("compare", "liege/baseline", "paris/baseline"), "the scenarios are of liege, paris"),
    (("compare", "paris/baseline", "paris/mentoring", "--posterior", "liege"),
     "--posterior liege: the scenarios are of paris"),
    (("optimise", "paris", "--budget-eur-per-year", "1000000", "--objective", "jobs", "--posterior", "liege"),
     "--posterior liege: the scenarios are of paris"),
    (("discover", "paris", "mentoring", "--condition", "extra_people_in_work > 0", "--posterior", "liege"),
     "--posterior liege: the scenarios are of paris"),
]


@pytest.mark.parametrize(("args", "named"), BAD_OPTIONS, ids=lambda a: " ".join(a)[:60] if isinstance(a, tuple) else a)
def test_bad_options_get_one_line_naming_the_option_and_exit_code_2(args, named):
    code, stderr = cli(*args)
    assert_one_line_error(code, stderr, named)


@pytest.mark.parametrize(("text", "named"), [
    ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ('extends = "a\\u0000b"', "not usable"),
    ('extends = "' + "x" * 300 + '"', "cannot be read"),
])
def test_pathological_files_get_one_line_too(tmp_path, text, named):
    file = tmp_path / "scenario.toml"
    file.write_text(text, encoding="utf-8")
    assert_one_line_error(*cli("check", str(file)), named)


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_comparison_with_a_bad_file_writes_nothing_to_the_database(tmp_path_factory, data):
    path, value = data.draw(st.sampled_from(LEAVES), label="field")
    folder = tmp_path_factory.mktemp("nowrite")
    file = folder / "scenario.toml"
    file.write_text(toml_document(with_leaf(BASE, path, data.draw(bad_values(value)))), encoding="utf-8")
    database = folder / "results.db"
    database_url = f"sqlite:///{database}"
    # A database that already holds results must keep them untouched.
    assert cli("compare", "liege/baseline", "liege/mentoring", "--reps", "2", "--months", "2", "--migrants", "300",
               "--db", database_url)[0] == 0
    before = _rows(database)
    code, stderr = cli("compare", "liege/baseline", str(file), "--reps", "2", "--db", database_url)
    assert_one_line_error(code, stderr, ".".join(str(p) for p in path))
    assert _rows(database) == before
    # A valid file too large to run is refused as early: nothing written either.
    huge = folder / "huge.toml"
    huge.write_text('extends = "liege/baseline"\n[inflow]\nnewcomers_per_month = 1000000.0\n')
    assert_one_line_error(*cli("compare", "liege/baseline", str(huge), "--db", database_url), "more than the limit")
    assert _rows(database) == before


def _rows(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (fixed names)
                for table in ("experiment", "run", "runmetric", "runseries")}


def test_names_that_look_like_sql_are_stored_as_text(tmp_path):
    """Every query is parameterised (SQLModel): a hostile experiment name is just a name."""
    database = tmp_path / "r.db"
    hostile = "x'); DROP TABLE run; --"
    code, stderr = cli("compare", "liege/baseline", "liege/mentoring", "--reps", "2", "--months", "2", "--migrants",
                       "300", "--db", f"sqlite:///{database}", "--name", hostile)
    assert code == 0, stderr
    assert _rows(database)["run"] == 4
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM experiment").fetchall() == [(hostile,)]
    code, stderr = cli("export", hostile, "--out", str(tmp_path / "out"), "--db", f"sqlite:///{database}")
    assert code == 0, stderr


def test_a_mistyped_database_is_refused_by_commands_that_only_read(tmp_path):
    # experiments and export read what other commands stored: a path that names no file is
    # a typo, refused in one line, and no empty database (nor its folder) is left behind.
    for args in (("experiments",), ("export", "some-experiment", "--out", str(tmp_path / "out"))):
        code, stderr = cli(*args, "--db", f"sqlite:///{tmp_path / 'typo' / 'results.db'}")
        assert_one_line_error(code, stderr, "no such file")
    assert not (tmp_path / "typo").exists() and not (tmp_path / "out").exists()
    # In a database that exists, an experiment it does not hold is named as such.
    store.connect(f"sqlite:///{tmp_path / 'results.db'}")
    code, stderr = cli("export", "some-experiment", "--out", str(tmp_path / "out"),
                       "--db", f"sqlite:///{tmp_path / 'results.db'}")
    assert_one_line_error(code, stderr, "no experiment named 'some-experiment'")


def test_a_sensitivity_output_of_a_results_table_is_taken_whatever_groups_a_small_run_has():
    from sim.experiments.sensitivity import check_output

    # Which groups a by-group table holds depends on the run: a dotted name is checked by
    # its table, so a group a short small run happens not to have is still allowed.
    check_output(load("liege/baseline"), "people_in_work_by_group.naturalised|work|female|high")
    check_output(load("liege/baseline"), "employment_rate")
