#!/usr/bin/env bash
# `make test-modules`, and a phase of `make test`: every Terraform module and example,
# against the local AWS.
#   1. build: the workspace's debug binaries (cargo build --bins); the Lambda crates' zipped
#      as dist/test-lambda/<crate>.zip (scripts/lambda-zips.sh test: moto never runs Lambda
#      code, so no release build); the provider used from the build as a dev override
#   2. terraform fmt -check over modules/ and examples/
#   3. checkov over modules/ without their tests/ fixtures (0 failed checks; skips are
#      inline with their reason)
#   4. terraform init (offline) + validate in every module and example folder
#   5. terraform test in every module that has .tftest.hcl files
#   6. tests/terraform/security-stack: the Rust test tests/e2e/tests/security_stack.rs
#      applies it, expects a clean plan, runs Inspector through the topics, destroys it
# (examples/inspector2 is applied, planned and destroyed by functions/core/tests/inspector2.rs,
# which also routes events through it; examples/multi-account by tests/e2e, run by
# scripts/test-example.sh.) The checks are the tests'; this script runs them and reports.
# Steps 5-6 run in three concurrent lanes (see `lanes` below): they mostly wait on the aws
# provider's polling (an SQS queue or policy is re-read for ~30 s before it counts as
# created), so one after the other they took 14 minutes.
# A module variable named <crate>_zip (dashes as underscores, e.g. send_findings_zip) is
# given dist/test-lambda/<crate>.zip through TF_VAR_. Every step runs even if one fails;
# the summary at the end lists each with its time, and the exit code is 1 if any failed.
# Reuses a running local AWS (LOCALAWS_STATE_DIR selects which) and leaves it running;
# stops one it started itself.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=scripts/example-lib.sh
source scripts/example-lib.sh # localaws, cargo_target_dir

