"""Regularisation through work (guide §2.10), one national regime per scenario.

Regularisation is a process: each month, undocumented people who meet the regime's
conditions, and have no application pending nor one refused in the last
``reapply_after_months``, apply with ``application_rate_per_month``; the authority decides
at most ``decisions_per_month`` applications (scaled with the run), first filed first
decided, none before ``min_processing_months``; it approves with ``approval_probability``
(the French prefect decides case by case: 639 applications in 2019-2020, "the majority"
approved). While they wait, applicants go on as before (undeclared work, solidarity
activity); a pending application lapses if they get papers another way or leave.
Approval gives a temporary permit. Conditions:

- ``oacas`` (France, CESEDA L435-2): ``oacas_activity_months`` of uninterrupted solidarity
  activity as a resident of an approved host organisation (``host_organisations``; months in
  any other collective do not count); or ``oacas_presence_months`` of presence,
  ``oacas_short_activity_months`` of that activity and a job promise (``host_job_promise``).
- ``arraigo`` (Spain): ``arraigo_presence_months`` of presence and work or training with
  a contract offer (``job_promise``).
- ``one_off`` (Geneva's Opération Papyrus): during a window, ``one_off_presence_months``
  of presence, work and a basic language level. Where the law lets employers declare their
  workers (Italy 2020, D.L. 34/2020 art. 103 c.1), an employer in
  ``one_off_employer_sectors`` that employs an undocumented person off the books, and is
  willing to sign them a contract (``job_promise``), files for them at once and pays
  ``one_off_employer_fee_eur``; approval gives the permit and declares the job. The people
  who may file their own application can be limited to those whose papers lapsed shortly
  before the window, after declared work (``one_off_own_filing_lapsed_within_months``,
  art. 103 c.2: the work then, not now, is the condition).
- ``prato`` (Prato protocol): exploited workers denounce their situation through the
  municipality, more often when a union has reached them; each denunciation is decided at
  once, outside the queue (the protocol's cases are few); approval gives a permit, ends
  the exploitative job and refers them to the municipality's services, and a denounced
  employer is sanctioned with ``prato_employer_sanction_probability``: it stops hiring
  undeclared labour and its undeclared jobs end.

Whether an eligible person applies this month is drawn per person and month, keyed
(``draws.keyed_uniform``): someone advised by the city's advice service
(``regularisation_advice``), who applies at a higher rate, applies whenever they would
have without advice, and sometimes when they would not. The lever also runs the approved
host organisations' month (``host_organisations.residence``), before the applications:
their places exist whatever the regime, only ``oacas`` counts them.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.agents import employer_table
from sim.mechanisms.jobs import leave_job, take_job
from sim.mechanisms.labour_market import elementary_job_state, pay_declared
from sim.mechanisms.legal_status import change_status
from sim.policies.host_organisations import residence
from sim.policies.programmes import IN_JOB_OR_TRAINING
from sim.population import NO_MONTH
from sim.policies.registry import LeverSpec, register
from sim.states import JobLevel, LabourState, LegalStatus

if TYPE_CHECKING:
    from sim.model import CityModel
    from sim.scenario import Scenario


def job_promise(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Who holds a job promise: people working for an employer (or an SSE enterprise) that
    is willing to sign them a contract, a share ``job_promise_probability`` of such pairs.

    Drawn once per (person, employer), keyed by both (``draws.keyed_uniform``): a promise
    lasts as long as the job, and a new employer is a new chance, not a monthly redraw.
    """
    pop = model.pop
    employer = pop.employer[rows].astype(np.int64)
    enterprise = pop.sse_enterprise[rows].astype(np.int64)
    has_one = (employer >= 0) | (enterprise >= 0)
    who = np.where(employer >= 0, employer, len(model.employers) + enterprise)
    uniform = draws.keyed_uniform(model._seed, "regularisation.job_promise", pop.person_id[rows], who)
    return has_one & (uniform < model.params.policies.regularisation.job_promise_probability)


