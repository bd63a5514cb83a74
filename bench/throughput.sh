#!/usr/bin/env bash
# End-to-end payments per second and p50/p99 latency at 64 concurrent payers,
# with the in-process sandbox acquirer on SQLite and on PostgreSQL, next to
# the raw durable-insert rate of the same database measured in the same run
# (server/examples/throughput.rs says how). Target from the issue: ratio
# (payments/s / raw inserts/s) >= 0.5 and p99 < 25 ms. It prints the figures
# and never fails on them.
#
# Usage: bench/throughput.sh [--payments N] [--payers N] [--warmup N] [--only sqlite|postgres]
# (BENCH_PAYMENTS sets the default count; CARGO_TARGET_DIR is respected.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# A throwaway PostgreSQL server; without one the example skips PostgreSQL.
if source scripts/postgres.sh; then
  trap postgres_stop EXIT
else
  echo "throughput.sh: no PostgreSQL server, measuring SQLite only" >&2
fi

cargo build --release -p server --example throughput
started=$SECONDS
echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
# The SQLite files go under target/bench-data/, PostgreSQL's under /tmp.
mkdir -p target/bench-data
disk() { df --output=source,fstype "$1" | tail -1 | xargs; }
echo "disks: target/bench-data on $(disk target/bench-data), /tmp on $(disk /tmp)"
cargo run --quiet --release -p server --example throughput -- "$@"
echo "run took $((SECONDS - started)) s"
