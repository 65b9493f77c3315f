# bucketguard.visibility — every command a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.collections
# Every Molecule scenario (scripts/test-all.sh runs the end-to-end `default` last).
SCENARIOS ?= $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
SCENARIO ?= default

.PHONY: help setup lint unit faults molecule molecule-all awx fleet hub live-test bad-input audit test demo bench bench-load emulators-up emulators-down clean build

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## Create .venv and .venv-localstack (pinned) and link the collection; idempotent
	@scripts/setup.sh

lint: setup ## ruff (format + check), yamllint, ansible-lint (profile production)
	ruff format --check .
	ruff check .
	yamllint -s .
	ansible-lint --offline -q

unit: setup ## pytest: notifier, module helpers, filter-pattern evaluator, policies
	pytest -q tests/unit

faults: setup ## The notifier under injected faults (moto in-process): prints "faults injected: N, alerts lost: 0"
	pytest -q tests/faults

molecule: setup ## One Molecule scenario: make molecule SCENARIO=sns
	scripts/run-molecule.sh $(SCENARIO)

molecule-all: setup ## Every Molecule scenario, emulators started once and stopped at the end
	scripts/run-molecule.sh $(SCENARIOS)

awx: setup ## AWX tests: deploy through ansible-runner on LocalStack, bad survey answers, ansible-builder create
	scripts/awx-runner-test.sh

fleet: setup ## Fleet playbooks on LocalStack: deploy, verify (drift), teardown
	pytest -q -m fleet tests/fleet

hub: setup ## Organisation (hub) mode on LocalStack: deploy, verify, drift, teardown; a public bucket followed to the hub's mailbox
	pytest -q -m hub tests/hub

live-test: setup ## Live smoke test: LocalStack by default; BUCKETGUARD_LIVE=aws BUCKETGUARD_LIVE_ACCOUNT=... for a sandbox (README)
	pytest -q -m live tests/live

bad-input: setup ## Every row of docs/bad-input.yml through deploy.yml: refused before any AWS call (no emulator)
	pytest -q -m bad_input tests/bad_input

audit: setup ## The audit playbook on LocalStack (verdicts, since last time) and its report in headless Chromium
	pytest -q -m audit tests/audit

test: setup ## Everything CI runs: lint, unit tests, every Molecule scenario, then a summary
	scripts/test-all.sh

demo: setup ## Deploy the whole stack to LocalStack (inventories/local) and show an alert
	scripts/demo.sh

bench: setup ## Fleet benchmark on LocalStack (10 x 3, 30 x 3, 1 x 1; hub mode 100 members x 3), then the notifier load test (benchmarks/README.md)
	$(VENV)/bin/python benchmarks/fleet_bench.py
	$(VENV)/bin/python benchmarks/notifier_load.py

bench-load: setup ## Notifier load test: 1,000 and 10,000 exposure events as SQS batches, moto in-process
	$(VENV)/bin/python benchmarks/notifier_load.py

build: setup ## Build the collection tarball into build/
	ansible-galaxy collection build --force --output-path build .

emulators-up: setup ## Start LocalStack and moto server (127.0.0.1)
	scripts/emulators.sh up all

emulators-down: ## Stop LocalStack and moto server
	scripts/emulators.sh down all

clean: emulators-down ## Remove virtual environments, emulator state and build output
	rm -rf .venv .venv-localstack .emulators .collections build .pytest_cache .ruff_cache .hypothesis
