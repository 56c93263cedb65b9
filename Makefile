# Commerce — developer entry points. Every target bootstraps what it needs (.venv, the arm64 layer).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev
# The local stack's ports and state directory (`make dev PORT=13000 ...`; README, "Ports").
PORT ?= 3000
AWS_PORT ?= 4566
CDN_PORT ?= 3001
STRIPE_PORT ?= 12111
LOCAL_STATE ?= .local
# Where the local stack listens; `make dev LISTEN=<Docker bridge gateway>` (or 0.0.0.0) for `sam local`.
LISTEN ?= 127.0.0.1
SAM_PORT ?= 3002
PYTEST_ARGS ?=
# The stage setting snapStart for the local stack (cdk/config.py): `make dev SNAPSTART=true` runs the
# request path as SnapStart functions, primed and restored as Lambda does (local/_worker_main.py).
SNAPSTART ?= false

LAYER_DIR := layers/deps/build
LAYER_STAMP := $(LAYER_DIR)/.stamp
VENV_STAMP := $(VENV)/.stamp
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.stamp
CDK_SOURCES := app.py cdk.json $(shell find cdk functions layers/commerce -name '*.py' -not -path '*/__pycache__/*' 2>/dev/null)
LOCAL_TEMPLATE := .local/cdk.out/Commerce-dev.template.json


.PHONY: docs redrive help venv layer synth synth-local test test-unit test-integration test-infra test-e2e lint format dev invoke clean smoke preflight checkov-venv

help:
	@echo "make dev      run the whole system locally (API on :$(PORT), CDN :$(CDN_PORT), AWS stand-in :$(AWS_PORT), Stripe stub :$(STRIPE_PORT))"
	@echo "make test     run every test (unit, integration, infra, e2e)"
	@echo "make synth    synthesize cdk.out/Commerce-$(STAGE).template.json (STAGE=dev|prod)"
	@echo "make lint     ruff + mypy"
	@echo "make smoke OUTPUTS=outputs.json [STACK=Commerce-dev]   live-safe end-to-end checks of a deployed stack"
	@echo "make preflight [STAGE=dev|prod]   read-only checks of the AWS account before a first deploy"
	@echo "make sam-check  (Docker) every function through sam local invoke and start-api; see local/README.md"

venv: $(VENV_STAMP)
# The project itself goes on the venv's path (tools/venv_paths.py writes a .pth): the repository
# root, functions/ and the shared layer package, so nothing edits sys.path to import them.
$(VENV_STAMP): requirements.txt requirements-dev.txt layers/deps/requirements.txt tools/venv_paths.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) tools/venv_paths.py
	touch $@

# checkov gets its own virtualenv: it pins a boto3 that cannot share one with ours.
checkov-venv: $(CHECKOV_STAMP)
$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

