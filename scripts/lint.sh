#!/usr/bin/env bash
# The checks every change must pass: rustfmt, clippy with warnings as errors, terraform fmt.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# shellcheck disable=SC2046
terraform fmt -check -recursive tests/terraform provider/examples $(ls -d modules examples 2>/dev/null)
