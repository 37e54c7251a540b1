# datagen-lti: the two commands the README promises are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run setup worker test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned requirements

setup: install ## Create the database, the cache table and the demo LMS registration
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	DATAGEN_DEMO_MODE=1 $(BIN)/python manage.py demo_setup --base-url http://$(HOST):$(PORT)

run: setup ## Run on embedded defaults (SQLite, inline jobs, local files, demo LMS) at http://127.0.0.1:8000/
	@echo "datagen-lti is starting at http://$(HOST):$(PORT)/  (Demo LMS: http://$(HOST):$(PORT)/demo/)"
	DATAGEN_DEMO_MODE=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install ## Process the job queues (needs REDIS_URL)
	$(BIN)/python manage.py rqworker default generation grades --with-scheduler

test: install ## Run the test suite (PostgreSQL/Redis tests skip without them, fail when CI=true)
	$(BIN)/python -m pytest

lint: install ## ruff (lint and format check) and the migrations check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## Generation, export and grading benchmarks (ratios against baselines measured in the same run)
	$(BIN)/python benchmarks/generate.py
	$(BIN)/python benchmarks/export.py
	$(BIN)/python benchmarks/grading.py

clean:
	rm -rf var/test-db.sqlite3 .pytest_cache .ruff_cache
