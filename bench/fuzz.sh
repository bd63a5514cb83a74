#!/usr/bin/env bash
# Inputs nobody expected, by the million (issue 17): runs the server's fuzz
# suite (server/tests/fuzz) with many more cases than the test suite's 256
# per target, and prints how many inputs each part took and how long.
#   decoders: the card parsers, the pay form's decoder, the `pay` server
#             function's JSON decoder, the acquirer's notification parser,
#             the CSP report parser, the language cookie and Accept-Language
#             (six targets, CASES each): no panic;
#   http:     the same kinds of input through the whole site in-process
#             (HTTP_CASES): never a 5xx.
# It fails when an input makes a target fail (proptest prints it, shrunk).
#
# Usage: bench/fuzz.sh [CASES [HTTP_CASES]]   (default 1000000 each)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cases=${1:-1000000}
http_cases=${2:-1000000}
decoder_targets=6

# The suite's own build (debug, shared with scripts/test.sh): no second
# build of the server.
cargo test -p server --features app/ssr --test fuzz --no-run 2>&1 | tail -1
echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"

run() {
  local filter=$1 n=$2 targets=$3 start end
  start=$(date +%s.%N)
  PROPTEST_CASES=$n cargo test -q -p server --features app/ssr --test fuzz -- "$filter" >/tmp/fuzz-$filter.log 2>&1 \
    || { cat /tmp/fuzz-$filter.log; exit 1; }
  end=$(date +%s.%N)
  awk -v f="$filter" -v n="$n" -v t="$targets" -v s="$start" -v e="$end" 'BEGIN {
    printf "%-9s %9d inputs (%d target(s) x %d) in %7.1f s: %8.0f inputs/s, no panic, no 5xx\n",
      f, n * t, t, n, e - s, n * t / (e - s) }'
}

run decoders "$cases" "$decoder_targets"
run http "$http_cases" 1
awk -v a="$cases" -v t="$decoder_targets" -v b="$http_cases" \
  'BEGIN { printf "total     %9d inputs\n", a * t + b }'
