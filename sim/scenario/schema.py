"""The scenario schema: every parameter of the model, with its unit and allowed range.

A scenario file (TOML, under ``scenarios/``) fills these sections. Field names carry
their unit (``_months``, ``_per_month``, ``_eur_per_month``, ``_share``); the sources of
the default values are cited in ``scenarios/eu27/baseline.toml`` beside each value and
in ``docs/ODD.md``. Validation is strict: no unknown fields, no type coercion, no NaN.
"""

from typing import Annotated, Any

from pydantic import Field, model_validator

from sim.scenario.policies import Policies, SSEEconomy
from sim.scenario.public_finances import PublicFinances
from sim.scenario.types import EurPerMonth, Fraction, Logit, Months, NonNegative, RatePerMonth, Section

CALENDAR_MONTH = r"^(19|20)\d\d-(0[1-9]|1[0-2])$"
"""A calendar month, ``YYYY-MM``."""


class EducationShares(Section):
    """ISCED shares of newcomers; they must add up to 1."""

    low: Fraction
    medium: Fraction
    high: Fraction

    @model_validator(mode="after")
    def _sum_to_one(self):
        _check_sum(self, ("low", "medium", "high"))
        return self


class ReasonShares(Section):
    """Shares of newcomers by reason of arrival (Eurostat migr_resfirst); they add up to 1."""

    work: Fraction
    family: Fraction
    study: Fraction
    asylum: Fraction

    @model_validator(mode="after")
    def _sum_to_one(self):
        _check_sum(self, ("work", "family", "study", "asylum"))
        return self


def _check_sum(section: Section, names: tuple[str, ...]) -> None:
    total = sum(getattr(section, n) for n in names)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"shares {', '.join(names)} must add up to 1 (they add up to {total:.4g})")


class Meta(Section):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=5000)] = ""
    city: Annotated[str, Field(min_length=1, max_length=100)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$|^EU27$")]


class Law(Section):
    """The national rules a scenario runs under (``sim.rules``), and its calendar: model
    month 0 is the calendar month ``start`` (``YYYY-MM``). The rule set of
    ``rules/RULES.toml`` in force in the calendar month of each model month then sets the
    fields it encodes (asylum seekers' wait before work, permits, regularisation routes),
    switching in the month a rule takes effect; warm-up months run under month 0's rules.
    Without ``rules`` the scenario's own values hold: a scenario assuming a reform sets
    them and says so. ``start`` alone gives a calendar (for a ``timeline``) without rules."""

    rules: Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z]{2})?$")] | None = None
    start: Annotated[str, Field(pattern=CALENDAR_MONTH)] | None = None
    assumed_reform: Annotated[str, Field(min_length=10, max_length=500)] | None = None
    """What a scenario assumes the country changed in its law, in words ("if Belgium gave
    a permit to exploited workers who denounce their employer..."); the report shows it."""
    reformed: dict[str, float | int | bool | str] = {}
    """The fields the assumed reform sets over the rules in force, from month 0 on (the
    warm-up runs under the real rules, so a reform and its baseline share their warm-up)."""

    @model_validator(mode="after")
    def _rules_need_a_start(self):
        if self.rules is not None and self.start is None:
            raise ValueError("law.rules needs law.start, the calendar month of model month 0 (for example rules = \"ES\", start = \"2024-01\")")
        if (self.assumed_reform is None) != (not self.reformed):
            raise ValueError("law.assumed_reform and law.reformed go together: a reform says what it assumes, in words, and which fields it sets")
        if self.reformed and self.rules is None:
            raise ValueError("law.reformed: a reform changes national rules, so it needs law.rules (without rules, set the fields themselves)")
        if self.rules is not None:
            from sim.rules import available

            if self.rules not in available():
                raise ValueError(f"law.rules: unknown rule set '{self.rules}' (allowed: {', '.join(available())})")
        return self


class TimelineStep(Section):
    """From calendar month ``month`` on, the fields named in ``settings`` (dotted paths,
    ``"inflow.newcomers_per_month"``) take these values: the yearly inputs of a historical
    replay (newcomers, recognition, labour demand), or a lever's size from a date (a lever is
    switched on for the whole run, since its set-up runs at month 0).
    A later step overrides an earlier one; fields no step names keep the scenario's value."""

    month: Annotated[str, Field(pattern=CALENDAR_MONTH)]
    settings: dict[str, float | int | bool | str]


