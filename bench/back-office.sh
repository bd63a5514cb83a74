#!/usr/bin/env bash
# The back office over a million payments (server/examples/back_office.rs
# says how): p50/p99 of the payment list under each filter beside
# /health/live through the same client (the ceiling), and the resident
# memory of the server's process during a CSV export of the whole year,
# on SQLite and on a throwaway PostgreSQL server. Budget (issue 14): p99
# under 100 ms for a filtered page, memory flat during the export; the
# overview of 30 days and of a year (issue 15) is timed the same way. It
# prints the figures and never fails on them.
#
# Usage: bench/back-office.sh [--payments N] [--repeat N] [--only sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if [[ " $* " == *" --only sqlite "* ]]; then
  :
elif source scripts/postgres.sh; then
  trap postgres_stop EXIT
else
  echo "back-office.sh: no PostgreSQL server, measuring SQLite only" >&2
fi

cargo build --release -p server --example back_office
echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
./target/release/examples/back_office "$@"
