# jenkinsgen — every target the README names. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SPEC   ?= examples/jenkinsgen.yaml
OUT    ?= out/example

.DEFAULT_GOAL := help

.PHONY: help
help:  ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(BIN)/jenkinsgen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

.PHONY: install
install: $(BIN)/jenkinsgen  ## create .venv and install jenkinsgen with its test tools

.PHONY: example
example: install  ## install, validate and render the bundled example into out/example
	$(BIN)/jenkinsgen validate $(SPEC)
	$(BIN)/jenkinsgen render $(SPEC) -o $(OUT)

.PHONY: services
services:  ## install and start what the tests need (Debian packages, dockerd)
	bash scripts/ci-services.sh

.PHONY: test
test: install services  ## run the whole test suite (installs and starts what it needs)
	JAVA_HOME=$${JAVA_HOME:-$$(bash scripts/java-home.sh)} $(BIN)/pytest

.PHONY: lint
lint: install  ## ruff (lint + format check) and mypy strict on the package
	$(BIN)/ruff check jenkinsgen tests bench
	$(BIN)/ruff format --check jenkinsgen tests bench
	$(BIN)/mypy

.PHONY: e2e
e2e: install services  ## end-to-end suite against the real jenkins/jenkins image (skips when it cannot be pulled)
	$(BIN)/pytest tests/e2e -m e2e -rs

.PHONY: bench
bench: install services  ## run every benchmark under bench/ (see bench/RESULTS.md)
	for b in bench/*_bench.py; do $(BIN)/python $$b || exit 1; done

.PHONY: golden
golden: install  ## regenerate golden trees after an intended renderer change
	$(BIN)/pytest tests/render -k golden --update-golden


.PHONY: docs
docs: install  ## regenerate the README spec and CLI references, docs/cli.md, the example's picture and docs/spec-v1.schema.json
	$(BIN)/python -m jenkinsgen.spec.reference --write
	$(BIN)/python -m jenkinsgen.cli.reference
	$(BIN)/jenkinsgen graph $(SPEC) -o docs/delivery-example.svg
	$(BIN)/jenkinsgen schema > docs/spec-v1.schema.json

-include mk/*.mk
