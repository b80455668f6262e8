#!/usr/bin/env bash
# Installs what the Makefile's targets need: apt protobuf-compiler and chromium, the pinned Python
# requirements (moto, boto3, pytest, cargo-lambda) in .venv. Quiet and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v terraform >/dev/null || missing+=("terraform (>= 1.6) on the PATH")
command -v cargo >/dev/null || missing+=("cargo (a Rust toolchain, e.g. from rustup)")
command -v python3 >/dev/null || missing+=("python3 (>= 3.11)")
if ((${#missing[@]})); then
  printf 'setup: missing %s\n' "${missing[@]}" >&2
  exit 1
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: python3 is $(python3 -V 2>&1 | cut -d' ' -f2); the local AWS needs 3.11 or newer" >&2
  exit 1
fi

if ! command -v protoc >/dev/null; then
  echo "setup: installing protobuf-compiler (apt; the provider's build needs protoc)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq protobuf-compiler >/dev/null
fi

# The report's browser tests render it in headless Chromium (Debian's packages).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "setup: installing chromium and chromium-driver (apt; the report's browser tests need them)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

requirements=tests/localaws/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing $requirements into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" >"$stamp"
fi
