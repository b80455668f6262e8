#!/usr/bin/env bash
# `make bench` hook: apply time of the multi-account estate for members x regions, through
# the per-stack layout examples/multi-account/stacks/ (the layout examples/atlantis.yaml
# runs): one stack root per shape, one workspace and tfvars file per instance, applied in
# Atlantis's execution order groups, the projects of a group in parallel
# (parallel_apply: true). Each size is then checked for drift (every instance's plan must
# be empty) and destroyed. (That destroy leaves nothing behind is tested on the single
# root by tests/e2e multi_account, make test-example.)
# Usage: scripts/bench-example.sh [SIZE ...]   (default: 1x1 2x2 4x2; SIZE = <members>x<regions>)
# Prints `BENCH multi_account_apply_<m>x<r> <seconds> s` per size.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/example-lib.sh
source scripts/example-lib.sh

security=111111111111
member_pool=(222222222222 333333333333 777777777777 888888888888)
region_pool=(us-east-1 us-west-2)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1x1 2x2 4x2)

example_localaws_up
phase_root="${LOCALAWS_STATE_DIR:-$PWD/.localaws}/bench-example"
mkdir -p "$phase_root"
logs="$phase_root/logs"
mkdir -p "$logs"
phase "provider (newest build, else a release build)" example_provider >&2

# Runs terraform <args> for every "<shape>:<instance>" given, in parallel; fails if any does.
each() {
  local verb=$1 pids=() item shape instance failed=0
  shift
  for item in "$@"; do
    shape=${item%%:*} instance=${item#*:}
    (
      cd "$stacks/$shape"
      TF_WORKSPACE=$instance terraform "$verb" -input=false -no-color \
        $([ "$verb" = plan ] && echo -detailed-exitcode || echo -auto-approve) \
        -var-file=../estate.tfvars -var-file="../instances/$instance.tfvars"
    ) >"$logs/$size-$verb-$instance.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return $failed
}

for size in "${sizes[@]}"; do
  m=${size%x*} r=${size#*x}
  members=("${member_pool[@]:0:m}") regions=("${region_pool[@]:0:r}")
  prefix="ilbench${m}x${r}"
  work="$phase_root/$size"
  rm -rf "$work"
  mkdir -p "$work"
  example_copy "$work"
  stacks="$work/examples/multi-account/stacks"
  echo "multi-account estate ${m}x${r}: members ${members[*]}, regions ${regions[*]} (prefix $prefix)" >&2

  # The estate and one tfvars file per instance, as a platform engineer would write them.
  members_json=$(printf '"%s",' "${members[@]}")
  regions_json=$(printf '"%s",' "${regions[@]}")
  cat >"$stacks/estate.tfvars" <<TFVARS
security_account_id = "$security"
member_account_ids  = [${members_json%,}]
regions             = [${regions_json%,}]
name_prefix         = "$prefix"
account_role_name   = "inspectorlink-test"
external_id         = "bench-$prefix"
local_aws           = true
TFVARS
  rm -f "$stacks"/instances/*.tfvars
  zips=$(example_zips "$work")
  .venv/bin/python -c 'import json,sys; z=json.loads(sys.argv[1]); print("bucket_force_destroy = true"); [print(f"{k} = \"{v}\"") for k, v in z.items()]' "$zips" \
    >"$stacks/instances/security-primary.tfvars"
  group1=(security-primary:security-primary) group2=() group3=()
  for region in "${regions[@]}"; do
    echo "region = \"$region\"" >"$stacks/instances/security-region-$region.tfvars"
    group2+=("security-region:security-region-$region")
  done
  for member in "${members[@]}"; do
    echo "member_account_id = \"$member\"" >"$stacks/instances/member-account-$member.tfvars"
    group2+=("member-account:member-account-$member")
    for region in "${regions[@]}"; do
      printf 'member_account_id = "%s"\nregion            = "%s"\n' "$member" "$region" \
        >"$stacks/instances/member-region-$member-$region.tfvars"
      group3+=("member-region:member-region-$member-$region")
    done
  done

  init_all() {
    local shape item
    for shape in security-primary security-region member-account member-region; do
      terraform -chdir="$stacks/$shape" init -input=false -no-color
    done
    for item in "${group1[@]}" "${group2[@]}" "${group3[@]}"; do
      terraform -chdir="$stacks/${item%%:*}" workspace new "${item#*:}"
    done
  }
  phase "$size terraform init, workspaces" init_all >&2
  started=$(date +%s%N)
  phase "$size apply group 1 (${#group1[@]} stack)" each apply "${group1[@]}" >&2
  phase "$size apply group 2 (${#group2[@]} stacks)" each apply "${group2[@]}" >&2
  phase "$size apply group 3 (${#group3[@]} stacks)" each apply "${group3[@]}" >&2
  seconds=$(awk -v ns=$(($(date +%s%N) - started)) 'BEGIN { printf "%.1f", ns / 1e9 }')
  phase "$size plan every stack (no drift)" each plan "${group1[@]}" "${group2[@]}" "${group3[@]}" >&2
  phase "$size destroy group 3" each destroy "${group3[@]}" >&2
  phase "$size destroy group 2" each destroy "${group2[@]}" >&2
  phase "$size destroy group 1" each destroy "${group1[@]}" >&2
  echo "BENCH multi_account_apply_${m}x${r} $seconds s"
  rm -rf "$work" # its logs stay in $logs
done
