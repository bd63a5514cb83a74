#!/usr/bin/env bash
# Builds the site (debug), starts it on a free port with a fresh SQLite file,
# runs the Playwright suite with JavaScript on and off (and the citizen's
# specs on a desktop and a 360 px phone), then checks that no test card
# number or CVV reached a database or a server's log.
#
# Besides the main server, each Playwright project (js, nojs) gets a server
# of its own with its own database, for specs that publish document editions:
# a new edition there cannot surprise the payments of other specs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cargo leptos build
# The payment page's manifest: its scripts' hashes, which pages pin them to.
./target/debug/server manifest --site target/site

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

source scripts/free_port.sh

# start_server NAME [VAR=value ...]: starts a server with demo data on a
# fresh SQLite file, with the settings given; sets url_NAME and db_NAME.
start_server() {
  local name=$1 port
  shift
  port=$(free_port)
  local db="sqlite://$work/$name.db?mode=rwc"
  LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  DATABASE_URL="$db" \
  TOLEM_PROCESSOR=sandbox TOLEM_TEST_MODE=true \
  TOLEM_DEMO_DATA=true \
  TOLEM_LOG=debug \
  TOLEM_ATTEMPT_LIMITS=false TOLEM_LOOKUPS_PER_MINUTE=0 \
    env "$@" ./target/debug/server >"$work/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.log"; exit 1; }
    sleep 0.5
  done
  printf -v "url_$name" '%s' "http://127.0.0.1:$port"
  printf -v "db_$name" '%s' "$db"
}

# The specs run from one address: the limits on card testing are off but
# on the guarded servers, where one decline is all a client may have. The
# desk servers are the back office's documents spec's own: the editions it
# publishes there cannot surprise the isolated servers' edition specs.
start_server main
# The desktop and 360 px phone projects pay the same codes as `js`, each on
# a server of its own.
start_server desktop
start_server phone
start_server isolated_js
start_server isolated_nojs
start_server guarded_js TOLEM_ATTEMPT_LIMITS=true TOLEM_DECLINES_PER_CLIENT=1
start_server guarded_nojs TOLEM_ATTEMPT_LIMITS=true TOLEM_DECLINES_PER_CLIENT=1
start_server desk_js
start_server desk_nojs

status=0
(cd end2end && \
  TOLEM_BASE_URL="$url_main" TOLEM_DESKTOP_URL="$url_desktop" TOLEM_PHONE_URL="$url_phone" \
  TOLEM_ISOLATED_JS_URL="$url_isolated_js" TOLEM_ISOLATED_JS_DATABASE_URL="$db_isolated_js" \
  TOLEM_ISOLATED_NOJS_URL="$url_isolated_nojs" TOLEM_ISOLATED_NOJS_DATABASE_URL="$db_isolated_nojs" \
  TOLEM_GUARDED_JS_URL="$url_guarded_js" TOLEM_GUARDED_NOJS_URL="$url_guarded_nojs" \
  TOLEM_DESK_JS_URL="$url_desk_js" TOLEM_DESK_JS_DATABASE_URL="$db_desk_js" \
  TOLEM_DESK_NOJS_URL="$url_desk_nojs" TOLEM_DESK_NOJS_DATABASE_URL="$db_desk_nojs" \
  TOLEM_SERVER_BIN="$PWD/../target/debug/server" \
  npx playwright test "$@") || status=$?

kill "${pids[@]}" 2>/dev/null || true
wait "${pids[@]}" 2>/dev/null || true
trap - EXIT

for name in main desktop phone isolated_js isolated_nojs guarded_js guarded_nojs desk_js desk_nojs; do
  python3 scripts/check_no_card_data.py "$work/$name.db" "$work/$name.log" \
    "4111 1111 1111 1111" "4000 0000 0000 0002" "4111 1111 1111 1112" "5555 5555 5555 4444" \
    "4000 0000 0000 3055" "4000 0000 0000 3220" "4000 0000 0000 0259" \
    --cvv 739 482 915 || status=1
done
if [[ $status -ne 0 ]]; then
  echo "server logs: $work/*.log"
fi
exit $status
