#!/usr/bin/env bash
# `make test`: lint, then every test suite against one local AWS. Reuses a running local
# AWS (e.g. from `make localaws-up`) and leaves it running; stops one it started itself.
#
# Shaped for 2 cores (CI gives a cold target 45 minutes):
#   1. lint and build at once: Clippy runs inside the one debug build of every target
#      (scripts/lint.sh), while pytest, which needs no build, runs against the local AWS.
#   2. three lanes at once, as the suites mostly wait on the aws provider's polling and on
#      the local AWS: the cargo tests then the modules (both set up fixed accounts'
#      singletons, e.g. Security Hub in 111111111111, and count what reaches them); the v2
#      sandbox (accounts of its own) then examples/multi-account (fixed accounts, but
#      names, a scan tag and checks of its own prefix); the Classic sandbox (accounts of
#      its own).
# Each concurrent job writes a log that is printed whole when the job ends, and every
# TEST_HEARTBEAT_SECONDS (120) a line names the phases still running; the exit code is 1 if
# any phase failed, and the summary lists each phase with its time.
set -euo pipefail
cd "$(dirname "$0")/.."
localaws() { (cd tests/localaws && ../../.venv/bin/python -m localaws "$@"); }

logs=$(mktemp -d)
started_here=false
localaws status >/dev/null 2>&1 || started_here=true
localaws up
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  rm -rf "$logs"
  if $started_here; then localaws down; fi
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "${LOCALAWS_STATE_DIR:-.localaws}/env"

# Every cargo command below, and those the scripts and tests start, compiles the workspace
# through Clippy as lint.sh does: one set of artefacts, built once.
RUSTC_WORKSPACE_WRAPPER=$PWD/scripts/clippy-rustc
export RUSTC_WORKSPACE_WRAPPER

# phase <name> <command...>: runs it, its output to a log of its own; records ok/FAILED and the
# seconds in $logs/results; prints its name at the start and its log at the end.
phase() {
  local name=$1 start=$SECONDS rc=0 log running
  shift
  log=$(mktemp "$logs/phase.XXXXXX")
  running=$(mktemp "$logs/running.XXXXXX")
  printf '%s %s\n' "$(date +%s)" "${name%%:*}" >"$running"
  printf -- '--> %s\n' "$name" | flock "$logs/print.lock" cat
  "$@" >"$log" 2>&1 || rc=$?
  rm -f "$running"
  local took=$((SECONDS - start))
  if ((rc == 0)); then
    printf '  ok      %5ss  %s\n' "$took" "$name" >>"$logs/results"
  else
    printf '  FAILED  %5ss  %s (exit %s)\n' "$took" "$name" "$rc" >>"$logs/results"
  fi
  # The phase's whole log at once, so that concurrent phases do not interleave.
  {
    printf '\n==> %s (%ss)\n' "$name" "$took"
    cat "$log"
  } | flock "$logs/print.lock" cat
  return $rc
}

# So that a long run shows it is alive: which phases run, and for how long.
heartbeat() {
  local file started name line now
  while sleep "${TEST_HEARTBEAT_SECONDS:-120}"; do
    now=$(date +%s) line=""
    for file in "$logs"/running.*; do
      [ -e "$file" ] || continue
      read -r started name <"$file" || continue
      line+="; $name $((now - started))s"
    done
    [ -z "$line" ] || printf '... still running: %s\n' "${line#; }" | flock "$logs/print.lock" cat
  done
}

lint() { scripts/lint.sh; }
# Not in the lint's build: the Lambdas' zips are of plain binaries, which cargo builds apart
# from the test build (inspectorlink-findings' `testing` feature is for tests only).
test_zips() { scripts/lambda-zips.sh test; }
pytest() { (cd tests/localaws && ../../.venv/bin/python -m pytest -q tests); }
cargo_tests() { cargo test --workspace; }
modules() { scripts/test-modules.sh; }
multi_account() { scripts/test-example.sh; }
# make test-sandbox's two tests (tests/e2e/tests/sandbox*.rs), each in a process of its own.
sandbox() { cargo test --quiet --workspace --test e2e "$1" -- --ignored --nocapture; }

echo "make test: lint and build, with pytest beside them; then three lanes: the cargo tests and the modules; the v2 sandbox and examples/multi-account; the Classic sandbox (each log prints when its phase ends)"
heartbeat &
phase "pytest: the local AWS (launcher, fidelity patches, Inspector Classic and v2)" pytest &
pytest_job=$!
lint_ok=true
phase "lint: cargo fmt, clippy (in the debug build of every target), the fuzz targets, terraform fmt" lint || lint_ok=false
if $lint_ok; then
  phase "build: the Lambdas' test zips (dist/test-lambda/) and the provider (debug)" test_zips || lint_ok=false
fi
wait "$pytest_job" || true

if $lint_ok; then
  cargo_tests_then_modules() {
    phase "cargo test: the workspace, against the local AWS" cargo_tests || true
    phase "Terraform modules and examples: fmt, checkov, validate, terraform test, the security stack" modules || true
  }
  sandbox_v2_then_multi_account() {
    phase "the sandbox on Inspector v2, twice: scans, the deployed Lambdas, S3, index, notifications, closure, suppression" sandbox sandbox:: || true
    phase "examples/multi-account: apply, empty plan, unlisted account kept out, destroy" multi_account || true
  }
  cargo_tests_then_modules &
  first_lane=$!
  sandbox_v2_then_multi_account &
  second_lane=$!
  phase "the sandbox on Inspector Classic: rescans, redelivery, DLQ, report in Chromium" sandbox sandbox_classic:: || true
  wait "$first_lane" "$second_lane" || true
else
  echo "  the test phases need the build above; skipped" >>"$logs/results"
fi

printf '\n==> make test: summary\n'
cat "$logs/results"
! grep -qE '^  FAILED|skipped$' "$logs/results"
