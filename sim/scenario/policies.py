"""Scenario schema of the policy levers: each switchable, with its parameters, units and defaults.

Every lever is off by default, so a scenario without a ``[policies]`` table is the
baseline, and switching every lever off reproduces it exactly. Defaults come from the
guide's cases (section numbers) or are marked as assumptions; ``docs/policies.md`` lists
them all.
"""

from typing import Annotated, Literal

from pydantic import Field, SerializeAsAny, ValidationError, field_validator, model_validator

from sim.scenario.extensions import parameters_of

from sim.scenario.types import EurPerMonth, Fraction, Months, RatePerMonth, Section

Places = Annotated[int, Field(ge=0, le=1_000_000)]
Eur = Annotated[float, Field(ge=0.0, le=1e12)]


class Lever(Section):
    enabled: bool = False


class OneStopShop(Lever):
    """A municipal one-stop shop gathering the services for migrants (guide §2.4, Lisbon, Leuven's De Nomade)."""

    capacity_clients_per_month: Places = 150
    services_knowledge_gain: Fraction = 0.5
    """Share of the gap to full knowledge of services and rights closed by a visit."""
    recognition_delay_factor: Fraction = 0.5
    """Recognition decisions of clients come after this share of the usual wait (complete files, §2.4)."""
    referral_months: Months = 6
    """How long a client keeps priority for training, SSE places and mentoring."""
    cost_eur_per_client: Eur = 400.0
    fixed_cost_eur_per_month: Eur = 20_000.0


class IntegratedTraining(Lever):
    """Language learnt with a trade, instead of language first (guide §2.9, Kokkola INTEGRA)."""

    places: Places = 60
    duration_months: Months = 6
    dropout_rate_per_month: RatePerMonth = 0.01
    """Lower than the linear course's: the guide's Kokkola case names attrition as the problem solved."""
    language_gain_per_month: Fraction = 0.045
    max_months_since_arrival: Months = 36
    """Admits people who arrived at most this long ago: Finland's integration training is
    for immigrants whose first permit is at most three years old (Act 681/2023)."""
    partner_priority_months: Annotated[float, Field(ge=0.0, le=600.0)] = 3
    """How long graduates apply with the programme's referral to the openings of
    its partner employers in its sector, taken first there (assumption: one quarter of job search)."""
    sector: str = "catering"
    cost_eur_per_place_month: Eur = 900.0


class SSETransitionalJobs(Lever):
    """Transitional jobs in work-integration enterprises, a springboard (guide §2.8)."""

    places: Places = 40
    spell_months: Months = 12
    min_months_unemployed: Months = 12
    """Admits the long-term unemployed, or people on social assistance: Spain's insertion
    enterprises take job seekers in social exclusion (Ley 44/2007 art. 2.1: minimum-income
    recipients, or those without it for lack of residence); France's IAE, people out of work
    for 24 months or on RSA."""
    partner_priority_months: Annotated[float, Field(ge=0.0, le=600.0)] = 3
    """How long graduates apply with the programme's referral to the openings of
    its partner employers in its sector, taken first there (assumption; Spain's insertion enterprises report
    67.2 % of exits to ordinary jobs, T25, which this must reach through the hiring rule)."""
    wage_eur_per_month: EurPerMonth = 1500.0
    subsidy_eur_per_place_month: Eur = 800.0
    enterprises: Annotated[int, Field(ge=1, le=1000)] = 2
    sector: str = "catering"


class EphemeralCooperatives(Lever):
    """Cohorts that test a trade as a cooperative for a few months (guide §2.8, Migracoop)."""

    cohort_size: Annotated[int, Field(ge=2, le=100)] = 10
    """Migracoop's Sunucoop: nine women entrepreneurs."""
    cohort_interval_months: Months = 6
    duration_months: Months = 5
    sectors: Annotated[list[str], Field(min_length=1, max_length=10)] = ["catering", "manufacturing"]
    """Cohorts alternate between these (Migracoop: one culinary, one textile)."""
    women_only: bool = False
    """Migracoop addresses "entrepreneurs et entrepreneuses"; a cohort may be women only
    (Sunucoop in Pantin: nine women)."""
    municipal_orders_eur_per_cohort: Eur = 15_000.0
    bridging_gain_per_month: Annotated[float, Field(ge=0.0, le=10.0)] = 0.5
    cost_eur_per_cohort: Eur = 30_000.0