# The deps layer is built for Lambda (arm64, CPython 3.13) with pip alone: no Docker.
# Lambda cannot write bytecode (/opt is read-only), so a layer without .pyc files is compiled module
# by module on every cold start (Stripe's SDK alone is hundreds of modules). cdk/bytecode.py compiles
# it with a local CPython 3.13 ($PY313, pyenv's or python3.13 on PATH), as the CDK app does for our
# own code assets; without one the layer still builds, without bytecode, and says so.
# One pip resolution for every group, then one layer per dependency group (cdk/deps_layers.py:
# core, tokens, stripe) in <folder>/<group>/python; what the runtime provides (boto3, botocore,
# s3transfer) and what only it needed is never shipped.
#   $(call deps-layers,<folder>,<pip platform>) (`make sam-template` builds them for this machine's
#   architecture the same way).
define deps-layers
	rm -rf $(1)
	$(PY) -m pip install --quiet --no-compile --target $(1)/.staging \
		--platform $(2) --implementation cp --python-version 3.13 \
		--only-binary=:all: -r layers/deps/requirements.txt
	$(PY) -m cdk.deps_layers split $(1)/.staging $(1)
	rm -rf $(1)/.staging
	for group in $(1)/*/python; do $(PY) -m cdk.bytecode $$group || exit 1; done
	touch $(1)/.stamp
endef
layer: $(LAYER_STAMP)
$(LAYER_STAMP): layers/deps/requirements.txt Makefile cdk/bytecode.py cdk/deps_layers.py | $(VENV_STAMP)
	$(call deps-layers,$(LAYER_DIR),manylinux2014_aarch64)

synth: $(LAYER_STAMP)
	CDK_OUTDIR=cdk.out CDK_CONTEXT_JSON='{"stage":"$(STAGE)"}' $(PY) app.py
	@echo "wrote cdk.out/Commerce-$(STAGE).template.json"

# The local stack's template points its assets at the source folders, so edits show up live.
synth-local: $(LOCAL_TEMPLATE)
$(LOCAL_TEMPLATE): $(CDK_SOURCES) $(LAYER_STAMP) .local/.snapstart
	CDK_OUTDIR=.local/cdk.out CDK_CONTEXT_JSON='{"stage":"dev","snapStart":"$(SNAPSTART)","aws:cdk:disable-asset-staging":true}' $(PY) app.py

# Changes (and so re-synthesizes the local template) only when SNAPSTART does.
.local/.snapstart: FORCE
	@mkdir -p .local; echo "$(SNAPSTART)" | cmp -s - $@ || echo "$(SNAPSTART)" > $@
.PHONY: FORCE
FORCE:

test: $(LAYER_STAMP) $(CHECKOV_STAMP) synth-local
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: $(VENV_STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: $(VENV_STAMP)
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-infra: $(LAYER_STAMP) $(CHECKOV_STAMP)
	$(PY) -m pytest tests/infra $(PYTEST_ARGS)

test-e2e: $(LAYER_STAMP) synth-local
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy app.py cdk functions layers/commerce/python tools local tests benchmarks

format: $(VENV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

dev: $(LAYER_STAMP) synth-local
	$(PY) -m local serve --template $(LOCAL_TEMPLATE) --port $(PORT) --aws-port $(AWS_PORT) --listen $(LISTEN) \
		--cdn-port $(CDN_PORT) --stripe-port $(STRIPE_PORT) --state-dir $(LOCAL_STATE)

# make invoke FN=<logical id | handler | part of a name> [EVENT=events/<file>.json]
invoke: $(LAYER_STAMP) synth-local
	@test -n "$(FN)" || { echo "usage: make invoke FN=<function> [EVENT=events/<file>.json]"; exit 2; }
	@$(PY) -m local invoke $(FN) --template $(LOCAL_TEMPLATE) --state-dir $(LOCAL_STATE) $(if $(EVENT),-e $(EVENT))

# The live-safe end-to-end checks against any stack: OUTPUTS is the file `cdk deploy --outputs-file`
# wrote (or .local/outputs.json); through ApiUrl and CdnUrl. Needs AWS credentials for that stack.
smoke: $(VENV_STAMP)
	@test -n "$(OUTPUTS)" || { echo "usage: make smoke OUTPUTS=<outputs file> [STACK=Commerce-<stage>]"; exit 2; }
	SMOKE_OUTPUTS="$(OUTPUTS)" SMOKE_STACK="$(STACK)" $(PY) -m pytest tests/smoke -q -p no:cacheprovider

# Read-only checks of the account and region the AWS credentials point at (docs/runbook.md).
preflight: $(VENV_STAMP)
	$(PY) -m tools.preflight --stage $(STAGE) $(if $(OUTPUTS),--outputs $(OUTPUTS)) $(PREFLIGHT_ARGS)

# Move dead-letter messages back to their source queue (QUEUE=name or URL; TO=, MAX= optional).
# Locally it targets the running local stack; with AWS credentials, the deployed stack.
redrive: $(VENV_STAMP)
	@test -n "$(QUEUE)" || { echo "usage: make redrive QUEUE=<dlq name or URL> [TO=<queue>] [MAX=<n>]"; exit 2; }
	@$(PY) -m tools.redrive $(QUEUE) $(if $(TO),--to $(TO)) $(if $(MAX),--max $(MAX)) $(if $(wildcard $(LOCAL_STATE)/outputs.json),--outputs $(LOCAL_STATE)/outputs.json)

# Regenerate the generated parts of docs/ from the code and the synthesized template: the C4
# diagrams in docs/architecture.md, docs/events.md, docs/openapi.json and docs/api.md.
# Tests fail when the committed copies are stale.
docs: $(LAYER_STAMP) synth-local openapi
	$(PY) tools/diagrams.py --template $(LOCAL_TEMPLATE)
	$(PY) tools/event_catalog.py --template $(LOCAL_TEMPLATE)
	$(PY) tools/api_reference.py --template $(LOCAL_TEMPLATE)

clean:
	rm -rf cdk.out .local $(LAYER_DIR) $(CHECKOV_VENV) .pytest_cache .mypy_cache .ruff_cache

# docs/openapi.json: Powertools' OpenAPI merge of every API function's resolver (tests fail when stale).
.PHONY: openapi
openapi: $(VENV_STAMP)
	$(PY) -m tools.openapi

# Proof (never part of `make test`): benchmarks with budgets, fault injection, API fuzzing.
.PHONY: bench chaos fuzz flash
# BENCH_ARGS for a quicker, partial run (benchmarks/run.py: --rounds, --only, --skip); the default is
# the full one, 15 rounds of every function.
BENCH_ARGS ?=
bench: $(LAYER_STAMP) synth-local
	$(PY) -m benchmarks.run $(BENCH_ARGS)

# A flash sale of one product on the scale model (docs/capacity.md); FLASH_ARGS e.g. --rounds 1.
flash: $(LAYER_STAMP) synth-local
	$(PY) -m benchmarks.flash $(FLASH_ARGS)

chaos: $(LAYER_STAMP) synth-local
	$(PY) -m tools.chaos --orders $(or $(N),500) --rate $(or $(RATE),0.05)

fuzz: $(LAYER_STAMP) synth-local
	$(PY) -m tools.fuzz

# `sam local invoke` / `sam local start-api` (local/sam/, local/README.md). Docker is needed here only;
# make dev and make test never need it.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_TEMPLATE := .local/sam/template.json
.PHONY: sam-image sam-template sam-invoke sam-api sam-check

$(SAM): requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $@

# The Lambda Python 3.13 base image for this machine's architecture: pulled, else built from Debian.
sam-image: $(VENV_STAMP)
	$(PY) -m local.sam.image

# A SAM-ready copy of the synthesized template for this machine's architecture (the deployed one is
# unchanged). The deps layers carry Powertools, so on an x86_64 machine their x86_64 build (same recipe,
# same pins, the same groups) is all SAM needs; on an arm64 machine the deployed layers are used as they are.
HOST_ARCH := $(shell uname -m | sed -e 's/^aarch64$$/arm64/' -e 's/^amd64$$/x86_64/')
SAM_DEPS_LAYERS := .local/sam/layers/deps-$(HOST_ARCH)
$(SAM_DEPS_LAYERS)/.stamp: layers/deps/requirements.txt Makefile cdk/bytecode.py cdk/deps_layers.py | $(VENV_STAMP)
	$(call deps-layers,$(SAM_DEPS_LAYERS),manylinux2014_$(subst arm64,aarch64,$(HOST_ARCH)))
sam-template: synth $(if $(filter arm64,$(HOST_ARCH)),,$(SAM_DEPS_LAYERS)/.stamp)
	$(PY) -m local.sam.template --source cdk.out/Commerce-$(STAGE).template.json --out $(SAM_TEMPLATE) \
		$(if $(filter arm64,$(HOST_ARCH)),,--deps-layers $(SAM_DEPS_LAYERS))

# make sam-invoke FN=<function> [EVENT=events/<file>.json], against the running `make dev LISTEN=...`
sam-invoke: $(SAM) $(VENV_STAMP)
	@test -n "$(FN)" || { echo "usage: make sam-invoke FN=<function> [EVENT=events/<file>.json]"; exit 2; }
	$(PY) -m local.sam.run invoke $(FN) $(if $(EVENT),-e $(EVENT))

# SAM's API Gateway emulation on :$(SAM_PORT), its functions in containers, against the running `make dev LISTEN=...`
sam-api: $(SAM) $(VENV_STAMP)
	$(PY) -m local.sam.run api --port $(SAM_PORT)

# Every function through `sam local invoke` and the API through `sam local start-api`, end to end
# (starts its own local stack); fails, instead of skipping, when something SAM needs is missing.
sam-check: $(SAM) synth-local sam-image sam-template
	SAM_CHECK=1 $(PY) -m pytest tests/e2e/test_sample_events.py tests/e2e/test_sam_local.py -k sam_local $(PYTEST_ARGS)
