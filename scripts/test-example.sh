#!/usr/bin/env bash
# `make test-example`: examples/multi-account on the local AWS, as a platform engineer runs
# it: offline init, apply, a plan that must be empty, what the estate must do (checks in
# scripts/check-example.py: the read role's trust, a listed member's findings reach the
# central queue, an unlisted account's do not), destroy, and nothing left behind.
# Reuses a running local AWS (LOCALAWS_STATE_DIR selects one) and leaves it running; stops
# one it started. Prints `BENCH multi_account_single_root_apply_2x2 <s> s`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/example-lib.sh
source scripts/example-lib.sh

prefix=${EXAMPLE_PREFIX:-ilex$((RANDOM % 9000 + 1000))}
external_id="example-$prefix-external-id"
security=111111111111
members=222222222222,333333333333
regions=us-east-1,us-west-2

echo "examples/multi-account on the local AWS: security $security, members $members, regions $regions (prefix $prefix)"
example_localaws_up
work="${LOCALAWS_STATE_DIR:-$PWD/.localaws}/test-example/$prefix"
logs="$work/logs"
mkdir -p "$logs"
root="$work/examples/multi-account"
tf() { terraform -chdir="$root" "$@"; }

phase "provider (newest build, else a release build)" example_provider
example_copy "$work"
zips=$(example_zips "$work")
.venv/bin/python - "$root/local.auto.tfvars.json" "$zips" <<PY
import json, sys
values = {
    "security_account_id": "$security",
    "member_account_ids": "$members".split(","),
    "account_role_name": "inspectorlink-test",
    "local_aws": True,
    "name_prefix": "$prefix",
    "external_id": "$external_id",
    "bucket_force_destroy": True,
    "tags": {"Suite": "test-example"},
    **json.loads(sys.argv[2]),
}
json.dump(values, open(sys.argv[1], "w"), indent=2)
PY

destroy_on_failure() {
  echo "test-example: failed; destroying what was applied (log: $logs/cleanup-destroy.log)" >&2
  tf destroy -input=false -auto-approve -no-color >"$logs/cleanup-destroy.log" 2>&1 || true
}
trap 'destroy_on_failure; localaws status >/dev/null 2>&1 || true' ERR

phase "atlantis.yaml matches stacks/instances" .venv/bin/python scripts/check-example.py atlantis examples/atlantis.yaml .
phase "terraform init (offline mirrors)" tf init -input=false -no-color
phase "terraform validate" tf validate -no-color
phase "terraform apply" tf apply -input=false -auto-approve -no-color
apply_seconds=$PHASE_SECONDS
phase "terraform plan -detailed-exitcode (no drift)" tf plan -input=false -detailed-exitcode -no-color
tf output -json >"$work/outputs.json"
phase "checks: trust, listed and unlisted accounts" .venv/bin/python scripts/check-example.py deployed "$work/outputs.json" "$prefix" "$external_id"
sed 's/^/    /' "$logs/checks--trust--listed-and-unlisted-accounts.log"
phase "terraform destroy" tf destroy -input=false -auto-approve -no-color
trap - ERR
phase "nothing left with the prefix" .venv/bin/python scripts/check-example.py destroyed "$prefix" "$security" "$members" "$regions"
echo "BENCH multi_account_single_root_apply_2x2 $apply_seconds s"
rm -rf "$work"
