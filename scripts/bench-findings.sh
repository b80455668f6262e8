#!/usr/bin/env bash
# Handler CPU time per finding (parse + normalise + serialise) on 1,000 findings
# (functions/findings/benches/normalise.rs), and the OCSF copy's speed and size
# (functions/findings/benches/ocsf.rs). Prints each command and its BENCH lines only.
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in "normalise" "ocsf --features parquet"; do
  # shellcheck disable=SC2086 # the bench's name and its features, as words
  cmd=(cargo bench -p inspectorlink-findings --bench $bench)
  echo "\$ ${cmd[*]}"
  out=$("${cmd[@]}" 2>/dev/null)
  grep '^BENCH ' <<<"$out"
done
