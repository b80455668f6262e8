#!/usr/bin/env bash
# `make test-example`: examples/multi-account on the local AWS, as a platform engineer runs
# it. The test is Rust, tests/e2e/tests/multi_account.rs: offline init, validate, apply, a
# plan that must be empty, what the estate must do (the read role's trust, a listed
# member's findings reach the central queues, an unlisted account's do not), destroy, and
# nothing left behind; beside it, examples/atlantis.yaml against the per-stack layout.
# This script builds what the test installs (the provider's debug build) and runs it.
# Reuses a running local AWS (LOCALAWS_STATE_DIR selects one) and leaves it running; stops
# one it started. The test prints `BENCH multi_account_single_root_apply_2x2 <s> s`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/example-lib.sh
source scripts/example-lib.sh

echo "examples/multi-account on the local AWS (tests/e2e multi_account)"
example_localaws_up
# Every binary of the workspace in one cargo build, as make test-modules builds them (so
# features unify alike and nothing is rebuilt): the provider among them.
scripts/lambda-zips.sh test
cargo test --quiet --workspace --test e2e multi_account -- --ignored --nocapture