class ReservedProcurement(Lever):
    """Public contracts reserved for SSE enterprises (Directive 2014/24/EU art. 20, guide §2.6.1)."""

    municipal_purchasing_eur_per_year: Eur = 50_000_000.0
    reserved_share: Fraction = 0.05
    """Share of purchases offered to SSE enterprises; what they cannot deliver is bought
    from ordinary suppliers."""
    min_disadvantaged_share: Fraction = 0.3
    """Only enterprises with at least this share of disadvantaged workers may win reserved
    contracts (Directive 2014/24/EU art. 20: 30 %); the model counts as disadvantaged a
    worker without a permanent status (asylum seeker, refugee, temporary permit, undocumented)
    or below A2 in the host language (assumption: the Directive leaves the definition to
    each country)."""
    price_premium_share: Fraction = 0.1
    """What reserved contracts cost above the market price, as a share of the orders the SSE
    delivers: the lever's cost to the city (assumption: slower, less experienced suppliers)."""


class StartUpSupport(Lever):
    """Launch grants and decreasing operating subsidies for new SSE enterprises (guide §2.6.2, Diomcoop)."""

    launch_grant_eur: Eur = 25_000.0
    """Barcelona's contribution to launch Diomcoop (§2.10.2)."""
    initial_public_share: Fraction = 0.95
    share_after_three_years: Fraction = 0.40
    """Diomcoop: 95 % public funding at first, 40 % three years later, aim 0 %."""
    end_after_months: Months = 48
    new_collectives_per_year: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    """Migrant-led collectives helped to formalise each year (Diomcoop, Mamas de Grigny, Barikama)."""
    collective_size: Annotated[int, Field(ge=2, le=100)] = 12
    """Diomcoop had 17 participants."""
    clientele_months: Months = 120
    """A new collective's clientele grows from nothing to what its founders' trade sells over
    this long (street vendors' customers are not a business's; the city's market contacts,
    Barcelona Activa for Diomcoop, §2.10.2, help build it). Bounded by Diomcoop's funding
    path: of 36 to 240 months, 90 and more give both its first year's 95 % public share and
    its third year's 40 % within tolerance, 60 or fewer miss the third (``pathways evaluate
    diomcoop_first_year barcelona --scan``, ``diomcoop_third_year``); 120, inside the range."""


class ThirdPlace(Lever):
    """A third place / migration hub: free premises for SSE enterprises and a meeting place (guide §2.7)."""

    visitors_per_month: Places = 200
    bridging_ties_per_visit: Annotated[float, Field(ge=0.0, le=10.0)] = 0.5
    services_knowledge_gain: Fraction = 0.1
    cost_eur_per_month: Eur = 15_000.0


class Mentoring(Lever):
    """A mentor from the same trade for some months (guide §2.8.1, Duo for a Job: 3 of 4 mentees reach a job, internship or training)."""

    places: Places = 50
    duration_months: Months = 6
    min_age_years: Annotated[float, Field(ge=16.0, le=70.0)] = 18.0
    max_age_years: Annotated[float, Field(ge=16.0, le=70.0)] = 33.0
    """Duo for a Job's mentees are 18 to 33 (annual reports 2020 and 2021), legally resident
    job seekers (refugees, permit holders, long-term residents, citizens of migrant origin)."""
    min_language_level: Fraction = 0.33
    """Host-language level a mentee needs (0-1, 0.5 = CEFR B1): a duo is matched on the
    languages its members speak (Duo for a Job, donorinfo.be), and a job search led with a
    mentor in the host language needs some; A2 (0.33) is an assumption."""
    referral_probability: Fraction = 0.5
    """Chance that each job application of a mentee carries the mentor's referral."""
    recognition_application_boost: Fraction = 0.5
    cost_eur_per_mentee: Eur = 1_500.0

    @model_validator(mode="after")
    def _age_window(self):
        if self.min_age_years > self.max_age_years:
            raise ValueError("mentoring.min_age_years must not exceed max_age_years")
        return self


