#!/usr/bin/env bash
# The README's run command: installs what is missing, builds the release site
# and starts it on SQLite with demo data and the in-process sandbox acquirer.
#
#   scripts/run.sh              the in-process sandbox (the default)
#   scripts/run.sh --acquirer   the stand-alone sandbox acquirer over signed
#                               HTTP (127.0.0.1:4000), as a real acquirer would
#                               be reached; its ledger is at /sandbox/ledger
#
# Both take no real money, so both run in test mode (TOLEM_TEST_MODE=true):
# every page says so. The server itself assumes nothing and refuses to start
# without TOLEM_PROCESSOR (see the README's Configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh

with_acquirer=false
case "${1:-}" in
  --acquirer) with_acquirer=true ;;
  "") ;;
  *) echo "usage: scripts/run.sh [--acquirer]" >&2; exit 2 ;;
esac

cargo leptos build --release
# The payment page's manifest, made with the release: the pages pin their
# scripts to its hashes and name them by their content-hashed copies, and
# `server check-page` compares the live page with it. Then every static
# file, copies included, is compressed once for all.
./target/release/server manifest --site target/site
scripts/precompress.sh target/site/pkg

export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
export TOLEM_DEMO_DATA="${TOLEM_DEMO_DATA:-true}"
export TOLEM_TEST_MODE=true

if $with_acquirer; then
  cargo build --release -p acquirer --bin sandbox-acquirer
  export ACQUIRER_ADDR="${ACQUIRER_ADDR:-127.0.0.1:4000}"
  # 32 random bytes as 64 hex characters: the server wants at least 32 bytes.
  export ACQUIRER_SECRET="${ACQUIRER_SECRET:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}"
  export ACQUIRER_NOTIFY_URL="http://$LEPTOS_SITE_ADDR/api/acquirer/notifications"
  ./target/release/sandbox-acquirer &
  acquirer_pid=$!
  trap 'kill $acquirer_pid 2>/dev/null || true' EXIT
  export TOLEM_PROCESSOR=gateway
  export TOLEM_ACQUIRER_URL="http://$ACQUIRER_ADDR"
  export TOLEM_ACQUIRER_SECRET="$ACQUIRER_SECRET"
  export TOLEM_PUBLIC_URL="http://$LEPTOS_SITE_ADDR"
  echo "sandbox acquirer: http://$ACQUIRER_ADDR (ledger: /sandbox/ledger)"
  echo "tolem: http://$LEPTOS_SITE_ADDR"
  echo "agency API: http://$LEPTOS_SITE_ADDR/api/v1/docs (demo agency agc_demo, key tlm_test_DemoKeyForTheSandbox000000000001)"
  echo "back office: http://$LEPTOS_SITE_ADDR/admin (admin@tolem.test, password 'demo admin password', TOTP secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP)"
  ./target/release/server
else
  export TOLEM_PROCESSOR=sandbox
  echo "tolem: http://$LEPTOS_SITE_ADDR"
  echo "agency API: http://$LEPTOS_SITE_ADDR/api/v1/docs (demo agency agc_demo, key tlm_test_DemoKeyForTheSandbox000000000001)"
  echo "back office: http://$LEPTOS_SITE_ADDR/admin (admin@tolem.test, password 'demo admin password', TOTP secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP)"
  exec ./target/release/server
fi
