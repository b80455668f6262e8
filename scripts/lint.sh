#!/usr/bin/env bash
# The checks every change must pass: rustfmt, clippy with warnings as errors, terraform fmt,
# and the fuzz targets still compiling (a workspace of their own, which nothing else builds;
# `cargo check` needs no nightly, only `make fuzz` does).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo check --quiet --manifest-path functions/findings/fuzz/Cargo.toml --bins
# shellcheck disable=SC2046
terraform fmt -check -recursive tests/terraform provider/examples $(ls -d modules examples 2>/dev/null)
