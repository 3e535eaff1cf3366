"""Shared fixtures: small models that run in well under a second."""

import pytest

from tests.helpers import small_model


@pytest.fixture(scope="session")
def liege_run():
    """Liège at reduced size, 60 months: shared by the read-only tests."""
    model = small_model(migrants=4000)
    model.run(60)
    return model
