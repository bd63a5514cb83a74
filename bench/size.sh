#!/usr/bin/env bash
# Measures what a citizen downloads: builds the release site as
# scripts/run.sh does (manifest, hashed copies, precompressed files), starts
# it with demo data and fetches each kind of page as a browser with brotli
# would, with everything the page loads (stylesheet, icon, and on the pay
# page the module and the WebAssembly), counting the bytes that cross the
# wire. Budgets (issue 18): the hydrate bundle (wasm + JS glue) at most
# 64 KB brotli, the pay page's first load at most 80 KB, every other page's
# at most 10 KB.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh

source bench/site.sh
release_site
pkg=target/site/pkg

size() { wc -c <"$1" | tr -d ' '; }
gz() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
br() { brotli -q 11 -c "$1" | wc -c | tr -d ' '; }

js=$(ls "$pkg"/tolem.*.js | grep -v '\.js\.' | head -1)
wasm=$(ls "$pkg"/tolem*.*.wasm | grep -v '\.wasm\.' | head -1)
css=$(ls "$pkg"/tolem.*.css | grep -v '\.css\.' | head -1)
printf '%-34s %10s %10s %10s\n' file raw gzip brotli
for file in "$wasm" "$js" "$css"; do
  printf '%-34s %10s %10s %10s\n' "$(basename "$file")" "$(size "$file")" "$(gz "$file")" "$(br "$file")"
done
bundle=$(( $(br "$wasm") + $(br "$js") ))
verdict() { if (( $1 <= $2 )); then echo "within"; else echo "OVER by $(( $1 - $2 ))"; fi; }
printf 'hydrate bundle (wasm + js), brotli: %s bytes, budget 65536: %s\n' "$bundle" "$(verdict "$bundle" 65536)"

# Pages as served, from a throwaway server with demo data, and a receipt.
start_site
receipt=$(pay_demo_code 11202600000003)

# bytes URL: what crossed the wire for its body, asking for brotli.
bytes() { curl -fsS -o /dev/null -H 'Accept-Encoding: br, gzip' -w '%{size_download}' "$base$1"; }
printf '\n%-34s %8s %10s %10s %s\n' page html "+ loads" total "budget"
for path in "/" "/?code=11202600000001" "/pay/11202600000001" "$receipt" \
  "/documents/privacy-policy" "/documents/user-agreement" "/contacts" "/find-receipt" "/verify" "/feedback"; do
  html=$(bytes "$path")
  loads=0
  for asset in $(curl -fsS "$base$path" | grep -oE '(href|src)="/(pkg/[^"]+|favicon[^"]*)"' | sed -E 's/^[a-z]+="([^"]+)"$/\1/' | sort -u); do
    loads=$(( loads + $(bytes "$asset") ))
  done
  total=$(( html + loads ))
  budget=10240
  [[ $path == /pay/* ]] && budget=81920
  printf '%-34s %8s %10s %10s %s\n' "${path:0:34}" "$html" "$loads" "$total" "$budget: $(verdict "$total" "$budget")"
done
