# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
# apt-get needs root; elsewhere sudo provides it.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint unit integration e2e bench-check template-check sam-build bench lock clean

# A new top-level package (a handler folder) needs the editable install redone, so it counts.
$(STAMP): requirements-dev.txt pyproject.toml $(wildcard functions/*/__init__.py)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## The whole local stack on 127.0.0.1 with demo data (Ctrl-C stops it; data is kept in .tessera-local/).
run: $(STAMP)
	TZ=UTC $(BIN)/tessera-local

## Every check CI runs: lint, types, template checks, the Lambda build, unit, integration and
## browser tests (tests/build imports every Handler from the built artifact under Python 3.12).
test: lint template-check sam-build $(CHROMIUM)
	TZ=UTC $(BIN)/pytest -q

## The deployable artifact, as `sam deploy` uploads it, into .aws-sam/ (git-ignored, outside
## what the tests and linters read). --cached skips it when functions/ has not changed.
## .aws-sam/host-site holds the same pinned packages built for this machine: the smoke test
## loads from it only the artifact's compiled (arm64) extensions this machine cannot run.
SAM_BUILD_DIR := .aws-sam/build
HOST_SITE := .aws-sam/host-site
sam-build: $(STAMP) $(HOST_SITE)/.installed
	@python312=$$(infra/deploy/python312.sh) && \
	  echo "sam build with $$python312" && \
	  PATH="$$(dirname "$$python312"):$$PATH" SAM_CLI_TELEMETRY=0 $(BIN)/sam build \
	    --template template.yaml --build-dir $(SAM_BUILD_DIR) --cached --cache-dir .aws-sam/cache

$(HOST_SITE)/.installed: functions/requirements.txt infra/deploy/python312.sh
	@python312=$$(infra/deploy/python312.sh) && rm -rf $(HOST_SITE) && \
	  PIP_ROOT_USER_ACTION=ignore "$$python312" -m pip install --quiet --disable-pip-version-check \
	    --only-binary=:all: --target $(HOST_SITE) -r functions/requirements.txt && \
	  touch $@

## Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy functions infra/local

template-check: $(STAMP)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --template template.yaml --region us-east-1

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	TZ=UTC $(BIN)/pytest -q tests/integration

e2e: $(STAMP) $(CHROMIUM)
	TZ=UTC $(BIN)/pytest -q tests/e2e

## Each bench/ script once, small: it runs and prints every figure it promises.
bench-check: $(STAMP)
	TZ=UTC $(BIN)/pytest -q tests/bench

bench: $(STAMP)
	$(BIN)/python bench/cold_start.py

## Re-pin the development environment from what is installed in .venv.
lock: $(STAMP)
	{ echo '# The whole development environment, pinned (make installs exactly this). Regenerate with `make lock`.'; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > requirements-dev.txt

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
