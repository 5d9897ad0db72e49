# The two commands:   make book    (build the website into _build/html)
#                     make test    (run every check)
# Others: make lab (JupyterLab), make vendor (offline JS), make site-check (browser check of
# the built site), make clean, make distclean, make help.
#
# Everything installs itself into .venv on first use: requirements.txt (exact pins) and nnlib
# (pip install -e .). The install is redone only when requirements.txt or pyproject.toml
# changes (stamp file .venv/.requirements.stamp).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# The interpreter that creates .venv: python3.11 if present, else python3 (checked >= 3.11).
BOOTSTRAP_PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
STAMP := $(VENV)/.requirements.stamp
VENDOR_STAMP := _vendor/.stamp
PIP := $(PY) -m pip --disable-pip-version-check

# Notebook execution during the build (myst-nb's nb_execution_mode; applied by
# tools/book_build.py): `inline` (see _config.yml), in every build. Override on the command
# line, e.g. `make book BOOK_EXECUTE=off` for the text alone.
BOOK_EXECUTE ?= inline
TEST_EXECUTE ?= inline
# Per-cell timeout of nbval, in seconds; keep equal to execute.timeout in _config.yml.
CELL_TIMEOUT ?= 120

BUILD := _build
# make test builds a second, fresh copy here, so warnings of unchanged pages are not hidden
# by Sphinx's incremental build.
STRICT := $(BUILD)/strict
NOTEBOOKS = $(shell find chapters -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' 2>/dev/null | sort)
NBVAL = $(if $(NOTEBOOKS),--nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) $(NOTEBOOKS))
# The browser suite, in a network namespace of its own where the kernel allows it (unshare -n;
# tools/site_browser.py says which); BOOK_HTML says which built site it opens.
SITE_TESTS = $(PY) tools/site_browser.py run-offline $(PY) -m pytest -p no:cacheprovider --durations=10 tests/site/test_site.py
# `make lab` as root (containers) needs --allow-root.
ALLOW_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS ?=

.PHONY: help book test test-pytest test-book test-site lab vendor setup site-check screenshots clean distclean

help:
	@echo "make book       build the website into $(BUILD)/html and print the path of index.html"
	@echo "make test       unit tests, doctests, notebooks (nbval) and a strict book build"
	@echo "make lab        open the notebooks in JupyterLab"
	@echo "make vendor     fetch MathJax for offline pages"
	@echo "make site-check the browser tests (tests/site/test_site.py) on _build/html, network cut off"
	@echo "make screenshots one full-page PNG per page of _build/html in _build/screenshots/"
	@echo "make exercises  build the exercise sets' student notebooks and autograder zips (otter assign)"
	@echo "make grade      grade a folder of submissions into a CSV: make grade ASSIGNMENT=01_perceptron SUBMISSIONS=dir"
	@echo "make clean      remove $(BUILD) and _vendor;  make distclean  also removes $(VENV)"

# --- environment ---------------------------------------------------------------------------

$(PY):
	@if [ -z "$(BOOTSTRAP_PYTHON)" ]; then \
	  echo "Setup failed: neither python3.11 nor python3 is on PATH; install Python 3.11 first." >&2; exit 1; fi
	@if ! "$(BOOTSTRAP_PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
	  echo "Setup failed: $(BOOTSTRAP_PYTHON) is Python $$("$(BOOTSTRAP_PYTHON)" -c 'import platform; print(platform.python_version())'), but Python 3.11 or newer is needed." >&2; exit 1; fi
	@echo "Creating $(VENV) with $(BOOTSTRAP_PYTHON)"
	@if ! "$(BOOTSTRAP_PYTHON)" -m venv $(VENV) >/dev/null 2>&1 || ! $(PY) -m pip --version >/dev/null 2>&1; then \
	  rm -rf $(VENV); \
	  echo "Setup failed: $(BOOTSTRAP_PYTHON) cannot create a virtual environment with pip; install its venv module (on Debian or Ubuntu: apt-get install python3-venv)." >&2; exit 1; fi

$(STAMP): requirements.txt pyproject.toml book/pyproject.toml | $(PY)
	@echo "Installing requirements.txt and nnlib into $(VENV)"
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e . -e ./book
	@touch $@

setup: $(STAMP)

