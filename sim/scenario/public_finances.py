"""Scenario schema of who pays and who gains, by level of government ("who pays, who gains").

The monetised impact view (guide §3.2) counts extra taxes and contributions, social
assistance saved and lever spending. A city council wants to know which of them are its
own: in Belgium the federal state refunds most of the revenu d'intégration that the CPAS
pays, and most taxes and contributions on earnings go to the federal state and social
security. This section says, for the scenario's country and city, which level pays or
receives each item:

- ``city``: the municipality and its social-welfare centre (a Belgian CPAS); the Ville de
  Paris also exercises the département's powers;
- ``region``: regions, French départements, the Generalitat, the German Länder;
- ``national``: the national state and social security;
- ``eu``: EU funds, where a scenario co-finances a lever (for example the ESF+).

Every split is a table of shares over these four levels that adds up to 1; a level left
out has share 0. The country defaults are in the city baselines
(``scenarios/*/baseline.toml``) with their sources; ``docs/data-sources.md`` gathers them.
The split never changes the simulation, only how its costs and gains are attributed
(:mod:`sim.public_finances`).
"""

from pydantic import ValidationError, field_validator, model_validator

from sim.scenario.types import Fraction, Section

LEVELS = ("city", "region", "national", "eu")
"""Levels of government, in the order tables show them."""


class LevelShares(Section):
    """Shares of an amount by level of government; they must add up to 1."""

    city: Fraction = 0.0
    """The municipality and its social-welfare centre (CPAS)."""
    region: Fraction = 0.0
    """Regions, départements, the Generalitat, Länder."""
    national: Fraction = 0.0
    """The national state and social security."""
    eu: Fraction = 0.0
    """EU funds (ESF+, ERDF...)."""

    @model_validator(mode="after")
    def _sum_to_one(self):
        total = sum(getattr(self, level) for level in LEVELS)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares {', '.join(LEVELS)} must add up to 1 (they add up to {total:.4g})")
        return self

    def split(self, amount_eur: float) -> dict[str, float]:
        """``amount_eur`` divided between the levels."""
        return {level: getattr(self, level) * amount_eur for level in LEVELS}


CITY_PAYS = LevelShares(city=1.0)
NATIONAL = LevelShares(national=1.0)


def lever_names() -> list[str]:
    """Names of the levers whose spending a scenario may co-finance: the core levers and the
    extension levers registered by plugins."""
    from sim.scenario.extensions import PARAMETERS, PluginError, load_plugins
    from sim.scenario.policies import Lever, Policies

    try:
        load_plugins()
    except PluginError:
        pass  # a broken plugin is reported where its lever is used (policies.extensions)
    core = [name for name, field in Policies.model_fields.items()
            if isinstance(field.annotation, type) and issubclass(field.annotation, Lever)]
    return core + sorted(name for name in PARAMETERS if name not in core)


class PublicFinances(Section):
    """Who pays and who receives, by level of government (city, region, national, eu).

    The defaults say that the city pays social assistance and every lever, and that taxes
    and contributions go to the national level; the EU-27 and city baselines replace them
    with their countries' rules (sources beside each value there).
    """

    social_assistance_paid_by: LevelShares = CITY_PAYS
    """Who bears the minimum income paid to people out of work, net of refunds between
    levels (Belgium: the CPAS pays the revenu d'intégration and the federal state refunds
    55 to 70 % of it, Loi du 26 mai 2002, art. 32)."""
    refugee_social_assistance_paid_by: LevelShares | None = None
    """The same for recognised refugees where the rule differs (Belgium: 100 % refunded for
    refugees registered in the foreigners' register); none: as everyone else. The model's
    refugees' share of assistance is their share of assisted people out of work aged 20-64."""
    income_tax_share_of_public_revenue: Fraction = 0.3
    """Share of the taxes and contributions on declared earnings
    (``impact.public_revenue_share_of_formal_earnings``) that is personal income tax; the
    rest is social contributions."""
    income_tax_received_by: LevelShares = NATIONAL
    """Who receives the personal income tax on extra declared earnings, local surcharges
    included (Belgium: the municipal additional tax, Liège 8 % of the tax due)."""
    social_contributions_received_by: LevelShares = NATIONAL
    """Who receives social contributions (social security: national in every preset)."""
    lever_spending_paid_by: dict[str, LevelShares] = {}
    """Co-financing of levers' spending, by lever name (``policies.NAME``); a lever not
    named here is paid by the city. Example: ``one_stop_shop = { city = 0.5, eu = 0.5 }``
    for a one-stop shop half financed by the ESF+."""

    @field_validator("lever_spending_paid_by", mode="before")
    @classmethod
    def _known_levers(cls, value):
        """Each key must name a lever, and each table be shares by level."""
        if not isinstance(value, dict):
            return value
        allowed = lever_names()
        typed = {}
        for name, table in value.items():
            if name not in allowed:
                raise ValueError(f"unknown lever '{name}' (allowed: {', '.join(allowed)})")
            if isinstance(table, LevelShares):
                typed[name] = table
                continue
            try:
                typed[name] = LevelShares.model_validate(table)
            except ValidationError as exc:
                error = exc.errors()[0]
                where = ".".join(str(part) for part in (name, *error["loc"]))
                if error["type"] == "extra_forbidden":
                    raise ValueError(f"{where}: unknown level (allowed: {', '.join(LEVELS)})") from None
                message = error["msg"].removeprefix("Value error, ")
                raise ValueError(f"{where}: {message[:1].lower() + message[1:]}") from None
        return typed

    def lever_payers(self, item: str) -> LevelShares:
        """Who pays a spending item of the municipality's accounts (a lever's name)."""
        return self.lever_spending_paid_by.get(item, CITY_PAYS)
