# Two entry points: `make demo` runs the main job, `make test` runs the checks.
# Both create and fill .venv on first use.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first, so the range in pyproject.toml is already satisfied.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev,ray]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rcan demo --out runs/demo

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/rcan bench sim --out results/sim_bench.json

clean:
	rm -rf runs .pytest_cache
