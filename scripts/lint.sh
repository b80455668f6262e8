#!/usr/bin/env bash
# The checks every change must pass: rustfmt, Clippy with warnings as errors, terraform fmt,
# and the fuzz targets still compiling (a workspace of their own, which nothing else builds;
# `cargo check` needs no nightly, only `make fuzz` does).
# Clippy runs as the compiler of the workspace's crates in a debug build of every target
# (scripts/clippy-rustc), not as `cargo clippy`: the build the tests need anyway, instead of
# a second build of every dependency in check mode (about 6 minutes from a cold target on 2
# cores). Same lints, same `-D warnings`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
# shellcheck disable=SC2046
terraform fmt -check -recursive tests/terraform provider/examples $(ls -d modules examples 2>/dev/null)
RUSTC_WORKSPACE_WRAPPER=$PWD/scripts/clippy-rustc cargo test --workspace --all-targets --no-run --quiet
cargo check --quiet --manifest-path functions/findings/fuzz/Cargo.toml --bins
