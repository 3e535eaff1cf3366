"""A migrant's record told in words, for city staff: who they are, their papers, their work."""

from typing import Any

from sim.mechanisms.language import A2, B1

CAME = {"work": "to work", "family": "to join family", "study": "to study", "asylum": "to seek asylum"}
EDUCATION = {"low": "little schooling (ISCED 0-2)", "medium": "secondary education (ISCED 3-4)",
             "high": "higher education (ISCED 5-8)"}
STATUS = {
    "asylum_seeker": "Asylum seeker, waiting for a decision",
    "refugee": "Recognised refugee (or subsidiary protection)",
    "undocumented": "Without papers",
    "temporary_permit": "Holds a temporary residence permit",
    "long_term_resident": "Long-term resident",
    "naturalised": "Naturalised citizen",
}
LABOUR = {
    "not_ready": "Not yet ready to work: health, trauma or housing come first",
    "searching": "Looking for work",
    "language_course": "In a language course",
    "integrated_training": "In integrated training (the language learnt with a trade)",
    "undeclared_work": "Working without a contract (undeclared work)",
    "sse_transitional_job": "In a transitional job in a work-integration enterprise",
    "ephemeral_coop_member": "Testing a trade in an ephemeral cooperative",
    "sse_coop_member": "Member of a social-economy cooperative or collective",
    "job_matching_skills": "In a declared job that matches their qualification",
    "job_below_skills": "In a declared job below their qualification",
    "self_employed": "Self-employed",
    "inactive": "Out of the labour force (care duties or study)",
    "solidarity_activity": "In unpaid solidarity activity in a collective (no right to work yet)",
}


def months(n: int) -> str:
    return "1 month" if n == 1 else f"{n} months"


def language_level(level: float) -> str:
    """The host-language level on the CEFR steps the model's rules use (A2, B1)."""
    return "B1 or above" if level >= B1 else "A2" if level >= A2 else "below A2"


def situation(record: dict[str, Any], sectors: list[str], month: int) -> list[str]:
    """Sentences that tell ``record`` (``CityModel.migrant``) as of ``month``, or as of the
    month they left for someone who has left; ``sectors`` names the sectors by index."""
    at = month if record["in_city"] else record["left_month"]
    person = "Woman" if record["sex"] == "female" else "Man"
    lines = [
        f"{person}, {record['age_years']:.0f} years old, came {CAME[record['reason']]} "
        f"{months(record['months_in_city'])} {'ago' if record['in_city'] else 'before leaving'}.",
        f"Has {EDUCATION[record['education']]}; worked in {sectors[record['origin_sector']]} before coming.",
        f"{STATUS[record['status']]}, for {months(record['months_in_status'])}.",
        f"{LABOUR[record['labour']]}, for {months(at - record['labour_since_month'])}.",
        f"Host language: {language_level(record['language'])}.",
    ]
    if not record["in_city"]:
        lines.insert(0, f"Left the city in month {record['left_month']}: this was their situation then.")
    return lines
