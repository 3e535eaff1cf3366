"""A migrant's record for people who read it: who has left, in words (`CityModel.migrant`)."""

import re
from pathlib import Path

import pytest

from dashboards.people import LABOUR, STATUS, situation
from sim import CityModel
from sim.states import LabourState, LegalStatus

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model():
    city = CityModel("liege/baseline", rng=2, migrants=1500)
    city.run(24)
    return city


def test_someone_who_has_left_is_told_so_with_their_last_record(model):
    chunk = model.departures._chunks[-1]
    person = int(chunk["person_id"][0])
    record = model.migrant(person)
    assert record["in_city"] is False and record["left_month"] == model.month - 1
    # The last record is the row as it was when they left: the status it had then.
    assert record["status"] == LegalStatus(int(chunk["status"][0])).name.lower()
    lines = situation(record, [s.name for s in model.sectors], model.month)
    assert lines[0] == f"Left the city in month {model.month - 1}: this was their situation then."


def test_someone_in_the_city_is_told_in_words(model):
    person = int(model.pop.person_id[model.pop.alive()][0])
    record = model.migrant(person)
    assert record["in_city"] is True
    lines = situation(record, [s.name.replace("_", " ") for s in model.sectors], model.month)
    assert lines[0].startswith(("Woman, ", "Man, ")) and "years old, came " in lines[0]
    assert STATUS[record["status"]] in lines[2] and LABOUR[record["labour"]] in lines[3]
    assert not any("_" in line for line in lines)  # words, not column codes


def test_every_status_and_labour_state_has_words():
    assert set(STATUS) == {s.name.lower() for s in LegalStatus if s != LegalStatus.GONE}
    assert set(LABOUR) == {s.name.lower() for s in LabourState if s != LabourState.GONE}


def test_someone_who_left_before_month_0_is_still_answered_for(model):
    # The warm-up's leavers had ids in this run: asking for one is answered, not refused.
    first = model.departures._chunks[0]
    assert int(first["left_month"][0]) < 0
    record = model.migrant(int(first["person_id"][0]))
    assert record["in_city"] is False and record["left_month"] < 0


def test_an_id_never_given_is_refused_in_one_line(model):
    with pytest.raises(KeyError, match=r"no migrant with person_id 999999999 in this run") as error:
        model.migrant(999_999_999)
    assert "\n" not in str(error.value)


def test_the_readme_python_examples_run():
    # The README's own example asks for migrant 42 after ten years; whether they are still
    # in the city or left, the model answers with a record (it raised for a leaver before).
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert blocks
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, "README.md", "exec"), namespace)
    model = namespace["model"]
    record = model.migrant(42)
    assert record["person_id"] == 42
    assert record["in_city"] == bool((model.pop.person_id[model.pop.alive()] == 42).any())
