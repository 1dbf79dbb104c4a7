# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when a requirements file changes.
STAMP := $(VENV)/.installed
PORT ?= 4566
DASHBOARD_PORT ?= 8501
# Lambda architecture for `make lambda-zip` and `make deploy`: x86_64 or arm64.
ARCH ?= x86_64

.PHONY: run stack test lint venv clean deploy destroy lint-infra lambda-zip bench soak

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

## run: the embedded AWS with sample data and the dashboard on http://localhost:$(DASHBOARD_PORT)
run: $(STAMP)
	$(BIN)/python -m dashboard.local --port $(PORT) --dashboard-port $(DASHBOARD_PORT)

## stack: the embedded AWS alone, in the foreground; prints AWS_ENDPOINT_URL
stack: $(STAMP)
	$(BIN)/python -m lambda_consumer.local_stack --port $(PORT)

## test: lint, then every test (pytest exits non-zero when it collects nothing)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

## soak: the reliability suite at full size (1,000-record redelivery and faults, a 10,000-event load) with its figures; about 20 minutes
soak: $(STAMP)
	SOAK=1 $(BIN)/python -m pytest tests/reliability -p no:cacheprovider --durations=8

## bench: every benchmark (thumbnails, consumer, dashboard) into bench/RESULTS.md; about 10 minutes
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python -m bench

## lambda-zip: the consumer's Lambda zip (Python 3.12, ARCH=x86_64|arm64) in dist/lambda_consumer.zip; prints its size
lambda-zip: $(STAMP)
	$(BIN)/python -m lambda_consumer.package --arch $(ARCH)

## deploy: build the Lambda zip and the dashboard image, push it, deploy the stack (README, "Deploy to AWS")
deploy: $(STAMP) lambda-zip
	ARCHITECTURE=$(ARCH) bash infra/deploy.sh

## destroy: delete the stack and the image repository; keeps bucket and table unless DELETE_DATA=yes
destroy:
	bash infra/destroy.sh

lint-infra: $(STAMP)
	$(BIN)/cfn-lint infra/template.yaml
	$(BIN)/hadolint Dockerfile
	$(BIN)/shellcheck -x infra/*.sh

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache test-artifacts
