"""The editable scenario fields (the dashboard's lever controls) read from the schema."""

import math

import pytest

from sim.scenario import ScenarioError, load, with_overrides
from sim.scenario.editable import lever_groups
from sim.scenario.policies import Policies


def test_every_lever_is_editable_and_each_field_round_trips():
    groups = lever_groups()
    levers = [name for name, info in Policies.model_fields.items() if hasattr(info.annotation, "model_fields")]
    assert [g.name for g in groups] == levers + ["budget"]
    base = load("liege/baseline")
    for group in groups:
        assert group.fields, group.name
        for field in group.fields:
            value = field.value(base)
            assert with_overrides(base, {field.path: value}) == base  # the path exists and its value validates


def test_typed_values_are_parsed_or_refused_with_the_field_name():
    fields = {f.path: f for g in lever_groups() for f in g.fields}
    capacity = fields["policies.one_stop_shop.capacity_clients_per_month"]
    assert capacity.kind == "integer" and capacity.parse(" 120 ") == 120
    for bad in ("abc", "1.5", "", "1e400"):
        with pytest.raises(ValueError, match="policies.one_stop_shop.capacity_clients_per_month"):
            capacity.parse(bad)
    share = fields["policies.one_stop_shop.services_knowledge_gain"]
    assert share.parse("0.25") == 0.25 and (share.low, share.high) == (0.0, 1.0)
    for bad in ("nan", "inf", "-inf", "x"):
        with pytest.raises(ValueError, match="services_knowledge_gain"):
            share.parse(bad)
    regime = fields["policies.regularisation.regime"]
    assert regime.kind == "choice" and "arraigo" in regime.choices
    with pytest.raises(ValueError, match="allowed: "):
        regime.parse("amnesty")
    # The schema stays the authority on ranges: a parsed but out-of-range value is refused there.
    with pytest.raises(ScenarioError, match="capacity_clients_per_month"):
        with_overrides(load("liege/baseline"), {capacity.path: -5})
    assert not math.isnan(share.parse("1"))
