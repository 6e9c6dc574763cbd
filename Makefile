# audiogan-kit: `make lab` opens the notebooks, `make test` runs every test.
# Both create .venv on first use and (re)install the kit when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Tests, CI and benchmarks read FSDD from the team's shared copy when it is there;
# on any other machine the kit finds or downloads it itself (see README).
SHARED_FSDD := $(abspath ../shared/data/fsdd)
ifneq ($(wildcard $(SHARED_FSDD)/recordings),)
export AUDIOGAN_DATA ?= $(SHARED_FSDD)
endif

.PHONY: help venv lab test lint test-python test-browser test-jax browser-deps demo benchmarks clean

help:
	@echo "make lab           create .venv, install the kit and open JupyterLab on notebooks/"
	@echo "make test          same set-up, then ruff and every test (TensorFlow and JAX backends)"
	@echo "make demo          headless end-to-end quick run, writes demo_output/"
	@echo "make benchmarks    run benchmarks/*.py, writing benchmarks/results/*.json"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (audiogan-kit)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/

lint: $(STAMP)
	$(BIN)/ruff check audiogan_kit tests benchmarks

# The browser tests need Debian's Chromium (Playwright's own browser download is not used).
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium and chromium-driver for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
	  echo "The browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium chromium-driver' (Debian/Ubuntu), then 'make test' again."; \
	  exit 1; \
	fi

test-python: $(STAMP)
	$(BIN)/python -m pytest -m "not browser"

# The notebooks in JupyterLab and Chromium (tests/browser), with a cache of their own.
test-browser: $(STAMP) browser-deps
	$(if $(AUDIOGAN_CACHE),AUDIOGAN_CACHE=$(AUDIOGAN_CACHE)-browser) $(BIN)/python -m pytest -m browser

# Models, layers and losses must also run under JAX: the tests marked `backend` run again there.
# Its own cache beside the given one (CI sets AUDIOGAN_CACHE): the two suites run at once.
test-jax: $(STAMP)
	KERAS_BACKEND=jax $(if $(AUDIOGAN_CACHE),AUDIOGAN_CACHE=$(AUDIOGAN_CACHE)-jax) $(BIN)/python -m pytest -m backend

# Three suites side by side: one alone keeps about one of two cores busy (tracing, kernels
# starting, browsers waiting), so together they take little longer than the longest alone.
# Each suite's output is printed whole when it ends (--output-sync).
test: lint
	@echo "running the TensorFlow, browser and JAX suites side by side; each prints its report when it ends"
	@$(MAKE) --no-print-directory -j3 --output-sync=target test-python test-browser test-jax

demo: $(STAMP)
	$(BIN)/python -m audiogan_kit.cli demo --out demo_output

benchmarks: $(STAMP)
	for script in benchmarks/[!_]*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache demo_output
