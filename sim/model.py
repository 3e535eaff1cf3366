"""CityModel: a Mesa model of one city's migrant labour market, stepping monthly.

Process overview (docs/ODD.md §3): each month the mechanisms of :mod:`sim.month` (the
baseline's, the SSE's and the enabled policy levers') run in order over the whole
population, then the month's counts are recorded. Migrants
are NumPy columns (:mod:`sim.population`); employers and the municipality are Mesa agents
(:mod:`sim.agents`). All randomness comes from the model's seed: each mechanism's own
stream (``random_stream``), or draws keyed by an identity (``sim.draws.keyed_uniform``).
"""

import hashlib
import json
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from sim import draws, indicators, initial_stock, sse, steady_state
from sim import rules as legal_rules
from sim.mechanisms import earnings
from sim.agents import Employer, Municipality
from sim.month import Mechanism, monthly_mechanisms
from sim.policies import enabled_levers
from sim.policies.programmes import ProgrammeOutcomes
from sim.population import Population
from sim.records import Departures, FirstFormalJob, Flows, MonthlyCounts
from sim.limits import check_run_size
from sim.scenario import Scenario, load, with_overrides
from sim.scenario.schema import get_field
from sim.states import N_LABOUR, N_STATUS

if TYPE_CHECKING:
    from sim.nationals import NationalsModel


def calendar_settings(scenario: Scenario, month: int) -> dict[str, Any]:
    """The fields set in the calendar month of model month ``month``: by the national rules
    in force (``[law]``, :mod:`sim.rules`), then by the scenario's dated inputs
    (``[[timeline]]``, the later step winning), then, from month 0, by the reform the
    scenario assumes (``law.reformed``). Warm-up months (negative) take month 0's rules and
    inputs, without the reform: a reform and its baseline share their warm-up."""
    law = scenario.law
    if law.start is None:
        return {}
    settings = legal_rules.model_settings(law.rules, law.start, max(month, 0)) if law.rules is not None else {}
    today = legal_rules.calendar_month(law.start, max(month, 0)).isoformat()[:7]
    for step in scenario.timeline:
        if step.month <= today:
            settings.update(step.settings)
    if month >= 0:
        settings.update(law.reformed)
    return settings


def national_levers(scenario: Scenario, month: int) -> frozenset[str]:
    """The levers the national rules in force switch on by themselves (a regularisation
    route, the country's host-organisation places): the law, not a city's choice, so they
    run in the warm-up too. A lever counts if the rules set some of its fields and it is on
    with every city lever off."""
    law = scenario.law
    if law.rules is None:
        return frozenset()
    fields = legal_rules.model_settings(law.rules, law.start, max(month, 0))
    ruled = {name.split(".")[1] for name in fields if name.startswith("policies.")}
    params = in_month(scenario, month)
    policies = params.policies
    city_off = policies.model_copy(update={
        name: lever.model_copy(update={"enabled": False})
        for name in type(policies).model_fields if hasattr(lever := getattr(policies, name), "enabled")})
    return frozenset(spec.name for spec in enabled_levers(params.model_copy(update={"policies": city_off}))
                     if spec.name in ruled)


def in_month(scenario: Scenario, month: int) -> Scenario:
    """``scenario`` as it stands in model month ``month`` (``calendar_settings``): the
    values set there, the scenario's own elsewhere (so a field returns to the scenario's
    value when the rule that set it expires). The timeline and reform are spent: what they
    set is in the fields."""
    if scenario.law.start is None:
        return scenario
    return with_overrides(scenario, {**calendar_settings(scenario, month), "timeline": [],
                                     "law.reformed": {}, "law.assumed_reform": None})


