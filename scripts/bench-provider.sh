#!/usr/bin/env bash
# `make bench`: the provider process on its own, as Terraform starts it. Prints
#   BENCH provider_startup_to_handshake <ms> ms   (spawn until the go-plugin handshake line)
#   BENCH provider_get_schema <ms> ms             (one GetProviderSchema over a fresh connection)
#   BENCH provider_get_schema_min <ms> ms         (the fastest of those: without TCP stalls)
#   BENCH provider_peak_rss <MiB> MiB             (VmHWM after serving the schema)
# each the median of RUNS (default 20) fresh processes of the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/release/terraform-provider-inspectorlink}
runs=${RUNS:-20}
[ -x "$binary" ] || { echo "bench: no executable at $binary; run make provider first" >&2; exit 1; }

# A gRPC message is a 5-byte prefix (no compression, 4-byte length) and the protobuf
# body; GetProviderSchema.Request is empty.
request=$(mktemp)
trap 'rm -f "$request"' EXIT
printf '\0\0\0\0\0' >"$request"

startup=() schema=() rss=()
for _ in $(seq "$runs"); do
  started=$(date +%s%N)
  # Without PLUGIN_CLIENT_CERT the provider serves plain HTTP/2, which curl can speak.
  coproc PROVIDER { exec env -u PLUGIN_CLIENT_CERT "$binary"; }
  read -r handshake <&"${PROVIDER[0]}"
  ready=$(date +%s%N)
  address=$(cut -d'|' -f4 <<<"$handshake")
  seconds=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{time_total}' \
    -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @"$request" \
    "http://$address/tfplugin6.Provider/GetProviderSchema")
  peak_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$PROVIDER_PID/status")
  kill "$PROVIDER_PID"
  wait "$PROVIDER_PID" 2>/dev/null || true
  startup+=("$(((ready - started) / 1000))")
  schema+=("$(awk -v s="$seconds" 'BEGIN {printf "%d", s * 1000000}')")
  rss+=("$peak_kib")
done

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
awk -v us="$(median "${startup[@]}")" 'BEGIN {printf "BENCH provider_startup_to_handshake %.1f ms\n", us / 1000}'
awk -v us="$(median "${schema[@]}")" 'BEGIN {printf "BENCH provider_get_schema %.2f ms\n", us / 1000}'
awk -v us="$(printf '%s\n' "${schema[@]}" | sort -n | head -1)" 'BEGIN {printf "BENCH provider_get_schema_min %.2f ms\n", us / 1000}'
awk -v kib="$(median "${rss[@]}")" 'BEGIN {printf "BENCH provider_peak_rss %.1f MiB\n", kib / 1024}'