class Population(Section):
    """Who lives in the city at the start and who arrives (brief §2)."""

    initial_migrants: Annotated[int, Field(ge=0, le=5_000_000)]
    share_female: Fraction
    """Share of women among newcomers for work, family and study."""
    share_female_asylum: Fraction
    """Share of women among asylum applicants: far fewer than among other newcomers."""
    age_at_arrival_mean_years: Annotated[float, Field(ge=18.0, le=60.0)]
    age_at_arrival_sd_years: Annotated[float, Field(ge=0.0, le=20.0)]
    education_shares: EducationShares
    initial_years_in_country_mean: Annotated[float, Field(ge=0.0, le=40.0)]
    care_duties_share_female: Fraction
    """Share of women arriving for work, family or study who care for young children or relatives."""
    care_duties_share_female_asylum: Fraction
    """Share of women arriving to seek asylum who care for young children: 76 % of refugee
    women live with children (IAB press release, 25 July 2024, arrivals 2013-2019) and in
    about two-thirds of refugee families the youngest child is under 6 (BMFSFJ advisory
    board, 'Familien mit Fluchthintergrund', arrivals 2015-2017): about half."""
    care_duties_share_male: Fraction
    care_duties_start_rate_female_per_month: RatePerMonth
    care_duties_start_rate_male_per_month: RatePerMonth
    care_duties_start_rate_female_factor_asylum: Annotated[float, Field(ge=0.0, le=5.0)]
    """The care-duty start rate of women who arrived seeking asylum, relative to other
    migrant women's: refugee families have more young children (76 % of refugee women live
    with children, IAB 2024), and children under 3 lower refugee women's employment (IAB
    Kurzbericht 8/2021); men's rate is their sex's (an assumption). Fitted on refugees'
    employment by sex."""
    care_duties_end_rate_per_month: RatePerMonth
    care_duties_job_exit_probability: Fraction
    """Chance that someone in work whose care duties begin gives up the job (guide §2.5.1.2)."""
    host_language_speakers_share: Fraction
    language_at_arrival_mean: Fraction
    learning_aptitude_sd: Annotated[float, Field(ge=0.0, le=2.0)]
    bonding_ties_at_arrival_mean: Annotated[float, Field(ge=0.0, le=100.0)]
    services_knowledge_at_arrival_mean: Fraction
    warmup_months: Annotated[int, Field(ge=0, le=240)]
    """Months of the long warm-up, from the closed-form stock (``sim.initial_stock``) to the
    steady state: the city a steady-state snapshot is taken from (``sim.steady_state``)
    warms up this long."""
    short_warmup_months: Annotated[int, Field(ge=0, le=60)]
    """Months a run simulates before month 0 with its own seed, from people drawn from the
    steady-state snapshot taken this many months before the end of the long warm-up: the
    run's warm-up ends where the long one does, and its jobs, ties and statuses move from
    the snapshot's city to its own. At most ``warmup_months``."""

    @model_validator(mode="after")
    def _short_warm_up_ends_the_long_one(self):
        if self.short_warmup_months > self.warmup_months:
            raise ValueError(f"short_warmup_months ({self.short_warmup_months}) must not exceed warmup_months "
                             f"({self.warmup_months}): the short warm-up is the end of the long one")
        return self


class Inflow(Section):
    newcomers_per_month: Annotated[float, Field(ge=0.0, le=1_000_000.0)]
    reason_shares: ReasonShares


class Asylum(Section):
    """Asylum procedure (brief §2, targets T17 and T19)."""

    decision_mean_months: Months
    recognition_rate: Fraction
    rejected_departure_share: Fraction
    work_waiting_months: Annotated[float, Field(ge=0.0, le=60.0)]


class Permits(Section):
    """Temporary permits, their renewal, long-term residence and naturalisation."""

    permit_duration_months: Months
    renewal_probability_family: Fraction
    renewal_probability_with_job: Fraction
    renewal_probability_without_job: Fraction
    overstay_share: Fraction
    study_duration_mean_months: Months
    students_staying_share: Fraction
    long_term_residence_after_months: Months
    long_term_residence_uptake_rate_per_month: RatePerMonth
    naturalisation_after_months: Months
    naturalisation_rate_per_month: RatePerMonth
    naturalisation_min_language: Fraction
    background_regularisation_rate_per_month: RatePerMonth


class Language(Section):
    """Host-language learning on a 0-1 scale where 0.5 is CEFR B1 (guide §1.1, §2.9)."""

    course_enrolment_rate_per_month: RatePerMonth
    course_duration_months: Months
    course_gain_per_month: Fraction
    course_dropout_rate_per_month: RatePerMonth
    learning_at_work_per_month: Fraction
    learning_in_undeclared_work_per_month: Fraction
    ambient_learning_per_month: Fraction


