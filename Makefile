# The two commands of the README: `make run` (the main job) and `make test`.
# Both set everything up first (a .venv with Python >= 3.12 and the project installed).

VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test bench audit setup clean

$(STAMP): pyproject.toml scripts/setup-venv.sh scripts/solara-assets.sh
	bash scripts/setup-venv.sh
	touch $(STAMP)

setup: $(STAMP)

# The dashboard, on 127.0.0.1:8765 (PORT=... to change) with the SQLite results database.
run: $(STAMP)
	$(VENV)/bin/pathways app --port $${PORT:-8765}

# The storage tests run against SQLite and a real PostgreSQL server on loopback, which
# scripts/test-postgres.sh installs (Debian package) and starts when needed; the dashboard
# tests drive Debian's Chromium, which scripts/setup-browser.sh installs when needed.
test: $(STAMP)
	PATHWAYS_TEST_POSTGRES_URL=$${PATHWAYS_TEST_POSTGRES_URL:-$$(bash scripts/test-postgres.sh)} \
	CHROMIUM=$$(bash scripts/setup-browser.sh) \
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/scale.py
	$(VENV)/bin/python benchmarks/compare.py
	CHROMIUM=$$(bash scripts/setup-browser.sh) $(VENV)/bin/python benchmarks/dashboard.py
	CHROMIUM=$$(bash scripts/setup-browser.sh) $(VENV)/bin/python benchmarks/load.py

# Known vulnerabilities of the installed dependencies (needs PyPI's JSON API or api.osv.dev);
# --strict fails when a package cannot be audited, rather than passing silently.
audit: $(STAMP)
	test -x .audit-venv/bin/pip-audit || ($(VENV)/bin/python -m venv .audit-venv && .audit-venv/bin/pip install --quiet pip-audit)
	$(VENV)/bin/python -m pip freeze --exclude-editable > .audit-requirements.txt
	.audit-venv/bin/pip-audit --strict --progress-spinner off -r .audit-requirements.txt

clean:
	rm -rf $(VENV) .pytest_cache
