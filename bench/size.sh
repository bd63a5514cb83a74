#!/usr/bin/env bash
# Measures what a citizen downloads: builds the release site and prints the
# raw, gzip and brotli sizes of the WebAssembly, its JavaScript glue and the
# CSS, and of the HTML of each kind of page. Budget: the whole hydrate bundle
# (wasm + JS glue) at most 100 KB brotli.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh

cargo leptos build --release >/dev/null
./target/release/server manifest --site target/site >/dev/null
pkg=target/site/pkg

size() { wc -c <"$1" | tr -d ' '; }
gz() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
br() { brotli -q 11 -c "$1" | wc -c | tr -d ' '; }

printf '%-28s %10s %10s %10s\n' file raw gzip brotli
total_br=0
for file in "$pkg/tolem.wasm" "$pkg/tolem.js" "$pkg/tolem.css"; do
  printf '%-28s %10s %10s %10s\n' "$(basename "$file")" "$(size "$file")" "$(gz "$file")" "$(br "$file")"
done
bundle=$(( $(br "$pkg/tolem.wasm") + $(br "$pkg/tolem.js") ))
printf 'hydrate bundle (wasm + js), brotli: %s bytes (budget 102400)\n' "$bundle"

# Pages as served, from a throwaway server with demo data.
work=$(mktemp -d)
source scripts/free_port.sh
port=$(free_port)
LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/tolem.db?mode=rwc" TOLEM_DEMO_DATA=true \
  TOLEM_PROCESSOR=sandbox TOLEM_TEST_MODE=true ./target/release/server >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.5; done
for path in "/" "/?code=11202600000001" "/pay/11202600000001" "/documents/privacy-policy"; do
  curl -fsS -o "$work/page.html" "http://127.0.0.1:$port$path"
  printf '%-28s %10s %10s %10s\n' "$path" "$(size "$work/page.html")" "$(gz "$work/page.html")" "$(br "$work/page.html")"
done
