# SpineCare: `make run` starts the demo, `make test` runs the tests.
.DEFAULT_GOAL := help
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
DEMO_ENV := DEBUG=true SPINECARE_DEMO=true SPINECARE_REQUIRE_STAFF_MFA=false

# Python 3.12 or newer: on PATH, or under ~/.pyenv/versions/.
PYTHON ?= $(shell for p in python3.13 python3.12 \
	$$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: help run test bench check format clean

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.runtime: requirements.txt
	@test -n "$(PYTHON)" || { echo "SpineCare needs Python 3.12 or newer. Install python3.13 (e.g. 'pyenv install 3.13' or your package manager) and run make again."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

var:
	@mkdir -p var/mail var/broker/queue var/broker/processed var/broker/control

run: $(VENV)/.runtime var ## Install, migrate, seed the demo and start web + worker + beat
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v 0
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo ""
	@echo "SpineCare demo: http://127.0.0.1:$(PORT)/   (emails land in var/mail/; Ctrl-C stops everything)"
	@echo ""
	$(DEMO_ENV) PYTHONUNBUFFERED=1 PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		$(VENV)/bin/honcho --procfile Procfile.demo start --port $(PORT)

test: $(VENV)/.dev var ## Install and run the test suite
	$(PY) -m pytest $(PYTEST_ARGS)

# `make bench` starts from an empty database each time, so runs compare.
BENCH_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/spinecare_bench)
BENCH_REDIS_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/15)
BENCH_DB := $(lastword $(subst /, ,$(BENCH_DATABASE_URL)))
BENCH_SERVER := $(patsubst %/$(BENCH_DB),%,$(BENCH_DATABASE_URL))

bench: $(VENV)/.dev ## Benchmark on PostgreSQL and Redis; writes docs/benchmarks.md
	@case "$(BENCH_DB)" in *bench*) ;; *) echo "make bench empties its database first: \
		DATABASE_URL must name one whose name contains 'bench' (or leave it unset)."; exit 1;; esac
	psql "$(BENCH_SERVER)/postgres" -q -c 'DROP DATABASE IF EXISTS "$(BENCH_DB)" WITH (FORCE)' \
		-c 'CREATE DATABASE "$(BENCH_DB)"'
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) manage.py bench $(BENCH_ARGS)

check: $(VENV)/.dev var ## Lint, formatting and migrations up to date
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.dev ## Fix lint and formatting where ruff can
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## Remove the demo data (var/) and the virtualenv
	rm -rf var $(VENV)