Regime = Literal["none", "oacas", "arraigo", "one_off", "prato"]


class Regularisation(Section):
    """Regularisation through work (guide §2.10), a national regime chosen per scenario.

    - ``oacas`` (France, CESEDA L435-2): 36 months of uninterrupted solidarity activity as
      a resident of an approved host organisation (``oacas_host_places``), or 60 months'
      presence + 12 months of that activity + a job promise; the prefect decides (639
      applications in 2019-2020, "the majority" approved).
    - ``arraigo`` (Spain): presence (T22: 2.8 years irregular on average) + a job contract
      or training.
    - ``one_off`` (Geneva's Opération Papyrus: nearly 3,000 regularised in under two years):
      a window with presence, work and language conditions; where the law lets employers
      declare their workers (Italy 2020, D.L. 34/2020 art. 103 c.1), the employers in
      ``one_off_employer_sectors`` file for them.
    - ``prato`` (Italy, Prato protocol): exploited workers denounce through the municipality
      with union support and get a route to status.
    """

    regime: Regime = "none"
    approval_probability: Fraction = 0.8
    application_rate_per_month: RatePerMonth = 0.2
    """Monthly chance that an eligible person applies (information, fear, paperwork)."""
    decisions_per_month: Places = 50
    """Applications the authority decides a month, for the scenario's city (assumption):
    beyond it, a queue forms, first filed first decided (Italy's 2020 programme: 207,542
    applications, about 95,000 decided by May 2023)."""
    min_processing_months: Annotated[float, Field(ge=0.0, le=120.0)] = 3.0
    """No decision comes sooner (assumption: Spain gives the administration three months to
    decide an arraigo application, silence meaning refusal)."""
    reapply_after_months: Months = 12
    """A refused applicant may apply again after this long (assumption)."""
    oacas_activity_months: Months = 36
    """Months of uninterrupted solidarity activity as a resident of an approved host
    organisation (CESEDA L435-2: "trois années d'activité ininterrompue")."""
    oacas_presence_months: Months = 60
    oacas_short_activity_months: Months = 12
    oacas_host_places: Places = 0
    """Places for the city's undocumented residents in approved host organisations
    (organismes d'accueil communautaire et d'activités solidaires, CASF L265-1, approved by
    the prefect: Emmaus communities above all). Residents are housed and in unpaid
    solidarity activity; their months there are what the ``oacas`` route counts. The places
    exist whatever the regime; only ``oacas`` makes them a route to papers."""
    oacas_host_exit_rate_per_month: RatePerMonth = 0.03
    """Monthly chance that a resident leaves the community of their own accord (assumption:
    about a third of entrants stay the three years)."""
    job_promise_probability: Fraction = 0.3
    arraigo_presence_months: Months = 36
    one_off_start_month: Annotated[int, Field(ge=-1200, le=1200)] = 12
    """The model month the window opens. Before month 0 (negative) for a run that starts
    inside a window already open (national rules, ``law.start``): people file from month 0,
    never in the warm-up, and the own-filing cut-off and the window's end count from the
    month it really opened."""
    one_off_window_months: Months = 24
    one_off_presence_months: Months = 60
    one_off_min_language: Fraction = 0.33
    one_off_employer_sectors: Annotated[list[str], Field(max_length=10)] = []
    """Sectors whose employers may declare an undocumented worker they employ off the books
    during the window, filing and paying for the application themselves (D.L. 34/2020 art.
    103 c.1: agriculture, and domestic and personal-care work); none: only people file."""
    one_off_employer_fee_eur: Eur = 0.0
    """What the employer pays the State with each declaration (art. 103 c.7: EUR 500 a worker)."""
    one_off_own_filing_lapsed_within_months: Months | None = None
    """Who may file their own application in the window: None, anyone who meets its conditions
    (Papyrus); a number, only those whose papers lapsed at most this many months before it
    opened (art. 103 c.2: a permit expired after 31 October 2019, seven months before 1 June 2020)."""
    application_fee_eur: Eur = 0.0
    """What a person filing their own application pays the State (art. 103 c.7: EUR 130 for a
    comma 2 request)."""
    prato_denunciation_rate_per_month: RatePerMonth = 0.02
    prato_union_multiplier: Annotated[float, Field(ge=1.0, le=20.0)] = 3.0
    prato_employer_sanction_probability: Fraction = 0.01
    """Chance that a denounced employer is sanctioned and stops hiring undeclared labour."""


