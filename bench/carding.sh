#!/usr/bin/env bash
# Card testing against the limits (server/examples/carding.rs says how): a
# bot with 1,000 stolen test cards from one address, then from 50 addresses
# behind the proxy setting, while 20 legitimate payers pay; each run on a
# fresh server with the production limits, and the same bot without them as
# the ceiling. Target from issue 12: the bot reaches the acquirer at most 10
# times per address and 100 in all; every legitimate payer pays. It prints
# the figures and never fails on them.
#
# Usage: bench/carding.sh   (CARGO_TARGET_DIR is respected)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cargo build --release -p server --example carding
echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
cargo run --quiet --release -p server --example carding
