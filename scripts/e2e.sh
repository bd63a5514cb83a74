#!/usr/bin/env bash
# Builds the site (debug), starts it on a free port with a fresh SQLite file,
# runs the Playwright suite with JavaScript on and off, then checks that no
# test card number or CVV reached the database or the server's log.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cargo leptos build

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LEPTOS_SITE_ADDR="127.0.0.1:$port" \
DATABASE_URL="sqlite://$work/tolem.db?mode=rwc" \
TOLEM_DEMO_DATA=true \
TOLEM_LOG=debug \
  ./target/debug/server >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 $server_pid 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.5
done

status=0
(cd end2end && TOLEM_BASE_URL="http://127.0.0.1:$port" npx playwright test) || status=$?

kill $server_pid 2>/dev/null || true
wait $server_pid 2>/dev/null || true
trap - EXIT

python3 scripts/check_no_card_data.py "$work/tolem.db" "$work/server.log" \
  "4111 1111 1111 1111" "4000 0000 0000 0002" "4111 1111 1111 1112" "5555 5555 5555 4444" \
  "4000 0000 0000 3055" "4000 0000 0000 3220" "4000 0000 0000 0259" \
  --cvv 739 482 915 || status=1
if [[ $status -ne 0 ]]; then
  echo "server log: $work/server.log"
fi
exit $status
