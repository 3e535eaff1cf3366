"""Value types shared by the scenario schema: units and ranges in one place."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
"""A share or a probability, 0 to 1."""
RatePerMonth = Annotated[float, Field(ge=0.0, le=1.0)]
"""A monthly hazard: the probability that the event happens in a given month."""
Months = Annotated[float, Field(gt=0.0, le=600.0)]
NonNegative = Annotated[float, Field(ge=0.0, le=1e9)]
EurPerMonth = Annotated[float, Field(ge=0.0, le=100_000.0)]
Logit = Annotated[float, Field(ge=-20.0, le=20.0)]
"""An effect on the log-odds of an event."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True,
                              use_attribute_docstrings=True)