class Readiness(Section):
    """Readiness to work: trauma, health and housing recover over time (guide §2.10)."""

    ready_threshold: Fraction
    arrival_mean_asylum: Fraction
    arrival_mean_other_reasons: Fraction
    recovery_rate_per_month: RatePerMonth
    precarious_recovery_factor: Fraction


class Recognition(Section):
    """Diploma recognition: slow and uncertain (guide §1.1; target T21)."""

    application_rate_per_month: RatePerMonth
    decision_mean_months: Months
    success_probability: Fraction
    services_knowledge_gain_per_month: Fraction
    skill_decay_rate_per_month: RatePerMonth
    skill_threshold: Fraction


class Networks(Section):
    """Bonding and bridging ties and the referrals they give (brief §2)."""

    bridging_gain_per_month_in_job: Annotated[float, Field(ge=0.0, le=10.0)]
    bridging_gain_per_month_in_undeclared_work: Annotated[float, Field(ge=0.0, le=10.0)]
    bridging_gain_per_month_in_course: Annotated[float, Field(ge=0.0, le=10.0)]
    bridging_decay_rate_per_month: RatePerMonth
    referral_probability_per_bridging_tie: Fraction
    referral_probability_per_bonding_tie: Fraction


class Sector(Section):
    """One sector of the city's labour market, as open to migrant applicants."""

    name: Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")]
    elementary_openings_per_1000_per_month: Annotated[float, Field(ge=0.0, le=1000.0)]
    skilled_openings_per_1000_per_month: Annotated[float, Field(ge=0.0, le=1000.0)]
    elementary_application_weight: NonNegative
    origin_occupation_share: Fraction
    elementary_wage_eur_per_month: EurPerMonth
    skilled_wage_eur_per_month: EurPerMonth
    undeclared_employer_share: Fraction


class LabourMarket(Section):
    """Employers' hiring rule and job loss (guide §1.1)."""

    employers_per_sector: Annotated[int, Field(ge=1, le=1000)]
    hiring_logit_elementary: Logit
    hiring_logit_skilled: Logit
    language_weight_logit: Logit
    language_requirement_elementary: Fraction
    language_requirement_skilled: Fraction
    graduate_mismatch_share: Fraction
    """Share of tertiary graduates whose field or level has no matching skilled openings in
    the city: over-qualification that nationals show too (20.8 % of employed national
    graduates, T09), beside the migrants' own barriers."""
    referral_weight_logit: Logit
    discrimination_logit_penalty: Logit
    search_duration_penalty_logit: Logit
    """How much less an employer takes a job seeker who has searched eight months or more
    than one who has just started (``sim.mechanisms.labour_market``); calibrated on T12."""
    job_loss_rate_per_month: RatePerMonth
    self_employment_start_rate_per_month: RatePerMonth
    """Chance a month that a searcher or employee fluent in the language starts a business
    (``sim.mechanisms.self_employment``); calibrated on T26 and T26-N."""
    business_closure_rate_per_month: RatePerMonth
    """Chance a month that a business closes (``sim.mechanisms.self_employment``)."""
    openings_scale: Annotated[float, Field(ge=0.0, le=100.0)]
    """Multiplies every sector's openings: the city's labour demand relative to the EU average."""
    sectors: Annotated[list[Sector], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _sectors_consistent(self):
        names = [s.name for s in self.sectors]
        if len(set(names)) != len(names):
            raise ValueError(f"sector names must be unique (got {', '.join(names)})")
        total = sum(s.origin_occupation_share for s in self.sectors)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"sectors' origin_occupation_share must add up to 1 (they add up to {total:.4g})")
        if sum(s.elementary_application_weight for s in self.sectors) <= 0:
            raise ValueError("at least one sector needs a positive elementary_application_weight")
        return self


class Undeclared(Section):
    """Undeclared work and exploitation for people without work authorisation (guide §2.10.1)."""

    job_finding_rate_per_month: RatePerMonth
    bonding_tie_effect_per_tie: Annotated[float, Field(ge=0.0, le=10.0)]
    authorised_job_finding_rate_per_month: RatePerMonth
    job_loss_rate_per_month: RatePerMonth
    wage_share_of_elementary: Fraction
    exploitative_employer_share: Fraction
    exploited_wage_share_of_elementary: Fraction


