# ClipForge developer commands. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: install demo test up lint typecheck unit bench sample eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## make demo: clip the bundled sample video into ./clips
demo: install
	$(BIN)/clipforge clip samples/sample.mp4 --out clips --max-clips 3
	@echo "Clips, thumbnails, captions and manifest.json are in $(CURDIR)/clips"

## make test: lint, type-check and run the whole suite
test: install lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make up: API + dashboard + workers (+ embedded Redis) on http://127.0.0.1:8000
up: install
	$(BIN)/clipforge up

lint: install
	$(BIN)/ruff check clipforge tests bench eval
	$(BIN)/ruff format --check clipforge tests bench eval

typecheck: install
	$(BIN)/mypy clipforge

unit: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.bench_queue
	$(BIN)/python -m bench.bench_pipeline
	$(BIN)/python -m bench.bench_export
	$(BIN)/python -m bench.bench_faults

## make eval: score clip detection on the scripted episodes (docs/evaluation.md)
eval: install
	$(BIN)/python -m eval.run $(EVAL_ARGS)

## make sample: regenerate samples/sample.mp4 (needs espeak-ng)
sample: install
	bash scripts/make_sample.sh

clean:
	rm -rf $(VENV) data clips .pytest_cache .mypy_cache .ruff_cache
