# The README's commands. `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app deliberation
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 5000
# The address in the links of e-mail and SMS (the scheduler's too); none when serving on every interface.
SITE_URL ?= $(if $(filter 0.0.0.0 ::,$(HOST)),,http://$(HOST):$(PORT))

.PHONY: run test test-sqlite test-postgres bench lint translations system-packages services clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --use-fuzzy -d translations -D messages >/dev/null

run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	@echo "Serving at http://$(HOST):$(PORT)/ — press Ctrl-C to stop."
	@SITE_URL="$(SITE_URL)" FLASK="$(FLASK)" scripts/jobs-beside.sh $$PPID &
	SITE_URL="$(SITE_URL)" MALLOC_ARENA_MAX=2 GUNICORN_BIND=$(HOST):$(PORT) GUNICORN_WORKERS=2 $(BIN)/gunicorn -c deploy/gunicorn.conf.py 'deliberation:create_app()'

system-packages:
	@scripts/system-packages.sh

services:
	@scripts/services.sh

# Independent tests run in parallel, one pytest-xdist worker per core, each worker with a database
# of its own; a file's tests stay together on one worker (its module fixtures are built once).
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=10

# Both passes run whatever the first one gives; the target fails at the end if either failed.
test: system-packages $(VENV)/.installed-test translations services
	@sqlite=0; postgres=0; started=$$(date +%s); \
	$(MAKE) --no-print-directory test-sqlite || sqlite=$$?; \
	$(MAKE) --no-print-directory test-postgres || postgres=$$?; \
	echo "== SQLite pass: $$([ $$sqlite = 0 ] && echo passed || echo FAILED)," \
	     "PostgreSQL pass: $$([ $$postgres = 0 ] && echo passed || echo FAILED)," \
	     "$$(( ($$(date +%s) - started) / 60 )) min =="; \
	[ $$sqlite = 0 ] && [ $$postgres = 0 ]

test-sqlite: $(VENV)/.installed-test translations
	@echo "== SQLite: unit, integration and Chromium (e2e) tests =="
	TEST_DATABASE_URL= TEST_REDIS_URL=$(TEST_REDIS_URL) $(PYTEST) tests e2e

test-postgres: $(VENV)/.installed-test translations
	@echo "== PostgreSQL: the database-facing tests again on $(TEST_DATABASE_URL) =="
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(PYTEST) tests

bench: system-packages $(VENV)/.installed-test translations services
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check deliberation tests e2e bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# After changing visible strings: extract them and merge into the catalogues, then translate.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output . >/dev/null
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l en --no-fuzzy-matching --ignore-obsolete >/dev/null