class EmigrationRates(Section):
    """Monthly rate of leaving the city (onward migration or return), by legal status."""

    asylum_seeker: RatePerMonth
    refugee: RatePerMonth
    undocumented: RatePerMonth
    temporary_permit: RatePerMonth
    long_term_resident: RatePerMonth
    naturalised: RatePerMonth


class Outflow(Section):
    emigration_rate_per_month: EmigrationRates
    exit_age_years: Annotated[float, Field(ge=50.0, le=80.0)]


class Welfare(Section):
    """Income when not working (municipal social assistance; reception allowance)."""

    social_assistance_eur_per_month: EurPerMonth
    asylum_allowance_eur_per_month: EurPerMonth


class Earnings(Section):
    """Each person's pay and hours around their sector's wage, and the poverty line their
    income is held against (:mod:`sim.mechanisms.earnings`)."""

    part_time_share_female: Fraction = 0.368
    """Share of jobs held part-time by women: non-EU citizens aged 20-64 in the EU, 2024
    (Eurostat lfsa_eppgan: 36.8 %)."""
    part_time_share_male: Fraction = 0.118
    """The same for men (Eurostat lfsa_eppgan 2024: 11.8 %)."""
    part_time_hours_share: Fraction = 0.53
    """A part-time job's paid hours as a share of a full-time job's (Eurostat Labour Cost
    Survey 2016: 20 hours paid a week against 38)."""
    pay_dispersion_log: Annotated[float, Field(ge=0.0, le=1.0)] = 0.2
    """Standard deviation of the log of a full-time job's pay around its sector's and
    level's wage (assumption: narrower than the whole economy's spread, about 0.45 in
    Eurostat's Structure of Earnings Survey, since sector and level are given)."""
    employee_deductions_share_of_gross_pay: Annotated[float, Field(ge=0.0, le=0.9)] = 0.2
    """Income tax and social contributions withheld from declared pay (assumption, within the
    OECD *Taxing Wages* range for a single worker on a low wage in the EU, 10-30 %)."""
    poverty_line_eur_per_month: EurPerMonth = 1200.0
    """At-risk-of-poverty threshold for a person living alone, net, a month: 60 % of the
    country's median equivalised income (EU-SILC). The EU-27 preset's is an assumption
    (the EU publishes no single threshold in euros); the cities' are their country's."""


class Nationals(Section):
    """The nationals' comparison population (:mod:`sim.nationals`; targets T02, T05, T09):
    the same labour market, without the barriers that are the migrants' own."""

    comparison_people: Annotated[int, Field(ge=0, le=1_000_000)]
    """Nationals aged 20-64 simulated beside the scenario's migrants (0: none); rescaled
    with the migrants like every size, down to a floor (``people``)."""
    education_shares: EducationShares
    care_duties_start_rate_female_per_month: RatePerMonth
    job_loss_factor: Annotated[float, Field(ge=0.0, le=10.0)]
    """Nationals' job-loss rate relative to the migrants' (temporary contracts, T10)."""
    bridging_ties: Annotated[float, Field(ge=0.0, le=100.0)]
    """Ties to people in work outside one's household, which bring referrals."""

    def people(self, scale: float) -> int:
        """Nationals to simulate beside migrants rescaled by ``scale``: rescaled like every
        size, but never fewer than 3,000 (or ``comparison_people`` if that is fewer). Their
        rates are what T02, T05, T09 and C-..-N compare: at 3,000 people a rate's binomial
        standard error is under a point, while a large city run at a reduced size would
        otherwise keep only a few dozen nationals (Barcelona at 3,000 migrants: 90)."""
        return max(int(round(self.comparison_people * scale)), min(self.comparison_people, 3000))


class Impact(Section):
    """Assumptions of the monetised cost-benefit view (guide §3.2)."""

    public_revenue_share_of_formal_earnings: Fraction = 0.35
    """Taxes and social contributions as a share of declared earnings (assumption; the
    OECD tax wedge on an average single worker is about 35 % across the EU, 52 % in Belgium)."""


