#!/usr/bin/env bash
# A long ordinary day (issue 18, section 4): a release build on a fresh
# SQLite file with 40,000 payable codes, and the mixed load of
# server/examples/load.rs (lookups 30 %, pay pages 20 %, documents 20 %,
# receipts 15 %, payments through /api/pay with an approved card 10 %, the
# home page 5 %) arriving at a steady 200 requests a second for 30 minutes,
# payments from many addresses (X-Forwarded-For) as through the proxy.
# Every minute it prints that minute's requests, errors and p99 and the
# server's resident memory (the sandbox acquirer's orders are in it); at the
# end, the errors in all (target 0) and the memory at the end against after
# the first minute (target: within 5 %). It never fails on the figures.
#
# Usage: bench/soak.sh [--seconds N (1800)] [--rate N (200)]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

seconds=1800 rate=200
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "usage: bench/soak.sh [--seconds N] [--rate N]" >&2; exit 2 ;;
  esac
done
codes=$(( rate * seconds / 10 + 1000 ))

source scripts/setup.sh >/dev/null
source bench/site.sh
release_site >/dev/null
cargo build --quiet --release -p server --example load
load=target/release/examples/load
source scripts/free_port.sh
echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"

work=$(mktemp -d)
url="sqlite://$work/tolem.db?mode=rwc"
"$load" seed --database-url "$url" --count "$codes"
port=$(free_port)
LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="$url" TOLEM_DEMO_DATA=true \
  TOLEM_PROCESSOR=sandbox TOLEM_TEST_MODE=true \
  TOLEM_BEHIND_PROXY=true TOLEM_LOOKUPS_PER_MINUTE=0 TOLEM_LOOKUP_FLOOR_MS=0 \
  TOLEM_LOG=warn ./target/release/server >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && break
  sleep 0.2
done
"$load" soak --address "127.0.0.1:$port" --rate "$rate" --seconds "$seconds" \
  --codes "$codes" --pid "$pid"
if grep -q '"level":"ERROR"\|ERROR' "$work/server.log"; then
  echo "server errors logged:"; grep 'ERROR' "$work/server.log" | head -5
fi
