# `make run`: the whole pipeline with the default (quick) params; `make test`: the test suite.
# Both create .venv from the hashed lock file first if needed.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all
PROFILE ?=
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Offline mirror (a folder laid out like shared/corpora): `make run MIRROR=../shared/corpora`.
ifdef MIRROR
export ZHPIPE_MIRROR := $(abspath $(MIRROR))
endif

.PHONY: venv run test dry lint lock bench clean-venv ui deps

$(BIN)/.installed: requirements/lock.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the locked dependencies into $(VENV) (a few minutes the first time) ..."
	@$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/lock.txt \
		2> >(grep -v "^WARNING: Location" >&2)
	@$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . \
		2> >(grep -v "^WARNING: Location" >&2)
	@touch $@

venv: $(BIN)/.installed

run: venv
	@if [ -n "$(PROFILE)" ]; then $(BIN)/zhpipe profile $(PROFILE); fi
	$(BIN)/snakemake --cores $(CORES)

dry: venv
	$(BIN)/snakemake --cores $(CORES) -n

# The import-linter contracts, then every test under TensorFlow (the default backend) and, beside
# it on one more worker, the Keras model tests under JAX (the TensorFlow pass's second worker
# would otherwise wait on the end-to-end test); on every core (pytest-xdist; tests/services share
# one worker: one set of services).
TEST_WORKERS ?= auto
test: venv
	$(BIN)/lint-imports --no-cache  # the layers and no cycles (.importlinter)
	@jax=$$(mktemp -d); \
	KERAS_BACKEND=jax $(BIN)/python -m pytest -q -n 1 -m keras -p no:cacheprovider \
		--basetemp=$$jax/tmp > $$jax/log 2>&1 & pid=$$!; \
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=15; tf=$$?; \
	wait $$pid; jx=$$?; echo "--- the Keras model tests again, under JAX (-m keras) ---"; \
	cat $$jax/log; rm -rf $$jax; exit $$(( tf || jx ))

lint: venv
	$(BIN)/ruff check src stages tests bench
	$(BIN)/lint-imports --no-cache

bench: venv
	@for b in bench/*.py; do $(BIN)/python $$b; done

ui: venv
	$(BIN)/zhpipe tracking uri  # in a copied checkout, points the store's artefact paths here
	@echo "open http://127.0.0.1:5000/#/?workflowType=machine_learning (the UI's Model training mode: runs, curves)"
	@echo "     http://127.0.0.1:5000/#/models (the registered models: zhpipe-segmenter, ...)"
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db

# Regenerate the lock after editing requirements/requirements.in (needs uv: pip install uv).
lock:
	uv pip compile --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--generate-hashes requirements/requirements.in -o requirements/lock.txt

clean-venv:
	rm -rf $(VENV)

deps: venv
	$(BIN)/python tests/dag/sync_deps.py