def warm_up_key(params: Scenario) -> str:
    """What the warm-up depends on: everything but the city's levers, the SSE, the labels
    and the accounting of results (who pays what, the monetised impact's assumptions). The
    levers the national rules switch on run in the warm-up (``national_levers``): their
    settings are part of it.

    Scenarios with the same key and seed share their warm-up months exactly.
    """
    data = params.model_dump(mode="json", exclude={"policies", "sse", "meta", "public_finances", "impact"})
    data["national_levers"] = {name: getattr(params.policies, name).model_dump(mode="json")
                               for name in sorted(national_levers(params, -1))}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class CityModel(mesa.Model):
    """One city's migrants, employers and municipality under one scenario.

    Args:
        scenario: a validated :class:`~sim.scenario.Scenario`, or a scenario name or path.
        rng: seed (an int) of the model's random generators; same scenario + seed gives
            the same run.
        migrants: initial number of migrants, overriding the scenario's; inflows and
            openings scale with it so that rates stay those of the scenario.
        start: open the month-0 SSE enterprises and levers at once. With ``False`` the
            model stops after the warm-up, so that several scenarios sharing it can
            ``start`` from copies of one warmed-up city (see ``warm_up_key``).
        long_warm_up: start from the closed-form stock and warm up for
            ``population.warmup_months``, rather than draw the people from the warm-up's
            steady-state snapshot (:mod:`sim.steady_state`) and warm up for
            ``population.short_warmup_months``. The snapshot is a city warmed up the long
            way; tests compare the two.
        warm_up_until: the model month the warm-up stops at: 0 for a run; a snapshot's
            city stops at ``-population.short_warmup_months``, where runs start from it.
    """

    COUNTS_BY_ARRIVAL_AND_GROUP = True
    """Whether the monthly counts go by years since arrival and by group (``MonthlyCounts``)."""

    def __init__(
        self,
        scenario: Scenario | str | Path = "eu27/baseline",
        rng: int | None = None,
        migrants: int | None = None,
        start: bool = True,
        long_warm_up: bool = False,
        warm_up_until: int = 0,
    ):
        if rng is None:  # draw the seed ourselves so that provenance can replay the run
            rng = int(np.random.SeedSequence().entropy % 2**63)
        super().__init__(rng=rng)
        self._streams: dict[str, np.random.Generator] = {}
        self.calendar_changes: list[dict[str, Any]] = []
        """Each month the rules in force or the timeline changed a field: month, calendar month, new values."""
        self._calendar_settings: tuple[Scenario, int, dict[str, Any]] | None = None
        """The last month's ``calendar_settings``: (scenario, month, settings), read back the month after."""
        self.given_scenario = scenario if isinstance(scenario, Scenario) else load(scenario)
        """The scenario as given; ``params`` is it as it stands this month (``in_month``)."""
        self.params = in_month(self.given_scenario, -1)
        check_run_size(self.params, migrants, 0)  # the warm-up alone must fit; callers check their horizon
        initial = self.params.population.initial_migrants
        self.initial_migrants = initial if migrants is None else int(migrants)
        self.scale = self.initial_migrants / initial if initial else 1.0
        """Factor applied to the scenario's absolute flows (newcomers per month)."""
        self.sectors = self.params.labour_market.sectors
        self.started = False
        self.long_warm_up = long_warm_up or initial == 0
        """Whether the city warmed up the long way: a city that starts empty
        (``initial_migrants`` 0) is what its warm-up's inflow makes it, so it has no stock
        to draw from a snapshot."""
        population = self.params.population
        self.month = -(population.warmup_months if self.long_warm_up else population.short_warmup_months)
        """Model month: negative during warm-up, 0 at the start of the reported run."""
        self.mechanisms: list[Mechanism] = self.month_mechanisms(with_levers=False)
        self.pop = Population(capacity=self.initial_migrants)
        self.flows = Flows()
        self.first_formal_job = FirstFormalJob(max_months=1200)
        self.departures = Departures()
        """Each leaver's last record (``migrant`` answers for people who have left)."""
        self.counts = MonthlyCounts(self.COUNTS_BY_ARRIVAL_AND_GROUP)
        """The reported months' counts (the warm-up's are not taken: nothing reads them)."""
        self._counts_in_detail_from = 0
        """The month from which the counts go by years since arrival and by group (``run``)."""
        self.census = np.zeros((N_STATUS, N_LABOUR), dtype=np.int64)
        """Everyone by (legal status, labour state), taken at the end of each month."""
        self.employers: list[Employer] = []
        self.sse_enterprises: list[sse.SSEEnterprise] = []
        self.regularisations = 0
        """People regularised through a work regime since month 0."""
        self.regularisation_applications = 0
        """Applications filed under a work regime since month 0."""
        self.regularisation_employer_applications = 0
        """Of those, the applications employers filed for their workers."""
        self.regularisation_fees_eur = 0.0
        """Fees paid to the State with the applications since month 0, by employers and applicants."""
        self.programme_outcomes = ProgrammeOutcomes()
        self.municipality = Municipality(self, name=self.params.meta.city)
        self._create_employers()
        self.nationals: "NationalsModel | None" = None
        """The nationals' comparison population (:mod:`sim.nationals`), warmed up with the city."""
        if self.long_warm_up:
            self.populate(self.initial_migrants)
        else:
            steady_state.populate(self, self.initial_migrants)
        self.series: list[dict[str, Any]] = []
        """One row of cheap aggregates per reported month (``indicators.monthly_row``)."""
        while self.month < warm_up_until:
            self.advance_month()
        self.first_formal_job = FirstFormalJob(max_months=1200)
        self.flows = Flows()
        # A national route runs in the warm-up too.
        self.regularisations = self.regularisation_applications = self.regularisation_employer_applications = 0
        self.regularisation_fees_eur = 0.0
        nationals = self.params.nationals.people(self.scale)
        if nationals > 0:
            # Warmed up here, so that scenarios starting from copies of this city share them.
            from sim.nationals import NationalsModel

            seed = int(np.random.SeedSequence(self._seed, spawn_key=(zlib.crc32(b"nationals"),)).generate_state(1)[0])
            self.nationals = NationalsModel(self.given_scenario, rng=seed, people=nationals, long_warm_up=self.long_warm_up)
        if start:
            self.start()

    def start(self, scenario: Scenario | None = None) -> None:
        """Month 0: the SSE enterprises already there, and the enabled levers, start.

        ``scenario`` replaces the one the city warmed up with; it must share its
        ``warm_up_key`` (only the levers and the SSE may differ).
        """
        if self.started:
            raise RuntimeError("the model has already started")
        if scenario is not None:
            params = in_month(scenario, self.month - 1)
            if warm_up_key(params) != warm_up_key(self.params):
                raise ValueError("a scenario can replace another at month 0 only if it warms up the same city")
            self.given_scenario, self.params = scenario, params
        self.started = True
        setups = [sse.open_existing_enterprises] + [s.setup for s in enabled_levers(self.params) if s.setup]
        for setup in setups:
            setup(self, self.random_stream(setup))
        self.mechanisms = self.month_mechanisms(with_levers=True)

    def populate(self, n: int) -> None:
        """The people already in the city when the long warm-up begins (closed form)."""
        initial_stock.populate(self, n)

    def steady_state_key(self) -> str:
        """What this city's steady state depends on, the key of its snapshot
        (:mod:`sim.steady_state`): the kind of city (migrants or nationals) and its warm-up
        (``warm_up_key``, which holds the national routes that run in it)."""
        data = {"city": type(self).__qualname__, "warm_up": warm_up_key(self.params)}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def reference_city(self, migrants: int, rng: int) -> "CityModel":
        """This city warmed up the long way, at another size and seed and without the
        nationals beside it, up to the month runs start at: a steady-state snapshot's source."""
        scenario = with_overrides(self.given_scenario, {"nationals.comparison_people": 0})
        return CityModel(scenario, rng=rng, migrants=migrants, start=False, long_warm_up=True,
                         warm_up_until=-self.params.population.short_warmup_months)

    def month_mechanisms(self, with_levers: bool) -> list[Mechanism]:
        """This model's monthly mechanisms in order (``monthly_mechanisms``)."""
        return monthly_mechanisms(self.params, with_levers, national_levers(self.given_scenario, self.month))

    def scaled(self, size: float, item: str, each_month: bool = True) -> int:
        """A lever's size (places, clients, enterprises) for this model's population:
        scenario sizes are for the scenario's city, and ``migrants`` rescales them.

        Rounded up or down at random, with the probabilities that keep the mean exact
        (``draws.unbiased_round``), so that a lever of 3 cooperatives at a quarter of the
        city has 0.75 of one on average rather than 1; the draw is keyed by ``item`` (and
        the month), so it is common to every scenario. A flow (clients a month) is rounded
        afresh each month; a stock of places held over months (``each_month=False``) once
        for the run, since people admitted in a month rounded up would stay through the
        months rounded down and hold occupancy above its mean.
        """
        uniform = float(draws.keyed_uniform(self._seed, f"scaled.{item}", self.month if each_month else 0)[0])
        return max(0, draws.unbiased_round(size * self.scale, uniform))

    def scaled_eur(self, amount_eur: float) -> float:
        """A city-wide amount (a service's running cost, the lever budget) for this model's
        population, rescaled like sizes so that costs per person stay the scenario's."""
        return amount_eur * self.scale

    def sector_index(self, name: str) -> int:
        return [s.name for s in self.sectors].index(name)

    def _create_employers(self) -> None:
        lm = self.params.labour_market
        for index, sector in enumerate(self.sectors):
            sizes = self.rng.lognormal(0.0, 1.0, lm.employers_per_sector)
            for size in sizes / sizes.sum():
                undeclared = bool(self.rng.random() < sector.undeclared_employer_share)
                exploitative = undeclared and bool(self.rng.random() < self.params.undeclared.exploitative_employer_share)
                self.employers.append(
                    Employer(self, index, float(size), undeclared, exploitative, lm.discrimination_logit_penalty)
                )

    def advance_month(self) -> None:
        """Run every mechanism once, each with its own random stream, then record a reported month's counts.

        Own streams (``random_stream``), handed to each mechanism, are what makes common random
        numbers work across scenarios: a lever's draws do not shift the draws of the mechanisms
        that follow it. ``self.rng`` (Mesa's) serves only the set-up of the city.
        """
        self.flows = Flows()
        if self.month >= 0 and self.given_scenario.law.start is not None:
            self._follow_the_calendar()
        for mechanism in self.mechanisms:
            mechanism(self, self.random_stream(mechanism))
        if self.month >= 0:
            self.counts.record(self.pop, self.month, earnings.poverty_pay_by_labour(self.params),
                               in_detail=self.month >= self._counts_in_detail_from)
        self.month += 1

    def _follow_the_calendar(self) -> None:
        """Switch to the rules and inputs of this calendar month, when they changed."""
        scenario = self.given_scenario
        known = self._calendar_settings
        if known is not None and known[0] is scenario and known[1] == self.month - 1:
            before = known[2]
        else:
            before = calendar_settings(scenario, self.month - 1)
        now = calendar_settings(scenario, self.month)
        self._calendar_settings = (scenario, self.month, now)
        if now == before:
            return
        params = in_month(self.given_scenario, self.month)
        changes = {name: get_field(params, name) for name in sorted(set(before) | set(now))
                   if get_field(params, name) != get_field(self.params, name)}
        self.params = params
        if not changes:
            return
        self.calendar_changes.append({"month": self.month, "calendar_month": legal_rules.calendar_month(
            self.given_scenario.law.start, self.month).isoformat()[:7], "changes": changes})
        self.mechanisms = self.month_mechanisms(with_levers=self.started)

    def random_stream(self, mechanism: Mechanism) -> np.random.Generator:
        """The mechanism's own generator, seeded from the model's seed and the mechanism's name."""
        name = f"{mechanism.__module__}.{mechanism.__qualname__}"
        stream = self._streams.get(name)
        if stream is None:
            key = zlib.crc32(name.encode())
            stream = np.random.default_rng(np.random.SeedSequence(self._seed, spawn_key=(key,)))
            self._streams[name] = stream
        return stream

    def step(self) -> None:
        """One month of the reported run."""
        if not self.started:
            raise RuntimeError("call start() before stepping a model created with start=False")
        self.advance_month()
        # First, so that the month's row has the nationals' rates; nationals shared with an
        # earlier run of the same warm-up and seed (``jobs.run_task``) are ahead already.
        if self.nationals is not None and self.nationals.month < self.month:
            self.nationals.step()
        self.series.append(indicators.monthly_row(self))

    def run(self, months: int) -> None:
        """``months`` of the reported run. The counts by years since arrival and by group,
        which only the final window's indicators read (``indicators.final``), are taken in
        its last ``FINAL_WINDOW_MONTHS`` only; ``step`` alone takes them every month."""
        self._counts_in_detail_from = self.month + months - indicators.FINAL_WINDOW_MONTHS
        for _ in range(months):
            self.step()

    def monthly_frame(self) -> pd.DataFrame:
        """The monthly series as a DataFrame, one row per reported month."""
        return pd.DataFrame(self.series)

    def migrant(self, person_id: int) -> dict[str, Any]:
        """One migrant's record, readable (enum names, age in years), with ``in_city``:
        their current one, or for someone who has left the last one, with ``left_month``."""
        try:
            return {**self.pop.record(person_id, self.month), "in_city": True}
        except KeyError:
            last = self.departures.last_record(person_id)
        if last is None:
            raise KeyError(f"no migrant with person_id {person_id} in this run, in the city or gone "
                           f"(ids so far: 0 to {self.pop.next_id - 1})") from None
        return {**last, "in_city": False}

    def results(self) -> dict[str, Any]:
        """End-of-run indicators (see :mod:`sim.indicators`)."""
        return indicators.final(self)
