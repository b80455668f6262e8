#!/usr/bin/env bash
# `make fuzz`: runs every cargo-fuzz target of functions/findings/fuzz for FUZZ_SECONDS
# (default 120) each. A crash input is copied to functions/findings/tests/regressions/<target>/
# (replayed by that crate's tests/regressions.rs) and the script exits non-zero.
# The committed seeds (fuzz/corpus/<target>/) are only read; what the fuzzer adds goes to
# target/fuzz/corpus/<target>/ and carries over between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-120}
fuzz_dir=functions/findings/fuzz
work=$PWD/target/fuzz

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

failed=()
for target in record_body classic_finding v2_finding covered_resource; do
  corpus=$work/corpus/$target
  # cargo-fuzz's own crash directory (git-ignored scratch): emptied so what is left is this run's.
  artifacts=$fuzz_dir/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  rm -f "$artifacts"/*
  log=$work/$target.log
  printf '==> %s: %ss\n' "$target" "$seconds"
  status=0
  (cd "$fuzz_dir" && cargo +nightly fuzz run --target-dir "$work/build" "$target" \
    "$corpus" "corpus/$target" -- -max_total_time="$seconds") >"$log" 2>&1 || status=$?
  # libFuzzer's closing "Done N runs in S second(s)", or its last status line "#N ...".
  done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -1 || true)
  if [[ -n $done_line ]]; then
    read -r _ execs _ _ ran _ <<<"$done_line"
  else
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    ran="?"
  fi
  crashes=()
  for f in "$artifacts"/*; do [[ -f $f ]] && crashes+=("$f"); done
  if [[ $status -eq 0 && ${#crashes[@]} -eq 0 ]]; then
    printf '%s: fuzzed %ss, %s executions, no crash\n' "$target" "$ran" "${execs:-?}"
    continue
  fi
  failed+=("$target")
  if [[ ${#crashes[@]} -eq 0 ]]; then
    printf '%s: cargo fuzz failed (exit %s) without a crash input; %s:\n' "$target" "$status" "$log"
    tail -20 "$log"
    continue
  fi
  keep=functions/findings/tests/regressions/$target
  mkdir -p "$keep"
  cp "${crashes[@]}" "$keep/"
  printf '%s: CRASH after %s executions; kept in %s/: %s\n' "$target" "${execs:-?}" "$keep" \
    "$(basename -a "${crashes[@]}" | tr '\n' ' ')"
  grep -m1 -A8 -E 'panicked at|ERROR: (libFuzzer|AddressSanitizer)' "$log" || tail -20 "$log"
done

if ((${#failed[@]})); then
  printf 'fuzz: failed: %s (see %s/<target>.log)\n' "${failed[*]}" "$work"
  exit 1
fi
echo "fuzz: no crash"
