# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Every install takes the versions pinned in constraints.txt (PIP_CONSTRAINT reaches pip's isolated
# build of the package too), so a new release of a dependency cannot change a run by itself.
# pyproject.toml keeps open ranges for people who pip-install; `make lock` refreshes the pins.
LOCK   := $(CURDIR)/constraints.txt
PIP    := PIP_CONSTRAINT=$(LOCK) $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test lint bench catalogues lock clean minutes-images

$(VENV)/.base: pyproject.toml constraints.txt
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

# Two pytest-xdist workers, a test file per worker at a time (module fixtures bind fixed loopback
# addresses): about half the wall time on the 2-core CI machine. Plain `pytest` still runs serially.
test: $(VENV)/.test
	./scripts/install-test-deps.sh
	$(PY) -m pytest -n 2 --dist loadfile

lint: $(VENV)/.lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(VENV)/.test
	$(PY) benchmarks/run_all.py

# docs/images/minutes-*.png: two pages of the demo's minutes, as docs/reference/report.md shows them.
minutes-images: $(VENV)/.base
	KITCHENCAM=$(VENV)/bin/kitchencam sh scripts/minutes-images.sh

# Rebuild the .mo catalogues from the .po sources (the tests check they are in step).
catalogues: $(VENV)/.test
	$(PY) scripts/catalogues.py compile

# Re-resolve constraints.txt from pyproject.toml (all extras) and requirements/build.in, with uv,
# for every platform and Python from 3.10 (markers keep one file valid on Windows and macOS too).
lock: $(VENV)/.base
	$(PIP) install uv
	$(VENV)/bin/uv pip compile --quiet --universal --python-version 3.10 --extra test --extra lint \
	    pyproject.toml requirements/build.in -o constraints.txt

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
