# Two commands do all the set-up: `make test` and `make demo` create .venv and install
# everything they need (no root). `make bench` adds the peer engine and runs the benchmarks.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench lint clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,render,demos]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

demo: $(STAMP)
	$(PY) demos/lecture.py

$(VENV)/.bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench,torch,dask]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(PY) benchmarks/run.py
	$(PY) benchmarks/tape.py
	$(PY) benchmarks/tape_gpu.py

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