class OacasHostSupport(Lever):
    """The city funds extra places in an approved host organisation (OACAS, CASF L265-1: an
    Emmaus community), each housing an undocumented resident in solidarity activity. It
    cannot give papers: after three years' activity there, the prefect decides (CESEDA
    L435-2)."""

    places: Places = 50
    """Places the city funds, held over the run (assumption: one community; the Emmaus
    community of the Cher houses 58 compagnons)."""
    cost_eur_per_place_per_month: Eur = 720.0
    """What the city pays for each of its places in use, a month (assumption: housing and
    reception in a French CHRS cost EUR 8,600 a year a place, Sénat, avis n° 141, 2019; the
    community's own sales feed its residents)."""


class RegularisationAdvice(Lever):
    """A municipal legal-advice service on the national regularisation route (Barcelona's
    SAIER). It cannot give papers: an advised person who meets the route's conditions files
    sooner, and the national authority decides."""

    clients_per_month: Places = 100
    """Undocumented people advised a month, each once (assumption)."""
    advised_application_rate_per_month: RatePerMonth = 0.5
    """Monthly chance that an advised person who meets the route's conditions applies,
    instead of ``regularisation.application_rate_per_month`` (assumption: advice removes the
    information and paperwork barriers, not fear)."""
    cost_eur_per_client: Eur = 150.0
    """EUR per person advised (assumption: about three hours of a legal adviser)."""


class UnionContactPoints(Lever):
    """Trade-union contact points informing migrants of their rights (UnionMigrantNet: 186 points in 16 countries; guide §2.2)."""

    contact_points: Annotated[int, Field(ge=0, le=1000)] = 2
    contacts_per_point_per_month: Places = 40
    services_knowledge_gain: Fraction = 0.3
    exploitation_exit_probability: Fraction = 0.3
    """Chance that an informed exploited worker leaves or contests the exploitative job."""
    sse_support_cash_eur_per_month: Eur = 500.0
    """Union support to each SSE enterprise (guide §2.2 partnerships), from the union's own funds."""
    cost_eur_per_point_per_month: Eur = 2_500.0
    """Running cost of a contact point paid by the city that funds it: a half-time advisor
    and a room (assumption)."""


class MunicipalIdCard(Lever):
    """A municipal identity card open to all residents, documents or not (guide §2.1.1.3)."""

    uptake_rate_per_month: RatePerMonth = 0.1
    services_knowledge_gain: Fraction = 0.3
    exploitation_reduction: Fraction = 0.3
    """Share of exploitative undeclared jobs that card holders avoid (they can report abuse)."""
    readiness_recovery_factor: Annotated[float, Field(ge=1.0, le=5.0)] = 1.5
    cost_eur_per_card: Eur = 30.0


class AntiDiscrimination(Lever):
    """Anti-discrimination clauses in public contracts, checked by testing (guide §2.6.1, Ghent)."""

    covered_employer_share: Fraction = 0.3
    discrimination_reduction_logit: Annotated[float, Field(ge=0.0, le=20.0)] = 0.5
    cost_eur_per_month: Eur = 5_000.0


