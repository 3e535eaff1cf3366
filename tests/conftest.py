"""Shared fixtures: small models that run in well under a second."""

import os

import pytest

from tests.helpers import small_model


@pytest.fixture(scope="session")
def liege_run():
    """Liège at reduced size, 60 months: shared by the read-only tests."""
    model = small_model(migrants=4000)
    model.run(60)
    return model


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A fresh results database: a SQLite file, or the test PostgreSQL server that
    `make test` starts (scripts/test-postgres.sh) and names in PATHWAYS_TEST_POSTGRES_URL."""
    from sqlmodel import SQLModel

    from sim.experiments import store

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/results.db"
    url = os.environ.get("PATHWAYS_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("PATHWAYS_TEST_POSTGRES_URL is not set: run the tests with `make test`, which starts PostgreSQL")
    SQLModel.metadata.drop_all(store.connect(url))
    return url
