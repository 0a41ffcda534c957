# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test lint bench catalogues clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) install -e '.[test]'
	touch $@

$(VENV)/.lint: $(VENV)/.test
	$(PIP) install -e '.[test,lint]'
	touch $@

demo: $(VENV)/.base
	$(VENV)/bin/kitchencam demo

test: $(VENV)/.test
	./scripts/install-test-deps.sh
	$(PY) -m pytest

lint: $(VENV)/.lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(VENV)/.test
	$(PY) benchmarks/run_all.py

# Rebuild the .mo catalogues from the .po sources (the tests check they are in step).
catalogues: $(VENV)/.test
	$(PY) scripts/catalogues.py compile

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