def host_job_promise(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Which of these residents of a host organisation hold a job promise for the OACAS
    second route: a share ``job_promise_probability``, drawn once per person (keyed), as a
    promise follows a person's work, not the month."""
    uniform = draws.keyed_uniform(model._seed, "regularisation.host_job_promise", model.pop.person_id[rows])
    return uniform < model.params.policies.regularisation.job_promise_probability


def regularisations(model: "CityModel", rng: np.random.Generator) -> None:
    pop, r = model.pop, model.params.policies.regularisation
    if r.regime == "none":
        return
    if r.regime == "prato":
        _prato(model, rng)
        return
    rows = np.flatnonzero(pop.status == LegalStatus.UNDOCUMENTED)
    presence = model.month - pop.arrival_month[rows]
    if r.regime == "oacas":
        activity = pop.host_months[rows]  # -1 outside a host organisation
        eligible = activity >= r.oacas_activity_months
        short_route = (presence >= r.oacas_presence_months) & (activity >= r.oacas_short_activity_months)
        eligible[short_route] |= host_job_promise(model, rows[short_route])
    elif r.regime == "arraigo":
        # Unpaid activity in a collective counts for arraigo with the collective's contract
        # offer (Diomcoop's members regularised through it, guide §2.10.2).
        active = IN_JOB_OR_TRAINING[pop.labour[rows]] | (pop.labour[rows] == LabourState.SOLIDARITY_ACTIVITY)
        eligible = (presence >= r.arraigo_presence_months) & active & job_promise(model, rows)
    else:  # one_off
        # A window that opened before the run (``one_off_start_month`` < 0) takes filings from month 0.
        open_window = max(r.one_off_start_month, 0) <= model.month < r.one_off_start_month + r.one_off_window_months
        if not open_window:
            return
        present = presence >= r.one_off_presence_months
        free = _free_to_file(model, rows)
        _employers_declare(model, rows[present & free])
        free = _free_to_file(model, rows)  # a declared worker has an application pending
        eligible = present & (pop.language[rows] >= r.one_off_min_language)
        if r.one_off_own_filing_lapsed_within_months is None:
            eligible &= IN_JOB_OR_TRAINING[pop.labour[rows]]
        else:  # papers lapsed lately, after declared work (in any sector: the model keeps no past sector)
            eligible &= pop.status_since_month[rows] > pop.arrival_month[rows]  # undocumented after holding papers
            lapsed_since = r.one_off_start_month - r.one_off_own_filing_lapsed_within_months
            eligible &= pop.status_since_month[rows] >= lapsed_since
            eligible &= pop.first_formal_job_month[rows] != NO_MONTH
        _file(model, rows[eligible & free])
        return
    _file(model, rows[eligible & _free_to_file(model, rows)])


def _free_to_file(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Who may apply: no application pending, none refused in the last ``reapply_after_months``."""
    pop = model.pop
    wait = model.params.policies.regularisation.reapply_after_months
    free = pop.regularisation_filed_month[rows] == NO_MONTH
    free &= pop.regularisation_refused_month[rows] <= model.month - wait
    return free


def _employers_declare(model: "CityModel", rows: np.ndarray) -> None:
    """Employers in ``one_off_employer_sectors`` declare the undocumented people among ``rows``
    they employ off the books, if willing to sign them a contract (``job_promise``): they file
    at once, the window being short and the choice theirs, and pay ``one_off_employer_fee_eur``
    to the State (D.L. 34/2020 art. 103 c.1, c.7)."""
    r = model.params.policies.regularisation
    if not r.one_off_employer_sectors:
        return
    pop = model.pop
    rows = rows[(pop.labour[rows] == LabourState.UNDECLARED_WORK) & (pop.employer[rows] >= 0)]
    sectors = [model.sector_index(name) for name in r.one_off_employer_sectors]
    rows = rows[np.isin(employer_table(model).sector[pop.employer[rows]], sectors)]
    declared = rows[job_promise(model, rows)]
    pop.regularisation_filed_month[declared] = model.month
    pop.regularisation_employer[declared] = pop.employer[declared]
    model.regularisation_applications += declared.size
    model.regularisation_employer_applications += declared.size
    model.regularisation_fees_eur += declared.size * r.one_off_employer_fee_eur


def application_rate_per_month(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Each person's monthly chance to apply when eligible: ``application_rate_per_month``,
    or the advised rate for those the city's advice service has seen."""
    policies = model.params.policies
    return np.where(model.pop.regularisation_advised[rows],
                    policies.regularisation_advice.advised_application_rate_per_month,
                    policies.regularisation.application_rate_per_month)


def _file(model: "CityModel", eligible: np.ndarray) -> None:
    """Eligible people apply, each at their rate (drawn per person and month, keyed)."""
    pop = model.pop
    uniform = draws.keyed_uniform(model._seed, "regularisation.application", pop.person_id[eligible], model.month)
    applying = eligible[uniform < application_rate_per_month(model, eligible)]
    pop.regularisation_filed_month[applying] = model.month
    model.regularisation_applications += applying.size
    model.regularisation_fees_eur += applying.size * model.params.policies.regularisation.application_fee_eur


def decide_applications(model: "CityModel", rng: np.random.Generator) -> None:
    """The authority decides the month's applications, oldest first, within its capacity.

    Part of every month, whatever the regime in force: applications filed in a one-off
    window are decided after it closes (Italy's 2020 window closed after two and a half
    months; its applications took years, rules/IT.toml), with the capacity of the month
    they are decided in and the approval rate of the programme they were filed under
    (``approval_when_filed``)."""
    pop, r = model.pop, model.params.policies.regularisation
    pending = np.flatnonzero(pop.regularisation_filed_month != NO_MONTH)
    lapsed = pending[pop.status[pending] != LegalStatus.UNDOCUMENTED]  # papers another way
    pop.regularisation_filed_month[lapsed] = NO_MONTH
    pop.regularisation_employer[lapsed] = -1
    pending = pending[pop.status[pending] == LegalStatus.UNDOCUMENTED]
    ready = pending[pop.regularisation_filed_month[pending] <= model.month - r.min_processing_months]
    ready = ready[np.argsort(pop.regularisation_filed_month[ready], kind="stable")]
    decided = ready[: model.scaled(r.decisions_per_month, "regularisation.decisions")]
    approved = draws.happens(rng, approval_when_filed(model, pop.regularisation_filed_month[decided]), decided.size)
    pop.regularisation_filed_month[decided] = NO_MONTH
    pop.regularisation_refused_month[decided[~approved]] = model.month
    declaring = pop.regularisation_employer[decided[approved]]
    pop.regularisation_employer[decided] = -1
    regularise(model, decided[approved])
    _declare_jobs(model, decided[approved], declaring)


def approval_when_filed(model: "CityModel", filed_month: np.ndarray) -> np.ndarray:
    """Each application's chance of approval: the ``approval_probability`` in force the month
    it was filed. An application is decided under the programme it was filed under: Italy's
    2020 applications, decided for years after the window closed, at the share of them
    approved (rules/IT.toml regularisation_2020_approval), not at a later route's."""
    from sim.model import calendar_settings  # the model imports the levers: read the calendar at call time

    scenario = model.given_scenario
    own = scenario.policies.regularisation.approval_probability
    chance = np.full(filed_month.size, model.params.policies.regularisation.approval_probability)
    if scenario.law.start is None:
        return chance
    for month in np.unique(filed_month):
        settings = calendar_settings(scenario, int(month))
        chance[filed_month == month] = settings.get("policies.regularisation.approval_probability", own)
    return chance


def _declare_jobs(model: "CityModel", rows: np.ndarray, declaring: np.ndarray) -> None:
    """Regularised people whose employer declared them, and who still work off the books
    there, now hold that job declared (art. 103 c.1): no opening is filled, the job was
    there; pay is the declared wage. Those who left the job keep the permit alone."""
    pop = model.pop
    still = (declaring >= 0) & (pop.employer[rows] == declaring)
    still &= pop.labour[rows] == LabourState.UNDECLARED_WORK
    rows, employers = rows[still], declaring[still]
    take_job(model, rows, employers, JobLevel.ELEMENTARY, elementary_job_state(pop, rows))
    pop.exploited[rows] = False
    pay_declared(model, rows, employers)


def regularise(model: "CityModel", rows: np.ndarray) -> None:
    """A temporary permit for these people (counted as regularisations through work)."""
    change_status(model, rows, LegalStatus.TEMPORARY_PERMIT)
    model.pop.status_review_month[rows] = model.month + np.int32(round(model.params.permits.permit_duration_months))
    model.regularisations += rows.size


def _prato(model: "CityModel", rng: np.random.Generator) -> None:
    pop, r = model.pop, model.params.policies.regularisation
    exploited = np.flatnonzero(pop.exploited)
    rate = np.where(pop.union_informed[exploited], r.prato_denunciation_rate_per_month * r.prato_union_multiplier,
                    r.prato_denunciation_rate_per_month)
    denouncing = exploited[draws.happens(rng, np.minimum(rate, 1.0), exploited.size)]
    employers = np.unique(pop.employer[denouncing])
    approved = denouncing[draws.happens(rng, r.approval_probability, denouncing.size)]
    leave_job(model, approved)
    pop.one_stop_shop_month[approved] = model.month  # referred by the municipality's services
    # Denouncers who already had papers keep them; the undocumented get a permit.
    regularise(model, approved[pop.status[approved] == LegalStatus.UNDOCUMENTED])
    sanctioned = employers[draws.happens(rng, r.prato_employer_sanction_probability, employers.size)]
    for index in sanctioned:
        model.employers[index].exploitative = False
        model.employers[index].hires_undeclared = False
    # Inspection ends the undeclared jobs at sanctioned employers.
    leave_job(model, np.flatnonzero(np.isin(pop.employer, sanctioned) & (pop.labour == LabourState.UNDECLARED_WORK)))


def _enabled(params: "Scenario") -> bool:
    """A route in force, or host-organisation places to fill (the country's or the city's)."""
    policies = params.policies
    r = policies.regularisation
    return r.regime != "none" or r.oacas_host_places > 0 or policies.oacas_host_support.enabled


register(LeverSpec("regularisation", "status", (residence, regularisations), enabled=_enabled))
