"""The mainstream labour market: openings, the hiring rule, job loss and deskilling (guide §1.1).

Hiring. Each month every employer opens positions (Poisson around its sector's rate per
1,000 working-age migrants). Applicants with work authorisation apply to one opening:
people whose foreign qualification is recognised and still usable apply to a *skilled*
opening in their origin sector, and, failing that, everyone applies to an *elementary*
opening in a sector drawn by ``elementary_application_weight`` — heavier for shortage
sectors, which is the ethno-stratification of the guide's §1.1. A share of graduates
(``graduate_mismatch_share``) hold a field or level with no skilled openings in the city
and apply to elementary openings only: the over-qualification nationals show too (T09).
The employer accepts with probability

    logistic(hiring_logit[level] + language_weight * min(language - requirement[level], 0)
             + referral_weight * referral - employer.discrimination_logit
             - search_duration_penalty * min(months searching / 8, 1))

where a referral comes through bridging ties (and, for elementary jobs, bonding ties).
Language counts below the job's requirement only: fluency beyond what the job needs is
no barrier to remove, so a fluent migrant and a national meet the same employer.
Employers read a long search as a signal: the chance of a callback falls with the months
a job seeker has been searching, most of the fall within the first eight (Kroft, Lange and
Notowidigdo, QJE 2013, a field experiment with 12,000 résumés), which the penalty follows;
people applying from a job carry none. It is what makes searches last a year (T12).
An opening is filled once: when several accepted applicants hit the same opening, one is
taken, so openings bind when applicants are many. Highly educated people in elementary
jobs are over-qualified, and their unused qualification decays.
"""

from typing import TYPE_CHECKING

import numpy as np

from sim import draws
from sim.agents import employer_table
from sim.mechanisms import earnings
from sim.mechanisms.jobs import leave_job, take_job
from sim.mechanisms.networks import referral
from sim.mechanisms.work_authorisation import work_authorised
from sim.population import NO_MONTH, Population, multiply_where
from sim.states import IS_MAINSTREAM_JOB, N_LABOUR, Education, JobLevel, LabourState, RecognitionState

if TYPE_CHECKING:
    from sim.model import CityModel

# Codes as NumPy scalars: NumPy reads an IntEnum member as a generic Python object and
# widens a whole int8 column to compare with it, ten times slower than with these.
SEARCHING = np.int8(LabourState.SEARCHING)
UNDECLARED_WORK = np.int8(LabourState.UNDECLARED_WORK)
JOB_BELOW_SKILLS = np.int8(LabourState.JOB_BELOW_SKILLS)
MEDIUM, LOW = np.int8(Education.MEDIUM), np.int8(Education.LOW)
RECOGNISED = np.int8(RecognitionState.RECOGNISED)
DURATION_DEPENDENCE_MONTHS = 8
"""Months of search over which employers' callbacks fall, most of the fall (Kroft, Lange and
Notowidigdo 2013); the penalty is flat beyond."""


def skilled_eligible(model: "CityModel", rows: np.ndarray) -> np.ndarray:
    """Whose qualification opens skilled positions: recognised, in demand here, and not
    decayed below the threshold."""
    pop = model.pop
    eligible = pop.education[rows] >= MEDIUM
    eligible &= pop.recognition[rows] == RECOGNISED
    eligible &= ~pop.field_mismatch[rows]
    eligible &= pop.skill[rows] >= model.params.recognition.skill_threshold
    return eligible


