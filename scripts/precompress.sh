#!/usr/bin/env bash
# Writes .br and .gz beside every static asset so the server sends the
# smallest encoding without compressing on each request.
set -euo pipefail
dir=${1:?directory}
for file in "$dir"/*.{js,wasm,css}; do
  [[ -f "$file" ]] || continue
  brotli -f -q 11 -o "$file.br" "$file"
  gzip -f -k -9 "$file"
done
