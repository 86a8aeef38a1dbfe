# make run   – the whole stack on a laptop (web, Celery worker, Celery beat)
# make test  – the whole test suite
# make bench – every benchmark in bench/, one JSON line each
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: setup run test bench lint format clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	touch $@

# The admin's links (and the demo site's address) where make run serves.
run: export WAGTAILADMIN_BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py ensure_admin
	PORT=$(PORT) $(PY) manage.py runstack

# The tests' services (database, Redis, Chromium) are set up, or the one
# command that would set them up is named, by scripts/test-environment.sh.
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py makemigrations --check --dry-run
	PYTHON=$(PY) scripts/test-environment.sh $(VENV)/bin/pytest

bench: setup
	@set -e; for script in bench/*.py; do echo "== $$script"; $(PY) $$script; done

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var static
