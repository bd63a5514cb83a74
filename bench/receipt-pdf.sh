#!/usr/bin/env bash
# The receipt PDF's cost per language: p50/p99 milliseconds and the size in
# KB, beside the same receipt's text and QR code alone (the ceiling), in one
# run (server/examples/receipt_pdf.rs says how). Budget (issue 16): under
# 20 ms and under 60 KB. It prints the figures and never fails on them.
#
# Usage: bench/receipt-pdf.sh [--renders N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cargo build --release -p server --example receipt_pdf
echo "machine: $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
./target/release/examples/receipt_pdf "$@"
