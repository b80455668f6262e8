# The one entry point. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

LOCALAWS := cd tests/localaws && ../../.venv/bin/python -m localaws
# cargo's target directory (CARGO_TARGET_DIR aware), looked up only by the targets that use it.
TARGET_DIR = $(shell cargo metadata --no-deps --format-version 1 | jq -r .target_directory)

.PHONY: help setup test test-modules test-example test-sandbox chaos zips lint provider release report bench fuzz localaws-up localaws-down localaws-status sandbox sandbox-down requirements

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## Install what the other targets need (apt protobuf-compiler and chromium, .venv with pinned requirements)
	@scripts/setup.sh

test: setup ## Lint and run every test suite against the local AWS
	@scripts/test.sh

test-modules: setup ## Terraform modules and examples: fmt, checkov, validate, terraform test, the security stack
	@scripts/test-modules.sh

test-example: setup ## examples/multi-account on the local AWS: apply, empty plan, unlisted account kept out, destroy
	@scripts/test-example.sh

test-sandbox: setup ## The sandbox end to end (tests/e2e): Inspector v2 (make sandbox twice: every finding once in S3, the index and the mailbox; closure, suppression), then Classic (rescan, redelivery, DLQ, report in Chromium); each destroyed
	@cargo test --quiet --workspace --test e2e sandbox -- --ignored --nocapture --test-threads=1

chaos: setup ## The v2 sandbox with over 1,000 findings under injected faults (S3, OpenSearch, Inspector, SNS, killed Lambdas): RELIABILITY lines; nothing lost or doubled
	@cargo test --quiet --workspace --test e2e chaos -- --ignored --nocapture --test-threads=1

zips: setup ## Release Lambda zips (cargo lambda, provided.al2023 x86_64) into dist/lambda/, the modules' defaults
	@scripts/lambda-zips.sh release

lint: setup ## cargo fmt --check, clippy -D warnings, cargo check of the fuzz targets, terraform fmt -check
	@scripts/lint.sh

provider: setup ## Build terraform-provider-inspectorlink (release) and install it into .terraform-mirror/
	@cargo build --release --quiet -p terraform-provider-inspectorlink
	@scripts/install-provider.sh $(TARGET_DIR)/release/terraform-provider-inspectorlink

release: setup ## Provider release (registry zip, manifest, SHA256SUMS; .sig with GPG_KEY_ID=<key>) and network mirror into dist/provider/
	@cargo build --release --quiet -p terraform-provider-inspectorlink
	@scripts/release.sh $(TARGET_DIR)/release/terraform-provider-inspectorlink

report: ## HTML report of the findings in S3: make report BUCKET=name [PREFIX=findings] [OUT=report.html]
	@test -n "$(BUCKET)" || { echo "make report: set BUCKET=<findings bucket> (and source the local AWS env to use it)" >&2; exit 2; }
	@cargo run --quiet -p inspectorlink-report -- --bucket "$(BUCKET)" --prefix "$(or $(PREFIX),findings)" --out "$(or $(OUT),report.html)"

bench: provider ## Benchmarks (BENCH lines): provider, 100- and 1,000-resource plans beside hashicorp/aws, send-findings calls (Classic and v2), CPU, start-up, stacks, 1,000-finding Classic and 5,000-finding v2 pipelines, local AWS v2 findings
	@scripts/bench-provider.sh $(TARGET_DIR)/release/terraform-provider-inspectorlink
	@.venv/bin/python scripts/bench-plan.py
	@BENCH_RESOURCES=1000 BENCH_PLANS=3 .venv/bin/python scripts/bench-plan.py
	@cargo test --quiet -p inspectorlink-core --test integration a_ten_finding -- --nocapture 2>/dev/null | grep '^BENCH'
	@scripts/bench-findings.sh
	@PATH="$(CURDIR)/.venv/bin:$$PATH" cargo lambda build --release --quiet -p send-findings
	@SEND_FINDINGS_BINARY=$(TARGET_DIR)/lambda/send-findings/bootstrap cargo test --quiet -p send-findings --test runtime -- --ignored --nocapture 2>/dev/null | grep '^BENCH'
	@scripts/bench-example.sh
	@ENGINE=classic scripts/sandbox.sh bench | grep -E '^(BENCH|\[)'
	@scripts/sandbox.sh bench | grep -E '^(BENCH|\[)'
	@cd tests/localaws && ../../.venv/bin/python -m localaws up >/dev/null && ../../.venv/bin/python bench_v2.py | grep '^BENCH'

fuzz: setup ## Fuzz the record parser and the finding normaliser (FUZZ_SECONDS per target, default 120)
	@scripts/fuzz.sh

localaws-up: setup ## Start the local AWS (or reuse a healthy one); writes .localaws/env
	@$(LOCALAWS) up

localaws-down: ## Stop the local AWS that localaws-up started
	@$(LOCALAWS) down

localaws-status: ## Exit 0 if the local AWS is running and healthy
	@$(LOCALAWS) status

ENGINE ?= v2

sandbox: setup ## The whole pipeline on the local AWS with Inspector v2: deploy examples/sandbox, scan, process, notify, report (again: the findings' lifecycle; ENGINE=classic: Inspector Classic, which AWS ended on 2026-05-20)
	@ENGINE=$(ENGINE) scripts/sandbox.sh up

sandbox-down: ## Destroy the sandbox (ENGINE=classic: Classic's), stop its mailbox and the local AWS
	@ENGINE=$(ENGINE) scripts/sandbox.sh down

requirements: ## Re-resolve tests/localaws/ and tests/checkov/ requirements.txt from requirements.in
	@tmp=$$(mktemp -d) && python3 -m venv $$tmp && $$tmp/bin/pip install -q --disable-pip-version-check -r tests/localaws/requirements.in \
	  && { echo "# Every package pinned: generated by \`make requirements\` from requirements.in. Do not edit by hand."; \
	       $$tmp/bin/pip freeze --all | grep -v -E '^(pip|setuptools|wheel)=='; } > tests/localaws/requirements.txt && rm -rf $$tmp
	@tmp=$$(mktemp -d) && python3 -m venv $$tmp && $$tmp/bin/pip install -q --disable-pip-version-check -r tests/checkov/requirements.in \
	  && { echo "# Every package pinned: generated by \`make requirements\` from requirements.in. Do not edit by hand."; \
	       $$tmp/bin/pip freeze --all | grep -v -E '^(pip|setuptools|wheel)=='; } > tests/checkov/requirements.txt && rm -rf $$tmp
