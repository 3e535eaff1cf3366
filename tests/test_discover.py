"""Scenario discovery (`pathways discover`): PRIM's box on a planted threshold."""

import numpy as np
import pytest

from sim.experiments.discover import DiscoveryError, assumed_parameters, discover, parse_condition
from sim.scenario import load

COST = "policies.one_stop_shop.cost_eur_per_client"
GAIN = "policies.one_stop_shop.services_knowledge_gain"


def test_prim_recovers_a_planted_threshold_within_its_sampling_error(tmp_path):
    # The one-stop shop's spending rises in proportion to its cost per client (it serves its
    # capacity whatever the cost), so "extra lever spending > 100,000 EUR" holds exactly
    # above one cost. That cost, read off a straight line fitted to the samples, is the
    # planted threshold. PRIM peels a few per cent of the box's samples at a time, so its edge
    # lands a sample or so either side of the two samples that straddle the threshold: the
    # box must start within one sampling gap of that pair (about 10 EUR at 40 samples over
    # 400), and leave the knowledge gain,
    # which does not move spending, unrestricted.
    result = discover("liege/one_stop_shop", "extra_lever_spending_eur > 100000", samples=40, months=12,
                      migrants=1500, parameters=[f"{COST}=100:500", f"{GAIN}=0.2:0.8"], db=f"sqlite:///{tmp_path}/d.db")
    samples = result.samples
    slope, intercept = np.polyfit(samples[COST], samples["extra_lever_spending_eur"], 1)
    threshold = (100_000 - intercept) / slope
    costs = np.sort(samples[COST].to_numpy())
    below, above = costs[costs < threshold].max(), costs[costs > threshold].min()
    box = result.box.set_index("parameter")
    assert list(box.index) == [COST]
    gap = above - below
    assert below - gap <= box.loc[COST, "box_low"] <= above + gap
    assert result.density >= 0.8 and result.coverage >= 0.8
    assert result.share_holding == pytest.approx(samples["holds"].mean())


def test_a_condition_is_read_or_refused_in_one_line():
    rule = parse_condition("city_net_cost_per_extra_person_eur > 60_000")
    assert (rule.outcome, rule.op, rule.value) == ("city_net_cost_per_extra_person_eur", ">", 60_000.0)
    assert list(rule.holds(np.array([50_000.0, 70_000.0, np.inf]))) == [False, True, True]
    with pytest.raises(DiscoveryError, match="unknown outcome 'jobs' \\(allowed: extra_people_in_work"):
        parse_condition("jobs > 3")
    with pytest.raises(DiscoveryError, match="write OUTCOME OP NUMBER"):
        parse_condition("extra_people_in_work >> 3")


def test_the_default_parameters_are_the_levers_assumptions_not_their_sizes_or_ages():
    names = {f.name for f in assumed_parameters(load("liege/combined"))}
    assert "policies.mentoring.referral_probability" in names and COST in names
    assert "policies.mentoring.places" not in names and "policies.mentoring.min_age_years" not in names
    for factor in assumed_parameters(load("liege/combined")):
        assert factor.low < factor.high
