#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs every test:
# formatting, clippy, unit, property and integration tests, the agency API
# fuzzed against its OpenAPI document, and the Playwright suite with
# JavaScript on and off.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all --check

step "clippy (server side, then the WebAssembly side)"
cargo clippy -p domain -p app -p server -p acquirer --features app/ssr --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "unit, property and integration tests (SQLite and PostgreSQL)"
# A throwaway PostgreSQL server: the storage and payment tests run on it too.
source scripts/postgres.sh
trap postgres_stop EXIT
# Libraries, binaries and test targets, then the doc tests: not the
# benchmarks' load generators (server/examples), which clippy checks above
# and bench/ builds in release; linking them for nothing took gigabytes.
cargo test -p domain -p app -p server -p acquirer --features app/ssr --lib --bins --tests
cargo test -p domain -p app -p server -p acquirer --features app/ssr --doc
postgres_stop
trap - EXIT

step "agency API against its OpenAPI document (schemathesis)"
scripts/schemathesis.sh

step "end-to-end (Playwright, JavaScript on and off)"
scripts/e2e.sh