started_here=false
localaws status >/dev/null 2>&1 || started_here=true
localaws up >/dev/null
tmp=$(mktemp -d)
pids=() # of the lanes below
cleanup() {
  if ((${#pids[@]})); then kill "${pids[@]}" 2>/dev/null || true; fi
  rm -rf "$tmp"
  if $started_here; then localaws down; fi
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "${LOCALAWS_STATE_DIR:-.localaws}/env"
# One copy of each provider for all the folders below (the aws provider is ~700 MB).
export TF_PLUGIN_CACHE_DIR=$tmp/plugin-cache
mkdir -p "$TF_PLUGIN_CACHE_DIR"
# A .terraform.lock.hcl here is a gitignored leftover of an earlier run, possibly naming
# another provider build: start from none. Without a lock file terraform installs into the
# plugin cache instead of reading it, and two lanes' inits writing the same provider there
# at once fail ("mkdir ...: file exists"): one init at a time.
tf_init() {
  local log
  log=$(mktemp "$tmp/init.XXXXXX")
  rm -f .terraform.lock.hcl
  flock "$tmp/init.lock" terraform init -backend=false -input=false -no-color >"$log" 2>&1 || { cat "$log"; return 1; }
}

# step <name> <command...>: runs it, prints its output, records ok/FAILED and the seconds
# in $tmp/results (a file, so steps of the concurrent lanes record theirs too).
step() {
  local name=$1 start=$SECONDS rc=0
  shift
  printf '\n--> %s\n' "$name"
  "$@" || rc=$?
  local took=$((SECONDS - start))
  if ((rc == 0)); then
    printf '  ok      %4ss  %s\n' "$took" "$name" >>"$tmp/results"
  else
    printf '  FAILED  %4ss  %s (exit %s)\n' "$took" "$name" "$rc" >>"$tmp/results"
  fi
}

# Folders with Terraform files: modules and examples (not test fixtures, not .terraform).
tf_dirs() {
  find modules examples -name '*.tf' -not -path '*/.terraform/*' -not -path '*/tests/*' 2>/dev/null |
    xargs -r -n1 dirname | sort -u
}
data_dir() { echo "$tmp/tfdata/${1//\//_}"; }

build() {
  scripts/lambda-zips.sh test # builds every binary of the workspace (debug), the provider too
  # The provider just built, as a dev override in a CLI config of this run: no checksum in
  # a .terraform.lock.hcl (gitignored, maybe left by another build) can refuse it, and the
  # shared .terraform-mirror/ is left alone.
  local target_dir
  target_dir=$(cargo_target_dir)
  sed "s|^provider_installation {|provider_installation {\n  dev_overrides {\n    \"registry.terraform.io/inspectorlink/inspectorlink\" = \"$target_dir/debug\"\n  }|" \
    "$TF_CLI_CONFIG_FILE" >"$tmp/terraform.rc"
  export TF_CLI_CONFIG_FILE=$tmp/terraform.rc
  # Every zip the modules default to (dist/lambda/<crate>.zip) gets a test zip. A Lambda
  # whose crate is not in this workspace yet gets another crate's zip in its place: the
  # local AWS only stores the code, and the module is tested all the same.
  # (Named, not copied: dist/test-lambda/ belongs to lambda-zips.sh, which the sandbox runs
  # at the same time.)
  local name zip stand_in
  stand_in=$(find dist/test-lambda -maxdepth 1 -name '*.zip' | sort | head -n1)
  for name in $(grep -rhoE 'dist/lambda/[a-z0-9-]+\.zip' modules --include='*.tf' | sed -E 's|.*/([a-z0-9-]+)\.zip|\1|' | sort -u); do
    zip=dist/test-lambda/$name.zip
    if [ ! -f "$zip" ]; then
      echo "note: no Lambda crate '$name' in this workspace yet; its module tests deploy $stand_in in its place"
      zip=$stand_in
    fi
    export "TF_VAR_${name//-/_}_zip=$root/$zip"
  done
}

fmt_check() {
  # shellcheck disable=SC2046
  terraform fmt -check -recursive $(ls -d modules examples 2>/dev/null)
}

checkov_scan() {
  [ -x .venv-checkov/bin/checkov ] || { echo "checkov is not installed: run make setup" >&2; return 1; }
  # --skip-download: no network (checkov would fetch guidelines from its vendor).
  # --skip-path /tests/: the modules' terraform test fixtures are not shipped; they stand in
  # for what a landing zone already has (e.g. a key with the default policy).
  .venv-checkov/bin/checkov --directory modules --framework terraform --skip-download --skip-path /tests/ --quiet --compact 2>&1 |
    tee "$tmp/checkov.log"
  grep -q 'Failed checks: 0,' "$tmp/checkov.log"
}

validate_all() {
  local dir rc=0
  for dir in $(tf_dirs); do
    # terraform cannot validate a module that takes aliased providers on its own ("Provider
    # configuration not present"); its terraform test and the stacks plan and apply it.
    if grep -qs configuration_aliases "$dir"/*.tf; then
      echo "  skipped  $dir (configuration_aliases: validated by its terraform test)"
      continue
    fi
    if (cd "$dir" && TF_DATA_DIR=$(data_dir "$dir") tf_init &&
      TF_DATA_DIR=$(data_dir "$dir") terraform validate -no-color >"$tmp/validate.log" 2>&1); then
      echo "  valid    $dir"
    else
      echo "  INVALID  $dir"
      sed 's/^/    /' "$tmp/validate.log"
      rc=1
    fi
  done
  return $rc
}

module_test() { # <module dir>
  local dir=$1
  (cd "$dir" && TF_DATA_DIR=$(data_dir "$dir") tf_init &&
    TF_DATA_DIR=$(data_dir "$dir") terraform test -no-color)
}

# The security stack's end-to-end test (tests/e2e/tests/security_stack.rs: apply, clean
# plan, Inspector Classic runs of a listed and an unlisted member through its topics,
# destroy), in its lane; cargo's build lock keeps it from racing the build above.
security_stack() {
  cargo test --quiet --workspace --test e2e security_stack -- --ignored --nocapture
}

step "build: debug binaries, test Lambda zips, provider" build
step "terraform fmt -check: modules/ examples/" fmt_check
step "checkov: modules/" checkov_scan
step "terraform init + validate: every module and example" validate_all # fills the plugin cache

# The lanes run at once against the same local AWS; within a lane, one step after the
# other. Steps that set up one account's singletons share a lane: the security stack and
# security-primary's test both enable Security Hub in 111111111111 us-east-1. The rest
# use names of their own or accounts of their own (inspector2-organization: 121212121212,
# member-region: 666666666666, member-account: 555555555555). Modules with tests that no
# lane names run in one more lane (lane_unlisted).
security_account_tests=(modules/security-primary)
forwarding_tests=(modules/inspector2-forwarding modules/security-region modules/alarm-topic)
members_tests=(modules/member-region modules/inspector2-organization modules/member-account)
module_tests() { # <module dir>...: terraform test in each, one after the other
  local dir
  for dir in "$@"; do step "terraform test: $dir" module_test "$dir"; done
}
lane_security_account() {
  step "security stack: apply, clean plan, Inspector runs, destroy (tests/e2e)" security_stack
  module_tests "${security_account_tests[@]}"
}
lane_forwarding() { module_tests "${forwarding_tests[@]}"; }
lane_members() { module_tests "${members_tests[@]}"; }
lane_unlisted() {
  local dir listed=" ${security_account_tests[*]} ${forwarding_tests[*]} ${members_tests[*]} " unlisted=()
  for dir in modules/*/; do
    dir=${dir%/}
    if [[ $listed != *" $dir "* ]] && { compgen -G "$dir/*.tftest.hcl" || compgen -G "$dir/tests/*.tftest.hcl"; } >/dev/null; then
      unlisted+=("$dir")
    fi
  done
  if ((${#unlisted[@]})); then module_tests "${unlisted[@]}"; else echo "(every module with tests is in a lane above)"; fi
}
lanes=(lane_security_account lane_forwarding lane_members lane_unlisted)
printf '\n--> %s lanes at once: %s\n' "${#lanes[@]}" "${lanes[*]}"
for lane in "${lanes[@]}"; do
  "$lane" >"$tmp/$lane.log" 2>&1 &
  pids+=($!)
done
for i in "${!lanes[@]}"; do
  wait "${pids[$i]}" || true
  printf '\n----- %s -----\n' "${lanes[$i]}"
  cat "$tmp/${lanes[$i]}.log"
done
pids=()

printf '\n==> modules and examples\n'
cat "$tmp/results"
grep -E 'Passed checks' "$tmp/checkov.log" 2>/dev/null | sed 's/^/  checkov: /' || true
if grep -q '^  FAILED' "$tmp/results"; then exit 1; fi
