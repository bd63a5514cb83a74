#!/usr/bin/env bash
# Shared by the benchmarks that look at the site as a citizen gets it
# (size.sh, lighthouse.sh). Source it from the project's root:
#   release_site            builds the release site as scripts/run.sh does
#                           (manifest, hashed copies, precompressed files)
#   start_site              starts it on a free port with demo data in test
#                           mode on a fresh SQLite file; sets $base
#   pay_demo_code CODE      pays CODE with the approved test card through
#                           the no-JavaScript form; prints the receipt's path

release_site() {
  cargo leptos build --release >/dev/null
  ./target/release/server manifest --site target/site >/dev/null
  scripts/precompress.sh target/site/pkg
}

start_site() {
  source scripts/free_port.sh
  site_work=$(mktemp -d)
  local port
  port=$(free_port)
  base="http://127.0.0.1:$port"
  LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$site_work/tolem.db?mode=rwc" \
    TOLEM_DEMO_DATA=true TOLEM_PROCESSOR=sandbox TOLEM_TEST_MODE=true TOLEM_PUBLIC_URL="$base" \
    ./target/release/server >"$site_work/server.log" 2>&1 &
  site_pid=$!
  trap 'kill $site_pid 2>/dev/null || true; rm -rf "$site_work"' EXIT
  for _ in $(seq 1 60); do curl -fsS "$base/health" >/dev/null 2>&1 && return 0; sleep 0.5; done
  cat "$site_work/server.log" >&2
  return 1
}

pay_demo_code() {
  local code=$1 form receipt
  form=$(curl -fsS "$base/pay/$code")
  field() { grep -oE "name=\"$1\" value=\"[^\"]*\"" <<<"$form" | head -1 | sed -E 's/.*value="([^"]*)"/\1/'; }
  receipt=$(curl -sS -o /dev/null -w '%{redirect_url}' -H 'Accept: text/html' \
    --data-urlencode "code=$code" --data-urlencode "idempotency_key=$(field idempotency_key)" \
    --data-urlencode "privacy_policy_edition=$(field privacy_policy_edition)" \
    --data-urlencode "user_agreement_edition=$(field user_agreement_edition)" \
    --data-urlencode "cardholder=AIBEK ASANOV" --data-urlencode "number=4111 1111 1111 1111" \
    --data-urlencode "exp_month=12" --data-urlencode "exp_year=2030" --data-urlencode "cvv=123" \
    "$base/pay/$code")
  echo "${receipt#"$base"}"
}