$(VENDOR_STAMP): tools/vendor.py | $(PY)
	$(PY) tools/vendor.py

vendor: $(VENDOR_STAMP)

# --- the two commands ----------------------------------------------------------------------

book: $(STAMP) $(VENDOR_STAMP)
	BOOK_EXECUTE=$(BOOK_EXECUTE) $(VENV)/bin/jupyter-book build .
	@echo "The book is at $(abspath $(BUILD)/html/index.html)"

# Two lanes run side by side (2 cores), and make test fails if either fails: pytest (unit
# tests, doctests, notebooks, exercises) in one; in the other the strict book build, then its
# static offline check, the browser tests on it, and the chapters in a real JupyterLab. Each lane prints its output when it is
# done. Run one alone with `make test-pytest`, `make test-book` or `make test-site`.
test: $(STAMP) $(VENDOR_STAMP)
	@$(MAKE) --no-print-directory --output-sync=target -j2 test-pytest test-site
	@echo "make test: all checks passed"

test-pytest: $(STAMP)
	@echo "== unit tests (tests/), doctests (nnlib/, book/), notebooks (nbval: $(words $(NOTEBOOKS)) in chapters/), exercises"
	$(PY) -m pytest -p no:cacheprovider --durations=15 tests --ignore=tests/site/test_site.py --ignore=tests/site/test_jupyterlab.py --doctest-modules nnlib book $(NBVAL)

test-book: $(STAMP) $(VENDOR_STAMP)
	@echo "== the book, built afresh with warnings as errors (execution: $(TEST_EXECUTE))"
	rm -rf $(STRICT)
	BOOK_EXECUTE=$(TEST_EXECUTE) $(VENV)/bin/jupyter-book build . --path-output $(STRICT) -W -n --keep-going

test-site: test-book
	@echo "== the site loads nothing from outside itself (static check of every file)"
	$(PY) tools/check_offline.py $(STRICT)/_build/html
	@echo "== the site in a real browser, offline: every page (tests/site/test_site.py)"
	BOOK_HTML=$(STRICT)/_build/html $(SITE_TESTS)
	@echo "== the chapters in a real JupyterLab (tests/site/test_jupyterlab.py)"
	$(PY) -m pytest -p no:cacheprovider --durations=5 tests/site/test_jupyterlab.py

# --- the rest ------------------------------------------------------------------------------

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip 127.0.0.1 $(ALLOW_ROOT) $(LAB_ARGS)

# The browser suite on the site that `make book` built (make test runs it on its strict build).
site-check: $(STAMP)
	BOOK_HTML=$(BUILD)/html $(SITE_TESTS)

# One full-page PNG per page of _build/html in _build/screenshots/, for review (offline too).
screenshots: $(STAMP)
	$(PY) tools/site_browser.py run-offline $(PY) tools/screenshots.py $(BUILD)/html $(BUILD)/screenshots

clean:
	rm -rf $(BUILD) _vendor .pytest_cache
	find nnlib tests tools -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true

distclean: clean
	rm -rf $(VENV) *.egg-info

# --- graded exercises (tools/exercises.py, tools/grading.py; exercises/instructors.md) --------
# make exercises: otter assign every exercises/source/*.ipynb into exercises/student/
# (committed) and _build/autograder/*.zip; fails, overwriting nothing, if a solution does not
# pass its own tests. make grade: grade every notebook under SUBMISSIONS (sub-folders too),
# JOBS at a time, each in the bubblewrap sandbox (SANDBOX=auto: where bwrap works, else none,
# said on every run; bwrap: required; none: without), TIMEOUT seconds for its cells and again
# for the tests of each question, MEMORY megabytes at most (0: no limit), into the CSV file OUT.
ASSIGNMENT ?=
SUBMISSIONS ?=
JOBS ?= 2
TIMEOUT ?= 120
MEMORY ?= 4096
SANDBOX ?= auto
OUT ?= scores.csv

.PHONY: exercises grade

exercises: $(STAMP)
	$(PY) tools/exercises.py assign

grade: $(STAMP)
	$(PY) tools/exercises.py grade "$(ASSIGNMENT)" "$(SUBMISSIONS)" --jobs "$(JOBS)" --timeout "$(TIMEOUT)" --memory "$(MEMORY)" --sandbox "$(SANDBOX)" --out "$(OUT)"
