#!/usr/bin/env bash
# Installs what building and testing tolem needs, skipping what is already
# there. Sourced by run.sh and test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
SCHEMATHESIS_VERSION=4.32.5
# poppler-utils and zbar-tools read the receipts' PDFs and QR codes in tests.
DEBIAN_PACKAGES=(chromium brotli postgresql poppler-utils zbar-tools)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [[ "$(cargo leptos --version 2>/dev/null || true)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

# The CLI must match the wasm-bindgen crate pinned in Cargo.toml exactly.
# (--locked does not resolve for this version; see shared notes.)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != *"$WASM_BINDGEN_VERSION"* ]]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# npm packages: Playwright (driving Debian's Chromium) and binaryen's wasm-opt.
# Debian's wasm-opt is too old: its output breaks hydration.
if [[ ! -x end2end/node_modules/.bin/wasm-opt || end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
  say "installing npm packages of end2end/"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

# schemathesis (PyPI), in a virtualenv of its own outside the work tree so
# that fresh clones on this machine share it: it fuzzes the agency API
# against its OpenAPI document (scripts/schemathesis.sh).
TOOLS_VENV="${TOLEM_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tolem-venv}"
export SCHEMATHESIS="$TOOLS_VENV/bin/schemathesis"
schemathesis_installed=$("$TOOLS_VENV/bin/python" -c 'from importlib.metadata import version; print(version("schemathesis"))' 2>/dev/null || true)
if [[ $schemathesis_installed != "$SCHEMATHESIS_VERSION" ]]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $TOOLS_VENV (under a minute, once)"
  # A venv whose Python has gone (a new interpreter) is made anew.
  "$TOOLS_VENV/bin/python" -c '' 2>/dev/null || { rm -rf "$TOOLS_VENV"; python3 -m venv "$TOOLS_VENV"; }
  "$TOOLS_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# cargo-leptos finds wasm-opt (and wasm-bindgen) on PATH and would try to
# download them otherwise, which fails here.
source scripts/env.sh
