# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Each target installs its lock file (requirements/*.txt, hashed) and again only when that file changes.
INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes
PORT ?= 4566
DASHBOARD_PORT ?= 8501
# pytest processes for `make test`, each with its own emulator on its own port (0: one process, no xdist).
# Three on two CPUs: much of the suite waits on a browser, a server or a child process (docs/testing.md).
PYTEST_WORKERS ?= 3
# Lambda architecture for `make lambda-zip` and `make deploy`: x86_64 or arm64.
ARCH ?= x86_64
# The zip's image codecs: full, or permissive (without the GPL-licensed HEIC and JPEG XL ones; docs/licences.md).
CODECS ?= full

.PHONY: run stack test rehearse lint typecheck venv clean deploy destroy lint-infra lambda-zip dashboard-notices \
	bench soak lock

$(VENV)/.installed-%: requirements/%.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(INSTALL) -r $<
	@touch $@

venv: $(VENV)/.installed-dev $(VENV)/.installed-checkov

# checkov in a virtualenv of its own: its pins conflict with the test tools' (requirements/checkov.in).
CHECKOV_VENV := $(VENV)/checkov
$(VENV)/.installed-checkov: requirements/checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $<
	@touch $@

## run: the embedded AWS with sample data and the dashboard on http://localhost:$(DASHBOARD_PORT)
run: $(VENV)/.installed-local
	$(BIN)/python -m local.run --port $(PORT) --dashboard-port $(DASHBOARD_PORT)

## stack: the embedded AWS alone, in the foreground; prints AWS_ENDPOINT_URL
stack: $(VENV)/.installed-local
	$(BIN)/python -m local.stack --port $(PORT)

## test: lint, type check (mypy: core strict, the rest normal), then every test on PYTEST_WORKERS processes,
## cfn-lint and checkov on the template included (pytest exits non-zero when it collects nothing)
test: $(VENV)/.installed-dev $(VENV)/.installed-checkov
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

## rehearse: the stack created, run, updated and deleted in the local AWS's CloudFormation, with the defaults
## and with every option on (docs/deploying.md, "Rehearsing a deployment"); `make test` runs it too
rehearse: $(VENV)/.installed-dev
	$(BIN)/python -m pytest tests/infra/test_rehearsal.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

## soak: the reliability suite at full size (1,000-record redelivery and faults, a 10,000-event load) with its figures; about 20 minutes
soak: $(VENV)/.installed-dev
	SOAK=1 $(BIN)/python -m pytest tests/reliability -p no:cacheprovider --durations=8

## bench: every benchmark (thumbnails, renditions of phone photos, consumer, dashboard) into bench/RESULTS.md;
## about 15 minutes. sharp, a peer, installs from npm into bench/sharp/ when npm is there (else it is left out).
bench: $(VENV)/.installed-bench
	-command -v npm >/dev/null && npm ci --prefix bench/sharp --no-audit --no-fund --silent
	$(BIN)/python -m bench

## lambda-zip: the consumer's Lambda zip (Python 3.12, ARCH=x86_64|arm64, CODECS=full|permissive) in
## dist/lambda_consumer.zip, with LICENSE and THIRD_PARTY_NOTICES inside; prints its size
lambda-zip: $(VENV)/.installed-dev
	$(BIN)/python -m tools.lambda_zip --arch $(ARCH) --codecs $(CODECS)

## dashboard-notices: the dashboard image's THIRD_PARTY_NOTICES (dist/dashboard/), which the Dockerfile copies
dashboard-notices: $(VENV)/.installed-dev
	$(BIN)/python -m tools.notices

## deploy: build the Lambda zip and the dashboard image, push it, deploy the stack (docs/deploying.md)
deploy: $(VENV)/.installed-dev lambda-zip dashboard-notices
	ARCHITECTURE=$(ARCH) bash infra/deploy.sh

## destroy: delete the stack and the image repository; keeps bucket and table unless DELETE_DATA=yes
destroy:
	bash infra/destroy.sh

lint-infra: $(VENV)/.installed-dev $(VENV)/.installed-checkov
	$(BIN)/cfn-lint infra/template.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download -f infra/template.yaml -f Dockerfile
	$(BIN)/hadolint Dockerfile
	$(BIN)/shellcheck -x infra/*.sh

## lock: recompile requirements/*.txt from requirements/*.in (needs the package index); dev first, the
## others constrained to it, so every deployable ships the versions the tests ran; then pin the Dockerfile's
## base image to the digest its tag names today (needs Docker Hub; tools/base_image.py)
LOCK := $(CURDIR)/$(BIN)/uv pip compile --quiet --generate-hashes
# Lambda's Python runtime ships boto3 and these; the X-Ray SDK (the tracer extra) depends on botocore, so
# the zip would otherwise carry a second botocore. tools/lambda_zip.py installs the lock with --no-deps.
LAMBDA_RUNTIME_PACKAGES := botocore python-dateutil six urllib3
lock: $(VENV)/.installed-dev
	cd requirements && UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK) dev.in --universal --python-version 3.11 -o dev.txt
	cd requirements && for name in local dashboard bench; do \
	  UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK) $$name.in --universal --python-version 3.11 -c dev.txt -o $$name.txt; done
	cd requirements && UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK) checkov.in --universal --python-version 3.11 \
	  -o checkov.txt
	cd requirements && UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK) lambda.in --python-version 3.12 \
	  --python-platform x86_64-manylinux_2_28 -c dev.txt -o lambda.txt $(LAMBDA_RUNTIME_PACKAGES:%=--no-emit-package %)
	$(BIN)/python -m tools.base_image
	$(BIN)/python -m tools.notices --repository

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache test-artifacts