def graduate_mismatch(model: "CityModel", education: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Which of these people are graduates whose field or level finds no skilled openings in
    the city (``labour_market.graduate_mismatch_share``; structural, so drawn once for life)."""
    share = model.params.labour_market.graduate_mismatch_share
    return (education == Education.HIGH) & draws.happens(rng, share, education.size)


def job_loss(model: "CityModel", rng: np.random.Generator) -> None:
    """Declared jobs end at ``labour_market.job_loss_rate_per_month`` (temporary contracts:
    23 % of non-EU employees, target T10); undeclared ones at
    ``undeclared.job_loss_rate_per_month``. SSE places end with their programme or
    enterprise, businesses as ``self_employment.business_closures`` says."""
    rate = np.zeros(N_LABOUR, dtype=np.float32)
    rate[IS_MAINSTREAM_JOB] = model.params.labour_market.job_loss_rate_per_month
    rate[LabourState.UNDECLARED_WORK] = model.params.undeclared.job_loss_rate_per_month
    leave_job(model, draws.chosen_by_category(rng, rate, model.pop.labour))


PARTNER_PROGRAMMES = ("integrated_training", "sse_transitional_jobs")
"""Programmes whose graduates get priority on their partner employers' openings (the
``partner_programme`` column holds the position in this tuple)."""


def give_partner_priority(model: "CityModel", rows: np.ndarray, programme: str, months: float) -> None:
    """Graduates of ``programme`` apply with the programme's referral to the elementary
    openings of its sector for ``months``, and are taken first at an opening (guide §2.8:
    the springboard; 0: none).

    A partner employer gives graduates priority on openings it has anyway: it opens none
    for them, so every placement takes an opening someone else could have had.
    """
    pop = model.pop
    pop.partner_programme[rows] = PARTNER_PROGRAMMES.index(programme)
    pop.partner_priority_until_month[rows] = model.month + int(round(months)) - 1  # 0 months: none


def formal_hiring(model: "CityModel", rng: np.random.Generator) -> None:
    """Match authorised applicants to this month's openings (module docstring).

    Order: skilled openings, then everyone else on elementary openings, programme graduates
    with partner priority to their programme's sector, taken first at an opening. Each
    applicant makes one elementary application a month.
    """
    pop = model.pop
    labour = pop.labour
    # One pass for the three states, then split: the same sorted rows as one pass each.
    # np.compress(mask, a) is a[mask], four to five times faster on long arrays.
    in_market = labour == SEARCHING
    in_market |= labour == UNDECLARED_WORK
    in_market |= labour == JOB_BELOW_SKILLS
    rows = np.flatnonzero(in_market)
    below = labour[rows] == JOB_BELOW_SKILLS
    looking, on_the_job = np.compress(~below, rows), np.compress(below, rows)
    looking = np.compress(work_authorised(model, looking), looking)
    candidates = np.concatenate([looking, on_the_job])
    skilled = np.compress(skilled_eligible(model, candidates), candidates)
    hired = _fill_openings(model, rng, skilled, JobLevel.SKILLED, sector_of=pop.origin_sector[skilled])
    hired_now = np.zeros(pop.slots, dtype=bool)
    hired_now[hired] = True
    elementary = np.compress(~hired_now[looking], looking)
    with_priority = pop.partner_priority_until_month[elementary] >= model.month
    graduates, elementary = elementary[with_priority], elementary[~with_priority]
    weights = np.array([s.elementary_application_weight for s in model.sectors], dtype=float)
    sector_of = draws.categorical(rng, weights / weights.sum(), elementary.size)
    if model.params.policies.mentoring.enabled:
        # A mentor from the applicant's own trade opens doors there (guide §2.8.1).
        mentee = pop.mentored_until_month[elementary] >= model.month
        sector_of[mentee] = pop.origin_sector[elementary[mentee]]
    if graduates.size == 0:
        _fill_openings(model, rng, elementary, JobLevel.ELEMENTARY, sector_of=sector_of)
        return
    # Graduates apply, with the referral, to their programme's sector, in the same round
    # as everyone else: at an opening several accepted applicants hit, a graduate is taken.
    programme = pop.partner_programme[graduates]
    sector = np.array([model.sector_index(getattr(model.params.policies, name).sector) for name in PARTNER_PROGRAMMES])
    applicants = np.concatenate([graduates, elementary])
    priority = np.arange(applicants.size) < graduates.size
    hired = _fill_openings(model, rng, applicants, JobLevel.ELEMENTARY,
                           sector_of=np.concatenate([sector[programme], sector_of]), priority=priority)
    # The graduates among the hired: others may carry an old programme's code.
    placed = hired[pop.partner_priority_until_month[hired] >= model.month]
    for code, name in enumerate(PARTNER_PROGRAMMES):
        model.programme_outcomes.placed(name, np.count_nonzero(pop.partner_programme[placed] == code))
    pop.partner_priority_until_month[placed] = NO_MONTH


def acceptance_probability(
    model: "CityModel", rng: np.random.Generator, applicants: np.ndarray, level: JobLevel,
    discrimination_logit: float | np.ndarray, vouched: np.ndarray | None = None,
) -> np.ndarray:
    """The hiring rule (module docstring): the chance an employer accepts each applicant.

    ``vouched`` applicants come with a referral (a programme's partner); the others with
    one through their ties.
    """
    lm, pop = model.params.labour_market, model.pop
    skilled = level == JobLevel.SKILLED
    base = lm.hiring_logit_skilled if skilled else lm.hiring_logit_elementary
    requirement = lm.language_requirement_skilled if skilled else lm.language_requirement_elementary
    referred = referral(model, applicants, not skilled, rng)
    if vouched is not None:
        referred |= vouched
    logit = (
        base
        + lm.language_weight_logit * np.minimum(pop.language[applicants] - requirement, 0.0)
        + lm.referral_weight_logit * referred
        - discrimination_logit
    )
    if lm.search_duration_penalty_logit:
        searching = pop.labour[applicants] == SEARCHING
        months = np.where(searching, model.month - pop.labour_since_month[applicants], 0)
        logit -= lm.search_duration_penalty_logit * np.minimum(months / DURATION_DEPENDENCE_MONTHS, 1.0)
    return 1.0 / (1.0 + np.exp(-logit))


def hire_by_rule(model: "CityModel", rng: np.random.Generator, candidates: np.ndarray, positions: int,
                 discrimination_logit: float) -> np.ndarray:
    """Fill ``positions`` elementary openings of one employer outside the mainstream (an
    SSE enterprise) from ``candidates``: they apply in random order, the hiring rule
    accepts or not, and the first accepted get the positions."""
    if positions <= 0 or candidates.size == 0:
        return candidates[:0]
    order = rng.permutation(candidates)[: 20 * positions]  # enough applicants to fill them, almost always
    accept = acceptance_probability(model, rng, order, JobLevel.ELEMENTARY, discrimination_logit)
    return order[draws.happens(rng, accept, order.size)][:positions]


def _fill_openings(
    model: "CityModel", rng: np.random.Generator, applicants: np.ndarray, level: JobLevel, sector_of: np.ndarray,
    priority: np.ndarray | None = None,
) -> np.ndarray:
    """Each applicant tries one opening of the level in their sector; return who was hired.

    ``priority`` applicants (programme graduates with a partner employer) come vouched
    for and are taken first at an opening; the accepted applicant they pass there is
    counted as displaced (``_count_displaced``).
    """
    pop = model.pop
    table = employer_table(model)
    skilled = level == JobLevel.SKILLED
    # All openings of the level, as one list of slots grouped by sector.
    employer_sector = table.sector
    openings = table.openings[:, level]  # a view: filling an opening writes through
    by_sector = np.argsort(employer_sector, kind="stable")
    slots = np.repeat(by_sector, openings[by_sector])
    per_sector = np.bincount(employer_sector[slots], minlength=len(model.sectors))
    first_slot = np.concatenate([[0], np.cumsum(per_sector)[:-1]])
    open_sector = per_sector[sector_of] > 0
    applicants = np.compress(open_sector, applicants)
    sector_of = np.compress(open_sector, sector_of)
    if priority is not None:
        priority = np.compress(open_sector, priority)
    if applicants.size == 0:
        return applicants
    slot = first_slot[sector_of] + (rng.random(applicants.size) * per_sector[sector_of]).astype(np.int64)
    employer = slots[slot]
    accept = acceptance_probability(model, rng, applicants, level, table.discrimination_logit[employer], priority)
    accepted = np.flatnonzero(draws.happens(rng, accept, applicants.size))
    # One hire per opening: among accepted applicants to the same opening, a random one,
    # a priority applicant before the others.
    order = rng.permutation(accepted)
    if priority is not None:
        order = order[np.argsort(~priority[order], kind="stable")]
    _, first = np.unique(slot[order], return_index=True)
    winners = order[first]
    if priority is not None:
        _count_displaced(model, applicants, slot, order, winners, priority)
    rows, chosen = applicants[winners], employer[winners]
    openings -= np.bincount(chosen, minlength=len(table))
    model.flows.openings_filled += rows.size
    if skilled:
        state = np.full(rows.size, LabourState.JOB_MATCHING_SKILLS, dtype=np.int8)
    else:
        state = elementary_job_state(pop, rows)
    take_job(model, rows, chosen, level, state)
    pop.exploited[rows] = False
    pay_declared(model, rows, chosen)
    return rows


def elementary_job_state(pop: Population, rows: np.ndarray) -> np.ndarray:
    """The labour state of a declared elementary job: matching the skills of people without
    a qualification, below everyone else's."""
    return np.where(pop.education[rows] == LOW, LabourState.JOB_MATCHING_SKILLS,
                    LabourState.JOB_BELOW_SKILLS).astype(np.int8)


def pay_declared(model: "CityModel", rows: np.ndarray, employers: np.ndarray) -> None:
    """Declared workers' pay at their employers (indices into the employer table): the
    sector's wage for their job level, on their own factors (``earnings.pay_factor``)."""
    pop = model.pop
    wage = np.array([[s.elementary_wage_eur_per_month, s.skilled_wage_eur_per_month] for s in model.sectors],
                    dtype=np.float32)
    level = np.clip(pop.job_level[rows], JobLevel.ELEMENTARY, JobLevel.SKILLED)
    pop.wage_eur_per_month[rows] = wage[employer_table(model).sector[employers], level] * earnings.pay_factor(
        model, rows, employers)


def pay_undeclared(model: "CityModel", rows: np.ndarray, employers: np.ndarray) -> None:
    """Undeclared workers' exploitation and pay at their employers: a share of the sector's
    elementary wage, lower at an exploitative employer, on their own factors."""
    p, table = model.params.undeclared, employer_table(model)
    exploitative = table.exploitative[employers]
    elementary_wage = np.array([s.elementary_wage_eur_per_month for s in model.sectors])[table.sector[employers]]
    share = np.where(exploitative, p.exploited_wage_share_of_elementary, p.wage_share_of_elementary)
    model.pop.wage_eur_per_month[rows] = elementary_wage * share * earnings.pay_factor(model, rows, employers)
    model.pop.exploited[rows] = exploitative


def _count_displaced(model: "CityModel", applicants: np.ndarray, slot: np.ndarray, order: np.ndarray,
                     winners: np.ndarray, priority: np.ndarray) -> None:
    """Who was passed over for a programme graduate: at each opening a graduate took, the
    accepted applicant who would have been taken had no graduate applied to it (the first
    other accepted applicant in the same random order). It says what happened at that
    opening that month, not what the city would have been without the lever (a graduate
    without priority applies elsewhere, or wins the tie anyway); counted each time, so a
    person passed over in two months counts twice. Whether they find work later shows in
    the comparison's net change."""
    pop = model.pop
    taken = winners[priority[winners]]
    others = order[~priority[order]]
    _, first = np.unique(slot[others], return_index=True)
    would_win = others[first]
    lost = np.isin(slot[would_win], slot[taken])
    if not lost.any():
        return
    displaced = applicants[would_win[lost]]
    # The programme of the graduate who took each of those openings (one per opening).
    by_slot = np.argsort(slot[taken])
    taker = taken[by_slot[np.searchsorted(slot[taken], slot[would_win[lost]], sorter=by_slot)]]
    programme = pop.partner_programme[applicants[taker]]
    for code, name in enumerate(PARTNER_PROGRAMMES):
        model.programme_outcomes.displace(model, name, displaced[programme == code])


def undeclared_hiring(model: "CityModel", rng: np.random.Generator) -> None:
    """Undeclared work (guide §1.1, §2.10.1): the default for people without a permit.

    Searchers without work authorisation find undeclared work at
    ``undeclared.job_finding_rate_per_month``, raised by each bonding tie (jobs in the
    community's niches); authorised searchers take such jobs more rarely. The employer is
    one of those hiring undeclared labour, weighted like elementary applications; if it
    is exploitative the worker is exploited and paid less.
    """
    pop, p = model.pop, model.params.undeclared
    table = employer_table(model)
    undeclared_employers = np.flatnonzero(table.hires_undeclared)
    if undeclared_employers.size == 0:
        return
    rows = np.flatnonzero(pop.labour == SEARCHING)
    rate = np.where(
        work_authorised(model, rows),
        p.authorised_job_finding_rate_per_month,
        p.job_finding_rate_per_month * (1.0 + p.bonding_tie_effect_per_tie * pop.bonding_ties[rows]),
    )
    rows = np.compress(draws.happens(rng, np.minimum(rate, 1.0), rows.size), rows)
    if rows.size == 0:
        return
    sector = table.sector[undeclared_employers]
    application_weight = np.array([s.elementary_application_weight for s in model.sectors])
    weight = application_weight[sector] * table.size_share[undeclared_employers]
    pick = draws.categorical(rng, weight / weight.sum(), rows.size)
    index = undeclared_employers[pick]
    state = np.full(rows.size, LabourState.UNDECLARED_WORK, dtype=np.int8)
    take_job(model, rows, index, JobLevel.ELEMENTARY, state)
    pay_undeclared(model, rows, index)


def skill_decay(model: "CityModel", rng: np.random.Generator) -> None:
    """Qualifications unused in jobs below one's level decay (guide §1.1 'social deskilling').

    Undeclared work counts as below everyone's level; for people without a qualification
    the skill level is never used, so it needs no education test.
    """
    pop = model.pop
    below = pop.labour == JOB_BELOW_SKILLS
    below |= pop.labour == UNDECLARED_WORK
    multiply_where(pop.skill, below, 1.0 - model.params.recognition.skill_decay_rate_per_month)
