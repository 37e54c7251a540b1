# datagen-lti: the two commands the README promises are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# sdv depends on torch, and from PyPI alone pip picks the CUDA build (a .venv of
# about 6 GB). Where pip reaches only PyPI, install the CPU build first:
#   make run TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# (The development machines' pip configuration serves the CPU build locally.)
TORCH_INDEX_URL ?=
TORCH_PIN := $(shell grep -E '^torch==' requirements.txt)

.PHONY: install install-runtime run setup worker test test-heavy lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

define pip_install
	@echo "== Installing $(1) into $(VENV): about 500 MB of wheels the first time, 1 to 5"
	@echo "   minutes depending on the network (later runs skip this). pip's log follows."
	$(if $(TORCH_INDEX_URL),$(BIN)/pip install "$(TORCH_PIN)" --index-url $(TORCH_INDEX_URL))
	$(BIN)/pip install -r $(1)
endef

# The web application and the worker.
$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(call pip_install,requirements.txt)
	touch $@

# Plus the test and lint tools (requirements-dev.txt includes requirements.txt).
$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(call pip_install,requirements-dev.txt)
	touch $(VENV)/.installed-runtime $@

install-runtime: $(VENV)/.installed-runtime ## Create .venv with what the tool needs to run

install: $(VENV)/.installed-dev ## Create .venv with the tool, the tests and the linters

setup: install-runtime ## Create the database, the cache table and the demo LMS registration
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	DATAGEN_DEMO_MODE=1 $(BIN)/python manage.py demo_setup --base-url http://$(HOST):$(PORT)

run: setup ## Run on embedded defaults (SQLite, inline jobs, local files, demo LMS) at http://127.0.0.1:8000/
	@echo "datagen-lti is starting at http://$(HOST):$(PORT)/  (Demo LMS: http://$(HOST):$(PORT)/demo/)"
	DATAGEN_DEMO_MODE=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install-runtime ## Process the job queues (needs REDIS_URL)
	$(BIN)/python manage.py rqworker default generation grades --with-scheduler

# One pytest-xdist worker per core (at most 4); TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto
PYTEST_XDIST := -n $(TEST_WORKERS) --maxprocesses 4 --dist loadgroup

test: install ## Run the test suite but the heavy runs (PostgreSQL/Redis tests skip without them, fail when CI=true)
	$(BIN)/python -m pytest $(PYTEST_XDIST) -m "not heavy"

test-heavy: install ## The long property, fuzz and load runs that `make test` leaves out (CI runs both)
	$(BIN)/python -m pytest $(PYTEST_XDIST) -m heavy

lint: install ## ruff (lint and format check), the import layering contracts and the migrations check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## Generation, export, grading, drafting fidelity and reference-fitting benchmarks (ratios against baselines measured in the same run)
	$(BIN)/python benchmarks/generate.py
	$(BIN)/python benchmarks/export.py
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/fidelity.py --learners 20
	$(BIN)/python benchmarks/reference.py

clean:
	rm -rf var/test-db.sqlite3 .pytest_cache .ruff_cache