class SSEEconomy(Section):
    """How SSE enterprises earn, spend and survive (guide §2.6.2, §4). Assumptions unless stated."""

    market_sales_eur_per_worker_month: Eur = 1_500.0
    """Sales per worker at full productivity; scaled by the workers' language and bridging ties."""
    member_pay_eur_per_month: EurPerMonth = 1_300.0
    fixed_costs_eur_per_month: Eur = 3_000.0
    """Rent and running costs; zero for enterprises housed in a third place."""
    donations_eur_per_month: Eur = 300.0
    initial_cash_eur: Eur = 10_000.0
    cash_reserve_months: Annotated[float, Field(ge=0.0, le=120.0)] = 6.0
    """Cash an enterprise keeps, in months of costs; a surplus beyond it is distributed to
    its paid workers (a cooperative's return to members; assumption)."""
    self_employment_contribution_share: Fraction = 0.22
    """Share of a self-employed worker's sales that goes to social contributions and costs
    (France's micro-entrepreneur rate for services, about 22 %; used for every country, assumption)."""
    founder_exit_rate_per_month: RatePerMonth = 0.01
    """Monthly chance the founder leaves; the enterprise then closes with its founder dependence (§4)."""
    max_members: Annotated[int, Field(ge=1, le=1000)] = 20
    bridging_gain_per_month: Annotated[float, Field(ge=0.0, le=10.0)] = 0.3
    language_gain_per_month: Fraction = 0.006
    existing_enterprises: Annotated[int, Field(ge=0, le=10_000)] = 0
    """SSE cooperatives already in the city when the run starts (part of the baseline)."""


class Policies(Section):
    """The municipal and national levers of a scenario."""

    one_stop_shop: OneStopShop = OneStopShop()
    integrated_training: IntegratedTraining = IntegratedTraining()
    sse_transitional_jobs: SSETransitionalJobs = SSETransitionalJobs()
    ephemeral_cooperatives: EphemeralCooperatives = EphemeralCooperatives()
    reserved_procurement: ReservedProcurement = ReservedProcurement()
    start_up_support: StartUpSupport = StartUpSupport()
    third_place: ThirdPlace = ThirdPlace()
    mentoring: Mentoring = Mentoring()
    regularisation: Regularisation = Regularisation()
    oacas_host_support: OacasHostSupport = OacasHostSupport()
    regularisation_advice: RegularisationAdvice = RegularisationAdvice()
    union_contact_points: UnionContactPoints = UnionContactPoints()
    municipal_id_card: MunicipalIdCard = MunicipalIdCard()
    anti_discrimination: AntiDiscrimination = AntiDiscrimination()
    policy_budget_eur_per_year: Eur = 1e12
    """Cap on the municipality's yearly spending on the levers: once reached, no lever admits new participants that year."""
    extensions: dict[str, SerializeAsAny[Lever]] = {}
    """Parameters of levers registered by plugins (``sim.scenario.extensions``), by lever name."""

    @field_validator("extensions", mode="before")
    @classmethod
    def _registered_extensions(cls, value):
        """Each table must name a registered extension lever and pass its parameter class."""
        if not isinstance(value, dict):
            return value
        typed = {}
        for name, table in value.items():
            parameters = parameters_of(str(name))
            if isinstance(table, parameters):
                typed[name] = table
                continue
            try:
                typed[name] = parameters.model_validate(table)
            except ValidationError as exc:
                error = exc.errors()[0]
                where = ".".join(str(part) for part in (name, *error["loc"]))
                raise ValueError(f"{where}: {error['msg'].lower()}") from None
        return typed

    @model_validator(mode="after")
    def _advice_speeds_applications(self):
        advice = self.regularisation_advice
        if advice.enabled and advice.advised_application_rate_per_month < self.regularisation.application_rate_per_month:
            raise ValueError("regularisation_advice.advised_application_rate_per_month must not be below "
                             "regularisation.application_rate_per_month (advice does not deter applications)")
        return self

    @model_validator(mode="after")
    def _start_up_schedule(self):
        s = self.start_up_support
        if s.share_after_three_years > s.initial_public_share:
            raise ValueError("start_up_support.share_after_three_years must not exceed initial_public_share")
        return self
