#!/usr/bin/env bash
# Lambda deployment zips for every Lambda crate: a crate under functions/ with a binary
# target that depends on lambda_runtime (discovered with cargo metadata, so new Lambdas need
# no change here; the report CLI is not one).
#
#   scripts/lambda-zips.sh release   `make zips`: cargo lambda build --release --output-format zip
#                                    (provided.al2023, x86_64) into dist/lambda/<crate>.zip,
#                                    where the modules' default zip paths point.
#   scripts/lambda-zips.sh test      `make test`: the workspace's debug binaries (cargo build
#                                    --bins, every crate with one), the Lambdas' stripped and
#                                    zipped as bootstrap into
#                                    dist/test-lambda/<crate>.zip. The local AWS never runs
#                                    Lambda code, so the module tests only need real zips;
#                                    a release build would cost CI minutes for nothing.
# Prints one line per zip: <crate> <path> <bytes>.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in release | test) ;; *)
  echo "usage: $0 release|test" >&2
  exit 2
  ;;
esac

# "<crate> <binary>" per Lambda crate; and cargo's target directory (CARGO_TARGET_DIR aware).
metadata=$(cargo metadata --no-deps --format-version 1)
target_dir=$(jq -r .target_directory <<<"$metadata")
mapfile -t lambdas < <(jq -r --arg root "$PWD/functions/" '.packages[]
  | select(.manifest_path | startswith($root))
  | select(any(.dependencies[]; .name == "lambda_runtime"))
  | .name as $crate | .targets[] | select(.kind | index("bin")) | "\($crate) \(.name)"' <<<"$metadata")
if ((${#lambdas[@]} == 0)); then
  echo "lambda-zips: no Lambda crate (functions/* with a binary) found" >&2
  exit 1
fi
crates=()
for entry in "${lambdas[@]}"; do crates+=(-p "${entry%% *}"); done
# test mode builds every binary of the workspace in one go (the provider too, which the
# module tests install), so that features unify once and nothing is built twice.
mapfile -t all_bins < <(jq -r '.packages[] | select(any(.targets[]; .kind | index("bin"))) | "-p\n\(.name)"' <<<"$metadata")

# A zip holding one executable `bootstrap`, with fixed timestamps so that the same binary
# gives the same zip (and source_code_hash).
zip_bootstrap() { # <binary> <zip>
  python3 - "$1" "$2" <<'PY'
import sys, zipfile
binary, out = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
info.external_attr = 0o100755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(binary, "rb") as f, zipfile.ZipFile(out, "w") as z:
    z.writestr(info, f.read(), compresslevel=6)
PY
}

# Puts zip $1 at $2 unless $2 already holds the same bytes; a rename, so a terraform run
# reading $2 meanwhile (make test runs the sandbox beside the module tests) sees the old zip
# or the new one, never a missing or half-written file.
install_zip() { # <new zip> <zip>
  if cmp -s "$1" "$2"; then rm -f "$1"; else mv -f "$1" "$2"; fi
}

if [ "$mode" = release ]; then
  out=dist/lambda
  mkdir -p "$out"
  PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --quiet --output-format zip "${crates[@]}"
  for entry in "${lambdas[@]}"; do
    crate=${entry%% *} bin=${entry#* }
    cp "$target_dir/lambda/$bin/bootstrap.zip" "$out/$crate.zip"
  done
else
  out=dist/test-lambda
  mkdir -p "$out"
  cargo build --quiet --bins "${all_bins[@]}"
  tmp=$(mktemp -d dist/.test-lambda.XXXXXX) # beside $out: install_zip's rename stays atomic
  trap 'rm -rf "$tmp"' EXIT
  declare -A current=()
  for entry in "${lambdas[@]}"; do
    crate=${entry%% *} bin=${entry#* }
    current[$crate]=1
    cp "$target_dir/debug/$bin" "$tmp/bootstrap"
    strip "$tmp/bootstrap" 2>/dev/null || true
    zip_bootstrap "$tmp/bootstrap" "$tmp/$crate.zip"
    install_zip "$tmp/$crate.zip" "$out/$crate.zip"
  done
  # No zip of an earlier run outlives its crate.
  for zip in "$out"/*.zip; do
    [ -e "$zip" ] && [ -z "${current[$(basename "$zip" .zip)]:-}" ] && rm -f "$zip"
  done
fi
for entry in "${lambdas[@]}"; do
  crate=${entry%% *}
  echo "$crate $out/$crate.zip $(stat -c %s "$out/$crate.zip")"
done
