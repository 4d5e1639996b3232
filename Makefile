# Two commands do everything: `make synth` and `make test`. Both set up .venv and node_modules
# idempotently (re-run only when the lock files change) on a machine with Python 3.11, Node and npm.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
NODE_BIN := $(CURDIR)/node_modules/.bin
# The CDK CLI and jsii both run on the Node 22 that package.json pins (the machine's Node 20 is end-of-life).
export PATH := $(NODE_BIN):$(PATH)
export JSII_NODE := $(NODE_BIN)/node
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_CLI_NOTICES := false
ENV ?= default
CONFIG ?= config/$(ENV).yaml
# The Stage that holds the environment's stacks: environment.name of the configuration.
STAGE = $(shell $(PY) -c "from infra.config import load_config; print(load_config('$(CONFIG)').environment.name)" 2>/dev/null || echo $(ENV))

.PHONY: docs help setup synth synth-pipeline deploy-pipeline diff deploy test lint typecheck unit bench clean train

help:
	@echo "make synth   set up, then cdk synth the default app into cdk.out and print a summary"
	@echo "make test    set up, then ruff, mypy --strict and pytest"
	@echo "make diff ENV=dev     cdk diff of the dev environment (config/dev.yaml) against AWS"
	@echo "make deploy ENV=dev   cdk deploy of the dev environment's stacks"
	@echo "make docs    build the documentation site (mkdocs --strict: guides and API reference) into build/site"
	@echo "make bench   run the benchmarks under bench/ and record their results"
	@echo "make train STATE_MACHINE_ARN=arn:...  start a model customization workflow by hand"

$(VENV)/.installed: pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11" >&2; exit 2; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.installed node_modules/.installed

synth: setup
	cdk synth --quiet -c config=$(CONFIG) '**'
	$(VENV)/bin/cfn-lint $$(find cdk.out -name '*.template.json')
	$(PY) -m infra.summary cdk.out

PIPELINE ?= config/pipeline.yaml
synth-pipeline: setup
	cdk synth --quiet -c pipeline=$(PIPELINE)
	@# E3703 (prefer Fn::Sub) fires on role ARNs CDK Pipelines itself renders; see tests/app/test_pipeline.py.
	$(VENV)/bin/cfn-lint --ignore-checks E3703 -- $$(find cdk.out -name '*.template.json')
	$(PY) -m infra.summary cdk.out

deploy-pipeline: setup
	cdk deploy -c pipeline=$(PIPELINE) --require-approval broadening

# diff and deploy need AWS credentials for the environment's account; the synth part is the same as `make synth`.
diff: setup
	cdk diff -c config=$(CONFIG) '$(STAGE)/*'

deploy: setup
	cdk deploy -c config=$(CONFIG) --require-approval broadening '$(STAGE)/*'

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy app.py infra constructs/bedrock_ops tests bench examples tools
	@# One file per folder: given a folder, mypy finds nothing, because [tool.mypy] excludes ^lambda/.
	@# [tool.mypy] mypy_path holds lambda/, so each handler's `import _runtime.<module>` is checked with it.
	$(VENV)/bin/mypy --strict lambda/_runtime/*.py
	@for d in lambda/*/; do [ -f "$${d}index.py" ] || continue; $(VENV)/bin/mypy --strict "$${d}index.py" || exit 1; done

unit: setup
	$(PY) -m pytest -q

test: lint typecheck unit

# mkdocs.yml: strict, into build/site. NO_MKDOCS_2_WARNING: mkdocs-material's end-of-life notice, not the site's.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir build/site
	@echo "documentation site: build/site/index.html (or: .venv/bin/mkdocs serve)"

bench: setup
	$(PY) bench/run.py

train: setup
	@test -n "$(STATE_MACHINE_ARN)" || { echo "usage: make train STATE_MACHINE_ARN=arn:aws:states:..." >&2; exit 2; }
	$(VENV)/bin/bedrock-ops train --state-machine-arn "$(STATE_MACHINE_ARN)" $(TRAIN_ARGS)

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache dist build
