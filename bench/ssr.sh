#!/usr/bin/env bash
# Server rendering against the machine's ceiling (issue 18, section 4): a
# release build on a fresh SQLite file with demo data; for each of `/`, a
# lookup result (`/?code=...`) and a pay page (`/pay/...`), after a second
# not counted, rounds of 64 keep-alive connections for 5 s on the page the
# server renders, then the same connections for as long on axum in the load
# generator's process serving that page's very bytes from memory
# (server/examples/load.rs, `ssr`). It prints requests per second of each,
# the median of the rounds' ratios and every round's (target from the
# issue: each page at least 0.5 of its ceiling), and the server's resident
# memory before and after. It never fails on the figures.
#
# Usage: bench/ssr.sh [--seconds N (5)] [--rounds N (3)] [--connections N (64)]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

seconds=5 rounds=3 connections=64
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) echo "usage: bench/ssr.sh [--seconds N] [--rounds N] [--connections N]" >&2; exit 2 ;;
  esac
done

source scripts/setup.sh >/dev/null
source bench/site.sh
release_site >/dev/null
cargo build --quiet --release -p server --example load
source scripts/free_port.sh

echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }

work=$(mktemp -d)
port=$(free_port)
# One client stands for many citizens: the lookup throttle and its time
# floor (latency by design, not work) are off.
LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/tolem.db?mode=rwc" \
  TOLEM_DEMO_DATA=true TOLEM_PROCESSOR=sandbox TOLEM_TEST_MODE=true \
  TOLEM_LOOKUPS_PER_MINUTE=0 TOLEM_LOOKUP_FLOOR_MS=0 TOLEM_LOG=warn \
  ./target/release/server >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "server RSS at start: $(rss $pid)"
target/release/examples/load ssr --address "127.0.0.1:$port" --connections "$connections" \
  --seconds "$seconds" --rounds "$rounds" --paths "/,/?code=11202600000001,/pay/11202600000001"
echo "server RSS at end: $(rss $pid)"
