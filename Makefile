# Tandem: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
TANDEM_TEST_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/test
TEST_SECRET := test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz
TEST_ENV := SECRET_KEY=$(TEST_SECRET) SECURE_SSL_REDIRECT=0 TANDEM_BASE_URL=http://testserver TANDEM_POSTAL_ADDRESS="Test Co, 1 Test Street"
RUN_ENV := DEBUG=1 TANDEM_ADMIN_MFA_REQUIRED=0 TANDEM_POSTAL_ADDRESS="Tandem Demo Inc., 1 Main Street, Springfield"

.PHONY: install run test lint test-sqlite test-postgres bench bench-marketing bench-pages screenshots clean cluster cluster-stop

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 12), "Tandem needs Python 3.12, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(VENV)/.installed

run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py demo --size small --if-empty
	@echo
	@echo "Tandem is at http://127.0.0.1:8000  (password for every demo login: tandem-demo)"
	@echo "  admin: admin   marketing manager: maria   marketer: marketer   sales manager: sam   sales rep: rita"
	@echo
	@echo "  demo form: http://127.0.0.1:8000/f/demo-contact-us/   (campaign email is printed here)"
	@echo
	$(RUN_ENV) $(PY) manage.py sweeps >/dev/null
	$(RUN_ENV) $(PY) manage.py db_worker --no-reload -v0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test-sqlite: install
	$(TEST_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(PY) -m pytest

test-postgres: install
	@mkdir -p var; rm -f var/postgres-tested
	@if $(PY) -c "import psycopg, sys; psycopg.connect('$(TANDEM_TEST_POSTGRES)', connect_timeout=3).close()" 2>/dev/null; then \
	  $(TEST_ENV) DATABASE_URL=$(TANDEM_TEST_POSTGRES) $(PY) -m pytest && echo ok > var/postgres-tested; \
	else echo "PostgreSQL not reachable at $(TANDEM_TEST_POSTGRES): skipped"; fi

test: lint test-sqlite test-postgres

bench: install
	$(PY) bench/run.py

bench-marketing: install
	$(PY) bench/forms_load.py
	$(PY) bench/campaign_send.py

# The main pages' server time against a bare endpoint, and first-load bytes, on the small demo.
bench-pages: install
	$(RUN_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/shots.sqlite3 $(PY) manage.py migrate --noinput -v0
	$(RUN_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/shots.sqlite3 $(PY) manage.py demo --size small --if-empty >/dev/null
	DATABASE_URL=sqlite:///$(CURDIR)/var/shots.sqlite3 $(PY) bench/pages.py

# The main pages at 1440×900 and 390×844 into docs/screenshots/, from a server of its own on the
# small demo (port 8765), stopped when done.
screenshots: install
	$(RUN_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/shots.sqlite3 $(PY) manage.py migrate --noinput -v0
	$(RUN_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/shots.sqlite3 $(PY) manage.py demo --size small --if-empty >/dev/null
	$(RUN_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/shots.sqlite3 $(PY) manage.py runserver 127.0.0.1:8765 --noreload >var/shots-server.log 2>&1 & server=$$!; \
	trap 'kill $$server 2>/dev/null' EXIT INT TERM; \
	for _ in $$(seq 1 50); do curl -sf -o /dev/null http://127.0.0.1:8765/healthz && break; sleep 0.2; done; \
	SCREENSHOT_URL=http://127.0.0.1:8765 $(PY) bench/screenshots.py

# Scaled out on this machine: a PostgreSQL primary and streaming replica, Redis, N granian web
# processes behind HAProxy, M task workers (deploy/cluster.py; TANDEM_CLUSTER_WEB, TANDEM_WORKERS).
cluster: install
	$(PY) deploy/cluster.py start

cluster-stop:
	$(PY) deploy/cluster.py stop

clean:
	rm -rf $(VENV) var/*.sqlite3* var/postgres-tested
