#!/usr/bin/env bash
# `make test`: lint, then every test suite against one local AWS. Reuses a running local
# AWS (e.g. from `make localaws-up`) and leaves it running; stops one it started itself.
set -euo pipefail
cd "$(dirname "$0")/.."
localaws() { (cd tests/localaws && ../../.venv/bin/python -m localaws "$@"); }

phase() { printf '\n==> %s\n' "$*"; }
started_here=false
localaws status >/dev/null 2>&1 || started_here=true
localaws up
if $started_here; then trap 'localaws down' EXIT; fi
# shellcheck disable=SC1091
source "${LOCALAWS_STATE_DIR:-.localaws}/env"

phase "lint: cargo fmt, clippy, terraform fmt"
scripts/lint.sh

phase "pytest: the local AWS (launcher, fidelity patches, Inspector Classic)"
(cd tests/localaws && ../../.venv/bin/python -m pytest -q tests)

phase "cargo test: the workspace, against the same local AWS"
cargo test --workspace

phase "Terraform modules and examples: fmt, checkov, validate, terraform test, the security stack"
scripts/test-modules.sh

phase "examples/multi-account: apply, empty plan, unlisted account kept out, destroy"
scripts/test-example.sh

phase "the sandbox end to end, Inspector v2 then Classic: scans, the deployed Lambdas, S3, index, notifications, DLQ, report"
make --no-print-directory test-sandbox
