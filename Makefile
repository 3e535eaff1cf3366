# The two commands of the README: `make run` (the main job) and `make test`.
# Both set everything up first (a .venv with Python >= 3.12 and the project installed).

VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test bench setup clean

$(STAMP): pyproject.toml scripts/setup-venv.sh
	bash scripts/setup-venv.sh
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/pathways run liege/baseline --months 120 --seed 1

# The storage tests run against SQLite and a real PostgreSQL server on loopback, which
# scripts/test-postgres.sh installs (Debian package) and starts when needed.
test: $(STAMP)
	PATHWAYS_TEST_POSTGRES_URL=$${PATHWAYS_TEST_POSTGRES_URL:-$$(bash scripts/test-postgres.sh)} $(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/scale.py
	$(VENV)/bin/python benchmarks/compare.py

clean:
	rm -rf $(VENV) .pytest_cache
