#!/usr/bin/env bash
# The agency API under load (server/examples/api.rs says how): payment
# requests created per second and p50/p99 latency at 32 concurrent clients
# (an Idempotency-Key each), next to the same clients replaying a stored
# answer (no write) and getting /health/live (the ceiling), all measured in
# the same run; and the lag of the `payment_request.paid` webhooks of
# requests paid during the creates, from the payment's answer to the
# webhook's arrival at a receiver in the same process. On SQLite and on a
# throwaway PostgreSQL server. It prints the figures and never fails on them.
#
# Usage: bench/api.sh [--seconds N] [--clients N] [--payments N] [--warmup N]
#                     [--poll-ms N] [--only sqlite|postgres]
# (CARGO_TARGET_DIR is respected.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# A throwaway PostgreSQL server; without one the example skips PostgreSQL.
if [[ " $* " == *" --only sqlite "* ]]; then
  :
elif source scripts/postgres.sh; then
  trap postgres_stop EXIT
else
  echo "api.sh: no PostgreSQL server, measuring SQLite only" >&2
fi

cargo build --release -p server --example api
started=$SECONDS
echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
# The SQLite files go under target/bench-data/, PostgreSQL's under /tmp.
mkdir -p target/bench-data
disk() { df --output=source,fstype "$1" | tail -1 | xargs; }
echo "disks: target/bench-data on $(disk target/bench-data), /tmp on $(disk /tmp)"
# Each create commits durably on its own (not in the payments' group
# commits), so the disk's synchronous writes per second, probed here in the
# same run, are what to read creates/s by.
for dir in target/bench-data /tmp; do
  probe=$(mktemp "$dir/api-sync-probe.XXXXXX")
  seconds=$(dd if=/dev/zero of="$probe" bs=4k count=300 oflag=dsync 2>&1 | awk '/copied/ {print $(NF-3)}')
  rm -f "$probe"
  echo "disk: 300 synchronous 4 KiB writes in $dir took $seconds s ($(awk "BEGIN {printf \"%.0f\", 300 / $seconds}")/s)"
done
cargo run --quiet --release -p server --example api -- "$@"
echo "run took $((SECONDS - started)) s"
