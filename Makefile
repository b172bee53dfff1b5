# Two commands for newcomers: `make demo` (the main job, on a bundled local outlet)
# and `make test` (the whole suite). Both set up .venv from pyproject.toml first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: setup demo test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(BIN)/newsarchive demo

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/bench_extraction.py
	$(BIN)/python benchmarks/bench_edits.py --articles 1500 --editions 4 --rate 0.02

clean:
	rm -rf $(VENV) .venv-pywb data/demo
