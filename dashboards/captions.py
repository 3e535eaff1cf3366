"""Column captions of the tables the pages show: a column ``extra_people_in_work`` is
captioned ``extra people in work``, in the tab's language (``widgets.Table``)."""

from sim.locales import N_

CAPTIONS = (
    N_("asylum positive rate"), N_("below skills high"), N_("below skills low"), N_("benefit cost ratio"),
    N_("budget share"), N_("calendar month"), N_("change eur"), N_("changes"), N_("city net cost eur"),
    N_("city net cost per extra person eur"), N_("code version"), N_("cost per extra person eur"),
    N_("counterfactual eur"), N_("covered"), N_("created utc"), N_("decile"), N_("declared high"),
    N_("declared low"), N_("diff"), N_("diff high"), N_("diff low"), N_("dimension"), N_("displaced"), N_("displaced high"),
    N_("displaced low"), N_("error"),
    N_("exploited high"), N_("exploited low"), N_("extra below skills"), N_("extra exploited"),
    N_("extra in declared work"), N_("extra in work"), N_("extra lever spending eur"),
    N_("extra people in work"), N_("extra public revenue eur"), N_("extra revenue eur"),
    N_("extra spending eur"), N_("extra working poor"), N_("field"), N_("first permits education"),
    N_("first permits family"), N_("first permits remunerated"), N_("first time asylum applicants"),
    N_("fitted"), N_("group"), N_("high"), N_("id"), N_("in declared work at end"), N_("in force"),
    N_("in the model"), N_("indicator"), N_("kind"), N_("label"), N_("level"), N_("lever"), N_("low"),
    N_("mean"), N_("month"), N_("name"), N_("net benefit eur"), N_("net extra in declared work"),
    N_("net high"), N_("net low"), N_("newcomers per month"), N_("not additional"), N_("note"), N_("number"),
    N_("objective"), N_("openings scale"), N_("p5"), N_("p95"), N_("package"), N_("pairs"),
    N_("participants"), N_("people"), N_("placements"), N_("published"), N_("recognition rate"), N_("rule"),
    N_("runs"), N_("runs done"), N_("runs failed"), N_("scenario"), N_("scenarios"), N_("series"),
    N_("share asylum"), N_("share family"), N_("share study"), N_("share work"), N_("simulated"),
    N_("social assistance saved eur"), N_("source"), N_("tolerance"), N_("topic"), N_("unit"), N_("value"),
    N_("verified"), N_("why missed"), N_("within tolerance"), N_("working poor high"), N_("working poor low"),
    N_("year"),
)

LEVERS = {
    "one_stop_shop": (N_("One-stop shop"), N_(
        "One office where newcomers find every service they need: papers, language courses, jobs, housing advice.")),
    "integrated_training": (N_("Integrated training"), N_(
        "People learn the language while they learn a trade, instead of waiting to finish language classes first.")),
    "sse_transitional_jobs": (N_("Transitional jobs"), N_(
        "Paid jobs for a limited time in social enterprises, as a first step towards an ordinary job.")),
    "ephemeral_cooperatives": (N_("Ephemeral cooperatives"), N_(
        "Groups who try out a trade together as a small cooperative for a few months, with support.")),
    "reserved_procurement": (N_("Reserved public contracts"), N_(
        "The city keeps some of its purchases for social-economy enterprises that hire disadvantaged people.")),
    "start_up_support": (N_("Start-up support"), N_(
        "A launch grant and a shrinking subsidy for new social-economy enterprises founded by migrants.")),
    "third_place": (N_("Third place"), N_(
        "Free premises for social enterprises and a meeting place where migrants and locals get to know each other.")),
    "mentoring": (N_("Mentoring"), N_(
        "A volunteer from the same trade meets a newcomer regularly for some months and opens their network.")),
    "regularisation": (N_("Regularisation through work"), N_(
        "People without papers can obtain a permit through a job, under a national scheme the scenario names.")),
    "oacas_host_support": (N_("Host organisations"), N_(
        "The city pays for more places in approved host organisations, where people without papers live and work "
        "with solidarity, which can lead to a permit.")),
    "regularisation_advice": (N_("Regularisation advice"), N_(
        "A free legal advice service that helps people without papers apply for the national regularisation route.")),
    "union_contact_points": (N_("Union contact points"), N_(
        "Trade-union offices that tell migrants about their rights at work and help them against exploitation.")),
    "municipal_id_card": (N_("Municipal identity card"), N_(
        "A city identity card for every resident, with or without papers, to open doors to services.")),
    "anti_discrimination": (N_("Anti-discrimination clauses"), N_(
        "Public contracts require employers not to discriminate, and the city checks it with testing.")),
    "budget": (N_("Budget"), N_("The most the city spends on these measures in a year.")),
}
"""Each lever's name and a sentence for city staff, in plain words (the scenario editor)."""
