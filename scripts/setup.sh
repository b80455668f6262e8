#!/usr/bin/env bash
# Installs what the Makefile's targets need: apt protobuf-compiler, jq and chromium (with
# chromium-driver, for the report's browser test), the pinned Python requirements (moto,
# boto3, pytest, cargo-lambda) and the local AWS (tests/localaws, editable) in .venv, and checkov in .venv-checkov (its pins clash with
# moto's). Quiet and quick when done.
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

# Debian packages, installed only when their command is missing: protoc for the provider's
# build, jq for the scripts, chromium + chromedriver for the report's browser tests.
packages=()
command -v protoc >/dev/null || packages+=(protobuf-compiler)
command -v jq >/dev/null || packages+=(jq)
command -v chromium >/dev/null || packages+=(chromium)
command -v chromedriver >/dev/null || packages+=(chromium-driver)
if ((${#packages[@]})); then
  echo "setup: installing ${packages[*]} (apt)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# The pinned requirements, then the local AWS itself (tests/localaws, a package) installed
# editable: scripts and tests `import localaws` from anywhere, without sys.path edits. No
# dependencies (requirements.txt pins them); its build backend is pinned in pyproject.toml.
requirements=tests/localaws/requirements.txt
stamp=.venv/.requirements.sha256
want=$(cat "$requirements" tests/localaws/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing $requirements and tests/localaws into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e tests/localaws
  echo "$want" >"$stamp"
fi

checkov_requirements=tests/checkov/requirements.txt
checkov_stamp=.venv-checkov/.requirements.sha256
want=$(sha256sum "$checkov_requirements" | cut -d' ' -f1)
if [ ! -x .venv-checkov/bin/checkov ] || [ "$(cat "$checkov_stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing $checkov_requirements into .venv-checkov"
  python3 -m venv .venv-checkov
  .venv-checkov/bin/pip install --quiet --disable-pip-version-check -r "$checkov_requirements"
  echo "$want" >"$checkov_stamp"
fi
