#!/usr/bin/env bash
# Installs a built terraform-provider-inspectorlink into the repo-local filesystem mirror
# (.terraform-mirror/) that the local AWS's CLI config names for inspectorlink/*.
# Usage: scripts/install-provider.sh [BINARY]   (default: target/release/terraform-provider-inspectorlink)
# Used by `make provider` and by the provider's acceptance tests, so both install alike.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
binary=${1:-$root/target/release/terraform-provider-inspectorlink}
[ -x "$binary" ] || { echo "install-provider: no executable at $binary; build it first (make provider)" >&2; exit 1; }
# The crate's version is the workspace's ([workspace.package] version).
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")
dir="$root/.terraform-mirror/registry.terraform.io/inspectorlink/inspectorlink/$version/linux_amd64"
target="$dir/terraform-provider-inspectorlink_v$version"
mkdir -p "$dir"
if ! cmp -s "$binary" "$target"; then
  # Copy then rename: a terraform running the old binary keeps it, none sees half a file.
  cp "$binary" "$target.tmp.$$"
  mv -f "$target.tmp.$$" "$target"
fi
echo "$target"
