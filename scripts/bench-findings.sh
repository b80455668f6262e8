#!/usr/bin/env bash
# Handler CPU time per finding (parse + normalise + serialise) on 1,000 findings:
# functions/findings/benches/normalise.rs. Prints the command and its BENCH lines only.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=(cargo bench -p inspectorlink-findings --bench normalise)
echo "\$ ${cmd[*]}"
out=$("${cmd[@]}" 2>/dev/null)
grep '^BENCH ' <<<"$out"
