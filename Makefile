# Two commands do everything on a fresh machine: `make run` and `make test`.
# Each creates .venv on first use. torch is installed first, as the CPU build: a bare `torch`
# requirement would pull a multi-GB CUDA build. On machines without the local CPU wheel, pass
# TORCH_INDEX=https://download.pytorch.org/whl/cpu.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: install run ingest serve test eval bench bench-quick screenshots browser lint clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

## Ingest corpus/ (only what changed) and open the chat on http://127.0.0.1:7860
run: install
	$(BIN)/clusterqa ingest
	$(BIN)/python app.py

ingest: install
	$(BIN)/clusterqa ingest

serve: install
	$(BIN)/clusterqa serve

## The whole test suite, the real model and browser tests included
test: install browser
	$(BIN)/python -m pytest

## The eval gate: re-ingest what changed, run evals/cases.yaml, compare with evals/baseline.json
eval: install
	$(BIN)/clusterqa eval --compare naive

## Public benchmarks beside the plain llama-index recipe; results in benchmarks/ (BENCHMARKS.md)
bench: install
	$(BIN)/clusterqa bench scifact
	$(BIN)/clusterqa bench clapnq
	$(BIN)/clusterqa bench speed
	$(BIN)/clusterqa bench ingest
	$(BIN)/clusterqa bench financebench
	$(BIN)/clusterqa bench scale

# A few hundred documents each: the smoke test CI runs (results stay in .clusterqa/).
bench-quick: install
	$(BIN)/clusterqa bench scifact --quick --out .clusterqa/bench-results
	$(BIN)/clusterqa bench clapnq --quick --out .clusterqa/bench-results
	$(BIN)/clusterqa bench speed --quick --out .clusterqa/bench-results
	$(BIN)/clusterqa bench ingest --quick --out .clusterqa/bench-results
	$(BIN)/clusterqa bench financebench --quick --out .clusterqa/bench-results
	$(BIN)/clusterqa bench scale --quick --out .clusterqa/bench-results

screenshots: install
	$(BIN)/python scripts/screenshots.py

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; \
	  else echo "chromium not installed: browser tests will be skipped"; fi; }

lint: install
	$(BIN)/ruff check src tests evals ingest app.py

clean:
	rm -rf .clusterqa
