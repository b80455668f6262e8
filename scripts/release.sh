#!/usr/bin/env bash
# Packages a built terraform-provider-inspectorlink as a registry release and as a provider
# network mirror (Terraform's "Provider Network Mirror Protocol" as a static website).
# Usage: scripts/release.sh [BINARY]   (default: target/release/terraform-provider-inspectorlink)
# Environment:
#   RELEASE_DIR        where to write (default: dist/provider)
#   GPG_KEY_ID         sign SHA256SUMS with this key (a detached binary signature, as the
#                      registry wants); unset: no signature
#   PROVIDER_HOSTNAME  the hostname of the provider's source address in the mirror
#                      (default: registry.terraform.io, for source = "inspectorlink/inspectorlink")
# Writes, for version V (the workspace's) and linux_amd64:
#   RELEASE_DIR/terraform-provider-inspectorlink_V_linux_amd64.zip   (binary terraform-provider-inspectorlink_vV)
#   RELEASE_DIR/terraform-provider-inspectorlink_V_manifest.json     (plugin protocol 6.0)
#   RELEASE_DIR/terraform-provider-inspectorlink_V_SHA256SUMS[.sig]
#   RELEASE_DIR/mirror/HOSTNAME/inspectorlink/inspectorlink/{index.json,V.json,<the zip>}
# A second run for another version keeps the versions index.json already lists.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
binary=${1:-$root/target/release/terraform-provider-inspectorlink}
[ -x "$binary" ] || { echo "release: no executable at $binary; build it first (make release builds it)" >&2; exit 1; }
for tool in zip jq sha256sum xxd base64; do
  command -v "$tool" >/dev/null || { echo "release: $tool is missing (apt-get install ${tool/sha256sum/coreutils})" >&2; exit 1; }
done
[ -z "${GPG_KEY_ID:-}" ] || command -v gpg >/dev/null || { echo "release: GPG_KEY_ID is set but gpg is missing" >&2; exit 1; }
out=${RELEASE_DIR:-$root/dist/provider}
hostname=${PROVIDER_HOSTNAME:-registry.terraform.io}
name=terraform-provider-inspectorlink
platform=linux_amd64
# The crate's version is the workspace's ([workspace.package] version).
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")
[ -n "$version" ] || { echo "release: no version in $root/Cargo.toml [workspace.package]" >&2; exit 1; }

zip_name="${name}_${version}_${platform}.zip"
manifest="${name}_${version}_manifest.json"
sums="${name}_${version}_SHA256SUMS"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The archive holds one file, named as the registry expects; a fixed time stamp and no
# extra attributes make the same binary give the same zip (and the same hashes).
cp "$binary" "$work/${name}_v${version}"
chmod 0755 "$work/${name}_v${version}"
touch -d '1980-01-01 00:00:00 UTC' "$work/${name}_v${version}"
rm -f "$out/$zip_name"
(cd "$work" && TZ=UTC zip -q -X "$out/$zip_name" "${name}_v${version}")

printf '{"version":1,"metadata":{"protocol_versions":["6.0"]}}\n' > "$out/$manifest"
(cd "$out" && sha256sum "$zip_name" "$manifest" > "$sums")
rm -f "$out/$sums.sig"
if [ -n "${GPG_KEY_ID:-}" ]; then
  gpg --batch --yes --local-user "$GPG_KEY_ID" --detach-sign --output "$out/$sums.sig" "$out/$sums"
fi

# Terraform's package hashes: zh: is the SHA-256 of the zip, in hex; h1: hashes the files
# inside it (Go's dirhash Hash1: SHA-256 over the sorted "sha256hex  name" lines, base64).
zh="zh:$(sha256sum "$out/$zip_name" | cut -d' ' -f1)"
h1="h1:$(cd "$work" && sha256sum "${name}_v${version}" | sha256sum | cut -d' ' -f1 | xxd -r -p | base64)"

mirror="$out/mirror/$hostname/inspectorlink/inspectorlink"
mkdir -p "$mirror"
cp "$out/$zip_name" "$mirror/$zip_name"
jq -n --arg platform "$platform" --arg url "$zip_name" --arg h1 "$h1" --arg zh "$zh" \
  '{archives: {($platform): {url: $url, hashes: [$h1, $zh]}}}' > "$mirror/$version.json"
index="$mirror/index.json"
{ [ -f "$index" ] && cat "$index" || echo '{"versions": {}}'; } \
  | jq --arg version "$version" '.versions[$version] = {}' > "$work/index.json"
mv "$work/index.json" "$index"

echo "$out/$zip_name"
echo "$mirror"