class Scenario(Section):
    """A whole scenario: a city's population, its rules and its labour market."""

    meta: Meta
    population: Population
    inflow: Inflow
    asylum: Asylum
    permits: Permits
    language: Language
    readiness: Readiness
    recognition: Recognition
    networks: Networks
    labour_market: LabourMarket
    undeclared: Undeclared
    outflow: Outflow
    welfare: Welfare
    earnings: Earnings = Earnings()
    nationals: Nationals
    sse: SSEEconomy = SSEEconomy()
    policies: Policies = Policies()
    impact: Impact = Impact()
    public_finances: PublicFinances = PublicFinances()
    law: Law = Law()
    timeline: list[TimelineStep] = []
    """Dated inputs (``TimelineStep``), in calendar order; they need ``law.start``."""

    @model_validator(mode="after")
    def _timeline_applies(self):
        """Each timeline step's fields and the reform's exist and every step, on top of the
        earlier ones, gives a valid scenario, so that a run never meets a bad value later."""
        if self.timeline and self.law.start is None:
            raise ValueError("timeline: needs law.start, the calendar month of model month 0")
        months = [step.month for step in self.timeline]
        if months != sorted(set(months)):
            raise ValueError(f"timeline: months must be distinct and in calendar order (got {', '.join(months)})")
        data = self.model_dump(mode="python", exclude={"timeline"})
        data["law"]["reformed"], data["law"]["assumed_reform"] = {}, None
        steps = [(f"timeline[{index}] ({step.month})", f"timeline[{index}].settings", step.settings)
                 for index, step in enumerate(self.timeline)]
        if self.law.reformed:
            steps.append(("law.reformed", "law.reformed", self.law.reformed))
        for label, where, settings in steps:
            for dotted, value in settings.items():
                if dotted.startswith("policies.") and dotted.endswith(".enabled"):
                    raise ValueError(f"{where} '{dotted}': a lever is switched on or off for the whole run, in "
                                     f"[{dotted.removesuffix('.enabled')}], not from a date (its set-up runs at month 0)")
                set_field(data, dotted, value, where=where)
            try:
                Scenario.model_validate(data)
            except ValueError as exc:
                first = exc.errors()[0] if hasattr(exc, "errors") else {"loc": (), "msg": str(exc)}
                field = ".".join(str(part) for part in first["loc"])
                raise ValueError(f"{label}: {field}: {first['msg']}") from None
        return self

    @model_validator(mode="after")
    def _policy_sectors_exist(self):
        names = [s.name for s in self.labour_market.sectors]
        p = self.policies
        used = {
            "policies.integrated_training.sector": [p.integrated_training.sector],
            "policies.sse_transitional_jobs.sector": [p.sse_transitional_jobs.sector],
            "policies.ephemeral_cooperatives.sectors": list(p.ephemeral_cooperatives.sectors),
            "policies.regularisation.one_off_employer_sectors": list(p.regularisation.one_off_employer_sectors),
        }
        for field, sectors in used.items():
            for sector in sectors:
                if sector not in names:
                    raise ValueError(f"{field}: unknown sector '{sector}' (allowed: {', '.join(names)})")
        return self


def set_field(data: dict[str, Any], dotted: str, value: Any, where: str) -> None:
    """Set ``value`` at the dotted path ``dotted`` of a scenario's data (a whole section
    only with a dict, or None where the section is optional), naming ``where`` and the allowed fields when the path does not exist."""
    node = data
    *parents, leaf = dotted.split(".")
    for key in parents:
        if isinstance(node.get(key), list):
            raise ValueError(f"{where} '{dotted}': '{key}' is a list, given whole in a scenario file, not by a "
                             "dotted name")
        if not isinstance(node.get(key), dict):
            raise ValueError(f"{where} '{dotted}': no section '{key}' (allowed: {_allowed(node)})")
        node = node[key]
    if leaf not in node:
        raise ValueError(f"{where} '{dotted}': unknown field '{leaf}' (allowed: {_allowed(node)})")
    if isinstance(node[leaf], dict) and not isinstance(value, dict | None):
        allowed = _allowed(node[leaf], (*parents, leaf))
        raise ValueError(f"{where} '{dotted}': '{leaf}' is a section, not a field " + (
            f"(allowed: {allowed})" if allowed else "(a table of names and values, given in a scenario file)"))
    node[leaf] = value


def _allowed(node: dict[str, Any], path: tuple[str, ...] = ()) -> str:
    """What a dotted name may give at ``node``: its fields, then its sections as
    ``section.FIELD``, each after ``path`` (the section's own name, when a section was given
    where a field was expected)."""
    prefix = "".join(f"{key}." for key in path)
    fields = sorted(f"{prefix}{key}" for key, value in node.items() if not isinstance(value, dict))
    sections = sorted(f"{prefix}{key}.FIELD" for key, value in node.items() if isinstance(value, dict))
    return ", ".join(fields + sections)


def get_field(scenario: "Scenario", dotted: str) -> Any:
    """The value at the dotted path ``dotted`` of a scenario (``"asylum.recognition_rate"``)."""
    value: Any = scenario
    for part in dotted.split("."):
        value = getattr(value, part)
    return value
