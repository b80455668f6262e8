# Sourced by scripts/test-example.sh, bench-example.sh, sandbox.sh and test-modules.sh: the
# local AWS, the inspectorlink provider, Lambda zips and a private copy of the example to
# run terraform in.
# shellcheck shell=bash

localaws() { (cd tests/localaws && ../../.venv/bin/python -m localaws "$@"); }

# cargo's target directory: CARGO_TARGET_DIR, a cargo config's target-dir, or target/.
cargo_target_dir() { cargo metadata --no-deps --format-version 1 | jq -r .target_directory; }

# Starts the local AWS unless one is running (then leaves it running), and sources its env.
example_localaws_up() {
  local started_here=false
  localaws status >/dev/null 2>&1 || started_here=true
  localaws up >/dev/null
  if $started_here; then trap 'localaws down >/dev/null' EXIT; fi
  # shellcheck disable=SC1091
  source "${LOCALAWS_STATE_DIR:-.localaws}/env"
}

# Chooses the provider binary the run uses (EXAMPLE_PROVIDER_BINARY): the newest of the
# workspace's builds (target/debug, e.g. from make test-modules, or target/release, from
# make provider) and the one installed in .terraform-mirror/; builds a release only when
# there is none. The run copies it into a mirror of its own (example_copy) and never
# writes to .terraform-mirror/, which other runs in the same checkout may be using.
EXAMPLE_PROVIDER_BINARY=
example_provider() {
  local target candidate
  target=$(cargo_target_dir)
  for candidate in "$target"/debug/terraform-provider-inspectorlink "$target"/release/terraform-provider-inspectorlink \
    .terraform-mirror/registry.terraform.io/inspectorlink/inspectorlink/*/*/terraform-provider-inspectorlink_*; do
    if [ -x "$candidate" ] && { [ -z "$EXAMPLE_PROVIDER_BINARY" ] || [ "$candidate" -nt "$EXAMPLE_PROVIDER_BINARY" ]; }; then
      EXAMPLE_PROVIDER_BINARY=$candidate
    fi
  done
  if [ -z "$EXAMPLE_PROVIDER_BINARY" ]; then
    cargo build --release --quiet -p terraform-provider-inspectorlink
    EXAMPLE_PROVIDER_BINARY=$target/release/terraform-provider-inspectorlink
  fi
  echo "provider: $EXAMPLE_PROVIDER_BINARY"
}

# Copies what the example's roots reference (modules/, examples/, the Inspector facts file)
# into $1, keeping the relative layout, so runs never write state into the repository; puts
# the chosen provider into a filesystem mirror of the run's own and exports a CLI config
# (TF_CLI_CONFIG_FILE) that is the local AWS's with that mirror for inspectorlink/*.
example_copy() {
  local work=$1 version dir
  mkdir -p "$work/functions/inspector-facts"
  rm -rf "$work/modules" "$work/examples" "$work/terraform-mirror"
  cp -R modules examples "$work/"
  cp functions/inspector-facts/classic-regions.json "$work/functions/inspector-facts/"
  # Lock files are gitignored leftovers of other runs (test-modules' validate writes them):
  # their checksums name another provider build than the one this run installs.
  find "$work/modules" "$work/examples" -name .terraform.lock.hcl -delete
  # The provider's version is the workspace's, as scripts/install-provider.sh installs it.
  version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
  dir="$work/terraform-mirror/registry.terraform.io/inspectorlink/inspectorlink/$version/linux_amd64"
  mkdir -p "$dir"
  cp "$EXAMPLE_PROVIDER_BINARY" "$dir/terraform-provider-inspectorlink_v$version"
  EXAMPLE_BASE_CLI_CONFIG=${EXAMPLE_BASE_CLI_CONFIG:-$TF_CLI_CONFIG_FILE} # the local AWS's
  sed "s|\"$PWD/.terraform-mirror\"|\"$work/terraform-mirror\"|" "$EXAMPLE_BASE_CLI_CONFIG" >"$work/terraform.rc"
  grep -q "$work/terraform-mirror" "$work/terraform.rc" || { echo "example_copy: no .terraform-mirror path in $EXAMPLE_BASE_CLI_CONFIG" >&2; return 1; }
  export TF_CLI_CONFIG_FILE="$work/terraform.rc"
}

# Prints a JSON object with send_findings_zip / notify_findings_zip: the debug zips of
# `scripts/lambda-zips.sh test` (dist/test-lambda/), else the release zips of `make zips`
# (dist/lambda/), else a stub zip in $1 (for roots whose Lambdas the local AWS only stores);
# with `release`, the release zips or an error. Says on stderr which.
example_zips() { # <work dir> [release]
  local work=$1 kind=${2:-test} name sep='' out='{'
  for name in send-findings notify-findings; do
    local zip
    if [ "$kind" = release ]; then
      # Measured code: exactly what this run's `make zips` built.
      zip="$PWD/dist/lambda/$name.zip"
      [ -f "$zip" ] || {
        echo "example_zips: no $zip; build the release zips first (make zips)" >&2
        return 1
      }
    else
      # The debug zips this run built, never release zips an earlier `make zips` left.
      zip="$PWD/dist/test-lambda/$name.zip"
      [ -f "$zip" ] || zip="$PWD/dist/lambda/$name.zip"
    fi
    if [ ! -f "$zip" ]; then
      zip="$work/stub-$name.zip"
      .venv/bin/python - "$zip" <<'PY'
import sys, zipfile
info = zipfile.ZipInfo("bootstrap", date_time=(2026, 1, 1, 0, 0, 0))
info.external_attr = (0o100755) << 16
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(info, "#!/bin/sh\necho 'stub: the local AWS never runs Lambda code' >&2\nexit 1\n")
PY
      echo "note: no dist/lambda/$name.zip (make zips) or dist/test-lambda/$name.zip (make test-modules); using a stub zip, which the local AWS stores and never runs" >&2
    else
      echo "note: $name: ${zip#"$PWD/"}" >&2
    fi
    out+="$sep\"${name//-/_}_zip\": \"$zip\""
    sep=', '
  done
  echo "$out}"
}

# Runs a phase quietly with its output in $logs/<name>.log (PHASE_LOG); prints its
# duration, and the time since PHASE_CLOCK_START (epoch seconds) when that is set; on
# failure names the log and shows its end. Sets PHASE_SECONDS (one decimal).
PHASE_SECONDS=0
PHASE_LOG=
phase() {
  local name=$1
  PHASE_LOG="$logs/$(printf '%s' "$1" | tr -c 'a-zA-Z0-9._-' '-').log"
  shift
  if [ -n "${PHASE_CLOCK_START:-}" ]; then
    local elapsed=$(($(date +%s) - PHASE_CLOCK_START))
    printf '[%2d:%02d] %-52s' $((elapsed / 60)) $((elapsed % 60)) "$name"
    ((${#name} < 52)) || printf ' ' # a long name still ends before "ok"
  else
    printf '  %-46s' "$name"
    ((${#name} < 46)) || printf ' '
  fi
  local started
  started=$(date +%s%N)
  if "$@" >"$PHASE_LOG" 2>&1; then
    PHASE_SECONDS=$(awk -v ns=$(($(date +%s%N) - started)) 'BEGIN { printf "%.1f", ns / 1e9 }')
    printf 'ok (%s s)\n' "$PHASE_SECONDS"
  else
    local rc=$?
    printf 'FAILED (exit %s)\n' "$rc"
    echo "    phase \"$name\" failed; its log: $PHASE_LOG" >&2
    tail -n 25 "$PHASE_LOG" | sed 's/^/    /' >&2
    return "$rc"
  fi
}
