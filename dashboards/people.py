"""A migrant's record told in words, for city staff: who they are, their papers, their work."""

from typing import Any

from sim.locales import N_, Translator, translator
from sim.mechanisms.language import A2, B1

CAME = {"work": N_("to work"), "family": N_("to join family"), "study": N_("to study"),
        "asylum": N_("to seek asylum")}
EDUCATION = {"low": N_("little schooling (ISCED 0-2)"), "medium": N_("secondary education (ISCED 3-4)"),
             "high": N_("higher education (ISCED 5-8)")}
SECTORS = (N_("agriculture"), N_("construction"), N_("manufacturing"), N_("cleaning"), N_("catering"), N_("care"),
           N_("retail logistics"), N_("professional"))
"""The shipped scenarios' sectors, as the pages name them (a scenario's own show as named)."""
STATUS = {
    "asylum_seeker": N_("Asylum seeker, waiting for a decision"),
    "refugee": N_("Recognised refugee (or subsidiary protection)"),
    "undocumented": N_("Without papers"),
    "temporary_permit": N_("Holds a temporary residence permit"),
    "long_term_resident": N_("Long-term resident"),
    "naturalised": N_("Naturalised citizen"),
}
LABOUR = {
    "not_ready": N_("Not yet ready to work: health, trauma or housing come first"),
    "searching": N_("Looking for work"),
    "language_course": N_("In a language course"),
    "integrated_training": N_("In integrated training (the language learnt with a trade)"),
    "undeclared_work": N_("Working without a contract (undeclared work)"),
    "sse_transitional_job": N_("In a transitional job in a work-integration enterprise"),
    "ephemeral_coop_member": N_("Testing a trade in an ephemeral cooperative"),
    "sse_coop_member": N_("Member of a social-economy cooperative or collective"),
    "job_matching_skills": N_("In a declared job that matches their qualification"),
    "job_below_skills": N_("In a declared job below their qualification"),
    "self_employed": N_("Self-employed"),
    "inactive": N_("Out of the labour force (care duties or study)"),
    "solidarity_activity": N_("In unpaid solidarity activity in a collective (no right to work yet)"),
}


def months(n: int, tr: Translator) -> str:
    return tr.gettext("1 month") if n == 1 else tr.gettext("{n} months").format(n=n)


def language_level(level: float, tr: Translator) -> str:
    """The host-language level on the CEFR steps the model's rules use (A2, B1)."""
    return tr.gettext("B1 or above") if level >= B1 else "A2" if level >= A2 else tr.gettext("below A2")


def situation(record: dict[str, Any], sectors: list[str], month: int, tr: Translator | None = None) -> list[str]:
    """Sentences that tell ``record`` (``CityModel.migrant``) as of ``month``, or as of the
    month they left for someone who has left; ``sectors`` names the sectors by index. In
    ``tr``'s language (English by default)."""
    tr = tr or translator("en")
    _ = tr.gettext
    at = month if record["in_city"] else record["left_month"]
    arrived = (_("{person}, {age} years old, came {reason} {months} ago.") if record["in_city"]
               else _("{person}, {age} years old, came {reason} {months} before leaving."))
    lines = [
        arrived.format(person=_("Woman") if record["sex"] == "female" else _("Man"), age=f"{record['age_years']:.0f}",
                       reason=_(CAME[record["reason"]]), months=months(record["months_in_city"], tr)),
        _("Has {education}; worked in {sector} before coming.").format(
            education=_(EDUCATION[record["education"]]), sector=_(sectors[record["origin_sector"]])),
        _("{status}, for {months}.").format(status=_(STATUS[record["status"]]),
                                            months=months(record["months_in_status"], tr)),
        _("{labour}, for {months}.").format(labour=_(LABOUR[record["labour"]]),
                                            months=months(at - record["labour_since_month"], tr)),
        _("Host language: {level}.").format(level=language_level(record["language"], tr)),
    ]
    if not record["in_city"]:
        lines.insert(0, _("Left the city in month {month}: this was their situation then.").format(
            month=record["left_month"]))
    return lines
