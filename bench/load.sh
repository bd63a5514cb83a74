#!/usr/bin/env bash
# A busy day against a release build, on SQLite and on PostgreSQL:
#
#   1. a mixed load of lookups, pay pages, payments, receipts, documents and
#      the home page at 256 concurrent keep-alive connections for 60 s, then
#      the same connections against axum serving the policy page's bytes
#      (the machine's ceiling, measured in the same run);
#   2. 60 s of hang-ups: one-second bursts of `wrk -t2 -c64 -d1s` (Debian's
#      wrk), alternating `/` and `/?code=...`, beside 64 clients that reset
#      their connection 0-5 ms into a request (server/examples/load.rs);
#   3. a check that every page type answers 200 within a second.
#
# It prints requests per second and p50/p99/max per page type, the errors
# (target: 0), and the server's RSS at start and end. It never fails on the
# figures; it fails if a phase cannot run or the final check fails.
#
# Usage: bench/load.sh [--seconds N (60)] [--connections N (256)] [--only sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

seconds=60 connections=256 only=""
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: bench/load.sh [--seconds N] [--connections N] [--only sqlite|postgres]" >&2; exit 2 ;;
  esac
done
codes=100000

if ! command -v wrk >/dev/null; then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get install -y -qq wrk >/dev/null
fi
source scripts/setup.sh >/dev/null
cargo leptos build --release 2>&1 | tail -1
./target/release/server manifest --site target/site >/dev/null
scripts/precompress.sh target/site/pkg >/dev/null
cargo build --quiet --release -p server --example load
load=target/release/examples/load
source scripts/free_port.sh

echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }

run_backend() {
  local backend=$1 url=$2 work=$3
  echo
  echo "== $backend"
  "$load" seed --database-url "$url" --count "$codes" | sed 's/^/  /'
  local port; port=$(free_port)
  # The load generator stands for many citizens: its payments name each
  # payer's address (X-Forwarded-For), so the limits on payment attempts
  # are on as in production; its lookups all come from one client, so the
  # lookup throttle and its time floor (latency by design, not work) are off.
  LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="$url" TOLEM_DEMO_DATA=true \
    TOLEM_PROCESSOR=sandbox TOLEM_TEST_MODE=true \
    TOLEM_BEHIND_PROXY=true TOLEM_LOOKUPS_PER_MINUTE=0 TOLEM_LOOKUP_FLOOR_MS=0 \
    TOLEM_LOG=warn ./target/release/server >"$work/$backend.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "  server RSS at start: $(rss $pid)"
  "$load" mixed --address "127.0.0.1:$port" --connections "$connections" \
    --seconds "$seconds" --codes "$codes" | sed 's/^/  /'
  echo "  server RSS after the mixed load: $(rss $pid)"

  "$load" hangups --address "127.0.0.1:$port" --connections 64 --seconds "$seconds" \
    | sed 's/^/  /' &
  local resets=$!
  local bursts=0 end=$((SECONDS + seconds))
  while ((SECONDS < end)); do
    if ((bursts % 2)); then target="/?code=132028$(printf '%08d' $((bursts % 1000)))"; else target="/"; fi
    wrk -t2 -c64 -d1s "http://127.0.0.1:$port$target" >/dev/null 2>&1 || true
    bursts=$((bursts + 1))
  done
  wait "$resets"
  echo "  hang-ups: $bursts wrk bursts of 64 connections"
  sleep 1
  echo "  after the hang-ups:"
  local status=0
  "$load" check --address "127.0.0.1:$port" --codes "$codes" | sed 's/^/  /' || status=1
  curl -fsS "http://127.0.0.1:$port/health" | sed 's/^/  readiness: /'
  echo "  server RSS at end: $(rss $pid)"
  local logged; logged=$(grep -c "ran out" "$work/$backend.log" || true)
  echo "  log lines saying connections ran out: $logged"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  return $status
}

work=$(mktemp -d)
status=0
if [[ -z "$only" || "$only" == sqlite ]]; then
  run_backend sqlite "sqlite://$work/tolem.db?mode=rwc" "$work" || status=1
fi
if [[ -z "$only" || "$only" == postgres ]]; then
  source scripts/postgres.sh
  trap postgres_stop EXIT
  psql -q "$TOLEM_TEST_POSTGRES" -c "CREATE DATABASE tolem_load"
  run_backend postgres "${TOLEM_TEST_POSTGRES%/*}/tolem_load" "$work" || status=1
fi
rm -rf "$work"
exit $status
