"""The `pathways` command line: the table, the JSON file, and clean failures."""

import json
import subprocess
import sys

import pytest

PATHWAYS = [sys.executable, "-m", "sim"]


def pathways(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PATHWAYS, *args], capture_output=True, text=True, timeout=300)


def test_liege_baseline_is_plausible_for_a_belgian_city(tmp_path):
    out = tmp_path / "r.json"
    done = pathways("run", "liege/baseline", "--months", "120", "--seed", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "employment rate, 20-64" in done.stdout and "Liège, baseline" in done.stdout
    results = json.loads(out.read_text())
    # Belgium 2023 (C-BE): 50.0 % of non-EU citizens aged 20-64 in work against 73.5 % of
    # nationals. The Liège fit misses the first by several points (calibration/reports/
    # liege.md), so this asks for a plausible band around it, not the figure.
    assert 0.40 < results["employment_rate_non_eu_citizens"] < 0.60
    assert results["employment_rate_by_sex"]["male"] > results["employment_rate_by_sex"]["female"]
    assert results["employment_rate_by_status"]["undocumented"] < results["employment_rate_by_status"]["long_term_resident"]
    asylum = results["employment_rate_by_years_since_arrival"]["asylum"]
    assert asylum["1"] < asylum["5"]  # refugees' employment grows with years in the country
    assert 0 < results["undocumented_count"] < results["migrants"]
    assert results["municipal_spending_eur"]["social_assistance"] > 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("run", "liege/baseline", "--months", "0"), "--months"),
        (("run", "liege/baseline", "--months", "100000"), "--months"),
        (("run", "liege/baseline", "--migrants", "-5"), "--migrants"),
        (("run", "liege/baseline", "--migrants", "99999999999"), "--migrants"),
        (("run", "liege/baseline", "--seed", "x"), "--seed"),
        (("run", "liege/baseline", "--months", "1", "--out", "/no/such/folder/r.json"), "--out"),
        (("run",), "Missing argument"),
        (("run", "mars/baseline"), "available: "),
        (("frobnicate",), "No such command"),
    ],
)
def test_bad_input_gets_one_line_and_exit_code_2(args, expected):
    done = pathways(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


def test_existing_output_survives_a_failed_run(tmp_path):
    out = tmp_path / "r.json"
    out.write_text('{"kept": true}')
    done = pathways("run", "atlantis/baseline", "--out", str(out))
    assert done.returncode == 2
    assert json.loads(out.read_text()) == {"kept": True}


def test_scenarios_and_check_commands():
    listed = pathways("scenarios")
    assert listed.returncode == 0 and "liege/baseline" in listed.stdout.split()
    checked = pathways("check", "eu27/baseline")
    assert checked.returncode == 0 and "valid" in checked.stdout


def test_one_migrants_record_is_readable(liege_run):
    person = int(liege_run.pop.person_id[liege_run.pop.alive()][0])
    record = liege_run.migrant(person)
    assert record["person_id"] == person
    assert record["status"] in {"asylum_seeker", "refugee", "undocumented", "temporary_permit", "long_term_resident", "naturalised"}
    assert 18 <= record["age_years"] < 65
    assert record["months_in_city"] >= 0
    with pytest.raises(KeyError, match="no migrant with person_id"):
        liege_run.migrant(-1)


def test_a_run_imports_only_what_it_needs(tmp_path):
    # `pathways run` pays for its months, not for the dashboard's, the database's, the
    # calibration's or the cluster's libraries: none of them may be imported by a run.
    code = (
        "import sys\n"
        "from sim.cli import main\n"
        f"sys.argv = ['pathways', 'run', 'liege/baseline', '--migrants', '300', '--months', '1', '--out', r'{tmp_path / 'r.json'}']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "heavy = {'matplotlib', 'sqlmodel', 'sqlalchemy', 'solara', 'dask', 'distributed', 'pyabc', 'SALib'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "r.json").exists()


def test_the_command_list_wraps_whole_sentences_at_the_terminal_s_width():
    # Each command's line in `pathways --help` is its docstring's first paragraph, wrapped
    # greedily: a line ends only where the next word would not fit, never at a line break
    # the docstring happened to have.
    import os

    width = 60
    listed = subprocess.run([*PATHWAYS, "--help"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": str(width), "TERM": "dumb"})
    panel = listed.stdout.split("Commands")[1].splitlines()[1:]
    column = panel[0].index(panel[0].strip("│ ").split()[1]) - 1  # where the help text starts
    texts: list[list[str]] = []
    for line in panel:
        if not line.startswith("│"):
            continue
        name, text = line[1:column].strip(), line[column:].rstrip(" │").strip()
        if name:
            texts.append([text])
        else:
            texts[-1].append(text)
    assert len(texts) >= 10
    available = max(len(line) for lines in texts for line in lines)  # the widest line the wrap allowed
    for lines in texts:
        for line, following in zip(lines, lines[1:], strict=False):
            assert len(line) + 1 + len(following.split()[0]) > available, (line, following)
